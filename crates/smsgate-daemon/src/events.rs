//! The daemon's event bus: what happened to messages and modems, published
//! once where it happens (the scheduler's `sent/` and `failed/` moves, the
//! receiver's `incoming/` and `report/` files) and read by whoever listens:
//! the HTTP API's event stream and the metrics.
//!
//! It is a broadcast channel: publishing never waits, and a listener that
//! falls behind loses the oldest events (it is told how many). The files
//! in the spool stay the truth; an event only says that one changed.

use std::sync::{Arc, OnceLock};

use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::webhooks::intent::{self, Fact, Prepared};
use crate::webhooks::Webhooks;

/// How many events a slow listener may fall behind before it loses some.
const CAPACITY: usize = 4096;

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum DaemonEvent {
    /// A message is in `sent/`.
    Sent {
        /// The message's id (`X-Smsgate-Id`).
        id: String,
        /// Its file's name.
        file: String,
        to: String,
        modem: String,
        /// Each part's message reference, in order.
        message_references: Vec<u8>,
        /// From the first part handed to the modem to the last answer.
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds: Option<f64>,
    },
    /// A message is in `failed/`.
    Failed {
        /// None for a file that was refused before it got an id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        file: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        modem: Option<String>,
        reason: String,
    },
    /// A message arrived: its `incoming/` file.
    Received { file: String, modem: String },
    /// A status report arrived: its `report/` file and the reference of
    /// the part it is about.
    Report {
        file: String,
        modem: String,
        message_reference: u8,
    },
    /// A modem's state changed (`idle`, `lost`), as its status queries
    /// tell (http/modems.rs).
    Modem {
        modem: String,
        state: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
}

impl DaemonEvent {
    /// The event's kind as webhooks and the event stream name it.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            DaemonEvent::Sent { .. } => "sent",
            DaemonEvent::Failed { .. } => "failed",
            DaemonEvent::Received { .. } => "received",
            DaemonEvent::Report { .. } => "report",
            DaemonEvent::Modem { .. } => "modem",
        }
    }
}

/// The bus; clones publish to, and subscribe on, the same channel.
#[derive(Clone, Debug)]
pub(crate) struct EventBus {
    sender: broadcast::Sender<DaemonEvent>,
    /// Set once the daemon opened its webhook queues: they take every
    /// event durably, inside [`EventBus::publish`], not as a listener that
    /// could fall behind.
    webhooks: Arc<OnceLock<Arc<Webhooks>>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            sender: broadcast::channel(CAPACITY).0,
            webhooks: Arc::default(),
        }
    }
}

impl EventBus {
    /// Queues `event` for the webhooks (a durable write), then gives it to
    /// the listeners; with none it is dropped.
    pub(crate) fn publish(&self, event: DaemonEvent) {
        if let Some(webhooks) = self.webhooks.get() {
            intent::crash_point(event.kind());
            webhooks.enqueue(&event);
        }
        let _ = self.sender.send(event);
    }

    /// `event`, whose `fact` is about to be written: its webhook
    /// deliveries are queued now, pending, so that a crash after the fact
    /// loses none (webhooks/intent.rs). [`Intent::publish`] once the fact
    /// is written; dropped unpublished, the pending deliveries go.
    pub(crate) fn intend(&self, event: DaemonEvent, fact: Fact) -> Intent {
        let prepared = self.webhooks.get().map(|webhooks| webhooks.prepare(&event, fact));
        Intent {
            bus: self.clone(),
            event: Some(event),
            prepared,
        }
    }

    /// Routes every event from now on into `webhooks` as well.
    pub(crate) fn set_webhooks(&self, webhooks: Arc<Webhooks>) {
        let _ = self.webhooks.set(webhooks);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<DaemonEvent> {
        self.sender.subscribe()
    }
}

/// An event whose fact is being written ([`EventBus::intend`]).
#[derive(Debug)]
#[must_use = "an intent dropped unpublished tells nobody"]
pub(crate) struct Intent {
    bus: EventBus,
    event: Option<DaemonEvent>,
    prepared: Option<Prepared>,
}

impl Intent {
    /// The fact is written: the webhook deliveries become final and the
    /// listeners are told.
    pub(crate) fn publish(mut self) {
        let Some(event) = self.event.take() else {
            return;
        };
        if let (Some(webhooks), Some(prepared)) = (self.bus.webhooks.get(), self.prepared.take()) {
            intent::crash_point(event.kind());
            webhooks.commit(prepared);
        }
        let _ = self.bus.sender.send(event);
    }
}

impl Drop for Intent {
    fn drop(&mut self) {
        if let (Some(webhooks), Some(prepared)) = (self.bus.webhooks.get(), self.prepared.take()) {
            webhooks.abort(prepared);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_gets_what_is_published_after_it_subscribed() {
        let bus = EventBus::default();
        bus.publish(DaemonEvent::Received {
            file: "before".into(),
            modem: "gsm1".into(),
        });
        let mut listener = bus.clone().subscribe();
        let event = DaemonEvent::Received {
            file: "after".into(),
            modem: "gsm1".into(),
        };
        bus.publish(event.clone());
        assert_eq!(listener.try_recv().unwrap(), event);
        assert!(listener.try_recv().is_err());
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"event": "received", "file": "after", "modem": "gsm1"})
        );
    }
}
