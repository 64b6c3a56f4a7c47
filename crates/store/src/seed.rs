//! Bulk writes for `heard seed`: many customers and tickets (with their messages, tags and
//! event logs) per transaction and per statement, with ids chosen by the caller so one
//! batch needs no round trip per row. Nothing here decides anything: the rows arrive
//! complete, computed by the same rules a live write uses.

use crate::backend::{in_transaction, with_reader};
use crate::tickets::TicketState;
use crate::{Result, Store};

/// A customer with one e-mail identity.
#[derive(Debug, Clone)]
pub struct SeedCustomer {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub organization_id: Option<i64>,
    pub time_zone: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct SeedMessage {
    pub id: i64,
    pub author_id: i64,
    pub kind: &'static str,
    pub channel: &'static str,
    pub body_text: String,
    pub analysis: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct SeedEvent {
    pub actor_id: Option<i64>,
    pub kind: &'static str,
    pub data: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct SeedTicket {
    pub id: i64,
    pub state: TicketState,
    pub channel: &'static str,
    pub requester_id: i64,
    pub organization_id: Option<i64>,
    pub tags: Vec<&'static str>,
    pub created_at: i64,
    pub updated_at: i64,
    pub messages: Vec<SeedMessage>,
    pub events: Vec<SeedEvent>,
    /// Root cause and resolution, recorded by an agent (required to close an upset
    /// customer's ticket).
    pub diagnosis: Option<SeedDiagnosis>,
}

#[derive(Debug, Clone)]
pub struct SeedDiagnosis {
    pub root_cause: &'static str,
    pub resolution: &'static str,
    pub recorded_by: i64,
    pub recorded_at: i64,
}

/// The highest ids in use, so a seed can continue after what is there.
#[derive(Debug, Clone, Copy, Default)]
pub struct SeedIds {
    pub user: i64,
    pub ticket: i64,
    pub message: i64,
}

/// `INSERT INTO table (cols) VALUES ($1, …), (…)` for `rows` rows. SQLite takes plain `?`:
/// it looks each `$N` up by name, which costs quadratic time in a statement this long.
fn values_sql(table: &str, columns: &[&str], rows: usize, numbered: bool) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// Rows per statement: both drivers take at least 32,766 parameters.
fn rows_per_statement(columns: usize) -> usize {
    30_000 / columns
}

/// Inserts `$rows` into `$table` in as few statements as the parameter limit allows,
/// binding each row with `$bind` (a closure-like `|query, row| query.bind(…)…`).
macro_rules! insert_rows {
    ($tx:ident, $numbered:expr, $table:expr, $columns:expr, $rows:expr, |$q:ident, $r:ident| $bind:expr) => {
        for chunk in $rows.chunks(rows_per_statement($columns.len())) {
            let sql = values_sql($table, $columns, chunk.len(), $numbered);
            let mut $q = sqlx::query(&sql);
            for $r in chunk {
                $q = $bind;
            }
            $q.execute(&mut *$tx).await?;
        }
    };
}

const TICKET_COLUMNS: &[&str] = &[
    "id",
    "subject",
    "status",
    "priority",
    "assignee_id",
    "team_id",
    "tier",
    "transfers",
    "frustration_score",
    "frustration_level",
    "abusive",
    "repeats",
    "policy_id",
    "next_update_due",
    "due_at",
    "queue_rank",
    "next_alert_at",
    "escalate_at",
    "channel",
    "requester_id",
    "organization_id",
    "version",
    "created_at",
    "updated_at",
];
const MESSAGE_COLUMNS: &[&str] = &[
    "id",
    "ticket_id",
    "author_id",
    "kind",
    "channel",
    "body_text",
    "analysis",
    "created_at",
];
const EVENT_COLUMNS: &[&str] = &["ticket_id", "actor_id", "kind", "data", "created_at"];
const DIAGNOSIS_COLUMNS: &[&str] = &[
    "ticket_id",
    "root_cause",
    "resolution",
    "recorded_by",
    "recorded_at",
];
const TAG_COLUMNS: &[&str] = &["ticket_id", "tag"];
const USER_COLUMNS: &[&str] = &[
    "id",
    "email",
    "name",
    "role",
    "organization_id",
    "time_zone",
    "created_at",
    "updated_at",
];
const IDENTITY_COLUMNS: &[&str] = &["user_id", "kind", "value", "created_at"];

impl Store {
    fn numbered_parameters(&self) -> bool {
        matches!(self.backend, crate::Backend::Postgres(_))
    }

    pub async fn seed_ids(&self) -> Result<SeedIds> {
        let (user, ticket, message): (i64, i64, i64) = with_reader!(self, |db| {
            sqlx::query_as(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM users),
                        (SELECT COALESCE(MAX(id), 0) FROM tickets),
                        (SELECT COALESCE(MAX(id), 0) FROM messages)",
            )
            .fetch_one(db)
            .await?
        });
        Ok(SeedIds {
            user,
            ticket,
            message,
        })
    }

    /// Customers (role customer, no password: they sign in by e-mailed link) and their
    /// e-mail identities, in one transaction.
    pub async fn insert_customers_bulk(&self, customers: &[SeedCustomer]) -> Result<()> {
        let numbered = self.numbered_parameters();
        in_transaction!(self, |tx| {
            insert_rows!(tx, numbered, "users", USER_COLUMNS, customers, |q, c| q
                .bind(c.id)
                .bind(&c.email)
                .bind(&c.name)
                .bind("customer")
                .bind(c.organization_id)
                .bind(&c.time_zone)
                .bind(c.created_at)
                .bind(c.created_at));
            insert_rows!(
                tx,
                numbered,
                "identities",
                IDENTITY_COLUMNS,
                customers,
                |q, c| q.bind(c.id).bind("email").bind(&c.email).bind(c.created_at)
            );
        });
        Ok(())
    }

    /// Tickets with their messages, tags and events, in one transaction. The search index
    /// is rebuilt afterwards (`heard reindex`), so no outbox rows are written.
    pub async fn insert_tickets_bulk(&self, tickets: &[SeedTicket]) -> Result<()> {
        let messages: Vec<(i64, &SeedMessage)> = tickets
            .iter()
            .flat_map(|t| t.messages.iter().map(move |m| (t.id, m)))
            .collect();
        let events: Vec<(i64, &SeedEvent)> = tickets
            .iter()
            .flat_map(|t| t.events.iter().map(move |e| (t.id, e)))
            .collect();
        let tags: Vec<(i64, &str)> = tickets
            .iter()
            .flat_map(|t| t.tags.iter().map(move |g| (t.id, *g)))
            .collect();
        let diagnoses: Vec<(i64, &SeedDiagnosis)> = tickets
            .iter()
            .filter_map(|t| t.diagnosis.as_ref().map(|d| (t.id, d)))
            .collect();
        let numbered = self.numbered_parameters();
        in_transaction!(self, |tx| {
            insert_rows!(tx, numbered, "tickets", TICKET_COLUMNS, tickets, |q, t| {
                let s = &t.state;
                q.bind(t.id)
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
                    .bind(1i64)
                    .bind(t.created_at)
                    .bind(t.updated_at)
            });
            insert_rows!(
                tx,
                numbered,
                "messages",
                MESSAGE_COLUMNS,
                messages,
                |q, m| {
                    let (ticket_id, m) = m;
                    q.bind(m.id)
                        .bind(*ticket_id)
                        .bind(m.author_id)
                        .bind(m.kind)
                        .bind(m.channel)
                        .bind(&m.body_text)
                        .bind(&m.analysis)
                        .bind(m.created_at)
                }
            );
            insert_rows!(tx, numbered, "events", EVENT_COLUMNS, events, |q, e| {
                let (ticket_id, e) = e;
                q.bind(*ticket_id)
                    .bind(e.actor_id)
                    .bind(e.kind)
                    .bind(&e.data)
                    .bind(e.created_at)
            });
            insert_rows!(tx, numbered, "ticket_tags", TAG_COLUMNS, tags, |q, g| q
                .bind(g.0)
                .bind(g.1));
            insert_rows!(
                tx,
                numbered,
                "ticket_diagnoses",
                DIAGNOSIS_COLUMNS,
                diagnoses,
                |q, d| q
                    .bind(d.0)
                    .bind(d.1.root_cause)
                    .bind(d.1.resolution)
                    .bind(d.1.recorded_by)
                    .bind(d.1.recorded_at)
            );
        });
        Ok(())
    }

    /// After writing ids by hand: PostgreSQL's identity sequences continue past them, and
    /// both planners learn the new table sizes.
    pub async fn finish_bulk(&self) -> Result<()> {
        match &self.backend {
            crate::Backend::Sqlite { writer, .. } => {
                sqlx::query("ANALYZE").execute(writer).await?;
            }
            crate::Backend::Postgres(pool) => {
                for table in ["users", "identities", "tickets", "messages", "events"] {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                       (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                    ))
                    .execute(pool)
                    .await?;
                }
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_numbered_row_by_row() {
        assert_eq!(
            values_sql("t", &["a", "b"], 2, true),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            values_sql("t", &["a"], 2, false),
            "INSERT INTO t (a) VALUES (?), (?)"
        );
        assert!(rows_per_statement(TICKET_COLUMNS.len()) * TICKET_COLUMNS.len() <= 32_766);
    }
}
