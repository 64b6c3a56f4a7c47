//! The phone: logging a call on a ticket (or opening one from it), with an optional
//! call-back promise that the service levels track like any promise; the call log; and
//! the caller lookup a softphone opens on an incoming call.

use crate::ErrorCode;
use crate::tickets::{ATTEMPTS, Change, CreateTicket, back_off, event};
use crate::views::{CustomerView, TicketView, rfc3339};
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::phone::{call_duration, call_summary, reached_customer};
use heard_domain::{CallDirection, CallOutcome, CountryCode, MessageKind, PhoneNumber, Status};
use heard_store::{CallRow, ListCalls, ListTickets, NewCall, NewMessage, StoreError};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// The setting holding the desk's default country calling code (digits, e.g. `49`).
const HOME_COUNTRY: &str = "phone_country_code";

/// The longest call notes, in characters.
const MAX_NOTES: usize = 10_000;

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCallLog {
    /// inbound (the customer called) or outbound (we called)
    pub direction: String,
    /// The caller's number as written; stored in E.164. A national number takes the
    /// desk's default country calling code.
    pub number: String,
    pub duration_seconds: i64,
    /// resolved, call_back_needed, left_voicemail or no_answer
    pub outcome: String,
    #[serde(default)]
    pub notes: String,
    /// The ticket the call belongs to. Give this or `new_ticket`.
    pub ticket_id: Option<i64>,
    /// Opens a new ticket (channel `phone`) for the customer, owned by the caller.
    pub new_ticket: Option<TicketFromCall>,
    /// Who was on the line. Defaults to the ticket's customer, or (for a new ticket) the
    /// customer whose phone identity is the number.
    pub customer_id: Option<i64>,
    /// A call-back promise: when the customer will hear from us again (RFC 3339). It is
    /// the ticket's promise from then on, tracked and escalated like any.
    pub call_back_due: Option<String>,
    /// Shown to the customer with the promise.
    pub call_back_note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketFromCall {
    pub subject: String,
    /// low, normal, high or urgent
    pub priority: Option<String>,
    pub team_id: Option<i64>,
}

/// One logged call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub ticket_status: String,
    /// The conversation entry the call wrote on the ticket.
    pub message_id: i64,
    pub customer: CallPerson,
    pub agent: CallPerson,
    /// inbound or outbound
    pub direction: String,
    /// E.164, e.g. +49301234567
    pub number: String,
    pub duration_seconds: i64,
    pub outcome: String,
    pub notes: String,
    pub call_back_due: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallPerson {
    pub id: i64,
    pub name: String,
}

impl From<CallRow> for CallView {
    fn from(r: CallRow) -> Self {
        CallView {
            id: r.id,
            ticket_id: r.ticket_id,
            ticket_subject: r.ticket_subject,
            ticket_status: r.ticket_status,
            message_id: r.message_id,
            customer: CallPerson {
                id: r.customer_id,
                name: r.customer_name,
            },
            agent: CallPerson {
                id: r.agent_id,
                name: r.agent_name,
            },
            direction: r.direction,
            number: r.number,
            duration_seconds: r.duration_seconds,
            outcome: r.outcome,
            notes: r.notes,
            call_back_due: r.call_back_due.map(rfc3339),
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallQuery {
    /// Calls with this number (any written form; matched in E.164).
    pub number: Option<String>,
    pub ticket_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// The `next_after` of the previous page.
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

/// The phone settings of the desk.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneSettings {
    /// The country calling code national numbers belong to, e.g. "+49"; null for none
    /// (then every number must be written with its country code).
    pub default_country_code: Option<String>,
}

/// Who is calling: everything an agent needs before saying hello.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallerLookup {
    /// The number in E.164.
    pub number: String,
    /// The customer(s) this number belongs to: the owner of the phone identity, then
    /// anyone it was logged for before.
    pub callers: Vec<Caller>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Caller {
    pub profile: CustomerView,
    /// Their open tickets the caller may see, newest first.
    pub open_tickets: Vec<TicketView>,
    /// Their latest calls, newest first.
    pub recent_calls: Vec<CallView>,
    /// Their latest public messages on any channel, newest first.
    pub last_contacts: Vec<ContactView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub channel: String,
    pub author_name: String,
    /// customer, agent, supervisor or admin
    pub author_role: String,
    /// The start of the message.
    pub excerpt: String,
    pub at: String,
}

fn staff_only(actor: &Actor) -> Result<()> {
    if actor.is_staff() {
        Ok(())
    } else {
        Err(ServiceError::forbidden(
            "calls are logged and read by staff",
        ))
    }
}

fn call_not_found() -> ServiceError {
    ServiceError::not_found("call", ErrorCode::CallNotFound)
}

/// A logged call, parsed and checked before anything is written.
struct ParsedCall {
    direction: CallDirection,
    number: PhoneNumber,
    seconds: i64,
    outcome: CallOutcome,
    notes: String,
    call_back: Option<(i64, Option<String>)>,
}

fn parse_call(input: &NewCallLog, home: Option<CountryCode>, now: i64) -> Result<ParsedCall> {
    let direction: CallDirection = input.direction.parse()?;
    let number = PhoneNumber::parse(&input.number, home, "number")?;
    let seconds = call_duration(input.duration_seconds)?;
    let outcome: CallOutcome = input.outcome.parse()?;
    let notes = input.notes.trim().to_string();
    if notes.chars().count() > MAX_NOTES
        || notes
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ServiceError::invalid(
            "notes",
            ErrorCode::NoteTooLong,
            format!("call notes have at most {MAX_NOTES} characters of text"),
        ));
    }
    let call_back = match input.call_back_due.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            let due: Timestamp = raw.parse().map_err(|_| {
                ServiceError::invalid(
                    "call_back_due",
                    ErrorCode::InvalidDueAt,
                    "call_back_due is an RFC 3339 instant, e.g. 2026-11-26T15:00:00Z",
                )
            })?;
            let due = due.as_millisecond();
            if due <= now {
                return Err(ServiceError::invalid(
                    "call_back_due",
                    ErrorCode::PromiseInPast,
                    "a call-back is promised for a time in the future",
                ));
            }
            let note = input
                .call_back_note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
                return Err(ServiceError::invalid(
                    "call_back_note",
                    ErrorCode::NoteTooLong,
                    "a call-back note has at most 500 characters",
                ));
            }
            Some((due, note))
        }
    };
    Ok(ParsedCall {
        direction,
        number,
        seconds,
        outcome,
        notes,
        call_back,
    })
}

/// What logging `call` does to ticket `t` at `now`: its phone entry in the conversation
/// (public when the customer heard from us, else an internal note of the attempt), the
/// status an answer moves it to, the `call_logged` event, and the call-back promise.
fn plan_call(
    actor: &Actor,
    t: &heard_store::TicketRow,
    call: &ParsedCall,
    now: i64,
) -> Result<Change> {
    let from: Status = t.status.parse()?;
    if from == Status::Closed {
        return Err(ServiceError::conflict(
            ErrorCode::TicketClosed,
            "this ticket is closed; log the call on a new ticket",
        ));
    }
    let public = reached_customer(call.direction, call.outcome);
    let mut to = if public {
        from.after_agent_reply()
    } else {
        from
    };
    // A call-back is a promise, and promises are kept on open tickets.
    if call.call_back.is_some() && !to.is_open() {
        to = Status::Open;
    }
    let mut c = Change::of(t);
    c.state.status = to.as_str().into();
    if to != from {
        c.events.push(event(
            actor,
            "status_changed",
            json!({"from": from.as_str(), "to": to.as_str(), "because": "call"}),
        ));
    }
    c.events.push(event(
        actor,
        if public { "replied" } else { "noted" },
        json!({"by": "staff", "channel": "phone", "call": true}),
    ));
    c.events.push(event(
        actor,
        "call_logged",
        json!({"direction": call.direction.as_str(), "number": call.number.as_str(),
               "duration_seconds": call.seconds, "outcome": call.outcome.as_str()}),
    ));
    if let Some((due, note)) = &call.call_back {
        if *due <= now {
            return Err(ServiceError::invalid(
                "call_back_due",
                ErrorCode::PromiseInPast,
                "a call-back is promised for a time in the future",
            ));
        }
        c.events.push(event(
            actor,
            "promised",
            json!({"due_at": rfc3339(*due), "due_at_ms": due, "note": note, "call_back": true}),
        ));
    }
    c.message = Some(NewMessage {
        author_id: actor.user_id,
        kind: if public {
            MessageKind::Public
        } else {
            MessageKind::Internal
        }
        .as_str()
        .into(),
        channel: "phone".into(),
        body_text: call_summary(
            call.direction,
            &call.number,
            call.seconds,
            call.outcome,
            &call.notes,
        ),
        body_html: None,
        analysis: None,
    });
    Ok(c)
}

impl Services {
    /// The desk's default country calling code, if one is set.
    pub async fn home_country(&self) -> Result<Option<CountryCode>> {
        Ok(self
            .store
            .setting(HOME_COUNTRY)
            .await?
            .and_then(|v| CountryCode::parse(&v).ok()))
    }

    pub async fn phone_settings(&self, actor: &Actor) -> Result<PhoneSettings> {
        staff_only(actor)?;
        Ok(PhoneSettings {
            default_country_code: self.home_country().await?.map(|c| c.to_string()),
        })
    }

    /// Sets the country national numbers belong to (admins; `actor` is `None` for the
    /// demo and the command line).
    pub async fn set_phone_settings(
        &self,
        actor: Option<&Actor>,
        input: PhoneSettings,
    ) -> Result<PhoneSettings> {
        if actor.is_some_and(|a| !a.may_configure()) {
            return Err(ServiceError::forbidden(
                "only an admin sets the default country",
            ));
        }
        let value = match input.default_country_code.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(raw) => CountryCode::parse(raw)?.get().to_string(),
        };
        self.store.set_setting(HOME_COUNTRY, &value).await?;
        Ok(PhoneSettings {
            default_country_code: self.home_country().await?.map(|c| c.to_string()),
        })
    }

    /// A number as the desk reads it (E.164), or why not, naming `field`.
    pub async fn phone_number(&self, raw: &str, field: &'static str) -> Result<PhoneNumber> {
        Ok(PhoneNumber::parse(raw, self.home_country().await?, field)?)
    }

    /// Logs a call on a ticket the caller may see, or on a new ticket opened from it.
    /// The call's conversation entry, its events, a call-back promise and the call's row
    /// are written in one transaction.
    pub async fn log_call(&self, actor: &Actor, input: NewCallLog) -> Result<CallView> {
        staff_only(actor)?;
        let home = self.home_country().await?;
        let call = parse_call(&input, home, self.now())?;
        let customer_id = match input.customer_id {
            Some(id) => match self.store.user(id).await? {
                Some(u) if u.role == "customer" => Some(u.id),
                _ => {
                    return Err(ServiceError::invalid(
                        "customer_id",
                        ErrorCode::CustomerNotFound,
                        format!("customer {id} does not exist"),
                    ));
                }
            },
            None => None,
        };
        let ticket_id = match (input.ticket_id, &input.new_ticket) {
            (Some(id), None) => {
                // 404 before anything else for a ticket the caller may not see.
                self.visible_ticket(actor, id).await?;
                id
            }
            (None, Some(new)) => {
                let requester_id = match customer_id {
                    Some(id) => id,
                    None => self
                        .store
                        .user_by_identity("phone", call.number.as_str())
                        .await?
                        .filter(|u| u.role == "customer")
                        .map(|u| u.id)
                        .ok_or_else(|| {
                            ServiceError::invalid(
                                "customer_id",
                                ErrorCode::MissingRequester,
                                "no customer has this number: name the caller with customer_id",
                            )
                        })?,
                };
                let body = if call.notes.is_empty() {
                    new.subject.clone()
                } else {
                    call.notes.clone()
                };
                // The agent on the line owns what the caller asked for.
                let (detail, _) = self
                    .create_ticket(
                        actor,
                        CreateTicket {
                            subject: new.subject.clone(),
                            body,
                            body_html: None,
                            priority: new.priority.clone(),
                            channel: Some("phone".into()),
                            requester_email: None,
                            requester_name: None,
                            requester_id: Some(requester_id),
                            team_id: new.team_id,
                            assignee_id: Some(actor.user_id),
                            tags: Vec::new(),
                        },
                        None,
                    )
                    .await
                    .map_err(|e| match e {
                        ServiceError::Invalid(mut i) => {
                            i.field = i.field.map(|f| match f {
                                "subject" => "new_ticket.subject",
                                "priority" => "new_ticket.priority",
                                "team_id" => "new_ticket.team_id",
                                other => other,
                            });
                            ServiceError::Invalid(i)
                        }
                        other => other,
                    })?;
                detail.ticket.id
            }
            _ => {
                return Err(ServiceError::invalid(
                    "ticket_id",
                    ErrorCode::OneTicket,
                    "a call belongs to an existing ticket (ticket_id) or opens one (new_ticket): give exactly one",
                ));
            }
        };
        for attempt in 0..ATTEMPTS {
            back_off(attempt).await;
            let t = self.visible_ticket(actor, ticket_id).await?;
            let now = self.now();
            let change = plan_call(actor, &t, &call, now)?;
            let row = NewCall {
                customer_id: customer_id.unwrap_or(t.requester_id),
                agent_id: actor.user_id,
                direction: call.direction.as_str().into(),
                number: call.number.as_str().into(),
                duration_seconds: call.seconds,
                outcome: call.outcome.as_str().into(),
                notes: call.notes.clone(),
                call_back_due: call.call_back.as_ref().map(|(due, _)| *due),
            };
            let w = self.settled_write(&t, change, now).await?;
            match self.store.log_call(&w, &row, now).await {
                Err(StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
                Ok((call_id, _)) => return self.get_call(actor, call_id).await,
            }
        }
        Err(StoreError::Stale.into())
    }

    /// Calls on tickets the caller may see, newest first, by number, ticket or customer.
    pub async fn list_calls(
        &self,
        actor: &Actor,
        q: CallQuery,
    ) -> Result<crate::views::Page<CallView>> {
        staff_only(actor)?;
        let limit = crate::page_limit(q.limit)?;
        let number = match q.number.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(self.phone_number(raw, "number").await?.to_string()),
        };
        let rows = self
            .store
            .calls(
                &actor.ticket_scope(),
                &ListCalls {
                    number,
                    ticket_id: q.ticket_id,
                    customer_id: q.customer_id,
                    id: None,
                    before_id: q.after,
                    limit,
                },
            )
            .await?;
        let items: Vec<CallView> = rows.into_iter().map(Into::into).collect();
        Ok(crate::views::Page::new(items, limit, |c| c.id))
    }

    /// One call, if its ticket is the caller's to see.
    pub async fn get_call(&self, actor: &Actor, id: i64) -> Result<CallView> {
        staff_only(actor)?;
        self.store
            .calls(
                &actor.ticket_scope(),
                &ListCalls {
                    id: Some(id),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .next()
            .map(Into::into)
            .ok_or_else(call_not_found)
    }

    /// Who is calling from `raw` (any written form): the customer whose phone identity
    /// it is, and anyone it was logged for before, each with their open tickets, calls
    /// and last contacts as far as the caller may see them.
    pub async fn caller_lookup(&self, actor: &Actor, raw: &str) -> Result<CallerLookup> {
        staff_only(actor)?;
        let number = self.phone_number(raw, "number").await?;
        let scope = actor.ticket_scope();
        let mut ids = Vec::new();
        if let Some(u) = self
            .store
            .user_by_identity("phone", number.as_str())
            .await?
            .filter(|u| u.role == "customer")
        {
            ids.push(u.id);
        }
        let earlier = self
            .store
            .calls(
                &scope,
                &ListCalls {
                    number: Some(number.to_string()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await?;
        for c in earlier {
            if !ids.contains(&c.customer_id) {
                ids.push(c.customer_id);
            }
        }
        let mut callers = Vec::new();
        for id in ids.into_iter().take(5) {
            let profile = self.customer_view(id).await?;
            let rows = self
                .store
                .tickets(
                    &scope,
                    &ListTickets {
                        requester_id: Some(id),
                        statuses: ["new", "open", "pending_customer", "pending_third_party"]
                            .map(String::from)
                            .to_vec(),
                        limit: 20,
                        ..Default::default()
                    },
                )
                .await?;
            let open_tickets = self.ticket_views(rows, true).await?;
            let recent_calls = self
                .store
                .calls(
                    &scope,
                    &ListCalls {
                        customer_id: Some(id),
                        limit: 5,
                        ..Default::default()
                    },
                )
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            let last_contacts = self
                .store
                .customer_contacts(&scope, id, 5)
                .await?
                .into_iter()
                .map(|m| ContactView {
                    ticket_id: m.ticket_id,
                    ticket_subject: m.ticket_subject,
                    channel: m.channel,
                    author_name: m.author_name,
                    author_role: m.author_role,
                    excerpt: excerpt(&m.body_text, 160),
                    at: rfc3339(m.created_at),
                })
                .collect();
            callers.push(Caller {
                profile,
                open_tickets,
                recent_calls,
                last_contacts,
            });
        }
        Ok(CallerLookup {
            number: number.to_string(),
            callers,
        })
    }

    /// A new customer for an unknown number: their profile with the number as a phone
    /// identity (the number is checked before anyone is created).
    pub async fn create_caller(
        &self,
        actor: &Actor,
        number: &str,
        name: &str,
        email: &str,
    ) -> Result<CustomerView> {
        let number = self.phone_number(number, "number").await?;
        if let Some(owner) = self
            .store
            .user_by_identity("phone", number.as_str())
            .await?
        {
            return Err(ServiceError::conflict(
                ErrorCode::AlreadyExists,
                format!("{number} already belongs to {}", owner.name),
            ));
        }
        let customer = self
            .create_customer(
                Some(actor),
                crate::people::NewCustomer {
                    email: email.into(),
                    name: name.into(),
                    organization_id: None,
                    time_zone: None,
                    password: None,
                },
            )
            .await?;
        self.add_identity(
            actor,
            customer.id,
            crate::people::NewIdentity {
                kind: "phone".into(),
                value: number.to_string(),
            },
        )
        .await
    }
}

fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    }
}
