//! The HTTP API (`[http]`): JSON over HTTP/1.1 with axum, beside the
//! control socket, on the same spool and modems.
//!
//! - [`config`]: `[http]` and `[[http.tokens]]`.
//! - [`auth`]: bearer tokens and scopes (401, 403).
//! - [`submit`], [`idempotency`]: `POST /api/v1/messages` writes spool
//!   files durably, once per `Idempotency-Key`.
//! - [`lookup`]: a message's state from the spool and the journal.
//! - [`cancel`]: cancels without a race with the scheduler.
//! - [`messages`], [`inbox`], [`modems`], [`stream`], [`system`]: the routes.
//! - [`plan`]: a text's encoding and parts, planned as a submit would be.
//! - [`resend`]: a failed message back into `outgoing/` under a new id.
//! - [`admin`]: the live operations (reload, suspend, ...) and the status.
//! - [`console`]: the web console at `/`, compiled into the binary.
//! - [`openapi`]: the OpenAPI document, generated.
//!
//! TLS is left to a reverse proxy in front (docs/http-api.md).

pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod cancel;
pub(crate) mod config;
pub(crate) mod console;
pub(crate) mod error;
pub(crate) mod idempotency;
pub(crate) mod inbox;
pub(crate) mod lookup;
pub(crate) mod messages;
pub(crate) mod modems;
pub(crate) mod openapi;
pub(crate) mod plan;
pub(crate) mod resend;
pub(crate) mod stream;
pub(crate) mod submit;
pub(crate) mod system;

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::control::ModemRegistry;
use crate::daemon_config::DaemonConfig;
use crate::metrics::Metrics;
use config::HttpSettings;
use error::ApiError;
pub(crate) use modems::ModemWatch;

/// What every handler reads.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) config: DaemonConfig,
    pub(crate) settings: HttpSettings,
    pub(crate) registry: ModemRegistry,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) modem_watch: ModemWatch,
    /// Held while a keyed request checks and writes its record.
    pub(crate) idempotency: Mutex<()>,
    pub(crate) shutdown: CancellationToken,
}

/// Every route.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/api/v1/messages",
            post(messages::post_message).get(messages::list_messages),
        )
        .route(
            "/api/v1/messages/{id}",
            get(messages::get_message).delete(messages::delete_message),
        )
        .route("/api/v1/messages/{id}/resend", post(resend::resend))
        .route("/api/v1/plan", post(plan::plan_text))
        .route("/api/v1/inbox", get(inbox::list_inbox))
        .route(
            "/api/v1/inbox/{id}",
            get(inbox::get_inbox).delete(inbox::delete_inbox),
        )
        .route("/api/v1/modems", get(modems::list_modems))
        .route("/api/v1/modems/{name}/ussd", post(modems::ussd))
        .route("/api/v1/modems/{name}/unblock", post(modems::unblock))
        .route("/api/v1/events", get(stream::events))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/metrics", get(system::metrics))
        .merge(admin::routes())
        .merge(console::routes())
        .fallback(|| async { ApiError::not_found("no such route") })
        .with_state(state)
}

/// The HTTP API, bound (so a taken port stops the daemon's start before it
/// opens a modem) and not yet served.
#[derive(Debug)]
pub(crate) struct HttpServer {
    listener: TcpListener,
    settings: HttpSettings,
}

impl HttpServer {
    pub(crate) async fn bind(settings: &HttpSettings) -> anyhow::Result<HttpServer> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("[http] listen: binding {}", settings.listen))?;
        Ok(HttpServer {
            listener,
            settings: settings.clone(),
        })
    }

    /// The address bound.
    pub(crate) fn local_addr(&self) -> Option<std::net::SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown`, with the metrics and the modem watch that
    /// feed it; requests in progress are finished.
    pub(crate) fn serve(
        self,
        config: DaemonConfig,
        registry: ModemRegistry,
        metrics: Arc<Metrics>,
        modem_watch: ModemWatch,
        shutdown: CancellationToken,
    ) -> JoinHandle<()> {
        tokio::spawn(count_events(
            config.events.subscribe(),
            metrics.clone(),
            shutdown.clone(),
        ));
        let address = self.listener.local_addr().map_or_else(
            |_| self.settings.listen.to_string(),
            |address| address.to_string(),
        );
        tracing::info!(target: "smsgate", "http API on http://{address}/ ({} token(s))", self.settings.tokens.len());
        let state = Arc::new(AppState {
            config,
            settings: self.settings,
            registry,
            metrics,
            modem_watch,
            idempotency: Mutex::new(()),
            shutdown: shutdown.clone(),
        });
        let app = router(state);
        tokio::spawn(async move {
            let served = axum::serve(self.listener, app)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await;
            if let Err(err) = served {
                tracing::error!(target: "smsgate", "http API: {err}");
            }
        })
    }
}

/// Counts the bus's events into the metrics until `shutdown`.
async fn count_events(
    mut events: tokio::sync::broadcast::Receiver<crate::events::DaemonEvent>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(event) => metrics.observe(&event),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(target: "smsgate", "metrics: {missed} events missed (too many at once)");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
