//! The agent's presence switch and gentle break reminder (on `/agent`), and the
//! supervisor's view of everyone's presence, breaks and hard conversations this shift.

use crate::WebState;
use crate::format::when;
use crate::page::{BackTo, PageResult, see_other};
use crate::session::Viewer;
use axum::Form;
use axum::extract::State;
use heard_services::routing::{PresenceInput, PresenceView};
use serde::Deserialize;

/// The states an agent can choose, in the order the switch shows them.
const CHOICES: [(&str, &str, &str); 5] = [
    ("available", "Available", "Available"),
    ("on_break", "On a break", "Take a break"),
    ("at_lunch", "At lunch", "Lunch"),
    ("away", "Away", "Away"),
    ("offline", "Offline", "Offline"),
];

pub fn label(presence: &str) -> &'static str {
    CHOICES
        .iter()
        .find(|c| c.0 == presence)
        .map_or("Offline", |c| c.1)
}

pub struct Choice {
    pub value: &'static str,
    pub button: &'static str,
    pub current: bool,
}

/// The switch and the reminder at the top of the agent's queues.
pub struct PresencePanel {
    pub value: String,
    pub label: &'static str,
    pub since: String,
    pub load: String,
    pub reminder: Option<String>,
    pub choices: Vec<Choice>,
}

pub fn load_line(p: &PresenceView) -> String {
    let hard = match p.hard_this_shift {
        0 => "no hard conversations this shift".to_string(),
        1 => "1 hard conversation this shift".to_string(),
        n => format!("{n} hard conversations this shift"),
    };
    format!("{} of {} tickets open · {hard}", p.open_tickets, p.capacity)
}

impl PresencePanel {
    pub fn new(p: &PresenceView) -> PresencePanel {
        PresencePanel {
            label: label(&p.presence),
            since: p.since.as_deref().map(when).unwrap_or_default(),
            load: load_line(p),
            reminder: p.reminder.clone(),
            choices: CHOICES
                .iter()
                .map(|(value, _, button)| Choice {
                    value,
                    button,
                    current: *value == p.presence,
                })
                .collect(),
            value: p.presence.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct PresenceForm {
    csrf: String,
    presence: String,
}

/// The switch without JavaScript: post, change, back to the queues.
pub async fn set(
    State(s): State<WebState>,
    viewer: Viewer,
    Form(f): Form<PresenceForm>,
) -> PageResult {
    viewer.check_csrf(&f.csrf)?;
    viewer.require_staff()?;
    s.services
        .set_presence(
            &viewer.actor,
            viewer.actor.user_id,
            PresenceInput {
                presence: f.presence,
            },
        )
        .await
        .back_to("/agent")?;
    Ok(see_other("/agent", "presence"))
}

/// One line of the supervisor's table.
pub struct AgentLine {
    pub name: String,
    pub role: String,
    pub value: String,
    pub label: &'static str,
    pub since: String,
    pub worked: Option<String>,
    pub overdue: bool,
    pub open: i64,
    pub capacity: i64,
    pub hard: Vec<(i64, String, bool)>,
}

pub fn worked(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

impl AgentLine {
    pub fn new(p: &PresenceView) -> AgentLine {
        AgentLine {
            name: p.agent.name.clone(),
            role: p.role.clone(),
            value: p.presence.clone(),
            label: label(&p.presence),
            since: p.since.as_deref().map(when).unwrap_or_default(),
            worked: p.minutes_without_break.map(worked),
            overdue: p.break_overdue,
            open: p.open_tickets,
            capacity: p.capacity,
            hard: p
                .hard_interactions
                .iter()
                .map(|h| (h.ticket_id, h.subject.clone(), h.abusive))
                .collect(),
        }
    }
}
