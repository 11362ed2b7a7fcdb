//! `/api/v1/inbox`: the messages the daemon received, read from
//! `incoming/` (the spool is the truth; nothing else is kept). An entry's
//! id is its file's name (`MODEM.ID`), newest first.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::authorize;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;

/// The most of a received file read.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// One received message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct InboxMessage {
    /// Its file's name in `incoming/`.
    pub(crate) id: String,
    pub(crate) from: Option<String>,
    /// `From_TOA:`, e.g. `91 international, ISDN/telephone`.
    pub(crate) from_toa: Option<String>,
    /// The text, for a text message.
    pub(crate) text: Option<String>,
    /// The data, hex, for a binary one.
    pub(crate) data_hex: Option<String>,
    /// The service centre's time stamp, as smsd writes it.
    pub(crate) sent: Option<String>,
    pub(crate) received: Option<String>,
    pub(crate) modem: Option<String>,
    /// Delivered without every part, after `incomplete-after-s`.
    pub(crate) incomplete: bool,
    pub(crate) missing_parts: Vec<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct InboxPage {
    pub(crate) messages: Vec<InboxMessage>,
    pub(crate) next: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct InboxQuery {
    /// Only messages received at or after this time (RFC 3339).
    since: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<usize>,
    /// The `next` of the page before.
    cursor: Option<String>,
}

/// A file name that names a file in the directory and nothing else.
fn is_entry_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains('/') && name.len() <= 255
}

fn read_entry(dir: &Path, name: &str) -> Option<InboxMessage> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = std::fs::File::options()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(dir.join(name))
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    let split = bytes.windows(2).position(|pair| pair == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&bytes[..at], &bytes[at + 2..]),
        None => (&bytes[..], &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let header = |wanted: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(wanted)
                .then(|| value.trim().to_owned())
        })
    };
    let alphabet = header("Alphabet");
    let binary = alphabet
        .as_deref()
        .is_some_and(|alphabet| alphabet.eq_ignore_ascii_case("binary"));
    let (text, data_hex) = match binary {
        true => (None, Some(hex::encode(body))),
        false => (Some(spool::incoming::body_text(alphabet.as_deref(), body)), None),
    };
    Some(InboxMessage {
        id: name.to_owned(),
        from: header("From"),
        from_toa: header("From_TOA"),
        text,
        data_hex,
        sent: header("Sent"),
        received: header("Received"),
        modem: header("Modem"),
        incomplete: header("Incomplete").is_some_and(|value| value.eq_ignore_ascii_case("yes")),
        missing_parts: header("Missing_parts")
            .map(|parts| {
                parts
                    .split(',')
                    .filter_map(|part| part.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// `incoming/`'s files, newest first: (modified, name).
fn entries(dir: &Path) -> std::io::Result<Vec<(SystemTime, String)>> {
    let mut entries: Vec<(SystemTime, String)> = std::fs::read_dir(dir)?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let modified = entry.metadata().ok()?.modified().ok()?;
            is_entry_name(&name).then_some((modified, name))
        })
        .collect();
    entries.sort_by(|a, b| b.cmp(a));
    Ok(entries)
}

/// A cursor: the position of the last entry of a page.
fn cursor_of(modified: SystemTime, name: &str) -> String {
    let nanos = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("{nanos}.{name}")
}

/// Received messages, newest first.
#[utoipa::path(
    get, path = "/api/v1/inbox", tag = "inbox",
    params(InboxQuery),
    responses((status = 200, body = InboxPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = ["read"]))
)]
pub(crate) async fn list_inbox(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<InboxPage>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Read)?;
    let Query(query) = query.map_err(|err| ApiError::invalid("query", err.body_text()))?;
    let (limit, since) = crate::http::messages::page_bounds(query.limit, query.since.as_deref())?;
    let dir: PathBuf = state.config.spool.incoming.clone();
    let page = tokio::task::spawn_blocking(move || {
        let all = entries(&dir).map_err(|err| ApiError::storage("listing incoming/", err))?;
        let mut messages = Vec::new();
        let mut next = None;
        for (modified, name) in all {
            if since.is_some_and(|since| modified < since) {
                continue;
            }
            let position = cursor_of(modified, &name);
            if query
                .cursor
                .as_deref()
                .is_some_and(|cursor| position.as_str() >= cursor)
            {
                // Same-second files sort by name after the time: the
                // string order of "nanos.name" with nanos of one width.
                continue;
            }
            if messages.len() == limit {
                break;
            }
            if let Some(message) = read_entry(&dir, &name) {
                messages.push(message);
                next = Some(position);
            }
        }
        if messages.len() < limit {
            next = None;
        }
        Ok::<_, ApiError>(InboxPage { messages, next })
    })
    .await
    .map_err(|err| ApiError::storage("listing incoming/", err))??;
    Ok(Json(page))
}

/// One received message.
#[utoipa::path(
    get, path = "/api/v1/inbox/{id}", tag = "inbox",
    params(("id" = String, Path, description = "The file's name in incoming/")),
    responses((status = 200, body = InboxMessage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = ["read"]))
)]
pub(crate) async fn get_inbox(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<InboxMessage>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Read)?;
    if !is_entry_name(&id) {
        return Err(ApiError::not_found(format!("no received message {id:?}")));
    }
    let dir = state.config.spool.incoming.clone();
    tokio::task::spawn_blocking(move || {
        read_entry(&dir, &id).ok_or_else(|| ApiError::not_found(format!("no received message {id:?}")))
    })
    .await
    .map_err(|err| ApiError::storage("reading incoming/", err))?
    .map(Json)
}

/// Deletes a received message's file.
#[utoipa::path(
    delete, path = "/api/v1/inbox/{id}", tag = "inbox",
    params(("id" = String, Path, description = "The file's name in incoming/")),
    responses((status = 200, description = "What was deleted", body = InboxMessage),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn delete_inbox(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<InboxMessage>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Admin)?;
    if !is_entry_name(&id) {
        return Err(ApiError::not_found(format!("no received message {id:?}")));
    }
    let dir = state.config.spool.incoming.clone();
    tokio::task::spawn_blocking(move || {
        let message = read_entry(&dir, &id)
            .ok_or_else(|| ApiError::not_found(format!("no received message {id:?}")))?;
        std::fs::remove_file(dir.join(&id)).map_err(|err| ApiError::storage("deleting", err))?;
        crate::spool_dir::sync_dir(&dir).map_err(|err| ApiError::storage("deleting", err))?;
        Ok(message)
    })
    .await
    .map_err(|err| ApiError::storage("deleting", err))?
    .map(Json)
}
