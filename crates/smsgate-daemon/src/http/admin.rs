//! The live operations over HTTP (issue 14): reload, a modem suspended,
//! resumed or reopened, the log level, resends and the status.
//!
//! Each route builds the control socket's typed [`Request`] and has it
//! answered by the same code that answers the socket
//! ([`crate::control::ops_server::answer`], on [`crate::ops::DaemonOps`]):
//! one code path, so an operation does the same whichever way it came,
//! and the body of a 200 is the `result` that `smsgate ctl ... --json`
//! prints. A refusal becomes the status that fits the route: an unknown
//! modem 404, a modem whose state forbids the action 409, a config with
//! errors or a log filter that does not parse 422 (with every error in
//! the message), a bad body 422.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::control::{Answer, Refusal, Request};
use crate::http::auth::authorize;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::ops::ModemAction;
use crate::ops::{LogLevelView, ModemControlView};
use crate::reload::ConfigDiff;
use crate::resend::ResendView;
use crate::status_board::DaemonStatusView;

/// The admin routes, merged into [`super::router`] (the OpenAPI test reads
/// them here too).
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/admin/reload", post(reload))
        .route("/api/v1/admin/log-level", put(log_level))
        .route("/api/v1/admin/resend", post(resend_failed))
        .route("/api/v1/modems/{name}/suspend", post(suspend))
        .route("/api/v1/modems/{name}/resume", post(resume))
        .route("/api/v1/modems/{name}/reopen", post(reopen))
        .route("/api/v1/status", get(status))
}

/// How a route turns a `not-done` refusal into a status.
#[derive(Clone, Copy)]
enum NotDone {
    /// 422: what was asked for is wrong (a config, a filter).
    Invalid(&'static str),
    /// 409: the state of what it is asked of forbids it.
    Conflict,
}

/// `request` answered as the control socket answers it.
async fn ask(state: &AppState, request: Request, not_done: NotDone) -> Result<Json<Value>, ApiError> {
    if state.registry.ops().is_none() {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this daemon takes no live operations",
        ));
    }
    let line = crate::control::ops_server::answer(&state.registry, &request)
        .await
        .ok_or_else(|| ApiError::storage("the operation", "not a live operation"))?;
    let answer =
        Answer::<Value>::parse(&line).map_err(|err| ApiError::storage("the operation's answer", err))?;
    match answer {
        Answer::Done(result) => Ok(Json(result)),
        Answer::Refused(Refusal::UnknownModem, error) => Err(ApiError::not_found(error)),
        Answer::Refused(Refusal::BadRequest, error) => Err(ApiError::invalid("body", error)),
        Answer::Refused(_, error) => Err(match not_done {
            NotDone::Invalid(field) => ApiError::invalid(field, error),
            NotDone::Conflict => ApiError::conflict(error),
        }),
    }
}

fn body_of<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| ApiError::invalid("body", err))
}

/// Reads the config file again and applies what changed, as `smsgate ctl
/// reload` and SIGHUP do.
#[utoipa::path(
    post, path = "/api/v1/admin/reload", tag = "admin",
    responses(
        (status = 200, description = "Applied: what changed", body = ConfigDiff),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Refused whole (every config error in the message); the running config stays", body = ErrorBody),
        (status = 503, description = "No live operations in this daemon", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn reload(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Admin)?;
    ask(&state, Request::Reload, NotDone::Invalid("config")).await
}

async fn modem_action(
    state: &AppState,
    headers: &HeaderMap,
    modem: String,
    action: ModemAction,
) -> Result<Json<Value>, ApiError> {
    authorize(&state.settings.tokens, headers, Scope::Admin)?;
    ask(state, Request::ModemControl { modem, action }, NotDone::Conflict).await
}

/// The modem takes no new message; the one in flight finishes.
#[utoipa::path(
    post, path = "/api/v1/modems/{name}/suspend", tag = "modems",
    params(("name" = String, Path, description = "The modem's name")),
    responses(
        (status = 200, body = ModemControlView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The modem is not set up (yet)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn suspend(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    modem_action(&state, &headers, name, ModemAction::Suspend).await
}

/// The modem takes messages again.
#[utoipa::path(
    post, path = "/api/v1/modems/{name}/resume", tag = "modems",
    params(("name" = String, Path, description = "The modem's name")),
    responses(
        (status = 200, body = ModemControlView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The modem is not set up (yet)", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn resume(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    modem_action(&state, &headers, name, ModemAction::Resume).await
}

/// The modem's port is closed (after its message in flight) and opened
/// again; answers once done.
#[utoipa::path(
    post, path = "/api/v1/modems/{name}/reopen", tag = "modems",
    params(("name" = String, Path, description = "The modem's name")),
    responses(
        (status = 200, body = ModemControlView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn reopen(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    modem_action(&state, &headers, name, ModemAction::Reopen).await
}

/// `PUT /api/v1/admin/log-level`'s body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogLevelRequest {
    /// A tracing filter: `debug`, `smsgate=trace,info`, ...
    level: String,
}

/// Sets the log filter of the running daemon, as `smsgate ctl log-level`.
#[utoipa::path(
    put, path = "/api/v1/admin/log-level", tag = "admin",
    request_body = LogLevelRequest,
    responses(
        (status = 200, description = "The filter now in force", body = LogLevelView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Not a filter; the old one stays", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn log_level(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Admin)?;
    let LogLevelRequest { level } = body_of(&body)?;
    ask(&state, Request::LogLevel { level }, NotDone::Invalid("level")).await
}

/// `POST /api/v1/admin/resend`'s body: one file of `failed/`, or every
/// failed one (since a moment).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResendRequest {
    /// A file of `failed/`, by name.
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    all_failed: bool,
    /// With `all_failed`: only files that failed since then (RFC 3339,
    /// `YYYY-MM-DD[ HH:MM[:SS]]` local, or `@UNIX-SECONDS`).
    #[serde(default)]
    since: Option<String>,
}

/// Moves failed files back to `outgoing/` with a fresh identity, as
/// `smsgate ctl resend FILE|--all-failed [--since]`.
#[utoipa::path(
    post, path = "/api/v1/admin/resend", tag = "admin",
    request_body = ResendRequest,
    responses(
        (status = 200, description = "What was resent, and the files that could not be", body = ResendView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Neither a file nor all_failed, or a bad since", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn resend_failed(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Admin)?;
    let ResendRequest {
        file,
        all_failed,
        since,
    } = body_of(&body)?;
    let request = Request::Resend {
        file,
        all_failed,
        since,
    };
    ask(&state, request, NotDone::Invalid("body")).await
}

/// Every modem's state and today's counts, the queues: the same view as
/// `smsgate ctl status --json`.
#[utoipa::path(
    get, path = "/api/v1/status", tag = "system",
    responses(
        (status = 200, body = DaemonStatusView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = ["read"]))
)]
pub(crate) async fn status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Read)?;
    ask(&state, Request::DaemonStatus, NotDone::Conflict).await
}
