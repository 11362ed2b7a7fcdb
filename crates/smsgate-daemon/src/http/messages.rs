//! `/api/v1/messages`: submit, look up, list, cancel.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::authorize;
use crate::http::cancel::{is_id, Refused};
use crate::http::commit::Outcome;
use crate::http::committer::Submission;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::idempotency::{self, Record};
use crate::http::lookup::{self, MessageState, MessageStatus};
use crate::http::submit::{self, AcceptedMessage, SendAnswer, SendRequest};
use crate::http::AppState;
use crate::journal::new_message_id;

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| ApiError::storage("the request's task", err))?
}

/// Submits one message per recipient.
#[utoipa::path(
    post, path = "/api/v1/messages", tag = "messages",
    request_body = SendRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers what the first request did")),
    responses(
        (status = 202, description = "Accepted: on disk in outgoing/", body = SendAnswer),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "Idempotency-Key reused with another body", body = ErrorBody),
        (status = 422, description = "A field is refused; the error names it", body = ErrorBody),
        (status = 503, description = "The spool cannot be written; nothing accepted", body = ErrorBody),
    ),
    security(("bearer" = ["send"]))
)]
pub(crate) async fn post_message(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<SendAnswer>), ApiError> {
    let token = authorize(&state.settings.tokens, &headers, Scope::Send)?
        .name
        .clone();
    let request: SendRequest = serde_json::from_slice(&body).map_err(|err| {
        // serde names the field in its message ("unknown field `tx`").
        ApiError::invalid("body", err)
    })?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .filter(|key| !key.is_empty() && key.len() <= idempotency::MAX_KEY_LEN)
                .ok_or_else(|| ApiError::invalid("Idempotency-Key", "1-255 visible ASCII characters"))?;
            Some(key.to_owned())
        }
    };
    let answer = accept(state, token, key, request).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// Checks and renders the request's files (off the async threads), then
/// commits them with the other requests of the moment (http/commit.rs).
async fn accept(
    state: Arc<AppState>,
    token: String,
    key: Option<String>,
    request: SendRequest,
) -> Result<SendAnswer, ApiError> {
    let Some(key) = key else {
        let rendered = {
            let state = state.clone();
            blocking(move || render_all(&state, &request)).await?
        };
        return commit(&state, rendered, None).await;
    };
    let dir = idempotency::dir(&state.config.spool.base);
    let name = idempotency::file_name(&token, &key);
    let _guard = state.idempotency.lock(&name).await;
    let prepared = {
        let state = state.clone();
        let name = name.clone();
        blocking(move || prepare_keyed(&state, &dir, &name, request)).await?
    };
    match prepared {
        Keyed::Answered(answer) => Ok(answer),
        Keyed::New { files, record } => commit(&state, files, Some((name, record))).await,
    }
}

/// A keyed request, once its record was looked up.
enum Keyed {
    /// A retry: the first answer (its missing files written).
    Answered(SendAnswer),
    /// A first request: its files and its record's bytes.
    New {
        files: Vec<(String, String, Vec<u8>)>,
        record: Vec<u8>,
    },
}

fn prepare_keyed(
    state: &AppState,
    dir: &std::path::Path,
    name: &str,
    request: SendRequest,
) -> Result<Keyed, ApiError> {
    let config = &state.config;
    let digest = idempotency::request_digest(&request);
    let stored = idempotency::load(dir, name)
        .map_err(|err| ApiError::storage("reading the idempotency record", err))?;
    if let Some(record) = stored {
        if record.request_sha256 != digest {
            return Err(ApiError::conflict(
                "this Idempotency-Key was used with another request body",
            ));
        }
        // Files the first request did not get to write (a crash, a
        // failed commit).
        let mut missing = Vec::new();
        for message in &record.answer.messages {
            let found =
                lookup::find(config, &message.id).map_err(|err| ApiError::storage("looking up", err))?;
            if found.is_none() && !config.cancels.is_cancelled(&message.id) {
                missing.push((
                    message.id.clone(),
                    submit::render(config, &record.request, &message.to, &message.id)?,
                ));
            }
        }
        if !missing.is_empty() {
            submit::write_all(&config.spool.outgoing, &missing, config.modes.file)
                .map_err(|err| ApiError::storage("writing to outgoing/", err))?;
        }
        return Ok(Keyed::Answered(record.answer));
    }
    let files = render_all(state, &request)?;
    let record = Record {
        request_sha256: digest,
        request,
        answer: answer_of(&files),
    };
    let record = idempotency::encode(&record)
        .map_err(|err| ApiError::storage("encoding the idempotency record", err))?;
    Ok(Keyed::New { files, record })
}

/// (id, to, file) for each recipient, every one checked.
fn render_all(state: &AppState, request: &SendRequest) -> Result<Vec<(String, String, Vec<u8>)>, ApiError> {
    submit::recipients(request)?
        .iter()
        .map(|to| {
            let id = new_message_id();
            let bytes = submit::render(&state.config, request, to, &id)?;
            Ok((id, (*to).to_owned(), bytes))
        })
        .collect()
}

fn answer_of(files: &[(String, String, Vec<u8>)]) -> SendAnswer {
    SendAnswer {
        messages: files
            .iter()
            .map(|(id, to, _)| AcceptedMessage {
                id: id.clone(),
                to: to.clone(),
            })
            .collect(),
    }
}

/// Hands the files (and the record) to the group commit; the answer once
/// they are durable.
async fn commit(
    state: &AppState,
    files: Vec<(String, String, Vec<u8>)>,
    record: Option<(String, Vec<u8>)>,
) -> Result<SendAnswer, ApiError> {
    let answer = answer_of(&files);
    let n_files = files.len();
    let submission = Submission {
        files: files
            .into_iter()
            .map(|(id, _, bytes)| (format!("{}{id}", submit::FILE_PREFIX), bytes))
            .collect(),
        record,
    };
    match state.committer.commit(submission).await {
        Outcome::Accepted => {
            state.metrics.http_accepted.inc_by(n_files as u64);
            Ok(answer)
        }
        Outcome::Failed(cause) => Err(ApiError::storage("writing to outgoing/", cause)),
    }
}

/// A message's state, from the spool and the journal.
#[utoipa::path(
    get, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "The message id (X-Smsgate-Id)")),
    responses(
        (status = 200, body = MessageStatus),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = ["read"]))
)]
pub(crate) async fn get_message(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<MessageStatus>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Read)?;
    if !is_id(&id) {
        return Err(ApiError::not_found(format!("no message {id:?}")));
    }
    let found = blocking(move || {
        lookup::find(&state.config, &id)
            .map_err(|err| ApiError::storage("looking up", err))?
            .ok_or_else(|| ApiError::not_found(format!("no message {id}")))
    })
    .await?;
    Ok(Json(found))
}

/// Cancels a message that has not started.
#[utoipa::path(
    delete, path = "/api/v1/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "The message id")),
    responses(
        (status = 200, description = "Cancelled: it will not be sent", body = MessageStatus),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "It started, or finished", body = ErrorBody),
    ),
    security(("bearer" = ["send"]))
)]
pub(crate) async fn delete_message(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<MessageStatus>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Send)?;
    if !is_id(&id) {
        return Err(ApiError::not_found(format!("no message {id:?}")));
    }
    let status = blocking(move || {
        let config = &state.config;
        let found = lookup::find(config, &id)
            .map_err(|err| ApiError::storage("looking up", err))?
            .ok_or_else(|| ApiError::not_found(format!("no message {id}")))?;
        match found.state {
            MessageState::Queued => {}
            MessageState::Cancelled => return Ok(found),
            other => {
                return Err(ApiError::conflict(format!(
                    "message {id} is {}; only a queued message can be cancelled",
                    serde_json::to_value(other)
                        .unwrap_or_default()
                        .as_str()
                        .unwrap_or("")
                )))
            }
        }
        match config.cancels.cancel(&id, &config.spool.base, config.modes.file) {
            Ok(()) => {}
            Err(Refused::Started) => {
                return Err(ApiError::conflict(format!("message {id} has started")));
            }
            Err(Refused::Storage(err)) => return Err(ApiError::storage("cancelling", err)),
        }
        lookup::find(config, &id)
            .map_err(|err| ApiError::storage("looking up", err))?
            .ok_or_else(|| ApiError::not_found(format!("no message {id}")))
    })
    .await?;
    Ok(Json(status))
}

/// `GET /api/v1/messages` query.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ListQuery {
    /// Only messages in this state.
    state: Option<MessageState>,
    /// Only messages whose file changed at or after this time (RFC 3339).
    since: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<usize>,
    /// The `next` of the page before.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct MessagePage {
    pub(crate) messages: Vec<MessageStatus>,
    /// The cursor of the next page; none on the last.
    pub(crate) next: Option<String>,
}

/// The messages submitted over HTTP, newest first.
#[utoipa::path(
    get, path = "/api/v1/messages", tag = "messages",
    params(ListQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("bearer" = ["read"]))
)]
pub(crate) async fn list_messages(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<MessagePage>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Read)?;
    let Query(query) = query.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let (limit, since) = page_bounds(query.limit, query.since.as_deref())?;
    if let Some(cursor) = &query.cursor {
        if !is_id(cursor) {
            return Err(ApiError::invalid("cursor", "not a cursor this API gave"));
        }
    }
    let page = blocking(move || {
        let (messages, next) =
            lookup::list(&state.config, query.state, since, query.cursor.as_deref(), limit)
                .map_err(|err| ApiError::storage("listing", err))?;
        Ok(MessagePage { messages, next })
    })
    .await?;
    Ok(Json(page))
}

/// A listing's `limit` (default 100, 1 to 1000) and `since` (RFC 3339),
/// checked alike for every paged route.
pub(crate) fn page_bounds(
    limit: Option<usize>,
    since: Option<&str>,
) -> Result<(usize, Option<std::time::SystemTime>), ApiError> {
    let limit = limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::invalid("limit", "1-1000"));
    }
    let since = since
        .map(|text| {
            chrono::DateTime::parse_from_rfc3339(text)
                .map(std::time::SystemTime::from)
                .map_err(|err| ApiError::invalid("since", format!("{text:?} is not RFC 3339: {err}")))
        })
        .transpose()?;
    Ok((limit, since))
}
