//! `/healthz`, `/readyz` and `/metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::auth::authorize;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::metrics::{ModemLabel, QueueLabel};

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok`, or `unready`.
    pub(crate) status: String,
    /// What is wrong, for `/readyz`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) problems: Vec<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        problems: Vec::new(),
    })
}

/// The spool takes writes and at least one modem answers.
#[utoipa::path(
    get, path = "/readyz", tag = "system",
    responses((status = 200, body = Health), (status = 503, body = Health))
)]
pub(crate) async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Health>) {
    let outgoing = state.config.spool.outgoing.clone();
    let mode = state.config.modes.file;
    let writable = tokio::task::spawn_blocking(move || {
        // A real durable write, as an accepted message needs.
        crate::spool_dir::write_durably(&outgoing, ".smsgate-readyz", b"", mode)
            .and_then(std::fs::remove_file)
    })
    .await;
    let mut problems = Vec::new();
    match writable {
        Ok(Ok(())) => {}
        Ok(Err(err)) => problems.push(format!("outgoing/ takes no writes: {err}")),
        Err(err) => problems.push(format!("the write check failed: {err}")),
    }
    if !state.modem_watch.any_up() {
        problems.push("no modem answers".to_owned());
    }
    let status = match problems.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    let health = Health {
        status: if problems.is_empty() { "ok" } else { "unready" }.to_owned(),
        problems,
    };
    (status, Json(health))
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(
    get, path = "/metrics", tag = "system",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub(crate) async fn metrics(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if state.settings.metrics_token {
        authorize(&state.settings.tokens, &headers, Scope::Read)?;
    }
    let config = state.config.clone();
    let depths = tokio::task::spawn_blocking(move || {
        let mut dirs = vec![
            ("outgoing".to_owned(), config.spool.outgoing.clone()),
            ("default".to_owned(), config.spool.checked.clone()),
        ];
        dirs.extend(
            config
                .queues
                .iter()
                .map(|(name, queue)| (name.clone(), queue.directory.clone())),
        );
        dirs.into_iter()
            .map(|(queue, dir)| {
                let count = std::fs::read_dir(&dir)
                    .map(|entries| {
                        entries
                            .flatten()
                            .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
                            .count()
                    })
                    .unwrap_or(0);
                (queue, count)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    for (queue, count) in depths {
        state
            .metrics
            .queue_depth
            .get_or_create(&QueueLabel { queue })
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }
    for name in state.config.modems.keys() {
        let blocked = state.config.modem_states.blocked_until(name).is_some();
        let label = ModemLabel { modem: name.clone() };
        state
            .metrics
            .modem_blocked
            .get_or_create(&label)
            .set(i64::from(blocked));
    }
    crate::sim_limits::gauges::set_metrics(
        &state.metrics,
        &state.config.spool.base,
        state
            .config
            .modems
            .iter()
            .map(|(name, modem)| (name, &modem.sim_limits)),
        crate::sim_limits::Now::real(),
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response())
}
