//! Why an operation on a modem failed, by cause: the port (cannot open,
//! held by someone else, went away), the modem (silent, said no, answered
//! nonsense, lacks a feature), the SIM (PIN, PUK), the caller (a message
//! that cannot be encoded), or the driver having stopped.
//!
//! Every message names the port. A send that may or may not have reached
//! the network says so, and is never retried behind the caller's back.

use std::fmt;
use std::io;
use std::time::Duration;

use at::parse::{MessageReference, ParseError, PinStatus};
use at::{CommandError, FinalResult};

use crate::lock::Holder;

/// Why an operation on a modem failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModemError {
    /// The port could not be opened.
    #[error("cannot open {port}: {error}")]
    Open {
        /// The port.
        port: String,
        /// The cause; part of the message, so not a `source` too (it
        /// would be printed twice in a chain).
        error: io::Error,
    },
    /// Another process (or another handle in this one) has the port.
    #[error("{port} is in use {}", describe_holders(.holders, .lock_file))]
    InUse {
        /// The port.
        port: String,
        /// Who holds it: the PID in the lock file, or else the processes
        /// that have the device open; empty if that could not be found out.
        holders: Vec<Holder>,
        /// The lock file that names the holder, if one does.
        lock_file: Option<String>,
    },
    /// The lock file could not be written or read.
    #[error("lock file {path}: {error}")]
    LockFile {
        /// The lock file.
        path: String,
        /// The cause.
        error: io::Error,
    },
    /// The modem did not answer the first `AT`.
    #[error("no answer to AT within {} s on {port}", seconds(*.after))]
    NoAnswer {
        /// The port.
        port: String,
        /// How long it waited.
        after: Duration,
    },
    /// No handshake probe (ESC then `AT`, `AT` alone) got a clean `OK`
    /// within the handshake's budget.
    #[error(
        "{port}: no usable answer to the handshake ({}): is a modem on this port, at this speed?",
        .attempts.join("; ")
    )]
    Handshake {
        /// The port.
        port: String,
        /// Each probe and what it got: `ESC AT: no answer`, `AT: ERROR`.
        attempts: Vec<String>,
    },
    /// A command failed: the modem said no (`+CMS ERROR: 38`), did not
    /// answer in time, or lacks the feature.
    #[error("{port}: {error}")]
    Command {
        /// The port.
        port: String,
        /// What happened.
        error: CommandError,
    },
    /// The modem's answer could not be read.
    #[error("{port}: unreadable answer to {command}: {error}")]
    Parse {
        /// The port.
        port: String,
        /// The command.
        command: String,
        /// What is wrong with the answer (boxed: it is large, and rare).
        error: Box<ParseError>,
    },
    /// The SIM needs its PIN and none is configured.
    #[error("{port}: the SIM asks for its PIN (+CPIN: SIM PIN) and no sim-pin is configured")]
    PinRequired {
        /// The port.
        port: String,
    },
    /// The SIM rejected the configured PIN. It is never entered again, so
    /// that the SIM is not blocked.
    #[error(
        "{port}: the SIM rejected the configured sim-pin ({result}); it was entered once and will \
         not be retried, so that the SIM does not block: check sim-pin"
    )]
    WrongPin {
        /// The port.
        port: String,
        /// The modem's answer to `AT+CPIN=...`.
        result: String,
    },
    /// The SIM is blocked and asks for its PUK; no PIN is ever entered
    /// then.
    #[error(
        "{port}: the SIM is blocked and asks for its PUK (+CPIN: {status}); smsgate enters no PIN \
         now: unblock it with AT+CPIN=\"<PUK>\",\"<new PIN>\" (smsgate at-chat)"
    )]
    PukRequired {
        /// The port.
        port: String,
        /// What the SIM asks for.
        status: PinStatus,
    },
    /// The SIM is not usable for another reason: missing, or locked to
    /// another network or phone.
    #[error("{port}: the SIM is not ready: {reason}")]
    SimNotReady {
        /// The port.
        port: String,
        /// Why.
        reason: String,
    },
    /// The port went away (unplugged, read error, end of file) while a
    /// command was in flight or the port was idle.
    #[error("{port} went away{}: {cause}", during(.command))]
    PortLost {
        /// The port.
        port: String,
        /// The command in flight, if any.
        command: Option<String>,
        /// What the operating system said.
        cause: String,
    },
    /// The port is down and being reopened; nothing was sent.
    #[error("{port} is not connected (reopening; last error: {cause})")]
    Disconnected {
        /// The port.
        port: String,
        /// Why it is down.
        cause: String,
    },
    /// A send stopped after a part's PDU was written, before the modem's
    /// answer: the network may or may not have the message. Not retried.
    #[error(
        "{port}: {reason} after the PDU of part {part} of {n_parts} was written: its outcome is \
         unknown (it may have been sent){}; not retried",
        sent_before(.sent)
    )]
    SendOutcomeUnknown {
        /// The port.
        port: String,
        /// The part (from 1).
        part: usize,
        /// How many parts the message has.
        n_parts: usize,
        /// The references of the parts sent before it.
        sent: Vec<MessageReference>,
        /// What happened.
        reason: String,
    },
    /// A part of a message was not sent. Parts before it were.
    #[error("{error}{}", part_note(*.part, *.n_parts, .sent))]
    SendFailed {
        /// The part (from 1).
        part: usize,
        /// How many parts the message has.
        n_parts: usize,
        /// The references of the parts sent before it.
        sent: Vec<MessageReference>,
        /// Why it was not sent.
        error: Box<ModemError>,
    },
    /// The text or a number cannot be encoded.
    #[error("cannot encode the message: {0}")]
    Encode(#[from] sms_pdu::EncodeError),
    /// A command line the caller built cannot be sent.
    #[error(transparent)]
    InvalidCommand(#[from] at::InvalidCommand),
    /// The network did not answer a USSD request in time.
    #[error("{port}: no USSD answer to {code} within {} s", seconds(*.after))]
    UssdTimeout {
        /// The port.
        port: String,
        /// The code sent.
        code: String,
        /// How long it waited.
        after: Duration,
    },
    /// The network refused a USSD request (`+CUSD: 4`, operation not
    /// supported, or `+CUSD: 5`, network time out).
    #[error("{port}: USSD {code}: the network answered +CUSD: {status}")]
    UssdRefused {
        /// The port.
        port: String,
        /// The code sent.
        code: String,
        /// `<m>` with its meaning.
        status: at::parse::UssdStatus,
    },
    /// The driver task has stopped.
    #[error("the driver of {port} has stopped")]
    Stopped {
        /// The port.
        port: String,
    },
}

impl ModemError {
    /// The final result of the command that failed, if the modem gave one
    /// (`+CMS ERROR: 38`), looking through [`ModemError::SendFailed`].
    pub fn final_result(&self) -> Option<&FinalResult> {
        match self {
            ModemError::Command {
                error:
                    CommandError::Rejected { result, .. }
                    | CommandError::Unsupported { result, .. }
                    | CommandError::NoPrompt { result, .. },
                ..
            } => Some(result),
            ModemError::SendFailed { error, .. } => error.final_result(),
            _ => None,
        }
    }
}

fn describe_holders(holders: &[Holder], lock_file: &Option<String>) -> String {
    let listed: Vec<String> = holders.iter().map(ToString::to_string).collect();
    match (lock_file, &listed[..]) {
        (_, []) => "by another process".to_owned(),
        (Some(lock_file), _) => format!("by {} (lock file {lock_file})", listed.join(", ")),
        (None, _) => format!("by another process (open in {})", listed.join(", ")),
    }
}

fn during(command: &Option<String>) -> String {
    match command {
        Some(command) => format!(" during {command}"),
        None => String::new(),
    }
}

fn sent_before(sent: &[MessageReference]) -> String {
    if sent.is_empty() {
        return String::new();
    }
    format!("; parts sent before it got {}", references(sent))
}

fn part_note(part: usize, n_parts: usize, sent: &[MessageReference]) -> String {
    if n_parts <= 1 {
        return String::new();
    }
    let mut note = format!(" (part {part} of {n_parts} was not sent");
    if !sent.is_empty() {
        note.push_str(&format!("; parts sent before it got {}", references(sent)));
    }
    note.push(')');
    note
}

fn references(sent: &[MessageReference]) -> String {
    let list: Vec<String> = sent.iter().map(ToString::to_string).collect();
    format!(
        "message reference{} {}",
        if sent.len() == 1 { "" } else { "s" },
        list.join(", ")
    )
}

/// Seconds as RouterOS's messages say them: `2`, `0.2`.
fn seconds(duration: Duration) -> impl fmt::Display {
    duration.as_secs_f32()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_port_and_the_facts() {
        let no_answer = ModemError::NoAnswer {
            port: "/dev/ttyUSB2".to_owned(),
            after: Duration::from_secs(2),
        };
        assert_eq!(
            no_answer.to_string(),
            "no answer to AT within 2 s on /dev/ttyUSB2"
        );
        let handshake = ModemError::Handshake {
            port: "/dev/ttyUSB2".to_owned(),
            attempts: vec!["ESC AT: no answer".to_owned(), "AT: ERROR".to_owned()],
        };
        assert_eq!(
            handshake.to_string(),
            "/dev/ttyUSB2: no usable answer to the handshake (ESC AT: no answer; AT: ERROR): is a \
             modem on this port, at this speed?"
        );
        let unknown = ModemError::SendOutcomeUnknown {
            port: "usb3".to_owned(),
            part: 2,
            n_parts: 2,
            sent: vec![MessageReference(7)],
            reason: "usb3 went away".to_owned(),
        };
        assert_eq!(
            unknown.to_string(),
            "usb3: usb3 went away after the PDU of part 2 of 2 was written: its outcome is unknown \
             (it may have been sent); parts sent before it got message reference 7; not retried"
        );
        let result = FinalResult::parse("+CMS ERROR: 38").unwrap();
        let failed = ModemError::SendFailed {
            part: 2,
            n_parts: 3,
            sent: vec![MessageReference(4)],
            error: Box::new(ModemError::Command {
                port: "usb3".to_owned(),
                error: CommandError::Rejected {
                    command: "AT+CMGS=23".to_owned(),
                    result: result.clone(),
                },
            }),
        };
        assert_eq!(
            failed.to_string(),
            "usb3: AT+CMGS=23: +CMS ERROR: 38 (network out of order) (part 2 of 3 was not sent; \
             parts sent before it got message reference 4)"
        );
        assert_eq!(failed.final_result(), Some(&result));
        let in_use = ModemError::InUse {
            port: "/dev/ttyUSB2".to_owned(),
            holders: Vec::new(),
            lock_file: None,
        };
        assert_eq!(in_use.to_string(), "/dev/ttyUSB2 is in use by another process");
        let in_use = ModemError::InUse {
            port: "/dev/ttyUSB2".to_owned(),
            holders: vec![Holder {
                pid: 42,
                command_line: Some("smsd -c /etc/smsd.conf".to_owned()),
            }],
            lock_file: Some("/var/lock/LCK..ttyUSB2".to_owned()),
        };
        assert_eq!(
            in_use.to_string(),
            "/dev/ttyUSB2 is in use by PID 42 (smsd -c /etc/smsd.conf) (lock file /var/lock/LCK..ttyUSB2)"
        );
    }
}
