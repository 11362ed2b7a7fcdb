//! The parameter list of an information line: `21,99`,
//! `"SM",0,30`, `0,,43`, `("SM","ME"),("SM","ME")`.
//!
//! V.250 clause 5.7.2 separates parameters with commas and quotes strings;
//! commas inside quotes or parentheses do not separate. An omitted
//! parameter is an empty field. Spaces around fields are ignored (RouterOS
//! shows `"...", 0` with a space).

use super::error::{ParseError, ParseErrorKind};

/// One parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// Nothing between the commas.
    Empty,
    /// A quoted string, without its quotes.
    Quoted(String),
    /// Anything else, trimmed: a number, a bare word, a parenthesised list.
    Bare(String),
}

/// The fields of one line, remembering the line for error messages.
#[derive(Clone, Debug)]
pub(crate) struct Fields<'a> {
    line_number: usize,
    line: &'a str,
    fields: Vec<Field>,
}

impl<'a> Fields<'a> {
    /// Splits `params` (the part of `line` after its prefix).
    pub(crate) fn parse(line_number: usize, line: &'a str, params: &str) -> Result<Fields<'a>, ParseError> {
        let offset = line.len().saturating_sub(params.len());
        let fields = split(params).map_err(|kind| {
            let kind = match kind {
                ParseErrorKind::UnterminatedQuote { column } => ParseErrorKind::UnterminatedQuote {
                    column: column + offset,
                },
                ParseErrorKind::TextAfterQuote { column } => ParseErrorKind::TextAfterQuote {
                    column: column + offset,
                },
                other => other,
            };
            ParseError::at(line_number, line, kind)
        })?;
        Ok(Fields {
            line_number,
            line,
            fields,
        })
    }

    /// How many fields there are (an empty list has none).
    pub(crate) fn len(&self) -> usize {
        self.fields.len()
    }

    /// The field at 0-based `idx`, if present and not empty.
    pub(crate) fn get(&self, idx: usize) -> Option<&Field> {
        self.fields.get(idx).filter(|field| **field != Field::Empty)
    }

    /// Whether the field at `idx` is a quoted string.
    pub(crate) fn is_quoted(&self, idx: usize) -> bool {
        matches!(self.fields.get(idx), Some(Field::Quoted(_)))
    }

    /// An error about this line.
    pub(crate) fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError::at(self.line_number, self.line, kind)
    }

    /// An error about the field at `idx`.
    pub(crate) fn bad(&self, idx: usize, name: &'static str, expected: &'static str) -> ParseError {
        let value = match self.fields.get(idx) {
            Some(Field::Quoted(text)) => format!("\"{text}\""),
            Some(Field::Bare(text)) => text.clone(),
            Some(Field::Empty) | None => String::new(),
        };
        self.error(ParseErrorKind::BadField {
            index: idx + 1,
            name,
            value,
            expected,
        })
    }

    /// The text of a mandatory field, quoted or not.
    pub(crate) fn text(&self, idx: usize, name: &'static str) -> Result<&str, ParseError> {
        self.opt_text(idx)
            .ok_or_else(|| self.error(ParseErrorKind::MissingField { index: idx + 1, name }))
    }

    /// The text of an optional field, quoted or not.
    pub(crate) fn opt_text(&self, idx: usize) -> Option<&str> {
        match self.get(idx)? {
            Field::Quoted(text) | Field::Bare(text) => Some(text),
            Field::Empty => None,
        }
    }

    /// The text of an optional field, `None` if empty even when quoted
    /// (`""` for an unknown phonebook name).
    pub(crate) fn opt_nonempty_text(&self, idx: usize) -> Option<&str> {
        self.opt_text(idx).filter(|text| !text.is_empty())
    }

    /// A mandatory decimal number that fits `T`.
    pub(crate) fn number<T: TryFrom<u64>>(
        &self,
        idx: usize,
        name: &'static str,
        expected: &'static str,
    ) -> Result<T, ParseError> {
        self.opt_number(idx, name, expected)?
            .ok_or_else(|| self.error(ParseErrorKind::MissingField { index: idx + 1, name }))
    }

    /// An optional decimal number that fits `T`; an empty or absent field
    /// is `None`. Some modems quote numbers, which is accepted.
    pub(crate) fn opt_number<T: TryFrom<u64>>(
        &self,
        idx: usize,
        name: &'static str,
        expected: &'static str,
    ) -> Result<Option<T>, ParseError> {
        let Some(text) = self.opt_text(idx) else {
            return Ok(None);
        };
        parse_decimal(text)
            .and_then(|value| T::try_from(value).ok())
            .map(Some)
            .ok_or_else(|| self.bad(idx, name, expected))
    }

    /// An optional hexadecimal number that fits `u32` (location area and
    /// cell identities: 27.007 gives them as hex strings).
    pub(crate) fn opt_hex(&self, idx: usize, name: &'static str) -> Result<Option<u32>, ParseError> {
        let Some(text) = self.opt_text(idx) else {
            return Ok(None);
        };
        let digits = text.trim();
        if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(self.bad(idx, name, "a hexadecimal number of at most 8 digits"));
        }
        u32::from_str_radix(digits, 16)
            .map(Some)
            .map_err(|_| self.bad(idx, name, "a hexadecimal number of at most 8 digits"))
    }
}

/// Decimal digits only (no sign, no spaces), at most 19 of them.
fn parse_decimal(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Whether `line` is a non-empty run of hex digits of even length: the
/// shape of a PDU line.
pub(crate) fn is_hex_line(line: &str) -> bool {
    !line.is_empty() && line.len() % 2 == 0 && line.bytes().all(|byte| byte.is_ascii_hexdigit())
}

/// Splits a parameter list. Columns in errors are 1-based within `params`.
fn split(params: &str) -> Result<Vec<Field>, ParseErrorKind> {
    let mut fields = Vec::new();
    if params.trim().is_empty() {
        return Ok(fields);
    }
    let bytes = params.as_bytes();
    let mut idx = 0;
    loop {
        while idx < bytes.len() && bytes[idx] == b' ' {
            idx += 1;
        }
        if idx < bytes.len() && bytes[idx] == b'"' {
            let open = idx;
            let Some(close) = params[open + 1..].find('"').map(|pos| open + 1 + pos) else {
                return Err(ParseErrorKind::UnterminatedQuote { column: open + 1 });
            };
            fields.push(Field::Quoted(params[open + 1..close].to_owned()));
            idx = close + 1;
            while idx < bytes.len() && bytes[idx] == b' ' {
                idx += 1;
            }
            match bytes.get(idx) {
                None => return Ok(fields),
                Some(b',') => idx += 1,
                Some(_) => return Err(ParseErrorKind::TextAfterQuote { column: close + 1 }),
            }
            continue;
        }
        // A bare field runs to the next comma outside parentheses and
        // quotes (a list such as `("SM","ME")` is one field).
        let start = idx;
        let mut depth = 0usize;
        let mut in_quote = false;
        while idx < bytes.len() {
            match bytes[idx] {
                b'"' => in_quote = !in_quote,
                b'(' if !in_quote => depth += 1,
                b')' if !in_quote => depth = depth.saturating_sub(1),
                b',' if !in_quote && depth == 0 => break,
                _ => {}
            }
            idx += 1;
        }
        if in_quote {
            let open = start + params[start..].find('"').unwrap_or(0);
            return Err(ParseErrorKind::UnterminatedQuote { column: open + 1 });
        }
        let text = params[start..idx].trim();
        fields.push(if text.is_empty() {
            Field::Empty
        } else {
            Field::Bare(text.to_owned())
        });
        if idx >= bytes.len() {
            return Ok(fields);
        }
        idx += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(text: &str) -> Field {
        Field::Bare(text.to_owned())
    }

    fn quoted(text: &str) -> Field {
        Field::Quoted(text.to_owned())
    }

    #[test]
    fn splits_like_v250() {
        assert_eq!(split(" 21,99").unwrap(), [bare("21"), bare("99")]);
        assert_eq!(split(" 0,,43").unwrap(), [bare("0"), Field::Empty, bare("43")]);
        assert_eq!(
            split(r#" "SM",0,30"#).unwrap(),
            [quoted("SM"), bare("0"), bare("30")]
        );
        assert_eq!(
            split(r#" 0,"a, b", 0"#).unwrap(),
            [bare("0"), quoted("a, b"), bare("0")]
        );
        assert_eq!(
            split(r#" ("SM","ME"),("SM","ME")"#).unwrap(),
            [bare(r#"("SM","ME")"#), bare(r#"("SM","ME")"#)]
        );
        assert_eq!(split("1,").unwrap(), [bare("1"), Field::Empty]);
        assert_eq!(split("").unwrap(), []);
        assert_eq!(split(r#""""#).unwrap(), [quoted("")]);
    }

    #[test]
    fn quoting_errors_have_columns() {
        assert_eq!(
            split(r#" 0,"abc"#),
            Err(ParseErrorKind::UnterminatedQuote { column: 4 })
        );
        assert_eq!(
            split(r#""abc"x,1"#),
            Err(ParseErrorKind::TextAfterQuote { column: 5 })
        );
        let error = Fields::parse(1, r#"+CUSD: 0,"abc"#, r#" 0,"abc"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"line 1 "+CUSD: 0,\"abc": unterminated quoted string starting at column 10"#
        );
    }

    #[test]
    fn numbers_and_hex() {
        let fields = Fields::parse(1, r#"+X: 7,"00C3",x,300"#, r#" 7,"00C3",x,300"#).unwrap();
        assert_eq!(fields.number::<u8>(0, "<a>", "a number").unwrap(), 7);
        assert_eq!(fields.opt_hex(1, "<lac>").unwrap(), Some(0xC3));
        assert_eq!(
            fields
                .number::<u8>(2, "<c>", "a number 0-255")
                .unwrap_err()
                .to_string(),
            r#"line 1 "+X: 7,\"00C3\",x,300": field 3 (<c>): "x" is not a number 0-255"#
        );
        assert!(fields.number::<u8>(3, "<d>", "a number 0-255").is_err());
        assert!(fields.opt_number::<u8>(4, "<e>", "a number").unwrap().is_none());
        assert!(fields.number::<u8>(4, "<e>", "a number").is_err());
    }

    #[test]
    fn hex_lines() {
        assert!(is_hex_line("07915155550500F0"));
        assert!(!is_hex_line("0791515555050"));
        assert!(!is_hex_line("OK"));
        assert!(!is_hex_line(""));
    }
}
