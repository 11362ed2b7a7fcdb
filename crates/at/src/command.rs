//! Commands as the engine queues them: the text, what answer lines belong
//! to it, the data typed after a `> ` prompt, and per-command timeouts.

use std::fmt;
use std::time::Duration;

use sms_pdu::encode_hex;

use crate::error::InvalidCommand;

/// Identifies a submitted command in the events about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommandId(pub(crate) u64);

impl CommandId {
    /// The number, counting from 1 in submission order.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Which information lines belong to a command. Lines it does not claim
/// are unsolicited codes or noise.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    /// No information lines: `ATE0`, `AT+CMGF=0`, `AT+CUSD=1,...` (whose
    /// answer comes later as a `+CUSD` code).
    Nothing,
    /// Lines starting with this prefix, e.g. `+CSQ:` for `AT+CSQ`.
    Prefix(String),
    /// Lines starting with this prefix, each followed by a PDU line:
    /// `+CMGL:` and `+CMGR:`.
    PrefixThenPdu(String),
    /// Every line that is not a known unsolicited code: bare values such
    /// as `AT+CGSN`'s IMEI, `ATI`'s text, chained commands.
    Any,
}

impl Expect {
    /// What the answer to `text` looks like, from the command's name:
    ///
    /// - basic commands (`ATE0`, `ATI`, `ATZ`) and chained ones (`;`):
    ///   [`Expect::Any`];
    /// - identity commands answered with a bare line (`+CGSN`, `+CIMI`,
    ///   `+CGMI`, `+CGMM`, `+CGMR`, `+GSN`, `+GMI`, `+GMM`, `+GMR`, `+CCID`,
    ///   `+ICCID`, `^ICCID`): [`Expect::Any`];
    /// - `+CMGL`, `+CMGR`: [`Expect::PrefixThenPdu`];
    /// - `+CUSD=` and the setting of a registration report (`+CREG=`,
    ///   `+CGREG=`, `+CEREG=`), whose lines are unsolicited codes:
    ///   [`Expect::Nothing`];
    /// - any other extended command `+NAME`, `^NAME`, ...: lines starting
    ///   `+NAME:` ([`Expect::Prefix`]).
    pub fn for_command(text: &str) -> Expect {
        let body = text.get(2..).unwrap_or("");
        if body.contains(';') {
            return Expect::Any;
        }
        let Some(first) = body.chars().next() else {
            return Expect::Any;
        };
        if !matches!(first, '+' | '^' | '$' | '%' | '*' | '#') {
            return Expect::Any;
        }
        let name_end = body.find(['=', '?']).unwrap_or(body.len());
        let name = body[..name_end].to_ascii_uppercase();
        let is_set = body[name_end..].starts_with('=') && !body[name_end..].starts_with("=?");
        const BARE: &[&str] = &[
            "+CGSN", "+CIMI", "+CGMI", "+CGMM", "+CGMR", "+GSN", "+GMI", "+GMM", "+GMR", "+CCID", "+ICCID",
            "^ICCID",
        ];
        if BARE.contains(&name.as_str()) {
            return Expect::Any;
        }
        match name.as_str() {
            "+CMGL" | "+CMGR" => Expect::PrefixThenPdu(format!("{name}:")),
            "+CUSD" | "+CREG" | "+CGREG" | "+CEREG" if is_set => Expect::Nothing,
            _ => Expect::Prefix(format!("{name}:")),
        }
    }
}

/// A command to send: `AT...` and, for `AT+CMGS`, the data typed after the
/// prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    text: String,
    data: Option<String>,
    expect: Expect,
    timeout: Option<Duration>,
    prompt_timeout: Option<Duration>,
    data_timeout: Option<Duration>,
}

impl Command {
    /// A command line such as `AT+CSQ`, without the trailing CR. Its
    /// expected lines come from [`Expect::for_command`].
    ///
    /// It must start with `AT` and may not contain control characters (a
    /// CR would end it early, Ctrl-Z or ESC would mean something else).
    /// `AT+CMGS` and `AT+CMGW` need their data: build them with
    /// [`Command::with_data`] or [`Command::send_pdu`], or the engine will
    /// not look for the prompt and the command will time out.
    pub fn new(text: impl Into<String>) -> Result<Command, InvalidCommand> {
        let text = text.into();
        check_text(&text)?;
        Ok(Command {
            expect: Expect::for_command(&text),
            text,
            data: None,
            timeout: None,
            prompt_timeout: None,
            data_timeout: None,
        })
    }

    /// A command that waits for the `> ` prompt and then sends `data`
    /// followed by Ctrl-Z (`AT+CMGS=<length>`, `AT+CMGW=<length>`).
    pub fn with_data(text: impl Into<String>, data: impl Into<String>) -> Result<Command, InvalidCommand> {
        let mut command = Command::new(text)?;
        let data = data.into();
        if data.is_empty() || data.chars().any(|ch| ch.is_control()) {
            return Err(InvalidCommand {
                text: command.text,
                reason: "the data after the prompt is empty or has control characters",
            });
        }
        command.data = Some(data);
        Ok(command)
    }

    /// `AT+CMGS=<length>` for a PDU (SMSC address first, as
    /// [`sms_pdu::Submit`] encodes it), sending it as hex after the prompt.
    /// `<length>` is the TPDU length: the octets after the SMSC address.
    pub fn send_pdu(pdu: &[u8]) -> Result<Command, InvalidCommand> {
        let invalid = |reason| InvalidCommand {
            text: format!("AT+CMGS for PDU {}", encode_hex(pdu)),
            reason,
        };
        let &sca_length = pdu.first().ok_or_else(|| invalid("the PDU is empty"))?;
        let tpdu_length = pdu
            .len()
            .checked_sub(1 + usize::from(sca_length))
            .filter(|&length| length > 0)
            .ok_or_else(|| invalid("the PDU is shorter than its SMSC address"))?;
        Command::with_data(format!("AT+CMGS={tpdu_length}"), encode_hex(pdu))
    }

    /// Replaces the expected lines.
    pub fn expect(mut self, expect: Expect) -> Command {
        self.expect = expect;
        self
    }

    /// Sets how long to wait for the final result (for a command with data:
    /// no effect, see [`Command::prompt_timeout`] and
    /// [`Command::data_timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Command {
        self.timeout = Some(timeout);
        self
    }

    /// Sets how long to wait for the `> ` prompt.
    pub fn prompt_timeout(mut self, timeout: Duration) -> Command {
        self.prompt_timeout = Some(timeout);
        self
    }

    /// Sets how long to wait for the final result after the data.
    pub fn data_timeout(mut self, timeout: Duration) -> Command {
        self.data_timeout = Some(timeout);
        self
    }

    /// The command line, without CR.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The data sent after the prompt, without Ctrl-Z.
    pub fn data(&self) -> Option<&str> {
        self.data.as_deref()
    }

    /// The lines that belong to it.
    pub fn expected(&self) -> &Expect {
        &self.expect
    }

    pub(crate) fn timeout_override(&self) -> Option<Duration> {
        self.timeout
    }

    pub(crate) fn prompt_timeout_override(&self) -> Option<Duration> {
        self.prompt_timeout
    }

    pub(crate) fn data_timeout_override(&self) -> Option<Duration> {
        self.data_timeout
    }
}

fn check_text(text: &str) -> Result<(), InvalidCommand> {
    let reason = if !text.get(..2).is_some_and(|head| head.eq_ignore_ascii_case("AT")) {
        Some("a command starts with AT")
    } else if text.chars().any(|ch| ch.is_control()) {
        Some("a command may not contain control characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(InvalidCommand {
            text: text.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(text: &str) -> Expect {
        Expect::Prefix(text.to_owned())
    }

    #[test]
    fn expectations_from_names() {
        let cases = [
            ("AT", Expect::Any),
            ("ATE0", Expect::Any),
            ("ATI", Expect::Any),
            ("AT+CMEE=1;+CREG=2", Expect::Any),
            ("AT+CSQ", prefix("+CSQ:")),
            ("at+csq", prefix("+CSQ:")),
            ("AT+CREG?", prefix("+CREG:")),
            ("AT+CREG=?", prefix("+CREG:")),
            ("AT+CREG=2", Expect::Nothing),
            ("AT+CPMS=\"SM\",\"SM\"", prefix("+CPMS:")),
            ("AT+CMGS=29", prefix("+CMGS:")),
            ("AT+CMGL=4", Expect::PrefixThenPdu("+CMGL:".to_owned())),
            ("AT+CMGR=1", Expect::PrefixThenPdu("+CMGR:".to_owned())),
            ("AT+CUSD=1,\"*100#\",15", Expect::Nothing),
            ("AT+CUSD?", prefix("+CUSD:")),
            ("AT+CGSN", Expect::Any),
            ("AT+CIMI", Expect::Any),
            ("AT^ICCID?", Expect::Any),
            ("AT^SYSINFO", prefix("^SYSINFO:")),
        ];
        for (text, expect) in cases {
            assert_eq!(Expect::for_command(text), expect, "{text}");
        }
    }

    #[test]
    fn invalid_commands() {
        assert_eq!(
            Command::new("CSQ").unwrap_err().to_string(),
            r#"command "CSQ": a command starts with AT"#
        );
        assert!(Command::new("AT+CSQ\r").is_err());
        assert!(Command::new("").is_err());
        assert!(Command::with_data("AT+CMGS=1", "00\u{1a}").is_err());
        assert!(Command::send_pdu(&[]).is_err());
        assert!(Command::send_pdu(&[0x07, 0x91]).is_err());
    }

    #[test]
    fn send_pdu_counts_the_tpdu() {
        // smsd's SUBMIT with SCA 00 (notes, section 5.1): AT+CMGS=29.
        let pdu =
            sms_pdu::decode_hex("0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301").unwrap();
        let command = Command::send_pdu(&pdu).unwrap();
        assert_eq!(command.text(), "AT+CMGS=29");
        assert_eq!(
            command.data(),
            Some("0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301")
        );
        // gammu's, with the full SMSC address (section 5.2): also 29.
        let pdu =
            sms_pdu::decode_hex("07915155550500F011000D91947112325476F80000FF10C8329BFD0699E5EF36E81C6EB7EB")
                .unwrap();
        assert_eq!(Command::send_pdu(&pdu).unwrap().text(), "AT+CMGS=29");
    }
}
