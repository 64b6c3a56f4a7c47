//! Admin: e-mail — the desk's mailboxes with how fetching over IMAP goes (never the
//! password), a form to add one and one to change each, and the quarantine of mail kept
//! aside with a button to let each one through (it becomes a ticket or a reply, as
//! intake would have made it) and one to delete it. The same use cases as the API.

use crate::WebState;
use crate::admin::{Done, Fields};
use crate::format::{relative, when};
use crate::forms::{FormState, field, refusal};
use crate::page::{PageResult, notice_text, render, render_status, see_other};
use crate::session::Viewer;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use heard_services::mailboxes::{ImapInput, MailboxInput, MailboxView, QuarantineQuery};
use heard_services::views::TeamView;

/// Quarantined mail shown on the page (the newest).
const HELD: i64 = 100;

/// A mailbox as its form shows it: the stored values, as text.
#[derive(Default)]
pub struct MailboxLine {
    pub id: i64,
    /// The form's name: `new-mailbox` or `mailbox-<id>`.
    pub form: String,
    pub address: String,
    pub team_id: i64,
    pub team: String,
    /// How fetching goes, in plain words.
    pub fetching: String,
    pub failing: bool,
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub folder: String,
    pub after_import: String,
    pub move_to: String,
}

pub struct HeldLine {
    pub id: i64,
    /// The name its buttons' refusal is shown under: `held-<id>`.
    pub form: String,
    pub sender: String,
    pub subject: String,
    pub why: &'static str,
    pub at: String,
}

#[derive(Template)]
#[template(path = "admin_mail.html")]
struct MailPage {
    chrome: crate::page::Chrome,
    mailboxes: Vec<MailboxLine>,
    new: MailboxLine,
    teams: Vec<TeamView>,
    held: Vec<HeldLine>,
    more_held: bool,
    f: FormState,
}

/// Why a mail was kept aside, in plain words (the intake's reason codes).
fn why(reason: &str) -> &'static str {
    match reason {
        "unparseable" => "Not readable as a mail",
        "oversized" => "Larger than the desk accepts",
        "no_sender" => "No sender address to answer",
        "empty" => "No text and no attachments",
        "spam" => "Marked as spam by a filter on the way",
        "flood" => "Too much mail from this sender at once",
        "own_mail" => "The desk's own mail came back",
        "delivery_notice" => "A delivery notice that reports no failure",
        r if r.starts_with("automatic") => "Sent by a machine (auto-reply, list or bulk mail)",
        _ => "Kept aside by the intake rules",
    }
}

/// How fetching goes for a mailbox, in plain words.
fn fetching(m: &MailboxView, now_ms: i64) -> (String, bool) {
    let Some(i) = &m.imap else {
        return (
            "Not fetched over IMAP: its mail arrives by SMTP or import.".into(),
            false,
        );
    };
    let from = format!("Fetching from {} as {}", i.host, i.username);
    match i.state.as_str() {
        "failing" => {
            let at = i.last_error_at.as_deref().map(when).unwrap_or_default();
            let ok = match i.last_success_at.as_deref() {
                Some(t) => format!("it last went through {}", relative(t, now_ms)),
                None => "it has not gone through yet".into(),
            };
            (
                format!(
                    "Failing: fetching from {} as {} failed at {at} ({ok}): {}",
                    i.host,
                    i.username,
                    i.last_error.as_deref().unwrap_or("no details")
                ),
                true,
            )
        }
        "ok" => (
            format!(
                "{from}: last checked {}.",
                i.last_success_at
                    .as_deref()
                    .map(|t| relative(t, now_ms))
                    .unwrap_or_default()
            ),
            false,
        ),
        _ => (format!("{from}: not checked yet."), false),
    }
}

async fn page(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult<MailPage> {
    let teams = s.services.list_teams(&viewer.actor).await?;
    let now_ms = s.services.now();
    let team_name = |id: i64| {
        teams
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| format!("team {id}"))
    };
    let mailboxes = s
        .services
        .mailboxes(&viewer.actor)
        .await?
        .into_iter()
        .map(|m| {
            let (fetching, failing) = fetching(&m, now_ms);
            let i = m.imap.as_ref();
            MailboxLine {
                id: m.id,
                form: format!("mailbox-{}", m.id),
                team: team_name(m.team_id),
                team_id: m.team_id,
                fetching,
                failing,
                host: i.map(|i| i.host.clone()).unwrap_or_default(),
                port: i.map(|i| i.port.to_string()).unwrap_or_default(),
                security: i.map(|i| i.security.clone()).unwrap_or("tls".into()),
                username: i.map(|i| i.username.clone()).unwrap_or_default(),
                folder: i.map(|i| i.folder.clone()).unwrap_or("INBOX".into()),
                after_import: i.map(|i| i.after_import.clone()).unwrap_or("seen".into()),
                move_to: i.and_then(|i| i.move_to.clone()).unwrap_or_default(),
                address: m.address,
            }
        })
        .collect();
    let held_page = s
        .services
        .quarantine(
            &viewer.actor,
            QuarantineQuery {
                after: None,
                limit: Some(HELD),
            },
        )
        .await?;
    let held = held_page
        .items
        .into_iter()
        .map(|q| HeldLine {
            form: format!("held-{}", q.id),
            id: q.id,
            sender: q.sender.unwrap_or_else(|| "(no sender)".into()),
            subject: if q.subject.is_empty() {
                "(no subject)".into()
            } else {
                q.subject
            },
            why: why(&q.reason),
            at: when(&q.created_at),
        })
        .collect();
    Ok(MailPage {
        chrome: viewer.chrome("E-mail", "admin"),
        mailboxes,
        new: MailboxLine {
            form: "new-mailbox".into(),
            security: "tls".into(),
            folder: "INBOX".into(),
            after_import: "seen".into(),
            ..Default::default()
        },
        teams,
        held,
        more_held: held_page.next_after.is_some(),
        f,
    })
}

pub async fn mail(State(s): State<WebState>, viewer: Viewer, Query(q): Query<Done>) -> PageResult {
    viewer.require_admin()?;
    let mut p = page(&s, &viewer, FormState::default()).await?;
    p.chrome.notice = notice_text(q.done.as_deref());
    Ok(render(&p))
}

/// The form's fields as the API's input. An empty server means no fetching; an empty
/// password keeps the stored one.
fn input(v: &[(String, String)], f: &mut FormState) -> MailboxInput {
    let text = |name: &str| Some(field(v, name).to_string()).filter(|s| !s.is_empty());
    let team_id = field(v, "team_id").parse().unwrap_or_else(|_| {
        f.refuse("team_id", "choose the team its mail goes to");
        0
    });
    let port = match field(v, "imap_port") {
        "" => None,
        p => Some(p.parse().unwrap_or_else(|_| {
            f.refuse("imap_port", "port is a number between 1 and 65535");
            0
        })),
    };
    let imap = text("imap_host").map(|host| ImapInput {
        host: Some(host),
        port,
        security: text("imap_security"),
        username: Some(field(v, "imap_username").to_string()),
        password: text("imap_password"),
        folder: text("imap_folder"),
        after_import: text("imap_after_import"),
        move_to: text("imap_move_to"),
    });
    MailboxInput {
        address: field(v, "address").to_string(),
        team_id,
        imap_url: None,
        imap: Some(imap),
    }
}

const FIELDS: &[(&str, &str)] = &[
    ("address", "address"),
    ("team_id", "team_id"),
    ("imap.host", "imap_host"),
    ("imap.port", "imap_port"),
    ("imap.security", "imap_security"),
    ("imap.username", "imap_username"),
    ("imap.password", "imap_password"),
    ("imap.folder", "imap_folder"),
    ("imap.after_import", "imap_after_import"),
    ("imap.move_to", "imap_move_to"),
];

/// Answers a refused form on the page, the message beside its field.
async fn refused(s: &WebState, viewer: &Viewer, f: FormState) -> PageResult {
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(s, viewer, f).await?,
    ))
}

pub async fn add(State(s): State<WebState>, viewer: Viewer, axum::Form(v): Fields) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    let mut f = FormState::new("new-mailbox", &v);
    let mut input = input(&v, &mut f);
    if f.is_refused() {
        return refused(&s, &viewer, f).await;
    }
    if matches!(input.imap, Some(None)) {
        input.imap = None;
    }
    match s.services.create_mailbox(&viewer.actor, input).await {
        Ok(_) => Ok(see_other("/admin/mail", "mailbox_added")),
        Err(e) => refused(&s, &viewer, refusal("new-mailbox", &v, e, FIELDS)?).await,
    }
}

/// Saves or removes a mailbox, by the button pressed.
pub async fn change(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    if field(&v, "action") == "remove" {
        s.services.delete_mailbox(&viewer.actor, id).await?;
        return Ok(see_other("/admin/mail", "mailbox_removed"));
    }
    let form = format!("mailbox-{id}");
    let mut f = FormState::new(form.clone(), &v);
    let input = input(&v, &mut f);
    if f.is_refused() {
        return refused(&s, &viewer, f).await;
    }
    match s.services.update_mailbox(&viewer.actor, id, input).await {
        Ok(_) => Ok(see_other("/admin/mail", "mailbox_saved")),
        Err(e) => refused(&s, &viewer, refusal(form, &v, e, FIELDS)?).await,
    }
}

/// Lets a quarantined mail through, or deletes it, by the button pressed.
pub async fn held(
    State(s): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(v): Fields,
) -> PageResult {
    viewer.check_csrf(field(&v, "csrf"))?;
    viewer.require_admin()?;
    if field(&v, "action") == "delete" {
        s.services.delete_quarantined(&viewer.actor, id).await?;
        return Ok(see_other("/admin/mail", "mail_deleted"));
    }
    let ticket = match s.services.release_quarantined(&viewer.actor, id).await {
        Ok(ticket) => ticket,
        // A mail that cannot become a ticket: the reason beside it, on the same page.
        Err(e) => {
            let f = refusal(format!("held-{id}"), &v, e, &[])?;
            return Ok(render_status(
                StatusCode::CONFLICT,
                &page(&s, &viewer, f).await?,
            ));
        }
    };
    let mut p = page(&s, &viewer, FormState::default()).await?;
    p.chrome.notice = Some(format!(
        "The mail was let through: it is on ticket #{ticket}."
    ));
    Ok(render(&p))
}
