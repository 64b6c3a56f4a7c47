//! `heard seed`: a large, lifelike help desk written in bulk, for benchmarks and for
//! trying heard at scale. Teams, staff, calendars and policies go through the ordinary
//! use cases; customers and tickets are generated here and written many per statement.
//! Each ticket's columns come from the same rules a live write uses — the frustration
//! score of its customers' messages, the tone review of its replies, the service-level
//! clocks computed from its event log — only without a round trip per row.

use crate::ErrorCode;
use crate::people::{NewAgent, NewOrganization, NewTeam};
use crate::service_levels::{sla_event, ts};
use crate::{Actor, Result, ServiceError, Services};
use heard_domain::Role;
use heard_language::{FrustrationContext, ToneContext, review_tone, score_frustration};
use heard_sla::{PolicyBook, SlaEvent, compute_clocks, plan_alerts};
use heard_store::{
    ArticleContent, SeedCustomer, SeedDiagnosis, SeedEvent, SeedMessage, SeedTicket, TicketState,
};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// How much to write.
#[derive(Debug, Clone, Copy)]
pub struct SeedPlan {
    pub tickets: usize,
    pub customers: usize,
    pub agents: usize,
    pub articles: usize,
}

impl SeedPlan {
    /// Defaults scaled to the number of tickets: a customer per ten tickets, an agent per
    /// 20,000 (at least 12), an article per 200 (at least 50).
    pub fn for_tickets(tickets: usize) -> SeedPlan {
        SeedPlan {
            tickets,
            customers: (tickets / 10).clamp(20, 200_000),
            agents: (tickets / 20_000).clamp(12, 500),
            articles: (tickets / 200).clamp(50, 20_000),
        }
    }
}

/// What was written, and who to sign in as.
#[derive(Debug, Clone, Serialize)]
pub struct SeedReport {
    pub teams: usize,
    pub agents: usize,
    pub customers: usize,
    pub organizations: usize,
    pub tickets: usize,
    pub messages: usize,
    pub events: usize,
    pub articles: usize,
    /// A customer with tickets, an agent of the first team and a supervisor.
    pub customer_email: String,
    pub agent_email: String,
    pub agent_team_id: i64,
    pub supervisor_email: String,
}

/// Tickets per transaction: big enough that commits are rare, small enough to stream.
const BATCH: usize = 2_000;

/// A deterministic generator (xorshift64*): the same plan writes the same help desk.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What customers write about, which team takes it, and how the conversation goes.
struct Topic {
    tag: &'static str,
    team: usize,
    subjects: &'static [&'static str],
    openings: &'static [&'static str],
    details: &'static [&'static str],
    /// What an agent records as the cause, and what fixed it.
    diagnosis: (&'static str, &'static str),
}

const TOPICS: &[Topic] = &[
    Topic {
        tag: "printing",
        team: 0,
        subjects: &[
            "Printer prints blank pages",
            "Cannot add the office printer",
            "Print jobs stuck in the queue",
        ],
        openings: &[
            "Hi, the printer on our floor only prints blank pages.",
            "Hello, my laptop no longer finds the office printer after the update.",
            "Print jobs sit in the queue and never come out of the printer.",
        ],
        details: &[
            "I already replaced the toner and restarted it.",
            "Colleagues on the same floor have the same problem.",
            "We need to print contracts for a client meeting this afternoon.",
        ],
        diagnosis: (
            "Print server driver update left a broken queue configuration",
            "Rolled the driver back and recreated the queue",
        ),
    },
    Topic {
        tag: "vpn",
        team: 1,
        subjects: &[
            "VPN disconnects every few minutes",
            "Cannot connect to the VPN from home",
            "VPN asks for my password again and again",
        ],
        openings: &[
            "The VPN connection drops every few minutes when I work from home.",
            "I cannot connect to the VPN since yesterday evening.",
            "The VPN client keeps asking for my password even though it is correct.",
        ],
        details: &[
            "My home internet works fine otherwise.",
            "I tried reinstalling the client, no change.",
            "I have a deadline tomorrow morning and need the file share.",
        ],
        diagnosis: (
            "VPN gateway session timeout set too low after the firmware upgrade",
            "Raised the idle timeout and re-issued the client profile",
        ),
    },
    Topic {
        tag: "accounts",
        team: 0,
        subjects: &[
            "Locked out of my account",
            "Password reset link does not arrive",
            "Two-factor codes are rejected",
        ],
        openings: &[
            "I am locked out of my account after entering the wrong password.",
            "I requested a password reset but the e-mail never arrives.",
            "The codes from my authenticator app are rejected at sign-in.",
        ],
        details: &[
            "I checked the spam folder as well.",
            "The clock on my phone is set automatically.",
            "I cannot work at all until this is fixed.",
        ],
        diagnosis: (
            "Lockout policy triggered by an old password saved on a phone",
            "Unlocked the account and removed the stale saved password",
        ),
    },
    Topic {
        tag: "email",
        team: 0,
        subjects: &[
            "Outlook will not sync",
            "Mailbox full warning",
            "E-mails to customers bounce",
        ],
        openings: &[
            "Outlook stopped syncing my inbox this morning.",
            "I get a warning that my mailbox is full, but I deleted a lot.",
            "Messages I send to one of our customers bounce back.",
        ],
        details: &[
            "Webmail shows the new messages, only the desktop app does not.",
            "The bounce says the recipient server rejected us.",
            "It started after the weekend.",
        ],
        diagnosis: (
            "Mail client cache corrupted after the mailbox migration",
            "Rebuilt the local cache and re-synced the mailbox",
        ),
    },
    Topic {
        tag: "wifi",
        team: 1,
        subjects: &[
            "Wi-Fi drops in the meeting room",
            "Slow network on the second floor",
            "Guest Wi-Fi password not working",
        ],
        openings: &[
            "The Wi-Fi keeps dropping in the large meeting room.",
            "The network on the second floor has been very slow for two days.",
            "The guest Wi-Fi password on the welcome sheet does not work.",
        ],
        details: &[
            "Video calls freeze every few minutes.",
            "Wired connections seem fine.",
            "We have visitors arriving at ten.",
        ],
        diagnosis: (
            "Access point in the meeting room running on a crowded channel",
            "Moved the access point to a free channel and updated its firmware",
        ),
    },
    Topic {
        tag: "billing",
        team: 2,
        subjects: &[
            "Invoice shows the wrong VAT number",
            "Charged twice this month",
            "Refund not received",
        ],
        openings: &[
            "Our latest invoice shows an old VAT number.",
            "We were charged twice for this month's subscription.",
            "We cancelled an order three weeks ago and the refund has not arrived.",
        ],
        details: &[
            "Our finance team cannot book the invoice like this.",
            "Both charges show on the same card statement.",
            "The order number is on the cancellation confirmation.",
        ],
        diagnosis: (
            "Customer record still held the previous VAT number",
            "Corrected the record and reissued the invoice",
        ),
    },
    Topic {
        tag: "software",
        team: 1,
        subjects: &[
            "App crashes when opening reports",
            "Error after the latest update",
            "Export to PDF fails",
        ],
        openings: &[
            "The app crashes as soon as I open the reports page.",
            "Since the latest update I get an error when I save a document.",
            "Exporting a report to PDF fails with a generic error.",
        ],
        details: &[
            "It worked fine last week.",
            "I attached a screenshot of the error message.",
            "The board meeting needs these reports on Friday.",
        ],
        diagnosis: (
            "Regression in the latest release when loading old reports",
            "Applied the vendor's hotfix",
        ),
    },
    Topic {
        tag: "hardware",
        team: 0,
        subjects: &[
            "Laptop will not charge",
            "Second monitor not detected",
            "Keyboard keys stop working",
        ],
        openings: &[
            "My laptop does not charge anymore, the light stays off.",
            "The second monitor is not detected when I dock the laptop.",
            "Some keys on my keyboard stop working after a while.",
        ],
        details: &[
            "I tried another charger from a colleague.",
            "The cable works with other laptops.",
            "I travel to a customer on Monday and need it working.",
        ],
        diagnosis: (
            "Faulty docking station power supply",
            "Replaced the docking station",
        ),
    },
];

/// The customer's later messages, calm to upset.
const FOLLOW_UPS: &[&str] = &[
    "Thanks, I tried that and it works now.",
    "I tried what you suggested but nothing changed.",
    "Any update on this? It is still not working.",
    "This is the third time I am writing about this. Nobody has fixed it yet.",
    "Here is the information you asked for. Please let me know what else you need.",
    "I have waited two days for an answer. This is really frustrating.",
    "Still broken. I already explained everything in my first message, please read it.",
    "Thank you for the quick help, much appreciated!",
];

/// Agents' public replies, each with an acknowledgement, a next step and a time frame.
const REPLIES: &[&str] = &[
    "Thank you for the details, and I'm sorry for the trouble. I've restarted the service on our side; could you try again and let me know within the next hour whether it works?",
    "I understand how disruptive this is, especially before a deadline. I'm checking the logs now and will update you by 3 pm today with what I find.",
    "Thanks for your patience. I have passed this to our network team with everything you told us, so you won't need to repeat it. You will hear from us by tomorrow morning.",
    "Sorry that this is still happening. I've changed the setting that caused it; please restart your computer and reply here if the problem comes back. I'll check in with you on Monday.",
    "I've issued a corrected invoice and sent it to your finance address. It should arrive within the next few minutes; let me know if anything on it is still wrong.",
    "Thanks for confirming. I'm glad it works again; I'll mark this as solved, and you can reply here any time within the next week if it happens again.",
];

const NOTES: &[&str] = &[
    "Checked the server logs: same error as the known issue from last week.",
    "Customer is on the premium plan; keep them updated often.",
    "Asked the vendor for a replacement part, ticket number in our supplier portal.",
    "Looks like a configuration drift after the update; fix on our side first.",
];

const FIRST_NAMES: &[&str] = &[
    "Olivia", "Marcus", "Fatima", "Jonas", "Grace", "Pat", "Amara", "Luca", "Mei", "Noah", "Sofia",
    "Ravi", "Elena", "Kwame", "Ines", "Tariq", "Hannah", "Mateo", "Yuki", "Aisha",
];
const LAST_NAMES: &[&str] = &[
    "Chen", "Webb", "Zahra", "Berg", "Liu", "Murphy", "Okafor", "Rossi", "Tanaka", "Novak",
    "Silva", "Kumar", "Petrova", "Mensah", "Garcia", "Haddad", "Schmidt", "Moreau", "Kim", "Ali",
];
const TIME_ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/London",
    "America/Los_Angeles",
    "Australia/Adelaide",
];
const TEAMS: &[(&str, &str, &str)] = &[
    ("Service Desk", "First line for everything", "berlin"),
    ("Infrastructure", "Networks, VPN and servers", "new_york"),
    ("Billing", "Invoices, refunds and payments", "berlin"),
];
const SKILLS: &[&str] = &[
    "printing", "vpn", "accounts", "email", "wifi", "billing", "software", "hardware",
];

/// Three calendars (Berlin with a lunch break, New York, and round the clock for urgent
/// work) and a policy per priority, as a help desk with two offices would set them.
fn policy_book(team_ids: &[i64]) -> serde_json::Value {
    let week = |zone: &str, periods: &[(&str, &str)]| {
        let days = ["monday", "tuesday", "wednesday", "thursday", "friday"];
        let periods: Vec<_> = days
            .iter()
            .flat_map(|d| {
                periods
                    .iter()
                    .map(move |(s, e)| json!({"day": d, "start": s, "end": e}))
            })
            .collect();
        json!({"zone": zone, "periods": periods, "holidays": [
            {"date": "2025-12-25", "name": "Christmas Day", "yearly": true},
            {"date": "2026-01-01", "name": "New Year's Day", "yearly": true}]})
    };
    let mut team_calendars = serde_json::Map::new();
    for (id, (_, _, cal)) in team_ids.iter().zip(TEAMS) {
        team_calendars.insert(id.to_string(), json!(cal));
    }
    json!({
        "calendars": {
            "berlin": week("Europe/Berlin", &[("08:00", "12:30"), ("13:15", "17:30")]),
            "new_york": week("America/New_York", &[("09:00", "18:00")]),
        },
        "default_calendar": "berlin",
        "team_calendars": team_calendars,
        "policies": [
            {"id": "urgent", "name": "Urgent", "conditions": {"priorities": ["urgent"]},
             "targets": {"first_response": 30, "next_update": 60, "periodic_update": 120, "resolution": 480}},
            {"id": "priority", "name": "High", "conditions": {"priorities": ["high"]},
             "targets": {"first_response": 60, "next_update": 120, "periodic_update": 240, "resolution": 960}},
            {"id": "standard", "name": "Standard",
             "targets": {"first_response": 240, "next_update": 480, "periodic_update": 960, "resolution": 2400}}
        ],
        "default_policy": "standard"
    })
}

/// Who a generated ticket can involve.
struct Cast {
    /// Per team: its agents' ids.
    team_agents: Vec<Vec<i64>>,
    team_ids: Vec<i64>,
    /// Customer ids with their organization.
    customers: Vec<(i64, Option<i64>)>,
    book: Arc<PolicyBook>,
    /// Tone reviews of the fixed replies, computed once.
    reply_analysis: Vec<String>,
    now: i64,
    /// Tickets spread over this many milliseconds before `now`.
    span: i64,
}

const STATUSES_RECENT: &[&str] = &[
    "new",
    "open",
    "open",
    "pending_customer",
    "pending_third_party",
    "resolved",
];
const STATUSES_OLD: &[(&str, u64)] = &[
    ("closed", 72),
    ("resolved", 14),
    ("open", 6),
    ("pending_customer", 5),
    ("pending_third_party", 3),
];
const PRIORITIES: &[(&str, u64)] = &[("low", 15), ("normal", 60), ("high", 20), ("urgent", 5)];
const CHANNELS: &[&str] = &["email", "email", "portal", "portal", "chat", "phone", "api"];

fn weighted<'a>(rng: &mut Rng, options: &[(&'a str, u64)]) -> &'a str {
    let total: u64 = options.iter().map(|o| o.1).sum();
    let mut roll = rng.next() % total;
    for (name, w) in options {
        if roll < *w {
            return name;
        }
        roll -= w;
    }
    options[0].0
}

fn analysis_of_customer(text: &str, earlier: &[String]) -> (heard_language::Frustration, String) {
    let ctx = FrustrationContext {
        earlier_messages: earlier.to_vec(),
        ..Default::default()
    };
    let f = score_frustration(text, &ctx);
    let analysis = json!({"frustration": f}).to_string();
    (f, analysis)
}

/// A generated ticket's event log, handed to the service-level rules as it is written
/// (rather than parsed back from the stored JSON text).
#[derive(Default)]
struct Log {
    events: Vec<SeedEvent>,
    sla: Vec<SlaEvent>,
}

impl Log {
    fn push(
        &mut self,
        actor_id: Option<i64>,
        kind: &'static str,
        data: serde_json::Value,
        at: i64,
    ) {
        self.sla.extend(sla_event(at, kind, &data));
        self.events.push(SeedEvent {
            actor_id,
            kind,
            data: data.to_string(),
            created_at: at,
        });
    }
}

/// One ticket, its conversation and its event log, from ticket number `n` of `total`.
fn generate_ticket(
    cast: &Cast,
    id: i64,
    n: usize,
    total: usize,
    first_message_id: i64,
) -> SeedTicket {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (id as u64).wrapping_mul(0x1000_0000_01B3));
    let topic = rng.pick(TOPICS);
    let team_index = topic.team.min(cast.team_ids.len() - 1);
    let team_id = cast.team_ids[team_index];
    let (requester_id, organization_id) = *rng.pick(&cast.customers);
    // Ids grow with time, like a real desk; the newest tenth is still being worked on.
    let age_share = 1.0 - (n as f64 + 0.5) / total as f64;
    let created_at = cast.now - 60_000 - (age_share * cast.span as f64) as i64;
    let recent = age_share < 0.1;
    let status = if recent {
        *rng.pick(STATUSES_RECENT)
    } else {
        weighted(&mut rng, STATUSES_OLD)
    };
    let priority = weighted(&mut rng, PRIORITIES);
    let channel = *rng.pick(CHANNELS);
    let assignee = (status != "new").then(|| *rng.pick(&cast.team_agents[team_index]));
    let policy = if priority == "urgent" {
        "urgent"
    } else if priority == "high" {
        "priority"
    } else {
        "standard"
    };

    let mut messages = Vec::new();
    let mut events = Log::default();
    let mut customer_said: Vec<String> = Vec::new();
    let mut at = created_at;
    // Each later step fits in the time the ticket has had, so nothing lands in the future.
    let room = ((cast.now - created_at) / 20).max(1);
    let step = |rng: &mut Rng, least: i64, spread: usize| {
        (60_000 * (least + rng.below(spread) as i64)).min(room)
    };
    let mut message_id = first_message_id;
    let mut diagnosis = None;
    let mut push_message = |messages: &mut Vec<SeedMessage>,
                            author: i64,
                            kind: &'static str,
                            text: String,
                            analysis: Option<String>,
                            at: i64| {
        messages.push(SeedMessage {
            id: message_id,
            author_id: author,
            kind,
            channel,
            body_text: text,
            analysis,
            created_at: at,
        });
        message_id += 1;
    };

    let opening = format!("{} {}", rng.pick(topic.openings), rng.pick(topic.details));
    let (first, analysis) = analysis_of_customer(&opening, &[]);
    let mut frustration = first.clone();
    let mut upset = first.score >= heard_language::FRUSTRATED_AT || first.abusive;
    events.push(
        Some(requester_id),
        "created",
        json!({"channel": channel, "priority": priority, "team_id": team_id,
                     "assignee_id": null, "requester_id": requester_id, "policy": policy,
                     "frustration": first.score}),
        at,
    );
    push_message(
        &mut messages,
        requester_id,
        "public",
        opening.clone(),
        Some(analysis),
        at,
    );
    customer_said.push(opening);

    if let Some(agent) = assignee {
        at += step(&mut rng, 5, 240);
        events.push(
            None,
            "assigned",
            json!({"from": null, "to": agent, "by": "router"}),
            at,
        );
        events.push(
            None,
            "status_changed",
            json!({"from": "new", "to": "open", "because": "assigned"}),
            at,
        );
        // Three to eight messages in all: replies and the customer's answers by turns.
        let turns = 2 + rng.below(6);
        let mut agent_turn = true;
        for turn in 0..turns {
            at += step(&mut rng, 10, 600);
            if agent_turn {
                if rng.chance(25) {
                    push_message(
                        &mut messages,
                        agent,
                        "internal",
                        rng.pick(NOTES).to_string(),
                        None,
                        at,
                    );
                    events.push(
                        Some(agent),
                        "noted",
                        json!({"by": "staff", "channel": channel}),
                        at,
                    );
                }
                let r = rng.below(REPLIES.len());
                push_message(
                    &mut messages,
                    agent,
                    "public",
                    REPLIES[r].to_string(),
                    Some(cast.reply_analysis[r].clone()),
                    at,
                );
                events.push(
                    Some(agent),
                    "replied",
                    json!({"by": "staff", "channel": channel}),
                    at,
                );
            } else if turn + 1 < turns || matches!(status, "open" | "pending_third_party") {
                let text = rng.pick(FOLLOW_UPS).to_string();
                let (f, analysis) = analysis_of_customer(&text, &customer_said);
                push_message(
                    &mut messages,
                    requester_id,
                    "public",
                    text.clone(),
                    Some(analysis),
                    at,
                );
                events.push(
                    Some(requester_id),
                    "replied",
                    json!({"by": "customer", "channel": channel, "frustration": f.score}),
                    at,
                );
                customer_said.push(text);
                upset |= f.score >= heard_language::FRUSTRATED_AT || f.abusive;
                frustration = f;
            }
            agent_turn = !agent_turn;
        }
        let move_to = |to: &str, at: i64, events: &mut Log, from: &str| {
            events.push(
                Some(agent),
                "status_changed",
                json!({"from": from, "to": to}),
                at,
            );
        };
        match status {
            "pending_customer" | "pending_third_party" | "resolved" => {
                move_to(status, at + room / 4, &mut events, "open");
            }
            "closed" => {
                move_to("resolved", at + room / 4, &mut events, "open");
                // An upset customer's ticket closes only once its root cause is on file.
                if upset {
                    diagnosis = Some(SeedDiagnosis {
                        root_cause: topic.diagnosis.0,
                        resolution: topic.diagnosis.1,
                        recorded_by: agent,
                        recorded_at: at + room / 2,
                    });
                    events.push(
                        Some(agent),
                        "diagnosed",
                        json!({"root_cause": topic.diagnosis.0,
                                     "resolution": topic.diagnosis.1, "problem_id": null}),
                        at + room / 2,
                    );
                }
                move_to("closed", at + room, &mut events, "resolved");
            }
            _ => {}
        }
    } else if rng.chance(30) {
        at += step(&mut rng, 30, 600);
        let text = "Any update on this? It is still not working.".to_string();
        let (f, analysis) = analysis_of_customer(&text, &customer_said);
        push_message(
            &mut messages,
            requester_id,
            "public",
            text,
            Some(analysis),
            at,
        );
        events.push(
            Some(requester_id),
            "replied",
            json!({"by": "customer", "channel": channel, "frustration": f.score}),
            at,
        );
        frustration = f;
    }
    let updated_at = events
        .events
        .iter()
        .map(|e| e.created_at)
        .max()
        .unwrap_or(created_at)
        .min(cast.now);

    let mut state = TicketState {
        subject: rng.pick(topic.subjects).to_string(),
        status: status.into(),
        priority: priority.into(),
        assignee_id: assignee,
        team_id: Some(team_id),
        tier: 1,
        transfers: 0,
        frustration_score: Some(frustration.score as i64),
        frustration_level: Some(crate::care::level_name(frustration.level)),
        abusive: frustration.abusive,
        repeats: 0,
        policy_id: None,
        next_update_due: None,
        due_at: None,
        queue_rank: 0,
        next_alert_at: None,
        escalate_at: None,
    };
    let clocks = compute_clocks(&cast.book, &events.sla, ts(cast.now));
    Services::apply_clocks(&mut state, &clocks, cast.now);
    // Warnings and breaches already past count as sent: only the next one is scheduled,
    // so a seeded desk does not start with a flood of old alerts.
    state.next_alert_at = plan_alerts(&clocks, ts(cast.now))
        .next_at
        .map(|t| t.as_millisecond());
    let mut tags = vec![topic.tag];
    if priority == "urgent" {
        tags.push("vip");
    }
    SeedTicket {
        id,
        state,
        channel,
        requester_id,
        organization_id,
        tags,
        created_at,
        updated_at,
        messages,
        events: events.events,
        diagnosis,
    }
}

/// A knowledge-base article per topic and number, made of the topic's own words.
fn article(n: usize) -> ArticleContent {
    let topic = &TOPICS[n % TOPICS.len()];
    let subject = topic.subjects[(n / TOPICS.len()) % topic.subjects.len()];
    let steps: Vec<String> = topic
        .details
        .iter()
        .chain(topic.openings)
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{}. If you see this: {s} Try the fix in step {}.",
                i + 1,
                i + 2
            )
        })
        .collect();
    ArticleContent {
        slug: format!("{}-{n}", topic.tag),
        title: format!("{subject} (guide {n})"),
        summary: format!("What to do when: {}", subject.to_lowercase()),
        body_markdown: format!(
            "## {subject}\n\n{}\n\n{}\n",
            topic.openings[0],
            steps.join("\n")
        ),
        locale: "en".into(),
        visibility: "public".into(),
        category_path: format!("Guides/{}", topic.tag),
        tags: vec![topic.tag.to_string()],
    }
}

impl Services {
    /// Writes `plan` into an empty help desk, reporting progress through `progress`.
    pub async fn seed(&self, plan: SeedPlan, progress: impl Fn(&str)) -> Result<SeedReport> {
        let ids = self.store.seed_ids().await?;
        if ids.ticket > 0 || ids.user > 0 {
            return Err(ServiceError::conflict(
                ErrorCode::NotEmpty,
                "seed writes into an empty help desk: give it a new --data-dir or database",
            ));
        }
        let now = self.now();

        // Staff, teams and service levels through the ordinary use cases.
        let admin = self
            .create_agent(
                None,
                staff(
                    "admin@seed.example",
                    "Ada Admin",
                    "admin",
                    3,
                    vec![],
                    vec![],
                ),
            )
            .await?;
        let mut team_ids = Vec::new();
        for (name, description, _) in TEAMS {
            let team = self
                .create_team(
                    None,
                    NewTeam {
                        name: (*name).into(),
                        description: (*description).into(),
                    },
                )
                .await?;
            team_ids.push(team.id);
        }
        let admin_actor = Actor {
            user_id: admin.id,
            role: Role::Admin,
            team_ids: team_ids.clone(),
            organization_id: None,
            organization_shares: false,
        };
        self.set_service_levels(&admin_actor, policy_book(&team_ids))
            .await?;
        let supervisor = self
            .create_agent(
                None,
                staff(
                    "supervisor@seed.example",
                    "Sasha Supervisor",
                    "supervisor",
                    3,
                    vec![],
                    team_ids.clone(),
                ),
            )
            .await?;
        let mut team_agents = vec![Vec::new(); team_ids.len()];
        let mut first_agent_email = String::new();
        for i in 0..plan.agents.max(team_ids.len()) {
            let team = i % team_ids.len();
            let email = format!("agent{}@seed.example", i + 1);
            let name = format!(
                "{} {}",
                FIRST_NAMES[i % FIRST_NAMES.len()],
                LAST_NAMES[(i / FIRST_NAMES.len() + 7) % LAST_NAMES.len()]
            );
            let skills = vec![
                SKILLS[i % SKILLS.len()].to_string(),
                SKILLS[(i + 3) % SKILLS.len()].to_string(),
            ];
            let agent = self
                .create_agent(
                    None,
                    staff(
                        &email,
                        &name,
                        "agent",
                        1 + (i / team_ids.len()) as i64 % 3,
                        skills,
                        vec![team_ids[team]],
                    ),
                )
                .await?;
            if first_agent_email.is_empty() {
                first_agent_email = email;
            }
            team_agents[team].push(agent.id);
        }
        progress(&format!(
            "{} teams, {} agents, service levels",
            team_ids.len(),
            plan.agents
        ));

        // Organizations and customers, in bulk.
        let org_count = (plan.customers / 25).max(1);
        let mut org_ids = Vec::with_capacity(org_count);
        for o in 0..org_count {
            let org = self
                .create_organization(
                    &admin_actor,
                    NewOrganization {
                        name: format!(
                            "{} {} Ltd {}",
                            LAST_NAMES[o % LAST_NAMES.len()],
                            LAST_NAMES[(o / LAST_NAMES.len()) % LAST_NAMES.len()],
                            o + 1
                        ),
                        domain: Some(format!("org{}.example", o + 1)),
                        shares_tickets: o % 5 == 0,
                    },
                )
                .await?;
            org_ids.push(org.id);
        }
        let first_customer = self.store.seed_ids().await?.user + 1;
        let mut rng = Rng(0xC0FF_EE00_D15E_A5E5);
        let mut customers = Vec::with_capacity(plan.customers);
        let mut cast_customers = Vec::with_capacity(plan.customers);
        for c in 0..plan.customers {
            let id = first_customer + c as i64;
            let first = rng.pick(FIRST_NAMES);
            let last = rng.pick(LAST_NAMES);
            let org = (!rng.chance(30)).then(|| rng.below(org_ids.len()));
            let email = match org {
                Some(o) => format!(
                    "{}.{}.{c}@org{}.example",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    o + 1
                ),
                None => format!(
                    "{}.{}.{c}@mail.example",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
            };
            let organization_id = org.map(|o| org_ids[o]);
            customers.push(SeedCustomer {
                id,
                email,
                name: format!("{first} {last}"),
                organization_id,
                time_zone: rng.chance(60).then(|| rng.pick(TIME_ZONES).to_string()),
                created_at: now - 400 * 86_400_000,
            });
            cast_customers.push((id, organization_id));
        }
        for chunk in customers.chunks(20_000) {
            self.store.insert_customers_bulk(chunk).await?;
        }
        progress(&format!(
            "{} organizations, {} customers",
            org_ids.len(),
            customers.len()
        ));

        // Tickets: generated on every core but one, written by this task as they come.
        let cast = Arc::new(Cast {
            team_agents,
            team_ids: team_ids.clone(),
            customers: cast_customers,
            book: self.policy_book().await?,
            reply_analysis: REPLIES
                .iter()
                .map(|r| json!({"tone": review_tone(r, &ToneContext::default())}).to_string())
                .collect(),
            now,
            span: 365 * 86_400_000,
        });
        let total = plan.tickets;
        let batches = total.div_ceil(BATCH);
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .max(2)
            - 1;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SeedTicket>>(workers * 2);
        let mut handles = Vec::new();
        for w in 0..workers {
            let (cast, tx) = (cast.clone(), tx.clone());
            handles.push(std::thread::spawn(move || {
                for b in (w..batches).step_by(workers) {
                    let range = b * BATCH..((b + 1) * BATCH).min(total);
                    // Message ids: at most sixteen per ticket, so each ticket owns a block.
                    let batch: Vec<SeedTicket> = range
                        .map(|n| generate_ticket(&cast, n as i64 + 1, n, total, n as i64 * 16 + 1))
                        .collect();
                    if tx.blocking_send(batch).is_err() {
                        return;
                    }
                }
            }));
        }
        drop(tx);
        let (mut written, mut messages, mut events) = (0, 0, 0);
        let mut customer_with_tickets = None;
        while let Some(batch) = rx.recv().await {
            customer_with_tickets.get_or_insert(batch[0].requester_id);
            written += batch.len();
            messages += batch.iter().map(|t| t.messages.len()).sum::<usize>();
            events += batch.iter().map(|t| t.events.len()).sum::<usize>();
            self.store.insert_tickets_bulk(&batch).await?;
            if written % 100_000 < BATCH {
                progress(&format!("{written} tickets, {messages} messages"));
            }
        }
        for h in handles {
            h.join()
                .map_err(|_| ServiceError::internal("a seed generator thread panicked"))?;
        }
        if written != total {
            return Err(ServiceError::internal(format!(
                "wrote {written} of {total} tickets"
            )));
        }

        for chunk in (0..plan.articles).collect::<Vec<_>>().chunks(1_000) {
            let articles: Vec<ArticleContent> = chunk.iter().map(|&n| article(n)).collect();
            self.store.insert_articles_bulk(&articles, now).await?;
        }
        self.store.finish_bulk().await?;
        let customer_email = match customer_with_tickets {
            Some(id) => customers[(id - first_customer) as usize].email.clone(),
            None => customers
                .first()
                .map(|c| c.email.clone())
                .unwrap_or_default(),
        };
        Ok(SeedReport {
            teams: team_ids.len(),
            agents: plan.agents.max(team_ids.len()),
            customers: customers.len(),
            organizations: org_ids.len(),
            tickets: written,
            messages,
            events,
            articles: plan.articles,
            customer_email,
            agent_email: first_agent_email,
            agent_team_id: team_ids[0],
            supervisor_email: supervisor.email,
        })
    }
}

fn staff(
    email: &str,
    name: &str,
    role: &str,
    tier: i64,
    skills: Vec<String>,
    team_ids: Vec<i64>,
) -> NewAgent {
    NewAgent {
        email: email.into(),
        name: name.into(),
        role: role.into(),
        tier: Some(tier),
        skills,
        team_ids,
        capacity: Some(25),
        time_zone: None,
        password: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_choice_follows_the_weights() {
        let mut rng = Rng(7);
        let mut closed = 0;
        for _ in 0..10_000 {
            if weighted(&mut rng, STATUSES_OLD) == "closed" {
                closed += 1;
            }
        }
        assert!((6_800..7_600).contains(&closed), "{closed}");
    }

    #[test]
    fn articles_have_unique_slugs() {
        let slugs: std::collections::HashSet<String> = (0..500).map(|n| article(n).slug).collect();
        assert_eq!(slugs.len(), 500);
    }
}
