//! The recipient of an outgoing file (`To:`) and its type of address:
//! smstools3's `international_prefixes` and `national_prefixes`, overridden
//! by the file's `To_TOA:`.

use sms_pdu::{Address, TypeOfAddress};

/// A `To:` value: the digits, and how they were written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The digits (`0-9 * #`), without spaces, `s`, `+` or `00`.
    pub number: String,
    /// Written with smstools3's `s` prefix: a short number, type unknown.
    pub short: bool,
    /// Written with a leading `+` or `00` (the international access
    /// prefix): international, whatever the prefix lists say.
    pub plus: bool,
}

/// smstools3's `To_TOA:` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToToa {
    /// No type: the default for numbers written with `s`.
    Unknown,
    /// Starts with the country code: the default for other numbers.
    International,
    /// No country code.
    National,
}

impl ToToa {
    /// Reads a `To_TOA:` value (any case).
    pub fn parse(text: &str) -> Option<ToToa> {
        match text.to_ascii_lowercase().as_str() {
            "unknown" => Some(ToToa::Unknown),
            "international" => Some(ToToa::International),
            "national" => Some(ToToa::National),
            _ => None,
        }
    }

    fn toa(self) -> TypeOfAddress {
        match self {
            ToToa::Unknown => TypeOfAddress::UNKNOWN,
            ToToa::International => TypeOfAddress::INTERNATIONAL,
            ToToa::National => TypeOfAddress::NATIONAL,
        }
    }
}

/// The global settings `international_prefixes` and `national_prefixes` of
/// smsd.conf (comma-separated lists of leading digits).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumberingPolicy {
    /// When not empty, a number is international only if it starts with one
    /// of these, national otherwise.
    pub international_prefixes: Vec<String>,
    /// A number starting with one of these is national.
    pub national_prefixes: Vec<String>,
}

impl NumberingPolicy {
    /// Reads smsd.conf's comma-separated form, e.g. `358, 46,44`.
    pub fn prefix_list(text: &str) -> Vec<String> {
        text.split(',')
            .map(str::trim)
            .filter(|prefix| !prefix.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn type_of(&self, number: &str) -> ToToa {
        let matches = |prefixes: &[String]| prefixes.iter().any(|prefix| number.starts_with(prefix.as_str()));
        let mut toa = ToToa::International;
        if !self.international_prefixes.is_empty() && !matches(&self.international_prefixes) {
            toa = ToToa::National;
        }
        if matches(&self.national_prefixes) {
            toa = ToToa::National;
        }
        toa
    }
}

impl Recipient {
    /// Reads a `To:` value: digits in international format, perhaps
    /// grouped (`358 12 345 6789`, `+358 (40) 123-45.67`), or `s` and a
    /// short number.
    ///
    /// The clean-up, as smsd's: spaces, dashes, dots and parentheses are
    /// dropped; a leading `+` or `00` (the international access prefix,
    /// also after a `+`) is dropped and makes the number international.
    /// What is left must be digits (and `*`, `#`); letters or any other
    /// character make it no phone number (smsd: `No destination`).
    pub fn parse(text: &str) -> Result<Recipient, String> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '(' | ')'))
            .collect();
        let (short, rest) = match compact.strip_prefix('s') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        let (mut plus, mut digits) = match rest.strip_prefix('+') {
            Some(digits) if !short => (true, digits),
            _ => (false, rest),
        };
        if !short {
            if let Some(international) = digits.strip_prefix("00") {
                plus = true;
                digits = international;
            }
        }
        if let Some(bad) = digits.chars().find(|c| !matches!(c, '0'..='9' | '*' | '#')) {
            return Err(format!(
                "{text:?} is not a phone number: {bad:?} is not a digit (digits 0-9, * and #, \
                 optionally starting with + or s, grouped with spaces, dashes, dots or parentheses)"
            ));
        }
        // The TOA does not matter here: only the length is checked.
        Address::numeric(digits, TypeOfAddress::UNKNOWN).map_err(|_| {
            if digits.is_empty() {
                format!("{text:?} has no digits")
            } else {
                format!(
                    "{text:?} is not a phone number: {} digits, at most 20",
                    digits.len()
                )
            }
        })?;
        Ok(Recipient {
            number: digits.to_owned(),
            short,
            plus,
        })
    }

    /// The address to send to: `to_toa` when the file has one, else `Unknown`
    /// for a short number, `International` for one written with `+`, else as
    /// `policy` says.
    pub fn address(&self, to_toa: Option<ToToa>, policy: &NumberingPolicy) -> Address {
        let toa = match to_toa {
            Some(toa) => toa,
            None if self.short => ToToa::Unknown,
            None if self.plus => ToToa::International,
            None => policy.type_of(&self.number),
        };
        Address {
            toa: toa.toa(),
            number: self.number.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toa_of(to: &str, to_toa: Option<ToToa>, policy: &NumberingPolicy) -> TypeOfAddress {
        Recipient::parse(to).unwrap().address(to_toa, policy).toa
    }

    #[test]
    fn plain_numbers_are_international() {
        let address = Recipient::parse("491721234567")
            .unwrap()
            .address(None, &NumberingPolicy::default());
        assert_eq!(address.toa, TypeOfAddress::INTERNATIONAL);
        assert_eq!(address.number, "491721234567");
    }

    #[test]
    fn s_prefix_is_a_short_number_of_unknown_type() {
        let recipient = Recipient::parse("s12345").unwrap();
        assert!(recipient.short);
        assert_eq!(recipient.number, "12345");
        assert_eq!(
            toa_of("s12345", None, &NumberingPolicy::default()),
            TypeOfAddress::UNKNOWN
        );
    }

    #[test]
    fn grouped_format() {
        assert_eq!(
            Recipient::parse("358 12 345 6789").unwrap().number,
            "358123456789"
        );
    }

    #[test]
    fn plus_is_international_even_against_the_prefixes() {
        let policy = NumberingPolicy {
            international_prefixes: vec!["358".into()],
            ..NumberingPolicy::default()
        };
        assert_eq!(
            toa_of("+491721234567", None, &policy),
            TypeOfAddress::INTERNATIONAL
        );
    }

    /// `00` is the international access prefix: dropped, and the number is
    /// international under every prefix configuration (it went out as
    /// `+0049...`, or as national `00358...` with national prefixes).
    #[test]
    fn double_zero_is_the_international_access_prefix() {
        let configurations = [
            NumberingPolicy::default(),
            NumberingPolicy {
                international_prefixes: NumberingPolicy::prefix_list("358"),
                ..NumberingPolicy::default()
            },
            NumberingPolicy {
                national_prefixes: NumberingPolicy::prefix_list("0"),
                ..NumberingPolicy::default()
            },
        ];
        for policy in &configurations {
            for to in ["0049171234567", "+0049171234567", "00 49 171 234567"] {
                let address = Recipient::parse(to).unwrap().address(None, policy);
                assert_eq!(address.number, "49171234567", "{to} with {policy:?}");
                assert_eq!(address.toa, TypeOfAddress::INTERNATIONAL, "{to} with {policy:?}");
            }
            // A national number keeps its single zero.
            let national = Recipient::parse("0401234567").unwrap().address(None, policy);
            assert_eq!(national.number, "0401234567");
        }
        // A short number is sent as written.
        assert_eq!(Recipient::parse("s0012").unwrap().number, "0012");
    }

    #[test]
    fn separators_are_dropped() {
        for to in ["+358 40-123 4567", "(358) 40.123.4567", "358-40-1234567"] {
            let recipient = Recipient::parse(to).unwrap();
            assert_eq!(recipient.number, "358401234567", "{to}");
        }
        assert!(Recipient::parse("+358 40-123 4567").unwrap().plus);
    }

    #[test]
    fn letters_are_no_number() {
        for to in ["abc", "abc123", "358a", "12/34", "358_40"] {
            let err = Recipient::parse(to).unwrap_err();
            assert!(err.contains("is not a phone number"), "{to}: {err}");
        }
        assert_eq!(
            Recipient::parse("abc").unwrap_err(),
            "\"abc\" is not a phone number: 'a' is not a digit (digits 0-9, * and #, optionally \
             starting with + or s, grouped with spaces, dashes, dots or parentheses)"
        );
        assert_eq!(Recipient::parse("*100#").unwrap().number, "*100#");
    }

    #[test]
    fn bad_numbers() {
        assert!(Recipient::parse("").is_err());
        assert!(Recipient::parse("s").is_err());
        assert!(Recipient::parse("00").is_err());
        assert!(Recipient::parse("+").is_err());
        assert!(Recipient::parse("49 17x").is_err());
        assert!(Recipient::parse("123456789012345678901").is_err());
        assert!(Recipient::parse("12+3").is_err());
    }

    /// The seed's first example: `international_prefixes = 358,46,44`.
    #[test]
    fn international_prefixes() {
        let policy = NumberingPolicy {
            international_prefixes: NumberingPolicy::prefix_list("358,46,44"),
            ..NumberingPolicy::default()
        };
        assert_eq!(
            toa_of("358401234567", None, &policy),
            TypeOfAddress::INTERNATIONAL
        );
        assert_eq!(toa_of("441234567", None, &policy), TypeOfAddress::INTERNATIONAL);
        assert_eq!(toa_of("0401234567", None, &policy), TypeOfAddress::NATIONAL);
        assert_eq!(toa_of("491721234567", None, &policy), TypeOfAddress::NATIONAL);
        // "if SMS should be sent to Germany, it can be done with To_TOA: international".
        assert_eq!(
            toa_of("491721234567", Some(ToToa::International), &policy),
            TypeOfAddress::INTERNATIONAL
        );
    }

    /// The seed's second example: `national_prefixes = 04, 05`.
    #[test]
    fn national_prefixes() {
        let policy = NumberingPolicy {
            national_prefixes: NumberingPolicy::prefix_list("04, 05"),
            ..NumberingPolicy::default()
        };
        assert_eq!(toa_of("0401234567", None, &policy), TypeOfAddress::NATIONAL);
        assert_eq!(toa_of("0501234567", None, &policy), TypeOfAddress::NATIONAL);
        assert_eq!(
            toa_of("358401234567", None, &policy),
            TypeOfAddress::INTERNATIONAL
        );
        assert_eq!(toa_of("s16400", None, &policy), TypeOfAddress::UNKNOWN);
    }

    #[test]
    fn to_toa_overrides_everything() {
        let policy = NumberingPolicy {
            international_prefixes: vec!["358".into()],
            national_prefixes: vec!["0".into()],
        };
        assert_eq!(
            toa_of("s16400", Some(ToToa::National), &policy),
            TypeOfAddress::NATIONAL
        );
        assert_eq!(
            toa_of("0401234567", Some(ToToa::Unknown), &policy),
            TypeOfAddress::UNKNOWN
        );
        assert_eq!(
            toa_of("0401234567", Some(ToToa::International), &policy),
            TypeOfAddress::INTERNATIONAL
        );
    }

    #[test]
    fn to_toa_values() {
        assert_eq!(ToToa::parse("Unknown"), Some(ToToa::Unknown));
        assert_eq!(ToToa::parse("international"), Some(ToToa::International));
        assert_eq!(ToToa::parse("NATIONAL"), Some(ToToa::National));
        assert_eq!(ToToa::parse("intl"), None);
    }
}
