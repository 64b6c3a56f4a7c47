//! Zendesk's export, as its REST API (v2) answers: the records (`tickets.json`,
//! `users.json`, `organizations.json`, `groups.json`, each `{"tickets": […]}` and so on),
//! and each ticket's comments (`comments/<ticket id>.json`, `{"comments": […]}`), and
//! their mapping to heard's records. Pure: the reader in the `heard` binary parses the
//! files into these types.

use super::map::{
    ImportAttachment, ImportMessage, ImportOrganization, ImportPerson, ImportTeam, ImportTicket,
    Skipped, Source, parse_time, priority_named, status_named,
};
use heard_domain::EmailAddress;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZendeskUser {
    pub id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// `end-user`, `agent` or `admin`.
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub organization_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZendeskOrganization {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZendeskGroup {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZendeskVia {
    #[serde(default)]
    pub channel: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZendeskTicket {
    pub id: i64,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub requester_id: Option<i64>,
    #[serde(default)]
    pub assignee_id: Option<i64>,
    #[serde(default)]
    pub group_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub via: Option<ZendeskVia>,
    #[serde(default)]
    pub email_cc_ids: Vec<i64>,
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZendeskAttachment {
    pub id: i64,
    pub file_name: String,
    #[serde(default)]
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ZendeskComment {
    pub id: i64,
    #[serde(default)]
    pub author_id: Option<i64>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub plain_body: Option<String>,
    /// `false` for an internal note.
    #[serde(default = "yes")]
    pub public: bool,
    #[serde(default)]
    pub attachments: Vec<ZendeskAttachment>,
    pub created_at: String,
}

fn yes() -> bool {
    true
}

/// The files of one export.
#[derive(Debug, Default, Deserialize)]
pub struct ZendeskUsers {
    pub users: Vec<ZendeskUser>,
}
#[derive(Debug, Default, Deserialize)]
pub struct ZendeskOrganizations {
    pub organizations: Vec<ZendeskOrganization>,
}
#[derive(Debug, Default, Deserialize)]
pub struct ZendeskGroups {
    pub groups: Vec<ZendeskGroup>,
}
#[derive(Debug, Default, Deserialize)]
pub struct ZendeskTickets {
    pub tickets: Vec<ZendeskTicket>,
}
#[derive(Debug, Default, Deserialize)]
pub struct ZendeskComments {
    pub comments: Vec<ZendeskComment>,
}

pub fn zendesk_person(u: &ZendeskUser) -> Result<ImportPerson, Skipped> {
    let address = u
        .email
        .as_deref()
        .and_then(|e| EmailAddress::parse(e).ok())
        .map(String::from)
        .ok_or_else(|| {
            Skipped::new(
                "person",
                u.id.to_string(),
                "no_email",
                format!("user {} has no usable e-mail address", u.name),
            )
        })?;
    Ok(ImportPerson {
        external_id: format!("user:{}", u.id),
        name: match u.name.trim() {
            "" => address.split('@').next().unwrap_or_default().to_string(),
            n => n.to_string(),
        },
        email: address,
        staff: matches!(u.role.as_str(), "agent" | "admin"),
        organization: u.organization_id.map(|o| format!("org:{o}")),
    })
}

pub fn zendesk_organization(o: &ZendeskOrganization) -> ImportOrganization {
    ImportOrganization {
        external_id: format!("org:{}", o.id),
        name: o.name.trim().to_string(),
    }
}

pub fn zendesk_team(g: &ZendeskGroup) -> ImportTeam {
    ImportTeam {
        external_id: format!("group:{}", g.id),
        name: g.name.trim().to_string(),
        description: g.description.clone().unwrap_or_default(),
    }
}

/// Zendesk's channels (`via.channel`) in heard's words.
fn channel(via: Option<&ZendeskVia>) -> &'static str {
    match via.map(|v| v.channel.as_str()).unwrap_or("") {
        "web" | "help_center" => "portal",
        "chat" | "native_messaging" | "messaging" => "chat",
        "voice" | "phone" => "phone",
        "api" => "api",
        _ => "email",
    }
}

/// A Zendesk ticket and its comments (the first is the description). People are looked
/// up by Zendesk user id in `people` (those that could be brought in); `cc` gives the
/// address of a copied user. Attachments are expected at `attachments/<id>/<file name>`
/// beside the export.
pub fn zendesk_ticket(
    t: &ZendeskTicket,
    comments: &[ZendeskComment],
    people: &HashMap<i64, ImportPerson>,
) -> Result<(ImportTicket, Vec<Skipped>), Skipped> {
    let id = t.id.to_string();
    let skip = |code, detail: String| Skipped::new("ticket", id.clone(), code, detail);
    let status = status_named(&t.status)
        .ok_or_else(|| skip("unknown_status", format!("status {:?}", t.status)))?;
    let priority = match t.priority.as_deref() {
        None | Some("") => "normal",
        Some(p) => {
            priority_named(p).ok_or_else(|| skip("unknown_priority", format!("priority {p:?}")))?
        }
    };
    let created_at = parse_time(&t.created_at)
        .ok_or_else(|| skip("bad_time", format!("created_at {:?}", t.created_at)))?;
    let requester = t
        .requester_id
        .and_then(|r| people.get(&r))
        .ok_or_else(|| {
            skip(
                "no_requester",
                format!("requester {:?} was not brought in", t.requester_id),
            )
        })?
        .external_id
        .clone();
    let mut skipped = Vec::new();
    let assignee = match t.assignee_id {
        Some(a) => match people.get(&a) {
            Some(p) => Some(p.external_id.clone()),
            None => {
                skipped.push(Skipped::new(
                    "assignee",
                    id.clone(),
                    "assignee_unknown",
                    format!("assigned to user {a}, who was not imported; left unassigned"),
                ));
                None
            }
        },
        None => None,
    };
    let mut messages = Vec::new();
    for c in comments {
        let body = c
            .plain_body
            .as_deref()
            .or(c.body.as_deref())
            .unwrap_or("")
            .trim()
            .to_string();
        let Some(at) = parse_time(&c.created_at) else {
            skipped.push(Skipped::new(
                "message",
                c.id.to_string(),
                "bad_time",
                format!("comment created_at {:?}", c.created_at),
            ));
            continue;
        };
        if body.is_empty() && c.attachments.is_empty() {
            skipped.push(Skipped::new(
                "message",
                c.id.to_string(),
                "no_text",
                format!("comment {} on ticket {} has no text", c.id, t.id),
            ));
            continue;
        }
        let author = match c.author_id.and_then(|a| people.get(&a)) {
            Some(p) => p.external_id.clone(),
            None => requester.clone(),
        };
        messages.push(ImportMessage {
            external_id: format!("comment:{}", c.id),
            author,
            internal: !c.public,
            body: if body.is_empty() {
                "(attachment)".into()
            } else {
                body
            },
            created_at: at,
            attachments: c
                .attachments
                .iter()
                .map(|a| ImportAttachment {
                    external_id: a.id.to_string(),
                    file_name: a.file_name.clone(),
                    content_type: a
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    location: format!("attachments/{}/{}", a.id, a.file_name),
                })
                .collect(),
        });
    }
    if messages.is_empty() {
        // No comments exported: the description is the conversation.
        match t.description.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => messages.push(ImportMessage {
                external_id: format!("description:{}", t.id),
                author: requester.clone(),
                internal: false,
                body: d.to_string(),
                created_at,
                attachments: vec![],
            }),
            _ => return Err(skip("no_messages", "no comment and no description".into())),
        }
    }
    let mut tags: Vec<String> = t.tags.iter().map(|g| g.trim().to_lowercase()).collect();
    tags.retain(|g| !g.is_empty());
    tags.sort();
    tags.dedup();
    let copied = t
        .email_cc_ids
        .iter()
        .filter_map(|u| people.get(u).map(|p| p.email.clone()))
        .collect();
    let updated_at = t
        .updated_at
        .as_deref()
        .and_then(parse_time)
        .unwrap_or(created_at)
        .max(created_at);
    Ok((
        ImportTicket {
            reference: Source::Zendesk.reference(&id),
            external_id: id,
            subject: match t.subject.as_deref().map(str::trim) {
                Some(s) if !s.is_empty() => s.to_string(),
                _ => format!("Ticket {}", t.id),
            },
            status,
            priority,
            channel: channel(t.via.as_ref()),
            requester,
            assignee,
            team: t.group_id.map(|g| format!("group:{g}")),
            tags,
            copied,
            created_at,
            updated_at,
            messages,
        },
        skipped,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> HashMap<i64, ImportPerson> {
        let users: ZendeskUsers = serde_json::from_str(
            r#"{"users": [
              {"id": 1, "name": "Ana Lima", "email": "Ana@Acme.test", "role": "end-user", "organization_id": 9},
              {"id": 2, "name": "Sam Support", "email": "sam@desk.example", "role": "agent"},
              {"id": 3, "name": "No Mail", "role": "end-user"}
            ]}"#,
        )
        .unwrap();
        let mut out = HashMap::new();
        for u in &users.users {
            if let Ok(p) = zendesk_person(u) {
                out.insert(u.id, p);
            }
        }
        out
    }

    #[test]
    fn users_become_people_agents_staff_and_addresses_are_needed() {
        let p = people();
        assert_eq!(p[&1].email, "ana@acme.test");
        assert_eq!(p[&1].organization.as_deref(), Some("org:9"));
        assert!(!p[&1].staff);
        assert!(p[&2].staff);
        assert!(!p.contains_key(&3));
    }

    #[test]
    fn a_ticket_with_public_and_private_comments() {
        let t: ZendeskTickets = serde_json::from_str(
            r#"{"tickets": [{"id": 35436, "subject": "Help, my printer is on fire!",
              "description": "The fire is very colorful.", "status": "hold", "priority": "urgent",
              "requester_id": 1, "assignee_id": 2, "group_id": 98738, "tags": ["Enterprise", "other_tag"],
              "via": {"channel": "web"}, "email_cc_ids": [2],
              "created_at": "2009-07-20T22:55:29Z", "updated_at": "2011-05-05T10:38:52Z"}]}"#,
        )
        .unwrap();
        let c: ZendeskComments = serde_json::from_str(
            r#"{"comments": [
              {"id": 1, "type": "Comment", "author_id": 1, "body": "The fire is very colorful.", "public": true,
               "created_at": "2009-07-20T22:55:29Z",
               "attachments": [{"id": 498483, "file_name": "crash.log", "content_type": "text/plain"}]},
              {"id": 2, "type": "Comment", "author_id": 2, "body": "Call the fire brigade first.", "public": false,
               "created_at": "2009-07-20T23:00:00Z", "attachments": []},
              {"id": 3, "type": "Comment", "author_id": 3, "body": "", "public": true,
               "created_at": "2009-07-21T00:00:00Z"}
            ]}"#,
        )
        .unwrap();
        let (t, skipped) = zendesk_ticket(&t.tickets[0], &c.comments, &people()).unwrap();
        assert_eq!(t.reference, "ZD-35436");
        assert_eq!(
            (t.status, t.priority, t.channel),
            ("pending_third_party", "urgent", "portal")
        );
        assert_eq!(t.tags, ["enterprise", "other_tag"]);
        assert_eq!(t.team.as_deref(), Some("group:98738"));
        assert_eq!(t.assignee.as_deref(), Some("user:2"));
        assert_eq!(t.copied, ["sam@desk.example"]);
        assert_eq!(t.messages.len(), 2);
        assert!(t.messages[1].internal);
        assert_eq!(
            t.messages[0].attachments[0].location,
            "attachments/498483/crash.log"
        );
        assert_eq!(skipped[0].code, "no_text");
        assert!(t.updated_at > t.created_at);
    }

    #[test]
    fn tickets_that_cannot_come_over_say_why() {
        let base = ZendeskTicket {
            id: 1,
            status: "open".into(),
            requester_id: Some(1),
            created_at: "2020-01-01T00:00:00Z".into(),
            description: Some("hi".into()),
            ..Default::default()
        };
        assert!(zendesk_ticket(&base, &[], &people()).is_ok());
        for (t, code) in [
            (
                ZendeskTicket {
                    requester_id: Some(3),
                    ..base.clone()
                },
                "no_requester",
            ),
            (
                ZendeskTicket {
                    status: "deleted".into(),
                    ..base.clone()
                },
                "unknown_status",
            ),
            (
                ZendeskTicket {
                    created_at: "soon".into(),
                    ..base.clone()
                },
                "bad_time",
            ),
            (
                ZendeskTicket {
                    description: None,
                    ..base.clone()
                },
                "no_messages",
            ),
        ] {
            assert_eq!(zendesk_ticket(&t, &[], &people()).unwrap_err().code, code);
        }
    }
}
