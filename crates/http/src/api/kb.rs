//! The knowledge base and self-service routes: articles (anonymous readers see public
//! ones), versions and restore, search and suggestions, feedback, deflection events,
//! the gap and deflection reports, drafts from tickets, ticket search, and the index check.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use heard_services::Actor;
use heard_services::kb::*;
use heard_services::search_index::{IndexDrift, RebuildReport};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_articles, create_article))
        .routes(routes!(get_article, update_article))
        .routes(routes!(article_versions))
        .routes(routes!(restore_version))
        .routes(routes!(kb_search))
        .routes(routes!(kb_suggest))
        .routes(routes!(feedback))
        .routes(routes!(deflection_event, deflection_report))
        .routes(routes!(gaps))
        .routes(routes!(draft_from_ticket))
        .routes(routes!(search_tickets))
        .routes(routes!(index_check, reindex))
}

/// The caller when they sent credentials, or nobody (self-service pages work signed out).
/// Credentials that are sent must be valid: a wrong token is a 401, not anonymity.
pub struct MaybeAuth(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let has_credentials = parts.headers.contains_key(header::AUTHORIZATION)
            || crate::extract::session_cookie(parts).is_some();
        if !has_credentials {
            return Ok(MaybeAuth(None));
        }
        let Auth(actor) = Auth::from_request_parts(parts, state).await?;
        Ok(MaybeAuth(Some(actor)))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SessionParam {
    /// The self-service visit this read belongs to (records "opened").
    session: Option<String>,
}

#[derive(Debug, Deserialize)]
struct VersionPath {
    id: String,
    version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
struct Recorded {
    recorded: bool,
    contact: Contact,
}

/// Articles the caller may read (anonymous and customers: public ones), by id, with
/// keyset pagination.
#[utoipa::path(get, path = "/kb/articles", tag = "knowledge base", params(ArticleQuery),
    responses((status = 200, body = ArticleList), (status = 422, body = ErrorBody)))]
async fn list_articles(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> Result<Json<ArticleList>, ApiError> {
    Ok(Json(state.services.list_articles(actor.as_ref(), q).await?))
}

/// Write an article (staff). Markdown body; a draft unless `visibility` says otherwise.
#[utoipa::path(post, path = "/kb/articles", tag = "knowledge base", request_body = NewArticle,
    responses((status = 201, body = ArticleView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_article(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewArticle>,
) -> Result<Response, ApiError> {
    let a = state.services.create_article(&actor, input).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// One article by id or slug, with its body rendered to sanitised HTML and a way to
/// reach a person.
#[utoipa::path(get, path = "/kb/articles/{id_or_slug}", tag = "knowledge base",
    params(("id_or_slug" = String, Path), SessionParam),
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody)))]
async fn get_article(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SessionParam>,
) -> Result<Json<ArticleView>, ApiError> {
    Ok(Json(
        state
            .services
            .get_article(actor.as_ref(), &id, q.session.as_deref())
            .await?,
    ))
}

/// Change an article (staff); every change is a new version in its history.
#[utoipa::path(patch, path = "/kb/articles/{id_or_slug}", tag = "knowledge base",
    params(("id_or_slug" = String, Path)), request_body = ArticlePatch,
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_article(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<ArticlePatch>,
) -> Result<Json<ArticleView>, ApiError> {
    Ok(Json(
        state.services.update_article(&actor, &id, patch).await?,
    ))
}

/// The version history (staff): who changed what, when; newest first.
#[utoipa::path(get, path = "/kb/articles/{id_or_slug}/versions", tag = "knowledge base",
    params(("id_or_slug" = String, Path)),
    responses((status = 200, body = Vec<ArticleVersionView>), (status = 404, body = ErrorBody)))]
async fn article_versions(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<ArticleVersionView>>, ApiError> {
    Ok(Json(state.services.article_versions(&actor, &id).await?))
}

/// Make an old version current again (as a new version; history is never rewritten).
#[utoipa::path(post, path = "/kb/articles/{id}/versions/{version}/restore", tag = "knowledge base",
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = ArticleView), (status = 404, body = ErrorBody)))]
async fn restore_version(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(p): ApiPath<VersionPath>,
) -> Result<Json<ArticleView>, ApiError> {
    Ok(Json(
        state
            .services
            .restore_article_version(&actor, &p.id, p.version)
            .await?,
    ))
}

/// Search the knowledge base in your own words: stemming, typo tolerance, the help-desk
/// thesaurus; highlighted snippets. Anonymous callers and customers see public articles.
#[utoipa::path(get, path = "/kb/search", tag = "knowledge base", params(SearchQuery),
    responses((status = 200, body = ArticleResults), (status = 422, body = ErrorBody)))]
async fn kb_search(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<ArticleResults>, ApiError> {
    Ok(Json(
        state.services.search_articles(actor.as_ref(), q).await?,
    ))
}

/// Articles that may answer what the customer is typing into a new ticket. Pass a
/// `session` to count suggestions shown and deflections.
#[utoipa::path(get, path = "/kb/suggest", tag = "knowledge base", params(SearchQuery),
    responses((status = 200, body = ArticleResults), (status = 422, body = ErrorBody)))]
async fn kb_suggest(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<ArticleResults>, ApiError> {
    Ok(Json(
        state.services.suggest_articles(actor.as_ref(), q).await?,
    ))
}

/// "Did this help?" with an optional comment; the answer carries the way to a person.
#[utoipa::path(post, path = "/kb/articles/{id_or_slug}/feedback", tag = "knowledge base",
    params(("id_or_slug" = String, Path)), request_body = NewFeedback,
    responses((status = 201, body = FeedbackView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn feedback(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<NewFeedback>,
) -> Result<Response, ApiError> {
    let f = state
        .services
        .article_feedback(actor.as_ref(), &id, input)
        .await?;
    Ok((StatusCode::CREATED, Json(f)).into_response())
}

/// Record a step of a self-service visit: `opened`, `abandoned` (left without writing a
/// ticket: deflected) or `submitted` (wrote the ticket anyway, with `ticket_id`).
#[utoipa::path(post, path = "/kb/deflection", tag = "knowledge base", request_body = DeflectionEvent,
    responses((status = 201, body = Recorded), (status = 422, body = ErrorBody)))]
async fn deflection_event(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiJson(input): ApiJson<DeflectionEvent>,
) -> Result<Response, ApiError> {
    state
        .services
        .record_deflection(actor.as_ref(), input)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Recorded {
            recorded: true,
            contact: contact(),
        }),
    )
        .into_response())
}

/// Deflection per article (staff): shown, opened, deflected, and "read it and still
/// needed help".
#[utoipa::path(get, path = "/kb/deflection", tag = "knowledge base", params(ReportQuery),
    responses((status = 200, body = DeflectionReport), (status = 403, body = ErrorBody)))]
async fn deflection_report(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<DeflectionReport>, ApiError> {
    Ok(Json(state.services.deflection_report(&actor, q).await?))
}

/// The knowledge-gap report (staff): searches that found nothing or led to a ticket
/// anyway, and articles readers said did not help.
#[utoipa::path(get, path = "/kb/gaps", tag = "knowledge base", params(ReportQuery),
    responses((status = 200, body = GapReport), (status = 403, body = ErrorBody)))]
async fn gaps(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<GapReport>, ApiError> {
    Ok(Json(state.services.gap_report(&actor, q).await?))
}

/// Turn a resolved ticket into a draft article, customer details removed (staff).
#[utoipa::path(post, path = "/tickets/{id}/draft-article", tag = "knowledge base",
    params(("id" = i64, Path)),
    responses((status = 201, body = ArticleView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn draft_from_ticket(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let a = state.services.draft_article_from_ticket(&actor, id).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// Search tickets and their messages. Only what the caller may see is searched and
/// counted; customers never search internal notes.
#[utoipa::path(get, path = "/search", tag = "tickets", params(SearchQuery),
    responses((status = 200, body = TicketResults), (status = 422, body = ErrorBody)))]
async fn search_tickets(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<TicketResults>, ApiError> {
    Ok(Json(state.services.search_tickets(&actor, q).await?))
}

/// Compare this server's search index with the database (supervisors and admins).
#[utoipa::path(get, path = "/search/index", tag = "knowledge base",
    responses((status = 200, body = IndexDrift), (status = 403, body = ErrorBody)))]
async fn index_check(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<IndexDrift>, ApiError> {
    Ok(Json(state.services.index_drift(Some(&actor)).await?))
}

/// Rebuild this server's search index from the database (supervisors and admins).
#[utoipa::path(post, path = "/search/index", tag = "knowledge base",
    responses((status = 200, body = RebuildReport), (status = 403, body = ErrorBody)))]
async fn reindex(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<RebuildReport>, ApiError> {
    Ok(Json(state.services.reindex(Some(&actor)).await?))
}
