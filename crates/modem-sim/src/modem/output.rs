//! How a modem's output is put together: the information text of a
//! command line ([`Reply`]), result-code framing, and the actions of one
//! call with adjacent writes merged ([`Output`]).

use super::Action;
use crate::fault::FaultState;

/// The information text of a command line and the actions it caused.
#[derive(Default)]
pub(super) struct Reply {
    pub(super) text: Vec<u8>,
    pub(super) actions: Vec<Action>,
}

impl Reply {
    /// One information response: its lines joined by a single CRLF, the
    /// whole framed by CRLFs (`\r\n+CMGL: 1,0,,30\r\n<pdu>\r\n`).
    pub(super) fn lines<I, S>(&mut self, lines: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.text.extend_from_slice(b"\r\n");
        for (line_idx, line) in lines.into_iter().enumerate() {
            if line_idx > 0 {
                self.text.extend_from_slice(b"\r\n");
            }
            self.text.extend(line.as_ref().chars().map(char_byte));
        }
        self.text.extend_from_slice(b"\r\n");
    }

    pub(super) fn line(&mut self, line: impl AsRef<str>) {
        self.lines([line]);
    }
}

/// Output is written as Latin-1 where it can be, so that a byte the client
/// typed comes back as the same byte; other characters (only in `+CUSD`
/// text the network chose) become `?`.
pub(super) fn char_byte(ch: char) -> u8 {
    u8::try_from(u32::from(ch)).unwrap_or(b'?')
}

/// A result code with its CRLF framing.
pub(super) fn framed(line: &str) -> Vec<u8> {
    let mut bytes = b"\r\n".to_vec();
    bytes.extend(line.chars().map(char_byte));
    bytes.extend_from_slice(b"\r\n");
    bytes
}

/// The actions of one call, merging adjacent writes.
pub(super) struct Output {
    pub(super) actions: Vec<Action>,
    delay_ms: Option<u64>,
    pub(super) muted: bool,
}

impl Output {
    pub(super) fn new(faults: &FaultState) -> Output {
        Output {
            actions: Vec::new(),
            delay_ms: faults.delay_ms,
            muted: faults.silence,
        }
    }

    pub(super) fn write(&mut self, bytes: &[u8]) {
        if self.muted || bytes.is_empty() {
            return;
        }
        match self.actions.last_mut() {
            Some(Action::Write(pending)) => pending.extend_from_slice(bytes),
            _ => self.actions.push(Action::Write(bytes.to_vec())),
        }
    }

    pub(super) fn answer(&mut self, bytes: Vec<u8>) {
        match self.delay_ms {
            _ if self.muted => {}
            Some(delay_ms) => self.actions.push(Action::WriteAfter { delay_ms, bytes }),
            None => self.write(&bytes),
        }
    }
}
