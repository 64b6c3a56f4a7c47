//! heard's web pages: the customer portal (`/`), the agent workspace (`/agent`), the
//! supervisor dashboard (`/supervisor`) and admin (`/admin`). Pages are rendered on the
//! server with askama and work without JavaScript (forms post and redirect); one small
//! hand-written script adds the live parts (article suggestions, the tone coach, the
//! presence switch and break reminder). CSS and
//! JavaScript are embedded in the binary. Handlers call the same `heard-services` use
//! cases as the JSON API, so every rule applies here exactly as there.

mod admin;
mod agent;
mod assets;
mod bulk;
mod calendars;
mod cards;
mod categories;
mod chats;
mod diagnosis;
mod export;
mod format;
mod forms;
mod handoff;
mod help;
mod history;
mod macros;
mod mail;
mod merge;
mod notifications;
mod page;
mod password;
mod phone;
mod policies;
mod portal;
mod practice;
mod presence;
mod reviews;
mod saved_views;
mod scorecard;
mod session;
mod sso;
mod supervisor;
mod survey;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use heard_services::Services;

pub use session::{ClientAddress, secure_attribute};

/// What every page handler gets.
#[derive(Clone)]
pub struct WebState {
    pub services: Services,
}

/// Uploads through the portal and the workspace: the attachment limit plus room for the form.
const MAX_FORM_BYTES: usize = heard_services::tickets::MAX_ATTACHMENT_BYTES + 64 * 1024;

/// All pages and their assets. Merge it into the application router before the security
/// headers are layered on, so pages carry them too.
pub fn router(services: Services) -> Router {
    let state = WebState { services };
    Router::new()
        .route("/", get(portal::home))
        .route("/signin", get(session::sign_in_page).post(session::sign_in))
        .route("/signup", get(session::sign_up_page).post(session::sign_up))
        .route("/signin/link", post(session::request_link))
        .route(
            "/signin/link/{token}",
            get(session::link_page).post(session::use_link),
        )
        .route(
            "/signin/password",
            get(password::ask_page).post(password::ask),
        )
        .route(
            "/signin/password/{token}",
            get(password::choose_page).post(password::choose),
        )
        .route("/signout", post(session::sign_out))
        .route(
            "/requests/new",
            get(portal::new_request).post(portal::create_request),
        )
        .route("/requests/{id}", get(portal::request))
        .route("/requests/{id}/reply", post(portal::reply))
        .route("/requests/{id}/survey", post(survey::rate))
        .route("/agent", get(agent::queues))
        .route("/agent/search", get(agent::search))
        .route("/agent/history", get(history::history))
        .route("/agent/notifications", get(notifications::page))
        .route("/agent/notifications/read", post(notifications::read))
        .route("/agent/tickets/{id}", get(agent::ticket))
        .route("/agent/tickets/{id}/reply", post(agent::reply))
        .route("/agent/tickets/{id}/update", post(agent::update))
        .route("/agent/tickets/{id}/escalate", post(agent::escalate))
        .route("/agent/tickets/{id}/promise", post(agent::promise))
        .route("/agent/tickets/{id}/call", post(phone::log_on_ticket))
        .route(
            "/agent/call",
            get(phone::lookup).post(phone::log_from_lookup),
        )
        .route("/agent/call/customer", post(phone::create_caller))
        .route("/agent/call/link", post(phone::link_caller))
        .route("/agent/tickets/{id}/merge", post(merge::merge))
        .route("/agent/tickets/{id}/diagnosis", post(diagnosis::diagnose))
        .route("/agent/problems", get(diagnosis::problems))
        .route(
            "/agent/problems/{id}",
            get(diagnosis::problem).post(diagnosis::update_problem),
        )
        .route("/agent/presence", post(presence::set))
        .route("/agent/tickets/{id}/invite", post(handoff::invite))
        .route(
            "/agent/tickets/{id}/collaborators/{agent_id}/remove",
            post(handoff::remove),
        )
        .route("/agent/tickets/{id}/handover", post(handoff::hand_over))
        .route("/agent/tickets/{id}/takeover", post(handoff::take_over))
        .route("/help", get(help::home))
        .route("/help/topics/{*path}", get(help::topic))
        .route("/help/{slug}", get(help::article))
        .route("/help/{slug}/solved", axum::routing::post(help::solved))
        .route("/supervisor", get(supervisor::dashboard))
        .route("/supervisor/recoveries/{id}", post(survey::recover))
        .route(
            "/supervisor/reviews",
            get(reviews::queue).post(reviews::create),
        )
        .route("/supervisor/reviews/new", get(reviews::new_review))
        .route("/agent/reviews", get(reviews::mine))
        .route("/agent/reviews/{id}", get(reviews::review))
        .route("/agent/reviews/{id}/reply", post(reviews::reply))
        .route("/admin/reviews", get(reviews::admin))
        .route("/admin/reviews/rubric", post(reviews::save_rubric))
        .route("/admin/reviews/reviewers", post(reviews::save_reviewers))
        .route("/admin", get(admin::overview))
        .route("/admin/teams", post(admin::create_team))
        .route("/admin/teams/{id}", post(admin::update_team))
        .route("/admin/agents", post(admin::add_staff))
        .route(
            "/admin/agents/{id}",
            get(admin::agent).post(admin::save_agent),
        )
        .route(
            "/admin/agents/{id}/password-link",
            post(admin::send_password_link),
        )
        .route(
            "/admin/calendars",
            get(calendars::calendars).post(calendars::add_calendar),
        )
        .route(
            "/admin/service-levels",
            get(policies::policies).post(policies::save_book),
        )
        .route("/admin/policies/defaults", post(policies::save_defaults))
        .route("/admin/policies/{index}", post(policies::save_policy))
        .route(
            "/admin/policies/{index}/remove",
            post(policies::remove_policy),
        )
        .route(
            "/admin/categories",
            get(categories::categories).post(categories::add),
        )
        .route("/admin/categories/{id}", post(categories::change))
        .route(
            "/admin/webhooks",
            get(webhooks::webhooks).post(webhooks::add),
        )
        .route("/admin/webhooks/{id}", post(webhooks::change))
        .route("/admin/mail", get(mail::mail))
        .route("/admin/mail/mailboxes", post(mail::add))
        .route("/admin/mail/mailboxes/{id}", post(mail::change))
        .route("/admin/mail/quarantine/{id}", post(mail::held))
        .route(
            "/admin/webhooks/{id}/deliveries/{delivery_id}/replay",
            post(webhooks::replay),
        )
        .route("/admin/calendars/{name}", post(calendars::save_calendar))
        .route(
            "/admin/calendars/{name}/holidays",
            post(calendars::import_holidays),
        )
        .route("/supervisor/scorecard", get(scorecard::supervisor))
        .route(
            "/supervisor/scorecard/tickets",
            get(scorecard::supervisor_tickets),
        )
        .route("/agent/scorecard", get(scorecard::agent))
        .route("/agent/scorecard/tickets", get(scorecard::agent_tickets))
        .route("/agent/practice", get(practice::overview))
        .route("/agent/practice/cases", post(practice::pick))
        .route("/agent/practice/runs", post(practice::start))
        .route("/agent/practice/runs/{id}", get(practice::run))
        .route("/agent/practice/runs/{id}/reply", post(practice::reply))
        .route("/signin/sso", get(sso::begin))
        .route("/signin/sso/callback", get(sso::callback))
        .route("/agent/macros", get(macros::list).post(macros::create))
        .route("/agent/macros/{id}", get(macros::edit).post(macros::save))
        .route("/agent/bulk", post(bulk::on_queues))
        .route(
            "/agent/views",
            get(saved_views::list).post(saved_views::create),
        )
        .route(
            "/agent/views/{id}",
            get(saved_views::show).post(saved_views::save),
        )
        .route("/agent/views/{id}/bulk", post(saved_views::bulk))
        .route("/assets/{file}", get(assets::serve))
        .route("/chat/{file}", get(assets::chat_widget))
        .route("/agent/chats", get(chats::page))
        .route("/agent/chats/{id}/accept", post(chats::accept))
        .route("/agent/chats/{id}/send", post(chats::send))
        .route("/agent/chats/{id}/handover", post(chats::hand_over))
        .route("/agent/chats/{id}/end", post(chats::end))
        .fallback(page::not_found)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .with_state(state)
}

#[cfg(test)]
mod tests;
