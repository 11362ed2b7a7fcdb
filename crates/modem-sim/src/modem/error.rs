//! Final result codes for failures and their three forms under `AT+CMEE`:
//! `ERROR`, `+CME ERROR: 10`, `+CME ERROR: SIM not inserted`.
//!
//! The texts are those of 3GPP TS 27.007 9.2 (`+CME`) and TS 27.005 3.2.5
//! (`+CMS`); codes 1-127 of `+CMS` are the RP causes of TS 24.011 E.2,
//! written as smsd and gammu print them ("Network out of order").

/// How a command failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommandError {
    /// Plain `ERROR`: unknown command, bad syntax, or a vendor probe.
    Error,
    /// `+CME ERROR: <n>` (equipment, SIM, network).
    Cme(u16),
    /// `+CMS ERROR: <n>` (short messages).
    Cms(u16),
}

pub(crate) const CME_OPERATION_NOT_ALLOWED: u16 = 3;
pub(crate) const CME_OPERATION_NOT_SUPPORTED: u16 = 4;
pub(crate) const CME_SIM_NOT_INSERTED: u16 = 10;
pub(crate) const CME_SIM_PIN_REQUIRED: u16 = 11;
pub(crate) const CME_SIM_PUK_REQUIRED: u16 = 12;
pub(crate) const CME_INCORRECT_PASSWORD: u16 = 16;
pub(crate) const CME_INVALID_CHARACTERS: u16 = 25;
pub(crate) const CME_NO_NETWORK_SERVICE: u16 = 30;
pub(crate) const CME_NETWORK_NOT_ALLOWED: u16 = 32;
pub(crate) const CME_INCORRECT_PARAMETERS: u16 = 50;

pub(crate) const CMS_OPERATION_NOT_ALLOWED: u16 = 302;
pub(crate) const CMS_OPERATION_NOT_SUPPORTED: u16 = 303;
pub(crate) const CMS_INVALID_PDU_PARAMETER: u16 = 304;
pub(crate) const CMS_INVALID_TEXT_PARAMETER: u16 = 305;
pub(crate) const CMS_SIM_NOT_INSERTED: u16 = 310;
pub(crate) const CMS_SIM_PIN_REQUIRED: u16 = 311;
pub(crate) const CMS_SIM_PUK_REQUIRED: u16 = 316;
pub(crate) const CMS_INVALID_MEMORY_INDEX: u16 = 321;
pub(crate) const CMS_NO_NETWORK_SERVICE: u16 = 331;
pub(crate) const CMS_NO_CNMA_EXPECTED: u16 = 340;

impl CommandError {
    /// The final result line, without its CRLFs, for `AT+CMEE=<cmee>`.
    /// With `+CMEE=0` every failure is plain `ERROR` (TS 27.007 9.1).
    pub(crate) fn result_line(self, cmee: u8) -> String {
        let (prefix, code, text) = match self {
            CommandError::Error => return "ERROR".to_owned(),
            CommandError::Cme(code) => ("+CME ERROR", code, cme_text(code)),
            CommandError::Cms(code) => ("+CMS ERROR", code, cms_text(code)),
        };
        match (cmee, text) {
            (0, _) => "ERROR".to_owned(),
            (2, Some(text)) => format!("{prefix}: {text}"),
            _ => format!("{prefix}: {code}"),
        }
    }
}

/// TS 27.007 9.2.1 and 9.2.2, for the codes a modem commonly gives.
fn cme_text(code: u16) -> Option<&'static str> {
    Some(match code {
        0 => "phone failure",
        1 => "no connection to phone",
        3 => "operation not allowed",
        4 => "operation not supported",
        5 => "PH-SIM PIN required",
        10 => "SIM not inserted",
        11 => "SIM PIN required",
        12 => "SIM PUK required",
        13 => "SIM failure",
        14 => "SIM busy",
        15 => "SIM wrong",
        16 => "incorrect password",
        17 => "SIM PIN2 required",
        18 => "SIM PUK2 required",
        20 => "memory full",
        21 => "invalid index",
        22 => "not found",
        23 => "memory failure",
        24 => "text string too long",
        25 => "invalid characters in text string",
        26 => "dial string too long",
        27 => "invalid characters in dial string",
        30 => "no network service",
        31 => "network timeout",
        32 => "network not allowed - emergency calls only",
        50 => "Incorrect parameters",
        100 => "unknown",
        _ => return None,
    })
}

/// TS 27.005 3.2.5, and the TS 24.011 RP causes below 128.
fn cms_text(code: u16) -> Option<&'static str> {
    Some(match code {
        1 => "Unassigned (unallocated) number",
        8 => "Operator determined barring",
        10 => "Call barred",
        21 => "Short message transfer rejected",
        27 => "Destination out of service",
        28 => "Unidentified subscriber",
        29 => "Facility rejected",
        30 => "Unknown subscriber",
        38 => "Network out of order",
        41 => "Temporary failure",
        42 => "Congestion",
        47 => "Resources unavailable, unspecified",
        50 => "Requested facility not subscribed",
        69 => "Requested facility not implemented",
        81 => "Invalid short message transfer reference value",
        95 => "Invalid message, unspecified",
        96 => "Invalid mandatory information",
        97 => "Message type non-existent or not implemented",
        98 => "Message not compatible with short message protocol state",
        99 => "Information element non-existent or not implemented",
        111 => "Protocol error, unspecified",
        127 => "Interworking, unspecified",
        300 => "ME failure",
        301 => "SMS service of ME reserved",
        302 => "operation not allowed",
        303 => "operation not supported",
        304 => "invalid PDU mode parameter",
        305 => "invalid text mode parameter",
        310 => "SIM not inserted",
        311 => "SIM PIN required",
        312 => "PH-SIM PIN required",
        313 => "SIM failure",
        314 => "SIM busy",
        315 => "SIM wrong",
        316 => "SIM PUK required",
        320 => "memory failure",
        321 => "invalid memory index",
        322 => "memory full",
        330 => "SMSC address unknown",
        331 => "no network service",
        332 => "network timeout",
        340 => "no +CNMA acknowledgement expected",
        500 => "unknown error",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_forms() {
        let error = CommandError::Cms(321);
        assert_eq!(error.result_line(0), "ERROR");
        assert_eq!(error.result_line(1), "+CMS ERROR: 321");
        assert_eq!(error.result_line(2), "+CMS ERROR: invalid memory index");
        assert_eq!(
            CommandError::Cme(10).result_line(2),
            "+CME ERROR: SIM not inserted"
        );
        assert_eq!(
            CommandError::Cms(38).result_line(2),
            "+CMS ERROR: Network out of order"
        );
        assert_eq!(CommandError::Error.result_line(1), "ERROR");
    }

    #[test]
    fn unknown_codes_stay_numeric_in_verbose_mode() {
        assert_eq!(CommandError::Cms(999).result_line(2), "+CMS ERROR: 999");
        assert_eq!(CommandError::Cme(777).result_line(2), "+CME ERROR: 777");
    }
}
