//! Text for a log line or an alarm: [`escape`] writes out what could
//! break the line or steer a terminal, so that a file name, a modem's
//! answer or a message text with a newline in it cannot forge a log line.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with what could break a line or steer a terminal written out:
/// control characters (`\n`, `\r`, `\t`, `\u{1b}`, ...) and Unicode's line
/// separators and bidirectional controls (`\u{2028}`, `\u{202e}`, ...).
/// For untrusted text in a log line or an alarm's text; other text is
/// unchanged.
pub fn escape(text: &str) -> Cow<'_, str> {
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
