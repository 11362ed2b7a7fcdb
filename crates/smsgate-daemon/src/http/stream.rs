//! `GET /api/v1/events`: the event bus as Server-Sent Events, each with
//! its kind as the SSE `event:` and the JSON as `data:`. A listener that
//! fell behind gets a `lagged` event saying how many it missed: the
//! spool, read over the other routes, has them.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;

use crate::http::auth::authorize;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;

/// The live events: sent, failed, received, report.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events",
    responses(
        (status = 200, description = "text/event-stream of DaemonEvent", content_type = "text/event-stream",
         body = crate::events::DaemonEvent),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = ["read"]))
)]
pub(crate) async fn events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Read)?;
    let shutdown = state.shutdown.clone();
    let mut bus = state.config.events.subscribe();
    // A task forwards until the daemon stops or the client goes: then the
    // stream ends, and a graceful shutdown is not held up by it.
    let (forward, events) = mpsc::channel::<Result<Event, Infallible>>(64);
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = forward.closed() => return,
                received = bus.recv() => match received {
                    Ok(event) => Event::default()
                        .event(event.kind())
                        .json_data(&event)
                        .unwrap_or_else(|_| Event::default().event("error")),
                    Err(broadcast::error::RecvError::Lagged(missed)) => Event::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{missed}}}")),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            if forward.send(Ok(event)).await.is_err() {
                return;
            }
        }
    });
    let stream = ReceiverStream::new(events);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
