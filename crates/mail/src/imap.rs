//! Fetching a mailbox over IMAP, the pure part: which settings are usable (and which field
//! is wrong when not), which messages a poll looks at given how far the last one got, and
//! how long to wait after a failure. The connection itself is in [`crate::imap_client`].

use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 993).
    Tls,
    /// Plain, then STARTTLS before anything else is said (port 143); never falls back.
    StartTls,
    /// Plain text: only to a server on this machine (loopback).
    None,
}

impl Security {
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
            Security::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Security> {
        match s {
            "tls" => Some(Security::Tls),
            "starttls" => Some(Security::StartTls),
            "none" => Some(Security::None),
            _ => None,
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::StartTls | Security::None => 143,
        }
    }
}

/// What happens to a message on the server once it is taken in (committed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterImport {
    /// Flag it `\Seen` and leave it in the folder.
    Seen,
    /// Move it to this folder.
    Move(String),
}

impl AfterImport {
    pub fn as_str(&self) -> &'static str {
        match self {
            AfterImport::Seen => "seen",
            AfterImport::Move(_) => "move",
        }
    }

    pub fn move_to(&self) -> Option<&str> {
        match self {
            AfterImport::Seen => None,
            AfterImport::Move(f) => Some(f),
        }
    }
}

/// Usable settings for one mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub after_import: AfterImport,
}

/// Settings as an admin wrote them, each part optional.
#[derive(Debug, Clone, Default)]
pub struct ImapDraft {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub folder: Option<String>,
    pub after_import: Option<String>,
    pub move_to: Option<String>,
}

/// Why settings are refused, and the field to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub field: &'static str,
    pub message: String,
}

fn refused(field: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        field,
        message: message.into(),
    }
}

/// A server on this machine: the only place a password may travel in plain text.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn usable_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// A folder name this client can say: printable ASCII (names with other characters need
/// IMAP's modified UTF-7, which heard does not write).
fn usable_folder(folder: &str) -> bool {
    !folder.is_empty()
        && folder.len() <= 200
        && folder
            .chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control() && c != '*' && c != '%')
}

fn text_without_breaks(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && !s.contains(['\r', '\n', '\0'])
}

/// Checks an admin's settings. `stored_password` is the one kept from before, used when
/// the draft names none (the API never shows it back, so a change need not repeat it).
pub fn settings(d: &ImapDraft, stored_password: Option<&str>) -> Result<ImapSettings, Refused> {
    let host = d.host.as_deref().map(str::trim).unwrap_or_default();
    if !usable_host(host) {
        return Err(refused(
            "imap.host",
            "the IMAP server's host name or IP address, e.g. imap.example.com",
        ));
    }
    let security = match d.security.as_deref() {
        None => Security::Tls,
        Some(s) => Security::parse(s)
            .ok_or_else(|| refused("imap.security", "security is tls, starttls or none"))?,
    };
    if security == Security::None && !is_loopback(host) {
        return Err(refused(
            "imap.security",
            "security none (plain text) is only for a server on this machine (127.0.0.1, ::1, localhost); use tls or starttls",
        ));
    }
    let port = match d.port {
        None => security.default_port(),
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| refused("imap.port", "port is between 1 and 65535"))?,
    };
    let username = d.username.as_deref().unwrap_or_default();
    if !text_without_breaks(username, 320) {
        return Err(refused(
            "imap.username",
            "the user name to log in with (at most 320 characters, one line)",
        ));
    }
    let password = match d.password.as_deref().or(stored_password) {
        Some(p) if text_without_breaks(p, 1000) => p.to_string(),
        _ => {
            return Err(refused(
                "imap.password",
                "the password to log in with (at most 1000 characters, one line)",
            ));
        }
    };
    let folder = d
        .folder
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or("INBOX");
    if !usable_folder(folder) {
        return Err(refused(
            "imap.folder",
            "a folder name in plain ASCII, without * or %, e.g. INBOX",
        ));
    }
    let move_to = d
        .move_to
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let after_import = match d.after_import.as_deref().unwrap_or("seen") {
        "seen" if move_to.is_none() => AfterImport::Seen,
        "seen" => {
            return Err(refused(
                "imap.move_to",
                "move_to goes with after_import \"move\"",
            ));
        }
        "move" => match move_to {
            Some(to) if usable_folder(to) && to != folder => AfterImport::Move(to.to_string()),
            Some(_) => {
                return Err(refused(
                    "imap.move_to",
                    "the folder to move taken-in mail to: plain ASCII, without * or %, and not the folder fetched from",
                ));
            }
            None => {
                return Err(refused(
                    "imap.move_to",
                    "after_import \"move\" needs move_to, the folder to move taken-in mail to",
                ));
            }
        },
        _ => {
            return Err(refused(
                "imap.after_import",
                "after_import is seen (flag it \\Seen) or move (to move_to)",
            ));
        }
    };
    Ok(ImapSettings {
        host: host.to_string(),
        port,
        security,
        username: username.to_string(),
        password,
        folder: folder.to_string(),
        after_import,
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The shorthand `imaps://user:password@host[:port]/FOLDER` (TLS) or `imap://…`
/// (STARTTLS; plain text when the host is on this machine), as settings that flag taken-in
/// mail `\Seen`. User and password may be percent-encoded.
pub fn settings_from_url(url: &str) -> Result<ImapSettings, Refused> {
    let bad = || {
        refused(
            "imap_url",
            "an IMAP URL looks like imaps://user:password@host/INBOX (imap:// for STARTTLS, or plain text on loopback)",
        )
    };
    let url = url.trim();
    let (security, rest) = if let Some(rest) = url.strip_prefix("imaps://") {
        (Security::Tls, rest)
    } else if let Some(rest) = url.strip_prefix("imap://") {
        (Security::StartTls, rest)
    } else {
        return Err(bad());
    };
    if url.len() > 1500 || url.contains(char::is_whitespace) {
        return Err(bad());
    }
    let (authority, folder) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = authority.rsplit_once('@').ok_or_else(bad)?;
    let (user, password) = userinfo.split_once(':').ok_or_else(bad)?;
    let port_of = |p: &str| p.parse::<i64>().map_err(|_| bad());
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (h, after) = bracketed.split_once(']').ok_or_else(bad)?;
        match after.strip_prefix(':') {
            Some(p) => (h, Some(port_of(p)?)),
            None if after.is_empty() => (h, None),
            None => return Err(bad()),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(port_of(p)?)),
            None => (hostport, None),
        }
    };
    let security = if security == Security::StartTls && is_loopback(host) {
        Security::None
    } else {
        security
    };
    let draft = ImapDraft {
        host: Some(host.to_string()),
        port,
        security: Some(security.as_str().into()),
        username: Some(percent_decode(user).ok_or_else(bad)?),
        password: Some(percent_decode(password).ok_or_else(bad)?),
        folder: Some(percent_decode(folder).ok_or_else(bad)?),
        after_import: None,
        move_to: None,
    };
    settings(&draft, None).map_err(|r| Refused {
        field: "imap_url",
        message: format!("{}: {}", bad().message, r.message),
    })
}

/// The settings as a URL without the password, for people to read.
pub fn display_url(s: &ImapSettings) -> String {
    let scheme = if s.security == Security::Tls {
        "imaps"
    } else {
        "imap"
    };
    let port = if s.port == s.security.default_port() {
        String::new()
    } else {
        format!(":{}", s.port)
    };
    format!(
        "{scheme}://{}@{}{port}/{}",
        s.username.replace('%', "%25").replace('@', "%40"),
        s.host,
        s.folder
    )
}

/// How far a mailbox's poller got in its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// The folder's UIDVALIDITY when these UIDs were read; `None` before the first poll.
    pub uid_validity: Option<u32>,
    /// Every message up to this UID was taken in and handled.
    pub last_uid: u32,
    /// The first scan covers UIDs up to here (what was in the folder when it began).
    pub scan_until: u32,
}

/// What a poll looks at next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The progress to start from (reset when the folder's UIDs changed meaning).
    pub progress: Progress,
    /// True when the stored progress was for another UIDVALIDITY (or there was none).
    pub reset: bool,
    /// The `UID SEARCH` criteria.
    pub search: String,
    /// Messages at or below this UID are taken from the first scan; when the search finds
    /// no more of them, progress moves up to `scan_until`.
    pub first_scan: bool,
}

/// Decides what to look at. The first poll of a folder (and the first after its
/// UIDVALIDITY changed) scans what is there: with `\Seen` marking only the messages not
/// yet seen (read mail is history, not a request), when moving everything (the folder is
/// a queue). Mail already taken in that the scan finds again is a duplicate to intake,
/// which only marks it. After that, each poll looks at UIDs above the last one handled,
/// seen or not.
pub fn plan(stored: Progress, uid_validity: u32, uid_next: u32, after: &AfterImport) -> Plan {
    let (progress, reset) = if stored.uid_validity == Some(uid_validity) {
        (stored, false)
    } else {
        (
            Progress {
                uid_validity: Some(uid_validity),
                last_uid: 0,
                scan_until: uid_next.saturating_sub(1),
            },
            true,
        )
    };
    if progress.last_uid < progress.scan_until {
        let unseen = if matches!(after, AfterImport::Seen) {
            " UNSEEN"
        } else {
            ""
        };
        Plan {
            search: format!(
                "UID {}:{}{unseen}",
                progress.last_uid + 1,
                progress.scan_until
            ),
            progress,
            reset,
            first_scan: true,
        }
    } else {
        Plan {
            search: format!("UID {}:*", progress.last_uid.max(progress.scan_until) + 1),
            progress,
            reset,
            first_scan: false,
        }
    }
}

/// The UIDs a search found that a poll should take, oldest first: `n:*` always matches
/// the newest message even below `n`, so those at or below the progress are dropped.
pub fn to_fetch(
    found: impl IntoIterator<Item = u32>,
    progress: &Progress,
    limit: usize,
) -> Vec<u32> {
    let mut uids: Vec<u32> = found
        .into_iter()
        .filter(|u| *u > progress.last_uid)
        .collect();
    uids.sort_unstable();
    uids.dedup();
    uids.truncate(limit);
    uids
}

/// How long to wait before connecting again after `failures` failures in a row:
/// 2 s, 4 s, 8 s… up to five minutes.
pub fn backoff(failures: u32) -> Duration {
    let secs = 2u64.saturating_pow(failures.clamp(1, 16));
    Duration::from_secs(secs.min(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ImapDraft {
        ImapDraft {
            host: Some("imap.example.com".into()),
            username: Some("desk".into()),
            password: Some("s3cret".into()),
            ..ImapDraft::default()
        }
    }

    #[test]
    fn fills_in_defaults_and_names_the_wrong_field() {
        let s = settings(&draft(), None).unwrap();
        assert_eq!(
            (s.port, s.security, s.folder.as_str(), &s.after_import),
            (993, Security::Tls, "INBOX", &AfterImport::Seen)
        );
        let field = |d: ImapDraft| settings(&d, None).unwrap_err().field;
        assert_eq!(
            field(ImapDraft {
                host: Some("bad host".into()),
                ..draft()
            }),
            "imap.host"
        );
        assert_eq!(
            field(ImapDraft {
                security: Some("none".into()),
                ..draft()
            }),
            "imap.security"
        );
        assert_eq!(
            field(ImapDraft {
                port: Some(70000),
                ..draft()
            }),
            "imap.port"
        );
        assert_eq!(
            field(ImapDraft {
                password: None,
                ..draft()
            }),
            "imap.password"
        );
        assert_eq!(
            field(ImapDraft {
                after_import: Some("move".into()),
                ..draft()
            }),
            "imap.move_to"
        );
        assert_eq!(
            field(ImapDraft {
                folder: Some("Gelöscht".into()),
                ..draft()
            }),
            "imap.folder"
        );
        // The stored password serves when none is given.
        assert_eq!(
            settings(
                &ImapDraft {
                    password: None,
                    ..draft()
                },
                Some("kept")
            )
            .unwrap()
            .password,
            "kept"
        );
        let plain = settings(
            &ImapDraft {
                host: Some("127.0.0.1".into()),
                security: Some("none".into()),
                ..draft()
            },
            None,
        )
        .unwrap();
        assert_eq!((plain.port, plain.security), (143, Security::None));
    }

    #[test]
    fn reads_the_url_shorthand() {
        let s = settings_from_url("imaps://billing:s3cret%40x@mail.desk.test/INBOX").unwrap();
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.username.as_str(),
                s.password.as_str()
            ),
            ("mail.desk.test", 993, "billing", "s3cret@x")
        );
        assert_eq!(display_url(&s), "imaps://billing@mail.desk.test/INBOX");
        let local = settings_from_url("imap://d:p@127.0.0.1:1143/Support").unwrap();
        assert_eq!(
            (local.security, local.port, local.folder.as_str()),
            (Security::None, 1143, "Support")
        );
        assert_eq!(
            settings_from_url("imap://d:p@mail.example.com/")
                .unwrap()
                .security,
            Security::StartTls
        );
        for bad in [
            "ftp://x",
            "imaps://",
            "imaps://host/INBOX",
            "imaps://u:p@/INBOX",
        ] {
            assert_eq!(
                settings_from_url(bad).unwrap_err().field,
                "imap_url",
                "{bad}"
            );
        }
    }

    #[test]
    fn plans_a_first_scan_then_new_uids_and_rescans_on_a_new_uidvalidity() {
        let first = plan(Progress::default(), 7, 11, &AfterImport::Seen);
        assert!(first.reset && first.first_scan);
        assert_eq!(first.search, "UID 1:10 UNSEEN");
        let moving = plan(
            Progress::default(),
            7,
            11,
            &AfterImport::Move("Done".into()),
        );
        assert_eq!(moving.search, "UID 1:10");
        let done = Progress {
            uid_validity: Some(7),
            last_uid: 10,
            scan_until: 10,
        };
        let next = plan(done, 7, 14, &AfterImport::Seen);
        assert!(!next.reset && !next.first_scan);
        assert_eq!(next.search, "UID 11:*");
        let changed = plan(done, 8, 3, &AfterImport::Seen);
        assert!(changed.reset);
        assert_eq!(changed.search, "UID 1:2 UNSEEN");
        let empty = plan(Progress::default(), 7, 1, &AfterImport::Seen);
        assert_eq!(empty.search, "UID 1:*");
        assert_eq!(to_fetch([12, 10, 11, 12], &done, 10), vec![11, 12]);
        assert_eq!(to_fetch([10], &done, 10), Vec::<u32>::new());
    }

    #[test]
    fn backs_off_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), Duration::from_secs(300));
    }
}
