//! The control socket's protocol, typed both ways: one JSON object per
//! line each way. A [`Request`] names its operation in `op` and its modem
//! in `port` (a modem name, a port name or a device, as `smsgate send
//! PORT` takes it; `device` is the client's own resolution of PORT, if it
//! has one):
//!
//! ```text
//! {"op":"send","port":"gsm1","number":"+4917200000","text":"hi","class":0,"status_report_request":true}
//! {"op":"inbox","port":"gsm1"}        {"op":"remove","port":"gsm1","index":3}
//! {"op":"ussd","port":"gsm1","code":"*100#"}
//! {"op":"at-chat","port":"gsm1","command":"AT+CSQ","timeout_ms":2000}
//! {"op":"status","port":"gsm1"}       {"op":"modems"}
//! {"op":"reload"}                     {"op":"daemon-status"}
//! {"op":"modem-control","modem":"gsm1","action":"suspend"}
//! {"op":"log-level","level":"debug"}
//! {"op":"resend","file":"msg1"}       {"op":"resend","all_failed":true,"since":"2026-03-01"}
//! ```
//!
//! The answer ([`Answer`], on the wire [`AnswerLine`]) is
//! `{"ok":true,"modem":NAME,"result":...}`, the result being the view
//! of [`super::views`] that the command's `--json` prints (so that the
//! client's output is the same whichever way it went), or
//! `{"ok":false,"kind":...,"error":...}`. Each request's result type:
//!
//! | request  | result                         |
//! |----------|--------------------------------|
//! | `modems` | `Vec<`[`ModemView`]`>`         |
//! | `send`   | [`SendView`]                   |
//! | `inbox`  | `Vec<`[`MessageView`]`>`       |
//! | `remove` | [`MessageView`] (the removed)  |
//! | `ussd`   | [`UssdView`]                   |
//! | `at-chat`| [`AtReplyView`]                |
//! | `status` | [`StatusView`]                 |
//! | `reload` | [`ConfigDiff`] (what changed)  |
//! | `modem-control` | [`ModemControlView`]    |
//! | `log-level` | [`LogLevelView`]            |
//! | `resend` | [`ResendView`]                 |
//! | `daemon-status` | [`DaemonStatusView`]    |
//!
//! The last five are the daemon's live operations ([`crate::ops`]); a
//! reload or a modem operation answers once it is done (a modem's message
//! in flight finished first).
//!
//! [`ConfigDiff`]: crate::reload::ConfigDiff
//! [`ModemControlView`]: crate::ops::ModemControlView
//! [`LogLevelView`]: crate::ops::LogLevelView
//! [`ResendView`]: crate::resend::ResendView
//! [`DaemonStatusView`]: crate::status_board::DaemonStatusView
//!
//! [`ModemView`]: super::views::ModemView
//! [`SendView`]: super::views::SendView
//! [`MessageView`]: super::views::MessageView
//! [`UssdView`]: super::views::UssdView
//! [`AtReplyView`]: super::views::AtReplyView
//! [`StatusView`]: super::views::StatusView

use anyhow::{anyhow, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncReadExt as _};

pub use crate::config::Storage;
pub use crate::ops::ModemAction;

/// The longest request or answer line, newline excluded. A text of any
/// length fits many times over; a client that sends more is cut off, with
/// an error, rather than growing the daemon's memory.
pub const MAX_LINE: usize = 1 << 20;

/// One request line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// The modems the daemon serves.
    Modems,
    /// `smsgate send`.
    Send {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        number: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        smsc: Option<String>,
        /// TP-DCS message class 0-3; 0 is "flash".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<u8>,
        #[serde(default = "yes")]
        status_report_request: bool,
    },
    /// `smsgate inbox`: every message.
    Inbox {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        storage: Option<Storage>,
    },
    /// `smsgate inbox --remove INDEX`: the message with a part there, all
    /// its parts.
    Remove {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        /// A storage index, or the number of a daemon's received file
        /// (`inbox.rs`).
        index: u64,
    },
    /// `smsgate ussd`.
    Ussd {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        code: String,
    },
    /// `smsgate at-chat`.
    AtChat {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        command: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
        /// How long to wait for unsolicited codes after a successful
        /// final result; none: not at all.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wait_ms: Option<u64>,
    },
    /// `smsgate status`.
    Status {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
    },
    /// `smsgate ctl reload`: the config file read again and applied.
    Reload,
    /// `smsgate ctl modem NAME ACTION`.
    ModemControl { modem: String, action: ModemAction },
    /// `smsgate ctl log-level LEVEL`: a tracing filter.
    LogLevel { level: String },
    /// `smsgate ctl resend FILE|--all-failed [--since TIME]`.
    Resend {
        /// A file of `failed/`, by name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        all_failed: bool,
        /// With `all_failed`: only files that failed since then
        /// (`crate::resend::parse_since`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<String>,
    },
    /// `smsgate ctl status`: every modem's state and counts, the queues.
    DaemonStatus,
}

/// Why a request was not done, as the answer's `kind` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// The line is not a request, or a value in it is wrong.
    BadRequest,
    /// No modem of the daemon is the one named.
    UnknownModem,
    /// `remove`: no message at that index.
    NoMessage,
    /// The modem answered with an error, or did not answer.
    Modem,
    /// A live operation the daemon would not or could not do (a config
    /// with errors, a change that needs a restart, a log filter it does
    /// not take); nothing was changed.
    NotDone,
}

/// What the daemon said to a request whose result is a `T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<T> {
    /// Done: the result.
    Done(T),
    /// Not done, and why.
    Refused(Refusal, String),
}

/// An answer line as it is written: `ok`, then the modem and the result,
/// or the refusal's kind and error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerLine<T> {
    pub ok: bool,
    /// The daemon's name of the modem that did it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modem: Option<String>,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Refusal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T: Serialize> AnswerLine<T> {
    /// `{"ok":true,...}` for `result`, done by `modem`.
    pub fn done(modem: Option<&str>, result: T) -> AnswerLine<T> {
        AnswerLine {
            ok: true,
            modem: modem.map(str::to_owned),
            result: Some(result),
            kind: None,
            error: None,
        }
    }

    /// The line, without its newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|err| {
            // Views are plain data: this does not happen; if it did, the
            // client is told rather than left waiting.
            refused(Refusal::Modem, &format!("the answer could not be written: {err}"))
        })
    }
}

/// The line of a refusal, without its newline.
pub fn refused(kind: Refusal, error: &str) -> String {
    let line: AnswerLine<()> = AnswerLine {
        ok: false,
        modem: None,
        result: None,
        kind: Some(kind),
        error: Some(error.to_owned()),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

impl<T: DeserializeOwned> Answer<T> {
    /// Reads an answer line; the error says what is wrong with it.
    pub fn parse(line: &str) -> anyhow::Result<Answer<T>> {
        let answer: AnswerLine<T> = serde_json::from_str(line)
            .map_err(|err| anyhow!("an answer that does not fit the request: {err}"))?;
        match answer {
            AnswerLine {
                ok: true,
                result: Some(result),
                ..
            } => Ok(Answer::Done(result)),
            AnswerLine {
                ok: false,
                kind: Some(kind),
                error: Some(error),
                ..
            } => Ok(Answer::Refused(kind, error)),
            _ => bail!("an answer neither ok nor a known error: {line}"),
        }
    }
}

#[derive(Debug)]
pub(crate) enum LineError {
    TooLong,
    NotUtf8,
    Io(std::io::Error),
}

/// One line, without its newline; `None` at the end of input.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<String>, LineError> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
    let n_read = (&mut *reader)
        .take(limit)
        .read_until(b'\n', &mut bytes)
        .await
        .map_err(LineError::Io)?;
    if n_read == 0 {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    } else if bytes.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    String::from_utf8(bytes).map(Some).map_err(|_| LineError::NotUtf8)
}

fn yes() -> bool {
    true
}

impl Request {
    /// Sets `device`: the client's resolution of `port`.
    pub fn set_device(&mut self, resolved: String) {
        match self {
            Request::Modems
            | Request::Reload
            | Request::ModemControl { .. }
            | Request::LogLevel { .. }
            | Request::Resend { .. }
            | Request::DaemonStatus => {}
            Request::Send { device, .. }
            | Request::Inbox { device, .. }
            | Request::Remove { device, .. }
            | Request::Ussd { device, .. }
            | Request::AtChat { device, .. }
            | Request::Status { device, .. } => *device = Some(resolved),
        }
    }

    /// Parses one request line; the error names what is wrong with it.
    pub fn parse(line: &str) -> Result<Request, String> {
        serde_json::from_str(line).map_err(|err| format!("not a request: {err}"))
    }

    /// The modem asked for: `port` and `device`, if the request names one.
    pub(crate) fn target(&self) -> Option<(&str, Option<&str>)> {
        match self {
            Request::Modems
            | Request::Reload
            | Request::ModemControl { .. }
            | Request::LogLevel { .. }
            | Request::Resend { .. }
            | Request::DaemonStatus => None,
            Request::Send { port, device, .. }
            | Request::Inbox { port, device, .. }
            | Request::Remove { port, device, .. }
            | Request::Ussd { port, device, .. }
            | Request::AtChat { port, device, .. }
            | Request::Status { port, device } => Some((port, device.as_deref())),
        }
    }
}
