//! The `sent/` and `failed/` files: the outgoing file's own bytes with the
//! headers smsd adds, inserted before the empty line; the body is never
//! touched.
//!
//! smsd 3.1.21's layouts (notes, sections 9 and 10):
//! - sent: `Modem:`, `Sent:`, `Sending_time:`, `Message_id:`, `IMSI:`,
//!   `IMEI:`, `PDU:` (one per part, with `store_sent_pdu`), then any
//!   `NOTICE:` lines;
//! - failed: `Modem:`, `IMSI:`, `IMEI:`, `Fail_reason:`, `Failed:`, `PDU:`.
//!
//! With smsd's `keep_filename = no` and `store_original_filename = yes`
//! an `Original_filename:` line comes first (before `Modem:` in a sent
//! file, after `Failed:` in a file failed before any modem tried it, as
//! smsd adds it when it renames the file); `number` and `description` of
//! the modem come after `Modem:` as `Number:` and `Description:`, in sent
//! and failed files alike (checked against smsd 3.1.21 by the
//! differential test and a run with a modem refusing the send).
//!
//! One difference: for a message of several parts smsd writes the
//! `Message_id` of the last part only; smsgate writes one `Message_id:`
//! line per part, in the order of the parts, so that every part's status
//! report can be matched to the file.

use std::fmt;

use crate::lines::layout;

/// A local time as smsd writes it: `YY-MM-DD hh:mm:ss`. The caller reads
/// the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpoolTime {
    /// The year; only its last two digits are written.
    pub year: u16,
    /// 1-12.
    pub month: u8,
    /// 1-31.
    pub day: u8,
    /// 0-23.
    pub hour: u8,
    /// 0-59.
    pub minute: u8,
    /// 0-59.
    pub second: u8,
}

impl fmt::Display for SpoolTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year % 100,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second
        )
    }
}

/// What `sent/` files record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentRecord {
    /// The outgoing file's name, when the file was renamed
    /// (`Original_filename:`).
    pub original_filename: Option<String>,
    /// The modem's name.
    pub modem: String,
    /// The modem's `number` (`Number:`).
    pub number: Option<String>,
    /// The modem's `description` (`Description:`).
    pub description: Option<String>,
    /// When the (last part of the) message was sent.
    pub sent: SpoolTime,
    /// Seconds the sending took, if known (`Sending_time:`).
    pub sending_time: Option<u32>,
    /// The `+CMGS: <mr>` reference of each part, in order.
    pub message_ids: Vec<u8>,
    /// The SIM's IMSI, if the modem told it.
    pub imsi: Option<String>,
    /// The modem's IMEI, if it told it.
    pub imei: Option<String>,
    /// The `PDU:` lines (hex, one per part; [`StoreSentPdu::sent_lines`]).
    pub pdus: Vec<String>,
    /// What was done otherwise than the file says, each written as a
    /// `NOTICE:` line after the others, as smsd writes its notices (e.g.
    /// `13 characters outside the GSM alphabet, converting to UCS2`).
    pub notices: Vec<String>,
}

/// What `failed/` files record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedRecord {
    /// The outgoing file's name, when the file was renamed
    /// (`Original_filename:`).
    pub original_filename: Option<String>,
    /// The modem's name, if a modem tried.
    pub modem: Option<String>,
    /// That modem's `number` (`Number:`).
    pub number: Option<String>,
    /// That modem's `description` (`Description:`).
    pub description: Option<String>,
    /// The SIM's IMSI, if known.
    pub imsi: Option<String>,
    /// The modem's IMEI, if known.
    pub imei: Option<String>,
    /// Why, e.g. `+CMS ERROR: 38 (Network out of order)`.
    pub reason: String,
    /// When it was given up.
    pub failed: SpoolTime,
    /// The PDU that failed, as hex, if one was tried.
    pub pdu: Option<String>,
}

/// The `sent/` file for `original`, the outgoing file's bytes.
pub fn render_sent(original: &[u8], record: &SentRecord) -> Vec<u8> {
    let mut headers = Vec::new();
    push_optional(&mut headers, "Original_filename", &record.original_filename);
    headers.push(("Modem", record.modem.clone()));
    push_optional(&mut headers, "Number", &record.number);
    push_optional(&mut headers, "Description", &record.description);
    headers.push(("Sent", record.sent.to_string()));
    if let Some(seconds) = record.sending_time {
        headers.push(("Sending_time", seconds.to_string()));
    }
    for message_id in &record.message_ids {
        headers.push(("Message_id", message_id.to_string()));
    }
    push_optional(&mut headers, "IMSI", &record.imsi);
    push_optional(&mut headers, "IMEI", &record.imei);
    for pdu in &record.pdus {
        headers.push(("PDU", pdu.clone()));
    }
    for notice in &record.notices {
        headers.push(("NOTICE", notice.clone()));
    }
    insert_headers(original, &headers)
}

/// The `failed/` file for `original`, the outgoing file's bytes.
pub fn render_failed(original: &[u8], record: &FailedRecord) -> Vec<u8> {
    let mut headers = Vec::new();
    // smsd adds it when it renames the file: before a modem's headers,
    // or after the main spooler's reason.
    let original_first = record.modem.is_some();
    if original_first {
        push_optional(&mut headers, "Original_filename", &record.original_filename);
    }
    push_optional(&mut headers, "Modem", &record.modem);
    push_optional(&mut headers, "Number", &record.number);
    push_optional(&mut headers, "Description", &record.description);
    push_optional(&mut headers, "IMSI", &record.imsi);
    push_optional(&mut headers, "IMEI", &record.imei);
    headers.push(("Fail_reason", record.reason.clone()));
    headers.push(("Failed", record.failed.to_string()));
    if !original_first {
        push_optional(&mut headers, "Original_filename", &record.original_filename);
    }
    push_optional(&mut headers, "PDU", &record.pdu);
    insert_headers(original, &headers)
}

/// Which sent PDUs are copied into `sent/` and `failed/` files as `PDU:`
/// lines (smsd's `store_sent_pdu`, by its numbers; smsd.c `send1sms`):
/// a failed file gets the PDU from 1 up, a sent file when the message was
/// 8-bit or UCS2 at 2, always at 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoreSentPdu {
    /// 0: none.
    Never,
    /// 1 (smsd's default): failed files only.
    #[default]
    Failed,
    /// 2: also sent files of 8-bit and UCS2 messages.
    FailedBinaryUcs2,
    /// 3: every file.
    All,
}

impl StoreSentPdu {
    /// smsd's number for it.
    pub fn level(self) -> u8 {
        self as u8
    }

    /// The setting for smsd's number, 0 to 3.
    pub fn from_level(level: i64) -> Option<StoreSentPdu> {
        match level {
            0 => Some(StoreSentPdu::Never),
            1 => Some(StoreSentPdu::Failed),
            2 => Some(StoreSentPdu::FailedBinaryUcs2),
            3 => Some(StoreSentPdu::All),
            _ => None,
        }
    }

    /// Whether a `failed/` file gets the PDU that failed.
    pub fn stores_failed(self) -> bool {
        self >= StoreSentPdu::Failed
    }

    /// The `PDU:` values of a `sent/` file for `pdus`, the message's PDUs
    /// as sent (SMSC octet first), in part order: none unless this setting
    /// stores them. The alphabet is the first PDU's data coding scheme.
    pub fn sent_lines(self, pdus: &[Vec<u8>]) -> Vec<String> {
        let stored = match self {
            StoreSentPdu::All => true,
            StoreSentPdu::FailedBinaryUcs2 => pdus.first().is_some_and(|pdu| is_binary_or_ucs2(pdu)),
            StoreSentPdu::Failed | StoreSentPdu::Never => false,
        };
        match stored {
            true => pdus.iter().map(|pdu| upper_hex(pdu)).collect(),
            false => Vec::new(),
        }
    }
}

fn is_binary_or_ucs2(pdu: &[u8]) -> bool {
    let Ok(decoded) = sms_pdu::Pdu::decode(pdu) else {
        return false;
    };
    match decoded.value.tpdu {
        sms_pdu::Tpdu::Submit(submit) => {
            matches!(
                submit.dcs.alphabet(),
                sms_pdu::Alphabet::Ucs2 | sms_pdu::Alphabet::EightBit
            )
        }
        _ => false,
    }
}

fn upper_hex(octets: &[u8]) -> String {
    octets.iter().map(|octet| format!("{octet:02X}")).collect()
}

fn push_optional(headers: &mut Vec<(&'static str, String)>, name: &'static str, value: &Option<String>) {
    if let Some(value) = value {
        headers.push((name, value.clone()));
    }
}

/// Adds header lines to a spool file: `headers` go before the empty line
/// that ends the header, in the file's line ending (a file without one
/// gets them at its end); the body is kept byte for byte. Control
/// characters in a value become spaces, so a value cannot end the header.
pub fn add_headers(original: &[u8], headers: &[(&str, String)]) -> Vec<u8> {
    insert_headers(original, headers)
}

fn insert_headers(original: &[u8], headers: &[(&str, String)]) -> Vec<u8> {
    let file_layout = layout(original);
    let ending: &[u8] = if file_layout.crlf { b"\r\n" } else { b"\n" };
    let insert_at = file_layout.separator.unwrap_or(original.len());
    let mut out = Vec::with_capacity(original.len() + 32 * headers.len());
    out.extend_from_slice(&original[..insert_at]);
    if insert_at > 0 && original[insert_at - 1] != b'\n' {
        out.extend_from_slice(ending);
    }
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        // A value (a modem's error text) must not end the header early.
        let value: String = value
            .chars()
            .map(|ch| if ch.is_control() { ' ' } else { ch })
            .collect();
        out.extend_from_slice(value.trim().as_bytes());
        out.extend_from_slice(ending);
    }
    out.extend_from_slice(&original[insert_at..]);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SENT: SpoolTime = SpoolTime {
        year: 2026,
        month: 11,
        day: 21,
        hour: 19,
        minute: 6,
        second: 2,
    };

    fn sent_record(message_ids: Vec<u8>) -> SentRecord {
        SentRecord {
            original_filename: None,
            number: None,
            description: None,
            modem: "GSM1".to_owned(),
            sent: SENT,
            sending_time: None,
            message_ids,
            imsi: Some("001010123456789".to_owned()),
            imei: Some("490154203237518".to_owned()),
            pdus: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// smsd.c `send1sms`: a sent file gets the PDUs at `store_sent_pdu =
    /// 3`, or at 2 for an 8-bit or UCS2 message; a failed one from 1.
    #[test]
    fn store_sent_pdu_levels_like_smsd() {
        let gsm = sms_pdu::decode_hex("0011000B911326880736F40000A70AE8329BFD4697D9EC37").unwrap();
        let ucs2 = sms_pdu::decode_hex("0011000b911326880736f40008a70400480069").unwrap();
        let gsm_hex = "0011000B911326880736F40000A70AE8329BFD4697D9EC37".to_owned();
        let ucs2_hex = "0011000B911326880736F40008A70400480069".to_owned();
        let both = [ucs2.clone(), ucs2.clone()];
        for (level, gsm_lines, ucs2_lines, failed) in [
            (0, vec![], vec![], false),
            (1, vec![], vec![], true),
            (2, vec![], vec![ucs2_hex.clone(), ucs2_hex.clone()], true),
            (
                3,
                vec![gsm_hex.clone()],
                vec![ucs2_hex.clone(), ucs2_hex.clone()],
                true,
            ),
        ] {
            let store = StoreSentPdu::from_level(level).unwrap();
            assert_eq!(store.level(), level as u8);
            assert_eq!(
                store.sent_lines(std::slice::from_ref(&gsm)),
                gsm_lines,
                "level {level}"
            );
            assert_eq!(store.sent_lines(&both), ucs2_lines, "level {level}");
            assert_eq!(store.stores_failed(), failed, "level {level}");
        }
        assert_eq!(StoreSentPdu::from_level(4), None);
        assert_eq!(
            StoreSentPdu::default(),
            StoreSentPdu::Failed,
            "smsd's default is 1"
        );
    }

    /// The `PDU:` lines come after `IMEI:` and before the notices, as
    /// smsd adds its notices in a second pass.
    #[test]
    fn sent_pdu_lines_before_notices() {
        let record = SentRecord {
            pdus: vec!["00AB".to_owned(), "00CD".to_owned()],
            notices: vec!["a notice".to_owned()],
            ..sent_record(vec![1, 2])
        };
        let rendered = render_sent(b"To: 491720000104\n\nHi\n", &record);
        assert!(String::from_utf8(rendered)
            .unwrap()
            .ends_with("IMEI: 490154203237518\nPDU: 00AB\nPDU: 00CD\nNOTICE: a notice\n\nHi\n"),);
    }

    /// smsd's `sent/` file of `04-utf-cyrillic.sms` (differential corpus):
    /// `Sending_time:`, and its notices last.
    #[test]
    fn sending_time_and_notices_like_smsd() {
        let record = SentRecord {
            sending_time: Some(0),
            notices: vec![
                "Cannot convert 1. character (D09F)П to GSM.".to_owned(),
                "1 characters outside the GSM alphabet, converting to UCS2".to_owned(),
            ],
            ..sent_record(Vec::new())
        };
        let rendered = render_sent("To: 491720000104\nAlphabet: UTF\n\nП\n".as_bytes(), &record);
        assert_eq!(
            String::from_utf8(rendered).unwrap(),
            "To: 491720000104\nAlphabet: UTF\nModem: GSM1\nSent: 26-11-21 19:06:02\nSending_time: 0\n\
             IMSI: 001010123456789\nIMEI: 490154203237518\n\
             NOTICE: Cannot convert 1. character (D09F)П to GSM.\n\
             NOTICE: 1 characters outside the GSM alphabet, converting to UCS2\n\nП\n"
        );
    }

    #[test]
    fn time_format() {
        assert_eq!(SENT.to_string(), "26-11-21 19:06:02");
    }

    #[test]
    fn sent_file() {
        let original = b"To: 4917212345678\nReport: yes\n\nHello from smsd\n";
        let rendered = render_sent(original, &sent_record(vec![7]));
        assert_eq!(
            String::from_utf8(rendered).unwrap(),
            "To: 4917212345678\nReport: yes\nModem: GSM1\nSent: 26-11-21 19:06:02\nMessage_id: 7\n\
             IMSI: 001010123456789\nIMEI: 490154203237518\n\nHello from smsd\n"
        );
    }

    #[test]
    fn one_message_id_per_part_and_sending_time() {
        let record = SentRecord {
            sending_time: Some(3),
            imsi: None,
            imei: None,
            ..sent_record(vec![1, 2, 3])
        };
        let rendered = render_sent(b"To: 1\n\nx", &record);
        assert_eq!(
            String::from_utf8(rendered).unwrap(),
            "To: 1\nModem: GSM1\nSent: 26-11-21 19:06:02\nSending_time: 3\n\
             Message_id: 1\nMessage_id: 2\nMessage_id: 3\n\nx"
        );
    }

    /// The layout of smsd's `failed/` file after `+CMS ERROR: 38` (notes, section 9).
    #[test]
    fn failed_file_like_smsd() {
        let record = FailedRecord {
            original_filename: None,
            number: None,
            description: None,
            modem: Some("GSM1".to_owned()),
            imsi: Some("001010123456789".to_owned()),
            imei: Some("490154203237518".to_owned()),
            reason: "+CMS ERROR: 38 (Network out of order)".to_owned(),
            failed: SENT,
            pdu: Some("0031000D91947112325476F80000FF0FC3E6145496CBDF72105CFE169701".to_owned()),
        };
        let rendered = render_failed(b"To: 4917212345678\n\nCMS error probe\n", &record);
        assert_eq!(
            String::from_utf8(rendered).unwrap(),
            "To: 4917212345678\nModem: GSM1\nIMSI: 001010123456789\nIMEI: 490154203237518\n\
             Fail_reason: +CMS ERROR: 38 (Network out of order)\nFailed: 26-11-21 19:06:02\n\
             PDU: 0031000D91947112325476F80000FF0FC3E6145496CBDF72105CFE169701\n\nCMS error probe\n"
        );
    }

    #[test]
    fn failed_before_any_modem_tried() {
        let record = FailedRecord {
            original_filename: None,
            number: None,
            description: None,
            modem: None,
            imsi: None,
            imei: None,
            reason: "line 2: Validity: \"x\" is bad\r\nline 3: more".to_owned(),
            failed: SENT,
            pdu: None,
        };
        let rendered = render_failed(b"To: 1\r\n\r\nbody\r\n", &record);
        assert_eq!(
            String::from_utf8(rendered).unwrap(),
            "To: 1\r\nFail_reason: line 2: Validity: \"x\" is bad  line 3: more\r\n\
             Failed: 26-11-21 19:06:02\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn added_headers_go_before_the_body() {
        let flagged = add_headers(
            b"To: 1\r\n\r\nbody\n",
            &[("X-Smsgate-Outcome", "unknown\n".to_owned())],
        );
        assert_eq!(flagged, b"To: 1\r\nX-Smsgate-Outcome: unknown\r\n\r\nbody\n");
    }

    #[test]
    fn file_without_empty_line_or_final_newline() {
        let rendered = render_sent(b"To: 1", &sent_record(vec![]));
        assert!(rendered.starts_with(b"To: 1\nModem: GSM1\n"));
        assert!(rendered.ends_with(b"IMEI: 490154203237518\n"));
    }

    proptest! {
        /// Whatever the file, rendering keeps its body byte for byte and
        /// its header lines in front.
        #[test]
        fn render_keeps_the_body(original in proptest::collection::vec(any::<u8>(), 0..300), ids in proptest::collection::vec(any::<u8>(), 0..4)) {
            let before = layout(&original);
            let rendered = render_sent(&original, &sent_record(ids));
            let after = layout(&rendered);
            prop_assert_eq!(&rendered[after.body_start..], &original[before.body_start..]);
            let head = before.separator.unwrap_or(original.len());
            prop_assert!(rendered.starts_with(&original[..head]));
        }
    }

    /// smsd 3.1.21 with `keep_filename = no`, `number` and `description`
    /// (a real run): `To`, `Original_filename`, `Modem`, `Number`,
    /// `Description`, `Sent`, ...; a file the main spooler refused gets
    /// its `Original_filename` after `Failed`.
    #[test]
    fn original_filename_number_and_description_go_where_smsd_puts_them() {
        let record = SentRecord {
            original_filename: Some("a2.sms".to_owned()),
            number: Some("4917200000000".to_owned()),
            description: Some("rack A slot 1".to_owned()),
            sending_time: Some(1),
            ..sent_record(Vec::new())
        };
        let sent = render_sent(b"To: 491720000001\n\nok one\n", &record);
        assert_eq!(
            String::from_utf8(sent).unwrap(),
            "To: 491720000001\nOriginal_filename: a2.sms\nModem: GSM1\nNumber: 4917200000000\n\
             Description: rack A slot 1\nSent: 26-11-21 19:06:02\nSending_time: 1\n\
             IMSI: 001010123456789\nIMEI: 490154203237518\n\nok one\n"
        );
        let refused = FailedRecord {
            original_filename: Some("a1.sms".to_owned()),
            modem: None,
            number: None,
            description: None,
            imsi: None,
            imei: None,
            reason: "Destination is blacklisted".to_owned(),
            failed: SENT,
            pdu: None,
        };
        assert_eq!(
            String::from_utf8(render_failed(b"To: 491721234567\n\nblack\n", &refused)).unwrap(),
            "To: 491721234567\nFail_reason: Destination is blacklisted\nFailed: 26-11-21 19:06:02\n\
             Original_filename: a1.sms\n\nblack\n"
        );
    }

    /// smsd 3.1.21, a send the modem refused (`+CMS ERROR: 38`) with
    /// `keep_filename = no`, `number` and `description` (a real run).
    #[test]
    fn a_file_a_modem_gave_up_has_smsds_layout() {
        let record = FailedRecord {
            original_filename: Some("f1.sms".to_owned()),
            modem: Some("GSM1".to_owned()),
            number: Some("4917200000000".to_owned()),
            description: Some("rack A slot 1".to_owned()),
            imsi: Some("001010123456789".to_owned()),
            imei: Some("490154203237518".to_owned()),
            reason: "+CMS ERROR: 38 (Network out of order)".to_owned(),
            failed: SENT,
            pdu: Some("0031000D91947102000090F90000FF09F7349B0D3287D36C".to_owned()),
        };
        assert_eq!(
            String::from_utf8(render_failed(b"To: 4917200000099\n\nwill fail\n", &record)).unwrap(),
            "To: 4917200000099\nOriginal_filename: f1.sms\nModem: GSM1\nNumber: 4917200000000\n\
             Description: rack A slot 1\nIMSI: 001010123456789\nIMEI: 490154203237518\n\
             Fail_reason: +CMS ERROR: 38 (Network out of order)\nFailed: 26-11-21 19:06:02\n\
             PDU: 0031000D91947102000090F90000FF09F7349B0D3287D36C\n\nwill fail\n"
        );
    }
}
