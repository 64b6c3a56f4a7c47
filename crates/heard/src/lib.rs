//! The application as one router: the JSON API (`heard-http`) and the pages
//! (`heard-web`) side by side over the same use cases, with the shared layers (security
//! headers, panics answered as errors) applied once to both. The adapters do not know
//! each other; this is where they meet.

use heard_services::Services;

/// Every route heard answers, each request with its id, span and metrics.
pub fn app(services: Services) -> axum::Router {
    heard_http::metrics::observe(
        heard_http::shared_layers(
            heard_http::api_router(services.clone()).merge(heard_web::router(services.clone())),
        ),
        services,
    )
}

/// Serves `GET /metrics` (Prometheus) on a listener of its own until `shutdown` resolves.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    services: Services,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    heard_http::serve(
        listener,
        heard_http::metrics::metrics_router(services),
        shutdown,
    )
    .await
}

/// Serves the whole application until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    services: Services,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    heard_http::serve(listener, app(services), shutdown).await
}
