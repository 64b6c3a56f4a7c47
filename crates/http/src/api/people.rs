use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use heard_services::people::*;
use heard_services::views::*;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(create_customer, list_customers))
        .routes(routes!(get_customer, update_customer))
        .routes(routes!(add_identity))
        .routes(routes!(record_fact))
        .routes(routes!(create_agent, list_agents))
        .routes(routes!(get_agent, update_agent))
        .routes(routes!(create_organization, list_organizations))
        .routes(routes!(get_organization, update_organization))
        .routes(routes!(create_team, list_teams))
        .routes(routes!(get_team, update_team))
        .routes(routes!(audit_log))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// The `next_after` of the previous page.
    after: Option<i64>,
    limit: Option<i64>,
}

type Created<T> = Result<(StatusCode, Json<T>), ApiError>;

/// Who the caller is.
#[utoipa::path(get, path = "/me", tag = "people", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(State(s): State<AppState>, Auth(actor): Auth) -> Result<Json<MeView>, ApiError> {
    Ok(Json(s.services.me(&actor).await?))
}

/// Add a customer (staff).
#[utoipa::path(post, path = "/customers", tag = "people", request_body = NewCustomer,
    responses((status = 201, body = CustomerView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_customer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewCustomer>,
) -> Created<CustomerView> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_customer(Some(&actor), input).await?),
    ))
}

/// Customers by id (staff).
#[utoipa::path(get, path = "/customers", tag = "people", params(PageQuery), responses((status = 200, body = Page<CustomerView>)))]
async fn list_customers(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<CustomerView>>, ApiError> {
    Ok(Json(
        s.services.list_customers(&actor, q.after, q.limit).await?,
    ))
}

/// One customer profile with identities and verified facts (staff, or the customer themselves).
#[utoipa::path(get, path = "/customers/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody)))]
async fn get_customer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CustomerView>, ApiError> {
    Ok(Json(s.services.get_customer(&actor, id).await?))
}

/// Change a customer's name, organization (staff) or time zone.
#[utoipa::path(patch, path = "/customers/{id}", tag = "people", params(("id" = i64, Path)), request_body = CustomerPatch,
    responses((status = 200, body = CustomerView), (status = 404, body = ErrorBody)))]
async fn update_customer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<CustomerPatch>,
) -> Result<Json<CustomerView>, ApiError> {
    Ok(Json(s.services.update_customer(&actor, id, p).await?))
}

/// Add an e-mail address, phone number or chat handle to a customer's one profile.
#[utoipa::path(post, path = "/customers/{id}/identities", tag = "people", params(("id" = i64, Path)), request_body = NewIdentity,
    responses((status = 201, body = CustomerView), (status = 409, body = ErrorBody)))]
async fn add_identity(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(i): ApiJson<NewIdentity>,
) -> Created<CustomerView> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.add_identity(&actor, id, i).await?),
    ))
}

/// Record a verified fact (account, device, version, steps tried) once, for every agent.
#[utoipa::path(post, path = "/customers/{id}/facts", tag = "people", params(("id" = i64, Path)), request_body = NewFact,
    responses((status = 201, body = CustomerView), (status = 404, body = ErrorBody)))]
async fn record_fact(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(f): ApiJson<NewFact>,
) -> Created<CustomerView> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.record_fact(&actor, id, f).await?),
    ))
}

/// Add an agent, supervisor or admin (admins).
#[utoipa::path(post, path = "/agents", tag = "people", request_body = NewAgent,
    responses((status = 201, body = AgentView), (status = 403, body = ErrorBody)))]
async fn create_agent(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewAgent>,
) -> Created<AgentView> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_agent(Some(&actor), input).await?),
    ))
}

/// The staff roster (supervisors, admins).
#[utoipa::path(get, path = "/agents", tag = "people", params(PageQuery), responses((status = 200, body = Page<AgentView>)))]
async fn list_agents(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<AgentView>>, ApiError> {
    Ok(Json(
        s.services.list_agents(&actor, q.after, q.limit).await?,
    ))
}

#[utoipa::path(get, path = "/agents/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = AgentView), (status = 404, body = ErrorBody)))]
async fn get_agent(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AgentView>, ApiError> {
    Ok(Json(s.services.get_agent(&actor, id).await?))
}

/// Change an agent's role, tier, skills, teams or capacity (admins).
#[utoipa::path(patch, path = "/agents/{id}", tag = "people", params(("id" = i64, Path)), request_body = AgentPatch,
    responses((status = 200, body = AgentView), (status = 404, body = ErrorBody)))]
async fn update_agent(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<AgentPatch>,
) -> Result<Json<AgentView>, ApiError> {
    Ok(Json(s.services.update_agent(&actor, id, p).await?))
}

#[utoipa::path(post, path = "/organizations", tag = "people", request_body = NewOrganization,
    responses((status = 201, body = OrganizationView), (status = 409, body = ErrorBody)))]
async fn create_organization(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewOrganization>,
) -> Created<OrganizationView> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_organization(&actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/organizations", tag = "people", params(PageQuery), responses((status = 200, body = Page<OrganizationView>)))]
async fn list_organizations(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<OrganizationView>>, ApiError> {
    Ok(Json(
        s.services
            .list_organizations(&actor, q.after, q.limit)
            .await?,
    ))
}

#[utoipa::path(get, path = "/organizations/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = OrganizationView), (status = 404, body = ErrorBody)))]
async fn get_organization(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(s.services.get_organization(&actor, id).await?))
}

#[utoipa::path(patch, path = "/organizations/{id}", tag = "people", params(("id" = i64, Path)), request_body = OrganizationPatch,
    responses((status = 200, body = OrganizationView), (status = 404, body = ErrorBody)))]
async fn update_organization(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<OrganizationPatch>,
) -> Result<Json<OrganizationView>, ApiError> {
    Ok(Json(s.services.update_organization(&actor, id, p).await?))
}

#[utoipa::path(post, path = "/teams", tag = "people", request_body = NewTeam,
    responses((status = 201, body = TeamView), (status = 403, body = ErrorBody)))]
async fn create_team(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewTeam>,
) -> Created<TeamView> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_team(Some(&actor), input).await?),
    ))
}

#[utoipa::path(get, path = "/teams", tag = "people", responses((status = 200, body = Vec<TeamView>)))]
async fn list_teams(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<TeamView>>, ApiError> {
    Ok(Json(s.services.list_teams(&actor).await?))
}

#[utoipa::path(get, path = "/teams/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = TeamView), (status = 404, body = ErrorBody)))]
async fn get_team(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(s.services.get_team(&actor, id).await?))
}

#[utoipa::path(patch, path = "/teams/{id}", tag = "people", params(("id" = i64, Path)), request_body = TeamPatch,
    responses((status = 200, body = TeamView), (status = 404, body = ErrorBody)))]
async fn update_team(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(p): ApiJson<TeamPatch>,
) -> Result<Json<TeamView>, ApiError> {
    Ok(Json(s.services.update_team(&actor, id, p).await?))
}

/// Who changed organization membership and ticket sharing, oldest first (supervisors, admins).
#[utoipa::path(get, path = "/audit", tag = "people", params(PageQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    Ok(Json(s.services.audit_log(&actor, q.after, q.limit).await?))
}
