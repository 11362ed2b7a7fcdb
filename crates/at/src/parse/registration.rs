//! Network registration: `+CREG`, `+CGREG`, `+CEREG` (3GPP TS 27.007
//! clauses 7.2, 10.1.20, 10.1.22).
//!
//! The same prefix has two forms. The answer to the read command `AT+CREG?`
//! starts with the presentation mode: `+CREG: <n>,<stat>[,<lac>,<ci>[,<AcT>]]`.
//! The unsolicited code does not: `+CREG: <stat>[,<lac>,<ci>[,<AcT>]]`.
//! With location information the two are told apart by the quotes of
//! `<lac>`, which the spec makes a string: in the unsolicited form the
//! second field is quoted, in the answer it is `<stat>`, a number.

use std::fmt;

use super::{find_line, Fields, ParseError};

/// Which registration a line reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegistrationDomain {
    /// Circuit switched (`+CREG`): voice and, on most networks, SMS.
    CircuitSwitched,
    /// GPRS packet domain (`+CGREG`).
    Gprs,
    /// EPS, that is LTE (`+CEREG`).
    Eps,
}

impl RegistrationDomain {
    /// The prefix of the lines, e.g. `+CREG:`.
    pub fn prefix(self) -> &'static str {
        match self {
            RegistrationDomain::CircuitSwitched => "+CREG:",
            RegistrationDomain::Gprs => "+CGREG:",
            RegistrationDomain::Eps => "+CEREG:",
        }
    }

    /// The domain whose lines start with `line`'s prefix.
    pub(crate) fn of_line(line: &str) -> Option<RegistrationDomain> {
        [
            RegistrationDomain::CircuitSwitched,
            RegistrationDomain::Gprs,
            RegistrationDomain::Eps,
        ]
        .into_iter()
        .find(|domain| line.starts_with(domain.prefix()))
    }
}

/// `<stat>`, kept as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegistrationStatus(pub u8);

impl RegistrationStatus {
    /// The 27.007 meaning, if the value is assigned.
    pub fn meaning(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "not registered, not searching",
            1 => "registered, home network",
            2 => "not registered, searching",
            3 => "registration denied",
            4 => "unknown",
            5 => "registered, roaming",
            6 => "registered for \"SMS only\", home network",
            7 => "registered for \"SMS only\", roaming",
            8 => "attached for emergency bearer services only",
            9 => "registered for \"CSFB not preferred\", home network",
            10 => "registered for \"CSFB not preferred\", roaming",
            11 => "attached for access to RLOS",
            _ => return None,
        })
    }

    /// Whether the modem is registered (home or roaming, including the
    /// "SMS only" and "CSFB not preferred" kinds): SMS can be sent.
    pub fn is_registered(self) -> bool {
        matches!(self.0, 1 | 5 | 6 | 7 | 9 | 10)
    }

    /// Whether the registration is a roaming one.
    pub fn is_roaming(self) -> bool {
        matches!(self.0, 5 | 7 | 10)
    }
}

impl fmt::Display for RegistrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.meaning() {
            Some(meaning) => write!(f, "{} ({meaning})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// `<AcT>`, the access technology (27.007 clause 7.3), kept as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccessTechnology(pub u8);

impl AccessTechnology {
    /// The 27.007 name, if the value is assigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "GSM",
            1 => "GSM Compact",
            2 => "UTRAN",
            3 => "GSM w/EGPRS",
            4 => "UTRAN w/HSDPA",
            5 => "UTRAN w/HSUPA",
            6 => "UTRAN w/HSDPA and HSUPA",
            7 => "E-UTRAN",
            8 => "EC-GSM-IoT",
            9 => "E-UTRAN (NB-S1 mode)",
            10 => "E-UTRA connected to a 5GCN",
            11 => "NR connected to a 5GCN",
            12 => "NG-RAN",
            13 => "E-UTRA-NR dual connectivity",
            _ => return None,
        })
    }
}

impl fmt::Display for AccessTechnology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "access technology {}", self.0),
        }
    }
}

/// A registration state, from either form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Registration {
    /// `<n>`, the presentation mode; only the answer to a query has it.
    pub mode: Option<u8>,
    /// `<stat>`.
    pub status: RegistrationStatus,
    /// `<lac>` (or `<tac>` for EPS), if reported.
    pub area: Option<u32>,
    /// `<ci>`, the cell identity, if reported.
    pub cell: Option<u32>,
    /// `<AcT>`, if reported.
    pub access: Option<AccessTechnology>,
}

impl Registration {
    /// Reads the parameters of an unsolicited `+CREG:`/`+CGREG:`/`+CEREG:`
    /// line (`line` is the whole line, `params` what follows the prefix).
    pub(crate) fn parse_unsolicited(line: &str, params: &str) -> Result<Registration, ParseError> {
        let fields = Fields::parse(1, line, params)?;
        if !has_unsolicited_shape(&fields) {
            return Err(fields.bad(
                1,
                "<lac>",
                "a quoted location area (this looks like the answer to a query)",
            ));
        }
        read(&fields, 0, None)
    }

    /// Whether `params` have the unsolicited shape (see the module docs).
    pub(crate) fn looks_unsolicited(line: &str, params: &str) -> bool {
        Fields::parse(1, line, params).is_ok_and(|fields| has_unsolicited_shape(&fields))
    }
}

/// One plain number (`+CREG: 1`), or a quoted second field.
fn has_unsolicited_shape(fields: &Fields<'_>) -> bool {
    match fields.len() {
        1 => {
            matches!(fields.get(0), Some(super::fields::Field::Bare(text)) if text.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => fields.is_quoted(1),
    }
}

/// `<stat>` at `stat_idx`, then `<lac>`, `<ci>`, `<AcT>`; later fields
/// (`<rac>`, reject causes, power saving timers) are ignored.
fn read(fields: &Fields<'_>, stat_idx: usize, mode: Option<u8>) -> Result<Registration, ParseError> {
    Ok(Registration {
        mode,
        status: RegistrationStatus(fields.number(stat_idx, "<stat>", "a number 0-255")?),
        area: fields.opt_hex(stat_idx + 1, "<lac>")?,
        cell: fields.opt_hex(stat_idx + 2, "<ci>")?,
        access: fields
            .opt_number(stat_idx + 3, "<AcT>", "a number 0-255")?
            .map(AccessTechnology),
    })
}

fn solicited<S: AsRef<str>>(lines: &[S], domain: RegistrationDomain) -> Result<Registration, ParseError> {
    let (number, line, params) = find_line(lines, domain.prefix())?;
    let fields = Fields::parse(number, line, params)?;
    let mode = fields.number(0, "<n>", "a number 0-255")?;
    read(&fields, 1, Some(mode))
}

/// Reads the answer to `AT+CREG?`.
pub fn creg<S: AsRef<str>>(lines: &[S]) -> Result<Registration, ParseError> {
    solicited(lines, RegistrationDomain::CircuitSwitched)
}

/// Reads the answer to `AT+CGREG?`.
pub fn cgreg<S: AsRef<str>>(lines: &[S]) -> Result<Registration, ParseError> {
    solicited(lines, RegistrationDomain::Gprs)
}

/// Reads the answer to `AT+CEREG?`.
pub fn cereg<S: AsRef<str>>(lines: &[S]) -> Result<Registration, ParseError> {
    solicited(lines, RegistrationDomain::Eps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_answer_with_location() {
        // smsd and gammu-smsd sessions (notes, sections 5.1 and 5.3).
        let registration = creg(&[r#"+CREG: 2,1,"00C3","0001ABCD",7"#]).unwrap();
        assert_eq!(
            registration,
            Registration {
                mode: Some(2),
                status: RegistrationStatus(1),
                area: Some(0xC3),
                cell: Some(0x0001_ABCD),
                access: Some(AccessTechnology(7)),
            }
        );
        assert!(registration.status.is_registered());
        assert_eq!(registration.access.unwrap().to_string(), "E-UTRAN");
        let gprs = cgreg(&[r#"+CGREG: 2,1,"00C3","0001ABCD",7"#]).unwrap();
        assert_eq!(gprs, registration);
    }

    #[test]
    fn query_answer_short() {
        let registration = creg(&["+CREG: 0,5"]).unwrap();
        assert_eq!(registration.mode, Some(0));
        assert!(registration.status.is_roaming());
        assert_eq!(registration.area, None);
        assert_eq!(registration.status.to_string(), "5 (registered, roaming)");
        let eps = cereg(&["+CEREG: 0,2"]).unwrap();
        assert_eq!(eps.status.meaning(), Some("not registered, searching"));
        assert!(!eps.status.is_registered());
        // CGREG with <rac> and CEREG with reject causes: extra fields ignored.
        let gprs = cgreg(&[r#"+CGREG: 2,1,"00C3","0001ABCD",7,"01""#]).unwrap();
        assert_eq!(gprs.access, Some(AccessTechnology(7)));
    }

    #[test]
    fn unsolicited_forms() {
        let line = r#"+CREG: 1,"00C3","0001ABCD",7"#;
        let registration = Registration::parse_unsolicited(line, &line[6..]).unwrap();
        assert_eq!(registration.mode, None);
        assert_eq!(registration.status, RegistrationStatus(1));
        assert_eq!(registration.area, Some(0xC3));
        let short = Registration::parse_unsolicited("+CREG: 2", " 2").unwrap();
        assert_eq!(short.status, RegistrationStatus(2));
        assert!(Registration::looks_unsolicited(line, &line[6..]));
        assert!(!Registration::looks_unsolicited("+CREG: 2,1", " 2,1"));
        assert!(!Registration::looks_unsolicited("+CREG: (0-2)", " (0-2)"));
        let error = Registration::parse_unsolicited("+CREG: 2,1", " 2,1").unwrap_err();
        assert!(
            error.to_string().contains("looks like the answer to a query"),
            "{error}"
        );
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            creg(&[r#"+CREG: 2,1,"zz","1""#]).unwrap_err().to_string(),
            r#"line 1 "+CREG: 2,1,\"zz\",\"1\"": field 3 (<lac>): "\"zz\"" is not a hexadecimal number of at most 8 digits"#
        );
        assert!(creg(&["+CREG: 2"]).is_err());
        assert!(creg(&["+CGREG: 0,1"]).is_err());
    }
}
