//! Reports: the balanced scorecard of the desk, a team or an agent, and the tickets
//! behind each of its figures.

use super::tickets::FormatQuery;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use heard_services::scorecard::{Scorecard, ScorecardQuery, ScorecardTicket};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(scorecard))
        .routes(routes!(scorecard_tickets))
}

/// The balanced scorecard per day, week or month: satisfaction and recovery of poor
/// ratings, service levels and promises, first-contact resolution, reopens, transfers,
/// "had to repeat", tone findings per reply and review scores. Agents see their own,
/// supervisors their teams', admins all. With `format=csv`, one row per period and figure.
#[utoipa::path(get, path = "/reports/scorecard", tag = "reports", params(ScorecardQuery, FormatQuery),
    responses((status = 200, body = Scorecard),
              (status = 200, content_type = "text/csv", description = "with format=csv"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn scorecard(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ScorecardQuery>,
    ApiQuery(f): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    let card = state.services.scorecard(&actor, &q).await?;
    if f.csv()? {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"scorecard-{}.csv\"", card.to),
                ),
            ],
            card.to_csv(),
        )
            .into_response());
    }
    Ok(Json(card).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FigureQuery {
    /// The figure's key, e.g. `reopened`.
    figure: String,
}

/// The tickets behind one figure of the scorecard over the same scope and periods: those
/// in its count first (`counted`), then the rest it was counted of.
#[utoipa::path(get, path = "/reports/scorecard/tickets", tag = "reports", params(ScorecardQuery, FigureQuery),
    responses((status = 200, body = Vec<ScorecardTicket>),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn scorecard_tickets(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ScorecardQuery>,
    ApiQuery(f): ApiQuery<FigureQuery>,
) -> Result<Json<Vec<ScorecardTicket>>, ApiError> {
    Ok(Json(
        state
            .services
            .scorecard_tickets(&actor, &q, &f.figure)
            .await?,
    ))
}
