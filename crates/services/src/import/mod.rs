//! `heard import …`: another help desk's history brought in, batch by batch. An adapter
//! (in the `heard` binary) reads the source and maps its rows with [`map`]; each
//! [`Services::import_batch`] then finds or creates the batch's people, organizations and
//! teams, decides per ticket whether it is new, changed at the source since the last
//! import, or unchanged (by a fingerprint of what was imported), and writes the new and
//! changed ones with the run's progress in one transaction.
//!
//! Imported history is history: no acknowledgement, notification or webhook is sent for
//! it (the only event written is `imported`, which no subscription or mail listens to),
//! and the service-level clocks of a ticket start at the import, under the status it had
//! at the source: closed tickets are closed, and open ones owe their next answer within
//! the policy's targets counted from the import, never from the original dates.

pub mod map;
pub mod zendesk;

use crate::auth::sha256_hex;
use crate::service_levels::clocks_in;
use crate::{Result, Services};
use heard_store::{
    ImportAttachmentRow, ImportDirectory, ImportMessageRow, ImportNamedRow, ImportPersonRow,
    ImportTicketRow, NewEvent, TicketState, UnfinishedRun,
};
use map::{ImportOrganization, ImportPerson, ImportTeam, ImportTicket, Skipped, Source};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Tickets per transaction: a crash loses at most this much work, which the next run
/// redoes.
pub const BATCH_TICKETS: usize = 200;

/// One batch as an adapter read and mapped it.
#[derive(Debug, Default)]
pub struct ImportBatch {
    pub organizations: Vec<ImportOrganization>,
    pub teams: Vec<ImportTeam>,
    pub people: Vec<ImportPerson>,
    pub tickets: Vec<ImportTicket>,
    /// Attachment bytes by [`map::ImportAttachment::location`]; one missing is skipped.
    pub files: HashMap<String, Vec<u8>>,
    /// What the adapter could not map, to report.
    pub skipped: Vec<Skipped>,
}

/// What an import did, for the summary line and `import_runs.report`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub source: &'static str,
    /// Source tickets looked at (each counted once: created, updated, unchanged or skipped).
    pub tickets_read: u64,
    pub tickets_created: u64,
    pub tickets_updated: u64,
    pub tickets_unchanged: u64,
    pub tickets_skipped: u64,
    pub messages: u64,
    pub internal_notes: u64,
    pub attachments: u64,
    /// New records per kind (person, team, organization).
    pub created: BTreeMap<&'static str, u64>,
    /// Records matched to ones already in heard by e-mail address or name.
    pub merged: BTreeMap<&'static str, u64>,
    /// Skipped records per reason code (tickets, messages, people, attachments).
    pub skipped: BTreeMap<&'static str, u64>,
    /// The first skipped records, with why.
    pub skipped_examples: Vec<Skipped>,
    /// A run that had stopped before its end and which this one carried on.
    pub resumed_after: Option<i64>,
    pub seconds: f64,
    pub tickets_per_second: f64,
}

impl ImportReport {
    fn skip(&mut self, s: Skipped) {
        if s.kind == "ticket" {
            self.tickets_skipped += 1;
            self.tickets_read += 1;
        }
        *self.skipped.entry(s.code).or_default() += 1;
        if self.skipped_examples.len() < 20 {
            self.skipped_examples.push(s);
        }
    }

    /// A few readable lines for a person at a terminal.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{}: {} tickets read: {} created, {} updated, {} unchanged, {} skipped; \
             {} messages ({} internal notes), {} attachments",
            self.source,
            self.tickets_read,
            self.tickets_created,
            self.tickets_updated,
            self.tickets_unchanged,
            self.tickets_skipped,
            self.messages,
            self.internal_notes,
            self.attachments
        );
        for (what, map) in [
            ("new", &self.created),
            ("matched to existing", &self.merged),
        ] {
            if !map.is_empty() {
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{v} {k}")).collect();
                out.push_str(&format!("\n{what}: {}", parts.join(", ")));
            }
        }
        if !self.skipped.is_empty() {
            let parts: Vec<String> = self
                .skipped
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            out.push_str(&format!("\nskipped: {}", parts.join(", ")));
            for s in self.skipped_examples.iter().take(5) {
                out.push_str(&format!(
                    "\n  {} {}: {} ({})",
                    s.kind, s.external_id, s.detail, s.code
                ));
            }
        }
        if let Some(run) = self.resumed_after {
            out.push_str(&format!("\ncarried on from run {run}, which had stopped"));
        }
        out.push_str(&format!(
            "\n{:.1} s, {:.0} tickets/s",
            self.seconds, self.tickets_per_second
        ));
        out
    }
}

/// A run in progress.
pub struct ImportRun {
    pub id: i64,
    pub source: Source,
    pub report: ImportReport,
    started: std::time::Instant,
}

/// What a ticket becomes this time, given what the last import of it recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketPlan {
    Create,
    Update(i64),
    Unchanged,
}

/// New tickets are created; one imported before is updated only when the source changed
/// it since (its fingerprint differs), so changes made in heard in between are not
/// overwritten by the same old data.
pub fn plan_ticket(earlier: Option<(i64, &str)>, fingerprint: &str) -> TicketPlan {
    match earlier {
        None => TicketPlan::Create,
        Some((_, f)) if f == fingerprint => TicketPlan::Unchanged,
        Some((id, _)) => TicketPlan::Update(id),
    }
}

/// A stable hash of what a ticket brings: its fields and conversation (attachments by
/// name and place; a message already brought in keeps its files).
pub fn fingerprint(t: &ImportTicket) -> String {
    sha256_hex(serde_json::to_string(t).unwrap_or_default().as_bytes())
}

impl Services {
    /// Starts a run from `source` (`origin` says where it reads, without secrets). An
    /// earlier run that stopped halfway is named in the report: its batches are in the
    /// database, so this one finds them unchanged and carries on after them.
    pub async fn begin_import(&self, source: Source, origin: &str) -> Result<ImportRun> {
        let unfinished: Option<UnfinishedRun> =
            self.store.unfinished_import_run(source.as_str()).await?;
        let id = self
            .store
            .start_import_run(source.as_str(), origin, self.now())
            .await?;
        Ok(ImportRun {
            id,
            source,
            report: ImportReport {
                source: source.as_str(),
                resumed_after: unfinished.map(|u| u.id),
                ..Default::default()
            },
            started: std::time::Instant::now(),
        })
    }

    /// Brings one batch in: people, organizations and teams first (found by earlier
    /// import, e-mail address or name, else created — staff as agents without a
    /// password, who choose one through "forgot password"), then the tickets that are
    /// new or changed, with the run's progress, in one transaction.
    pub async fn import_batch(&self, run: &mut ImportRun, batch: ImportBatch) -> Result<()> {
        let source = run.source.as_str();
        let now = self.now();
        for s in batch.skipped {
            run.report.skip(s);
        }
        let mut seen = HashSet::new();
        let staff: HashMap<&str, bool> = batch
            .people
            .iter()
            .map(|p| (p.external_id.as_str(), p.staff))
            .collect();
        let directory = ImportDirectory {
            organizations: batch
                .organizations
                .iter()
                .filter(|o| seen.insert(("o", o.external_id.clone())))
                .map(|o| ImportNamedRow {
                    external_id: o.external_id.clone(),
                    name: o.name.clone(),
                    description: String::new(),
                })
                .collect(),
            teams: batch
                .teams
                .iter()
                .filter(|t| seen.insert(("t", t.external_id.clone())))
                .map(|t| ImportNamedRow {
                    external_id: t.external_id.clone(),
                    name: t.name.clone(),
                    description: t.description.clone(),
                })
                .collect(),
            people: batch
                .people
                .iter()
                .filter(|p| seen.insert(("p", p.external_id.clone())))
                .map(|p| ImportPersonRow {
                    external_id: p.external_id.clone(),
                    email: p.email.clone(),
                    name: p.name.clone(),
                    role: if p.staff { "agent" } else { "customer" },
                    organization: p.organization.clone(),
                })
                .collect(),
        };
        let ids = self
            .store
            .write_import_directory(source, &directory, now)
            .await?;
        for (k, v) in &ids.created {
            *run.report.created.entry(*k).or_default() += *v;
        }
        for (k, v) in &ids.matched {
            *run.report.merged.entry(*k).or_default() += *v;
        }
        let organization_of: HashMap<&str, i64> = batch
            .people
            .iter()
            .filter_map(|p| {
                let org = ids.organizations.get(p.organization.as_ref()?)?;
                Some((p.external_id.as_str(), *org))
            })
            .collect();

        let external: Vec<String> = batch
            .tickets
            .iter()
            .map(|t| t.external_id.clone())
            .collect();
        let earlier = self.store.import_refs(source, "ticket", &external).await?;
        let book = self.policy_book().await?;
        let mut rows = Vec::new();
        for t in &batch.tickets {
            run.report.tickets_read += 1;
            let print = fingerprint(t);
            let plan = plan_ticket(
                earlier
                    .get(&t.external_id)
                    .map(|r| (r.heard_id, r.fingerprint.as_str())),
                &print,
            );
            if plan == TicketPlan::Unchanged {
                run.report.tickets_unchanged += 1;
                continue;
            }
            let Some(&requester_id) = ids.people.get(&t.requester) else {
                run.report.skip(Skipped::new(
                    "ticket",
                    t.external_id.clone(),
                    "requester_unknown",
                    format!("its requester {} was not imported", t.requester),
                ));
                continue;
            };
            let assignee_id = t.assignee.as_ref().and_then(|a| ids.people.get(a).copied());
            let team_id = t.team.as_ref().and_then(|k| ids.teams.get(k).copied());
            let organization_id = organization_of.get(t.requester.as_str()).copied();
            let mut messages = Vec::new();
            for m in &t.messages {
                let Some(&author_id) = ids.people.get(&m.author) else {
                    run.report.skip(Skipped::new(
                        "message",
                        m.external_id.clone(),
                        "author_unknown",
                        format!("its author {} was not imported", m.author),
                    ));
                    continue;
                };
                let mut attachments = Vec::new();
                for a in &m.attachments {
                    match batch.files.get(&a.location) {
                        Some(bytes) => attachments.push(ImportAttachmentRow {
                            external_id: a.external_id.clone(),
                            file_name: a.file_name.clone(),
                            content_type: a.content_type.clone(),
                            sha256: sha256_hex(bytes),
                            bytes: bytes.clone(),
                        }),
                        None => run.report.skip(Skipped::new(
                            "attachment",
                            a.external_id.clone(),
                            "file_missing",
                            format!("{} ({}) was not found", a.file_name, a.location),
                        )),
                    }
                }
                messages.push(ImportMessageRow {
                    external_id: m.external_id.clone(),
                    author_id,
                    kind: if m.internal { "internal" } else { "public" },
                    channel: t.channel,
                    body_text: m.body.clone(),
                    created_at: m.created_at,
                    attachments,
                });
            }
            let mut state = TicketState {
                subject: t.subject.clone(),
                status: t.status.into(),
                priority: t.priority.into(),
                assignee_id,
                team_id,
                tier: 1,
                transfers: 0,
                frustration_score: None,
                frustration_level: None,
                abusive: false,
                repeats: 0,
                policy_id: None,
                next_update_due: None,
                due_at: None,
                queue_rank: 0,
                next_alert_at: None,
                escalate_at: None,
            };
            let (existing_events, data) = match plan {
                TicketPlan::Update(id) => (
                    self.store.events(id).await?,
                    json!({"update": true, "source": source, "external_id": t.external_id,
                           "reference": t.reference, "status": t.status}),
                ),
                _ => (
                    Vec::new(),
                    json!({
                        "source": source,
                        "external_id": t.external_id,
                        "reference": t.reference,
                        "status": t.status,
                        "channel": t.channel,
                        "team_id": team_id,
                        "policy": Self::select_policy(&book, t.priority, t.channel, team_id, organization_id),
                        "answered": t.answered(&|p| staff.get(p).copied().unwrap_or(false)),
                        "created_at": crate::views::rfc3339(t.created_at),
                    }),
                ),
            };
            let event = NewEvent {
                actor_id: None,
                kind: "imported".into(),
                data: data.clone(),
            };
            let clocks = clocks_in(&book, &existing_events, &[event], now);
            Self::apply_clocks(&mut state, &clocks, now);
            rows.push(ImportTicketRow {
                external_id: t.external_id.clone(),
                reference: t.reference.clone(),
                fingerprint: print,
                existing: match plan {
                    TicketPlan::Update(id) => Some(id),
                    _ => None,
                },
                state,
                channel: t.channel,
                requester_id,
                organization_id,
                tags: t.tags.clone(),
                copied: t.copied.clone(),
                created_at: t.created_at,
                updated_at: t.updated_at,
                messages,
                event: data,
            });
        }
        let written = self
            .store
            .write_import_tickets(source, run.id, &rows, now)
            .await?;
        for (row, done) in rows.iter().zip(&written) {
            if row.existing.is_some() {
                run.report.tickets_updated += 1;
            } else {
                run.report.tickets_created += 1;
            }
            run.report.messages += done.messages;
            run.report.internal_notes += done.internal;
            run.report.attachments += done.attachments;
        }
        Ok(())
    }

    /// Ends a run: its report is kept with it.
    pub async fn finish_import(&self, mut run: ImportRun) -> Result<ImportReport> {
        let seconds = run.started.elapsed().as_secs_f64();
        run.report.seconds = seconds;
        run.report.tickets_per_second = if seconds > 0.0 {
            (run.report.tickets_created + run.report.tickets_updated) as f64 / seconds
        } else {
            0.0
        };
        let report = serde_json::to_value(&run.report).unwrap_or_default();
        self.store
            .finish_import_run(run.source.as_str(), run.id, &report, self.now())
            .await?;
        Ok(run.report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_created_once_and_updated_only_when_the_source_changed() {
        assert_eq!(plan_ticket(None, "a"), TicketPlan::Create);
        assert_eq!(plan_ticket(Some((7, "a")), "a"), TicketPlan::Unchanged);
        assert_eq!(plan_ticket(Some((7, "a")), "b"), TicketPlan::Update(7));
    }

    fn ticket() -> ImportTicket {
        ImportTicket {
            external_id: "1".into(),
            reference: "DH-1".into(),
            subject: "s".into(),
            status: "open",
            priority: "normal",
            channel: "email",
            requester: "user:1".into(),
            assignee: None,
            team: None,
            tags: vec![],
            copied: vec![],
            created_at: 1,
            updated_at: 2,
            messages: vec![map::ImportMessage {
                external_id: "m1".into(),
                author: "user:1".into(),
                internal: false,
                body: "hi".into(),
                created_at: 1,
                attachments: vec![map::ImportAttachment {
                    external_id: "a1".into(),
                    file_name: "x.txt".into(),
                    content_type: "text/plain".into(),
                    location: "x.txt".into(),
                }],
            }],
        }
    }

    #[test]
    fn the_fingerprint_follows_fields_and_messages() {
        let base = fingerprint(&ticket());
        assert_eq!(base, fingerprint(&ticket()));
        let mut t = ticket();
        t.status = "closed";
        assert_ne!(base, fingerprint(&t));
        let mut t = ticket();
        t.messages[0].body = "hello".into();
        assert_ne!(base, fingerprint(&t));
    }

    #[test]
    fn imported_clocks_start_at_the_import_and_follow_the_status() {
        use crate::service_levels::{parse_book, sla_events};
        let book = parse_book(None).unwrap();
        // Monday 2026-06-15 10:00 UTC, inside office hours.
        let now = 1_781_517_600_000;
        let event = |status: &str, answered: bool| NewEvent {
            actor_id: None,
            kind: "imported".into(),
            data: json!({"policy": "standard", "status": status, "answered": answered,
                         "channel": "email"}),
        };
        let open = clocks_in(&book, &[], &[event("open", false)], now);
        let due = open
            .earliest_due()
            .expect("an open ticket has a clock running");
        assert!(due.as_millisecond() > now, "nothing is due on arrival");
        assert!(!open.first_response.as_ref().unwrap().breached);
        let answered = clocks_in(&book, &[], &[event("open", true)], now);
        assert!(answered.first_response.as_ref().unwrap().met);
        let closed = clocks_in(&book, &[], &[event("closed", false)], now);
        assert_eq!(closed.earliest_due(), None, "a closed ticket owes nothing");
        // Other kinds read as before; an update carries only the status.
        assert_eq!(
            sla_events(now, "noted", &json!({})).len(),
            1,
            "a note is still one event"
        );
        let update = sla_events(
            now,
            "imported",
            &json!({"update": true, "status": "resolved"}),
        );
        assert_eq!(update.len(), 1);
    }
}
