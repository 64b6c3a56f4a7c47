//! A real IMAP server for the tests: Debian's dovecot (`dovecot-imapd`), started by the
//! test on a random loopback port with a configuration of its own in a temporary folder
//! (one user in a passwd-file, Maildir storage), optionally with TLS on a certificate the
//! test makes (a CA of its own signs it; `ca_pem` is that CA). Mail is put in and looked
//! at over IMAP, as another mail client would.
//!
//! Run as root, dovecot's master stays root and its mail processes run as the `dovecot`
//! system user (dovecot refuses to read mail as root); run as anyone else, everything
//! runs as that user. Either way nothing outside the temporary folder is touched.

use async_imap::Session;
use futures_util::TryStreamExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tokio::net::TcpStream;

pub const USER: &str = "desk";
pub const PASSWORD: &str = "imap-pass-1";

pub struct Dovecot {
    /// The plain-text (and STARTTLS, with TLS on) listener.
    pub port: u16,
    /// The TLS listener, when started with TLS.
    pub tls_port: Option<u16>,
    /// The CA that signed the server's certificate (PEM), when started with TLS.
    pub ca_pem: Option<Vec<u8>>,
    config: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The uid and gid mail is kept as, and the user name dovecot's helpers run as.
fn mail_user() -> (u32, u32, String, String) {
    let me = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let me: u32 = me.trim().parse().unwrap();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let entry = |name: &str| {
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 3 && f[0] == name).then(|| (f[2].parse().unwrap(), f[3].parse().unwrap()))
        })
    };
    if me == 0 {
        let (uid, gid) = entry("dovecot")
            .expect("the dovecot system user is missing: install dovecot-imapd (.ci/run does)");
        let login = if entry("dovenull").is_some() {
            "dovenull"
        } else {
            "dovecot"
        };
        (uid, gid, "dovecot".into(), login.into())
    } else {
        let name = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        let gid = String::from_utf8(Command::new("id").arg("-g").output().unwrap().stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        (me, gid, name.clone(), name)
    }
}

fn make_certificate(dir: &Path) -> Vec<u8> {
    let at = |f: &str| dir.join(f);
    let openssl = |args: &[&str]| {
        run(
            Command::new("openssl").args(args).current_dir(dir),
            "openssl",
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=heard test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    std::fs::write(
        at("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    std::fs::read(at("ca.pem")).unwrap()
}

impl Dovecot {
    /// A plain-text server on loopback.
    pub fn start() -> Dovecot {
        Dovecot::launch(false)
    }

    /// A server that also speaks TLS (its own port) and STARTTLS (the plain port).
    pub fn start_with_tls() -> Dovecot {
        Dovecot::launch(true)
    }

    fn launch(tls: bool) -> Dovecot {
        let binary = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("dovecot is not installed: apt-get install dovecot-imapd (.ci/run does)");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (uid, gid, internal, login) = mail_user();
        // The mail processes (not root) must reach the Maildir under the temporary folder.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mail = root.join("mail");
        std::fs::create_dir(&mail).unwrap();
        std::os::unix::fs::chown(&mail, Some(uid), Some(gid)).unwrap();
        std::fs::create_dir(root.join("run")).unwrap();
        std::fs::write(root.join("users"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let port = super::smtp::free_port();
        let tls_port = tls.then(super::smtp::free_port);
        let ca_pem = tls.then(|| make_certificate(root));
        let r = root.display();
        let ssl = if tls {
            format!("ssl = yes\nssl_cert = <{r}/cert.pem\nssl_key = <{r}/key.pem\n")
        } else {
            "ssl = no\n".into()
        };
        let imaps = match tls_port {
            Some(p) => format!(
                "  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {p}\n    ssl = yes\n  }}\n"
            ),
            None => "  inet_listener imaps {\n    port = 0\n  }\n".into(),
        };
        let config = root.join("dovecot.conf");
        std::fs::write(
            &config,
            format!(
                "base_dir = {r}/run\nstate_dir = {r}/run\nlog_path = {r}/dovecot.log\n\
                 protocols = imap\nlisten = 127.0.0.1\n{ssl}\
                 disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
                 default_internal_user = {internal}\ndefault_login_user = {login}\n\
                 first_valid_uid = {uid}\nlast_valid_uid = {uid}\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/users\n}}\n\
                 userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={r}/mail/%u\n}}\n\
                 mail_location = maildir:{r}/mail/%u/Maildir\n\
                 service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n{imaps}}}\n\
"
            ),
        )
        .unwrap();
        // In the foreground (-F), as a child of the test: nothing of it outlives the test.
        let errors = std::fs::File::create(root.join("stderr")).unwrap();
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(errors)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {binary}: {e}"));
        let mut server = Dovecot {
            port,
            tls_port,
            ca_pem,
            config,
            child,
            dir,
        };
        // Wait (bounded) until it answers.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("dovecot stopped at once ({status}):\n{}", server.log());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("dovecot did not start listening:\n{}", server.log());
    }

    /// What dovecot logged (for failure messages).
    pub fn log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
        format!("{}{}", read("stderr"), read("dovecot.log"))
    }

    /// A logged-in IMAP session (plain text, loopback) for the test's own looking.
    pub async fn session(&self) -> Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap_or_else(|e| panic!("logging in to dovecot: {e}\n{}", self.log()))
    }

    /// Puts a message in `folder` (made if missing), as a mail client would.
    pub async fn append(&self, folder: &str, raw: &[u8]) {
        let mut s = self.session().await;
        let _ = s.create(folder).await;
        s.append(folder, None, None, raw).await.unwrap();
        s.logout().await.unwrap();
    }

    /// Every message in `folder`: its UID and flags (`\Seen`, …), oldest first.
    pub async fn messages(&self, folder: &str) -> Vec<(u32, Vec<String>)> {
        let mut s = self.session().await;
        if s.select(folder).await.is_err() {
            return Vec::new();
        }
        let fetches: Vec<_> = s
            .uid_fetch("1:*", "(UID FLAGS)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap_or_default();
        let mut out: Vec<(u32, Vec<String>)> = fetches
            .iter()
            .filter_map(|f| {
                Some((
                    f.uid?,
                    f.flags().map(|fl| format!("{fl:?}")).collect::<Vec<_>>(),
                ))
            })
            .collect();
        out.sort();
        out.dedup_by_key(|m| m.0);
        s.logout().await.unwrap();
        out
    }

    /// How many messages in `folder` carry `\Seen`, and how many there are.
    pub async fn seen(&self, folder: &str) -> (usize, usize) {
        let all = self.messages(folder).await;
        let seen = all
            .iter()
            .filter(|(_, flags)| flags.iter().any(|f| f == "Seen"))
            .count();
        (seen, all.len())
    }

    /// Removes the folder's UID list, so that dovecot numbers its messages afresh under a
    /// new UIDVALIDITY (what a restored or migrated mail server does).
    pub fn renumber(&self, folder: &str) {
        let maildir = self.dir.path().join("mail").join(USER).join("Maildir");
        let dir = if folder == "INBOX" {
            maildir
        } else {
            maildir.join(format!(".{folder}"))
        };
        for f in [
            "dovecot-uidlist",
            "dovecot.index",
            "dovecot.index.log",
            "dovecot.index.cache",
        ] {
            let _ = std::fs::remove_file(dir.join(f));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let binary = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("dovecot");
        // Its own way of stopping takes its helper processes down with it.
        let _ = Command::new(binary)
            .arg("-c")
            .arg(&self.config)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
