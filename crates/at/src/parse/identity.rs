//! Identities: IMEI (`AT+CGSN`), IMSI (`AT+CIMI`), ICCID (`AT+CCID`)
//! (3GPP TS 27.007 clauses 5.4 and 5.6; `+CCID` is a common vendor
//! command).
//!
//! 27.007 has the value on a bare line, and most modems do that. Others
//! prefix it (`+CGSN: 4901...`, `+ICCID: 8944...`, `^ICCID: ...`) or quote
//! it, so any `NAME:` prefix and quotes are dropped. The first line that
//! looks like a value is the value; a line that does not is an error
//! naming it.

use super::{ParseError, ParseErrorKind};

/// Reads the IMEI from the answer to `AT+CGSN` (14 digits without the check
/// digit, 15 with it, 16 for an IMEISV).
pub fn cgsn<S: AsRef<str>>(lines: &[S]) -> Result<String, ParseError> {
    identity(lines, "IMEI", "an IMEI (14-16 digits)", |value| {
        (14..=16).contains(&value.len()) && value.bytes().all(|byte| byte.is_ascii_digit())
    })
}

/// Reads the IMSI from the answer to `AT+CIMI` (at most 15 digits: MCC,
/// MNC and MSIN).
pub fn cimi<S: AsRef<str>>(lines: &[S]) -> Result<String, ParseError> {
    identity(lines, "IMSI", "an IMSI (6-15 digits)", |value| {
        (6..=15).contains(&value.len()) && value.bytes().all(|byte| byte.is_ascii_digit())
    })
}

/// Reads the ICCID from the answer to `AT+CCID` (or `AT+ICCID`,
/// `AT^ICCID?`, `AT+QCCID`): 18-22 characters, digits with possibly an `F`
/// filler or check letter, as the SIM stores it.
pub fn ccid<S: AsRef<str>>(lines: &[S]) -> Result<String, ParseError> {
    identity(lines, "ICCID", "an ICCID (18-22 hex digits)", |value| {
        (18..=22).contains(&value.len()) && value.bytes().all(|byte| byte.is_ascii_hexdigit())
    })
}

fn identity<S: AsRef<str>>(
    lines: &[S],
    what: &'static str,
    expected: &'static str,
    valid: impl Fn(&str) -> bool,
) -> Result<String, ParseError> {
    let (line_idx, line) = lines
        .iter()
        .map(AsRef::as_ref)
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty())
        .ok_or(ParseError {
            line: None,
            kind: ParseErrorKind::MissingValue { what },
        })?;
    let value = strip_name(line).trim().trim_matches('"').trim();
    if !valid(value) {
        return Err(ParseError::at(
            line_idx + 1,
            line,
            ParseErrorKind::BadValue {
                value: value.to_owned(),
                expected,
            },
        ));
    }
    Ok(value.to_owned())
}

/// `line` without a leading `+NAME:`, `^NAME:` or `NAME:`.
fn strip_name(line: &str) -> &str {
    let Some(colon) = line.find(':') else {
        return line;
    };
    let name = line[..colon].trim_start_matches(['+', '^']);
    if !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphabetic()) {
        &line[colon + 1..]
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_lines_from_the_lab_modem() {
        // smsd and gammu sessions (notes, sections 5.1 and 5.2).
        assert_eq!(cgsn(&["490154203237518"]).unwrap(), "490154203237518");
        assert_eq!(cimi(&["001010123456789"]).unwrap(), "001010123456789");
    }

    #[test]
    fn prefixed_and_quoted_forms() {
        assert_eq!(cgsn(&["+CGSN: 490154203237518"]).unwrap(), "490154203237518");
        assert_eq!(cgsn(&[r#"+CGSN: "490154203237518""#]).unwrap(), "490154203237518");
        assert_eq!(
            ccid(&["+CCID: 89882390000012345678"]).unwrap(),
            "89882390000012345678"
        );
        assert_eq!(
            ccid(&["+ICCID: 8944500102198304826F"]).unwrap(),
            "8944500102198304826F"
        );
        assert_eq!(
            ccid(&["^ICCID: 89860318640220133897"]).unwrap(),
            "89860318640220133897"
        );
        assert_eq!(ccid(&["8931440400012345678"]).unwrap(), "8931440400012345678");
    }

    #[test]
    fn wrong_values_name_the_line() {
        assert_eq!(
            cgsn(&["FM-100"]).unwrap_err().to_string(),
            r#"line 1 "FM-100": "FM-100" is not an IMEI (14-16 digits)"#
        );
        assert_eq!(
            cimi::<&str>(&[]).unwrap_err().to_string(),
            "no IMSI in the response"
        );
        assert!(ccid(&["+CCID: 1234"]).is_err());
    }
}
