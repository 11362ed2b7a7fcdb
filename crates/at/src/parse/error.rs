//! Why a response could not be read, and where.

use std::fmt;

/// A malformed response: which line, which field, what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// The line at fault, if the fault is in one line.
    pub line: Option<LineRef>,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

/// A line of a response, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRef {
    /// 1-based number among the command's information lines (echo and
    /// final result excluded); 1 for a lone line such as a URC.
    pub number: usize,
    /// The line as received.
    pub text: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = &self.line {
            write!(f, "line {} {:?}: ", line.number, line.text)?;
        }
        write!(f, "{}", self.kind)
    }
}

/// The kinds of malformed response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// No line has the prefix the parser looks for.
    #[error("no {prefix:?} line in the response")]
    MissingLine {
        /// The prefix, e.g. `+CSQ:`.
        prefix: &'static str,
    },
    /// The response has no line with a value.
    #[error("no {what} in the response")]
    MissingValue {
        /// What was looked for, e.g. "IMEI".
        what: &'static str,
    },
    /// A mandatory field is absent.
    #[error("field {index} ({name}) is missing")]
    MissingField {
        /// 1-based position of the field.
        index: usize,
        /// The 27.005/27.007 parameter name, e.g. `<stat>`.
        name: &'static str,
    },
    /// A field holds something that is not what the specification allows.
    #[error("field {index} ({name}): {value:?} is not {expected}")]
    BadField {
        /// 1-based position of the field.
        index: usize,
        /// The 27.005/27.007 parameter name, e.g. `<rssi>`.
        name: &'static str,
        /// The field as received.
        value: String,
        /// What would have been valid.
        expected: &'static str,
    },
    /// A quoted string has no closing quote.
    #[error("unterminated quoted string starting at column {column}")]
    UnterminatedQuote {
        /// 1-based column of the opening quote.
        column: usize,
    },
    /// A quoted string is followed by something other than a comma.
    #[error("text after the quoted string at column {column}")]
    TextAfterQuote {
        /// 1-based column of the closing quote.
        column: usize,
    },
    /// A header that announces a PDU is not followed by one.
    #[error("header not followed by a hex PDU line")]
    MissingPdu,
    /// A PDU line is not valid hex.
    #[error("PDU: {0}")]
    BadPdu(sms_pdu::DecodeError),
    /// A value, as a whole, is not what was expected.
    #[error("{value:?} is not {expected}")]
    BadValue {
        /// The value as received.
        value: String,
        /// What would have been valid.
        expected: &'static str,
    },
}

impl ParseError {
    pub(crate) fn at(number: usize, text: &str, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line: Some(LineRef {
                number,
                text: text.to_owned(),
            }),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_line_and_field() {
        let error = ParseError::at(
            2,
            "+CSQ: x,99",
            ParseErrorKind::BadField {
                index: 1,
                name: "<rssi>",
                value: "x".to_owned(),
                expected: "a number 0-255",
            },
        );
        assert_eq!(
            error.to_string(),
            r#"line 2 "+CSQ: x,99": field 1 (<rssi>): "x" is not a number 0-255"#
        );
        let missing = ParseError {
            line: None,
            kind: ParseErrorKind::MissingLine { prefix: "+CSQ:" },
        };
        assert_eq!(missing.to_string(), r#"no "+CSQ:" line in the response"#);
    }
}
