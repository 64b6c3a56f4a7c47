//! A small SMTP receiver (RFC 5321) for mail addressed to the desk. It speaks the
//! commands a relay uses (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), refuses
//! recipients the desk does not own and mail over the size limit, and answers the DATA
//! only once the [`Deliver`] handler has committed the mail: a `250` is a promise that
//! the mail is kept. No TLS: run it on loopback behind the site's mail server.

use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the listener asks of the help desk.
pub trait Deliver: Clone + Send + Sync + 'static {
    /// Whether mail to this address (lower case) is the desk's to take.
    fn accepts(&self, recipient: &str) -> impl Future<Output = bool> + Send;
    /// Takes one mail in; the answer is sent to the client as it is.
    fn deliver(&self, raw: Vec<u8>, recipients: Vec<String>) -> impl Future<Output = Reply> + Send;
}

/// An SMTP answer: code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply {
            code,
            text: text.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SmtpLimits {
    /// Largest mail accepted, in bytes (announced as SIZE).
    pub max_bytes: usize,
    pub max_recipients: usize,
    /// How long the listener waits for the client's next line.
    pub idle: Duration,
    /// The name in the greeting.
    pub hostname: String,
}

impl Default for SmtpLimits {
    fn default() -> Self {
        SmtpLimits {
            max_bytes: 25 * 1024 * 1024,
            max_recipients: 100,
            idle: Duration::from_secs(300),
            hostname: "heard".into(),
        }
    }
}

/// Accepts connections forever, each on its own task.
pub async fn serve_smtp<D: Deliver>(listener: TcpListener, desk: D, limits: SmtpLimits) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let (desk, limits) = (desk.clone(), limits.clone());
                tokio::spawn(async move {
                    if let Err(e) = session(stream, desk, limits).await {
                        tracing::debug!(error = %e, "SMTP session ended");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting an SMTP connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// The address inside `FROM:<…>` / `TO:<…>`, lower case; `Some("")` for the null sender.
fn path_argument(arg: &str, prefix: &str) -> Option<String> {
    let rest = arg.get(..prefix.len())?;
    if !rest.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].trim().to_lowercase())
}

/// The `SIZE=n` parameter of MAIL FROM, if given.
fn declared_size(arg: &str) -> Option<usize> {
    arg.split_whitespace()
        .find_map(|p| {
            p.get(..5)
                .filter(|k| k.eq_ignore_ascii_case("size="))
                .and(p.get(5..))
        })
        .and_then(|n| n.parse().ok())
}

async fn send<W: AsyncWriteExt + Unpin>(w: &mut W, code: u16, text: &str) -> std::io::Result<()> {
    w.write_all(format!("{code} {text}\r\n").as_bytes()).await
}

async fn session<D: Deliver>(
    stream: TcpStream,
    desk: D,
    limits: SmtpLimits,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    send(&mut write, 220, &format!("{} ESMTP heard", limits.hostname)).await?;
    let mut sender: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = match tokio::time::timeout(limits.idle, read.read_until(b'\n', &mut line)).await {
            Ok(n) => n?,
            Err(_) => {
                send(&mut write, 421, "4.4.2 idle too long, closing").await?;
                return Ok(());
            }
        };
        if n == 0 {
            return Ok(());
        }
        if line.len() > 2048 {
            send(&mut write, 500, "5.5.2 line too long").await?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                write
                    .write_all(
                        format!(
                            "250-{}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250 PIPELINING\r\n",
                            limits.hostname, limits.max_bytes
                        )
                        .as_bytes(),
                    )
                    .await?;
            }
            "HELO" => send(&mut write, 250, &limits.hostname).await?,
            "MAIL" => match path_argument(arg, "FROM:") {
                _ if sender.is_some() => {
                    send(&mut write, 503, "5.5.1 sender already given").await?
                }
                Some(from) => {
                    if declared_size(arg).is_some_and(|s| s > limits.max_bytes) {
                        send(&mut write, 552, "5.3.4 message too large").await?;
                    } else {
                        sender = Some(from);
                        recipients.clear();
                        send(&mut write, 250, "2.1.0 ok").await?;
                    }
                }
                None => send(&mut write, 501, "5.5.4 syntax: MAIL FROM:<address>").await?,
            },
            "RCPT" => match path_argument(arg, "TO:") {
                _ if sender.is_none() => send(&mut write, 503, "5.5.1 MAIL first").await?,
                Some(to) if recipients.len() >= limits.max_recipients => {
                    let _ = to;
                    send(&mut write, 452, "4.5.3 too many recipients").await?
                }
                Some(to) => {
                    if desk.accepts(&to).await {
                        recipients.push(to);
                        send(&mut write, 250, "2.1.5 ok").await?;
                    } else {
                        send(&mut write, 550, "5.1.1 no such mailbox here").await?;
                    }
                }
                None => send(&mut write, 501, "5.5.4 syntax: RCPT TO:<address>").await?,
            },
            "DATA" => {
                if recipients.is_empty() {
                    send(&mut write, 503, "5.5.1 RCPT first").await?;
                    continue;
                }
                send(&mut write, 354, "end with <CRLF>.<CRLF>").await?;
                let (raw, too_large) = read_data(&mut read, &limits).await?;
                let reply = if too_large {
                    Reply::new(552, "5.3.4 message too large")
                } else {
                    desk.deliver(raw, std::mem::take(&mut recipients)).await
                };
                sender = None;
                recipients.clear();
                send(&mut write, reply.code, &reply.text).await?;
            }
            "RSET" => {
                sender = None;
                recipients.clear();
                send(&mut write, 250, "2.0.0 ok").await?;
            }
            "NOOP" => send(&mut write, 250, "2.0.0 ok").await?,
            "VRFY" => send(&mut write, 252, "2.5.2 send some mail and see").await?,
            "QUIT" => {
                send(&mut write, 221, "2.0.0 bye").await?;
                return Ok(());
            }
            _ => send(&mut write, 502, "5.5.1 command not implemented").await?,
        }
    }
}

/// Reads DATA up to the lone dot, undoing dot-stuffing; beyond the limit the rest is
/// read and dropped, so the session stays in step.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(
    read: &mut R,
    limits: &SmtpLimits,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut raw = Vec::new();
    let mut too_large = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = tokio::time::timeout(limits.idle, read.read_until(b'\n', &mut line))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "DATA stalled"))??;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((raw, too_large));
        }
        let body = line.strip_prefix(b".").unwrap_or(&line);
        if raw.len() + body.len() > limits.max_bytes {
            too_large = true;
            raw.clear();
        }
        if !too_large {
            raw.extend_from_slice(body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_and_sizes() {
        assert_eq!(
            path_argument("FROM:<Ada@Example.org> SIZE=10", "FROM:"),
            Some("ada@example.org".into())
        );
        assert_eq!(path_argument("from: <>", "FROM:"), Some(String::new()));
        assert_eq!(path_argument("TO:ada@example.org", "TO:"), None);
        assert_eq!(path_argument("X", "FROM:"), None);
        assert_eq!(
            declared_size("FROM:<a@b> SIZE=2048 BODY=8BITMIME"),
            Some(2048)
        );
        assert_eq!(declared_size("FROM:<a@b>"), None);
    }

    #[tokio::test]
    async fn undoes_dot_stuffing_and_stops_at_the_limit() {
        let limits = SmtpLimits {
            max_bytes: 20,
            ..Default::default()
        };
        let mut input: &[u8] = b"Subject: x\r\n\r\n..hi\r\n.\r\nNOOP\r\n";
        let (raw, big) = read_data(&mut input, &limits).await.unwrap();
        assert_eq!(
            (raw.as_slice(), big),
            (&b"Subject: x\r\n\r\n.hi\r\n"[..], false)
        );
        let mut input: &[u8] = b"0123456789\r\n0123456789\r\n.\r\n";
        let (raw, big) = read_data(&mut input, &limits).await.unwrap();
        assert!(big && raw.is_empty());
    }
}
