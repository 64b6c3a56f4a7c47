//! Writes for `heard import`: the people, organizations and teams of a batch, then its
//! tickets with their conversations, each in one transaction that also records what was
//! brought in (`import_refs`: source, kind, external id → heard id) and how far the run
//! got (`import_runs`). Nothing here decides: services hand over complete rows. Imported
//! tickets keep their original times; their one event (`imported`) is written at the
//! import's instant, and they reach the search index through the outbox like any write.

use crate::backend::in_transaction;
use crate::backend::with_reader;
use crate::tickets::TicketState;
use crate::{Result, Store};
use std::collections::HashMap;

/// A person to find (by earlier import, then by e-mail address) or create.
#[derive(Debug, Clone)]
pub struct ImportPersonRow {
    pub external_id: String,
    pub email: String,
    pub name: String,
    /// `customer` or `agent`: for a new account only; an existing one keeps its role.
    pub role: &'static str,
    pub organization: Option<String>,
}

/// An organization or team to find (by earlier import, then by name) or create.
#[derive(Debug, Clone)]
pub struct ImportNamedRow {
    pub external_id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportDirectory {
    pub organizations: Vec<ImportNamedRow>,
    pub teams: Vec<ImportNamedRow>,
    pub people: Vec<ImportPersonRow>,
}

/// What the directory's external ids are in heard, and what was created or matched.
#[derive(Debug, Clone, Default)]
pub struct DirectoryIds {
    pub organizations: HashMap<String, i64>,
    pub teams: HashMap<String, i64>,
    pub people: HashMap<String, i64>,
    /// Per kind: new records, and records matched to ones already in heard by address or
    /// name (the first time this source named them).
    pub created: HashMap<&'static str, u64>,
    pub matched: HashMap<&'static str, u64>,
}

#[derive(Debug, Clone)]
pub struct ImportAttachmentRow {
    pub external_id: String,
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct ImportMessageRow {
    pub external_id: String,
    pub author_id: i64,
    pub kind: &'static str,
    pub channel: &'static str,
    pub body_text: String,
    pub created_at: i64,
    pub attachments: Vec<ImportAttachmentRow>,
}

/// One ticket to insert (`existing` none) or to update in place.
#[derive(Debug, Clone)]
pub struct ImportTicketRow {
    pub external_id: String,
    pub reference: String,
    pub fingerprint: String,
    pub existing: Option<i64>,
    pub state: TicketState,
    pub channel: &'static str,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub tags: Vec<String>,
    pub copied: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Messages already brought in earlier (by external id) are left as they are.
    pub messages: Vec<ImportMessageRow>,
    /// The `imported` event's data.
    pub event: serde_json::Value,
}

/// What one ticket's write did.
#[derive(Debug, Clone)]
pub struct ImportedTicket {
    pub external_id: String,
    pub ticket_id: i64,
    pub messages: u64,
    /// Of `messages`, internal notes.
    pub internal: u64,
    pub attachments: u64,
}

/// An earlier import's record of one source record.
#[derive(Debug, Clone)]
pub struct ImportRef {
    pub heard_id: i64,
    pub fingerprint: String,
}

/// An import run that started and did not finish (crashed or interrupted).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnfinishedRun {
    pub id: i64,
    pub started_at: i64,
    pub tickets_done: i64,
    pub last_external_id: Option<String>,
}

macro_rules! insert_ref {
    ($tx:ident, $source:expr, $kind:expr, $external_id:expr, $heard_id:expr, $reference:expr, $fingerprint:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO import_refs (source, kind, external_id, heard_id, reference, fingerprint,
                                      imported_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             ON CONFLICT (source, kind, external_id) DO UPDATE SET heard_id = excluded.heard_id,
                 reference = excluded.reference, fingerprint = excluded.fingerprint,
                 updated_at = excluded.updated_at",
        )
        .bind($source)
        .bind($kind)
        .bind($external_id)
        .bind($heard_id)
        .bind($reference)
        .bind($fingerprint)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    };
}

macro_rules! find_ref {
    ($tx:ident, $source:expr, $kind:expr, $external_id:expr) => {
        sqlx::query_scalar::<_, i64>(
            "SELECT heard_id FROM import_refs WHERE source = $1 AND kind = $2 AND external_id = $3",
        )
        .bind($source)
        .bind($kind)
        .bind($external_id)
        .fetch_optional(&mut *$tx)
        .await?
    };
}

/// Finds or creates the organizations, teams and people of a directory.
macro_rules! write_directory {
    ($tx:ident, $source:expr, $d:expr, $now:expr) => {{
        let d: &ImportDirectory = $d;
        let mut ids = DirectoryIds::default();
        for (kind, table, rows) in [
            ("organization", "organizations", &d.organizations),
            ("team", "teams", &d.teams),
        ] {
            for r in rows {
                let id = match find_ref!($tx, $source, kind, &r.external_id) {
                    Some(id) => id,
                    None => {
                        let found = sqlx::query_scalar::<_, i64>(&format!(
                            "SELECT id FROM {table} WHERE name = $1"
                        ))
                        .bind(&r.name)
                        .fetch_optional(&mut *$tx)
                        .await?;
                        let id = match found {
                            Some(id) => {
                                *ids.matched.entry(kind).or_default() += 1;
                                id
                            }
                            None => {
                                *ids.created.entry(kind).or_default() += 1;
                                if kind == "team" {
                                    sqlx::query_scalar::<_, i64>(
                                        "INSERT INTO teams (name, description, created_at)
                                         VALUES ($1, $2, $3) RETURNING id",
                                    )
                                    .bind(&r.name)
                                    .bind(&r.description)
                                    .bind($now)
                                    .fetch_one(&mut *$tx)
                                    .await?
                                } else {
                                    sqlx::query_scalar::<_, i64>(
                                        "INSERT INTO organizations (name, created_at)
                                         VALUES ($1, $2) RETURNING id",
                                    )
                                    .bind(&r.name)
                                    .bind($now)
                                    .fetch_one(&mut *$tx)
                                    .await?
                                }
                            }
                        };
                        insert_ref!($tx, $source, kind, &r.external_id, id, None::<String>, "", $now);
                        id
                    }
                };
                if kind == "team" {
                    ids.teams.insert(r.external_id.clone(), id);
                } else {
                    ids.organizations.insert(r.external_id.clone(), id);
                }
            }
        }
        for p in &d.people {
            let id = match find_ref!($tx, $source, "person", &p.external_id) {
                Some(id) => id,
                None => {
                    let found = sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE email = $1")
                        .bind(&p.email)
                        .fetch_optional(&mut *$tx)
                        .await?;
                    let id = match found {
                        Some(id) => {
                            *ids.matched.entry("person").or_default() += 1;
                            id
                        }
                        None => {
                            *ids.created.entry("person").or_default() += 1;
                            let org = p
                                .organization
                                .as_ref()
                                .and_then(|o| ids.organizations.get(o).copied());
                            let id = sqlx::query_scalar::<_, i64>(
                                "INSERT INTO users (email, name, role, organization_id, created_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                            )
                            .bind(&p.email)
                            .bind(&p.name)
                            .bind(p.role)
                            .bind(org)
                            .bind($now)
                            .fetch_one(&mut *$tx)
                            .await?;
                            sqlx::query(
                                "INSERT INTO identities (user_id, kind, value, created_at)
                                 VALUES ($1, 'email', $2, $3) ON CONFLICT (kind, value) DO NOTHING",
                            )
                            .bind(id)
                            .bind(&p.email)
                            .bind($now)
                            .execute(&mut *$tx)
                            .await?;
                            id
                        }
                    };
                    insert_ref!($tx, $source, "person", &p.external_id, id, None::<String>, "", $now);
                    id
                }
            };
            ids.people.insert(p.external_id.clone(), id);
        }
        ids
    }};
}

/// Writes a batch of tickets with their messages, attachments, event and references.
macro_rules! write_tickets {
    ($tx:ident, $source:expr, $tickets:expr, $now:expr) => {{
        let mut done = Vec::new();
        for t in $tickets {
            let s = &t.state;
            let ticket_id: i64 = match t.existing {
                None => sqlx::query_scalar(
                    "INSERT INTO tickets (subject, status, priority, assignee_id, team_id, tier,
                         transfers, frustration_score, frustration_level, abusive, repeats,
                         policy_id, next_update_due, due_at, queue_rank, next_alert_at,
                         escalate_at, channel, requester_id, organization_id, version,
                         created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                             $16, $17, $18, $19,
                             COALESCE($20, (SELECT organization_id FROM users WHERE id = $19)),
                             1, $21, $22) RETURNING id",
                )
                .bind(&s.subject)
                .bind(&s.status)
                .bind(&s.priority)
                .bind(s.assignee_id)
                .bind(s.team_id)
                .bind(s.tier)
                .bind(s.transfers)
                .bind(s.frustration_score)
                .bind(&s.frustration_level)
                .bind(s.abusive)
                .bind(s.repeats)
                .bind(&s.policy_id)
                .bind(s.next_update_due)
                .bind(s.due_at)
                .bind(s.queue_rank)
                .bind(s.next_alert_at)
                .bind(s.escalate_at)
                .bind(t.channel)
                .bind(t.requester_id)
                .bind(t.organization_id)
                .bind(t.created_at)
                .bind(t.updated_at)
                .fetch_one(&mut *$tx)
                .await?,
                Some(id) => {
                    sqlx::query(
                        "UPDATE tickets SET subject = $1, status = $2, priority = $3,
                             assignee_id = $4, team_id = $5, policy_id = $6,
                             next_update_due = $7, due_at = $8, queue_rank = $9,
                             next_alert_at = $10, requester_id = $11,
                             organization_id = COALESCE($12, organization_id),
                             version = version + 1, updated_at = $13
                         WHERE id = $14",
                    )
                    .bind(&s.subject)
                    .bind(&s.status)
                    .bind(&s.priority)
                    .bind(s.assignee_id)
                    .bind(s.team_id)
                    .bind(&s.policy_id)
                    .bind(s.next_update_due)
                    .bind(s.due_at)
                    .bind(s.queue_rank)
                    .bind(s.next_alert_at)
                    .bind(t.requester_id)
                    .bind(t.organization_id)
                    .bind(t.updated_at)
                    .bind(id)
                    .execute(&mut *$tx)
                    .await?;
                    sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1")
                        .bind(id)
                        .execute(&mut *$tx)
                        .await?;
                    id
                }
            };
            for tag in &t.tags {
                sqlx::query(
                    "INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(ticket_id)
                .bind(tag)
                .execute(&mut *$tx)
                .await?;
            }
            for address in &t.copied {
                sqlx::query(
                    "INSERT INTO ticket_copied (ticket_id, address) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(ticket_id)
                .bind(address)
                .execute(&mut *$tx)
                .await?;
            }
            let (mut messages, mut internal, mut attachments) = (0u64, 0u64, 0u64);
            for m in &t.messages {
                if find_ref!($tx, $source, "message", &m.external_id).is_some() {
                    continue;
                }
                let message_id: i64 = sqlx::query_scalar(
                    "INSERT INTO messages (ticket_id, author_id, kind, channel, body_text, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(ticket_id)
                .bind(m.author_id)
                .bind(m.kind)
                .bind(m.channel)
                .bind(&m.body_text)
                .bind(m.created_at)
                .fetch_one(&mut *$tx)
                .await?;
                insert_ref!($tx, $source, "message", &m.external_id, message_id, None::<String>, "", $now);
                messages += 1;
                if m.kind == "internal" {
                    internal += 1;
                }
                for a in &m.attachments {
                    sqlx::query(
                        "INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3)
                         ON CONFLICT (sha256) DO NOTHING",
                    )
                    .bind(&a.sha256)
                    .bind(a.bytes.len() as i64)
                    .bind(&a.bytes)
                    .execute(&mut *$tx)
                    .await?;
                    let attachment_id: i64 = sqlx::query_scalar(
                        "INSERT INTO attachments (ticket_id, message_id, uploaded_by, file_name,
                             content_type, size, sha256, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(ticket_id)
                    .bind(message_id)
                    .bind(m.author_id)
                    .bind(&a.file_name)
                    .bind(&a.content_type)
                    .bind(a.bytes.len() as i64)
                    .bind(&a.sha256)
                    .bind(m.created_at)
                    .fetch_one(&mut *$tx)
                    .await?;
                    insert_ref!($tx, $source, "attachment", &a.external_id, attachment_id, None::<String>, "", $now);
                    attachments += 1;
                }
            }
            sqlx::query(
                "INSERT INTO events (ticket_id, actor_id, kind, data, created_at)
                 VALUES ($1, NULL, 'imported', $2, $3)",
            )
            .bind(ticket_id)
            .bind(t.event.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
            crate::kb::outbox!($tx, "ticket", ticket_id, $now);
            insert_ref!($tx, $source, "ticket", &t.external_id, ticket_id, Some(t.reference.as_str()), t.fingerprint.as_str(), $now);
            done.push(ImportedTicket {
                external_id: t.external_id.clone(),
                ticket_id,
                messages,
                internal,
                attachments,
            });
        }
        done
    }};
}

impl Store {
    /// What earlier imports from `source` recorded for these records of one kind.
    pub async fn import_refs(
        &self,
        source: &str,
        kind: &str,
        external_ids: &[String],
    ) -> Result<HashMap<String, ImportRef>> {
        let mut out = HashMap::new();
        for chunk in external_ids.chunks(500) {
            let rows: Vec<(String, i64, String)> = with_reader!(self, |db| {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT external_id, heard_id, fingerprint FROM import_refs WHERE source = ",
                );
                q.push_bind(source)
                    .push(" AND kind = ")
                    .push_bind(kind)
                    .push(" AND external_id IN (");
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(id);
                }
                q.push(")");
                q.build_query_as::<(String, i64, String)>()
                    .fetch_all(db)
                    .await?
            });
            for (external_id, heard_id, fingerprint) in rows {
                out.insert(
                    external_id,
                    ImportRef {
                        heard_id,
                        fingerprint,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Finds or creates a batch's organizations, teams and people, in one transaction.
    pub async fn write_import_directory(
        &self,
        source: &str,
        directory: &ImportDirectory,
        now: i64,
    ) -> Result<DirectoryIds> {
        Ok(in_transaction!(self, |tx| write_directory!(
            tx, source, directory, now
        )))
    }

    /// Writes a batch of tickets and moves the run's progress past them, in one
    /// transaction: after a crash, either the whole batch and its progress are there or
    /// neither is.
    pub async fn write_import_tickets(
        &self,
        source: &str,
        run_id: i64,
        tickets: &[ImportTicketRow],
        now: i64,
    ) -> Result<Vec<ImportedTicket>> {
        Ok(in_transaction!(self, |tx| {
            let done = write_tickets!(tx, source, tickets, now);
            if let Some(last) = tickets.last() {
                sqlx::query(
                    "UPDATE import_runs SET tickets_done = tickets_done + $1, last_external_id = $2
                     WHERE id = $3",
                )
                .bind(tickets.len() as i64)
                .bind(&last.external_id)
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            }
            done
        }))
    }

    /// The last run from `source` that never finished, if any.
    pub async fn unfinished_import_run(&self, source: &str) -> Result<Option<UnfinishedRun>> {
        Ok(with_reader!(self, |db| {
            sqlx::query_as::<_, UnfinishedRun>(
                "SELECT id, started_at, tickets_done, last_external_id FROM import_runs
                 WHERE source = $1 AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
            )
            .bind(source)
            .fetch_optional(db)
            .await?
        }))
    }

    pub async fn start_import_run(&self, source: &str, origin: &str, now: i64) -> Result<i64> {
        Ok(in_transaction!(self, |tx| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO import_runs (source, origin, started_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(source)
            .bind(origin)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }))
    }

    /// Closes a run (and any earlier unfinished one of the same source it carried on).
    pub async fn finish_import_run(
        &self,
        source: &str,
        run_id: i64,
        report: &serde_json::Value,
        now: i64,
    ) -> Result<()> {
        in_transaction!(self, |tx| {
            sqlx::query("UPDATE import_runs SET finished_at = $1, report = $2 WHERE id = $3")
                .bind(now)
                .bind(report.to_string())
                .bind(run_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE import_runs SET finished_at = $1 WHERE source = $2 AND finished_at IS NULL",
            )
            .bind(now)
            .bind(source)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The old numbers tickets were imported under, for the search index.
    pub async fn ticket_references(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let rows: Vec<(i64, String)> = with_reader!(self, |db| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT heard_id, reference FROM import_refs
                 WHERE kind = 'ticket' AND reference IS NOT NULL AND heard_id IN (",
            );
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(") ORDER BY heard_id");
            q.build_query_as::<(i64, String)>().fetch_all(db).await?
        });
        for (id, reference) in rows {
            out.entry(id).or_default().push(reference);
        }
        Ok(out)
    }
}
