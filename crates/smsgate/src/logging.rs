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

mod journal;

/// Fields of the sent, failed and received events that the journal gets
/// as fields (`MODEM=`, ...) and a text line leaves out, since its text
/// names them.
const JOURNAL_ONLY_FIELDS: [&str; 3] = ["modem", "file", "message_id"];

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
    let stderr = tracing_subscriber::fmt::layer()
        .fmt_fields(LineFields)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .try_init()
        .ok()?;
    Some(set_level)
}

/// An event's fields on a text line: the message, then `name=value` for
/// each other field but [`JOURNAL_ONLY_FIELDS`], each through [`escape`].
struct LineFields;

impl<'writer> tracing_subscriber::fmt::FormatFields<'writer> for LineFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: tracing_subscriber::fmt::format::Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut line = Line::default();
        fields.record(&mut line);
        write!(writer, "{}", line.text)
    }
}

#[derive(Default)]
struct Line {
    text: String,
}

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let value = format!("{value:?}");
        let part = match field.name() {
            "message" => escape(&value).into_owned(),
            name if JOURNAL_ONLY_FIELDS.contains(&name) => return,
            name => format!("{name}={}", escape(&value)),
        };
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(&part);
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_has_the_message_and_other_fields_escaped_but_not_the_journal_only_ones() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let layer = tracing_subscriber::fmt::layer()
            .fmt_fields(LineFields)
            .with_ansi(false)
            .without_time()
            .with_writer(move || writer.clone());
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: "smsgate",
                modem = "gsm1",
                file = "f1",
                message_id = "id1",
                watchdog_ms = 3,
                "f1: sent by gsm1\nERROR forged"
            );
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            " INFO smsgate: f1: sent by gsm1\\nERROR forged watchdog_ms=3\n"
        );
    }
}
