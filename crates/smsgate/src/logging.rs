//! Logging set-up for the long-running commands (`run`, `demo`): the
//! daemon's notes on stderr (or the journal, under systemd) at `default`
//! level unless `RUST_LOG` says otherwise.
//!
//! Every event is one line: its fields are written through [`escape`],
//! so a file name, a modem's answer or a message text with a newline in
//! it cannot forge a log line, nor an escape sequence reach the
//! terminal.

use std::io::IsTerminal as _;

use smsgate_daemon::logging::escape;
use tracing_subscriber::field::MakeExt as _;

mod journal;

/// Installs the subscriber; a second call does nothing. Under systemd
/// (stderr is the journal's stream) events go to the journal with their
/// priority and fields (logging/journal.rs).
pub(crate) fn init(default: &str) {
    let _ = init_reloadable(default);
}

/// [`init`], giving back how to change the filter while running (`smsgate
/// ctl log-level`); none if a subscriber was installed already.
pub(crate) fn init_reloadable(default: &str) -> Option<smsgate_daemon::ops::LogLevelSetter> {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // The filter behind a reload handle, whichever way events go.
    let (filter, handle) = tracing_subscriber::reload::Layer::new(filter);
    let set_level: smsgate_daemon::ops::LogLevelSetter = std::sync::Arc::new(move |level: &str| {
        let filter = tracing_subscriber::EnvFilter::try_new(level).map_err(|err| err.to_string())?;
        handle.reload(filter).map_err(|err| err.to_string())
    });
    if journal::stderr_is_journal() {
        if let Some(layer) = journal::layer() {
            tracing_subscriber::registry()
                .with(filter)
                .with(layer)
                .try_init()
                .ok()?;
            return Some(set_level);
        }
    }
    let fields = tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let text = format!("{value:?}");
        match field.name() {
            "message" => write!(writer, "{}", escape(&text)),
            name => write!(writer, "{name}={}", escape(&text)),
        }
    })
    .delimited(" ");
    let stderr = tracing_subscriber::fmt::layer()
        .fmt_fields(fields)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .try_init()
        .ok()?;
    Some(set_level)
}
