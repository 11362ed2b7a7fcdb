//! Line framing: modem bytes in, in any chunking; lines and prompts out.
//!
//! Modems end lines with CR LF, but echo ends a command with a lone CR and
//! some firmware sends bare LF, so either byte ends a line and the empty
//! lines that result are dropped. The `> ` prompt after `AT+CMGS` has no
//! line end at all; it is only looked for when the caller says a prompt is
//! due, because outside a send a line may legitimately start with `>`.
//!
//! The framer is pull-based: [`Framer::push`] stores bytes and
//! [`Framer::next_frame`] takes one frame at a time, so the caller can
//! change its mind about the prompt between frames. Having too few bytes
//! for a frame is not an error: `next_frame` returns `None` and keeps them.
//!
//! Memory is bounded: a line that reaches the limit without an end is
//! reported once as [`Frame::Overlong`] and the rest of it is skipped, so
//! between calls the framer holds less than one line limit of bytes.

/// The default limit on a line, terminator excluded. The longest line a
/// modem legitimately sends in PDU mode is a hex PDU of 176 octets plus a
/// header, well under this.
pub const DEFAULT_MAX_LINE: usize = 4096;

/// The smallest limit the framer accepts; smaller values are raised to it.
pub const MIN_MAX_LINE: usize = 64;

/// How much of an overlong line is kept for the report.
const PREVIEW_BYTES: usize = 64;

/// One unit of modem output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete line, never empty.
    Line(Line),
    /// The `> ` prompt that asks for the data of `AT+CMGS` (or `AT+CMGW`).
    Prompt,
    /// A line reached the limit without ending. Its bytes up to the next
    /// line end are dropped.
    Overlong {
        /// The limit that was reached.
        limit: usize,
        /// The start of the line, decoded leniently, for the report.
        start: String,
    },
}

/// A line of modem output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The text without its line end and without whitespace or control
    /// characters at either end (echoed Ctrl-Z and ESC included).
    pub text: String,
    /// Set when the bytes were not valid UTF-8 and invalid sequences were
    /// replaced by U+FFFD.
    pub lossy: bool,
}

/// Splits modem output into [`Frame`]s.
#[derive(Clone, Debug)]
pub struct Framer {
    /// Bytes received and not yet framed, from `start`.
    buffer: Vec<u8>,
    start: usize,
    /// How many bytes from `start` are known to hold no line end, so that
    /// a line arriving byte by byte is not searched again from its start
    /// on every byte.
    searched: usize,
    /// Set after an overlong line, until its end arrives.
    skipping: bool,
    /// Set when a prompt's `>` ended a read: its space may start the next.
    space_may_follow_prompt: bool,
    max_line: usize,
}

impl Framer {
    /// A framer that cuts lines at `max_line` bytes (at least
    /// [`MIN_MAX_LINE`]).
    pub fn new(max_line: usize) -> Framer {
        Framer {
            buffer: Vec::new(),
            start: 0,
            searched: 0,
            skipping: false,
            space_may_follow_prompt: false,
            max_line: max_line.max(MIN_MAX_LINE),
        }
    }

    /// The line limit in force.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Stores bytes read from the modem.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// How many bytes are stored and not yet framed. After `next_frame` has
    /// returned `None` this is less than the line limit.
    pub fn buffered(&self) -> usize {
        self.buffer.len() - self.start
    }

    /// Forgets everything stored, as after reopening a port.
    pub fn clear(&mut self) {
        self.buffer.clear();
        self.start = 0;
        self.searched = 0;
        self.skipping = false;
        self.space_may_follow_prompt = false;
    }

    /// The next frame, or `None` if more bytes are needed. A `>` at the
    /// start of a line is taken as the prompt only if `prompt_due`.
    pub fn next_frame(&mut self, prompt_due: bool) -> Option<Frame> {
        loop {
            let rest = &self.buffer[self.start..];
            if rest.is_empty() {
                self.compact();
                return None;
            }
            let searched = self.searched.min(rest.len());
            let line_end = rest[searched..]
                .iter()
                .position(|&byte| byte == b'\r' || byte == b'\n')
                .map(|offset| searched + offset);
            if self.skipping {
                match line_end {
                    Some(end) => {
                        self.advance(end + 1);
                        self.skipping = false;
                        continue;
                    }
                    None => {
                        self.advance(rest.len());
                        self.compact();
                        return None;
                    }
                }
            }
            if self.space_may_follow_prompt {
                // The space of a `> ` prompt whose `>` came in an earlier
                // read: drop it here, so that every chunking of the input
                // gives the same frames.
                self.space_may_follow_prompt = false;
                if rest[0] == b' ' {
                    self.advance(1);
                    continue;
                }
            }
            if prompt_due && rest[0] == b'>' {
                let space = rest.get(1) == Some(&b' ');
                self.space_may_follow_prompt = rest.len() == 1;
                self.advance(1 + usize::from(space));
                return Some(Frame::Prompt);
            }
            match line_end {
                Some(end) => {
                    let raw_start = self.start;
                    self.advance(end + 1);
                    if end >= self.max_line {
                        // The same limit as for an unfinished line below, so
                        // that a line arriving whole or byte by byte is
                        // reported identically.
                        return Some(self.overlong(raw_start));
                    }
                    if let Some(line) = make_line(&self.buffer[raw_start..raw_start + end]) {
                        return Some(Frame::Line(line));
                    }
                }
                None if rest.len() >= self.max_line => {
                    let frame = self.overlong(self.start);
                    self.advance(rest.len());
                    self.skipping = true;
                    self.compact();
                    return Some(frame);
                }
                None => {
                    self.searched = rest.len();
                    self.compact();
                    return None;
                }
            }
        }
    }

    /// Consumes `count` bytes; what is left starts a new search.
    fn advance(&mut self, count: usize) {
        self.start += count;
        self.searched = 0;
    }

    fn overlong(&self, line_start: usize) -> Frame {
        let end = (line_start + PREVIEW_BYTES).min(self.buffer.len());
        Frame::Overlong {
            limit: self.max_line,
            start: String::from_utf8_lossy(&self.buffer[line_start..end]).into_owned(),
        }
    }

    /// Drops consumed bytes. Called only when returning `None`, so a large
    /// read is framed in one pass instead of being shifted once per line.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
    }
}

impl Default for Framer {
    fn default() -> Framer {
        Framer::new(DEFAULT_MAX_LINE)
    }
}

/// The line in `raw`, or `None` if nothing is left after trimming.
fn make_line(raw: &[u8]) -> Option<Line> {
    let (text, lossy) = match std::str::from_utf8(raw) {
        Ok(text) => (std::borrow::Cow::Borrowed(text), false),
        Err(_) => (String::from_utf8_lossy(raw), true),
    };
    let trimmed = text.trim_matches(|ch: char| ch.is_whitespace() || ch.is_control());
    if trimmed.is_empty() {
        return None;
    }
    Some(Line {
        text: trimmed.to_owned(),
        lossy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framer: &mut Framer, bytes: &[u8], prompt_due: bool) -> Vec<Frame> {
        framer.push(bytes);
        std::iter::from_fn(|| framer.next_frame(prompt_due)).collect()
    }

    fn line(text: &str) -> Frame {
        Frame::Line(Line {
            text: text.to_owned(),
            lossy: false,
        })
    }

    #[test]
    fn every_line_end_and_blank_lines() {
        let mut framer = Framer::default();
        let got = frames(&mut framer, b"\r\nA\r\n\r\nB\rC\nD\n\r\r\n", false);
        assert_eq!(got, [line("A"), line("B"), line("C"), line("D")]);
        assert_eq!(framer.buffered(), 0);
    }

    #[test]
    fn incomplete_line_waits() {
        let mut framer = Framer::default();
        assert_eq!(frames(&mut framer, b"\r\n+CSQ: 2", false), []);
        assert_eq!(framer.buffered(), 7);
        assert_eq!(frames(&mut framer, b"1,99\r\n", false), [line("+CSQ: 21,99")]);
    }

    #[test]
    fn prompt_only_when_due() {
        let mut framer = Framer::default();
        assert_eq!(frames(&mut framer, b"\r\n> ", true), [Frame::Prompt]);
        assert_eq!(framer.buffered(), 0);
        let mut framer = Framer::default();
        assert_eq!(frames(&mut framer, b"\r\n> ", false), []);
        assert_eq!(frames(&mut framer, b"quoted\r\n", false), [line("> quoted")]);
    }

    /// Found by `framer_output_does_not_depend_on_read_sizes`: a prompt's
    /// space arriving in the next read used to be kept at the start of an
    /// overlong line that followed.
    #[test]
    fn prompt_space_in_a_later_read() {
        let mut whole = Framer::new(MIN_MAX_LINE);
        let mut input = b"> ".to_vec();
        input.extend(std::iter::repeat_n(b'x', MIN_MAX_LINE + 5));
        let expected = frames(&mut whole, &input, true);
        let mut split = Framer::new(MIN_MAX_LINE);
        let mut got = frames(&mut split, &input[..1], true);
        got.extend(frames(&mut split, &input[1..], true));
        assert_eq!(got, expected);
        assert!(matches!(&expected[1], Frame::Overlong { start, .. } if start.starts_with('x')));
    }

    #[test]
    fn echoed_pdu_after_prompt_is_trimmed() {
        let mut framer = Framer::default();
        assert_eq!(frames(&mut framer, b"> ", true), [Frame::Prompt]);
        assert_eq!(frames(&mut framer, b"0011\x1a\r\n", false), [line("0011")]);
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let mut framer = Framer::default();
        let got = frames(&mut framer, b"caf\xe9\r\n", false);
        assert_eq!(
            got,
            [Frame::Line(Line {
                text: "caf\u{fffd}".to_owned(),
                lossy: true
            })]
        );
    }

    #[test]
    fn overlong_line_is_reported_once_and_skipped() {
        let mut framer = Framer::new(64);
        let mut input = vec![b'x'; 200];
        input.extend_from_slice(b"\r\nOK\r\n");
        let got = frames(&mut framer, &input, false);
        assert_eq!(
            got,
            [
                Frame::Overlong {
                    limit: 64,
                    start: "x".repeat(64)
                },
                line("OK")
            ]
        );
        let mut framer = Framer::new(64);
        let mut byte_by_byte = Vec::new();
        for &byte in &input {
            byte_by_byte.extend(frames(&mut framer, &[byte], false));
            assert!(framer.buffered() < 64);
        }
        assert_eq!(byte_by_byte, got);
    }

    #[test]
    fn limit_is_raised_to_the_minimum() {
        assert_eq!(Framer::new(1).max_line(), MIN_MAX_LINE);
    }
}
