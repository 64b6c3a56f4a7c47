//! The `/api/v1` routes. Each handler translates HTTP to one service call and back.

mod calls;
mod care;
mod chats;
mod kb;
mod macros;
mod mail;
mod people;
mod practice;
mod problems;
mod reports;
mod reviews;
mod routing;
mod saved_views;
mod session;
mod surveys;
mod tickets;
mod viewers;
mod webhooks;

use crate::AppState;
use crate::error::ApiError;
use axum::extract::State;
use heard_services::ErrorCode;
use utoipa_axum::router::OpenApiRouter;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(tickets::routes())
        .merge(people::routes())
        .merge(session::routes())
        .merge(care::routes())
        .merge(kb::routes())
        .merge(problems::routes())
        .merge(surveys::routes())
        .merge(reviews::routes())
        .merge(routing::routes())
        .merge(viewers::routes())
        .merge(mail::routes())
        .merge(calls::routes())
        .merge(webhooks::routes())
        .merge(chats::routes())
        .merge(reports::routes())
        .merge(practice::routes())
        .merge(macros::routes())
        .merge(saved_views::routes())
}

/// 200 when the database answers.
pub async fn health(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.services.ping().await.map_err(|e| {
        tracing::error!(error = %e, "health check failed");
        ApiError::new(
            ErrorCode::DatabaseUnavailable,
            "the database does not answer",
        )
    })?;
    Ok("ok")
}
