//! The daemon's status as `smsgate ctl status` shows it and the `[status]
//! file` holds it (smsd's `status` file, Kannel's `/status`): per modem
//! its state and since when, its last error, what it sent, failed and
//! received today, and until when it is blocked; per queue its depth.
//!
//! The scheduler, the receive tasks and the supervisor write to one
//! [`StatusBoard`]; every change is given its moment (`at`), so the
//! counting and the day's reset are plain functions of their inputs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Local, NaiveDate};
use serde::{Deserialize, Serialize};

/// What a modem is doing, as the status shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ModemState {
    /// Its port is not open or not set up yet (the driver keeps trying).
    Opening,
    /// Set up, waiting for a message.
    Idle,
    /// A message is going out on it.
    Sending,
    /// Blocked after failures in a row, until `blocked_until`.
    Blocked,
    /// `smsgate ctl modem NAME suspend`: takes no new message.
    Suspended,
    /// Being removed or reopened: finishing its message in flight.
    Leaving,
}

impl ModemState {
    fn word(self) -> &'static str {
        match self {
            ModemState::Opening => "opening",
            ModemState::Idle => "idle",
            ModemState::Sending => "sending",
            ModemState::Blocked => "blocked",
            ModemState::Suspended => "suspended",
            ModemState::Leaving => "leaving",
        }
    }
}

/// One modem's line of the status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModemStatusLine {
    pub name: String,
    pub state: ModemState,
    /// When it entered `state`, RFC 3339 local time.
    pub since: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When `last_error` happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<String>,
    /// Today's counts (local day; they restart at midnight).
    pub sent_today: u64,
    pub failed_today: u64,
    pub received_today: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until: Option<String>,
}

/// One queue's depth: the files that wait in it (in flight included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueDepth {
    /// `default` for `checked/`.
    pub queue: String,
    pub waiting: usize,
}

/// The result of the `daemon-status` request, and the status file's
/// content (as text, [`DaemonStatusView::render`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DaemonStatusView {
    /// When the daemon started, RFC 3339 local time.
    pub started: String,
    /// When this view was taken.
    pub at: String,
    pub modems: Vec<ModemStatusLine>,
    pub queues: Vec<QueueDepth>,
    /// Each webhook's deliveries: how many wait, today's outcomes and
    /// the last failure. Left out when no webhook is configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookStatusLine>,
}

/// One webhook's line of the status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookStatusLine {
    pub url: String,
    /// Deliveries queued and not yet answered with a 2xx.
    pub waiting: usize,
    pub delivered_today: u64,
    /// Attempts that failed today (each retry counts).
    pub failed_today: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<String>,
}

impl DaemonStatusView {
    /// The text of `smsgate ctl status` and the status file: one line per
    /// modem and per queue, `key=value` fields, as smsd's status file is
    /// read by scripts line by line.
    pub fn render(&self) -> String {
        let mut text = format!("started={} at={}\n", self.started, self.at);
        for modem in &self.modems {
            let _ = write!(
                text,
                "modem {} state={} since={} sent-today={} failed-today={} received-today={}",
                modem.name,
                modem.state.word(),
                modem.since,
                modem.sent_today,
                modem.failed_today,
                modem.received_today
            );
            if let Some(until) = &modem.blocked_until {
                let _ = write!(text, " blocked-until={until}");
            }
            if let (Some(error), Some(at)) = (&modem.last_error, &modem.last_error_at) {
                let error = crate::logging::escape(error);
                let _ = write!(text, " last-error-at={at} last-error={error:?}");
            }
            text.push('\n');
        }
        for queue in &self.queues {
            let _ = writeln!(text, "queue {} waiting={}", queue.queue, queue.waiting);
        }
        for hook in &self.webhooks {
            let _ = write!(
                text,
                "webhook {} waiting={} delivered-today={} failed-today={}",
                crate::logging::escape(&hook.url),
                hook.waiting,
                hook.delivered_today,
                hook.failed_today
            );
            if let (Some(error), Some(at)) = (&hook.last_error, &hook.last_error_at) {
                let error = crate::logging::escape(error);
                let _ = write!(text, " last-error-at={at} last-error={error:?}");
            }
            text.push('\n');
        }
        text
    }
}

/// A count that restarts each local day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct DailyCount {
    day: Option<NaiveDate>,
    count: u64,
}

impl DailyCount {
    fn add(&mut self, at: DateTime<Local>) {
        let day = at.date_naive();
        if self.day != Some(day) {
            *self = DailyCount {
                day: Some(day),
                count: 0,
            };
        }
        self.count += 1;
    }

    fn on(&self, at: DateTime<Local>) -> u64 {
        if self.day == Some(at.date_naive()) {
            self.count
        } else {
            0
        }
    }
}

#[derive(Clone, Debug)]
struct ModemEntry {
    state: ModemState,
    since: DateTime<Local>,
    last_error: Option<(String, DateTime<Local>)>,
    sent: DailyCount,
    failed: DailyCount,
    received: DailyCount,
    blocked_until: Option<DateTime<Local>>,
}

impl ModemEntry {
    fn new(at: DateTime<Local>) -> ModemEntry {
        ModemEntry {
            state: ModemState::Opening,
            since: at,
            last_error: None,
            sent: DailyCount::default(),
            failed: DailyCount::default(),
            received: DailyCount::default(),
            blocked_until: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct WebhookEntry {
    waiting: usize,
    delivered: DailyCount,
    failed: DailyCount,
    last_error: Option<(String, DateTime<Local>)>,
}

#[derive(Debug)]
struct Board {
    started: DateTime<Local>,
    modems: BTreeMap<String, ModemEntry>,
    queues: BTreeMap<String, usize>,
    webhooks: BTreeMap<String, WebhookEntry>,
}

/// What happened to a webhook's deliveries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HookEvent {
    /// This many deliveries wait now.
    Waiting(usize),
    Delivered,
    /// An attempt failed, for this reason.
    Failed(String),
}

/// See the module docs. Cheap to clone; shared by the daemon's tasks.
#[derive(Clone, Debug)]
pub struct StatusBoard {
    board: Arc<Mutex<Board>>,
}

/// What happened to a modem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    State(ModemState),
    /// Blocked until then.
    Blocked(DateTime<Local>),
    Sent,
    /// A message failed for good on it.
    Failed(String),
    /// An error that did not (yet) fail a message.
    Error(String),
    Received,
}

impl StatusBoard {
    pub(crate) fn new(started: DateTime<Local>) -> StatusBoard {
        StatusBoard {
            board: Arc::new(Mutex::new(Board {
                started,
                modems: BTreeMap::new(),
                queues: BTreeMap::new(),
                webhooks: BTreeMap::new(),
            })),
        }
    }

    /// `event` of modem `name` at `at`; a modem not seen before is added.
    pub(crate) fn record_at(&self, name: &str, event: Event, at: DateTime<Local>) {
        let Ok(mut board) = self.board.lock() else {
            return;
        };
        let entry = board
            .modems
            .entry(name.to_owned())
            .or_insert_with(|| ModemEntry::new(at));
        let enter = |entry: &mut ModemEntry, state: ModemState| {
            if entry.state != state {
                entry.state = state;
                entry.since = at;
            }
        };
        match event {
            Event::State(state) => {
                if state != ModemState::Blocked {
                    entry.blocked_until = None;
                }
                enter(entry, state);
            }
            Event::Blocked(until) => {
                entry.blocked_until = Some(until);
                enter(entry, ModemState::Blocked);
            }
            Event::Sent => entry.sent.add(at),
            Event::Failed(error) => {
                entry.failed.add(at);
                entry.last_error = Some((error, at));
            }
            Event::Error(error) => entry.last_error = Some((error, at)),
            Event::Received => entry.received.add(at),
        }
    }

    /// [`StatusBoard::record_at`] now.
    pub(crate) fn record(&self, name: &str, event: Event) {
        self.record_at(name, event, Local::now());
    }

    /// Forgets modem `name` (removed by a reload).
    pub(crate) fn forget(&self, name: &str) {
        if let Ok(mut board) = self.board.lock() {
            board.modems.remove(name);
        }
    }

    /// `event` of the webhook posting to `url`, at `at`.
    pub(crate) fn record_hook_at(&self, url: &str, event: HookEvent, at: DateTime<Local>) {
        let Ok(mut board) = self.board.lock() else {
            return;
        };
        let entry = board.webhooks.entry(url.to_owned()).or_default();
        match event {
            HookEvent::Waiting(waiting) => entry.waiting = waiting,
            HookEvent::Delivered => entry.delivered.add(at),
            HookEvent::Failed(error) => {
                entry.failed.add(at);
                entry.last_error = Some((error, at));
            }
        }
    }

    /// [`StatusBoard::record_hook_at`] now.
    pub(crate) fn record_hook(&self, url: &str, event: HookEvent) {
        self.record_hook_at(url, event, Local::now());
    }

    /// The queues' depths now, replacing the last ones.
    pub(crate) fn set_queues(&self, queues: BTreeMap<String, usize>) {
        if let Ok(mut board) = self.board.lock() {
            board.queues = queues;
        }
    }

    /// The status as of `at`.
    pub fn view_at(&self, at: DateTime<Local>) -> DaemonStatusView {
        let Ok(board) = self.board.lock() else {
            return DaemonStatusView {
                started: String::new(),
                at: at.to_rfc3339(),
                modems: Vec::new(),
                queues: Vec::new(),
                webhooks: Vec::new(),
            };
        };
        let stamp = |time: DateTime<Local>| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        DaemonStatusView {
            started: stamp(board.started),
            at: stamp(at),
            modems: board
                .modems
                .iter()
                .map(|(name, entry)| ModemStatusLine {
                    name: name.clone(),
                    state: entry.state,
                    since: stamp(entry.since),
                    last_error: entry.last_error.as_ref().map(|(error, _)| error.clone()),
                    last_error_at: entry.last_error.as_ref().map(|(_, at)| stamp(*at)),
                    sent_today: entry.sent.on(at),
                    failed_today: entry.failed.on(at),
                    received_today: entry.received.on(at),
                    blocked_until: entry
                        .blocked_until
                        .filter(|_| entry.state == ModemState::Blocked)
                        .map(stamp),
                })
                .collect(),
            queues: board
                .queues
                .iter()
                .map(|(queue, waiting)| QueueDepth {
                    queue: queue.clone(),
                    waiting: *waiting,
                })
                .collect(),
            webhooks: board
                .webhooks
                .iter()
                .map(|(url, entry)| WebhookStatusLine {
                    url: url.clone(),
                    waiting: entry.waiting,
                    delivered_today: entry.delivered.on(at),
                    failed_today: entry.failed.on(at),
                    last_error: entry.last_error.as_ref().map(|(error, _)| error.clone()),
                    last_error_at: entry.last_error.as_ref().map(|(_, at)| stamp(*at)),
                })
                .collect(),
        }
    }

    /// The status now.
    pub fn view(&self) -> DaemonStatusView {
        self.view_at(Local::now())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Local> {
        Local
            .with_ymd_and_hms(2026, 3, day, hour, 0, 0)
            .single()
            .unwrap_or_else(|| panic!("a local time on day {day} at {hour}"))
    }

    #[test]
    fn a_webhooks_failures_and_backlog_show_in_the_view_and_its_text() {
        let board = StatusBoard::new(at(1, 8));
        let url = "https://hooks.example/sms";
        board.record_hook_at(url, HookEvent::Waiting(3), at(1, 9));
        board.record_hook_at(url, HookEvent::Failed("answered 503".into()), at(1, 9));
        board.record_hook_at(url, HookEvent::Failed("answered 500".into()), at(1, 10));
        board.record_hook_at(url, HookEvent::Delivered, at(1, 11));
        board.record_hook_at(url, HookEvent::Waiting(2), at(1, 11));
        let view = board.view_at(at(1, 12));
        assert_eq!(view.webhooks.len(), 1);
        let hook = &view.webhooks[0];
        assert_eq!((hook.waiting, hook.delivered_today, hook.failed_today), (2, 1, 2));
        assert_eq!(hook.last_error.as_deref(), Some("answered 500"));
        let text = view.render();
        assert!(
            text.contains(&format!(
                "webhook {url} waiting=2 delivered-today=1 failed-today=2 last-error-at="
            )),
            "{text}"
        );
        // The next day's counts start again; the backlog stays.
        let tomorrow = &board.view_at(at(2, 0)).webhooks[0];
        assert_eq!((tomorrow.waiting, tomorrow.failed_today), (2, 0));
    }

    #[test]
    fn without_webhooks_the_json_has_no_webhooks_key() {
        let view = StatusBoard::new(at(1, 8)).view_at(at(1, 9));
        let json = serde_json::to_value(&view).unwrap();
        assert!(json.get("webhooks").is_none(), "{json}");
    }

    #[test]
    fn counts_are_per_day_and_restart_at_midnight() {
        let board = StatusBoard::new(at(1, 8));
        board.record_at("gsm1", Event::Sent, at(1, 9));
        board.record_at("gsm1", Event::Sent, at(1, 10));
        board.record_at("gsm1", Event::Failed("CMS ERROR 38".into()), at(1, 11));
        board.record_at("gsm1", Event::Received, at(1, 12));
        let today = board.view_at(at(1, 23));
        assert_eq!(
            (
                today.modems[0].sent_today,
                today.modems[0].failed_today,
                today.modems[0].received_today
            ),
            (2, 1, 1)
        );
        // The next day nothing was counted yet, whether or not anything
        // happened since.
        let tomorrow = board.view_at(at(2, 1));
        assert_eq!(tomorrow.modems[0].sent_today, 0);
        board.record_at("gsm1", Event::Sent, at(2, 2));
        let tomorrow = board.view_at(at(2, 3));
        assert_eq!(
            (tomorrow.modems[0].sent_today, tomorrow.modems[0].failed_today),
            (1, 0)
        );
        assert_eq!(tomorrow.modems[0].last_error.as_deref(), Some("CMS ERROR 38"));
    }

    #[test]
    fn since_changes_with_the_state_only_and_blocked_until_with_the_block() {
        let board = StatusBoard::new(at(1, 8));
        board.record_at("gsm1", Event::State(ModemState::Idle), at(1, 9));
        board.record_at("gsm1", Event::State(ModemState::Idle), at(1, 10));
        let view = board.view_at(at(1, 11));
        assert_eq!(
            view.modems[0].since,
            at(1, 9).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        );
        board.record_at("gsm1", Event::Blocked(at(1, 13)), at(1, 12));
        let view = board.view_at(at(1, 12));
        assert_eq!(view.modems[0].state, ModemState::Blocked);
        assert!(view.modems[0].blocked_until.is_some());
        assert!(view.render().contains("blocked-until="), "{}", view.render());
        board.record_at("gsm1", Event::State(ModemState::Idle), at(1, 13));
        let view = board.view_at(at(1, 13));
        assert_eq!(view.modems[0].blocked_until, None);
    }

    #[test]
    fn the_text_is_one_line_per_modem_and_queue_and_escapes_errors() {
        let board = StatusBoard::new(at(1, 8));
        board.record_at("gsm1", Event::Error("line\nforged".into()), at(1, 9));
        board.set_queues(BTreeMap::from([("default".to_owned(), 3)]));
        let text = board.view_at(at(1, 9)).render();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("queue default waiting=3"), "{text}");
        assert!(!text.contains("line\nforged"), "{text}");
    }
}
