//! `POST /api/v1/messages/{id}/resend`: a failed message (failed,
//! unknown outcome or cancelled, so in `failed/`) goes back to
//! `outgoing/` under a fresh id, with `X-Smsgate-Resend-Of: OLD` among
//! its headers, made by the same code as `smsgate ctl resend`'s copy
//! ([`crate::resend::fresh_copy`]). The `failed/` file stays: it is the
//! record of the failure.
//!
//! The new file is the failed file without the lines the daemon added
//! when it failed (modem, reason, PDU, the old id and outcome), so it is
//! the message as it was submitted, planned again from scratch.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use crate::http::auth::authorize;
use crate::http::cancel::is_id;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::lookup::{self, MessageState};
use crate::http::submit::{self, AcceptedMessage};
use crate::http::AppState;
use crate::journal::new_message_id;
use crate::scheduler::ID_HEADER;

/// Puts a failed message back as a new one.
#[utoipa::path(
    post, path = "/api/v1/messages/{id}/resend", tag = "messages",
    params(("id" = String, Path, description = "The failed message's id")),
    responses(
        (status = 202, description = "Accepted under a new id: on disk in outgoing/", body = AcceptedMessage),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The message did not fail", body = ErrorBody),
        (status = 503, description = "The spool cannot be written; nothing accepted", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn resend(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<AcceptedMessage>), ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Admin)?;
    if !is_id(&id) {
        return Err(ApiError::not_found(format!("no message {id:?}")));
    }
    let accepted = tokio::task::spawn_blocking(move || resend_blocking(&state, &id))
        .await
        .map_err(|err| ApiError::storage("the request's task", err))??;
    Ok((StatusCode::ACCEPTED, Json(accepted)))
}

fn resend_blocking(state: &AppState, id: &str) -> Result<AcceptedMessage, ApiError> {
    let config = &state.config;
    let found = lookup::find(config, id)
        .map_err(|err| ApiError::storage("looking up", err))?
        .ok_or_else(|| ApiError::not_found(format!("no message {id}")))?;
    let in_failed = matches!(found.state, MessageState::Failed | MessageState::Unknown)
        || (found.state == MessageState::Cancelled && config.spool.failed.join(&found.file).exists());
    if !in_failed {
        return Err(ApiError::conflict(format!(
            "message {id} is {}; only a failed message can be resent",
            serde_json::to_value(found.state)
                .unwrap_or_default()
                .as_str()
                .unwrap_or("")
        )));
    }
    let failed = std::fs::read(config.spool.failed.join(&found.file))
        .map_err(|err| ApiError::storage(&format!("reading failed/{}", found.file), err))?;
    let new_id = new_message_id();
    // The same copy `smsgate ctl resend` makes: the lines added on
    // failure dropped, `X-Smsgate-Resend-Of: OLD` added, the body as it was.
    let (copy, _) = crate::resend::fresh_copy(&failed, id);
    let bytes = spool::add_headers(&copy, &[(ID_HEADER, new_id.clone())]);
    submit::write_all(
        &config.spool.outgoing,
        &[(new_id.clone(), bytes)],
        config.modes.file,
    )
    .map_err(|err| ApiError::storage("writing to outgoing/", err))?;
    state.metrics.http_accepted.inc();
    Ok(AcceptedMessage {
        id: new_id,
        to: found.to.unwrap_or_default(),
    })
}
