//! TP-PID, the protocol identifier (3GPP TS 23.040 9.2.3.9).

/// The TP-PID octet, kept as received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProtocolIdentifier(pub u8);

impl ProtocolIdentifier {
    /// Plain short message (0x00).
    pub const DEFAULT: ProtocolIdentifier = ProtocolIdentifier(0x00);
    /// Short Message Type 0: acknowledged, then discarded (0x40). smstools3's
    /// `System_message: yes` sends it.
    pub const SHORT_MESSAGE_TYPE_0: ProtocolIdentifier = ProtocolIdentifier(0x40);
    /// Return Call Message (0x5F).
    pub const RETURN_CALL: ProtocolIdentifier = ProtocolIdentifier(0x5F);
    /// ANSI-136 R-DATA (0x7C).
    pub const ANSI_136_R_DATA: ProtocolIdentifier = ProtocolIdentifier(0x7C);
    /// ME Data download (0x7D).
    pub const ME_DATA_DOWNLOAD: ProtocolIdentifier = ProtocolIdentifier(0x7D);
    /// ME De-personalization Short Message (0x7E).
    pub const ME_DEPERSONALIZATION: ProtocolIdentifier = ProtocolIdentifier(0x7E);
    /// (U)SIM Data download (0x7F). smstools3's `System_message: ToSIM`.
    pub const SIM_DATA_DOWNLOAD: ProtocolIdentifier = ProtocolIdentifier(0x7F);

    /// "Replace Short Message Type n" for n in 1..=7 (0x41-0x47).
    pub fn replace(n: u8) -> Option<ProtocolIdentifier> {
        (1..=7).contains(&n).then_some(ProtocolIdentifier(0x40 | n))
    }

    /// The n of "Replace Short Message Type n", if this is one.
    pub fn replace_type(self) -> Option<u8> {
        (0x41..=0x47).contains(&self.0).then_some(self.0 & 0x07)
    }

    /// A short description of what the value means.
    pub fn describe(self) -> &'static str {
        match self.0 {
            0x00 => "short message",
            0x20..=0x3F => "telematic interworking",
            0x40 => "short message type 0",
            0x41..=0x47 => "replace short message",
            0x5E => "enhanced message service (obsolete)",
            0x5F => "return call message",
            0x7C => "ANSI-136 R-DATA",
            0x7D => "ME data download",
            0x7E => "ME de-personalization short message",
            0x7F => "(U)SIM data download",
            0xC0..=0xFF => "SC specific use",
            _ => "reserved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_types() {
        for n in 1..=7 {
            let pid = ProtocolIdentifier::replace(n).unwrap();
            assert_eq!(pid.0, 0x40 + n);
            assert_eq!(pid.replace_type(), Some(n));
            assert_eq!(pid.describe(), "replace short message");
        }
        assert_eq!(ProtocolIdentifier::replace(0), None);
        assert_eq!(ProtocolIdentifier::replace(8), None);
        assert_eq!(ProtocolIdentifier::SHORT_MESSAGE_TYPE_0.replace_type(), None);
        assert_eq!(ProtocolIdentifier(0x48).replace_type(), None);
        assert_eq!(
            ProtocolIdentifier::SIM_DATA_DOWNLOAD.describe(),
            "(U)SIM data download"
        );
        assert_eq!(ProtocolIdentifier(0x50).describe(), "reserved");
    }
}
