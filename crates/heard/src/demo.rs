//! `heard serve --demo`: a small but lifelike help desk — three teams, agents in tiers 1–3
//! with skills, a supervisor and an admin, customers in organizations (one that shares
//! tickets, one internal department), and tickets in every status with conversations,
//! internal notes, verified facts and an escalation. Agents have a presence and a
//! capacity (one is on a break, one at lunch, one overdue a break), the router gives the
//! tickets out as they arrive (one waits for a skill nobody on shift has), a colleague is
//! invited to a ticket, one is handed over and one is flagged abusive for a supervisor to
//! take over. Everything is written through the same services the API uses, so the demo
//! obeys every rule a real user would.

use anyhow::Context;
use heard_services::calls::PhoneSettings;
use heard_services::desk::DeskState;
use heard_services::people::*;
use heard_services::routing::{HandOver, NewCollaborator, PresenceInput};
use heard_services::tickets::{CreateTicket, Escalation, NewReply, TicketPatch};
use heard_services::{Actor, Clock, Services};

pub const PASSWORD: &str = "heard-demo-2026";

struct Staff {
    email: &'static str,
    name: &'static str,
    role: &'static str,
    tier: i64,
    skills: &'static [&'static str],
    teams: &'static [usize],
}

const STAFF: &[Staff] = &[
    Staff {
        email: "morgan@heard.demo",
        name: "Morgan Reyes",
        role: "admin",
        tier: 3,
        skills: &[],
        teams: &[0, 1, 2],
    },
    Staff {
        email: "priya@heard.demo",
        name: "Priya Natarajan",
        role: "supervisor",
        tier: 3,
        skills: &["coaching"],
        teams: &[0, 1, 2],
    },
    Staff {
        email: "sam@heard.demo",
        name: "Sam Okafor",
        role: "agent",
        tier: 1,
        skills: &["windows", "printing", "accounts"],
        teams: &[0],
    },
    Staff {
        email: "lena@heard.demo",
        name: "Lena Fischer",
        role: "agent",
        tier: 1,
        skills: &["macos", "email", "vpn"],
        teams: &[0],
    },
    Staff {
        email: "diego@heard.demo",
        name: "Diego Alvarez",
        role: "agent",
        tier: 2,
        skills: &["vpn", "networking", "linux"],
        teams: &[1],
    },
    Staff {
        email: "hana@heard.demo",
        name: "Hana Sato",
        role: "agent",
        tier: 3,
        skills: &["databases", "linux", "security"],
        teams: &[1],
    },
    Staff {
        email: "tom@heard.demo",
        name: "Tom Becker",
        role: "agent",
        tier: 1,
        skills: &["billing", "invoices", "refunds"],
        teams: &[2],
    },
];

const CUSTOMERS: &[(&str, &str, Option<&str>)] = &[
    (
        "olivia.chen@northwind.example",
        "Olivia Chen",
        Some("America/New_York"),
    ),
    (
        "marcus.webb@northwind.example",
        "Marcus Webb",
        Some("America/Chicago"),
    ),
    (
        "fatima.zahra@globex.example",
        "Fatima Zahra",
        Some("Europe/Paris"),
    ),
    (
        "jonas.berg@globex.example",
        "Jonas Berg",
        Some("Europe/Stockholm"),
    ),
    (
        "grace.liu@finance.heard.demo",
        "Grace Liu",
        Some("Europe/London"),
    ),
    ("pat.murphy@gmail.example", "Pat Murphy", None),
];

pub async fn fill(services: &Services, base_url: &str) -> anyhow::Result<()> {
    match services.desk_state().await? {
        DeskState::InUse => {
            println!("--demo: the database already has users, so no demo data was added.");
            return Ok(());
        }
        DeskState::New => {
            create(services).await.context("filling the demo")?;
            services.mark_demo_filled().await?;
        }
        DeskState::Demo => {}
    }
    println!("\nheard demo — open {base_url}/ and sign in with password `{PASSWORD}`:");
    for s in STAFF {
        println!("  {:<11} {:<28} {}", s.role, s.email, s.name);
    }
    for (email, name, _) in CUSTOMERS.iter().take(3) {
        println!("  {:<11} {:<28} {}", "customer", email, name);
    }
    let agent_token = services.create_token("sam@heard.demo", "demo").await?;
    let customer_token = services
        .create_token("olivia.chen@northwind.example", "demo")
        .await?;
    println!(
        "\nAPI tokens (Authorization: Bearer …):\n  agent sam@heard.demo: {agent_token}\n  customer olivia.chen@northwind.example: {customer_token}"
    );
    println!("  try: curl -H 'Authorization: Bearer {agent_token}' {base_url}/api/v1/tickets");
    println!(
        "  caller lookup (what a softphone opens): {base_url}/agent/call?number=%2B12125550142\n"
    );
    Ok(())
}

fn ticket(
    subject: &str,
    body: &str,
    requester: &str,
    priority: &str,
    channel: &str,
    team: i64,
    tags: &[&str],
) -> CreateTicket {
    CreateTicket {
        subject: subject.into(),
        body: body.into(),
        body_html: None,
        priority: Some(priority.into()),
        channel: Some(channel.into()),
        requester_email: Some(requester.into()),
        requester_name: None,
        requester_id: None,
        team_id: Some(team),
        assignee_id: None,
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

fn reply(body: &str) -> NewReply {
    NewReply {
        body: body.into(),
        body_html: None,
        internal: false,
        channel: None,
    }
}

fn note(body: &str) -> NewReply {
    NewReply {
        body: body.into(),
        body_html: None,
        internal: true,
        channel: None,
    }
}

fn status(s: &str) -> TicketPatch {
    TicketPatch {
        status: Some(s.into()),
        ..Default::default()
    }
}

async fn create(services: &Services) -> anyhow::Result<()> {
    let mut teams = Vec::new();
    for (name, description) in [
        (
            "Service Desk",
            "First contact for every request: accounts, devices, e-mail, printing.",
        ),
        (
            "Platform Engineering",
            "Networks, VPN, servers and databases: tier 2 and 3.",
        ),
        (
            "Billing & Accounts",
            "Invoices, plans, refunds and payment questions.",
        ),
    ] {
        teams.push(
            services
                .create_team(
                    None,
                    NewTeam {
                        name: name.into(),
                        description: description.into(),
                    },
                )
                .await?
                .id,
        );
    }
    services.set_default_team(None, teams[0]).await?;

    let mut staff = Vec::new();
    for s in STAFF {
        let agent = services
            .create_agent(
                None,
                NewAgent {
                    email: s.email.into(),
                    name: s.name.into(),
                    role: s.role.into(),
                    tier: Some(s.tier),
                    skills: s.skills.iter().map(|k| k.to_string()).collect(),
                    team_ids: s.teams.iter().map(|i| teams[*i]).collect(),
                    capacity: Some(8),
                    time_zone: Some("Europe/Berlin".into()),
                    password: Some(PASSWORD.into()),
                },
            )
            .await?;
        staff.push(services.actor_for_user(agent.id).await?);
    }
    let admin = &staff[0];
    let [sam, lena, diego, hana, tom] = [&staff[2], &staff[3], &staff[4], &staff[5], &staff[6]];
    // Lena, a senior tier-1 agent, reviews conversations beside the supervisor.
    services
        .set_reviewer(
            admin,
            lena.user_id,
            heard_services::reviews::ReviewerInput { reviewer: true },
        )
        .await?;

    for (name, domain, shares) in [
        ("Northwind Traders", "northwind.example", true),
        ("Globex Corporation", "globex.example", false),
        ("Finance Department (internal)", "finance.heard.demo", false),
    ] {
        services
            .create_organization(
                admin,
                NewOrganization {
                    name: name.into(),
                    domain: Some(domain.into()),
                    shares_tickets: shares,
                },
            )
            .await?;
    }
    let mut customers = Vec::new();
    for (email, name, tz) in CUSTOMERS {
        let c = services
            .create_customer(
                None,
                NewCustomer {
                    email: (*email).into(),
                    name: (*name).into(),
                    organization_id: None,
                    time_zone: tz.map(str::to_string),
                    password: Some(PASSWORD.into()),
                },
            )
            .await?;
        customers.push(c.id);
    }
    // The desk answers a North American line: national numbers are read as +1.
    services
        .set_phone_settings(
            None,
            PhoneSettings {
                default_country_code: Some("+1".into()),
            },
        )
        .await?;
    for (customer, number) in [
        (customers[0], "+1 (212) 555-0142"),
        (customers[1], "312.555.0187"),
        (customers[2], "+33 (0)1 42 68 53 00"),
    ] {
        services
            .add_identity(
                admin,
                customer,
                NewIdentity {
                    kind: "phone".into(),
                    value: number.into(),
                },
            )
            .await?;
    }
    services
        .add_identity(
            admin,
            customers[2],
            NewIdentity {
                kind: "chat".into(),
                value: "fatima.z".into(),
            },
        )
        .await?;
    for (customer, key, value, by) in [
        (customers[0], "account", "NW-10442", sam),
        (
            customers[0],
            "device",
            "MacBook Pro 14\" (2023), macOS 14.6",
            lena,
        ),
        (customers[2], "account", "GX-2291", sam),
        (
            customers[2],
            "vpn_client",
            "GlobalConnect 6.2.1 on Windows 11",
            diego,
        ),
        (customers[4], "cost_center", "FIN-07", tom),
    ] {
        services
            .record_fact(
                by,
                customer,
                NewFact {
                    key: key.into(),
                    value: value.into(),
                },
            )
            .await?;
    }

    let at = |s: &Actor| s.clone();
    let (desk, platform, billing) = (teams[0], teams[1], teams[2]);

    // On shift as the demo opens; Sam came in 2 h 10 min ago and has not had a break yet.
    let presence = |p: &str| PresenceInput { presence: p.into() };
    let came_in = services
        .clone()
        .with_clock(Clock::fixed(services.now() - 130 * 60_000));
    came_in
        .set_presence(sam, sam.user_id, presence("available"))
        .await?;
    for who in [&staff[1], lena, diego, hana, tom] {
        services
            .set_presence(who, who.user_id, presence("available"))
            .await?;
    }

    // new: nobody has answered yet
    services.create_ticket(&at(admin), ticket("Printer on 3rd floor prints blank pages",
        "Hi, the HP printer next to the kitchen on the 3rd floor only prints blank pages since this morning. I already replaced the toner. We have a board pack to print by 4pm today.",
        CUSTOMERS[1].0, "high", "email", desk, &["printing"]), None).await?;
    let (signin, _) = services.create_ticket(&at(admin), ticket("Can't sign in to the portal after password change",
        "I changed my password yesterday as the reminder asked and now the portal says my account is locked. I have tried three times. Can someone unlock it please?",
        CUSTOMERS[5].0, "normal", "portal", desk, &["accounts"]), None).await?;

    // open, assigned, conversation under way
    let (t, _) = services.create_ticket(&at(admin), ticket("Outlook keeps asking for my password",
        "Since the update on Monday Outlook on my Mac asks for my password every few minutes. I type it and it works for a while, then asks again. It is really disrupting my day.",
        CUSTOMERS[0].0, "normal", "email", desk, &["email", "macos"]), None).await?;
    services
        .update_ticket(
            lena,
            t.ticket.id,
            TicketPatch {
                assignee_id: Some(Some(lena.user_id)),
                ..Default::default()
            },
        )
        .await?;
    services.add_message(lena, t.ticket.id, reply("Hi Olivia, I'm sorry the constant prompts are interrupting your work — that is frustrating. I can see your MacBook Pro on macOS 14.6 on your profile, so no need to check that. I'm resetting the stored credentials for your mailbox on our side now; I'll update you by 3pm today with the result and the one step you may need to take.")).await?;
    services.add_message(lena, t.ticket.id, note("Keychain entry probably stale after the tenant's modern-auth switch. Reset token on the server side first.")).await?;

    // pending on the customer
    let (t, _) = services.create_ticket(&at(admin), ticket("Invoice shows the wrong VAT number",
        "Our March invoice INV-2291 shows an old VAT number. Our finance team cannot book it like this. Could you reissue it?",
        CUSTOMERS[2].0, "normal", "portal", billing, &["invoices"]), None).await?;
    services
        .update_ticket(
            tom,
            t.ticket.id,
            TicketPatch {
                assignee_id: Some(Some(tom.user_id)),
                ..Default::default()
            },
        )
        .await?;
    services.add_message(tom, t.ticket.id, reply("Hi Fatima, thank you for spotting this, and sorry for the extra work it caused your finance team. I can reissue INV-2291 today. So it is right this time, could you confirm the new VAT number exactly as it should appear? As soon as you reply I'll send the corrected invoice within one business day.")).await?;
    services
        .update_ticket(tom, t.ticket.id, status("pending_customer"))
        .await?;

    // escalated to tier 2, waiting on a third party
    let (t, _) = services.create_ticket(&at(admin), ticket("VPN disconnects every hour",
        "This is the third time I'm writing about this. The VPN drops every hour on the hour and I lose my remote desktop session and unsaved work. Still not fixed!!! I need this working before our quarter close on Friday.",
        CUSTOMERS[3].0, "high", "email", desk, &["vpn"]), None).await?;
    services
        .update_ticket(
            sam,
            t.ticket.id,
            TicketPatch {
                assignee_id: Some(Some(sam.user_id)),
                ..Default::default()
            },
        )
        .await?;
    services.add_message(sam, t.ticket.id, reply("Hi Jonas, I'm sorry — losing your session and unsaved work every hour is exhausting, and you should not have had to write three times. I'm passing this to our network specialists now with everything you've told us, so you won't need to repeat anything. They will update you by 11am tomorrow.")).await?;
    services.escalate(sam, t.ticket.id, Escalation {
        to_team_id: Some(platform),
        to_tier: Some(2),
        to_assignee_id: Some(diego.user_id),
        reason: "Needs VPN gateway logs; beyond tier 1".into(),
        handoff_note: "Drops exactly every 60 minutes, GlobalConnect 6.2.1 on Windows 11 (verified). Reinstalled client and renewed certificate with him on the phone; no change. Suspect gateway session lifetime. Quarter close on Friday, so he is under pressure.".into(),
    }).await?;
    services.add_message(diego, t.ticket.id, note("Gateway session timeout is 3600s on the new profile. Opened case with the VPN vendor about the renewal bug.")).await?;
    services
        .invite_collaborator(
            diego,
            t.ticket.id,
            NewCollaborator {
                agent_id: hana.user_id,
                note: Some("The session profile came with last week's security change; can you check what it changed?".into()),
            },
        )
        .await?;
    services
        .update_ticket(diego, t.ticket.id, status("pending_third_party"))
        .await?;

    // resolved, then closed
    let (t, _) = services.create_ticket(&at(admin), ticket("Need access to the shared finance drive",
        "Hello, I started in Finance this week and need access to the shared drive F:. My manager approved it by e-mail.",
        CUSTOMERS[4].0, "low", "portal", desk, &["accounts", "access"]), None).await?;
    services
        .update_ticket(
            sam,
            t.ticket.id,
            TicketPatch {
                assignee_id: Some(Some(sam.user_id)),
                ..Default::default()
            },
        )
        .await?;
    services.add_message(sam, t.ticket.id, reply("Welcome to the team, Grace! I've added you to the Finance group; the F: drive appears after your next sign-in. If it doesn't show up within the hour, reply here and I'll check it with you right away.")).await?;
    services
        .update_ticket(sam, t.ticket.id, status("resolved"))
        .await?;
    services
        .update_ticket(sam, t.ticket.id, status("closed"))
        .await?;

    let (t, _) = services.create_ticket(&at(admin), ticket("Database reports time out at month end",
        "Our month-end revenue report times out after 30 seconds. It worked last month. Several of us need it for the close.",
        CUSTOMERS[1].0, "urgent", "api", platform, &["databases", "reports"]), None).await?;
    services
        .update_ticket(
            hana,
            t.ticket.id,
            TicketPatch {
                assignee_id: Some(Some(hana.user_id)),
                ..Default::default()
            },
        )
        .await?;
    services.add_message(hana, t.ticket.id, note("Missing index on ledger_entries(period) after the schema migration. Added it; report runs in 2s.")).await?;
    services.add_message(hana, t.ticket.id, reply("Hi Marcus, sorry for the stress this caused during the close. A database change last week removed an index the report depends on; I've restored it and the report now finishes in about two seconds. We've added a check so a migration can't drop it again. I'll keep this open until tomorrow noon in case anything else looks off.")).await?;
    services
        .update_ticket(hana, t.ticket.id, status("resolved"))
        .await?;
    services
        .record_diagnosis(
            hana,
            t.ticket.id,
            heard_services::diagnosis::DiagnosisInput {
                root_cause: "Last week's schema migration dropped the index on ledger_entries(period) that the revenue report scans by".into(),
                resolution: Some("Recreated the index; added a migration check that fails when a report's index disappears".into()),
                problem_id: None,
                new_problem_title: Some("Schema migrations can drop indexes that reports rely on".into()),
            },
        )
        .await?;

    // The customer was let down: a poor rating waits for a supervisor's follow-up.
    let marcus = services.actor_for_user(customers[1]).await?;
    services
        .rate_ticket(
            &marcus,
            t.ticket.id,
            heard_services::survey::SurveyInput {
                rating: 2,
                comment: Some("Fixed quickly once someone looked, but we lost half a day of the close waiting.".into()),
            },
        )
        .await?;

    // a chat that was answered and is open again after the customer wrote back
    let (t, _) = services
        .create_ticket(
            &at(admin),
            ticket(
                "Refund for double charge",
                "I was charged twice for my subscription this month. Please refund one of them.",
                CUSTOMERS[5].0,
                "normal",
                "chat",
                billing,
                &["refunds"],
            ),
            None,
        )
        .await?;
    services
        .update_ticket(
            tom,
            t.ticket.id,
            TicketPatch {
                assignee_id: Some(Some(tom.user_id)),
                ..Default::default()
            },
        )
        .await?;
    services.add_message(tom, t.ticket.id, reply("Hi Pat, I'm sorry about the double charge. I've issued a refund for the second payment; banks usually show it within 3–5 business days. I'll check on Friday that it went through.")).await?;
    services
        .update_ticket(tom, t.ticket.id, status("resolved"))
        .await?;
    let pat = services.actor_for_user(customers[5]).await?;
    services
        .add_message(
            &pat,
            t.ticket.id,
            reply("Thanks, but my bank says the refund was rejected. Can you check again?"),
        )
        .await?;

    // Handed over: Sam set this customer's account up last month.
    let owner = services
        .ticket_detail(admin, signin.ticket.id)
        .await?
        .ticket
        .assignee
        .map(|a| a.id);
    let (from, to) = if owner == Some(sam.user_id) {
        (sam, lena)
    } else {
        (lena, sam)
    };
    services.hand_over(from, signin.ticket.id, HandOver {
        to_agent_id: to.user_id,
        handoff_note: "Account was locked after three attempts with the new password; the reset link expired before she used it. Identity checked by phone, so only the unlock and a fresh link are left.".into(),
        reason: Some("they set up this customer's account last month".into()),
    }).await?;

    // Flagged abusive: a supervisor may take this one over.
    let (t, _) = services
        .create_ticket(
            &at(admin),
            ticket(
                "Charged for seats we cancelled",
                "We cancelled 5 seats in March and are still billed for them on INV-3010.",
                CUSTOMERS[1].0,
                "normal",
                "email",
                billing,
                &["invoices"],
            ),
            None,
        )
        .await?;
    services.add_message(tom, t.ticket.id, reply("Hi Marcus, I'm sorry you were billed for seats you had cancelled. I'm checking the cancellation record now and will correct INV-3010 by tomorrow noon.")).await?;
    let marcus = services.actor_for_user(customers[1]).await?;
    services
        .add_message(
            &marcus,
            t.ticket.id,
            reply("You are useless idiots, all of you. This is the third wrong invoice this year."),
        )
        .await?;

    // Lena is on a break and Hana at lunch: a database question waits for Hana's skill.
    services
        .set_presence(lena, lena.user_id, presence("on_break"))
        .await?;
    services
        .set_presence(hana, hana.user_id, presence("at_lunch"))
        .await?;
    services.create_ticket(&at(admin), ticket("Replica lag on the reporting database",
        "The reporting replica is about 40 minutes behind since last night, so today's dashboards are stale.",
        CUSTOMERS[3].0, "high", "email", platform, &["databases"]), None).await?;
    articles(services, admin).await?;
    Ok(())
}

/// Knowledge-base articles, so the portal's suggestions have something to find.
const ARTICLES: &[(&str, &str, &str, &[&str], &str)] = &[
    (
        "Your computer stopped with a blue screen (stop error)",
        "What to do when Windows suddenly shows a blue screen with a sad face and restarts.",
        "Windows",
        &["windows", "crash", "bsod"],
        "A blue screen means Windows hit a problem it could not recover from and restarted to \
         protect your files. Once is usually nothing to worry about.\n\n\
         ## What to try\n\n\
         1. Write down the **stop code** shown at the bottom (for example `MEMORY_MANAGEMENT`).\n\
         2. Unplug anything you connected recently (a dock, a USB stick, a new mouse) and restart.\n\
         3. Open **Settings → Windows Update** and install everything offered, then restart again.\n\n\
         ## When to ask us\n\n\
         If it happens again, open a request with the stop code and what you were doing. We can \
         read the crash report remotely, so you will not need to reproduce it.",
    ),
    (
        "The printer prints blank pages",
        "Pages come out of the printer empty or very faint.",
        "Printing",
        &["printer", "toner", "printing"],
        "Blank pages almost always mean the printer has run out of toner or ink, or a cartridge \
         still has its protective tape on.\n\n\
         1. Open the printer's front cover and check the cartridge: remove any orange tape.\n\
         2. Take the cartridge out, rock it gently side to side, and put it back.\n\
         3. Print a test page from the printer's own menu.\n\n\
         If the test page is blank too, the cartridge needs replacing: tell us the printer's name \
         (on the sticker on the front) and we will bring one.",
    ),
    (
        "The VPN keeps disconnecting",
        "Staying connected to the company network from home or while travelling.",
        "Network/VPN",
        &["vpn", "remote", "network"],
        "If the VPN drops every few minutes:\n\n\
         - Move closer to your Wi-Fi router or use a cable: the VPN gives up when the signal fades.\n\
         - Turn off your computer's sleep for network adapters (Power settings).\n\
         - Quit and reopen the VPN app, then sign in again.\n\n\
         Hotel and café networks sometimes block VPNs altogether; a phone hotspot usually works.",
    ),
    (
        "Reset a forgotten password",
        "Locked out, or your password expired: how to choose a new one yourself.",
        "Accounts",
        &["password", "login", "account", "locked"],
        "1. Go to the sign-in page and choose **Forgot password**.\n\
         2. Enter your work e-mail address; a reset link arrives within a few minutes (check the \
         junk folder too).\n\
         3. Choose a new password of at least 12 characters.\n\n\
         After five wrong attempts your account locks for 15 minutes; waiting unlocks it. If the \
         link does not arrive, we can reset it for you after a quick identity check.",
    ),
    (
        "Wi-Fi is connected but there is no internet",
        "Your laptop shows Wi-Fi bars but web pages will not load.",
        "Network/Wi-Fi",
        &["wifi", "wireless", "internet"],
        "1. Turn Wi-Fi off and on again from the taskbar.\n\
         2. Forget the network and join it again with the password.\n\
         3. Restart the laptop.\n\n\
         If colleagues near you have the same problem, the network itself is down: we are \
         probably already on it, but tell us where you are.",
    ),
    (
        "Outlook will not send e-mail",
        "Messages stay in the Outbox or you see a send error.",
        "E-mail",
        &["outlook", "email", "mail"],
        "Check the status bar: if it says **Working offline**, click *Send/Receive → Work \
         Offline* to switch it off. Large attachments (over 25 MB) also block the Outbox: remove \
         the attachment and share a link instead. Still stuck after restarting Outlook? Tell us \
         the exact error message.",
    ),
];

/// The help centre's articles, written by `author` (the demo's first staff member).
async fn articles(services: &Services, author: &Actor) -> anyhow::Result<()> {
    for (title, summary, category, tags, body) in ARTICLES {
        services
            .create_article(
                author,
                heard_services::kb::NewArticle {
                    title: title.to_string(),
                    body: body.to_string(),
                    summary: summary.to_string(),
                    slug: None,
                    locale: None,
                    visibility: Some("public".into()),
                    category: Some(category.to_string()),
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                },
            )
            .await?;
    }
    Ok(())
}
