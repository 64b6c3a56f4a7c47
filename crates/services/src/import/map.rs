//! From another help desk's records to heard's: the neutral shape every source is read
//! into, and the pure mappings from each source's rows to it. No I/O: the adapters in the
//! `heard` binary read the rows, these functions decide what they become (or why they
//! are skipped), and [`crate::Services::import_batch`] writes the result.

use heard_domain::EmailAddress;
use serde::Serialize;
use std::collections::HashMap;

/// Where records come from; also the prefix of the old ticket numbers people search for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Source {
    DjangoHelpdesk,
    Csv,
    Zendesk,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::DjangoHelpdesk => "django-helpdesk",
            Source::Csv => "csv",
            Source::Zendesk => "zendesk",
        }
    }

    /// The reference a ticket numbered `number` at this source is found by, e.g. `DH-42`.
    pub fn reference(self, number: &str) -> String {
        let prefix = match self {
            Source::DjangoHelpdesk => "DH",
            Source::Csv => "CSV",
            Source::Zendesk => "ZD",
        };
        format!("{prefix}-{number}")
    }
}

/// A person at the source: a customer, or staff (who become agents without a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPerson {
    pub external_id: String,
    /// Lower-case; an existing heard account with this address is the same person.
    pub email: String,
    pub name: String,
    pub staff: bool,
    pub organization: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportOrganization {
    pub external_id: String,
    pub name: String,
}

/// A queue or group at the source: a heard team (one of the same name is reused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportTeam {
    pub external_id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportAttachment {
    pub external_id: String,
    pub file_name: String,
    pub content_type: String,
    /// Where the adapter finds the bytes (a path under the source's files).
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportMessage {
    pub external_id: String,
    /// The person who wrote it (external id); staff write replies and notes.
    pub author: String,
    pub internal: bool,
    pub body: String,
    /// UTC milliseconds, as at the source.
    pub created_at: i64,
    pub attachments: Vec<ImportAttachment>,
}

/// One ticket with its whole conversation, as heard will hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportTicket {
    pub external_id: String,
    /// The old number, e.g. `DH-42`: kept with the ticket and found by search.
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    pub priority: &'static str,
    pub channel: &'static str,
    pub requester: String,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub tags: Vec<String>,
    /// Addresses copied on the ticket.
    pub copied: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub messages: Vec<ImportMessage>,
}

impl ImportTicket {
    /// The last public message came from staff: the customer has had an answer.
    pub fn answered(&self, staff: &dyn Fn(&str) -> bool) -> bool {
        self.messages
            .iter()
            .rev()
            .find(|m| !m.internal)
            .is_some_and(|m| staff(&m.author))
    }
}

/// Why a record was not brought in (`code` is what the report counts by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub kind: &'static str,
    pub external_id: String,
    pub code: &'static str,
    pub detail: String,
}

impl Skipped {
    pub fn new(
        kind: &'static str,
        external_id: impl Into<String>,
        code: &'static str,
        detail: impl Into<String>,
    ) -> Skipped {
        Skipped {
            kind,
            external_id: external_id.into(),
            code,
            detail: detail.into(),
        }
    }
}

/// A status by name, in heard's words or in those of other desks (Zendesk's `solved`,
/// `hold`, `pending`); `None` when unknown.
pub fn status_named(name: &str) -> Option<&'static str> {
    Some(
        match name
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "new" => "new",
            "open" | "reopened" | "in_progress" => "open",
            "pending" | "pending_customer" | "waiting" | "waiting_on_customer" => {
                "pending_customer"
            }
            "hold" | "on_hold" | "pending_third_party" => "pending_third_party",
            "solved" | "resolved" => "resolved",
            "closed" | "duplicate" => "closed",
            _ => return None,
        },
    )
}

/// A priority by name (`critical` is urgent, `medium` normal); `None` when unknown.
pub fn priority_named(name: &str) -> Option<&'static str> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "low" | "very_low" | "very low" | "lowest" => "low",
        "normal" | "medium" => "normal",
        "high" => "high",
        "urgent" | "critical" | "highest" => "urgent",
        _ => return None,
    })
}

/// A timestamp as sources write them: RFC 3339, or `YYYY-MM-DD HH:MM:SS[.ffffff]`
/// (UTC, as Django keeps them in SQLite), or a bare date. UTC milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    let civil = s.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        s.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.at(0, 0, 0, 0))
    })?;
    jiff::tz::TimeZone::UTC
        .to_timestamp(civil)
        .ok()
        .map(|t| t.as_millisecond())
}

fn email(raw: &str) -> Option<String> {
    EmailAddress::parse(raw).ok().map(String::from)
}

/// The name a customer known only by address goes by: the address's local part.
fn name_from_address(address: &str) -> String {
    address.split('@').next().unwrap_or(address).to_string()
}

// ------------------------------------------------------------------- django-helpdesk

/// `auth_user`, as read from a django-helpdesk database.
#[derive(Debug, Clone, Default)]
pub struct DjangoUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_staff: bool,
    pub is_superuser: bool,
}

/// `helpdesk_queue`.
#[derive(Debug, Clone, Default)]
pub struct DjangoQueue {
    pub id: i64,
    pub title: String,
    pub slug: String,
}

/// `helpdesk_ticket` (times already in UTC milliseconds).
#[derive(Debug, Clone, Default)]
pub struct DjangoTicket {
    pub id: i64,
    pub title: String,
    pub queue_id: i64,
    pub created: i64,
    pub modified: i64,
    pub submitter_email: Option<String>,
    pub assigned_to_id: Option<i64>,
    pub status: i64,
    pub on_hold: bool,
    pub description: Option<String>,
    pub priority: i64,
    pub merged_to_id: Option<i64>,
}

/// `helpdesk_followup`.
#[derive(Debug, Clone, Default)]
pub struct DjangoFollowUp {
    pub id: i64,
    pub ticket_id: i64,
    pub date: i64,
    pub title: Option<String>,
    pub comment: Option<String>,
    pub public: bool,
    pub user_id: Option<i64>,
}

/// `helpdesk_followupattachment`.
#[derive(Debug, Clone, Default)]
pub struct DjangoAttachment {
    pub id: i64,
    pub followup_id: i64,
    pub file: String,
    pub filename: String,
    pub mime_type: String,
}

/// django-helpdesk's status numbers: 1 open, 2 reopened, 3 resolved, 4 closed,
/// 5 duplicate; an open ticket put on hold waits on someone else.
pub fn django_status(status: i64, on_hold: bool) -> Option<&'static str> {
    Some(match status {
        1 | 2 if on_hold => "pending_third_party",
        1 | 2 => "open",
        3 => "resolved",
        4 | 5 => "closed",
        _ => return None,
    })
}

/// django-helpdesk's priorities: 1 critical, 2 high, 3 normal, 4 low, 5 very low.
pub fn django_priority(priority: i64) -> &'static str {
    match priority {
        ..=1 => "urgent",
        2 => "high",
        3 => "normal",
        _ => "low",
    }
}

/// A django-helpdesk user as a person, or why not (no usable e-mail address).
pub fn django_person(u: &DjangoUser) -> Result<ImportPerson, Skipped> {
    let address = email(&u.email).ok_or_else(|| {
        Skipped::new(
            "person",
            u.id.to_string(),
            "no_email",
            format!("user {} has no usable e-mail address", u.username),
        )
    })?;
    let full = format!("{} {}", u.first_name.trim(), u.last_name.trim());
    let name = match full.trim() {
        "" if u.username.trim().is_empty() => name_from_address(&address),
        "" => u.username.trim().to_string(),
        n => n.to_string(),
    };
    Ok(ImportPerson {
        external_id: format!("user:{}", u.id),
        email: address,
        name,
        staff: u.is_staff || u.is_superuser,
        organization: None,
    })
}

pub fn django_team(q: &DjangoQueue) -> ImportTeam {
    ImportTeam {
        external_id: format!("queue:{}", q.id),
        name: q.title.trim().to_string(),
        description: format!("Queue \"{}\" from django-helpdesk", q.slug),
    }
}

/// What the people of a django-helpdesk ticket resolve against: users by id (those with an
/// address), and their ids by address (a submitter with an account is that account).
#[derive(Debug, Default)]
pub struct DjangoPeople {
    pub by_id: HashMap<i64, ImportPerson>,
    pub by_email: HashMap<String, String>,
}

impl DjangoPeople {
    pub fn new(people: impl IntoIterator<Item = ImportPerson>) -> DjangoPeople {
        let mut p = DjangoPeople::default();
        for person in people {
            let id: i64 = person
                .external_id
                .trim_start_matches("user:")
                .parse()
                .unwrap_or_default();
            p.by_email
                .entry(person.email.clone())
                .or_insert_with(|| person.external_id.clone());
            p.by_id.insert(id, person);
        }
        p
    }
}

/// One django-helpdesk ticket with its follow-ups (oldest first) and their attachments,
/// as an [`ImportTicket`]; the customers it names that have no account come back too.
/// The description is the customer's first message; each follow-up with text is a
/// message (private ones internal notes), from its user or, when it has none (mail
/// received), from the submitter. Follow-ups without text or attachments (a status change
/// only) are left out and listed.
pub fn django_ticket(
    t: &DjangoTicket,
    followups: &[DjangoFollowUp],
    attachments: &[DjangoAttachment],
    people: &DjangoPeople,
    copied: &[String],
) -> Result<(ImportTicket, Vec<ImportPerson>, Vec<Skipped>), Skipped> {
    let external_id = t.id.to_string();
    let skip = |code, detail: String| Skipped::new("ticket", external_id.clone(), code, detail);
    let status = django_status(t.status, t.on_hold)
        .ok_or_else(|| skip("unknown_status", format!("status {}", t.status)))?;
    let mut new_people = Vec::new();
    let requester = match t.submitter_email.as_deref().and_then(email) {
        Some(address) => match people.by_email.get(&address) {
            Some(id) => id.clone(),
            None => {
                let id = format!("email:{address}");
                new_people.push(ImportPerson {
                    external_id: id.clone(),
                    name: name_from_address(&address),
                    email: address,
                    staff: false,
                    organization: None,
                });
                id
            }
        },
        None => {
            return Err(skip(
                "no_requester",
                format!(
                    "submitter {:?} is not an e-mail address",
                    t.submitter_email.as_deref().unwrap_or("")
                ),
            ));
        }
    };
    let mut skipped = Vec::new();
    let assignee = match t.assigned_to_id {
        Some(id) => match people.by_id.get(&id) {
            Some(p) => Some(p.external_id.clone()),
            None => {
                skipped.push(Skipped::new(
                    "assignee",
                    external_id.clone(),
                    "assignee_unknown",
                    format!("assigned to user {id}, who was not imported; left unassigned"),
                ));
                None
            }
        },
        None => None,
    };
    let mut messages = vec![ImportMessage {
        external_id: format!("ticket:{}", t.id),
        author: requester.clone(),
        internal: false,
        body: t.description.clone().unwrap_or_default().trim().to_string(),
        created_at: t.created,
        attachments: vec![],
    }];
    for f in followups {
        let files: Vec<ImportAttachment> = attachments
            .iter()
            .filter(|a| a.followup_id == f.id)
            .map(|a| ImportAttachment {
                external_id: a.id.to_string(),
                file_name: a.filename.clone(),
                content_type: if a.mime_type.is_empty() {
                    "application/octet-stream".into()
                } else {
                    a.mime_type.clone()
                },
                location: a.file.clone(),
            })
            .collect();
        let body = f.comment.as_deref().unwrap_or("").trim().to_string();
        if body.is_empty() && files.is_empty() {
            skipped.push(Skipped::new(
                "message",
                f.id.to_string(),
                "no_text",
                format!(
                    "follow-up \"{}\" on ticket {} has no text",
                    f.title.as_deref().unwrap_or(""),
                    t.id
                ),
            ));
            continue;
        }
        let author = match f.user_id.and_then(|u| people.by_id.get(&u)) {
            Some(p) => p.external_id.clone(),
            None => requester.clone(),
        };
        messages.push(ImportMessage {
            external_id: format!("followup:{}", f.id),
            author,
            internal: !f.public,
            body: if body.is_empty() {
                "(attachment)".into()
            } else {
                body
            },
            created_at: f.date,
            attachments: files,
        });
    }
    let mut tags = Vec::new();
    if t.status == 5 {
        tags.push("duplicate".to_string());
    }
    if t.merged_to_id.is_some() {
        tags.push("merged".to_string());
    }
    let subject = match t.title.trim() {
        "" => format!("Ticket {}", t.id),
        s => s.to_string(),
    };
    Ok((
        ImportTicket {
            reference: Source::DjangoHelpdesk.reference(&external_id),
            external_id,
            subject,
            status,
            priority: django_priority(t.priority),
            channel: "email",
            requester,
            assignee,
            team: Some(format!("queue:{}", t.queue_id)),
            tags,
            copied: copied.iter().filter_map(|c| email(c)).collect(),
            created_at: t.created,
            updated_at: t.modified.max(t.created),
            messages,
        },
        new_people,
        skipped,
    ))
}

// ------------------------------------------------------------------------------ CSV

/// The columns `heard import csv` reads (see docs/import.md); any order, header names as
/// here, unknown columns ignored.
pub const CSV_COLUMNS: &[&str] = &[
    "ticket_id",
    "subject",
    "status",
    "priority",
    "channel",
    "requester_email",
    "requester_name",
    "organization",
    "assignee_email",
    "assignee_name",
    "team",
    "tags",
    "created_at",
    "updated_at",
    "message_author_email",
    "message_author_name",
    "message_author_role",
    "message_kind",
    "message_body",
    "message_at",
];

/// One CSV row by column name.
pub type CsvRow = HashMap<String, String>;

fn field<'a>(row: &'a CsvRow, name: &str) -> &'a str {
    row.get(name).map(|s| s.trim()).unwrap_or("")
}

fn csv_person(address: &str, name: &str, staff: bool, org: Option<&str>) -> ImportPerson {
    ImportPerson {
        external_id: format!("email:{address}"),
        email: address.to_string(),
        name: if name.is_empty() {
            name_from_address(address)
        } else {
            name.to_string()
        },
        staff,
        organization: org.filter(|o| !o.is_empty()).map(|o| format!("org:{o}")),
    }
}

/// What the rows of one CSV ticket (in file order, numbered from 2 after the header)
/// make: the ticket with one message per row that has a body, the people and
/// organization and team they name, and what was skipped. The first row carries the
/// ticket's fields; later rows may repeat them.
pub struct CsvTicket {
    pub ticket: ImportTicket,
    pub people: Vec<ImportPerson>,
    pub organizations: Vec<ImportOrganization>,
    pub teams: Vec<ImportTeam>,
    pub skipped: Vec<Skipped>,
}

pub fn csv_ticket(rows: &[(usize, CsvRow)]) -> Result<CsvTicket, Skipped> {
    let Some((line, first)) = rows.first() else {
        return Err(Skipped::new("ticket", "", "empty", "no rows"));
    };
    let id = field(first, "ticket_id").to_string();
    let skip = |code, detail: String| {
        Skipped::new("ticket", id.clone(), code, format!("line {line}: {detail}"))
    };
    if id.is_empty() {
        return Err(skip("missing_field", "ticket_id is empty".into()));
    }
    let subject = field(first, "subject");
    if subject.is_empty() {
        return Err(skip("missing_field", "subject is empty".into()));
    }
    let requester_email = email(field(first, "requester_email")).ok_or_else(|| {
        skip(
            "no_requester",
            format!(
                "requester_email {:?} is not an e-mail address",
                field(first, "requester_email")
            ),
        )
    })?;
    let status = match field(first, "status") {
        "" => "open",
        s => status_named(s).ok_or_else(|| skip("unknown_status", format!("status {s:?}")))?,
    };
    let priority = match field(first, "priority") {
        "" => "normal",
        p => {
            priority_named(p).ok_or_else(|| skip("unknown_priority", format!("priority {p:?}")))?
        }
    };
    let channel = match field(first, "channel") {
        "" => "email",
        c => match c.to_ascii_lowercase().as_str() {
            "email" | "e-mail" | "mail" => "email",
            "portal" | "web" => "portal",
            "chat" => "chat",
            "phone" | "voice" => "phone",
            "api" => "api",
            _ => return Err(skip("unknown_channel", format!("channel {c:?}"))),
        },
    };
    let time = |name: &str, row: &CsvRow| -> Result<Option<i64>, Skipped> {
        match field(row, name) {
            "" => Ok(None),
            s => parse_time(s)
                .map(Some)
                .ok_or_else(|| skip("bad_time", format!("{name} {s:?} is not a date and time"))),
        }
    };
    let created_at = time("created_at", first)?
        .ok_or_else(|| skip("missing_field", "created_at is empty".into()))?;
    let org = field(first, "organization");
    let mut people = vec![csv_person(
        &requester_email,
        field(first, "requester_name"),
        false,
        Some(org),
    )];
    let organizations = if org.is_empty() {
        vec![]
    } else {
        vec![ImportOrganization {
            external_id: format!("org:{org}"),
            name: org.to_string(),
        }]
    };
    let assignee = match field(first, "assignee_email") {
        "" => None,
        a => {
            let address =
                email(a).ok_or_else(|| skip("bad_assignee", format!("assignee_email {a:?}")))?;
            people.push(csv_person(
                &address,
                field(first, "assignee_name"),
                true,
                None,
            ));
            Some(format!("email:{address}"))
        }
    };
    let team_name = field(first, "team");
    let teams = if team_name.is_empty() {
        vec![]
    } else {
        vec![ImportTeam {
            external_id: format!("team:{team_name}"),
            name: team_name.to_string(),
            description: String::new(),
        }]
    };
    let mut tags: Vec<String> = field(first, "tags")
        .split([';', ',', ' '])
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    let mut skipped = Vec::new();
    let mut messages = Vec::new();
    for (n, (line, row)) in rows.iter().enumerate() {
        let body = field(row, "message_body");
        let message_id = format!("{id}/{}", n + 1);
        if body.is_empty() {
            if n > 0 {
                skipped.push(Skipped::new(
                    "message",
                    message_id,
                    "no_text",
                    format!("line {line}: message_body is empty"),
                ));
            }
            continue;
        }
        let author = match field(row, "message_author_email") {
            "" => format!("email:{requester_email}"),
            a => match email(a) {
                Some(address) => {
                    // Whoever else writes on a customer's ticket is staff, unless the
                    // row says otherwise.
                    let staff = match field(row, "message_author_role")
                        .to_ascii_lowercase()
                        .as_str()
                    {
                        "customer" => false,
                        "agent" | "staff" => true,
                        _ => address != requester_email,
                    };
                    if !people.iter().any(|p| p.email == address) {
                        people.push(csv_person(
                            &address,
                            field(row, "message_author_name"),
                            staff,
                            None,
                        ));
                    }
                    format!("email:{address}")
                }
                None => {
                    skipped.push(Skipped::new(
                        "message",
                        message_id,
                        "bad_author",
                        format!("line {line}: message_author_email {a:?}"),
                    ));
                    continue;
                }
            },
        };
        let internal = match field(row, "message_kind").to_ascii_lowercase().as_str() {
            "" | "public" => false,
            "internal" | "private" | "note" => true,
            k => {
                skipped.push(Skipped::new(
                    "message",
                    message_id,
                    "unknown_kind",
                    format!("line {line}: message_kind {k:?}"),
                ));
                continue;
            }
        };
        let at = match time("message_at", row) {
            Ok(t) => t.unwrap_or(created_at),
            Err(e) => {
                skipped.push(Skipped::new("message", message_id, e.code, e.detail));
                continue;
            }
        };
        messages.push(ImportMessage {
            external_id: message_id,
            author,
            internal,
            body: body.to_string(),
            created_at: at,
            attachments: vec![],
        });
    }
    if messages.is_empty() {
        return Err(skip("no_messages", "no row has a message_body".into()));
    }
    let updated_at = time("updated_at", first)?.unwrap_or(created_at).max(
        messages
            .iter()
            .map(|m| m.created_at)
            .max()
            .unwrap_or(created_at),
    );
    Ok(CsvTicket {
        ticket: ImportTicket {
            reference: Source::Csv.reference(&id),
            external_id: id,
            subject: subject.to_string(),
            status,
            priority,
            channel,
            requester: format!("email:{requester_email}"),
            assignee,
            team: teams.first().map(|t| t.external_id.clone()),
            tags,
            copied: vec![],
            created_at,
            updated_at,
            messages,
        },
        people,
        organizations,
        teams,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_priorities_by_name() {
        for (name, want) in [
            ("open", Some("open")),
            ("Solved", Some("resolved")),
            ("hold", Some("pending_third_party")),
            ("on-hold", Some("pending_third_party")),
            ("pending", Some("pending_customer")),
            ("closed", Some("closed")),
            ("new", Some("new")),
            ("archived", None),
        ] {
            assert_eq!(status_named(name), want, "{name}");
        }
        for (name, want) in [
            ("critical", Some("urgent")),
            ("Urgent", Some("urgent")),
            ("medium", Some("normal")),
            ("low", Some("low")),
            ("whenever", None),
        ] {
            assert_eq!(priority_named(name), want, "{name}");
        }
    }

    #[test]
    fn django_numbers() {
        for (status, hold, want) in [
            (1, false, Some("open")),
            (2, false, Some("open")),
            (1, true, Some("pending_third_party")),
            (3, false, Some("resolved")),
            (4, false, Some("closed")),
            (5, false, Some("closed")),
            (9, false, None),
        ] {
            assert_eq!(django_status(status, hold), want, "{status} {hold}");
        }
        for (p, want) in [
            (1, "urgent"),
            (2, "high"),
            (3, "normal"),
            (4, "low"),
            (5, "low"),
        ] {
            assert_eq!(django_priority(p), want);
        }
    }

    #[test]
    fn times_in_the_shapes_sources_write() {
        let at = 1_781_697_600_000; // 2026-06-17T12:00:00Z
        for s in [
            "2026-06-17T12:00:00Z",
            "2026-06-17T14:00:00+02:00",
            "2026-06-17 12:00:00",
            "2026-06-17 12:00:00.000000",
        ] {
            assert_eq!(parse_time(s), Some(at), "{s}");
        }
        assert_eq!(parse_time("2026-06-17"), Some(at - 12 * 3_600_000));
        assert_eq!(parse_time("yesterday"), None);
    }

    fn user(id: i64, email: &str, staff: bool) -> DjangoUser {
        DjangoUser {
            id,
            username: format!("u{id}"),
            email: email.into(),
            first_name: "Kim".into(),
            last_name: if staff { "Agent".into() } else { String::new() },
            is_staff: staff,
            ..Default::default()
        }
    }

    #[test]
    fn django_users_become_people_or_are_skipped() {
        let p = django_person(&user(3, "Kim@Example.COM", true)).unwrap();
        assert_eq!(p.email, "kim@example.com");
        assert_eq!(p.name, "Kim Agent");
        assert!(p.staff);
        assert_eq!(p.external_id, "user:3");
        let no_name = DjangoUser {
            first_name: String::new(),
            ..user(4, "x@example.com", false)
        };
        assert_eq!(django_person(&no_name).unwrap().name, "u4");
        let e = django_person(&user(5, "", true)).unwrap_err();
        assert_eq!(e.code, "no_email");
    }

    #[test]
    fn a_django_ticket_keeps_its_conversation_notes_and_number() {
        let people = DjangoPeople::new([
            django_person(&user(1, "agent@example.com", true)).unwrap(),
            django_person(&user(2, "known@example.com", false)).unwrap(),
        ]);
        let t = DjangoTicket {
            id: 42,
            title: "Printer".into(),
            queue_id: 7,
            created: 1_000,
            modified: 5_000,
            submitter_email: Some("New.Person@Example.com".into()),
            assigned_to_id: Some(1),
            status: 4,
            description: Some("It prints blank pages.".into()),
            priority: 2,
            ..Default::default()
        };
        let f = |id, date, comment: &str, public, user_id| DjangoFollowUp {
            id,
            ticket_id: 42,
            date,
            title: Some("Comment".into()),
            comment: Some(comment.into()),
            public,
            user_id,
        };
        let followups = [
            f(10, 2_000, "Which model?", true, Some(1)),
            f(11, 3_000, "Toner is empty, ordering.", false, Some(1)),
            f(12, 4_000, "The HP one.", true, None),
            f(13, 4_500, "", true, Some(1)),
        ];
        let files = [DjangoAttachment {
            id: 5,
            followup_id: 12,
            file: "helpdesk/attachments/x/photo.png".into(),
            filename: "photo.png".into(),
            mime_type: "image/png".into(),
        }];
        let (t, new_people, skipped) = django_ticket(
            &t,
            &followups,
            &files,
            &people,
            &["cc@example.com".into(), "nonsense".into()],
        )
        .unwrap();
        assert_eq!(t.reference, "DH-42");
        assert_eq!((t.status, t.priority), ("closed", "high"));
        assert_eq!(t.requester, "email:new.person@example.com");
        assert_eq!(new_people.len(), 1);
        assert_eq!(new_people[0].name, "new.person");
        assert_eq!(t.assignee.as_deref(), Some("user:1"));
        assert_eq!(t.team.as_deref(), Some("queue:7"));
        assert_eq!(t.copied, ["cc@example.com"]);
        let conv: Vec<(&str, bool, i64)> = t
            .messages
            .iter()
            .map(|m| (m.author.as_str(), m.internal, m.created_at))
            .collect();
        assert_eq!(
            conv,
            [
                ("email:new.person@example.com", false, 1_000),
                ("user:1", false, 2_000),
                ("user:1", true, 3_000),
                ("email:new.person@example.com", false, 4_000),
            ]
        );
        assert_eq!(t.messages[3].attachments[0].file_name, "photo.png");
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].code, "no_text");
        assert!(!t.answered(&|p| p == "user:1"));
    }

    #[test]
    fn a_django_submitter_with_an_account_is_that_account() {
        let people =
            DjangoPeople::new([django_person(&user(2, "known@example.com", false)).unwrap()]);
        let t = DjangoTicket {
            id: 1,
            title: String::new(),
            submitter_email: Some("KNOWN@example.com".into()),
            status: 1,
            priority: 3,
            assigned_to_id: Some(99),
            ..Default::default()
        };
        let (t, new_people, skipped) = django_ticket(&t, &[], &[], &people, &[]).unwrap();
        assert_eq!(t.requester, "user:2");
        assert!(new_people.is_empty());
        assert_eq!(t.subject, "Ticket 1");
        assert_eq!(t.assignee, None);
        assert_eq!(skipped[0].code, "assignee_unknown");
        let bad = DjangoTicket {
            submitter_email: None,
            status: 1,
            ..Default::default()
        };
        assert_eq!(
            django_ticket(&bad, &[], &[], &people, &[])
                .unwrap_err()
                .code,
            "no_requester"
        );
    }

    fn row(pairs: &[(&str, &str)]) -> CsvRow {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn csv_rows_make_one_ticket_with_its_messages() {
        let base = [
            ("ticket_id", "77"),
            ("subject", "VPN drops"),
            ("status", "solved"),
            ("priority", "high"),
            ("requester_email", "Ana@acme.test"),
            ("requester_name", "Ana Lima"),
            ("organization", "Acme"),
            ("assignee_email", "sam@desk.test"),
            ("team", "Network"),
            ("tags", "vpn; remote,vpn"),
            ("created_at", "2026-01-02T10:00:00Z"),
        ];
        let mut first = base.to_vec();
        first.push(("message_body", "It drops every 5 minutes."));
        let rows = vec![
            (2, row(&first)),
            (
                3,
                row(&[
                    ("ticket_id", "77"),
                    ("message_author_email", "sam@desk.test"),
                    ("message_kind", "internal"),
                    ("message_body", "Gateway timeout too low."),
                    ("message_at", "2026-01-02 11:00:00"),
                ]),
            ),
            (
                4,
                row(&[
                    ("ticket_id", "77"),
                    ("message_author_email", "sam@desk.test"),
                    ("message_body", "Fixed, please try again."),
                    ("message_at", "2026-01-02T12:00:00Z"),
                ]),
            ),
            (
                5,
                row(&[
                    ("ticket_id", "77"),
                    ("message_kind", "shout"),
                    ("message_body", "x"),
                ]),
            ),
        ];
        let c = csv_ticket(&rows).unwrap();
        let t = &c.ticket;
        assert_eq!(t.reference, "CSV-77");
        assert_eq!(
            (t.status, t.priority, t.channel),
            ("resolved", "high", "email")
        );
        assert_eq!(t.tags, ["remote", "vpn"]);
        assert_eq!(t.requester, "email:ana@acme.test");
        assert_eq!(t.assignee.as_deref(), Some("email:sam@desk.test"));
        assert_eq!(t.team.as_deref(), Some("team:Network"));
        assert_eq!(t.messages.len(), 3);
        assert!(t.messages[1].internal);
        assert_eq!(t.messages[1].author, "email:sam@desk.test");
        assert_eq!(t.messages[2].external_id, "77/3");
        assert_eq!(t.updated_at, t.messages[2].created_at);
        assert_eq!(c.people[0].organization.as_deref(), Some("org:Acme"));
        assert!(
            c.people
                .iter()
                .any(|p| p.email == "sam@desk.test" && p.staff)
        );
        assert_eq!(c.skipped[0].code, "unknown_kind");
        assert_eq!(c.organizations[0].name, "Acme");
    }

    #[test]
    fn csv_tickets_that_cannot_be_brought_in_say_why() {
        let ok = [
            ("ticket_id", "1"),
            ("subject", "s"),
            ("requester_email", "a@b.test"),
            ("created_at", "2026-01-02"),
            ("message_body", "hi"),
        ];
        let with = |k: &str, v: &str| {
            let mut r: Vec<(&str, &str)> = ok.iter().filter(|(n, _)| *n != k).copied().collect();
            r.push((k, v));
            vec![(2usize, row(&r))]
        };
        assert!(csv_ticket(&with("status", "")).is_ok());
        for (k, v, code) in [
            ("ticket_id", "", "missing_field"),
            ("subject", "", "missing_field"),
            ("requester_email", "nobody", "no_requester"),
            ("status", "archived", "unknown_status"),
            ("priority", "p0", "unknown_priority"),
            ("created_at", "last week", "bad_time"),
            ("created_at", "", "missing_field"),
            ("channel", "fax", "unknown_channel"),
            ("message_body", "", "no_messages"),
        ] {
            let e = csv_ticket(&with(k, v))
                .err()
                .unwrap_or_else(|| panic!("{k}={v}"));
            assert_eq!(e.code, code, "{k}={v}: {e:?}");
        }
    }
}
