//! Final result codes: the line that ends a command's response (ITU-T
//! V.250 clause 5.7, 3GPP TS 27.007 clause 9.2, TS 27.005 clause 3.2.5).
//!
//! Only verbose result codes (`ATV1`, every modem's default) are
//! recognised: with `ATV0` a result is a bare digit, which cannot be told
//! apart from a bare information line such as an index.

use std::fmt;

use crate::codes;

/// The result code that ends a command's response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FinalResult {
    /// `OK`.
    Ok,
    /// `CONNECT`, with the text after it (e.g. a speed), if any.
    Connect(Option<String>),
    /// `ERROR`, with no reason given.
    Error,
    /// `+CME ERROR: <err>`: a mobile equipment or network error.
    CmeError(ErrorCode),
    /// `+CMS ERROR: <err>`: a message service error.
    CmsError(ErrorCode),
    /// `NO CARRIER`.
    NoCarrier,
    /// `BUSY`.
    Busy,
    /// `NO ANSWER`.
    NoAnswer,
    /// `NO DIALTONE` (also spelt `NO DIAL TONE`).
    NoDialtone,
}

impl FinalResult {
    /// The final result `line` states, if it is one. Keywords are compared
    /// without regard to case.
    pub fn parse(line: &str) -> Option<FinalResult> {
        let line = line.trim();
        let keyword = |word: &str| line.eq_ignore_ascii_case(word);
        if keyword("OK") {
            return Some(FinalResult::Ok);
        }
        if keyword("ERROR") {
            return Some(FinalResult::Error);
        }
        if keyword("NO CARRIER") {
            return Some(FinalResult::NoCarrier);
        }
        if keyword("BUSY") {
            return Some(FinalResult::Busy);
        }
        if keyword("NO ANSWER") {
            return Some(FinalResult::NoAnswer);
        }
        if keyword("NO DIALTONE") || keyword("NO DIAL TONE") {
            return Some(FinalResult::NoDialtone);
        }
        if let Some(rest) = strip_prefix_ignore_case(line, "+CME ERROR:") {
            return Some(FinalResult::CmeError(ErrorCode::parse(rest, ErrorFamily::Cme)));
        }
        if let Some(rest) = strip_prefix_ignore_case(line, "+CMS ERROR:") {
            return Some(FinalResult::CmsError(ErrorCode::parse(rest, ErrorFamily::Cms)));
        }
        if keyword("CONNECT") {
            return Some(FinalResult::Connect(None));
        }
        if let Some(rest) = strip_prefix_ignore_case(line, "CONNECT ") {
            return Some(FinalResult::Connect(Some(rest.trim().to_owned())));
        }
        None
    }

    /// Whether the command succeeded (`OK` or `CONNECT`).
    pub fn is_success(&self) -> bool {
        matches!(self, FinalResult::Ok | FinalResult::Connect(_))
    }

    /// Whether the modem says it does not support the operation
    /// (`+CME ERROR: 4`, `+CMS ERROR: 303`). A bare `ERROR` may mean the
    /// same, but may as well mean a bad parameter, so it does not count.
    pub fn is_unsupported(&self) -> bool {
        match self {
            FinalResult::CmeError(error) => error.code() == Some(4),
            FinalResult::CmsError(error) => error.code() == Some(303),
            _ => false,
        }
    }
}

impl fmt::Display for FinalResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FinalResult::Ok => f.write_str("OK"),
            FinalResult::Connect(None) => f.write_str("CONNECT"),
            FinalResult::Connect(Some(text)) => write!(f, "CONNECT {text}"),
            FinalResult::Error => f.write_str("ERROR"),
            FinalResult::CmeError(error) => write!(f, "+CME ERROR: {error}"),
            FinalResult::CmsError(error) => write!(f, "+CMS ERROR: {error}"),
            FinalResult::NoCarrier => f.write_str("NO CARRIER"),
            FinalResult::Busy => f.write_str("BUSY"),
            FinalResult::NoAnswer => f.write_str("NO ANSWER"),
            FinalResult::NoDialtone => f.write_str("NO DIALTONE"),
        }
    }
}

/// Which table an [`ErrorCode`] belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorFamily {
    /// `+CME ERROR`, 3GPP TS 27.007.
    Cme,
    /// `+CMS ERROR`, 3GPP TS 27.005.
    Cms,
}

/// The `<err>` of a `+CME ERROR` or `+CMS ERROR`, as the modem gave it:
/// numeric (`AT+CMEE=1`) or verbose (`AT+CMEE=2`). Codes missing from the
/// tables, vendor codes among them, are kept as they are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCode {
    family: ErrorFamily,
    code: Option<u16>,
    text: Option<String>,
}

impl ErrorCode {
    /// A numeric error code.
    pub fn new(family: ErrorFamily, code: u16) -> ErrorCode {
        ErrorCode {
            family,
            code: Some(code),
            text: None,
        }
    }

    /// Reads `<err>`: a number, or a text that is looked up in the table to
    /// find its number.
    pub fn parse(err: &str, family: ErrorFamily) -> ErrorCode {
        let err = err.trim();
        if let Ok(code) = err.parse::<u16>() {
            return ErrorCode::new(family, code);
        }
        let text = err.trim_matches('"');
        let code = match family {
            ErrorFamily::Cme => codes::cme_code(text),
            ErrorFamily::Cms => codes::cms_code(text),
        };
        ErrorCode {
            family,
            code,
            text: Some(text.to_owned()),
        }
    }

    /// The table this code belongs to.
    pub fn family(&self) -> ErrorFamily {
        self.family
    }

    /// The numeric code: given by the modem, or found from its verbose
    /// text.
    pub fn code(&self) -> Option<u16> {
        self.code
    }

    /// The verbose text the modem gave, if it gave one.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The specification's meaning of the code, if the code is standard.
    pub fn meaning(&self) -> Option<&'static str> {
        let code = self.code?;
        match self.family {
            ErrorFamily::Cme => codes::cme_meaning(code),
            ErrorFamily::Cms => codes::cms_meaning(code),
        }
    }
}

impl fmt::Display for ErrorCode {
    /// `38 (network out of order)`, `999`, or the verbose text as given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, &self.text, self.meaning()) {
            (Some(code), None, Some(meaning)) => write!(f, "{code} ({meaning})"),
            (Some(code), None, None) => write!(f, "{code}"),
            (Some(code), Some(text), _) => write!(f, "{text} ({code})"),
            (None, Some(text), _) => f.write_str(text),
            (None, None, _) => f.write_str("?"),
        }
    }
}

fn strip_prefix_ignore_case<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &line[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_final_result() {
        let cases: &[(&str, &str)] = &[
            ("OK", "OK"),
            ("ok", "OK"),
            ("ERROR", "ERROR"),
            ("NO CARRIER", "NO CARRIER"),
            ("BUSY", "BUSY"),
            ("NO ANSWER", "NO ANSWER"),
            ("NO DIALTONE", "NO DIALTONE"),
            ("NO DIAL TONE", "NO DIALTONE"),
            ("CONNECT", "CONNECT"),
            ("CONNECT 9600", "CONNECT 9600"),
            ("+CMS ERROR: 38", "+CMS ERROR: 38 (network out of order)"),
            ("+CMS ERROR:38", "+CMS ERROR: 38 (network out of order)"),
            ("+CMS ERROR: 321", "+CMS ERROR: 321 (invalid memory index)"),
            ("+CMS ERROR: 999", "+CMS ERROR: 999"),
            (
                "+CMS ERROR: network out of order",
                "+CMS ERROR: network out of order (38)",
            ),
            ("+CME ERROR: 10", "+CME ERROR: 10 (SIM not inserted)"),
            (
                "+CME ERROR: SIM PIN required",
                "+CME ERROR: SIM PIN required (11)",
            ),
            ("+CME ERROR: 65287", "+CME ERROR: 65287"),
            ("+CME ERROR: weird vendor text", "+CME ERROR: weird vendor text"),
        ];
        for &(line, shown) in cases {
            let result = FinalResult::parse(line).unwrap_or_else(|| panic!("{line:?} not parsed"));
            assert_eq!(result.to_string(), shown, "{line:?}");
        }
    }

    #[test]
    fn other_lines_are_not_final() {
        for line in [
            "+CSQ: 21,99",
            "OKAY",
            "RING",
            "490154203237518",
            "ERRORS",
            "> ",
            "CONNECTED",
        ] {
            assert_eq!(FinalResult::parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn verbose_codes_keep_text_and_find_number() {
        let Some(FinalResult::CmsError(error)) = FinalResult::parse("+CMS ERROR: Network out of order")
        else {
            panic!("not a CMS error");
        };
        assert_eq!(error.code(), Some(38));
        assert_eq!(error.text(), Some("Network out of order"));
        assert_eq!(error.meaning(), Some("network out of order"));
    }

    #[test]
    fn unsupported() {
        assert!(FinalResult::parse("+CME ERROR: 4").unwrap().is_unsupported());
        assert!(FinalResult::parse("+CMS ERROR: 303").unwrap().is_unsupported());
        assert!(!FinalResult::parse("ERROR").unwrap().is_unsupported());
        assert!(FinalResult::parse("CONNECT").unwrap().is_success());
    }
}
