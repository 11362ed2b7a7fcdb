//! TP-VP, the validity period of an SMS-SUBMIT (3GPP TS 23.040 9.2.3.12),
//! and smstools3's `Validity:` header values.

use crate::timestamp::Timestamp;

/// A validity period in one of the three formats TP-VPF can announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValidityPeriod {
    /// Relative format (9.2.3.12.1): one octet, see [`relative_minutes`].
    Relative(u8),
    /// Absolute format (9.2.3.12.2): the time the message expires.
    Absolute(Timestamp),
    /// Enhanced format (9.2.3.12.3): seven octets, kept as received.
    Enhanced([u8; 7]),
}

impl ValidityPeriod {
    /// The TP-VPF bits (4-3) of the first octet that announce this format.
    pub(crate) fn format_bits(&self) -> u8 {
        match self {
            ValidityPeriod::Relative(_) => 0b10 << 3,
            ValidityPeriod::Enhanced(_) => 0b01 << 3,
            ValidityPeriod::Absolute(_) => 0b11 << 3,
        }
    }

    /// A short human description, e.g. `relative 167 (1 day)`.
    pub fn describe(&self) -> String {
        match self {
            ValidityPeriod::Relative(value) => {
                format!(
                    "relative {value} ({})",
                    describe_minutes(relative_minutes(*value))
                )
            }
            ValidityPeriod::Absolute(timestamp) => format!("until {timestamp}"),
            ValidityPeriod::Enhanced(octets) => match enhanced_seconds(octets) {
                Some(seconds) => format!("enhanced ({seconds} s)"),
                None => "enhanced (no period or reserved format)".to_owned(),
            },
        }
    }
}

/// The length of a relative validity period value (TS 23.040 9.2.3.12.1).
pub fn relative_minutes(value: u8) -> u32 {
    let value = u32::from(value);
    match value {
        0..=143 => (value + 1) * 5,
        144..=167 => 12 * 60 + (value - 143) * 30,
        168..=196 => (value - 166) * 24 * 60,
        _ => (value - 192) * 7 * 24 * 60,
    }
}

/// The longest relative value not longer than `minutes` (rounded down, as
/// smstools3 does); 5 minutes is the shortest period there is.
pub fn relative_from_minutes(minutes: u32) -> u8 {
    const HOUR: u32 = 60;
    const DAY: u32 = 24 * HOUR;
    const WEEK: u32 = 7 * DAY;
    let value = if minutes < 10 {
        0
    } else if minutes <= 12 * HOUR {
        minutes / 5 - 1
    } else if minutes < DAY {
        143 + (minutes - 12 * HOUR) / 30
    } else if minutes < 5 * WEEK {
        (166 + minutes / DAY).min(196)
    } else {
        (192 + minutes / WEEK).min(255)
    };
    value as u8
}

/// Seconds of an enhanced validity period, when its format has a length
/// (TS 23.040 9.2.3.12.3: relative, relative in seconds, or hh:mm:ss).
pub fn enhanced_seconds(octets: &[u8; 7]) -> Option<u32> {
    let functionality = octets[0];
    // Bit 7 of the functionality indicator extends it by one more octet.
    let body = if functionality & 0x80 != 0 {
        &octets[2..]
    } else {
        &octets[1..]
    };
    match functionality & 0x07 {
        0b001 => Some(relative_minutes(body[0]) * 60),
        0b010 => Some(u32::from(body[0])),
        0b011 => {
            let digit = |octet: u8| {
                let (tens, units) = (octet & 0x0F, octet >> 4);
                (tens <= 9 && units <= 9).then_some(u32::from(tens * 10 + units))
            };
            Some(digit(body[0])? * 3600 + digit(body[1])? * 60 + digit(body[2])?)
        }
        _ => None,
    }
}

/// Why a `Validity:` value was not understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is neither 0-255 nor a period like \"2 days\" (min, hour, day, week, month, year)")]
pub struct ValidityParseError {
    /// The value as written.
    pub value: String,
}

/// Reads a smstools3 `Validity:` value: a raw relative value 0-255, or a
/// count and one of `min`, `hour`, `day`, `week`, `month`, `year` (plurals
/// and no space allowed), rounded down to the nearest relative value.
pub fn parse_smstools_validity(text: &str) -> Result<u8, ValidityParseError> {
    let error = || ValidityParseError {
        value: text.to_owned(),
    };
    let text = text.trim();
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    if digits_end == 0 {
        return Err(error());
    }
    let count: u32 = text[..digits_end].parse().map_err(|_| error())?;
    let unit = text[digits_end..].trim().to_ascii_lowercase();
    if unit.is_empty() {
        return u8::try_from(count).map_err(|_| error());
    }
    let unit = unit.strip_suffix('s').unwrap_or(&unit);
    let unit_minutes: u32 = match unit {
        "min" | "minute" => 1,
        "hour" => 60,
        "day" => 24 * 60,
        "week" => 7 * 24 * 60,
        "month" => 30 * 24 * 60,
        "year" => 365 * 24 * 60,
        _ => return Err(error()),
    };
    Ok(relative_from_minutes(count.saturating_mul(unit_minutes)))
}

/// Reads a `Validity:` header of a spool file exactly as smsd 3.1.21
/// (`parse_validity` in `smsd_cfg.c`): a number 0-255 alone is the raw
/// value; a unit keyword alone counts one (`week` is `1 week`); else a
/// count and a unit written after it (`2 days`, `3hours`; matched as a
/// substring, lowercase only), converted step by step through smaller and
/// larger units as smsd does (`1 month` is 30 days). `None` for
/// what smsd does not understand, which it ignores (the configured
/// validity stays).
pub fn smsd_validity(text: &str) -> Option<u8> {
    let trimmed = text.trim_matches(|c: char| c == ' ' || c == '\t' || c.is_ascii_control());
    if trimmed.is_empty() {
        return None;
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.bytes().all(|byte| byte.is_ascii_digit()) {
        return lower
            .parse::<u32>()
            .ok()
            .and_then(|value| u8::try_from(value).ok());
    }
    // smsd looks the first word up in its list of keywords; a word found
    // there (even a part of one) counts one of it.
    let first_word = lower.split([' ', '\t']).next().unwrap_or_default();
    let mut buffer = if "min hour day week month year".contains(first_word) {
        format!("1 {first_word}")
    } else {
        trimmed.to_owned()
    };
    // smsd loops while atoi() of the buffer is positive; every step either
    // ends or moves to another unit, and each unit is visited a bounded
    // number of times, so this ends (the bound is a guard only).
    for _ in 0..16 {
        let count = leading_number(&buffer);
        if count <= 0 {
            return None;
        }
        if buffer.contains("min") {
            if count <= 720 {
                let value = if count % 5 != 0 { count / 5 } else { count / 5 - 1 };
                return u8::try_from(value).ok();
            }
            buffer = format!("{} hour", count / 60);
            continue;
        }
        if buffer.contains("hour") {
            if count <= 12 {
                buffer = format!("{} min", count * 60);
                continue;
            }
            if count <= 24 {
                return u8::try_from((count - 12) * 2 + 143).ok();
            }
            buffer = format!("{} day", count / 24);
            continue;
        }
        if buffer.contains("day") {
            if count < 2 {
                buffer = "24 hour".to_owned();
                continue;
            }
            if count <= 34 {
                return u8::try_from(count.min(30) + 166).ok();
            }
            buffer = format!("{} week", count / 7);
            continue;
        }
        if buffer.contains("week") {
            if count < 5 {
                buffer = format!("{} day", count * 7);
                continue;
            }
            if count <= 63 {
                return u8::try_from(count + 192).ok();
            }
            buffer = format!("{} month", count / 4);
            continue;
        }
        if buffer.contains("month") {
            buffer = format!("{} day", count * 30);
            continue;
        }
        if buffer.contains("year") {
            if count == 1 {
                buffer = "52 week".to_owned();
                continue;
            }
            return Some(255);
        }
        return None;
    }
    None
}

/// C's `atoi`: optional blanks, an optional sign, digits; 0 when none.
fn leading_number(text: &str) -> i64 {
    let text = text.trim_start_matches([' ', '\t']);
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end]
        .get(..end.min(12))
        .and_then(|number| number.parse::<i64>().ok())
        .map_or(0, |number| sign * number)
}

fn describe_minutes(minutes: u32) -> String {
    const DAY: u32 = 24 * 60;
    let (count, unit) = if minutes % (7 * DAY) == 0 {
        (minutes / (7 * DAY), "week")
    } else if minutes % DAY == 0 {
        (minutes / DAY, "day")
    } else if minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TS 23.040 9.2.3.12.1, the ends of each range.
    #[test]
    fn relative_ranges() {
        let cases = [
            (0, 5),
            (143, 720),
            (144, 750),
            (167, 1440),
            (168, 2 * 1440),
            (196, 30 * 1440),
            (197, 5 * 7 * 1440),
            (255, 63 * 7 * 1440),
        ];
        for (value, minutes) in cases {
            assert_eq!(relative_minutes(value), minutes, "value {value}");
            assert_eq!(relative_from_minutes(minutes), value, "minutes {minutes}");
        }
    }

    #[test]
    fn rounding_down_never_exceeds_the_request() {
        for minutes in (5..700_000).step_by(7) {
            let value = relative_from_minutes(minutes);
            assert!(relative_minutes(value) <= minutes, "{minutes} -> {value}");
            if value < 255 {
                assert!(
                    relative_minutes(value + 1) > minutes,
                    "{minutes} -> {value} is not the largest"
                );
            }
        }
    }

    #[test]
    fn smstools_keywords() {
        let cases = [
            ("167", 167),
            ("0", 0),
            ("255", 255),
            ("5 min", 0),
            ("30min", 5),
            ("1 hour", 11),
            ("12 hours", 143),
            ("13 hour", 145),
            ("1 day", 167),
            ("2 days", 168),
            ("30 days", 196),
            ("1 week", 173),
            ("5 weeks", 197),
            ("1 month", 196),
            ("2 months", 200),
            ("1 year", 244),
            ("3 years", 255),
        ];
        for (text, value) in cases {
            assert_eq!(parse_smstools_validity(text), Ok(value), "{text}");
        }
        for text in ["", "256", "3 fortnights", "week", "-1", "1.5 days"] {
            assert!(parse_smstools_validity(text).is_err(), "{text}");
        }
        assert_eq!(
            parse_smstools_validity("3 fortnights").unwrap_err().to_string(),
            "\"3 fortnights\" is neither 0-255 nor a period like \"2 days\" (min, hour, day, week, month, year)"
        );
    }

    /// smsd 3.1.21's `parse_validity`, value by value (the differential
    /// corpus checks some of them against the real smsd).
    #[test]
    fn smsd_validity_values() {
        let cases = [
            ("167", Some(167)),
            ("0", Some(0)),
            ("255", Some(255)),
            ("256", None),
            ("week", Some(173)),
            ("day", Some(167)),
            ("hour", Some(11)),
            ("min", Some(0)),
            ("month", Some(196)),
            ("year", Some(244)),
            ("Week", Some(173)),
            ("5 min", Some(0)),
            ("7 min", Some(1)),
            ("30min", Some(5)),
            ("3hours", Some(35)),
            ("12 hours", Some(143)),
            ("13 hour", Some(145)),
            ("1 day", Some(167)),
            ("2 days", Some(168)),
            ("30 days", Some(196)),
            ("34 days", Some(196)),
            ("35 days", Some(197)),
            ("1 week", Some(173)),
            ("5 weeks", Some(197)),
            ("1 month", Some(196)),
            ("2 months", Some(200)),
            ("1 year", Some(244)),
            ("3 years", Some(255)),
            ("soon", None),
            ("", None),
            ("-1", None),
            ("3 fortnights", None),
        ];
        for (text, value) in cases {
            assert_eq!(smsd_validity(text), value, "{text:?}");
        }
    }

    #[test]
    fn enhanced_formats() {
        assert_eq!(enhanced_seconds(&[0x01, 167, 0, 0, 0, 0, 0]), Some(86_400));
        assert_eq!(enhanced_seconds(&[0x02, 90, 0, 0, 0, 0, 0]), Some(90));
        // 01:30:15 as swapped BCD.
        assert_eq!(enhanced_seconds(&[0x03, 0x10, 0x03, 0x51, 0, 0, 0]), Some(5415));
        assert_eq!(enhanced_seconds(&[0x00, 0, 0, 0, 0, 0, 0]), None);
        assert_eq!(enhanced_seconds(&[0x81, 0x00, 167, 0, 0, 0, 0]), Some(86_400));
    }

    #[test]
    fn descriptions() {
        assert_eq!(ValidityPeriod::Relative(167).describe(), "relative 167 (1 day)");
        assert_eq!(
            ValidityPeriod::Relative(255).describe(),
            "relative 255 (63 weeks)"
        );
        assert_eq!(ValidityPeriod::Relative(0).describe(), "relative 0 (5 minutes)");
    }
}
