//! A real SMTP server on a random loopback port for the mail tests: `mailin`'s SMTP state
//! machine behind a plain blocking socket loop, keeping every message it accepts.

use mailin::{Action, Handler, Response, SessionBuilder, response};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as it came over the wire (headers and body).
    pub data: Vec<u8>,
}

pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

#[derive(Clone)]
struct Keep {
    inbox: Arc<Mutex<Vec<Received>>>,
    current: Option<Received>,
}

impl Handler for Keep {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_string(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = &mut self.current {
            m.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(m) = self.current.take() {
            self.inbox.lock().unwrap().push(m);
        }
        response::OK
    }
}

/// A loopback port nobody listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(0)
    }

    /// Listens on `port` (0: any free one) in background threads, one per connection.
    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP port");
        let port = listener.local_addr().unwrap().port();
        let inbox: Arc<Mutex<Vec<Received>>> = Arc::default();
        let keep = Keep {
            inbox: inbox.clone(),
            current: None,
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = keep.clone();
                std::thread::spawn(move || {
                    let peer: IpAddr = stream
                        .peer_addr()
                        .map(|a| a.ip())
                        .unwrap_or([127, 0, 0, 1].into());
                    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
                    let mut writer = stream.try_clone().unwrap();
                    let mut reader = BufReader::new(stream);
                    let mut session = SessionBuilder::new("smtp.test").build(peer, handler);
                    if session.greeting().write_to(&mut writer).is_err() {
                        return;
                    }
                    let mut line = Vec::new();
                    loop {
                        line.clear();
                        match reader.read_until(b'\n', &mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let res = session.process(&line);
                        match res.action {
                            Action::Reply => {
                                if res.write_to(&mut writer).is_err() {
                                    return;
                                }
                            }
                            Action::Close | Action::UpgradeTls => {
                                let _ = res.write_to(&mut writer);
                                return;
                            }
                            Action::NoReply => {}
                        }
                        let _ = writer.flush();
                    }
                });
            }
        });
        SmtpServer { port, inbox }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until at least `n` messages arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} messages, the SMTP server received {}",
            self.received().len()
        );
    }
}
