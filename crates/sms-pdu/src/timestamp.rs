//! TP-SCTS and TP-DT timestamps (3GPP TS 23.040 9.2.3.11): seven octets of
//! swapped BCD, the last a signed time zone in quarter hours.

use std::fmt;

use crate::error::{DecodeError, DecodeErrorKind, EncodeError, FieldName, Warning};
use crate::reader::Reader;

/// A service centre timestamp, as local time of the SMSC plus its offset
/// from UTC. Years are the two digits on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Year within the century, 0-99.
    pub year: u8,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-59.
    pub second: u8,
    /// Offset from UTC in quarter hours, -79..=79 on the wire.
    pub tz_quarters: i8,
}

impl Timestamp {
    pub(crate) fn decode(
        reader: &mut Reader<'_>,
        field: FieldName,
        warnings: &mut Vec<Warning>,
    ) -> Result<Timestamp, DecodeError> {
        let start = reader.offset();
        let octets: [u8; 7] = reader.array(field)?;
        let mut fields = [0u8; 6];
        for (idx, (&octet, value)) in octets.iter().zip(fields.iter_mut()).enumerate() {
            *value = bcd_swapped(octet).ok_or_else(|| {
                DecodeError::at(
                    start + idx,
                    field,
                    DecodeErrorKind::BadBcdDigit(bad_nibble(octet)),
                )
            })?;
        }
        let tz = octets[6];
        // A time zone that is not two digits (`0A`-type octets are seen
        // in the field) costs the time zone, not the message or report:
        // it is read as UTC, with a warning.
        let tz_magnitude = bcd_swapped(tz & 0xF7).unwrap_or_else(|| {
            warnings.push(Warning::at(
                start + 6,
                field,
                format!(
                    "time zone octet {tz:02X} is not two digits (nibble {:X}), read as UTC",
                    bad_nibble(tz & 0xF7)
                ),
            ));
            0
        });
        let tz_quarters = if tz & 0x08 != 0 {
            -(tz_magnitude as i8)
        } else {
            tz_magnitude as i8
        };
        let [year, month, day, hour, minute, second] = fields;
        let timestamp = Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
            tz_quarters,
        };
        if !timestamp.is_plausible() {
            warnings.push(Warning::at(
                start,
                field,
                format!("implausible date or time {timestamp}"),
            ));
        }
        Ok(timestamp)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let fields = [
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
        ];
        if fields.iter().any(|&value| value > 99) || !(-79..=79).contains(&self.tz_quarters) {
            return Err(EncodeError::BadTimestamp(*self));
        }
        out.extend(fields.iter().map(|&value| to_bcd_swapped(value)));
        let mut tz = to_bcd_swapped(self.tz_quarters.unsigned_abs());
        if self.tz_quarters < 0 {
            tz |= 0x08;
        }
        out.push(tz);
        Ok(())
    }

    /// Whether every field is within its calendar range.
    pub fn is_plausible(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 59
            && (-64..=64).contains(&self.tz_quarters)
    }

    /// The full year: 19YY for YY >= 90, 20YY otherwise (SMS predates 1990).
    pub fn full_year(&self) -> u16 {
        if self.year >= 90 {
            1900 + u16::from(self.year)
        } else {
            2000 + u16::from(self.year)
        }
    }

    /// RFC 3339 with the SMSC's offset, e.g. `2026-11-21T19:29:19+01:00`.
    pub fn to_rfc3339(&self) -> String {
        let offset_minutes = i32::from(self.tz_quarters) * 15;
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let offset_minutes = offset_minutes.unsigned_abs();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            self.full_year(),
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            offset_minutes / 60,
            offset_minutes % 60
        )
    }

    /// smstools3's form, `YY-MM-DD hh:mm:ss`, local time of the SMSC.
    pub fn to_smstools(&self) -> String {
        format!(
            "{:02}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Reads a swapped BCD octet: the low nibble is the tens digit.
fn bcd_swapped(octet: u8) -> Option<u8> {
    let (tens, units) = (octet & 0x0F, octet >> 4);
    (tens <= 9 && units <= 9).then_some(tens * 10 + units)
}

fn bad_nibble(octet: u8) -> u8 {
    if octet & 0x0F > 9 {
        octet & 0x0F
    } else {
        octet >> 4
    }
}

fn to_bcd_swapped(value: u8) -> u8 {
    (value / 10) | ((value % 10) << 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::decode_hex;

    fn decode(hex: &str) -> Result<(Timestamp, Vec<Warning>), DecodeError> {
        let octets = decode_hex(hex).unwrap();
        let mut warnings = Vec::new();
        let timestamp = Timestamp::decode(&mut Reader::new(&octets), "TP-SCTS", &mut warnings)?;
        Ok((timestamp, warnings))
    }

    /// Capture: smsd 3.1.21 lab, SCTS of a DELIVER (26-11-21 19:29:19, UTC).
    #[test]
    fn capture_utc() {
        let (timestamp, warnings) = decode("62111291929100").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(timestamp.to_smstools(), "26-11-21 19:29:19");
        assert_eq!(timestamp.to_rfc3339(), "2026-11-21T19:29:19+00:00");
    }

    /// TS 23.040 9.2.3.11: bit 3 of the time zone octet is the sign.
    #[test]
    fn signed_time_zones() {
        // +3h = 12 quarters: tens 1, units 2.
        let (timestamp, _) = decode("99309251619580").unwrap();
        assert_eq!(timestamp.tz_quarters, 8);
        assert_eq!(decode("00000000000021").unwrap().0.tz_quarters, 12);
        assert_eq!(decode("0000000000000A").unwrap().0.tz_quarters, -20);
        assert_eq!(decode("0000000000004A").unwrap().0.tz_quarters, -24);
        let (timestamp, _) = decode("1101010000004A").unwrap();
        assert_eq!(timestamp.to_rfc3339(), "2011-10-10T00:00:00-06:00");
    }

    #[test]
    fn encode_round_trip() {
        for hex in [
            "62111291929100",
            "0000000000000A",
            "11010100000089",
            "99309251619580",
        ] {
            let (timestamp, _) = decode(hex).unwrap();
            let mut out = Vec::new();
            timestamp.encode(&mut out).unwrap();
            assert_eq!(out, decode_hex(hex).unwrap(), "{hex}");
        }
    }

    #[test]
    fn bad_digit_names_the_octet() {
        let err = decode("6211129192A100").unwrap_err();
        assert_eq!(
            err.to_string(),
            "octet 5 (TP-SCTS): semi-octet 0xa is not a decimal digit"
        );
        let err = decode("621112").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Truncated { needed: 4 });
    }

    #[test]
    fn implausible_values_warn() {
        let (_, warnings) = decode("62313291929100").unwrap();
        assert_eq!(warnings.len(), 1);
    }
}
