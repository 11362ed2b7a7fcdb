//! Unsolicited result codes: lines the modem sends on its own, between
//! commands or in the middle of a command's response (3GPP TS 27.005
//! clause 3.4.1, TS 27.007 clauses 6.9, 7.2, 7.6, 7.15, 10.1.20, 10.1.22).
//!
//! `+CMT` and `+CDS` take two lines: a header, and the PDU in hex on the
//! next line. The engine holds the header until that line arrives.

use sms_pdu::{decode_hex, DecodeError, Decoded, Pdu};

use crate::parse::{is_hex_line, Fields, ParseError, ParseErrorKind, Registration, RegistrationDomain, Ussd};

/// An unsolicited result code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Urc {
    /// `+CMTI: <mem>,<index>`: a message was stored; read it with
    /// `AT+CMGR=<index>` after selecting `<mem>`.
    MessageStored {
        /// `<mem>`, e.g. `SM`.
        storage: String,
        /// `<index>`.
        index: u32,
    },
    /// `+CMT: [<alpha>],<length>` and the PDU: a message routed to us
    /// without being stored (`AT+CNMI=..,2`). With `AT+CSMS=1` the modem
    /// wants it acknowledged with `AT+CNMA`.
    MessageReceived {
        /// `<alpha>`, the sender's phonebook name, if given.
        alpha: Option<String>,
        /// `<length>`: the TPDU length the modem states.
        length: u16,
        /// The PDU octets, SMSC address first.
        pdu: Vec<u8>,
    },
    /// `+CDS: <length>` and the PDU: a status report routed to us.
    StatusReport {
        /// `<length>`: the TPDU length the modem states.
        length: u16,
        /// The PDU octets, SMSC address first.
        pdu: Vec<u8>,
    },
    /// `+CDSI: <mem>,<index>`: a status report was stored.
    StatusReportStored {
        /// `<mem>`.
        storage: String,
        /// `<index>`.
        index: u32,
    },
    /// `+CUSD: <m>[,<str>,<dcs>]`: a USSD answer or network request.
    Ussd(Ussd),
    /// `RING`: an incoming call.
    Ring,
    /// `+CLIP: <number>,<type>[,...]`: the caller of an incoming call.
    CallerId {
        /// `<number>`, empty when withheld.
        number: String,
        /// `<type>`, the type of address octet.
        type_of_address: Option<u8>,
        /// `<alpha>`, the phonebook name, if given.
        alpha: Option<String>,
        /// `<CLI validity>`: 0 valid, 1 withheld, 2 not available.
        validity: Option<u8>,
    },
    /// `+CREG: <stat>[,...]`, `+CGREG`, `+CEREG`: the registration changed.
    Registration {
        /// Which registration.
        domain: RegistrationDomain,
        /// Its new state (with no `mode`).
        registration: Registration,
    },
    /// A vendor code starting with `^` (Huawei `^RSSI:`, `^MODE:`,
    /// `^BOOT:`, ...), passed through as received.
    Vendor(String),
    /// A `+NAME:` line nobody asked for and this crate does not know
    /// (`+CPIN: READY` after boot, `+QIND:`, `+CGEV:`, ...), as received.
    Unknown(String),
}

impl Urc {
    /// Decodes the PDU of a [`Urc::MessageReceived`] or
    /// [`Urc::StatusReport`]; `None` for other codes.
    pub fn decode_pdu(&self) -> Option<Result<Decoded<Pdu>, DecodeError>> {
        match self {
            Urc::MessageReceived { pdu, .. } | Urc::StatusReport { pdu, .. } => Some(Pdu::decode(pdu)),
            _ => None,
        }
    }
}

/// What a line turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Recognized {
    /// A complete code.
    Urc(Urc),
    /// The header of a two-line code; the PDU comes next.
    AwaitPdu(PduHeader),
    /// A known prefix with parameters that do not fit.
    Malformed(ParseError),
}

/// The first line of `+CMT` or `+CDS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PduHeader {
    /// The line, for reports.
    pub(crate) line: String,
    alpha: Option<String>,
    length: u16,
    status_report: bool,
}

impl PduHeader {
    /// The code, given the next line; `None` if that line is not a PDU.
    pub(crate) fn complete(&self, pdu_line: &str) -> Option<Urc> {
        if !is_hex_line(pdu_line) {
            return None;
        }
        let pdu = decode_hex(pdu_line).ok()?;
        Some(if self.status_report {
            Urc::StatusReport {
                length: self.length,
                pdu,
            }
        } else {
            Urc::MessageReceived {
                alpha: self.alpha.clone(),
                length: self.length,
                pdu,
            }
        })
    }
}

/// Recognises `line` as an unsolicited code, if its prefix is one.
pub(crate) fn recognize(line: &str) -> Option<Recognized> {
    if line == "RING" {
        return Some(Recognized::Urc(Urc::Ring));
    }
    let (name, params) = line.split_once(':')?;
    let parsed = match name {
        "+CMTI" => stored(line, params, false),
        "+CDSI" => stored(line, params, true),
        "+CMT" => pdu_header(line, params, false),
        "+CDS" => pdu_header(line, params, true),
        "+CUSD" => Ussd::parse_line(line).map(|ussd| Recognized::Urc(Urc::Ussd(ussd))),
        "+CLIP" => caller_id(line, params),
        _ => {
            let domain = RegistrationDomain::of_line(line)?;
            Registration::parse_unsolicited(line, params)
                .map(|registration| Recognized::Urc(Urc::Registration { domain, registration }))
        }
    };
    Some(parsed.unwrap_or_else(Recognized::Malformed))
}

fn stored(line: &str, params: &str, status_report: bool) -> Result<Recognized, ParseError> {
    let fields = Fields::parse(1, line, params)?;
    let storage = fields.text(0, "<mem>")?.to_owned();
    let index = fields.number(1, "<index>", "a number")?;
    Ok(Recognized::Urc(if status_report {
        Urc::StatusReportStored { storage, index }
    } else {
        Urc::MessageStored { storage, index }
    }))
}

/// `+CMT: [<alpha>],<length>` or `+CDS: <length>`: PDU mode only. The text
/// mode forms have more fields and are reported as malformed.
fn pdu_header(line: &str, params: &str, status_report: bool) -> Result<Recognized, ParseError> {
    let fields = Fields::parse(1, line, params)?;
    let (alpha, length_idx) = if status_report {
        (None, 0)
    } else if fields.len() >= 2 {
        (fields.opt_nonempty_text(0).map(str::to_owned), 1)
    } else {
        (None, 0)
    };
    if fields.len() > length_idx + 1 {
        return Err(fields.error(ParseErrorKind::BadValue {
            value: params.trim().to_owned(),
            expected: if status_report {
                "a PDU mode header <length> (is the modem in text mode?)"
            } else {
                "a PDU mode header [<alpha>],<length> (is the modem in text mode?)"
            },
        }));
    }
    let length = fields.number(length_idx, "<length>", "a number 0-65535")?;
    Ok(Recognized::AwaitPdu(PduHeader {
        line: line.to_owned(),
        alpha,
        length,
        status_report,
    }))
}

fn caller_id(line: &str, params: &str) -> Result<Recognized, ParseError> {
    let fields = Fields::parse(1, line, params)?;
    Ok(Recognized::Urc(Urc::CallerId {
        number: fields.opt_text(0).unwrap_or("").to_owned(),
        type_of_address: fields.opt_number(1, "<type>", "a number 0-255")?,
        alpha: fields.opt_nonempty_text(4).map(str::to_owned),
        validity: fields.opt_number(5, "<CLI validity>", "a number 0-255")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::RegistrationStatus;

    fn urc(line: &str) -> Urc {
        match recognize(line) {
            Some(Recognized::Urc(urc)) => urc,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn single_line_codes() {
        assert_eq!(
            urc(r#"+CMTI: "SM",3"#),
            Urc::MessageStored {
                storage: "SM".to_owned(),
                index: 3
            }
        );
        assert_eq!(
            urc(r#"+CDSI: "SM",4"#),
            Urc::StatusReportStored {
                storage: "SM".to_owned(),
                index: 4
            }
        );
        assert_eq!(urc("RING"), Urc::Ring);
        assert_eq!(
            urc(r#"+CLIP: "+31641600986",145,"",,"Alice",0"#),
            Urc::CallerId {
                number: "+31641600986".to_owned(),
                type_of_address: Some(145),
                alpha: Some("Alice".to_owned()),
                validity: Some(0),
            }
        );
        let Urc::Ussd(ussd) = urc(r#"+CUSD: 0,"Your balance is 10.00 EUR",15"#) else {
            panic!("not USSD");
        };
        assert_eq!(ussd.raw.as_deref(), Some("Your balance is 10.00 EUR"));
        let Urc::Registration { domain, registration } = urc(r#"+CEREG: 5,"00C3","0001ABCD",7"#) else {
            panic!("not a registration");
        };
        assert_eq!(domain, RegistrationDomain::Eps);
        assert_eq!(registration.status, RegistrationStatus(5));
    }

    #[test]
    fn two_line_codes() {
        let pdu_line = "07915155550500F006010D91947112325476F8621112912023006211129120230000";
        let Some(Recognized::AwaitPdu(header)) = recognize("+CDS: 26") else {
            panic!("no header");
        };
        let report = header.complete(pdu_line).unwrap();
        assert!(matches!(report, Urc::StatusReport { length: 26, .. }));
        assert!(matches!(
            report.decode_pdu().unwrap().unwrap().value.tpdu,
            sms_pdu::Tpdu::StatusReport(_)
        ));
        assert_eq!(header.complete("OK"), None);
        let Some(Recognized::AwaitPdu(header)) = recognize(r#"+CMT: "Alice",24"#) else {
            panic!("no header");
        };
        let Some(Urc::MessageReceived { alpha, length, .. }) = header.complete("0011") else {
            panic!("no message");
        };
        assert_eq!((alpha.as_deref(), length), (Some("Alice"), 24));
        assert!(matches!(recognize("+CMT: ,24"), Some(Recognized::AwaitPdu(_))));
    }

    #[test]
    fn malformed_and_unknown() {
        for line in [
            r#"+CMTI: "SM""#,
            r#"+CMT: "+31641600986",,"26/11/21,19:29:19+00""#,
            "+CDS: 6,1,\"+4917212345678\",145",
            "+CREG: 2,1",
            "+CUSD: x",
        ] {
            assert!(
                matches!(recognize(line), Some(Recognized::Malformed(_))),
                "{line:?}"
            );
        }
        for line in ["OK", "+CSQ: 21,99", "^RSSI: 20", "490154203237518", "RINGING"] {
            assert_eq!(recognize(line), None, "{line:?}");
        }
    }
}
