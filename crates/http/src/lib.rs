//! heard's HTTP adapter: the JSON API under `/api/v1` (Bearer token or session cookie
//! with CSRF), `/healthz`, the OpenAPI document generated from the routes themselves,
//! and the layers every response gets (security headers, panics answered as errors).
//! Handlers only translate: all rules live in `heard-services`. The pages are a sibling
//! adapter (`heard-web`); the binary merges both routers.

mod api;
mod error;
mod extract;
pub mod metrics;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use heard_services::Services;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use error::ApiError;

/// Largest JSON body accepted; attachments have their own, larger limit.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
}

#[derive(OpenApi)]
#[openapi(
    servers((url = "/api/v1", description = "this help desk's API, relative to where the document was fetched")),
    info(title = "heard", description = "The heard help desk API. Authenticate with `Authorization: Bearer TOKEN` (from `heard token create`) or a session cookie from `POST /api/v1/session` plus its `X-CSRF-Token` on writes. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`."),
    components(schemas(error::ErrorBody, error::ErrorDetail, error::ErrorCodeSchema)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The JSON API under `/api/v1`, its OpenAPI document and `/healthz`. The binary merges
/// the pages beside it and then applies [`shared_layers`] once to the whole.
pub fn api_router(services: Services) -> Router {
    let state = AppState { services };
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .split_for_parts();
    let openapi_json = serde_json::to_string(&openapi).expect("the OpenAPI document serialises");
    // API answers are per caller and often private: no cache, shared or not, keeps them.
    let api = api
        .fallback(error::api_not_found)
        .layer(security_header(header::CACHE_CONTROL, "no-store"));
    Router::new()
        .nest("/api/v1", api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    openapi_json.clone(),
                )
            }),
        )
        .route("/healthz", axum::routing::get(api::health))
        .route("/metrics", axum::routing::get(metrics::admin_metrics))
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .with_state(state)
}

/// What every response carries, API and pages alike: a JSON 500 instead of a dropped
/// connection when a handler panics, and the security headers.
pub fn shared_layers(app: Router) -> Router {
    app.layer(CatchPanicLayer::custom(error::panic_response))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Serves `app` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address reaches handlers for throttling sign-in per client address.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
