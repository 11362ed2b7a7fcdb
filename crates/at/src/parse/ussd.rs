//! `+CUSD: <m>[,<str>,<dcs>]`: a USSD answer (3GPP TS 27.007 clause 7.15)
//! and the decoding of its string.
//!
//! `<dcs>` is a cell broadcast data coding scheme (TS 23.038 clause 5), not
//! an SMS one. How `<str>` is written depends on the modem more than on the
//! specification, which says it follows the TE character set (`AT+CSCS`):
//!
//! - plain text, as gammu got it: `+CUSD: 0,"Your balance is 10.00 EUR",15`;
//! - GSM 7-bit packed into octets and shown as hex, as many Huawei and ZTE
//!   modems and the RouterOS manual show it:
//!   `+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03", 0` is `konta atlikums`;
//! - UCS2 as hex, when `<dcs>` says UCS2 or the TE character set is UCS2.
//!
//! [`Ussd::decode`] takes the form when the caller knows it and guesses
//! it otherwise ([`UssdEncoding::Auto`], see there for the rules).

use std::fmt;

use sms_pdu::{decode_hex, septets, Gsm7Tables};

use super::{find_line, Fields, ParseError, ParseErrorKind};

/// `<m>`, kept as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UssdStatus(pub u8);

impl UssdStatus {
    /// The 27.007 meaning, if assigned.
    pub fn meaning(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "no further user action required",
            1 => "further user action required",
            2 => "USSD terminated by network",
            3 => "other local client has responded",
            4 => "operation not supported",
            5 => "network time out",
            _ => return None,
        })
    }

    /// Whether the network waits for the user to answer (a menu).
    pub fn expects_reply(self) -> bool {
        self.0 == 1
    }
}

/// The alphabet a cell broadcast data coding scheme selects (TS 23.038
/// clause 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CbsAlphabet {
    /// GSM 7-bit default alphabet.
    Gsm7,
    /// GSM 7-bit, the text starting with a language code and CR (0x10).
    Gsm7WithLanguage,
    /// 8-bit data.
    EightBit,
    /// UCS2.
    Ucs2,
    /// UCS2 after a two-character GSM 7-bit language code (0x11).
    Ucs2WithLanguage,
}

impl CbsAlphabet {
    /// The alphabet `dcs` selects. Reserved values are read as the GSM
    /// 7-bit default alphabet, as TS 23.038 tells a receiver to.
    pub fn of(dcs: u8) -> CbsAlphabet {
        match dcs >> 4 {
            0x1 if dcs == 0x10 => CbsAlphabet::Gsm7WithLanguage,
            0x1 if dcs == 0x11 => CbsAlphabet::Ucs2WithLanguage,
            // 01xx general data coding and 1001 message with header: the
            // alphabet is in bits 3-2.
            0x4..=0x7 | 0x9 => match (dcs >> 2) & 0x03 {
                0b01 => CbsAlphabet::EightBit,
                0b10 => CbsAlphabet::Ucs2,
                _ => CbsAlphabet::Gsm7,
            },
            // 1110: WAP; 1111 with bit 2 set: 8-bit data.
            0xE => CbsAlphabet::EightBit,
            0xF if dcs & 0x04 != 0 => CbsAlphabet::EightBit,
            _ => CbsAlphabet::Gsm7,
        }
    }
}

/// How the modem wrote `<str>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UssdEncoding {
    /// Guess from `<dcs>` and the string itself:
    ///
    /// 1. A string that is not an even number of hex digits is plain text.
    /// 2. If `<dcs>` says UCS2, hex is UCS2 hex.
    /// 3. If `<dcs>` says 8-bit data, the string is taken as plain text.
    /// 4. Otherwise (GSM 7-bit), decimal digits only are plain text (a
    ///    number is a likelier answer than packed text that happens to
    ///    have no hex letter), unless every 16-bit unit is `00xx`, which
    ///    is UCS2 hex of Latin-1 text.
    /// 5. Hex whose 16-bit units all read as printable characters below
    ///    U+3000, either some in Latin-1 or at least two all in one
    ///    256-character block (Cyrillic, Greek, Arabic, ...), is UCS2
    ///    hex, from a modem in `AT+CSCS="UCS2"`.
    /// 6. Hex that unpacks to text with no control characters but line
    ///    ends, no escape to an unassigned code and no Greek capitals
    ///    (rare in USSD, and where random octets land) is packed GSM 7-bit.
    /// 7. Anything else is plain text.
    Auto,
    /// The string is the text.
    Text,
    /// GSM 7-bit septets packed into octets, in hex.
    PackedGsm7Hex,
    /// UCS2 (UTF-16BE) in hex.
    Ucs2Hex,
}

/// A decoded USSD string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UssdText {
    /// The text.
    pub text: String,
    /// How it was written (never [`UssdEncoding::Auto`]).
    pub encoding: UssdEncoding,
}

/// A `+CUSD` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ussd {
    /// `<m>`.
    pub status: UssdStatus,
    /// `<str>` as received, if present.
    pub raw: Option<String>,
    /// `<dcs>`, if present.
    pub dcs: Option<u8>,
}

impl Ussd {
    /// Reads one `+CUSD:` line (the URC, or a line of a response).
    pub fn parse_line(line: &str) -> Result<Ussd, ParseError> {
        let params = line.strip_prefix("+CUSD:").ok_or(ParseError {
            line: None,
            kind: ParseErrorKind::MissingLine { prefix: "+CUSD:" },
        })?;
        read(&Fields::parse(1, line, params)?)
    }

    /// The string decoded as `encoding` says; `None` if there is no string.
    /// A forced encoding that does not fit the string is an error; `Auto`
    /// never fails.
    pub fn decode(&self, encoding: UssdEncoding) -> Result<Option<UssdText>, ParseError> {
        let Some(raw) = self.raw.as_deref() else {
            return Ok(None);
        };
        let encoding = match encoding {
            UssdEncoding::Auto => guess(raw, self.dcs.map_or(CbsAlphabet::Gsm7, CbsAlphabet::of)),
            forced => forced,
        };
        let text = match encoding {
            UssdEncoding::Auto | UssdEncoding::Text => raw.to_owned(),
            UssdEncoding::PackedGsm7Hex => unpack_gsm7(&hex_octets(raw, "GSM 7-bit packed hex")?),
            UssdEncoding::Ucs2Hex => {
                let octets = hex_octets(raw, "UCS2 hex")?;
                if octets.len() % 2 != 0 {
                    return Err(bad_value(raw, "UCS2 hex (a multiple of 4 digits)"));
                }
                decode_ucs2(&octets)
            }
        };
        Ok(Some(UssdText { text, encoding }))
    }
}

impl fmt::Display for UssdStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.meaning() {
            Some(meaning) => write!(f, "{} ({meaning})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Reads the first `+CUSD:` line of a response (some modems answer
/// `AT+CUSD=1,...` with the result before `OK` instead of as a URC).
pub fn cusd<S: AsRef<str>>(lines: &[S]) -> Result<Ussd, ParseError> {
    let (number, line, params) = find_line(lines, "+CUSD:")?;
    read(&Fields::parse(number, line, params)?)
}

fn read(fields: &Fields<'_>) -> Result<Ussd, ParseError> {
    Ok(Ussd {
        status: UssdStatus(fields.number(0, "<m>", "a number 0-255")?),
        raw: fields.opt_text(1).map(str::to_owned),
        dcs: fields.opt_number(2, "<dcs>", "a number 0-255")?,
    })
}

fn guess(raw: &str, alphabet: CbsAlphabet) -> UssdEncoding {
    let is_hex = !raw.is_empty() && raw.len() % 2 == 0 && raw.bytes().all(|byte| byte.is_ascii_hexdigit());
    if !is_hex {
        return UssdEncoding::Text;
    }
    match alphabet {
        CbsAlphabet::Ucs2 | CbsAlphabet::Ucs2WithLanguage if raw.len() % 4 == 0 => UssdEncoding::Ucs2Hex,
        CbsAlphabet::Ucs2 | CbsAlphabet::Ucs2WithLanguage | CbsAlphabet::EightBit => UssdEncoding::Text,
        CbsAlphabet::Gsm7 | CbsAlphabet::Gsm7WithLanguage => {
            let octets = decode_hex(raw).unwrap_or_default();
            let ucs2 = raw.len() % 4 == 0 && plausible_ucs2(&octets);
            if raw.bytes().all(|byte| byte.is_ascii_digit()) {
                // Only `00xx` units make digits UCS2: "0031003200330034".
                if ucs2 && octets.iter().step_by(2).all(|&high| high == 0) {
                    UssdEncoding::Ucs2Hex
                } else {
                    UssdEncoding::Text
                }
            } else if ucs2 {
                UssdEncoding::Ucs2Hex
            } else if plausible_gsm7(&octets) {
                UssdEncoding::PackedGsm7Hex
            } else {
                UssdEncoding::Text
            }
        }
    }
}

fn plausible_ucs2(octets: &[u8]) -> bool {
    let units: Vec<u16> = octets
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect();
    let Some(&first) = units.first() else {
        return false;
    };
    let printable = units.iter().all(|&unit| {
        unit < 0x3000
            && char::from_u32(u32::from(unit)).is_some_and(|ch| !ch.is_control() || ch == '\n' || ch == '\r')
    });
    let some_latin1 = units.iter().any(|&unit| unit < 0x0100);
    let one_block = units.len() >= 2 && units.iter().all(|&unit| unit >> 8 == first >> 8);
    printable && (some_latin1 || one_block)
}

fn plausible_gsm7(octets: &[u8]) -> bool {
    let septets = unpack_septets(octets);
    if septets.is_empty() {
        return false;
    }
    let (text, anomalies) = Gsm7Tables::DEFAULT.decode(&septets);
    let odd = |ch: char| (ch.is_control() && ch != '\n' && ch != '\r') || "ΔΦΓΛΩΠΨΣΘΞ".contains(ch);
    anomalies.is_empty() && !text.chars().any(odd)
}

/// Unpacks every whole septet and drops the padding TS 23.038 clause
/// 6.1.2.3.1 puts in the last seven bits: a CR when the text fills all but
/// seven bits of the last octet. Some encoders leave those bits zero,
/// which reads as `@`; that is dropped too.
fn unpack_septets(octets: &[u8]) -> Vec<u8> {
    let count = octets.len() * 8 / 7;
    let mut septets = septets::unpack(octets, 0, count);
    if octets.len() % 7 == 0 && matches!(septets.last(), Some(0x0D | 0x00)) {
        septets.pop();
    }
    septets
}

fn unpack_gsm7(octets: &[u8]) -> String {
    Gsm7Tables::DEFAULT.decode(&unpack_septets(octets)).0
}

fn decode_ucs2(octets: &[u8]) -> String {
    let units = octets
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn hex_octets(raw: &str, expected: &'static str) -> Result<Vec<u8>, ParseError> {
    decode_hex(raw).map_err(|_| bad_value(raw, expected))
}

fn bad_value(raw: &str, expected: &'static str) -> ParseError {
    ParseError {
        line: None,
        kind: ParseErrorKind::BadValue {
            value: raw.to_owned(),
            expected,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(line: &str) -> UssdText {
        Ussd::parse_line(line)
            .unwrap()
            .decode(UssdEncoding::Auto)
            .unwrap()
            .unwrap()
    }

    /// The RouterOS manual's example (shared/seeds/routeros-tool-sms.txt):
    /// `+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03", 0` logged as
    /// "USSD: konta atlikums".
    #[test]
    fn routeros_example_is_packed_gsm7() {
        let ussd = Ussd::parse_line(r#"+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03", 0"#).unwrap();
        assert_eq!(ussd.status, UssdStatus(0));
        assert_eq!(ussd.dcs, Some(0));
        let decoded = ussd.decode(UssdEncoding::Auto).unwrap().unwrap();
        assert_eq!(decoded.text, "konta atlikums");
        assert_eq!(decoded.encoding, UssdEncoding::PackedGsm7Hex);
        let forced = ussd.decode(UssdEncoding::PackedGsm7Hex).unwrap().unwrap();
        assert_eq!(forced.text, "konta atlikums");
        // The same string with dcs 15, as most modems report it.
        assert_eq!(
            auto(r#"+CUSD: 0,"EBB79B1E0685E9ECF4BADE9E03",15"#).text,
            "konta atlikums"
        );
    }

    /// gammu getussd against the lab modem (notes, section 5.2).
    #[test]
    fn plain_text_stays_plain() {
        let decoded = auto(r#"+CUSD: 0,"Your balance is 10.00 EUR",15"#);
        assert_eq!(decoded.text, "Your balance is 10.00 EUR");
        assert_eq!(decoded.encoding, UssdEncoding::Text);
        assert_eq!(auto(r#"+CUSD: 0,"1234",15"#).text, "1234");
    }

    #[test]
    fn ucs2_by_dcs_and_by_shape() {
        // "Привет €" in UCS2, dcs 72 (0x48: general coding, UCS2).
        let by_dcs = auto(r#"+CUSD: 0,"041F04400438043204350442002020AC",72"#);
        assert_eq!(by_dcs.text, "Привет €");
        assert_eq!(by_dcs.encoding, UssdEncoding::Ucs2Hex);
        // The same from a modem in AT+CSCS="UCS2" reporting dcs 15.
        assert_eq!(auto(r#"+CUSD: 0,"041F04400438043204350442",15"#).text, "Привет");
        assert_eq!(auto(r#"+CUSD: 1,"0031003200330034",15"#).text, "1234");
    }

    /// TS 23.038 clause 6.1.2.3.1: seven characters leave seven spare bits,
    /// which carry CR so they are not read as `@`.
    #[test]
    fn cr_padding_is_dropped() {
        let septets = Gsm7Tables::DEFAULT.encode("balance\r").unwrap();
        let packed = sms_pdu::encode_hex(&septets::pack(&septets, 0));
        assert_eq!(packed.len(), 14);
        let ussd = Ussd {
            status: UssdStatus(0),
            raw: Some(packed),
            dcs: Some(15),
        };
        let decoded = ussd.decode(UssdEncoding::Auto).unwrap().unwrap();
        assert_eq!(decoded.text, "balance");
        assert_eq!(decoded.encoding, UssdEncoding::PackedGsm7Hex);
    }

    #[test]
    fn status_only_and_forced_errors() {
        let ussd = Ussd::parse_line("+CUSD: 2").unwrap();
        assert_eq!(ussd.status.meaning(), Some("USSD terminated by network"));
        assert_eq!(ussd.decode(UssdEncoding::Auto).unwrap(), None);
        let odd = Ussd::parse_line(r#"+CUSD: 0,"ABC",15"#).unwrap();
        assert_eq!(
            odd.decode(UssdEncoding::Ucs2Hex).unwrap_err().to_string(),
            r#""ABC" is not UCS2 hex"#
        );
        assert_eq!(odd.decode(UssdEncoding::Auto).unwrap().unwrap().text, "ABC");
        assert!(Ussd::parse_line("+CUSD: x").is_err());
        assert!(Ussd::parse_line("+CMTI: x").is_err());
        assert!(UssdStatus(1).expects_reply());
        assert_eq!(cusd(&["+CUSD: 0,\"ok\",15"]).unwrap().raw.as_deref(), Some("ok"));
    }

    /// TS 23.038 clause 5.
    #[test]
    fn cbs_alphabets() {
        let cases = [
            (0x00, CbsAlphabet::Gsm7),
            (0x0F, CbsAlphabet::Gsm7),
            (0x10, CbsAlphabet::Gsm7WithLanguage),
            (0x11, CbsAlphabet::Ucs2WithLanguage),
            (0x20, CbsAlphabet::Gsm7),
            (0x44, CbsAlphabet::EightBit),
            (0x48, CbsAlphabet::Ucs2),
            (0x4C, CbsAlphabet::Gsm7),
            (0x98, CbsAlphabet::Ucs2),
            (0xE0, CbsAlphabet::EightBit),
            (0xF0, CbsAlphabet::Gsm7),
            (0xF4, CbsAlphabet::EightBit),
        ];
        for (dcs, alphabet) in cases {
            assert_eq!(CbsAlphabet::of(dcs), alphabet, "dcs {dcs:#04x}");
        }
    }
}
