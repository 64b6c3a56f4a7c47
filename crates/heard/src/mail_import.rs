//! `heard mail import PATH…`: `.eml` files, Maildir folders and mbox files, each mail
//! through the same intake as the SMTP listener. Every mail read is counted in exactly
//! one of tickets, replies, quarantined, rejected and duplicates.

use anyhow::Context;
use heard_services::Services;
use heard_services::mail_intake::Ingested;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub read: u64,
    pub tickets: u64,
    pub replies: u64,
    pub quarantined: u64,
    pub rejected: u64,
    pub duplicates: u64,
    /// Why mail was quarantined or rejected, and how often.
    pub reasons: BTreeMap<String, u64>,
}

impl Summary {
    fn count(&mut self, outcome: &Ingested) {
        self.read += 1;
        match outcome.counter() {
            "tickets" => self.tickets += 1,
            "replies" => self.replies += 1,
            "quarantined" => self.quarantined += 1,
            "rejected" => self.rejected += 1,
            _ => self.duplicates += 1,
        }
        if let Some(reason) = outcome.reason() {
            *self.reasons.entry(reason.to_string()).or_default() += 1;
        }
    }
}

/// One source of mail: a single message, an mbox file, or a folder of either.
fn sources(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Maildir keeps mail being delivered in tmp/: not mail yet.
            if name.starts_with('.') || (name == "tmp" && entry.is_dir()) {
                continue;
            }
            sources(&entry, out)?;
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    } else {
        anyhow::bail!("{} is neither a file nor a folder", path.display());
    }
    Ok(())
}

/// The mails in one file: several when it is an mbox (it starts with a `From ` line).
fn mails_in(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    if bytes.starts_with(b"From ") {
        mail_parser::mailbox::mbox::MessageIterator::new(std::io::Cursor::new(bytes))
            .filter_map(|m| m.ok())
            .map(|m| m.unwrap_contents())
            .collect()
    } else {
        vec![bytes]
    }
}

pub async fn import(services: &Services, paths: &[PathBuf]) -> anyhow::Result<Summary> {
    let mut files = Vec::new();
    for p in paths {
        sources(p, &mut files)?;
    }
    let mut summary = Summary::default();
    for file in files {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        for raw in mails_in(bytes) {
            let outcome = services
                .import_mail(&raw)
                .await
                .with_context(|| format!("taking in a mail from {}", file.display()))?;
            summary.count(&outcome);
        }
    }
    Ok(summary)
}
