//! Respect for the customer's time: the policy book (calendars and targets), a ticket's
//! clocks computed from its event log, the promise the customer sees, explicit promises,
//! and the sweep that warns owners and escalates breaches exactly once.

use crate::ErrorCode;
use crate::snapshot::Snapshot;
use crate::views::rfc3339;
use crate::{Actor, Result, ServiceError, Services};
use heard_sla::{
    AlertKind, PolicyBook, PolicyBookSpec, SlaEvent, SlaEventKind, Status as SlaStatus,
    TicketAttributes, TicketClocks, compute_clocks, plan_alerts, queue_rank,
};
use heard_store::{EventRow, NewEvent, NewNotification, TicketRow, TicketState};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use utoipa::ToSchema;

pub(crate) const BOOK_KEY: &str = "service_levels";

/// Until an admin sets one: weekdays 09:00–17:00 UTC; urgent and high requests get
/// tighter targets. Targets are business minutes.
const DEFAULT_BOOK: &str = r#"{
  "calendars": {"office": {"zone": "UTC", "periods": [
    {"day": "monday", "start": "09:00", "end": "17:00"}, {"day": "tuesday", "start": "09:00", "end": "17:00"},
    {"day": "wednesday", "start": "09:00", "end": "17:00"}, {"day": "thursday", "start": "09:00", "end": "17:00"},
    {"day": "friday", "start": "09:00", "end": "17:00"}], "holidays": []}},
  "default_calendar": "office",
  "policies": [
    {"id": "priority", "name": "Urgent and high", "conditions": {"priorities": ["urgent", "high"]},
     "targets": {"first_response": 60, "next_update": 120, "periodic_update": 240, "resolution": 960}},
    {"id": "standard", "name": "Standard",
     "targets": {"first_response": 240, "next_update": 480, "periodic_update": 960, "resolution": 2400}}
  ],
  "default_policy": "standard"
}"#;

/// The policy book stored as `raw` (the default until an admin stores one).
pub(crate) fn parse_book(raw: Option<&str>) -> Result<Arc<PolicyBook>> {
    let spec: PolicyBookSpec = serde_json::from_str(raw.unwrap_or(DEFAULT_BOOK))
        .map_err(|e| ServiceError::internal(format!("stored policy book: {e}")))?;
    Ok(Arc::new(PolicyBook::new(spec).map_err(|e| {
        ServiceError::internal(format!("stored policy book: {e}"))
    })?))
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn sla_status(s: &str) -> Option<SlaStatus> {
    serde_json::from_value(json!(s)).ok()
}

/// The event log as the service-level rules read it.
pub(crate) fn sla_event(at: i64, kind: &str, data: &serde_json::Value) -> Option<SlaEvent> {
    let s = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let id = |k: &str| data.get(k).and_then(|v| v.as_i64()).map(|n| n.to_string());
    let kind = match kind {
        "created" => SlaEventKind::Created {
            policy: s("policy")?,
            team: id("team_id"),
        },
        "replied" if s("by").as_deref() == Some("customer") => SlaEventKind::CustomerMessage {
            channel: s("channel"),
        },
        "replied" => SlaEventKind::AgentPublicReply {
            channel: s("channel"),
        },
        "noted" => SlaEventKind::InternalNote,
        "status_changed" => SlaEventKind::StatusChanged {
            to: sla_status(&s("to")?)?,
        },
        "team_changed" => SlaEventKind::TeamChanged { team: id("to") },
        "escalated" => SlaEventKind::TeamChanged {
            team: id("to_team_id"),
        },
        "policy_changed" => SlaEventKind::PolicyChanged { policy: s("to")? },
        "merged_into" => SlaEventKind::MergedInto,
        "merged_from" => SlaEventKind::MergedFrom {
            oldest_unanswered: data
                .get("oldest_unanswered_ms")
                .and_then(|v| v.as_i64())
                .map(ts),
        },
        "promised" => SlaEventKind::Promise {
            due_at: ts(data.get("due_at_ms")?.as_i64()?),
        },
        _ => return None,
    };
    Some(SlaEvent::new(ts(at), kind))
}

/// Like [`sla_event`], for kinds that stand for several: an `imported` ticket starts its
/// clocks at the import under its policy, counts as answered when the last public word at
/// the source was ours, and takes the status it had there (so a closed ticket's clocks
/// stop at once and nothing breaches on arrival). A later import of the same ticket
/// (`update`) only carries its status over.
pub(crate) fn sla_events(at: i64, kind: &str, data: &serde_json::Value) -> Vec<SlaEvent> {
    if kind != "imported" {
        return sla_event(at, kind, data).into_iter().collect();
    }
    let s = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let mut out = Vec::new();
    if !data
        .get("update")
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
    {
        let Some(policy) = s("policy") else {
            return out;
        };
        out.push(SlaEvent::new(
            ts(at),
            SlaEventKind::Created {
                policy,
                team: data
                    .get("team_id")
                    .and_then(|v| v.as_i64())
                    .map(|n| n.to_string()),
            },
        ));
        if data.get("answered").and_then(|v| v.as_bool()) == Some(true) {
            out.push(SlaEvent::new(
                ts(at),
                SlaEventKind::AgentPublicReply {
                    channel: s("channel"),
                },
            ));
        }
    }
    if let Some(to) = s("status").as_deref().and_then(sla_status)
        && to != SlaStatus::New
    {
        out.push(SlaEvent::new(ts(at), SlaEventKind::StatusChanged { to }));
    }
    out
}

/// The clocks of a ticket whose log is `existing` plus `new` events written at `now`.
pub(crate) fn clocks_in(
    book: &PolicyBook,
    existing: &[EventRow],
    new: &[NewEvent],
    now: i64,
) -> TicketClocks {
    let mut log: Vec<SlaEvent> = existing
        .iter()
        .flat_map(|e| {
            sla_events(
                e.created_at,
                &e.kind,
                &serde_json::from_str(&e.data).unwrap_or_default(),
            )
        })
        .collect();
    log.extend(new.iter().flat_map(|e| sla_events(now, &e.kind, &e.data)));
    compute_clocks(book, &log, ts(now))
}

/// Sets the columns a write derives from the ticket's log (`existing` plus the `new`
/// events it appends at `now`): clocks, promise, queue key, next alert and when the
/// ticket, stuck at its tier, escalates on its own. Returns the clocks as of `now`.
pub(crate) fn settle(
    snapshot: &Snapshot,
    existing: &[EventRow],
    new: &[NewEvent],
    state: &mut TicketState,
    now: i64,
) -> TicketClocks {
    let clocks = clocks_in(&snapshot.policies, existing, new, now);
    Services::apply_clocks(state, &clocks, now);
    state.escalate_at = crate::routing::stuck_deadline_in(
        &snapshot.policies,
        &snapshot.routing,
        existing,
        new,
        state,
        now,
    );
    clocks
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromise {
    /// When the customer will hear from us, RFC 3339 (e.g. 2026-11-26T15:00:00Z).
    pub due_at: String,
    /// Shown to the customer with the promise, e.g. "I'll call the vendor first".
    pub note: Option<String>,
}

impl Services {
    /// The policy book in force (the default until an admin stores one).
    pub async fn policy_book(&self) -> Result<Arc<PolicyBook>> {
        Ok(self.snapshot().await?.policies.clone())
    }

    /// The calendars and policies as JSON (staff).
    pub async fn service_levels(&self, actor: &Actor) -> Result<PolicyBookSpec> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("service levels are for staff"));
        }
        Ok(self.policy_book().await?.spec().clone())
    }

    /// Replaces the calendars and policies (admins). Running tickets keep their elapsed
    /// time: clocks are recomputed from events, never rewritten.
    pub async fn set_service_levels(
        &self,
        actor: &Actor,
        spec: serde_json::Value,
    ) -> Result<PolicyBookSpec> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("only admins change service levels"));
        }
        let spec: PolicyBookSpec = serde_json::from_value(spec).map_err(|e| {
            ServiceError::invalid(
                "service_levels",
                ErrorCode::InvalidServiceLevels,
                e.to_string(),
            )
        })?;
        let book = PolicyBook::new(spec.clone()).map_err(|e| {
            ServiceError::Invalid(heard_domain::Invalid {
                field: Some("service_levels"),
                code: ErrorCode::InvalidServiceLevels,
                message: format!("{}: {e}", e.field()),
            })
        })?;
        self.store
            .set_setting(
                BOOK_KEY,
                &serde_json::to_string(book.spec()).unwrap_or_default(),
            )
            .await?;
        Ok(spec)
    }

    /// The policy a ticket with these attributes falls under.
    pub(crate) fn select_policy(
        book: &PolicyBook,
        priority: &str,
        channel: &str,
        team_id: Option<i64>,
        organization_id: Option<i64>,
    ) -> String {
        let attrs = TicketAttributes {
            priority: serde_json::from_value(json!(priority)).ok(),
            channel: Some(channel.to_string()),
            team: team_id.map(|t| t.to_string()),
            organization: organization_id.map(|o| o.to_string()),
            customer_tier: None,
        };
        book.select(&attrs).id.clone()
    }

    /// The clocks of a ticket whose log is `existing` plus `new` events written at `now`.
    pub(crate) async fn clocks_for(
        &self,
        existing: &[EventRow],
        new: &[NewEvent],
        now: i64,
    ) -> Result<TicketClocks> {
        Ok(clocks_in(&*self.policy_book().await?, existing, new, now))
    }

    /// Sets the columns derived from the clocks: promise, earliest due, queue key and when
    /// the next warning or breach falls due.
    pub(crate) fn apply_clocks(state: &mut TicketState, clocks: &TicketClocks, now: i64) {
        state.policy_id = clocks.policy.clone();
        state.next_update_due = clocks.next_update_due.map(|t| t.as_millisecond());
        let due = clocks.earliest_due();
        state.due_at = due.map(|t| t.as_millisecond());
        let frustration = state.frustration_score.unwrap_or(0).clamp(0, 100) as u8;
        state.queue_rank = queue_rank(due, frustration);
        let plan = plan_alerts(clocks, ts(now));
        state.next_alert_at = if plan.due.is_empty() {
            plan.next_at.map(|t| t.as_millisecond())
        } else {
            Some(now)
        };
    }

    /// Recomputes the derived columns for a write about to append `new` events (and when
    /// the ticket, stuck at its tier, would escalate on its own).
    pub(crate) async fn settle_time(
        &self,
        ticket_id: Option<i64>,
        state: &mut TicketState,
        new: &[NewEvent],
        now: i64,
    ) -> Result<()> {
        let snapshot = self.snapshot().await?;
        let existing = match ticket_id {
            Some(id) => self.store.events(id).await?,
            None => Vec::new(),
        };
        settle(&snapshot, &existing, new, state, now);
        Ok(())
    }

    /// A ticket's clocks as of now.
    pub async fn ticket_clocks(&self, t: &TicketRow) -> Result<TicketClocks> {
        let events = self.store.events(t.id).await?;
        self.clocks_for(&events, &[], self.now()).await
    }

    /// An explicit promise to the customer ("I'll update you by Thursday 15:00"), tracked
    /// like a target: warned before it lapses, escalated if broken.
    pub async fn make_promise(
        &self,
        actor: &Actor,
        id: i64,
        input: NewPromise,
    ) -> Result<crate::views::TicketDetail> {
        let due: Timestamp = input.due_at.parse().map_err(|_| {
            ServiceError::invalid(
                "due_at",
                ErrorCode::InvalidDueAt,
                "due_at is an RFC 3339 instant, e.g. 2026-11-26T15:00:00Z",
            )
        })?;
        let due_ms = due.as_millisecond();
        let note = input
            .note
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
            return Err(ServiceError::invalid(
                "note",
                ErrorCode::NoteTooLong,
                "a promise note has at most 500 characters",
            ));
        }
        self.with_ticket(actor, id, |t, now| {
            if !actor.is_staff() {
                return Err(ServiceError::forbidden("only staff make promises"));
            }
            if due_ms <= now {
                return Err(ServiceError::invalid(
                    "due_at",
                    ErrorCode::PromiseInPast,
                    "a promise must be in the future",
                ));
            }
            if !t.status.parse::<heard_domain::Status>()?.is_open() {
                return Err(ServiceError::conflict(
                    ErrorCode::TicketNotOpen,
                    "promises are made on open tickets",
                ));
            }
            let mut c = crate::tickets::Change::of(t);
            c.events.push(NewEvent {
                actor_id: Some(actor.user_id),
                kind: "promised".into(),
                data: json!({"due_at": rfc3339(due_ms), "due_at_ms": due_ms, "note": note}),
            });
            Ok(c)
        })
        .await?;
        self.ticket_detail(actor, id).await
    }

    /// One sweep of due warnings and breaches. Each alert fires once (its key is unique
    /// per ticket), so any number of processes may sweep, and a sweep after downtime
    /// catches up on everything that fell due meanwhile. Returns how many fired.
    pub async fn run_due_alerts(&self) -> Result<usize> {
        let now = self.now();
        let mut fired = 0;
        for id in self.store.tickets_with_alerts_due(now, 200).await? {
            let Some(t) = self.store.ticket(id).await? else {
                continue;
            };
            let clocks = self.ticket_clocks(&t).await?;
            let plan = plan_alerts(&clocks, ts(now));
            for alert in &plan.due {
                let subject = serde_json::to_value(alert.subject).unwrap_or_default();
                let subject = subject.as_str().unwrap_or("target").replace('_', " ");
                let (kind, notification) = match alert.kind {
                    AlertKind::Warning => (
                        "sla_warning",
                        NewNotification {
                            user_id: t.assignee_id,
                            role: t.assignee_id.is_none().then(|| "agent".to_string()),
                            kind: "sla_warning".into(),
                            message: format!("#{} {}: the {subject} is due soon", t.id, t.subject),
                        },
                    ),
                    AlertKind::Breach => (
                        "sla_breached",
                        NewNotification {
                            user_id: None,
                            role: Some("supervisor".into()),
                            kind: "sla_breached".into(),
                            message: format!("#{} {}: the {subject} was missed", t.id, t.subject),
                        },
                    ),
                };
                let event = NewEvent {
                    actor_id: None,
                    kind: kind.into(),
                    data: json!({"alert": alert.key, "subject": alert.subject, "due_at": rfc3339(alert.at.as_millisecond())}),
                };
                if self
                    .store
                    .fire_alert(t.id, &alert.key, kind, &event, &notification, now)
                    .await?
                {
                    fired += 1;
                }
            }
            self.store
                .set_next_alert(t.id, plan.next_at.map(|n| n.as_millisecond()))
                .await?;
        }
        Ok(fired)
    }

    /// Sweeps forever (the `heard serve` background task).
    pub async fn alert_loop(self, every: std::time::Duration) {
        loop {
            if let Err(e) = self.run_due_alerts().await {
                tracing::warn!(error = %e, "service-level sweep failed; retrying");
            }
            tokio::time::sleep(every).await;
        }
    }
}

impl Services {
    /// A person's notifications and their role's, newest first.
    pub async fn notifications(
        &self,
        actor: &Actor,
    ) -> Result<Vec<crate::views::NotificationView>> {
        if !actor.is_staff() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .notifications_for(actor.user_id, actor.role.as_str(), 100)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// How many of the notifications above the person has not read (0 for a customer).
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64> {
        if !actor.is_staff() {
            return Ok(0);
        }
        Ok(self
            .store
            .unread_notifications(actor.user_id, actor.role.as_str())
            .await?)
    }

    /// Marks one of the person's notifications (`only`) or all of them as read, for them
    /// alone; one not addressed to them is left alone. Answers how many were marked.
    pub async fn mark_notifications_read(&self, actor: &Actor, only: Option<i64>) -> Result<u64> {
        if !actor.is_staff() {
            return Ok(0);
        }
        Ok(self
            .store
            .mark_notifications_read(actor.user_id, actor.role.as_str(), only, self.now())
            .await?)
    }
}

/// Service-level compliance per policy, team and target over recent tickets.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct ComplianceReport {
    pub since: String,
    /// Tickets whose clocks were counted (the most recently changed, at most 20,000).
    pub tickets: usize,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
}

impl Services {
    /// Met / breached / at risk / on track / paused per policy, team and target, computed
    /// from the event logs of tickets changed in the last `days` days (supervisors).
    pub async fn compliance_report(
        &self,
        actor: &Actor,
        days: Option<i64>,
    ) -> Result<ComplianceReport> {
        if !actor.may_view_agents() {
            return Err(ServiceError::forbidden(
                "compliance reports are for supervisors",
            ));
        }
        let days = days.unwrap_or(30);
        if !(1..=366).contains(&days) {
            return Err(ServiceError::invalid(
                "days",
                ErrorCode::InvalidDays,
                "days is between 1 and 366",
            ));
        }
        let now = self.now();
        let since = now - days * 24 * 60 * 60 * 1000;
        let events = self.store.recent_event_logs(since, 20_000).await?;
        let mut clocks = Vec::new();
        for log in events.chunk_by(|a, b| a.ticket_id == b.ticket_id) {
            clocks.push(self.clocks_for(log, &[], now).await?);
        }
        let rows = heard_sla::compliance(clocks.iter())
            .into_iter()
            .map(|r| {
                let mut v = serde_json::to_value(&r).unwrap_or_default();
                v["compliance_percent"] = json!(r.compliance_percent());
                v
            })
            .collect();
        Ok(ComplianceReport {
            since: rfc3339(since),
            tickets: clocks.len(),
            rows,
        })
    }

    /// Adds the all-day events of an iCalendar file as holidays of one calendar (admins).
    pub async fn import_holidays(
        &self,
        actor: &Actor,
        calendar: &str,
        ics: &str,
    ) -> Result<PolicyBookSpec> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("only admins change calendars"));
        }
        let holidays = heard_sla::parse_ical_holidays(ics).map_err(|e| {
            ServiceError::invalid("body", ErrorCode::InvalidIcalendar, e.to_string())
        })?;
        let mut spec = self.policy_book().await?.spec().clone();
        let cal = spec.calendars.get(calendar).ok_or(ServiceError::not_found(
            "calendar",
            ErrorCode::CalendarNotFound,
        ))?;
        let merged = cal.with_holidays(holidays).map_err(|e| {
            ServiceError::invalid("body", ErrorCode::InvalidIcalendar, e.to_string())
        })?;
        spec.calendars.insert(calendar.to_string(), merged);
        self.set_service_levels(actor, serde_json::to_value(&spec).unwrap_or_default())
            .await
    }
}
