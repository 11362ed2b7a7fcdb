//! `+CSCA: <sca>[,<tosca>]`: the service centre address (3GPP TS 27.005
//! clause 3.3.1).

use super::{find_line, Fields, ParseError};

/// The answer to `AT+CSCA?`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceCentre {
    /// `<sca>`: the number, e.g. `+15555550000`; empty if none is set.
    pub number: String,
    /// `<tosca>`: its type of address octet (145 international, 129
    /// unknown), if given.
    pub type_of_address: Option<u8>,
}

/// Reads the answer to `AT+CSCA?`.
///
/// Strings follow the TE character set (`AT+CSCS`), so with `"UCS2"` the
/// number arrives as UCS2 hex (`002B0031...`). A value that is UCS2 hex of
/// a dialling string is decoded; a real number never looks like that,
/// because its digits would have to come in `00` pairs.
pub fn csca<S: AsRef<str>>(lines: &[S]) -> Result<ServiceCentre, ParseError> {
    let (number, line, params) = find_line(lines, "+CSCA:")?;
    let fields = Fields::parse(number, line, params)?;
    let address = fields.text(0, "<sca>")?;
    Ok(ServiceCentre {
        number: ucs2_dialling_string(address).unwrap_or_else(|| address.to_owned()),
        type_of_address: fields.opt_number(1, "<tosca>", "a number 0-255")?,
    })
}

/// `text` decoded from UCS2 hex, if it is UCS2 hex of `+`, digits, `*`, `#`.
fn ucs2_dialling_string(text: &str) -> Option<String> {
    if text.is_empty() || text.len() % 4 != 0 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let mut decoded = String::with_capacity(text.len() / 4);
    for unit_idx in 0..text.len() / 4 {
        let unit = u16::from_str_radix(&text[unit_idx * 4..unit_idx * 4 + 4], 16).ok()?;
        let ch = char::from_u32(u32::from(unit))?;
        if !(ch.is_ascii_digit() || matches!(ch, '+' | '*' | '#')) {
            return None;
        }
        decoded.push(ch);
    }
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_answer() {
        // gammu and python-gsmmodem sessions (notes, sections 5.2 and 5.4).
        assert_eq!(
            csca(&[r#"+CSCA: "+15555550000",145"#]).unwrap(),
            ServiceCentre {
                number: "+15555550000".to_owned(),
                type_of_address: Some(145),
            }
        );
    }

    #[test]
    fn ucs2_and_empty() {
        let ucs2 = csca(&[r#"+CSCA: "002B00310035",145"#]).unwrap();
        assert_eq!(ucs2.number, "+15");
        // Plain digits that happen to be a multiple of four long stay as they are.
        assert_eq!(csca(&[r#"+CSCA: "12345678",129"#]).unwrap().number, "12345678");
        // No SMSC configured on the SIM.
        assert_eq!(csca(&[r#"+CSCA: "",129"#]).unwrap().number, "");
        assert_eq!(
            csca(&["+CSCA: ,129"]).unwrap_err().to_string(),
            r#"line 1 "+CSCA: ,129": field 1 (<sca>) is missing"#
        );
        assert_eq!(csca(&[r#"+CSCA: "+1""#]).unwrap().type_of_address, None);
    }
}
