//! Fetching a mailbox over IMAP, the connection (async-imap over tokio, TLS by rustls):
//! connect with TLS, STARTTLS (never falling back to plain) or plain text to this machine
//! only; log in; select the folder; search and fetch by UID without setting `\Seen`
//! (`BODY.PEEK[]`); flag or move a message once it is taken in; wait with IDLE.

use crate::imap::{AfterImport, ImapSettings, Security};
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// A byte stream IMAP can run over: a TCP connection, or TLS over one.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}
type Stream = Box<dyn Io>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// A command the server does not finish in this long counts as a dead connection.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    #[error("the server did not start TLS (STARTTLS): {0}")]
    StartTls(String),
    #[error("plain text is only for a server on this machine, and {0} is not one")]
    NotLoopback(String),
    #[error("the server refused the login of {user}: {why}")]
    Login { user: String, why: String },
    #[error("folder {folder}: {why}")]
    Folder { folder: String, why: String },
    #[error("{0} took too long; the connection is given up")]
    Timeout(&'static str),
    #[error("{what} failed: {why}")]
    Command { what: &'static str, why: String },
}

fn command(what: &'static str) -> impl Fn(async_imap::error::Error) -> ImapError {
    move |e| ImapError::Command {
        what,
        why: e.to_string(),
    }
}

async fn timed<T>(
    what: &'static str,
    f: impl Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    timeout(COMMAND_TIMEOUT, f)
        .await
        .map_err(|_| ImapError::Timeout(what))?
}

/// Whom TLS trusts: the public roots (webpki-roots), plus any extra CA certificates an
/// admin names (a private CA).
#[derive(Clone)]
pub struct TlsTrust {
    config: Arc<rustls::ClientConfig>,
}

impl TlsTrust {
    /// `extra_pem`: PEM text with more CA certificates to trust, if any.
    pub fn new(extra_pem: Option<&[u8]>) -> Result<TlsTrust, String> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = extra_pem {
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("reading a certificate: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("a CA certificate is not usable: {e}"))?;
                added += 1;
            }
            if added == 0 {
                return Err("no PEM certificate found".into());
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(TlsTrust {
            config: Arc::new(config),
        })
    }

    async fn wrap(&self, host: &str, stream: Stream) -> Result<Stream, ImapError> {
        let name = rustls::pki_types::ServerName::try_from(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
        )
        .map_err(|e| ImapError::Tls(host.into(), e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(self.config.clone());
        let stream = timeout(CONNECT_TIMEOUT, tls.connect(name, stream))
            .await
            .map_err(|_| ImapError::Timeout("the TLS handshake"))?
            .map_err(|e| ImapError::Tls(host.into(), e.to_string()))?;
        Ok(Box::new(stream))
    }
}

/// The folder as selected.
#[derive(Debug, Clone, Copy)]
pub struct Selected {
    pub uid_validity: u32,
    pub uid_next: Option<u32>,
}

/// `UID MOVE` where the server has it, else `UID COPY` (the caller then deletes).
async fn transfer(
    session: &mut Session<Stream>,
    moves: bool,
    set: &str,
    to: &str,
) -> async_imap::error::Result<()> {
    if moves {
        session.uid_mv(set, to).await
    } else {
        session.uid_copy(set, to).await
    }
}

/// A logged-in connection with the folder to fetch from.
pub struct ImapSession {
    session: Session<Stream>,
    folder: String,
    idle: bool,
    moves: bool,
    uidplus: bool,
}

impl ImapSession {
    /// Connects and logs in as the settings say.
    pub async fn connect(s: &ImapSettings, trust: &TlsTrust) -> Result<ImapSession, ImapError> {
        let target = format!("{}:{}", s.host, s.port);
        let host = s.host.trim_start_matches('[').trim_end_matches(']');
        let tcp = timeout(CONNECT_TIMEOUT, TcpStream::connect((host, s.port)))
            .await
            .map_err(|_| ImapError::Connect(target.clone(), "no answer".into()))?
            .map_err(|e| ImapError::Connect(target.clone(), e.to_string()))?;
        if s.security == Security::None
            && !tcp
                .peer_addr()
                .map(|a| a.ip().is_loopback())
                .unwrap_or(false)
        {
            return Err(ImapError::NotLoopback(target));
        }
        let _ = tcp.set_nodelay(true);
        let stream: Stream = match s.security {
            Security::Tls => trust.wrap(host, Box::new(tcp)).await?,
            Security::StartTls | Security::None => Box::new(tcp),
        };
        let mut client = Client::new(stream);
        timed("the greeting", async {
            client
                .read_response()
                .await
                .map_err(|e| ImapError::Connect(target.clone(), e.to_string()))?
                .ok_or_else(|| ImapError::Connect(target.clone(), "closed at once".into()))
        })
        .await?;
        if s.security == Security::StartTls {
            timed("STARTTLS", async {
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| ImapError::StartTls(e.to_string()))
            })
            .await?;
            let stream = trust.wrap(host, client.into_inner()).await?;
            client = Client::new(stream);
        }
        let mut session = timed("the login", async {
            client
                .login(&s.username, &s.password)
                .await
                .map_err(|(e, _)| ImapError::Login {
                    user: s.username.clone(),
                    why: e.to_string(),
                })
        })
        .await?;
        let caps = timed("CAPABILITY", async {
            session
                .capabilities()
                .await
                .map_err(command("asking the server's capabilities"))
        })
        .await?;
        Ok(ImapSession {
            idle: caps.has_str("IDLE"),
            moves: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
            session,
            folder: s.folder.clone(),
        })
    }

    /// Whether the server offers IDLE (else [`Self::wait`] sleeps).
    pub fn offers_idle(&self) -> bool {
        self.idle
    }

    pub async fn select(&mut self) -> Result<Selected, ImapError> {
        let folder = self.folder.clone();
        let mailbox = timed("SELECT", async {
            self.session
                .select(&folder)
                .await
                .map_err(|e| ImapError::Folder {
                    folder: folder.clone(),
                    why: e.to_string(),
                })
        })
        .await?;
        let uid_validity = mailbox.uid_validity.ok_or_else(|| ImapError::Folder {
            folder: folder.clone(),
            why: "the server gave no UIDVALIDITY".into(),
        })?;
        Ok(Selected {
            uid_validity,
            uid_next: mailbox.uid_next,
        })
    }

    /// `UID SEARCH criteria`.
    pub async fn search(&mut self, criteria: &str) -> Result<Vec<u32>, ImapError> {
        timed("UID SEARCH", async {
            Ok(self
                .session
                .uid_search(criteria)
                .await
                .map_err(command("searching the folder"))?
                .into_iter()
                .collect())
        })
        .await
    }

    /// The message's bytes as the server keeps them, leaving its flags alone. `None` when
    /// it is gone (deleted meanwhile).
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
        timed("UID FETCH", async {
            let fetches: Vec<_> = self
                .session
                .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                .await
                .map_err(command("fetching a message"))?
                .try_collect()
                .await
                .map_err(command("fetching a message"))?;
            Ok(fetches
                .iter()
                .filter(|f| f.uid == Some(uid))
                .find_map(|f| f.body().map(<[u8]>::to_vec)))
        })
        .await
    }

    async fn store(&mut self, uid: u32, flags: &str) -> Result<(), ImapError> {
        timed("UID STORE", async {
            let _: Vec<_> = self
                .session
                .uid_store(uid.to_string(), format!("+FLAGS.SILENT ({flags})"))
                .await
                .map_err(command("flagging a message"))?
                .try_collect()
                .await
                .map_err(command("flagging a message"))?;
            Ok(())
        })
        .await
    }

    async fn copy_or_move(&mut self, uid: u32, to: &str) -> Result<(), ImapError> {
        let set = uid.to_string();
        let moves = self.moves;
        timed("UID MOVE", async {
            if transfer(&mut self.session, moves, &set, to).await.is_ok() {
                return Ok(());
            }
            // Most likely the folder is not there yet ([TRYCREATE]): make it and try once
            // more.
            let _ = self.session.create(to).await;
            transfer(&mut self.session, moves, &set, to)
                .await
                .map_err(|e| ImapError::Folder {
                    folder: to.into(),
                    why: format!("moving a message there failed: {e}"),
                })
        })
        .await
    }

    /// Marks a message taken in, as the mailbox says: `\Seen`, or moved to a folder (with
    /// MOVE, or COPY then `\Deleted` and, with UIDPLUS, expunging just that message).
    pub async fn handled(&mut self, uid: u32, after: &AfterImport) -> Result<(), ImapError> {
        match after {
            AfterImport::Seen => self.store(uid, "\\Seen").await,
            AfterImport::Move(to) => {
                self.copy_or_move(uid, to).await?;
                if !self.moves {
                    self.store(uid, "\\Seen \\Deleted").await?;
                    if self.uidplus {
                        timed("UID EXPUNGE", async {
                            let _: Vec<_> = self
                                .session
                                .uid_expunge(uid.to_string())
                                .await
                                .map_err(command("expunging a moved message"))?
                                .try_collect()
                                .await
                                .map_err(command("expunging a moved message"))?;
                            Ok(())
                        })
                        .await?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Waits up to `max` for the folder to change: with IDLE when the server offers it
    /// (true when it told of something new), else by sleeping (false). Either way the
    /// caller looks again afterwards.
    pub async fn wait(self, max: Duration) -> Result<(ImapSession, bool), ImapError> {
        let ImapSession {
            session,
            folder,
            idle,
            moves,
            uidplus,
        } = self;
        let (session, news) = if idle {
            let mut handle = session.idle();
            timed("IDLE", async {
                handle.init().await.map_err(command("starting IDLE"))
            })
            .await?;
            let (wait, _stop) = handle.wait_with_timeout(max);
            let news = match wait.await.map_err(command("waiting in IDLE"))? {
                async_imap::extensions::idle::IdleResponse::NewData(_) => true,
                async_imap::extensions::idle::IdleResponse::Timeout
                | async_imap::extensions::idle::IdleResponse::ManualInterrupt => false,
            };
            let session = timed("DONE", async {
                handle.done().await.map_err(command("ending IDLE"))
            })
            .await?;
            (session, news)
        } else {
            tokio::time::sleep(max).await;
            (session, false)
        };
        Ok((
            ImapSession {
                session,
                folder,
                idle,
                moves,
                uidplus,
            },
            news,
        ))
    }

    /// Says goodbye (best effort: the connection closes either way).
    pub async fn logout(mut self) {
        let _ = timeout(Duration::from_secs(5), self.session.logout()).await;
    }
}
