//! The `phonecalls/` file smsd 3.1.21 writes for a call it hung up
//! (`phonecalls = clip`, `savephonecall` in smsd.c), with its default
//! header names:
//!
//! ```text
//! From: 37120000000            the caller, without `+`
//! From_TOA: 91 international, ISDN/telephone
//! Subject: GSM1                the modem's name
//! Modem: GSM1
//! IMSI: 001010123456789        when known
//! IMEI: 490154203237518        when known
//! Call_type: missed
//! Received: 26-12-06 07:30:00  local time
//!
//! CALL MISSED
//! ```
//!
//! Captured from smsd 3.1.21 on the simulator (`phonecalls = clip`).

use sms_pdu::TypeOfAddress;

use crate::SpoolTime;

/// One hung-up call, as the modem's `+CLIP` gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phonecall<'a> {
    /// `<number>` of `+CLIP` (a leading `+` is dropped, as smsd does).
    pub number: &'a str,
    /// `<type>` of `+CLIP`.
    pub toa: u8,
    pub modem: &'a str,
    pub imsi: Option<&'a str>,
    pub imei: Option<&'a str>,
    pub received: SpoolTime,
}

/// The file's bytes.
pub fn render_phonecall(call: &Phonecall<'_>) -> Vec<u8> {
    let mut out = String::new();
    let mut header = |name: &str, value: &str| {
        // A value from the modem must not start a line of its own.
        let value: String = value
            .chars()
            .map(|ch| if ch.is_control() { ' ' } else { ch })
            .collect();
        out.push_str(&format!("{name}: {value}\n"));
    };
    let number = call.number.trim();
    header("From", number.strip_prefix('+').unwrap_or(number));
    header("From_TOA", &TypeOfAddress(call.toa).smstools_description());
    header("Subject", call.modem);
    header("Modem", call.modem);
    if let Some(imsi) = call.imsi {
        header("IMSI", imsi);
    }
    if let Some(imei) = call.imei {
        header("IMEI", imei);
    }
    header("Call_type", "missed");
    header("Received", &call.received.to_string());
    out.push_str("\nCALL MISSED\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::{render_phonecall, Phonecall};
    use crate::SpoolTime;

    #[test]
    fn a_missed_call_is_written_as_smsd_writes_it() {
        let call = Phonecall {
            number: "+37120000000",
            toa: 145,
            modem: "GSM1",
            imsi: Some("001010123456789"),
            imei: Some("490154203237518"),
            received: SpoolTime {
                year: 2026,
                month: 12,
                day: 6,
                hour: 7,
                minute: 30,
                second: 5,
            },
        };
        assert_eq!(
            String::from_utf8(render_phonecall(&call)).unwrap(),
            "From: 37120000000\nFrom_TOA: 91 international, ISDN/telephone\nSubject: GSM1\nModem: GSM1\n\
             IMSI: 001010123456789\nIMEI: 490154203237518\nCall_type: missed\nReceived: 26-12-06 07:30:05\n\n\
             CALL MISSED\n"
        );
    }
}
