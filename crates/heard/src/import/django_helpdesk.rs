//! Reading a django-helpdesk database (its SQLite file or PostgreSQL) with sqlx, a batch
//! of tickets at a time; the rows are mapped by `heard_services::import::map` and written
//! by `Services::import_batch`. Only SELECTs: the source is never changed (SQLite is
//! opened read-only).

use super::Progress;
use anyhow::Context;
use heard_services::Services;
use heard_services::import::map::{
    self, DjangoAttachment, DjangoFollowUp, DjangoPeople, DjangoQueue, DjangoTicket, DjangoUser,
    ImportPerson, Source,
};
use heard_services::import::{BATCH_TICKETS, ImportBatch, ImportReport};
use sqlx::{PgPool, SqlitePool};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one query text on whichever database it is, with native types on each.
macro_rules! fetch {
    ($db:expr, $ty:ty, $sql:expr, |$q:ident| $bind:expr) => {{
        let sql: String = ($sql).to_string();
        match $db {
            Db::Sqlite(pool) => {
                let $q = sqlx::query_as::<_, $ty>(&sql);
                $bind.fetch_all(pool).await?
            }
            Db::Postgres(pool) => {
                let $q = sqlx::query_as::<_, $ty>(&sql);
                $bind.fetch_all(pool).await?
            }
        }
    }};
}

impl Db {
    async fn open(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(url)
                .await
                .with_context(|| format!("connecting to {}", crate::redact(url)))?;
            return Ok(Db::Postgres(pool));
        }
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or_default();
        if !Path::new(path).is_file() {
            anyhow::bail!("--from {url}: no such SQLite file (or give a postgres:// URL)");
        }
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&format!("sqlite:{path}"))?
            .read_only(true);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .with_context(|| format!("opening {path}"))?;
        Ok(Db::Sqlite(pool))
    }

    /// A datetime column as text both backends' rows parse alike (UTC).
    fn time(&self, column: &str) -> String {
        match self {
            Db::Sqlite(_) => format!("CAST({column} AS TEXT)"),
            Db::Postgres(_) => {
                format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
            }
        }
    }

    /// A boolean column as 0/1 (SQLite keeps integers, PostgreSQL booleans).
    fn flag(&self, column: &str) -> String {
        format!("CAST(CASE WHEN {column} THEN 1 ELSE 0 END AS BIGINT)")
    }
}

fn in_list(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn time(raw: &str, what: &str) -> anyhow::Result<i64> {
    map::parse_time(raw).with_context(|| format!("{what}: {raw:?} is not a date and time"))
}

type TicketRow = (
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    i64,
    i64,
    Option<String>,
    i64,
    Option<i64>,
);

type FollowUpRow = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);
type UserRow = (i64, String, String, String, String, i64, i64);

pub async fn import(
    services: &Services,
    from: &str,
    media_dir: Option<PathBuf>,
    progress: &mut Progress,
) -> anyhow::Result<ImportReport> {
    let db = Db::open(from).await?;
    let users: Vec<UserRow> = fetch!(
        &db,
        UserRow,
        &format!(
            "SELECT CAST(id AS BIGINT), username, email, first_name, last_name, {}, {}
             FROM auth_user ORDER BY id",
            db.flag("is_staff"),
            db.flag("is_superuser")
        ),
        |q| q
    );
    let queues: Vec<(i64, String, String)> = fetch!(
        &db,
        (i64, String, String),
        "SELECT CAST(id AS BIGINT), title, slug FROM helpdesk_queue ORDER BY id",
        |q| q
    );
    let total: Vec<(i64,)> = fetch!(
        &db,
        (i64,),
        "SELECT CAST(COUNT(*) AS BIGINT) FROM helpdesk_ticket",
        |q| q
    );
    progress.total = total.first().map_or(0, |t| t.0 as u64);

    let mut run = services
        .begin_import(Source::DjangoHelpdesk, &crate::redact(from))
        .await?;
    let mut skipped_people = Vec::new();
    let mut people = Vec::new();
    for (id, username, email, first_name, last_name, is_staff, is_superuser) in users {
        let u = DjangoUser {
            id,
            username,
            email,
            first_name,
            last_name,
            is_staff: is_staff != 0,
            is_superuser: is_superuser != 0,
        };
        match map::django_person(&u) {
            Ok(p) => people.push(p),
            Err(s) => skipped_people.push(s),
        }
    }
    let known = DjangoPeople::new(people.clone());
    let teams: HashMap<String, map::ImportTeam> = queues
        .into_iter()
        .map(|(id, title, slug)| {
            let t = map::django_team(&DjangoQueue { id, title, slug });
            (t.external_id.clone(), t)
        })
        .collect();

    let mut after = 0i64;
    let mut first = true;
    loop {
        let rows: Vec<TicketRow> = fetch!(
            &db,
            TicketRow,
            &format!(
                "SELECT CAST(id AS BIGINT), title, CAST(queue_id AS BIGINT), {}, {},
                        submitter_email, CAST(assigned_to_id AS BIGINT), CAST(status AS BIGINT),
                        {}, description, CAST(priority AS BIGINT), CAST(merged_to_id AS BIGINT)
                 FROM helpdesk_ticket WHERE id > $1 ORDER BY id LIMIT $2",
                db.time("created"),
                db.time("modified"),
                db.flag("on_hold")
            ),
            |q| q.bind(after).bind(BATCH_TICKETS as i64)
        );
        let Some(last) = rows.last() else { break };
        after = last.0;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let list = in_list(&ids);
        let followups: Vec<FollowUpRow> = fetch!(
            &db,
            FollowUpRow,
            &format!(
                "SELECT CAST(id AS BIGINT), CAST(ticket_id AS BIGINT), {}, title, comment, {},
                        CAST(user_id AS BIGINT)
                 FROM helpdesk_followup WHERE ticket_id IN ({list}) ORDER BY ticket_id, date, id",
                db.time("date"),
                db.flag("public")
            ),
            |q| q
        );
        let files: Vec<(i64, i64, String, String, String)> = fetch!(
            &db,
            (i64, i64, String, String, String),
            &format!(
                "SELECT CAST(a.id AS BIGINT), CAST(a.followup_id AS BIGINT), a.file, a.filename,
                        a.mime_type
                 FROM helpdesk_followupattachment a
                 JOIN helpdesk_followup f ON f.id = a.followup_id
                 WHERE f.ticket_id IN ({list}) ORDER BY a.id"
            ),
            |q| q
        );
        let copied: Vec<(i64, Option<String>)> = fetch!(
            &db,
            (i64, Option<String>),
            &format!(
                "SELECT CAST(c.ticket_id AS BIGINT), COALESCE(NULLIF(c.email, ''), u.email)
                 FROM helpdesk_ticketcc c LEFT JOIN auth_user u ON u.id = c.user_id
                 WHERE c.ticket_id IN ({list}) ORDER BY c.id"
            ),
            |q| q
        );

        let mut by_ticket: HashMap<i64, Vec<DjangoFollowUp>> = HashMap::new();
        for (id, ticket_id, date, title, comment, public, user_id) in followups {
            by_ticket
                .entry(ticket_id)
                .or_default()
                .push(DjangoFollowUp {
                    id,
                    ticket_id,
                    date: time(&date, "helpdesk_followup.date")?,
                    title,
                    comment,
                    public: public != 0,
                    user_id,
                });
        }
        let attachments: Vec<DjangoAttachment> = files
            .into_iter()
            .map(
                |(id, followup_id, file, filename, mime_type)| DjangoAttachment {
                    id,
                    followup_id,
                    file,
                    filename,
                    mime_type,
                },
            )
            .collect();
        let mut cc: HashMap<i64, Vec<String>> = HashMap::new();
        for (ticket_id, address) in copied {
            if let Some(a) = address {
                cc.entry(ticket_id).or_default().push(a);
            }
        }

        let mut batch = ImportBatch::default();
        if first {
            batch.skipped.append(&mut skipped_people);
            first = false;
        }
        let mut wanted_people: HashSet<String> = HashSet::new();
        for r in rows {
            let t = DjangoTicket {
                id: r.0,
                title: r.1,
                queue_id: r.2,
                created: time(&r.3, "helpdesk_ticket.created")?,
                modified: time(&r.4, "helpdesk_ticket.modified")?,
                submitter_email: r.5,
                assigned_to_id: r.6,
                status: r.7,
                on_hold: r.8 != 0,
                description: r.9,
                priority: r.10,
                merged_to_id: r.11,
            };
            let followups = by_ticket.remove(&t.id).unwrap_or_default();
            let ids: HashSet<i64> = followups.iter().map(|f| f.id).collect();
            let mine: Vec<DjangoAttachment> = attachments
                .iter()
                .filter(|a| ids.contains(&a.followup_id))
                .cloned()
                .collect();
            let copied = cc.remove(&t.id).unwrap_or_default();
            match map::django_ticket(&t, &followups, &mine, &known, &copied) {
                Ok((ticket, new_people, skipped)) => {
                    batch.skipped.extend(skipped);
                    wanted_people.insert(ticket.requester.clone());
                    wanted_people.extend(ticket.assignee.clone());
                    wanted_people.extend(ticket.messages.iter().map(|m| m.author.clone()));
                    if let Some(team) = ticket.team.as_ref().and_then(|k| teams.get(k))
                        && !batch.teams.contains(team)
                    {
                        batch.teams.push(team.clone());
                    }
                    for m in &ticket.messages {
                        for a in &m.attachments {
                            if let Some(bytes) = media_dir
                                .as_ref()
                                .and_then(|d| std::fs::read(d.join(&a.location)).ok())
                            {
                                batch.files.insert(a.location.clone(), bytes);
                            }
                        }
                    }
                    batch.people.extend(new_people);
                    batch.tickets.push(ticket);
                }
                Err(s) => batch.skipped.push(s),
            }
        }
        let known_people: Vec<ImportPerson> = known
            .by_id
            .values()
            .filter(|p| wanted_people.contains(&p.external_id))
            .cloned()
            .collect();
        batch.people.extend(known_people);
        let n = batch.tickets.len() as u64
            + batch.skipped.iter().filter(|s| s.kind == "ticket").count() as u64;
        services.import_batch(&mut run, batch).await?;
        progress.advance(n);
    }
    if !skipped_people.is_empty() {
        // No tickets at all: the users that could not be brought in are still reported.
        services
            .import_batch(
                &mut run,
                ImportBatch {
                    skipped: skipped_people,
                    ..Default::default()
                },
            )
            .await?;
    }
    Ok(services.finish_import(run).await?)
}
