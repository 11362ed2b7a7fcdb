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
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    if journal::stderr_is_journal() {
        if let Some(layer) = journal::layer() {
            use tracing_subscriber::layer::SubscriberExt as _;
            use tracing_subscriber::util::SubscriberInitExt as _;
            let _ = tracing_subscriber::registry().with(filter).with(layer).try_init();
            return;
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(fields)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
