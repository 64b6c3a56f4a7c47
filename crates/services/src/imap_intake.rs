//! Mail fetched from mailboxes over IMAP (`heard serve`'s pollers). Each message goes
//! through [`Services::ingest_mail`], the same path as SMTP and `heard mail import`, and
//! is flagged `\Seen` or moved only after intake has committed it: a crash before the
//! commit leaves it unmarked on the server (fetched again, taken in then), a crash after
//! it finds it again as a duplicate (intake counts a Message-ID or the same bytes once),
//! which is only marked. One process polls a mailbox at a time (a lease in the database);
//! intake's duplicate check covers the moments a lease changes hands.

use crate::Services;
use crate::mail_intake::Ingested;
use heard_mail::imap::{self, ImapDraft, ImapSettings, Progress};
use heard_mail::imap_client::{ImapSession, TlsTrust};
use heard_store::{ImapChange, MailboxImapRow};
use std::collections::HashMap;
use std::time::Duration;

/// How long a poller's claim on a mailbox lasts unless renewed (it renews far more often).
const LEASE_MS: i64 = 90_000;
/// A poller waits in steps of at most this long, renewing its lease and looking for new
/// settings between them.
const STEP: Duration = Duration::from_secs(20);
/// Messages taken per search before looking again.
const BATCH: usize = 100;

/// How `heard serve` polls: how often without IDLE news, whom TLS trusts, and who this
/// process is to the others (the holder of a mailbox's lease).
#[derive(Clone)]
pub struct ImapPolling {
    pub every: Duration,
    pub trust: TlsTrust,
    pub owner: String,
}

impl ImapPolling {
    /// Polling as a process of its own (a new lease holder).
    pub fn new(every: Duration, trust: TlsTrust) -> ImapPolling {
        ImapPolling {
            every,
            trust,
            owner: crate::auth::new_secret(&format!("{}-", std::process::id()))[..24].to_string(),
        }
    }
}

/// Why a connected poller stopped without an error.
enum Stop {
    /// The mailbox or its IMAP settings are gone.
    Gone,
    /// Another process polls it now.
    LeaseLost,
    /// The settings changed: connect again with the new ones.
    Changed,
}

pub(crate) fn settings_of(row: &MailboxImapRow) -> Result<ImapSettings, String> {
    let draft = ImapDraft {
        host: Some(row.host.clone()),
        port: Some(row.port),
        security: Some(row.security.clone()),
        username: Some(row.username.clone()),
        password: Some(row.password.clone()),
        folder: Some(row.folder.clone()),
        after_import: Some(row.after_import.clone()),
        move_to: row.move_to.clone(),
    };
    imap::settings(&draft, None).map_err(|r| format!("{}: {}", r.field, r.message))
}

fn progress_of(row: &MailboxImapRow) -> Progress {
    Progress {
        uid_validity: row.uid_validity.and_then(|v| u32::try_from(v).ok()),
        last_uid: u32::try_from(row.last_uid).unwrap_or(0),
        scan_until: u32::try_from(row.scan_until).unwrap_or(0),
    }
}

impl Services {
    /// Keeps a poller running for every mailbox fetched over IMAP, for as long as the
    /// process runs (the `heard serve` background task). Mailboxes added, changed or
    /// removed are picked up within seconds; several processes share the work.
    pub async fn imap_loop(self, polling: ImapPolling) {
        let owner = polling.owner.clone();
        // The pollers live in a set owned by this loop: stopping the loop stops them all.
        let mut pollers = tokio::task::JoinSet::new();
        let mut running: HashMap<i64, tokio::task::AbortHandle> = HashMap::new();
        let look_every = polling.every.min(Duration::from_secs(5));
        loop {
            while pollers.try_join_next().is_some() {}
            running.retain(|_, task| !task.is_finished());
            if let Err(e) = self.adopt_imap_urls().await {
                tracing::warn!(error = %e, "turning IMAP URLs into settings failed; retrying");
            }
            match self.store.imap_mailboxes().await {
                Ok(rows) => {
                    let now = self.now();
                    for row in rows {
                        let held_elsewhere = row.lease_owner.as_deref().is_some_and(|o| o != owner)
                            && row.lease_until >= now;
                        if running.contains_key(&row.mailbox_id) || held_elsewhere {
                            continue;
                        }
                        let task = pollers.spawn(self.clone().poll_mailbox(
                            row.mailbox_id,
                            owner.clone(),
                            polling.clone(),
                        ));
                        running.insert(row.mailbox_id, task);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "listing IMAP mailboxes failed; retrying"),
            }
            tokio::time::sleep(look_every).await;
        }
    }

    /// Mailboxes whose IMAP URL an older version kept get settings made from it.
    async fn adopt_imap_urls(&self) -> crate::Result<()> {
        for (id, url) in self.store.legacy_imap_urls().await? {
            match imap::settings_from_url(&url) {
                Ok(s) => {
                    let row = crate::mailboxes::settings_row(&s);
                    self.store
                        .set_mailbox_imap(id, ImapChange::Set(row))
                        .await?;
                }
                Err(r) => {
                    tracing::warn!(mailbox = id, reason = %r.message, "a mailbox's IMAP URL is not usable; not fetching it")
                }
            }
        }
        Ok(())
    }

    /// Polls one mailbox until it is gone or another process holds it: connect, take
    /// what is new, wait (IDLE or the poll interval), again; after a failure, wait longer
    /// each time (2 s up to 5 min), or until its settings change.
    async fn poll_mailbox(self, id: i64, owner: String, polling: ImapPolling) {
        let mut failures = 0u32;
        loop {
            let now = self.now();
            match self
                .store
                .take_imap_lease(id, &owner, now, now + LEASE_MS)
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(error = %e, mailbox = id, "taking the IMAP lease failed");
                    return;
                }
            }
            let row = match self.store.mailbox_imap(id).await {
                Ok(Some(row)) => row,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, mailbox = id, "reading IMAP settings failed");
                    return;
                }
            };
            let error = match settings_of(&row) {
                Ok(settings) => {
                    match self
                        .poll_connected(&row, &settings, &owner, &polling, &mut failures)
                        .await
                    {
                        Ok(Stop::Changed) => {
                            failures = 0;
                            continue;
                        }
                        Ok(Stop::Gone | Stop::LeaseLost) => return,
                        Err(e) => e,
                    }
                }
                Err(e) => format!("the stored settings are not usable: {e}"),
            };
            failures += 1;
            tracing::warn!(mailbox = id, address = %row.address, error = %error, failures, "fetching mail over IMAP failed");
            if let Err(e) = self.store.imap_failed(id, &error, self.now()).await {
                tracing::warn!(error = %e, mailbox = id, "recording the IMAP error failed");
            }
            // Back off, keeping the lease, and start again at once if the settings change.
            let until = tokio::time::Instant::now() + imap::backoff(failures);
            while tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let now = self.now();
                if !matches!(
                    self.store
                        .take_imap_lease(id, &owner, now, now + LEASE_MS)
                        .await,
                    Ok(true)
                ) {
                    return;
                }
                match self.store.mailbox_imap(id).await {
                    Ok(Some(r)) if r.settings_version == row.settings_version => {}
                    Ok(None) => return,
                    _ => {
                        failures = 0;
                        break;
                    }
                }
            }
        }
    }

    /// One connection's life: take what is new, wait, again, until something stops it.
    async fn poll_connected(
        &self,
        row: &MailboxImapRow,
        settings: &ImapSettings,
        owner: &str,
        polling: &ImapPolling,
        failures: &mut u32,
    ) -> Result<Stop, String> {
        let mut session = ImapSession::connect(settings, &polling.trust)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(mailbox = row.mailbox_id, address = %row.address, host = %settings.host, idle = session.offers_idle(), "fetching mail over IMAP");
        loop {
            match self.take_new_mail(&mut session, row, settings, owner).await {
                Ok(None) => {
                    *failures = 0;
                    if let Err(e) = self.store.imap_polled(row.mailbox_id, self.now()).await {
                        tracing::warn!(error = %e, "recording an IMAP poll failed");
                    }
                }
                Ok(Some(stop)) => {
                    session.logout().await;
                    return Ok(stop);
                }
                Err(e) => {
                    session.logout().await;
                    return Err(e);
                }
            }
            let deadline = tokio::time::Instant::now() + polling.every;
            loop {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                let (s, news) = session
                    .wait(left.min(STEP).max(Duration::from_millis(100)))
                    .await
                    .map_err(|e| e.to_string())?;
                session = s;
                let now = self.now();
                let still_ours = self
                    .store
                    .take_imap_lease(row.mailbox_id, owner, now, now + LEASE_MS)
                    .await
                    .map_err(|e| e.to_string())?;
                let stop = match self.store.mailbox_imap(row.mailbox_id).await {
                    _ if !still_ours => Some(Stop::LeaseLost),
                    Ok(None) => Some(Stop::Gone),
                    Ok(Some(r)) if r.settings_version != row.settings_version => {
                        Some(Stop::Changed)
                    }
                    Ok(Some(_)) => None,
                    Err(e) => return Err(e.to_string()),
                };
                if let Some(stop) = stop {
                    session.logout().await;
                    return Ok(stop);
                }
                if news || tokio::time::Instant::now() >= deadline {
                    break;
                }
            }
        }
    }

    /// Takes in every message new since the last poll, oldest first, marking each on the
    /// server only once intake has committed it, and recording progress after each.
    /// `Some` when the poller must stop; an error leaves the failing message unmarked
    /// and the progress before it, so the next poll tries it again.
    async fn take_new_mail(
        &self,
        session: &mut ImapSession,
        row: &MailboxImapRow,
        settings: &ImapSettings,
        owner: &str,
    ) -> Result<Option<Stop>, String> {
        let id = row.mailbox_id;
        let recipients = [row.address.clone()];
        loop {
            let selected = session.select().await.map_err(|e| e.to_string())?;
            let Some(stored) = self
                .store
                .mailbox_imap(id)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(Some(Stop::Gone));
            };
            if stored.settings_version != row.settings_version {
                return Ok(Some(Stop::Changed));
            }
            let uid_next = match selected.uid_next {
                Some(n) => n,
                None => session
                    .search("ALL")
                    .await
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .max()
                    .map_or(1, |m| m.saturating_add(1)),
            };
            let plan = imap::plan(
                progress_of(&stored),
                selected.uid_validity,
                uid_next,
                &settings.after_import,
            );
            let mut progress = plan.progress;
            let save = |p: Progress| async move {
                self.store
                    .save_imap_progress(
                        id,
                        owner,
                        row.settings_version,
                        i64::from(p.uid_validity.unwrap_or(0)),
                        i64::from(p.last_uid),
                        i64::from(p.scan_until),
                    )
                    .await
                    .map_err(|e| e.to_string())
            };
            if plan.reset {
                if stored.uid_validity.is_some() {
                    tracing::warn!(
                        mailbox = id,
                        "the folder's UIDVALIDITY changed; scanning it again (mail taken in before counts as a duplicate)"
                    );
                }
                if !save(progress).await? {
                    return Ok(Some(Stop::LeaseLost));
                }
            }
            let found = session
                .search(&plan.search)
                .await
                .map_err(|e| e.to_string())?;
            let uids = imap::to_fetch(found, &progress, BATCH);
            for &uid in &uids {
                if let Some(raw) = session.fetch(uid).await.map_err(|e| e.to_string())? {
                    match self.ingest_mail(&raw, &recipients).await {
                        Err(e) => {
                            return Err(format!(
                                "taking in the message with UID {uid} failed; it stays unmarked and is tried again: {e}"
                            ));
                        }
                        // Another process is taking the same mail in; it marks it.
                        Ok(Ingested::Busy) => return Ok(None),
                        Ok(done) => {
                            tracing::info!(
                                mailbox = id,
                                uid,
                                outcome = done.counter(),
                                "mail fetched over IMAP taken in"
                            );
                            session
                                .handled(uid, &settings.after_import)
                                .await
                                .map_err(|e| {
                                    format!("the message with UID {uid} was taken in, but marking it on the server failed (it is found again as a duplicate): {e}")
                                })?;
                        }
                    }
                }
                progress.last_uid = uid;
                if !save(progress).await? {
                    return Ok(Some(Stop::LeaseLost));
                }
            }
            if uids.len() == BATCH {
                continue;
            }
            if plan.first_scan {
                progress.last_uid = progress.last_uid.max(progress.scan_until);
                if !save(progress).await? {
                    return Ok(Some(Stop::LeaseLost));
                }
                continue;
            }
            return Ok(None);
        }
    }
}
