//! TP-ST, the status of a delivered message in an SMS-STATUS-REPORT
//! (3GPP TS 23.040 9.2.3.15).

/// The TP-ST octet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

/// The four groups TS 23.040 sorts status values into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusCategory {
    /// 0x00-0x1F: the transaction is complete (delivered, or at least
    /// forwarded).
    Completed,
    /// 0x20-0x3F: temporary error, the SC is still trying.
    StillTrying,
    /// 0x40-0x5F: permanent error, the SC has given up.
    PermanentError,
    /// 0x60-0x7F: temporary error, but the SC has given up.
    TemporaryErrorGaveUp,
    /// 0x80-0xFF: reserved.
    Reserved,
}

impl Status {
    /// Short message received by the SME.
    pub const DELIVERED: Status = Status(0x00);

    /// Which group the value falls in.
    pub fn category(self) -> StatusCategory {
        match self.0 {
            0x00..=0x1F => StatusCategory::Completed,
            0x20..=0x3F => StatusCategory::StillTrying,
            0x40..=0x5F => StatusCategory::PermanentError,
            0x60..=0x7F => StatusCategory::TemporaryErrorGaveUp,
            _ => StatusCategory::Reserved,
        }
    }

    /// Whether the message reached the recipient.
    pub fn is_delivered(self) -> bool {
        self.category() == StatusCategory::Completed
    }

    /// Whether this report is final (no later report will follow).
    pub fn is_final(self) -> bool {
        self.category() != StatusCategory::StillTrying
    }

    /// The meaning as smstools3 (3.1.14 and later) words it, typos and all,
    /// since scripts match on these strings.
    pub fn smstools_text(self) -> &'static str {
        match self.0 {
            0 => "Ok,short message received by the SME",
            1 => "Ok,short message forwarded by the SC to the SME but the SC is unable to confirm delivery",
            2 => "Ok,short message replaced by the SC",
            32 => "Still trying,congestion",
            33 => "Still trying,SME busy",
            34 => "Still trying,no response sendr SME",
            35 => "Still trying,service rejected",
            36 => "Still trying,quality of service not available",
            37 => "Still trying,error in SME",
            64 => "Error,remote procedure error",
            65 => "Error,incompatible destination",
            66 => "Error,connection rejected by SME",
            67 => "Error,not obtainable",
            68 => "Error,quality of service not available",
            69 => "Error,no interworking available",
            70 => "Error,SM validity period expired",
            71 => "Error,SM deleted by originating SME",
            72 => "Error,SM deleted by SC administration",
            73 => "Error,SM does not exist",
            96 => "Error,congestion",
            97 => "Error,SME busy",
            98 => "Error,no response sendr SME",
            99 => "Error,service rejected",
            100 => "Error,quality of service not available",
            101 => "Error,error in SME",
            48..=63 => "Temporary error, SC specific, unknown",
            80..=95 | 112..=127 => "Permanent error, SC specific, unknown",
            _ => "unknown",
        }
    }

    /// The value of smstools3's `Status:` header, e.g.
    /// `0,Ok,short message received by the SME`.
    pub fn smstools_header(self) -> String {
        format!("{},{}", self.0, self.smstools_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smstools_texts() {
        assert_eq!(
            Status(0).smstools_header(),
            "0,Ok,short message received by the SME"
        );
        assert_eq!(Status(34).smstools_text(), "Still trying,no response sendr SME");
        assert_eq!(
            Status(70).smstools_header(),
            "70,Error,SM validity period expired"
        );
        assert_eq!(
            Status(50).smstools_text(),
            "Temporary error, SC specific, unknown"
        );
        assert_eq!(
            Status(90).smstools_text(),
            "Permanent error, SC specific, unknown"
        );
        assert_eq!(
            Status(120).smstools_text(),
            "Permanent error, SC specific, unknown"
        );
        assert_eq!(Status(3).smstools_text(), "unknown");
        assert_eq!(Status(200).smstools_text(), "unknown");
    }

    #[test]
    fn categories() {
        assert!(Status(0).is_delivered() && Status(0).is_final());
        assert!(!Status(0x20).is_final());
        assert_eq!(Status(0x41).category(), StatusCategory::PermanentError);
        assert_eq!(Status(0x62).category(), StatusCategory::TemporaryErrorGaveUp);
        assert_eq!(Status(0x80).category(), StatusCategory::Reserved);
    }
}
