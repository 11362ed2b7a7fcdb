//! `/api/v1/modems`: each modem's state, read by a watch task every
//! [`POLL_INTERVAL`] (AT+CREG?, +COPS?, +CSQ and the identities, through
//! the modem's own driver, between sends), and USSD.
//!
//! `state` is `blocked` while the scheduler blocks the modem
//! (daemon/modem_states.rs), `sending` while the scheduler has a part of
//! a message on it, else `idle` when it answered its last status query,
//! `lost` when not, `opening` before the first answer ([`shown_state`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::control::ModemRegistry;
use crate::events::{DaemonEvent, EventBus};
use crate::http::auth::authorize;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::metrics::{Metrics, ModemLabel};

/// How often each modem's status is read.
const POLL_INTERVAL: Duration = Duration::from_secs(15);

/// The most one status query may take.
const STATUS_TIMEOUT: Duration = Duration::from_secs(20);

/// One modem as `GET /api/v1/modems` shows it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub(crate) struct ModemInfo {
    pub(crate) name: String,
    /// `idle`, `sending` (a part of a message is on it), `blocked` (the
    /// scheduler gives it no work until `blocked_until`), `lost` or
    /// `opening`.
    pub(crate) state: String,
    /// When the block ends (RFC 3339), for a blocked modem.
    pub(crate) blocked_until: Option<String>,
    pub(crate) signal_dbm: Option<i16>,
    pub(crate) operator: Option<String>,
    /// 27.007's words for AT+CREG's `<stat>`.
    pub(crate) registration: Option<String>,
    pub(crate) imei: Option<String>,
    pub(crate) imsi: Option<String>,
    /// Why the last status query failed.
    pub(crate) problem: Option<String>,
    /// Since the daemon started.
    pub(crate) counters: ModemCounters,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub(crate) struct ModemCounters {
    pub(crate) sent: u64,
    pub(crate) failed: u64,
    pub(crate) received: u64,
}

/// The latest status of every modem.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModemWatch {
    modems: Arc<Mutex<BTreeMap<String, ModemInfo>>>,
}

impl ModemWatch {
    pub(crate) fn snapshot(&self) -> Vec<ModemInfo> {
        self.modems
            .lock()
            .map(|modems| modems.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether any modem answered its last status query.
    pub(crate) fn any_up(&self) -> bool {
        self.snapshot().iter().any(|modem| modem.state == "idle")
    }

    /// Reads every modem's status now and then, until `shutdown`.
    /// A change of a modem's state goes on `events`.
    pub(crate) async fn run(
        self,
        registry: ModemRegistry,
        metrics: Arc<Metrics>,
        events: EventBus,
        shutdown: CancellationToken,
    ) {
        loop {
            for (name, handle) in registry.handles() {
                let mut info = ModemInfo {
                    name: name.clone(),
                    ..ModemInfo::default()
                };
                match tokio::time::timeout(STATUS_TIMEOUT, handle.status()).await {
                    Ok(Ok(status)) => {
                        info.state = "idle".to_owned();
                        info.signal_dbm = status.signal.and_then(|signal| signal.dbm());
                        info.operator = status.operator;
                        info.registration = status
                            .registration
                            .and_then(|registration| registration.status.meaning())
                            .map(str::to_owned);
                        info.imei = status.identity.imei;
                        info.imsi = status.identity.imsi;
                    }
                    Ok(Err(err)) => {
                        info.state = "lost".to_owned();
                        info.problem = Some(err.to_string());
                    }
                    Err(_) => {
                        info.state = "lost".to_owned();
                        info.problem = Some("no status within 20 s".to_owned());
                    }
                }
                let label = ModemLabel { modem: name.clone() };
                metrics
                    .modem_up
                    .get_or_create(&label)
                    .set(i64::from(info.state == "idle"));
                if let Some(dbm) = info.signal_dbm {
                    metrics.modem_signal_dbm.get_or_create(&label).set(i64::from(dbm));
                }
                let changed = match self.modems.lock() {
                    Ok(mut modems) => {
                        let before = modems.insert(name.clone(), info.clone());
                        before.is_none_or(|before| before.state != info.state)
                    }
                    Err(_) => false,
                };
                if changed {
                    events.publish(DaemonEvent::Modem {
                        modem: name,
                        state: info.state,
                        problem: info.problem,
                    });
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }
}

/// The state shown for a modem whose status query last said `watched`:
/// the scheduler's block first, then its part in flight (a modem that
/// sends is up, whatever a status query said before).
pub(crate) fn shown_state(watched: &str, blocked: bool, sending: bool) -> &str {
    if blocked {
        "blocked"
    } else if sending {
        "sending"
    } else {
        watched
    }
}

/// The counters of `modem` from the metrics.
fn counters(metrics: &Metrics, modem: &str) -> ModemCounters {
    let label = ModemLabel {
        modem: modem.to_owned(),
    };
    let failed = {
        let text = metrics.render();
        let prefix = format!("smsgate_messages_failed_total{{modem=\"{modem}\",");
        text.lines()
            .filter(|line| line.starts_with(&prefix))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    ModemCounters {
        sent: metrics.sent.get_or_create(&label).get(),
        failed,
        received: metrics.received.get_or_create(&label).get(),
    }
}

/// Every modem the daemon has, with its last known status.
#[utoipa::path(
    get, path = "/api/v1/modems", tag = "modems",
    responses((status = 200, body = [ModemInfo]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["read"]))
)]
pub(crate) async fn list_modems(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Vec<ModemInfo>>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Read)?;
    let known = state.modem_watch.snapshot();
    let modems = state
        .registry
        .handles()
        .into_iter()
        .map(|(name, _)| {
            let mut info = known
                .iter()
                .find(|info| info.name == name)
                .cloned()
                .unwrap_or(ModemInfo {
                    name: name.clone(),
                    state: "opening".to_owned(),
                    ..ModemInfo::default()
                });
            info.counters = counters(&state.metrics, &name);
            let blocked = state.config.modem_states.blocked_until(&name);
            let sending = state.config.modem_states.is_sending(&name);
            info.state = shown_state(&info.state, blocked.is_some(), sending).to_owned();
            if let Some(until) = blocked {
                info.blocked_until = Some(chrono::DateTime::<chrono::Utc>::from(until).to_rfc3339());
            }
            info
        })
        .collect();
    Ok(Json(modems))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct UssdRequest {
    /// E.g. `*100#`.
    pub(crate) code: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct UssdAnswerBody {
    /// The decoded answer.
    pub(crate) text: Option<String>,
    /// As the modem gave it.
    pub(crate) raw: Option<String>,
    pub(crate) dcs: Option<u8>,
}

/// Sends a USSD code on a modem and answers the network's reply.
#[utoipa::path(
    post, path = "/api/v1/modems/{name}/ussd", tag = "modems",
    params(("name" = String, Path, description = "The modem's name")),
    request_body = UssdRequest,
    responses(
        (status = 200, body = UssdAnswerBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, description = "The modem refused", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn ussd(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<UssdAnswerBody>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Admin)?;
    let request: UssdRequest = serde_json::from_slice(&body).map_err(|err| ApiError::invalid("body", err))?;
    let code = request.code.trim();
    if code.is_empty() || code.len() > 160 || !code.bytes().all(|byte| b"0123456789*#+".contains(&byte)) {
        return Err(ApiError::invalid("code", "digits, *, # and + only (e.g. *100#)"));
    }
    let handle = state
        .registry
        .handles()
        .into_iter()
        .find(|(modem, _)| *modem == name)
        .map(|(_, handle)| handle)
        .ok_or_else(|| ApiError::not_found(format!("no modem {name:?}")))?;
    let answer = handle.ussd(code).await.map_err(|err| {
        ApiError::new(
            axum::http::StatusCode::BAD_GATEWAY,
            "modem",
            format!("modem {name}: {err}"),
        )
    })?;
    Ok(Json(UssdAnswerBody {
        text: answer.text,
        raw: answer.raw,
        dcs: answer.dcs,
    }))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct UnblockAnswer {
    pub(crate) name: String,
    /// Whether it was blocked when asked.
    pub(crate) was_blocked: bool,
}

/// Lifts the scheduler's block of a modem: it gets work again at once.
#[utoipa::path(
    post, path = "/api/v1/modems/{name}/unblock", tag = "modems",
    params(("name" = String, Path, description = "The modem's name")),
    responses(
        (status = 200, body = UnblockAnswer),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, description = "No scheduler runs", body = ErrorBody),
    ),
    security(("bearer" = ["admin"]))
)]
pub(crate) async fn unblock(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<UnblockAnswer>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Admin)?;
    if !state.config.modems.contains_key(&name) {
        return Err(ApiError::not_found(format!("no modem {name:?}")));
    }
    let was_blocked = state.config.modem_states.blocked_until(&name).is_some();
    if !state.config.modem_states.request_unblock(&name) {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the scheduler is not running",
        ));
    }
    // The scheduler clears it in its own loop; shown so at once.
    state.config.modem_states.unblocked(&name);
    Ok(Json(UnblockAnswer { name, was_blocked }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modem_with_a_part_in_flight_shows_sending_unless_blocked() {
        assert_eq!(shown_state("idle", false, true), "sending");
        assert_eq!(shown_state("opening", false, true), "sending");
        assert_eq!(shown_state("idle", true, true), "blocked");
        assert_eq!(shown_state("idle", false, false), "idle");
        assert_eq!(shown_state("lost", false, false), "lost");
    }
}
