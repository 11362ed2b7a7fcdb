//! `+COPS: <mode>[,<format>,<oper>[,<AcT>]]`: the selected operator
//! (3GPP TS 27.007 clause 7.3).

use super::registration::AccessTechnology;
use super::{find_line, Fields, ParseError};

/// The answer to `AT+COPS?`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// `<mode>`: 0 automatic, 1 manual, 2 deregistered, 3 format only,
    /// 4 manual then automatic.
    pub mode: u8,
    /// `<format>` of `name`: 0 long alphanumeric, 1 short alphanumeric,
    /// 2 numeric (MCC and MNC). Chosen with `AT+COPS=3,<format>`.
    pub format: Option<u8>,
    /// `<oper>`, absent when not registered.
    pub name: Option<String>,
    /// `<AcT>`, if reported.
    pub access: Option<AccessTechnology>,
}

impl Operator {
    /// The meaning of `mode`.
    pub fn mode_meaning(&self) -> Option<&'static str> {
        Some(match self.mode {
            0 => "automatic",
            1 => "manual",
            2 => "deregistered",
            3 => "set format only",
            4 => "manual, then automatic",
            _ => return None,
        })
    }
}

/// Reads the answer to `AT+COPS?`.
pub fn cops<S: AsRef<str>>(lines: &[S]) -> Result<Operator, ParseError> {
    let (number, line, params) = find_line(lines, "+COPS:")?;
    let fields = Fields::parse(number, line, params)?;
    Ok(Operator {
        mode: fields.number(0, "<mode>", "a number 0-255")?,
        format: fields.opt_number(1, "<format>", "a number 0-255")?,
        name: fields.opt_text(2).map(str::to_owned),
        access: fields
            .opt_number(3, "<AcT>", "a number 0-255")?
            .map(AccessTechnology),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_from_gammu_smsd_session() {
        // Notes, section 5.3: AT+COPS=3,2 then AT+COPS?, AT+COPS=3,0 then AT+COPS?.
        let numeric = cops(&[r#"+COPS: 0,2,"00101",7"#]).unwrap();
        assert_eq!(
            numeric,
            Operator {
                mode: 0,
                format: Some(2),
                name: Some("00101".to_owned()),
                access: Some(AccessTechnology(7)),
            }
        );
        let long = cops(&[r#"+COPS: 0,0,"FAKE NET",7"#]).unwrap();
        assert_eq!(long.name.as_deref(), Some("FAKE NET"));
        assert_eq!(long.mode_meaning(), Some("automatic"));
    }

    #[test]
    fn not_registered() {
        let none = cops(&["+COPS: 0"]).unwrap();
        assert_eq!(none.name, None);
        assert_eq!(none.format, None);
        assert_eq!(
            cops(&[r#"+COPS: "x""#]).unwrap_err().to_string(),
            r#"line 1 "+COPS: \"x\"": field 1 (<mode>): "\"x\"" is not a number 0-255"#
        );
    }
}
