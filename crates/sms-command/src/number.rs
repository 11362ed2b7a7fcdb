//! Phone numbers in international form, from the configuration and from a
//! received message's originating address (TP-OA with its type of
//! address), so that the two can be compared.
//!
//! The configuration is written by a person: `+371 2000-0000` and
//! `0037120000000` are the same number. A sender's address is read
//! strictly, because it is what a spoofer controls: the type of address
//! decides, and the digits must be digits. An alphanumeric sender whose
//! text is `+37120000000` is a name, not that number; a national number
//! has no country code, so it matches nothing.

use std::fmt;

use sms_pdu::{Address, TypeOfNumber};

/// E.164: at most 15 digits, country code included.
const MAX_DIGITS: usize = 15;
/// The shortest number accepted (a country code and a few digits).
const MIN_DIGITS: usize = 3;

/// A number in international form: `+`, then 3 to 15 digits, the first
/// not 0 (a country code).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InternationalNumber(String);

/// Why a configured number is not an international number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("no country code: write the number with `+` (or `00`) and its country code, like +37120000000")]
    NoCountryCode,
    #[error("{0:?} is not allowed in a number (digits, spaces, `-`, `.`, `/`, `(`, `)`)")]
    BadCharacter(char),
    #[error("{0} digits: a number has 3 to 15 digits, country code included")]
    Length(usize),
    #[error("a country code does not start with 0")]
    LeadingZero,
}

/// Why a sender's address is not an international number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SenderError {
    #[error("an alphanumeric sender, not a number")]
    Alphanumeric,
    #[error("type of number {0:?}: not known to be international")]
    NotInternational(TypeOfNumber),
    #[error("type of number unknown and no `+` or `00` before the country code")]
    NoCountryCode,
    #[error("numbering plan {0}: not the telephone numbering plan")]
    NumberingPlan(u8),
    #[error("type of address {0:#04x} is invalid (bit 7 is clear)")]
    InvalidTypeOfAddress(u8),
    #[error("characters other than the digits 0-9")]
    NotDigits,
    #[error("{0} digits: a number has 3 to 15 digits, country code included")]
    Length(usize),
    #[error("a country code does not start with 0")]
    LeadingZero,
}

impl InternationalNumber {
    /// Reads a number as written in a configuration: `+` or `00`, then
    /// digits, which may be grouped with spaces, `-`, `.`, `/`, `(`, `)`.
    pub fn parse(text: &str) -> Result<InternationalNumber, NumberError> {
        let text = text.trim();
        let rest = text
            .strip_prefix('+')
            .or_else(|| text.strip_prefix("00"))
            .ok_or(NumberError::NoCountryCode)?;
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '/' | '(' | ')' => {}
                _ => return Err(NumberError::BadCharacter(c)),
            }
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(NumberError::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(NumberError::LeadingZero);
        }
        Ok(InternationalNumber(format!("+{digits}")))
    }

    /// The international number a sender's address stands for, read
    /// strictly:
    ///
    /// - type of number international (`0x91`): the digits, with or
    ///   without a `+` (modems in text mode print one);
    /// - type unknown (`0x81`): only after `+` or `00`, the international
    ///   prefix of most of the world;
    /// - numbering plan unknown (0) or ISDN/telephone (1) only;
    /// - alphanumeric, national and the other types: never.
    ///
    /// The digits are ASCII `0-9` only: no spaces, no `*#abc`, no other
    /// scripts' digits.
    pub fn from_sender(sender: &Address) -> Result<InternationalNumber, SenderError> {
        let toa = sender.toa;
        if toa.0 & 0x80 == 0 {
            return Err(SenderError::InvalidTypeOfAddress(toa.0));
        }
        let number = sender.number.as_str();
        let digits = match toa.type_of_number() {
            TypeOfNumber::Alphanumeric => return Err(SenderError::Alphanumeric),
            TypeOfNumber::International => number.strip_prefix('+').unwrap_or(number),
            TypeOfNumber::Unknown => number
                .strip_prefix('+')
                .or_else(|| number.strip_prefix("00"))
                .ok_or(SenderError::NoCountryCode)?,
            other => return Err(SenderError::NotInternational(other)),
        };
        if toa.numbering_plan() > 1 {
            return Err(SenderError::NumberingPlan(toa.numbering_plan()));
        }
        if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(SenderError::NotDigits);
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(SenderError::Length(digits.len()));
        }
        if digits.starts_with('0') {
            return Err(SenderError::LeadingZero);
        }
        Ok(InternationalNumber(format!("+{digits}")))
    }

    /// `+` and the digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InternationalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sms_pdu::TypeOfAddress;

    fn sender(number: &str, toa: u8) -> Result<InternationalNumber, SenderError> {
        InternationalNumber::from_sender(&Address {
            toa: TypeOfAddress(toa),
            number: number.to_owned(),
        })
    }

    fn number(text: &str) -> InternationalNumber {
        InternationalNumber::parse(text).unwrap()
    }

    #[test]
    fn configured_numbers_in_any_spelling() {
        for text in [
            "+37120000000",
            "+371 2000-0000",
            " +371 (2000) 00.00 ",
            "0037120000000",
            "00 371 2000 0000",
            "+371/20000000",
        ] {
            assert_eq!(number(text).as_str(), "+37120000000", "{text}");
        }
    }

    #[test]
    fn configured_numbers_refused() {
        assert_eq!(
            InternationalNumber::parse("37120000000"),
            Err(NumberError::NoCountryCode)
        );
        assert_eq!(
            InternationalNumber::parse("020000000"),
            Err(NumberError::NoCountryCode)
        );
        assert_eq!(InternationalNumber::parse(""), Err(NumberError::NoCountryCode));
        assert_eq!(
            InternationalNumber::parse("+371 2000x"),
            Err(NumberError::BadCharacter('x'))
        );
        assert_eq!(
            InternationalNumber::parse("+371*20"),
            Err(NumberError::BadCharacter('*'))
        );
        assert_eq!(
            InternationalNumber::parse("++37120"),
            Err(NumberError::BadCharacter('+'))
        );
        assert_eq!(InternationalNumber::parse("+37"), Err(NumberError::Length(2)));
        assert_eq!(
            InternationalNumber::parse("+3712000000000000"),
            Err(NumberError::Length(16))
        );
        assert_eq!(
            InternationalNumber::parse("+037120000000"),
            Err(NumberError::LeadingZero)
        );
        // `000...`: `00` then a country code of 0.
        assert_eq!(
            InternationalNumber::parse("00037120000000"),
            Err(NumberError::LeadingZero)
        );
    }

    #[test]
    fn senders_that_are_the_number() {
        let expected = Ok(number("+37120000000"));
        assert_eq!(sender("37120000000", 0x91), expected);
        assert_eq!(sender("+37120000000", 0x91), expected);
        assert_eq!(sender("+37120000000", 0x81), expected);
        assert_eq!(sender("0037120000000", 0x81), expected);
        // International with an unknown numbering plan.
        assert_eq!(sender("37120000000", 0x90), expected);
        assert_eq!(sender("+37120000000", 0x80), expected);
    }

    /// What a spoofer (or an odd network) can put in TP-OA.
    #[test]
    fn senders_that_are_not() {
        // An alphanumeric sender spelled like the number.
        assert_eq!(sender("+37120000000", 0xD0), Err(SenderError::Alphanumeric));
        assert_eq!(sender("37120000000", 0xD0), Err(SenderError::Alphanumeric));
        // No country code: national, subscriber, or unknown without prefix.
        assert_eq!(
            sender("37120000000", 0xA1),
            Err(SenderError::NotInternational(TypeOfNumber::National))
        );
        assert_eq!(
            sender("+37120000000", 0xC1),
            Err(SenderError::NotInternational(TypeOfNumber::Subscriber))
        );
        assert_eq!(
            sender("37120000000", 0xE1),
            Err(SenderError::NotInternational(TypeOfNumber::Abbreviated))
        );
        assert_eq!(sender("37120000000", 0x81), Err(SenderError::NoCountryCode));
        // Private numbering plan.
        assert_eq!(sender("37120000000", 0x99), Err(SenderError::NumberingPlan(9)));
        assert_eq!(
            sender("37120000000", 0x11),
            Err(SenderError::InvalidTypeOfAddress(0x11))
        );
        // Formatting a person would accept but a network never sends.
        for spoof in [
            "371 2000 0000",
            "371-20000000",
            "37120000000 ",
            "3712000000O",
            "37120000000#",
            "371200000a0",
            "++37120000000",
            "٣٧١٢٠٠٠٠٠٠٠",
            "３７１２００００００００",
            "37120000000\0",
        ] {
            assert_eq!(sender(spoof, 0x91), Err(SenderError::NotDigits), "{spoof:?}");
        }
        assert_eq!(sender("0037120000000", 0x91), Err(SenderError::LeadingZero));
        assert_eq!(sender("", 0x91), Err(SenderError::Length(0)));
        assert_eq!(sender("3712000000000000", 0x91), Err(SenderError::Length(16)));
    }

    proptest! {
        #[test]
        fn any_sender_is_read_without_panic(number in any::<String>(), toa in any::<u8>()) {
            if let Ok(parsed) = sender(&number, toa) {
                // Whatever is accepted is the canonical form of itself.
                prop_assert_eq!(InternationalNumber::parse(parsed.as_str()), Ok(parsed.clone()));
                prop_assert!(parsed.as_str().ends_with(number.trim_start_matches('+').trim_start_matches("00")));
            }
        }

        #[test]
        fn any_configured_number_is_read_without_panic(text in any::<String>()) {
            if let Ok(parsed) = InternationalNumber::parse(&text) {
                prop_assert_eq!(sender(parsed.as_str(), 0x91), Ok(parsed.clone()));
            }
        }
    }
}
