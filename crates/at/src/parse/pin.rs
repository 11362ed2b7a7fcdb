//! `+CPIN: <code>`: what the SIM waits for (3GPP TS 27.007 clause 8.3).
//!
//! A missing SIM is not an answer here: the modem ends `AT+CPIN?` with
//! `+CME ERROR: 10` instead, which the command's final result carries.

use std::fmt;

use super::{find_line, ParseError, ParseErrorKind};

/// The answer to `AT+CPIN?`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PinStatus {
    /// `READY`: no code is needed.
    Ready,
    /// `SIM PIN`.
    SimPin,
    /// `SIM PUK`: the PIN was wrong too often.
    SimPuk,
    /// `PH-SIM PIN`: the phone is locked to a SIM.
    PhSimPin,
    /// `PH-FSIM PIN`: the phone is locked to the first SIM inserted.
    PhFsimPin,
    /// `PH-FSIM PUK`.
    PhFsimPuk,
    /// `SIM PIN2`.
    SimPin2,
    /// `SIM PUK2`.
    SimPuk2,
    /// `PH-NET PIN`: network personalisation.
    PhNetPin,
    /// `PH-NET PUK`.
    PhNetPuk,
    /// `PH-NETSUB PIN`: network subset personalisation.
    PhNetSubPin,
    /// `PH-NETSUB PUK`.
    PhNetSubPuk,
    /// `PH-SP PIN`: service provider personalisation.
    PhSpPin,
    /// `PH-SP PUK`.
    PhSpPuk,
    /// `PH-CORP PIN`: corporate personalisation.
    PhCorpPin,
    /// `PH-CORP PUK`.
    PhCorpPuk,
    /// Anything else, as received (vendor codes).
    Other(String),
}

/// The 27.007 codes, in the order of the specification.
const CODES: &[(&str, PinStatus)] = &[
    ("READY", PinStatus::Ready),
    ("SIM PIN", PinStatus::SimPin),
    ("SIM PUK", PinStatus::SimPuk),
    ("PH-SIM PIN", PinStatus::PhSimPin),
    ("PH-FSIM PIN", PinStatus::PhFsimPin),
    ("PH-FSIM PUK", PinStatus::PhFsimPuk),
    ("SIM PIN2", PinStatus::SimPin2),
    ("SIM PUK2", PinStatus::SimPuk2),
    ("PH-NET PIN", PinStatus::PhNetPin),
    ("PH-NET PUK", PinStatus::PhNetPuk),
    ("PH-NETSUB PIN", PinStatus::PhNetSubPin),
    ("PH-NETSUB PUK", PinStatus::PhNetSubPuk),
    ("PH-SP PIN", PinStatus::PhSpPin),
    ("PH-SP PUK", PinStatus::PhSpPuk),
    ("PH-CORP PIN", PinStatus::PhCorpPin),
    ("PH-CORP PUK", PinStatus::PhCorpPuk),
];

impl PinStatus {
    /// The code as the modem writes it.
    pub fn code(&self) -> &str {
        match self {
            PinStatus::Other(code) => code,
            known => CODES
                .iter()
                .find(|(_, status)| status == known)
                .map_or("", |&(code, _)| code),
        }
    }

    /// Whether the SIM is usable without entering a code.
    pub fn is_ready(&self) -> bool {
        *self == PinStatus::Ready
    }

    /// Whether the SIM asks for an unblocking key: entering a PIN now is
    /// pointless, and entering a wrong PUK ten times destroys the SIM.
    pub fn needs_puk(&self) -> bool {
        self.code().contains("PUK")
    }
}

impl fmt::Display for PinStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Reads the answer to `AT+CPIN?`. Some firmware quotes the code; the
/// quotes are dropped.
pub fn cpin<S: AsRef<str>>(lines: &[S]) -> Result<PinStatus, ParseError> {
    let (number, line, params) = find_line(lines, "+CPIN:")?;
    let code = params.trim().trim_matches('"').trim();
    if code.is_empty() {
        return Err(ParseError::at(
            number,
            line,
            ParseErrorKind::MissingField {
                index: 1,
                name: "<code>",
            },
        ));
    }
    Ok(CODES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(code))
        .map_or_else(|| PinStatus::Other(code.to_owned()), |(_, status)| status.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back() {
        for (code, status) in CODES {
            let line = format!("+CPIN: {code}");
            assert_eq!(&cpin(&[line.as_str()]).unwrap(), status);
            assert_eq!(status.code(), *code);
        }
    }

    #[test]
    fn captured_and_odd_forms() {
        assert!(cpin(&["+CPIN: READY"]).unwrap().is_ready());
        assert_eq!(cpin(&[r#"+CPIN: "SIM PIN""#]).unwrap(), PinStatus::SimPin);
        assert!(cpin(&["+CPIN: SIM PUK"]).unwrap().needs_puk());
        assert!(!cpin(&["+CPIN: SIM PIN"]).unwrap().needs_puk());
        assert_eq!(
            cpin(&["+CPIN: NOT READY"]).unwrap(),
            PinStatus::Other("NOT READY".to_owned())
        );
        assert_eq!(
            cpin(&["+CPIN: "]).unwrap_err().to_string(),
            r#"line 1 "+CPIN: ": field 1 (<code>) is missing"#
        );
    }
}
