//! Addresses: TP-OA, TP-DA, TP-RA (3GPP TS 23.040 9.1.2.5) and the SMSC
//! address that modems print before a TPDU (TS 24.011 8.2.5.1).

use std::fmt;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, FieldName, Warning};
use crate::gsm7::Gsm7Tables;
use crate::reader::Reader;
use crate::septets;

/// TS 23.040 9.1.2.5: a TP address holds at most 20 semi-octets.
pub const MAX_ADDRESS_DIGITS: usize = 20;

/// The type-of-address octet: type of number (bits 6-4) and numbering plan
/// identification (bits 3-0). Bit 7 is always set on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeOfAddress(pub u8);

impl TypeOfAddress {
    /// Unknown type of number, ISDN/telephone numbering plan (0x81).
    pub const UNKNOWN: TypeOfAddress = TypeOfAddress(0x81);
    /// International number, ISDN/telephone numbering plan (0x91).
    pub const INTERNATIONAL: TypeOfAddress = TypeOfAddress(0x91);
    /// National number, ISDN/telephone numbering plan (0xA1).
    pub const NATIONAL: TypeOfAddress = TypeOfAddress(0xA1);
    /// Alphanumeric address, GSM 7-bit packed (0xD0).
    pub const ALPHANUMERIC: TypeOfAddress = TypeOfAddress(0xD0);

    /// The type of number field.
    pub fn type_of_number(self) -> TypeOfNumber {
        match (self.0 >> 4) & 0x07 {
            0 => TypeOfNumber::Unknown,
            1 => TypeOfNumber::International,
            2 => TypeOfNumber::National,
            3 => TypeOfNumber::NetworkSpecific,
            4 => TypeOfNumber::Subscriber,
            5 => TypeOfNumber::Alphanumeric,
            6 => TypeOfNumber::Abbreviated,
            _ => TypeOfNumber::Reserved,
        }
    }

    /// The numbering plan identification, bits 3-0.
    pub fn numbering_plan(self) -> u8 {
        self.0 & 0x0F
    }

    /// The text smstools3 writes in `From_TOA:`, e.g.
    /// `91 international, ISDN/telephone`.
    ///
    /// smstools3 spells "subsciber" so, and when the numbering plan is one it
    /// has no name for it repeats the type-of-number word; both are kept so
    /// that scripts parsing the header see the same bytes.
    pub fn smstools_description(self) -> String {
        let ton = match self.type_of_number() {
            TypeOfNumber::Unknown => "unknown",
            TypeOfNumber::International => "international",
            TypeOfNumber::National => "national",
            TypeOfNumber::NetworkSpecific => "network specific",
            TypeOfNumber::Subscriber => "subsciber",
            TypeOfNumber::Alphanumeric => "alphanumeric",
            TypeOfNumber::Abbreviated => "abbreviated",
            TypeOfNumber::Reserved => "reserved",
        };
        let npi = match self.numbering_plan() {
            0 => "unknown",
            1 => "ISDN/telephone",
            3 => "data",
            4 => "telex",
            8 => "national",
            9 => "private",
            10 => "ERMES",
            _ => ton,
        };
        format!("{:02X} {ton}, {npi}", self.0)
    }
}

/// TS 23.040 9.1.2.5 type of number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeOfNumber {
    /// 000
    Unknown,
    /// 001: the number starts with the country code.
    International,
    /// 010: the number has no country code.
    National,
    /// 011
    NetworkSpecific,
    /// 100
    Subscriber,
    /// 101: text packed in GSM 7-bit.
    Alphanumeric,
    /// 110
    Abbreviated,
    /// 111
    Reserved,
}

/// A phone number or alphanumeric name with its type of address.
///
/// `number` holds the digits as written on the wire, without a `+`: the
/// type of address says whether it is international. Digits are `0-9`, `*`,
/// `#`, `a`, `b`, `c`. For an alphanumeric address it is the decoded text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    /// The type-of-address octet.
    pub toa: TypeOfAddress,
    /// The digits, or the text of an alphanumeric address.
    pub number: String,
}

impl Address {
    /// Parses a number as a user types it, with RouterOS's rules: the
    /// characters `0123456789*#abc` and spaces (which are dropped); a leading
    /// `+` makes the number international, otherwise its type is unknown.
    pub fn parse_phone(text: &str) -> Result<Address, EncodeError> {
        let (toa, rest) = match text.trim().strip_prefix('+') {
            Some(rest) => (TypeOfAddress::INTERNATIONAL, rest),
            None => (TypeOfAddress::UNKNOWN, text.trim()),
        };
        let number: String = rest.chars().filter(|&c| c != ' ').collect();
        Address::with_toa(&number, toa).map_err(|reason| EncodeError::BadAddress {
            number: text.to_owned(),
            reason,
        })
    }

    /// A numeric address of the given type, checking the digits.
    pub fn numeric(number: &str, toa: TypeOfAddress) -> Result<Address, EncodeError> {
        Address::with_toa(number, toa).map_err(|reason| EncodeError::BadAddress {
            number: number.to_owned(),
            reason,
        })
    }

    fn with_toa(number: &str, toa: TypeOfAddress) -> Result<Address, &'static str> {
        if number.is_empty() {
            return Err("no digits");
        }
        if let Some(bad) = number.chars().find(|&c| semi_octet_of(c).is_none()) {
            return Err(if bad == '+' {
                "'+' is allowed only at the start"
            } else {
                "only the characters 0-9 * # a b c are allowed"
            });
        }
        if number.len() > MAX_ADDRESS_DIGITS {
            return Err("more than 20 digits");
        }
        Ok(Address {
            toa,
            number: number.to_owned(),
        })
    }

    /// An alphanumeric address (a sender name such as `BANKINFO`): at most
    /// 11 characters of the GSM 7-bit default alphabet.
    pub fn alphanumeric(text: &str) -> Result<Address, EncodeError> {
        let bad = |reason| EncodeError::BadAddress {
            number: text.to_owned(),
            reason,
        };
        let septet_count = Gsm7Tables::DEFAULT
            .septet_count(text)
            .map_err(|_| bad("not in the GSM 7-bit default alphabet"))?;
        if septet_count == 0 {
            return Err(bad("empty"));
        }
        if septet_count * 7 > MAX_ADDRESS_DIGITS * 4 {
            return Err(bad("longer than 11 GSM characters"));
        }
        Ok(Address {
            toa: TypeOfAddress::ALPHANUMERIC,
            number: text.to_owned(),
        })
    }

    /// Whether the number is of international type.
    pub fn is_international(&self) -> bool {
        self.toa.type_of_number() == TypeOfNumber::International
    }

    fn is_alphanumeric(&self) -> bool {
        self.toa.type_of_number() == TypeOfNumber::Alphanumeric
    }

    /// Encodes a TP address: length in semi-octets, type, digits.
    pub(crate) fn encode_tp(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.is_alphanumeric() {
            let septet_values = Gsm7Tables::DEFAULT.encode(&self.number)?;
            let packed = septets::pack(&septet_values, 0);
            let semi_octets = (septet_values.len() * 7).div_ceil(4);
            if semi_octets > MAX_ADDRESS_DIGITS {
                return Err(self.bad("longer than 11 GSM characters"));
            }
            out.push(semi_octets as u8);
            out.push(self.toa.0);
            out.extend_from_slice(&packed);
            return Ok(());
        }
        if self.number.len() > MAX_ADDRESS_DIGITS {
            return Err(self.bad("more than 20 digits"));
        }
        out.push(self.number.len() as u8);
        out.push(self.toa.0);
        self.encode_digits(out)
    }

    /// Encodes an SMSC address: length in octets (type included), type,
    /// digits.
    pub(crate) fn encode_smsc(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.number.len() > MAX_ADDRESS_DIGITS {
            return Err(self.bad("more than 20 digits"));
        }
        out.push(1 + self.number.len().div_ceil(2) as u8);
        out.push(self.toa.0);
        self.encode_digits(out)
    }

    fn encode_digits(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut digits = self.number.chars();
        loop {
            let Some(low) = digits.next() else {
                return Ok(());
            };
            let low = semi_octet_of(low).ok_or_else(|| self.bad("only 0-9 * # a b c"))?;
            let high = match digits.next() {
                Some(c) => semi_octet_of(c).ok_or_else(|| self.bad("only 0-9 * # a b c"))?,
                None => 0x0F,
            };
            out.push(low | (high << 4));
        }
    }

    fn bad(&self, reason: &'static str) -> EncodeError {
        EncodeError::BadAddress {
            number: self.number.clone(),
            reason,
        }
    }

    /// Decodes a TP address.
    pub(crate) fn decode_tp(
        reader: &mut Reader<'_>,
        field: FieldName,
        warnings: &mut Vec<Warning>,
    ) -> Result<Address, DecodeError> {
        let start = reader.offset();
        let semi_octets = usize::from(reader.u8(field)?);
        if semi_octets > MAX_ADDRESS_DIGITS {
            return Err(DecodeError::at(
                start,
                field,
                DecodeErrorKind::BadLength {
                    value: semi_octets,
                    max: MAX_ADDRESS_DIGITS,
                },
            ));
        }
        let toa = TypeOfAddress(reader.u8(field)?);
        check_toa_bit7(toa, start + 1, field, warnings);
        let octets = reader.take(semi_octets.div_ceil(2), field)?;
        if toa.type_of_number() == TypeOfNumber::Alphanumeric {
            let septet_values = septets::unpack(octets, 0, semi_octets * 4 / 7);
            let (number, anomalies) = Gsm7Tables::DEFAULT.decode(&septet_values);
            if !anomalies.is_empty() {
                warnings.push(Warning::at(
                    start + 2,
                    field,
                    "odd septets in alphanumeric address",
                ));
            }
            return Ok(Address { toa, number });
        }
        let number = decode_digits(octets, semi_octets, start + 2, field, warnings);
        Ok(Address { toa, number })
    }

    /// Decodes an SMSC address; `None` when its length octet is 0.
    pub(crate) fn decode_smsc(
        reader: &mut Reader<'_>,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<Address>, DecodeError> {
        const FIELD: FieldName = "SMSC address";
        let start = reader.offset();
        let octet_count = usize::from(reader.u8(FIELD)?);
        if octet_count == 0 {
            return Ok(None);
        }
        if octet_count > 1 + MAX_ADDRESS_DIGITS / 2 {
            return Err(DecodeError::at(
                start,
                FIELD,
                DecodeErrorKind::BadLength {
                    value: octet_count,
                    max: 1 + MAX_ADDRESS_DIGITS / 2,
                },
            ));
        }
        let toa = TypeOfAddress(reader.u8(FIELD)?);
        check_toa_bit7(toa, start + 1, FIELD, warnings);
        let octets = reader.take(octet_count - 1, FIELD)?;
        // The useful length is not given: a trailing F filler marks an odd
        // count of digits.
        let mut semi_octets = octets.len() * 2;
        if octets.last().is_some_and(|&last| last >> 4 == 0x0F) {
            semi_octets -= 1;
        }
        let number = decode_digits(octets, semi_octets, start + 2, FIELD, warnings);
        Ok(Some(Address { toa, number }))
    }
}

impl fmt::Display for Address {
    /// International numbers get a `+`, others print as they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_international() {
            write!(f, "+{}", self.number)
        } else {
            f.write_str(&self.number)
        }
    }
}

/// Encodes an absent SMSC address: a lone length octet of 0, meaning "use
/// the SMSC stored in the modem".
pub(crate) fn encode_smsc(smsc: Option<&Address>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match smsc {
        Some(address) => address.encode_smsc(out),
        None => {
            out.push(0);
            Ok(())
        }
    }
}

fn check_toa_bit7(toa: TypeOfAddress, offset: usize, field: FieldName, warnings: &mut Vec<Warning>) {
    if toa.0 & 0x80 == 0 {
        warnings.push(Warning::at(
            offset,
            field,
            "bit 7 of the type of address is not set",
        ));
    }
}

fn decode_digits(
    octets: &[u8],
    semi_octets: usize,
    offset: usize,
    field: FieldName,
    warnings: &mut Vec<Warning>,
) -> String {
    let mut number = String::with_capacity(semi_octets);
    let mut filler_inside = false;
    for idx in 0..semi_octets {
        let octet = octets[idx / 2];
        let nibble = if idx % 2 == 0 { octet & 0x0F } else { octet >> 4 };
        match char_of_semi_octet(nibble) {
            Some(c) => number.push(c),
            None => filler_inside = true,
        }
    }
    if filler_inside {
        warnings.push(Warning::at(
            offset,
            field,
            "filler semi-octet F inside the number, skipped",
        ));
    }
    // TS 23.040 9.1.2.3: an odd number of digits is padded with F; smstools3
    // reports other padding too.
    if semi_octets % 2 == 1 && octets.get(semi_octets / 2).is_some_and(|&last| last >> 4 != 0x0F) {
        warnings.push(Warning::at(
            offset,
            field,
            "odd number of digits not padded with F",
        ));
    }
    number
}

fn semi_octet_of(c: char) -> Option<u8> {
    Some(match c {
        '0'..='9' => c as u8 - b'0',
        '*' => 0x0A,
        '#' => 0x0B,
        'a' => 0x0C,
        'b' => 0x0D,
        'c' => 0x0E,
        _ => return None,
    })
}

fn char_of_semi_octet(nibble: u8) -> Option<char> {
    Some(match nibble {
        0..=9 => (b'0' + nibble) as char,
        0x0A => '*',
        0x0B => '#',
        0x0C => 'a',
        0x0D => 'b',
        0x0E => 'c',
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
