//! The stylesheet and script, embedded in the binary: no build step, nothing to deploy
//! beside it. Pages link them with a version query, so they can be cached for a long time.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const CSS: &str = include_str!("../assets/heard.css");
pub const JS: &str = include_str!("../assets/heard.js");
pub const ICON: &str = include_str!("../assets/icon.svg");

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "heard.css" => (CSS, "text/css; charset=utf-8"),
        "heard.js" => (JS, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        "chat-agent.js" => (CHAT_AGENT_JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

/// The live-chat widget any site includes with one `<script>` tag, and its styles.
pub const CHAT_WIDGET_JS: &str = include_str!("../assets/chat-widget.js");
pub const CHAT_AGENT_JS: &str = include_str!("../assets/chat-agent.js");
pub const CHAT_WIDGET_CSS: &str = include_str!("../assets/chat-widget.css");

/// `/chat/widget.js` and `/chat/widget.css`: at a fixed address (other sites embed it),
/// so cached briefly; any site may load them.
pub async fn chat_widget(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "widget.js" => (CHAT_WIDGET_JS, "text/javascript; charset=utf-8"),
        "widget.css" => (CHAT_WIDGET_CSS, "text/css; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}
