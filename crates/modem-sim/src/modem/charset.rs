//! `AT+CSCS`, the character set of strings between client and modem
//! (3GPP TS 27.007 5.5), as applied to USSD strings and to the strings a
//! client types.
//!
//! gammu runs in `"HEX"` and switches to `"UCS2"` for USSD
//! (`AT+CUSD=1,"002A0031003000300023",15`); python-gsmmodem uses `"GSM"`.
//! `"GSM"` and `"IRA"` are taken as ASCII here: real clients only type
//! ASCII in them, and the GSM alphabet's few differences (`@` is 0x00)
//! would only garble what they type.

use sms_pdu::{decode_hex, encode_hex, Gsm7Tables};

/// A character set of `+CSCS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Charset {
    /// `"GSM"`, the power-up default.
    #[default]
    Gsm,
    /// `"IRA"`, international reference alphabet (ASCII).
    Ira,
    /// `"UCS2"`: UTF-16BE as hex, four digits a character.
    Ucs2,
    /// `"HEX"`: GSM 7-bit septets, unpacked, as hex, two digits each.
    Hex,
    /// `"8859-1"`, Latin-1.
    Latin1,
}

impl Charset {
    pub(crate) const ALL: [Charset; 5] = [
        Charset::Gsm,
        Charset::Ira,
        Charset::Ucs2,
        Charset::Hex,
        Charset::Latin1,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Charset::Gsm => "GSM",
            Charset::Ira => "IRA",
            Charset::Ucs2 => "UCS2",
            Charset::Hex => "HEX",
            Charset::Latin1 => "8859-1",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Charset> {
        Charset::ALL
            .into_iter()
            .find(|charset| charset.name().eq_ignore_ascii_case(name))
    }

    /// The text of a string the client typed in this character set; `None`
    /// when it is not valid in it. The line arrives as Latin-1 characters,
    /// one per byte (see `command::latin1`).
    pub(crate) fn decode(self, typed: &str) -> Option<String> {
        match self {
            Charset::Gsm | Charset::Ira | Charset::Latin1 => Some(typed.to_owned()),
            Charset::Ucs2 => {
                let octets = decode_hex(typed).ok()?;
                if octets.len() % 2 != 0 {
                    return None;
                }
                let units = octets
                    .chunks_exact(2)
                    .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
                char::decode_utf16(units).collect::<Result<String, _>>().ok()
            }
            Charset::Hex => {
                let septets = decode_hex(typed).ok()?;
                if septets.iter().any(|&septet| septet > 0x7F) {
                    return None;
                }
                let (text, anomalies) = Gsm7Tables::DEFAULT.decode(&septets);
                anomalies.is_empty().then_some(text)
            }
        }
    }

    /// Like [`Charset::decode`], but a string that is not valid in the
    /// character set is taken as typed: clients in `"HEX"` or `"UCS2"` mode
    /// still type numbers and memory names plainly (gammu's
    /// `AT+CSCS="HEX"` itself is one).
    pub(crate) fn decode_lenient(self, typed: &str) -> String {
        self.decode(typed).unwrap_or_else(|| typed.to_owned())
    }

    /// `text` written for the client in this character set. Text that the
    /// set cannot carry makes `None`; the caller then falls back to UCS2
    /// (USSD with DCS 72).
    pub(crate) fn encode(self, text: &str) -> Option<String> {
        match self {
            Charset::Gsm | Charset::Ira => {
                let fits = Gsm7Tables::DEFAULT.septet_count(text).is_ok() && text.is_ascii();
                fits.then(|| text.to_owned())
            }
            Charset::Latin1 => text
                .chars()
                .all(|ch| u32::from(ch) <= 0xFF)
                .then(|| text.to_owned()),
            Charset::Ucs2 => Some(ucs2_hex(text)),
            Charset::Hex => Gsm7Tables::DEFAULT
                .encode(text)
                .ok()
                .map(|septets| encode_hex(&septets)),
        }
    }
}

/// UTF-16BE as hex digits, the `"UCS2"` form.
pub(crate) fn ucs2_hex(text: &str) -> String {
    let octets: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    encode_hex(&octets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gammu_ussd_request_in_ucs2() {
        assert_eq!(
            Charset::Ucs2.decode("002A0031003000300023").as_deref(),
            Some("*100#")
        );
        assert_eq!(Charset::Ucs2.decode("002A003"), None);
        assert_eq!(Charset::Ucs2.decode("D800"), None);
    }

    #[test]
    fn hex_is_unpacked_gsm_septets() {
        assert_eq!(Charset::Hex.encode("*100#@").as_deref(), Some("2A3130302300"));
        assert_eq!(Charset::Hex.decode("2A3130302300").as_deref(), Some("*100#@"));
        assert_eq!(Charset::Hex.encode("€").as_deref(), Some("1B65"));
        assert_eq!(Charset::Hex.decode("FF"), None);
        assert_eq!(Charset::Hex.encode("Привет"), None);
    }

    #[test]
    fn plain_sets() {
        assert_eq!(
            Charset::Gsm.encode("Your balance").as_deref(),
            Some("Your balance")
        );
        assert_eq!(Charset::Ira.encode("Привет"), None);
        assert_eq!(Charset::Latin1.encode("café").as_deref(), Some("café"));
        assert_eq!(Charset::Ucs2.encode("A€").as_deref(), Some("004120AC"));
        assert_eq!(Charset::Hex.decode_lenient("+15555550000"), "+15555550000");
    }

    #[test]
    fn names() {
        assert_eq!(Charset::from_name("ucs2"), Some(Charset::Ucs2));
        assert_eq!(Charset::from_name("8859-1"), Some(Charset::Latin1));
        assert_eq!(Charset::from_name("UTF-8"), None);
    }
}
