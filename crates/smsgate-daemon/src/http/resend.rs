//! `POST /api/v1/messages/{id}/resend`: a failed message (failed,
//! unknown outcome or cancelled, so in `failed/`) goes back to
//! `outgoing/` under a fresh id, with `X-Smsgate-Resend-Of: OLD` among
//! its headers (the header `smsgate ctl resend` writes). The `failed/` file stays: it is the record of the failure.
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
use crate::scheduler::{ID_HEADER, OUTCOME_HEADER};

/// The header that names the message a resent one repeats: the same as
/// `smsgate ctl resend` writes, so a script reads one header whichever way
/// a message was resent.
pub(crate) const RESENT_FROM_HEADER: &str = crate::resend::RESEND_OF_HEADER;

/// Header lines a failed file has that its outgoing file had not: written
/// by `spool::render_failed` and the scheduler, or by an earlier resend.
const ADDED_ON_FAILURE: [&str; 9] = [
    "Modem",
    "IMSI",
    "IMEI",
    "Fail_reason",
    "Failed",
    "PDU",
    ID_HEADER,
    OUTCOME_HEADER,
    RESENT_FROM_HEADER,
];

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
    let bytes = spool::add_headers(
        &without_failure_lines(&failed),
        &[(ID_HEADER, new_id.clone()), (RESENT_FROM_HEADER, id.to_owned())],
    );
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

/// `file` without the header lines [`ADDED_ON_FAILURE`] names; the body
/// (after the first empty line) byte for byte.
fn without_failure_lines(file: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(file.len());
    let mut rest = file;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(rest.len(), |at| at + 1);
        let (line, after) = rest.split_at(end);
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
        if bare.is_empty() {
            out.extend_from_slice(rest);
            return out;
        }
        let name = bare
            .split(|&byte| byte == b':')
            .next()
            .map(|name| String::from_utf8_lossy(name).trim().to_owned())
            .unwrap_or_default();
        if !ADDED_ON_FAILURE
            .iter()
            .any(|added| added.eq_ignore_ascii_case(&name))
        {
            out.extend_from_slice(line);
        }
        rest = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_of_the_failure_go_and_the_body_stays() {
        let failed = b"To: 491701\r\nX-Smsgate-Id: 0123\r\nModem: GSM1\r\nFail_reason: no answer\r\nFailed: 26-12-06 08:00:00\r\nPDU: 00AB\r\n\r\nModem: in the body stays\r\n";
        assert_eq!(
            without_failure_lines(failed),
            b"To: 491701\r\n\r\nModem: in the body stays\r\n".to_vec()
        );
        assert_eq!(without_failure_lines(b"To: 1\nFailed: x"), b"To: 1\n".to_vec());
    }
}
