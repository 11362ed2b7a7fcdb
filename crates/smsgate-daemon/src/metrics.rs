//! Prometheus metrics (`GET /metrics`), by prometheus-client.
//!
//! Counters follow the event bus (daemon/events.rs): one task reads it and
//! counts, so no send or receive path knows of metrics. What is a state,
//! not an event (queue depths, modems up), is read when scraped.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::events::DaemonEvent;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ModemLabel {
    pub(crate) modem: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct FailedLabels {
    pub(crate) modem: String,
    /// A class, never the reason's text (bounded label values).
    pub(crate) reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct QueueLabel {
    pub(crate) queue: String,
}

/// A modem's limit, by its config key (`per-day`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LimitLabels {
    pub(crate) modem: String,
    pub(crate) limit: String,
}

/// What a modem's limit count counts over (`day`, `month`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PeriodLabels {
    pub(crate) modem: String,
    pub(crate) period: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabel {
    pub(crate) result: String,
}

/// Every metric, and the registry that renders them.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Mutex<Registry>,
    pub(crate) sent: Family<ModemLabel, Counter>,
    pub(crate) failed: Family<FailedLabels, Counter>,
    pub(crate) received: Family<ModemLabel, Counter>,
    pub(crate) reports: Family<ModemLabel, Counter>,
    pub(crate) parts_sent: Family<ModemLabel, Counter>,
    pub(crate) queue_depth: Family<QueueLabel, Gauge>,
    pub(crate) modem_up: Family<ModemLabel, Gauge>,
    pub(crate) modem_blocked: Family<ModemLabel, Gauge>,
    pub(crate) modem_signal_dbm: Family<ModemLabel, Gauge>,
    pub(crate) send_duration: Histogram,
    pub(crate) webhook_deliveries: Family<ResultLabel, Counter>,
    pub(crate) webhook_backlog: Gauge,
    pub(crate) http_accepted: Counter,
    /// Set when scraped, from the counts on disk (sim_limits/gauges.rs).
    pub(crate) limit_reached: Family<LimitLabels, Gauge>,
    pub(crate) limit_count: Family<PeriodLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("smsgate");
        let metrics = Metrics {
            registry: Mutex::new(Registry::default()),
            sent: Family::default(),
            failed: Family::default(),
            received: Family::default(),
            reports: Family::default(),
            parts_sent: Family::default(),
            queue_depth: Family::default(),
            modem_up: Family::default(),
            modem_blocked: Family::default(),
            modem_signal_dbm: Family::default(),
            // 50 ms to about 100 s: one part takes seconds on a real modem.
            send_duration: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                0.05, 2.0, 12,
            )),
            webhook_deliveries: Family::default(),
            webhook_backlog: Gauge::default(),
            http_accepted: Counter::default(),
            limit_reached: Family::default(),
            limit_count: Family::default(),
        };
        registry.register("messages_sent", "Messages moved to sent/", metrics.sent.clone());
        registry.register(
            "messages_failed",
            "Messages moved to failed/",
            metrics.failed.clone(),
        );
        registry.register(
            "messages_received",
            "Messages written to incoming/",
            metrics.received.clone(),
        );
        registry.register(
            "reports_received",
            "Status reports written to report/",
            metrics.reports.clone(),
        );
        registry.register(
            "parts_sent",
            "SMS parts the modems accepted",
            metrics.parts_sent.clone(),
        );
        registry.register(
            "queue_depth",
            "Files waiting, by queue",
            metrics.queue_depth.clone(),
        );
        registry.register(
            "modem_up",
            "Whether the modem answered its last status query",
            metrics.modem_up.clone(),
        );
        registry.register(
            "modem_blocked",
            "Whether the scheduler blocked the modem",
            metrics.modem_blocked.clone(),
        );
        registry.register(
            "modem_signal_dbm",
            "Signal strength (AT+CSQ)",
            metrics.modem_signal_dbm.clone(),
        );
        registry.register(
            "send_duration_seconds",
            "From a message's first part handed to a modem to its last answer",
            metrics.send_duration.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by result",
            metrics.webhook_deliveries.clone(),
        );
        registry.register(
            "webhook_backlog",
            "Webhook deliveries waiting",
            metrics.webhook_backlog.clone(),
        );
        registry.register(
            "http_messages_accepted",
            "Messages accepted over the HTTP API",
            metrics.http_accepted.clone(),
        );
        registry.register(
            "modem_limit_reached",
            "Whether the modem's SIM is at this limit and takes no new message (1) or not (0)",
            metrics.limit_reached.clone(),
        );
        registry.register(
            "modem_limit_count",
            "SMS counted against the modem's limits in the current period",
            metrics.limit_count.clone(),
        );
        if let Ok(mut slot) = metrics.registry.lock() {
            *slot = registry;
        }
        metrics
    }
}

impl Metrics {
    /// Counts `event`.
    pub(crate) fn observe(&self, event: &DaemonEvent) {
        match event {
            DaemonEvent::Sent {
                modem,
                message_references,
                duration_seconds,
                ..
            } => {
                let label = ModemLabel { modem: modem.clone() };
                self.sent.get_or_create(&label).inc();
                self.parts_sent
                    .get_or_create(&label)
                    .inc_by(message_references.len() as u64);
                if let Some(seconds) = duration_seconds {
                    self.send_duration.observe(*seconds);
                }
            }
            DaemonEvent::Failed { modem, reason, .. } => {
                let labels = FailedLabels {
                    modem: modem.clone().unwrap_or_default(),
                    reason: reason_class(reason, modem.is_some()).to_owned(),
                };
                self.failed.get_or_create(&labels).inc();
            }
            DaemonEvent::Received { modem, .. } => {
                self.received
                    .get_or_create(&ModemLabel { modem: modem.clone() })
                    .inc();
            }
            DaemonEvent::Report { modem, .. } => {
                self.reports
                    .get_or_create(&ModemLabel { modem: modem.clone() })
                    .inc();
            }
            // The modem gauges are set where its status is read.
            DaemonEvent::Modem { .. } => {}
        }
    }

    /// The text format.
    pub(crate) fn render(&self) -> String {
        let mut text = String::new();
        if let Ok(registry) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        }
        text
    }
}

/// The `reason` label: a few classes, so that a modem's error texts do not
/// make a series each.
fn reason_class(reason: &str, had_modem: bool) -> &'static str {
    if reason == crate::http::cancel::CANCELLED_REASON {
        "cancelled"
    } else if reason.starts_with("outcome unknown") {
        "unknown_outcome"
    } else if had_modem {
        "modem"
    } else {
        "refused"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_counted_in_the_text_format() {
        let metrics = Metrics::default();
        metrics.observe(&DaemonEvent::Sent {
            id: "a".into(),
            file: "f".into(),
            to: "1".into(),
            modem: "gsm1".into(),
            message_references: vec![1, 2],
            duration_seconds: Some(0.3),
        });
        metrics.observe(&DaemonEvent::Failed {
            id: None,
            file: "g".into(),
            modem: None,
            reason: "To: missing".into(),
        });
        let text = metrics.render();
        assert!(
            text.contains("smsgate_messages_sent_total{modem=\"gsm1\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("smsgate_parts_sent_total{modem=\"gsm1\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("smsgate_messages_failed_total{modem=\"\",reason=\"refused\"} 1"),
            "{text}"
        );
        assert!(text.contains("smsgate_send_duration_seconds_count 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
