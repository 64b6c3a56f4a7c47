//! Presence and breaks, routing settings, colleagues on a ticket, hand-overs and take-overs.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::routing::*;
use heard_services::views::{Page, TicketDetail};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_presence, set_my_presence))
        .routes(routes!(my_presence_history))
        .routes(routes!(team_presence))
        .routes(routes!(agent_presence, set_agent_presence))
        .routes(routes!(agent_presence_history))
        .routes(routes!(routing_settings, set_desk_routing))
        .routes(routes!(set_team_routing, clear_team_routing))
        .routes(routes!(invite_collaborator))
        .routes(routes!(remove_collaborator))
        .routes(routes!(hand_over))
        .routes(routes!(take_over))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// The `next_after` of the previous page (newest first).
    after: Option<i64>,
    limit: Option<i64>,
}

/// Where you are, how long since your last break, your load and hard conversations.
#[utoipa::path(get, path = "/me/presence", tag = "routing",
    responses((status = 200, body = PresenceView), (status = 403, body = ErrorBody)))]
async fn my_presence(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<PresenceView>, ApiError> {
    Ok(Json(s.services.presence(&actor, actor.user_id).await?))
}

/// Set where you are: available, on_break, at_lunch, away or offline. Only an available
/// agent gets new work; coming back lets the router give you waiting tickets.
#[utoipa::path(put, path = "/me/presence", tag = "routing", request_body = PresenceInput,
    responses((status = 200, body = PresenceView), (status = 422, body = ErrorBody)))]
async fn set_my_presence(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<PresenceInput>,
) -> Result<Json<PresenceView>, ApiError> {
    Ok(Json(
        s.services
            .set_presence(&actor, actor.user_id, input)
            .await?,
    ))
}

/// Your changes of presence, newest first.
#[utoipa::path(get, path = "/me/presence/history", tag = "routing", params(HistoryQuery),
    responses((status = 200, body = Page<PresenceHistoryView>)))]
async fn my_presence_history(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<PresenceHistoryView>>, ApiError> {
    Ok(Json(
        s.services
            .presence_history(&actor, actor.user_id, q.after, q.limit)
            .await?,
    ))
}

/// Everyone's presence, who is overdue a break, and each agent's hard conversations this
/// shift (supervisors).
#[utoipa::path(get, path = "/agents/presence", tag = "routing",
    responses((status = 200, body = Vec<PresenceView>), (status = 403, body = ErrorBody)))]
async fn team_presence(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<PresenceView>>, ApiError> {
    Ok(Json(s.services.team_presence(&actor).await?))
}

/// One agent's presence (supervisors, or the agent).
#[utoipa::path(get, path = "/agents/{id}/presence", tag = "routing", params(("id" = i64, Path)),
    responses((status = 200, body = PresenceView), (status = 404, body = ErrorBody)))]
async fn agent_presence(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PresenceView>, ApiError> {
    Ok(Json(s.services.presence(&actor, id).await?))
}

/// Set an agent's presence (supervisors, e.g. for someone who left without signing off).
#[utoipa::path(put, path = "/agents/{id}/presence", tag = "routing", params(("id" = i64, Path)),
    request_body = PresenceInput,
    responses((status = 200, body = PresenceView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_agent_presence(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PresenceInput>,
) -> Result<Json<PresenceView>, ApiError> {
    Ok(Json(s.services.set_presence(&actor, id, input).await?))
}

/// An agent's changes of presence, newest first (supervisors, or the agent).
#[utoipa::path(get, path = "/agents/{id}/presence/history", tag = "routing",
    params(("id" = i64, Path), HistoryQuery),
    responses((status = 200, body = Page<PresenceHistoryView>), (status = 404, body = ErrorBody)))]
async fn agent_presence_history(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<PresenceHistoryView>>, ApiError> {
    Ok(Json(
        s.services
            .presence_history(&actor, id, q.after, q.limit)
            .await?,
    ))
}

/// The desk's routing settings and each team's (staff).
#[utoipa::path(get, path = "/routing", tag = "routing",
    responses((status = 200, body = RoutingOverview), (status = 403, body = ErrorBody)))]
async fn routing_settings(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<RoutingOverview>, ApiError> {
    Ok(Json(s.services.routing_settings(&actor).await?))
}

/// Change the desk's routing settings: mode, upset threshold, hard streak limit, break
/// policy, and business minutes at a tier before a ticket escalates on its own (admins).
#[utoipa::path(put, path = "/routing", tag = "routing", request_body = RoutingSettingsInput,
    responses((status = 200, body = RoutingSettingsView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_desk_routing(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<RoutingSettingsInput>,
) -> Result<Json<RoutingSettingsView>, ApiError> {
    Ok(Json(
        s.services.set_routing_settings(&actor, None, input).await?,
    ))
}

/// Give a team routing settings of its own (admins); what is left out is the desk's.
#[utoipa::path(put, path = "/teams/{id}/routing", tag = "routing", params(("id" = i64, Path)),
    request_body = RoutingSettingsInput,
    responses((status = 200, body = RoutingSettingsView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_team_routing(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RoutingSettingsInput>,
) -> Result<Json<RoutingSettingsView>, ApiError> {
    Ok(Json(
        s.services
            .set_routing_settings(&actor, Some(id), input)
            .await?,
    ))
}

/// The team follows the desk's routing settings again (admins).
#[utoipa::path(delete, path = "/teams/{id}/routing", tag = "routing", params(("id" = i64, Path)),
    responses((status = 200, body = RoutingSettingsView), (status = 404, body = ErrorBody)))]
async fn clear_team_routing(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RoutingSettingsView>, ApiError> {
    Ok(Json(s.services.clear_team_routing(&actor, id).await?))
}

/// Invite a colleague to join the ticket: they see it and work it beside its owner.
#[utoipa::path(post, path = "/tickets/{id}/collaborators", tag = "tickets", params(("id" = i64, Path)),
    request_body = NewCollaborator,
    responses((status = 201, body = TicketDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn invite_collaborator(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NewCollaborator>,
) -> Result<(StatusCode, Json<TicketDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.invite_collaborator(&actor, id, input).await?),
    ))
}

/// A colleague leaves the ticket.
#[utoipa::path(delete, path = "/tickets/{id}/collaborators/{agent_id}", tag = "tickets",
    params(("id" = i64, Path), ("agent_id" = i64, Path)),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
async fn remove_collaborator(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, agent_id)): ApiPath<(i64, i64)>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        s.services.remove_collaborator(&actor, id, agent_id).await?,
    ))
}

/// Hand the ticket to a colleague with a hand-off note (counted as a transfer).
#[utoipa::path(post, path = "/tickets/{id}/handover", tag = "tickets", params(("id" = i64, Path)),
    request_body = HandOver,
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn hand_over(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<HandOver>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(s.services.hand_over(&actor, id, input).await?))
}

/// Take over a conversation flagged abusive (supervisors), relieving the agent.
#[utoipa::path(post, path = "/tickets/{id}/takeover", tag = "tickets", params(("id" = i64, Path)),
    request_body = TakeOver,
    responses((status = 200, body = TicketDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn take_over(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<TakeOver>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(s.services.take_over(&actor, id, input).await?))
}
