//! Logging set-up for the long-running commands (`run`, `demo`): the
//! daemon's notes on stderr (or the journal, under systemd) at `default`
//! level unless `RUST_LOG` says otherwise.
//!
//! Every event is one line: its fields are written through [`escape`],
//! so a file name, a modem's answer or a message text with a newline in
//! it cannot forge a log line, nor an escape sequence reach the
//! terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::IsTerminal as _;

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

/// `text` with what could break a line or steer a terminal written out:
/// control characters (`\n`, `\r`, `\t`, `\u{1b}`, ...) and Unicode's line
/// separators and bidirectional controls (`\u{2028}`, `\u{202e}`, ...).
/// For untrusted text in a log line or an alarm's text; other text is
/// unchanged.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_terminal_controls_are_written_out() {
        assert_eq!(escape("m1"), "m1");
        assert!(matches!(escape("Grüße ☺ m1"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\nERROR forged\r\t\u{1b}[31m\u{85}\u{2028}\u{202e}z"),
            "a\\nERROR forged\\r\\t\\u{1b}[31m\\u{85}\\u{2028}\\u{202e}z"
        );
    }
}
