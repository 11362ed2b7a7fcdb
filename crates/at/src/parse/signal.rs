//! `+CSQ: <rssi>,<ber>`: signal quality (3GPP TS 27.007 clause 8.5).

use super::{find_line, Fields, ParseError};

/// The answer to `AT+CSQ`, with the wire values kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalQuality {
    /// `<rssi>`: 0-31 in 2 dB steps, 99 unknown; 100-191 on TD-SCDMA.
    pub rssi: u8,
    /// `<ber>`: bit error rate class 0-7 (RXQUAL), 99 unknown.
    pub ber: u8,
}

impl SignalQuality {
    /// The received signal strength in dBm, as 27.007 maps `<rssi>`:
    /// 0 is -113 dBm or less, 1 is -111, 2-30 are -109 to -53, 31 is -51
    /// or more; 100-191 are -116 to -25 (TD-SCDMA). `None` for 99
    /// ("not known or not detectable") and values the table leaves out.
    pub fn dbm(self) -> Option<i16> {
        let rssi = i16::from(self.rssi);
        match self.rssi {
            0..=31 => Some(-113 + 2 * rssi),
            100..=191 => Some(-116 + (rssi - 100)),
            _ => None,
        }
    }

    /// Signal bars 0-5, as a phone would show them: 5 from -73 dBm, 4 from
    /// -83, 3 from -93, 2 from -103, 1 from -109, else 0 (also when
    /// unknown). The thresholds split the 27.007 range into 10 dB bands.
    pub fn bars(self) -> u8 {
        match self.dbm() {
            Some(dbm) if dbm >= -73 => 5,
            Some(dbm) if dbm >= -83 => 4,
            Some(dbm) if dbm >= -93 => 3,
            Some(dbm) if dbm >= -103 => 2,
            Some(dbm) if dbm >= -109 => 1,
            _ => 0,
        }
    }

    /// The bit error rate class 0-7, or `None` if unknown (99).
    pub fn ber_class(self) -> Option<u8> {
        (self.ber <= 7).then_some(self.ber)
    }

    /// The range of bit error rates, in percent, that the class stands
    /// for (TS 45.008 clause 8.2.4: RXQUAL_0 is below 0.2 %, each class
    /// doubles it, RXQUAL_7 is above 12.8 %).
    pub fn ber_percent(self) -> Option<(f32, f32)> {
        const BOUNDS: [f32; 9] = [0.0, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 100.0];
        let class = usize::from(self.ber_class()?);
        Some((BOUNDS[class], BOUNDS[class + 1]))
    }
}

/// Reads the answer to `AT+CSQ`.
pub fn csq<S: AsRef<str>>(lines: &[S]) -> Result<SignalQuality, ParseError> {
    let (number, line, params) = find_line(lines, "+CSQ:")?;
    let fields = Fields::parse(number, line, params)?;
    Ok(SignalQuality {
        rssi: fields.number(0, "<rssi>", "a number 0-255")?,
        ber: fields.number(1, "<ber>", "a number 0-255")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quality(rssi: u8) -> SignalQuality {
        SignalQuality { rssi, ber: 99 }
    }

    #[test]
    fn reads_the_captured_answer() {
        // smsd session against the lab modem (notes, section 5.1).
        let quality = csq(&["+CSQ: 21,99"]).unwrap();
        assert_eq!(quality, SignalQuality { rssi: 21, ber: 99 });
        assert_eq!(quality.dbm(), Some(-71));
        assert_eq!(quality.bars(), 5);
        assert_eq!(quality.ber_class(), None);
    }

    /// 27.007 clause 8.5, `<rssi>`.
    #[test]
    fn dbm_mapping_for_every_value() {
        assert_eq!(quality(0).dbm(), Some(-113));
        assert_eq!(quality(1).dbm(), Some(-111));
        for rssi in 2..=30u8 {
            assert_eq!(
                quality(rssi).dbm(),
                Some(-109 + 2 * (i16::from(rssi) - 2)),
                "rssi {rssi}"
            );
        }
        assert_eq!(quality(30).dbm(), Some(-53));
        assert_eq!(quality(31).dbm(), Some(-51));
        assert_eq!(quality(99).dbm(), None);
        assert_eq!(quality(32).dbm(), None);
        assert_eq!(quality(100).dbm(), Some(-116));
        assert_eq!(quality(191).dbm(), Some(-25));
        assert_eq!(quality(192).dbm(), None);
    }

    #[test]
    fn bars_bands() {
        let bars: Vec<u8> = [99, 0, 1, 2, 4, 5, 9, 10, 14, 15, 19, 20, 31]
            .map(|rssi| quality(rssi).bars())
            .to_vec();
        assert_eq!(bars, [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ber_classes() {
        let quality = SignalQuality { rssi: 10, ber: 3 };
        assert_eq!(quality.ber_class(), Some(3));
        assert_eq!(quality.ber_percent(), Some((0.8, 1.6)));
        assert_eq!(
            SignalQuality { rssi: 10, ber: 7 }.ber_percent(),
            Some((12.8, 100.0))
        );
    }

    #[test]
    fn errors_name_line_and_field() {
        assert_eq!(
            csq(&["+CSQ: 21"]).unwrap_err().to_string(),
            r#"line 1 "+CSQ: 21": field 2 (<ber>) is missing"#
        );
        assert_eq!(
            csq(&["junk", "+CSQ: 300,99"]).unwrap_err().to_string(),
            r#"line 2 "+CSQ: 300,99": field 1 (<rssi>): "300" is not a number 0-255"#
        );
        assert_eq!(
            csq::<&str>(&[]).unwrap_err().to_string(),
            r#"no "+CSQ:" line in the response"#
        );
    }
}
