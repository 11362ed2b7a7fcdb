//! Tests of the incoming renderers: smsd's layouts, part joining, warnings.

use proptest::prelude::*;
use sms_pdu::split::{split_text, AlphabetChoice, SplitOptions};
use sms_pdu::{DataCodingScheme, NationalLanguage, ProtocolIdentifier, Status, TypeOfAddress, UserData};

use super::*;

fn received_by() -> ReceivedBy {
    ReceivedBy {
        modem: "GSM1".to_owned(),
        number: None,
        description: None,
        imsi: Some("001010123456789".to_owned()),
        imei: None,
        received: SpoolTime {
            year: 2026,
            month: 11,
            day: 21,
            hour: 19,
            minute: 29,
            second: 20,
        },
    }
}

fn decode(hex: &str) -> Decoded<Pdu> {
    Pdu::decode_hex(hex).unwrap()
}

fn render_hex(pdus: &[&str]) -> String {
    String::from_utf8(render_hex_bytes(pdus)).unwrap()
}

fn render_hex_bytes(pdus: &[&str]) -> Vec<u8> {
    let decoded: Vec<Decoded<Pdu>> = pdus.iter().map(|hex| decode(hex)).collect();
    let parts: Vec<MessagePart<'_>> = decoded.iter().filter_map(MessagePart::of).collect();
    render_incoming(&parts, &received_by())
}

fn header_names(file: &str) -> Vec<&str> {
    file.split("\n\n")
        .next()
        .unwrap()
        .lines()
        .map(|line| line.split(':').next().unwrap())
        .collect()
}

/// A DELIVER from +4915112340006 carrying `user_data`.
fn deliver(dcs: DataCodingScheme, user_data: UserData) -> Deliver {
    Deliver {
        no_more_messages: true,
        loop_prevention: false,
        status_report_indication: false,
        reply_path: false,
        originator: Address::numeric("4915112340006", TypeOfAddress::INTERNATIONAL).unwrap(),
        pid: ProtocolIdentifier::DEFAULT,
        dcs,
        scts: Timestamp {
            year: 26,
            month: 11,
            day: 21,
            hour: 19,
            minute: 29,
            second: 19,
            tz_quarters: 4,
        },
        user_data,
    }
}

// The PDU smsd received in the notes (section 5.1) and the file it
// wrote (section 10), IMEI left out as unknown.
#[test]
fn a_plain_message_is_written_as_smsd_writes_it() {
    let file = render_hex(&[
        "07915155550500F0040B911346610089F60000621112919291001BC8329BFD06CDDB7332C82C7FB741747419E42ED3EF6FF91A",
    ]);
    assert_eq!(
        file,
        "From: 31641600986\nFrom_TOA: 91 international, ISDN/telephone\nFrom_SMSC: 15555550000\n\
         Sent: 26-11-21 19:29:19\nReceived: 26-11-21 19:29:20\nSubject: GSM1\nModem: GSM1\n\
         IMSI: 001010123456789\nReport: no\nAlphabet: UTF-8\nLength: 27\n\nHello smsd from the network"
    );
}

#[test]
fn imsi_and_imei_are_written_only_when_known() {
    let decoded = decode("07915155550500F0040B911346610089F600006211129192910005C8329BFD06");
    let parts = [MessagePart::of(&decoded).unwrap()];
    let mut by = received_by();
    by.imei = Some("490154203237518".to_owned());
    let both = String::from_utf8(render_incoming(&parts, &by)).unwrap();
    assert!(
        both.contains("IMSI: 001010123456789\nIMEI: 490154203237518\n"),
        "{both}"
    );
    by.imsi = None;
    by.imei = None;
    let neither = String::from_utf8(render_incoming(&parts, &by)).unwrap();
    assert!(
        !neither.contains("IMSI") && !neither.contains("IMEI"),
        "{neither}"
    );
}

#[test]
fn flags_of_the_pdu_become_headers_in_smsds_order() {
    // TP-SRI set, TP-PID 43 (replace type 3), DCS F0 (GSM 7-bit class 0).
    let mut message = deliver(DataCodingScheme(0xF0), UserData::default());
    message.status_report_indication = true;
    message.pid = ProtocolIdentifier(0x43);
    let parts = [MessagePart {
        smsc: None,
        deliver: &message,
        warnings: &[],
        pdu: None,
    }];
    let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
    assert_eq!(
        header_names(&file),
        [
            "From", "From_TOA", "Sent", "Received", "Subject", "Modem", "IMSI", "Report", "Replace", "Flash",
            "Alphabet", "Length"
        ]
    );
    assert!(file.contains("Report: yes\nReplace: 3\nFlash: yes\n"), "{file}");
    assert!(
        file.contains("Sent: 26-11-21 19:29:19\n"),
        "the SMSC's own zone: {file}"
    );
}

/// smsd 3.1.21 with a modem's `number` and `description` (a real run):
/// both after `Modem:`, in received files and reports alike.
#[test]
fn number_and_description_follow_modem_as_in_smsd() {
    let message = deliver(DataCodingScheme(0x00), UserData::default());
    let parts = [MessagePart {
        smsc: None,
        deliver: &message,
        warnings: &[],
        pdu: None,
    }];
    let by = ReceivedBy {
        number: Some("4917200000000".to_owned()),
        description: Some("rack A slot 1".to_owned()),
        ..received_by()
    };
    let file = String::from_utf8(render_incoming(&parts, &by)).unwrap();
    assert_eq!(
        header_names(&file)[4..9],
        ["Subject", "Modem", "Number", "Description", "IMSI"],
        "{file}"
    );
    assert!(
        file.contains("Modem: GSM1\nNumber: 4917200000000\nDescription: rack A slot 1\n"),
        "{file}"
    );
}

#[test]
fn class_1_and_short_message_type_0_are_not_flash_or_replace() {
    let mut message = deliver(DataCodingScheme(0xF1), UserData::default());
    message.pid = ProtocolIdentifier::SHORT_MESSAGE_TYPE_0;
    let parts = [MessagePart {
        smsc: None,
        deliver: &message,
        warnings: &[],
        pdu: None,
    }];
    let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
    assert!(!file.contains("Flash") && !file.contains("Replace"), "{file}");
}

#[test]
fn binary_data_is_written_raw_with_its_port_header() {
    let file = render_hex_bytes(&[
        "07915155550500F0440D91945111320410F100F5621112919291000D0605040B8423F00106032E8400",
    ]);
    let text_at = file.windows(2).position(|pair| pair == b"\n\n").unwrap();
    let (header, body) = (
        std::str::from_utf8(&file[..text_at]).unwrap(),
        &file[text_at + 2..],
    );
    assert!(header.ends_with(
        "Alphabet: binary\nUDH-DATA: 06 05 04 0B 84 23 F0 \n\
         UDH-Type: Length=7, [05]Application port addressing scheme, 16 bit address\nLength: 6"
    ));
    assert_eq!(body, [0x01, 0x06, 0x03, 0x2E, 0x84, 0x00]);
}

#[test]
fn binary_bytes_that_are_not_utf8_survive() {
    let data = vec![0x00, 0x0A, 0xFF, 0x80, 0x0D];
    let message = deliver(
        DataCodingScheme::EIGHT_BIT,
        UserData {
            header: None,
            body: sms_pdu::Body::Octets(data.clone()),
        },
    );
    let parts = [MessagePart {
        smsc: None,
        deliver: &message,
        warnings: &[],
        pdu: None,
    }];
    let file = render_incoming(&parts, &received_by());
    assert!(file.ends_with(b"Alphabet: binary\nLength: 5\n\n\x00\x0A\xFF\x80\x0D"));
}

#[test]
fn udh_type_names_every_element_and_its_range() {
    assert_eq!(
        udh_type(&[0x08, 0x00, 0x03, 0x01, 0x02, 0x01, 0x70, 0x01, 0x00]),
        "Length=9, [00]Concatenated short messages, 8-bit reference number, [70](U)SIM Toolkit Security Headers"
    );
    assert_eq!(element_name(0x1C), "Reserved for future EMS features");
    assert_eq!(element_name(0x24), "Reserved for future use");
    assert_eq!(element_name(0x85), "SME to SME specific use");
    assert_eq!(element_name(0xC5), "SC specific use");
    assert_eq!(element_name(0xF0), "Reserved for future use");
}

#[test]
fn parts_are_joined_in_part_order_whatever_the_arrival() {
    let split = split_text(&"Fourteen chars".repeat(15), &SplitOptions::default()).unwrap();
    assert_eq!(split.parts.len(), 2);
    let messages: Vec<Deliver> = split
        .parts
        .iter()
        .map(|user_data| deliver(DataCodingScheme::GSM7, user_data.clone()))
        .collect();
    let in_order: Vec<MessagePart<'_>> = messages.iter().map(part).collect();
    let reversed: Vec<MessagePart<'_>> = messages.iter().rev().map(part).collect();
    let expected = render_incoming(&in_order, &received_by());
    assert_eq!(render_incoming(&reversed, &received_by()), expected);
    let file = String::from_utf8(expected).unwrap();
    assert!(
        file.ends_with(&format!("Length: 210\n\n{}", "Fourteen chars".repeat(15))),
        "{file}"
    );
    assert!(
        !file.contains("UDH"),
        "the concatenation element is not written: {file}"
    );
    assert!(!file.contains("Incomplete"), "{file}");
    // A part delivered twice is written once.
    let twice: Vec<MessagePart<'_>> = messages.iter().chain(&messages[..1]).map(part).collect();
    assert_eq!(
        String::from_utf8(render_incoming(&twice, &received_by())).unwrap(),
        file
    );
}

/// `Sent:` of a concatenated message is part 1's time stamp, whatever
/// order the parts came in (smsd 3.1.21 takes it from the part that
/// arrived first; docs/differences.md R6): the file says the same
/// however the network delivered it.
#[test]
fn sent_is_part_1s_time_stamp() {
    let split = split_text(&"Fourteen chars".repeat(15), &SplitOptions::default()).unwrap();
    let messages: Vec<Deliver> = split
        .parts
        .iter()
        .enumerate()
        .map(|(idx, user_data)| {
            let mut message = deliver(DataCodingScheme::GSM7, user_data.clone());
            message.scts.second = 10 + idx as u8;
            message
        })
        .collect();
    for arrival in [vec![0, 1], vec![1, 0]] {
        let parts: Vec<MessagePart<'_>> = arrival.iter().map(|&idx| part(&messages[idx])).collect();
        let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
        assert!(
            file.contains("\nSent: 26-11-21 19:29:10\n"),
            "{arrival:?}: {file}"
        );
    }
}

/// A sender that cuts by UTF-16 code units splits `😀` between two
/// parts; it was written as two U+FFFD with two warnings.
#[test]
fn an_emoji_split_between_two_ucs2_parts_is_one_character() {
    let options = SplitOptions {
        alphabet: AlphabetChoice::Ucs2,
        ..SplitOptions::default()
    };
    let split = split_text(&"x".repeat(100), &options).unwrap();
    assert_eq!(split.parts.len(), 2);
    let bodies = [vec![0x00, b'A', 0xD8, 0x3D], vec![0xDE, 0x00, 0x00, b'B']];
    let messages: Vec<Deliver> = split
        .parts
        .iter()
        .zip(bodies)
        .map(|(user_data, body)| {
            let user_data = sms_pdu::UserData {
                header: user_data.header.clone(),
                body: sms_pdu::Body::Octets(body),
            };
            deliver(DataCodingScheme::UCS2, user_data)
        })
        .collect();
    let parts: Vec<MessagePart<'_>> = messages.iter().rev().map(part).collect();
    let file = String::from_utf8(render_incoming(&parts, &received_by())).unwrap();
    assert!(file.ends_with("Length: 6\n\nA😀B"), "{file}");
    assert!(!file.contains("Warning"), "{file}");
}

fn part(deliver: &Deliver) -> MessagePart<'_> {
    MessagePart {
        smsc: None,
        deliver,
        warnings: &[],
        pdu: None,
    }
}

#[test]
fn a_message_whose_wait_ran_out_says_which_parts_are_missing() {
    let options = SplitOptions {
        alphabet: AlphabetChoice::Ucs2,
        ..SplitOptions::default()
    };
    let split = split_text(&"Привет мир ".repeat(20), &options).unwrap();
    assert_eq!(split.parts.len(), 4);
    let messages: Vec<Deliver> = split
        .parts
        .iter()
        .map(|user_data| deliver(DataCodingScheme::UCS2, user_data.clone()))
        .collect();
    let second = [part(&messages[1])];
    let file = String::from_utf8(render_incoming(&second, &received_by())).unwrap();
    let second_text = messages[1].text().unwrap();
    assert!(
        file.ends_with(&format!(
            "Length: {}\nIncomplete: yes\nMissing_parts: 1,3,4\n\n{second_text}",
            second_text.len()
        )),
        "{file}"
    );
}

#[test]
fn a_bad_timestamp_gets_smsds_warning_and_the_rest_the_codecs() {
    // SCTS month 13, then two octets after the user data.
    let file = render_hex(&["07915155550500F0040D91945111320410F400006231129192910008C23019440ED3CBAABB"]);
    assert_eq!(
        header_names(&file)[..3],
        ["Warning", "Warning", "From"],
        "warnings come first: {file}"
    );
    assert!(
        file.starts_with(
            "Warning: Invalid values(s) in date of Service Centre Time Stamp.\n\
         Warning: octet 35 (TP-UD): 2 octet(s) after the user data, ignored\n"
        ),
        "{file}"
    );
}

#[test]
fn timestamp_checks_follow_smsd() {
    let mut timestamp = Timestamp {
        year: 26,
        month: 0,
        day: 0,
        hour: 24,
        minute: 0,
        second: 0,
        tz_quarters: 0,
    };
    // smsd lets a zero month and day pass, but not hour 24 in an SCTS.
    assert_eq!(
        timestamp_warnings(&timestamp, "TP-SCTS", Stamp::Deliver),
        ["Invalid values(s) in time of Service Centre Time Stamp."]
    );
    assert!(timestamp_warnings(&timestamp, "TP-DT", Stamp::Report).is_empty());
    timestamp.day = 32;
    assert_eq!(
        timestamp_warnings(&timestamp, "TP-SCTS", Stamp::Report),
        [
            "Invalid value(s) in date of SMSC Timestamp.",
            "Invalid value(s) in time of SMSC Timestamp."
        ]
    );
    assert_eq!(
        timestamp_warnings(&timestamp, "TP-DT", Stamp::Report),
        ["Invalid values(s) in Discharge Timestamp."]
    );
    // Only a month 0 is wrong: smsd says nothing, so the codec does.
    let warning = Warning {
        location: Location::Octet {
            offset: 20,
            field: "TP-SCTS",
        },
        message: "implausible date or time".to_owned(),
    };
    let plausible_to_smsd = Timestamp {
        month: 0,
        day: 1,
        hour: 1,
        ..timestamp
    };
    assert_eq!(
        smsd_warnings(
            std::slice::from_ref(&warning),
            &[("TP-SCTS", &plausible_to_smsd)],
            Stamp::Deliver
        ),
        ["octet 20 (TP-SCTS): implausible date or time"]
    );
}

#[test]
fn a_status_report_is_written_as_smsd_writes_it() {
    // The notes, section 10 (MR 1, delivered), IMEI unknown.
    let decoded = decode("07915155550500F006010D91947112325476F8621112919202006211129192020000");
    let (directory, file) = render_pdu(&decoded, &received_by());
    assert_eq!(directory, Directory::Report);
    assert_eq!(
        String::from_utf8(file).unwrap(),
        "From: 4917212345678\nFrom_TOA: 91 international, ISDN/telephone\nFrom_SMSC: 15555550000\n\
         Sent: 26-11-21 19:29:20\nReceived: 26-11-21 19:29:20\nSubject: GSM1\nModem: GSM1\n\
         IMSI: 001010123456789\nReport: no\nAlphabet: UTF-8\nLength: 117\nUDH: no\n\n\
         SMS STATUS REPORT\nMessage_id: 1\nDischarge_timestamp: 26-11-21 19:29:20\n\
         Status: 0,Ok,short message received by the SME"
    );
}

/// A TP-DT time zone octet whose semi-octet is no digit (`A0`) made
/// the whole report undecodable, so it was lost; now only the time
/// zone is, with a warning in the file.
#[test]
fn a_report_with_a_bad_time_zone_is_written_with_a_warning() {
    let decoded = decode("07915155550500F006010D91947112325476F862111291920200621112919202A000");
    let (directory, file) = render_pdu(&decoded, &received_by());
    assert_eq!(directory, Directory::Report);
    let file = String::from_utf8(file).unwrap();
    assert!(
        file.starts_with(
            "Warning: octet 32 (TP-DT): time zone octet A0 is not two digits (nibble A), read as UTC\n"
        ),
        "{file}"
    );
    assert!(
        file.ends_with("Message_id: 1\nDischarge_timestamp: 26-11-21 19:29:20\nStatus: 0,Ok,short message received by the SME"),
        "{file}"
    );
}

#[test]
fn every_status_code_is_written_with_its_text() {
    let decoded = decode("07915155550500F006010D91947112325476F8621112919202006211129192020000");
    let Tpdu::StatusReport(report) = &decoded.value.tpdu else {
        unreachable!("a report")
    };
    for code in 0..=u8::MAX {
        let report = StatusReport {
            status: Status(code),
            ..report.clone()
        };
        let file = String::from_utf8(render_report(None, &report, &[], &received_by())).unwrap();
        let (header, body) = file.split_once("\n\n").unwrap();
        assert!(body.ends_with(&format!("\nStatus: {code},{}", Status(code).smstools_text())));
        assert!(header.contains(&format!("\nLength: {}\n", body.len())), "{file}");
        assert!(
            !header.contains("From_SMSC"),
            "no SMSC address, no line: {header}"
        );
    }
}

#[test]
fn an_undecodable_pdu_keeps_its_hex_and_the_reason() {
    // Cut inside the time stamp (a PDU cut in its user data decodes,
    // with a `truncated user data` warning).
    let hex = "07915155550500F0040B911346610089F6000062111291";
    let error = Pdu::decode_hex(hex).unwrap_err();
    let file = String::from_utf8(render_undecodable(hex, &error, &received_by())).unwrap();
    let (header, body) = file.split_once("\n\n").unwrap();
    assert!(
        header.starts_with(&format!("Error: {error}\nReceived: ")),
        "{file}"
    );
    assert!(error.to_string().contains("TP-SCTS"), "{error}");
    assert_eq!(body, format!("This PDU cannot be decoded: {error}\nPDU: {hex}\n"));
    // smsd's default `store_received_pdu = 1` stores an undecodable PDU.
    assert!(
        header.ends_with(&format!("Length: {}\nPDU: {hex}", body.len())),
        "{file}"
    );
    let never = IncomingFormat {
        store_pdu: StoreReceivedPdu::Never,
        ..IncomingFormat::default()
    };
    let file = String::from_utf8(never.render_undecodable(hex, &error, &received_by())).unwrap();
    let (header, _) = file.split_once("\n\n").unwrap();
    assert!(header.ends_with(&format!("Length: {}", body.len())), "{file}");
}

const ISO: IncomingFormat = IncomingFormat {
    charset: IncomingCharset::Iso8859_15,
    store_pdu: StoreReceivedPdu::Never,
};

/// smsd's `gsm2iso`: ISO-8859-15, GSM's Greek capitals at 0x81-0x8A, the
/// currency sign and the euro at 0xA4; `Length` counts the octets.
#[test]
fn iso_8859_15_writes_gsm_text_as_smsds_gsm2iso() {
    // A Δ ä € ¤ Ç Ξ
    let septets = vec![0x41, 0x10, 0x7B, 0x1B, 0x65, 0x24, 0x09, 0x1A];
    let user_data = UserData {
        header: None,
        body: sms_pdu::Body::Septets(septets),
    };
    let message = deliver(DataCodingScheme::GSM7, user_data);
    let file = ISO.render_incoming(&[part(&message)], &received_by());
    let expected: &[u8] = b"Alphabet: ISO\nLength: 7\n\n\x41\x81\xE4\xA4\xA4\xC7\x8A";
    assert!(file.ends_with(expected), "{}", String::from_utf8_lossy(&file));
    let utf8 = render_incoming(&[part(&message)], &received_by());
    assert!(utf8.ends_with("Alphabet: UTF-8\nLength: 7\n\nAΔä€¤ÇΞ".as_bytes()));
}

/// smsd's `decode_unicode_text = no`: UCS2 as it came, `Length` in code
/// units, even for an emoji's surrogate pair.
#[test]
fn iso_8859_15_keeps_ucs2_raw() {
    let octets = vec![0x04, 0x1F, 0xD8, 0x3D, 0xDE, 0x00];
    let user_data = UserData {
        header: None,
        body: sms_pdu::Body::Octets(octets.clone()),
    };
    let message = deliver(DataCodingScheme::UCS2, user_data);
    let file = ISO.render_incoming(&[part(&message)], &received_by());
    let mut expected = b"Alphabet: UCS2\nLength: 3\n\n".to_vec();
    expected.extend_from_slice(&octets);
    assert!(file.ends_with(&expected), "{}", String::from_utf8_lossy(&file));
}

#[test]
fn a_report_in_iso_8859_15_says_iso() {
    let report = decode("07915155550500F006010D91947192990900F1526051210000005260512100500000");
    let (_, file) = ISO.render_pdu(&report, None, &received_by());
    let file = String::from_utf8(file).unwrap();
    assert!(
        file.contains("\nAlphabet: ISO\nLength: 117\nUDH: no\n\n"),
        "{file}"
    );
}

#[test]
fn incoming_charset_names() {
    for charset in [IncomingCharset::Utf8, IncomingCharset::Iso8859_15] {
        assert_eq!(IncomingCharset::from_name(charset.name()), Some(charset));
    }
    assert_eq!(
        IncomingCharset::from_name("ISO-8859-15"),
        Some(IncomingCharset::Iso8859_15)
    );
    assert_eq!(IncomingCharset::from_name("latin1"), None);
}

/// smsd.c `received2file`: 0 never; 1 undecodable only; 2 also reports
/// and raw UCS2 (not GSM text, 8-bit data or UCS2 decoded to UTF-8); 3
/// every file, one line per part in part order.
#[test]
fn store_received_pdu_levels_like_smsd() {
    let gsm = "07915155550500F0040B911346610089F600006211129192910005C8329BFD06";
    let ucs2 = "07915155550500F0040D91945111320410F50008621112919291001C041F04400438043204350442002C0020043C043804400021002020AC";
    let binary = "07915155550500F0040D91945111320400F40004621112919291000A00010A0D4180FEFF7F20";
    let report = "07915155550500F006010D91947192990900F1526051210000005260512100500000";
    let concat = [
        "07915155550500F0440D91945111320400F70000621112919291001E050003420302A6E5F1DB4D06C1C3723A0B3447D7CD667699EC0201",
        "07915155550500F0440D91945111320400F70000621112919291001D0500034203018C69F99C0E8287E57416688EAE9BCDEC32D90502",
    ];
    let pdu_lines = |format: IncomingFormat, pdus: &[&str]| -> Vec<String> {
        let decoded: Vec<Decoded<Pdu>> = pdus.iter().map(|hex| decode(hex)).collect();
        let file = match MessagePart::of(&decoded[0]) {
            Some(_) => {
                let parts: Vec<MessagePart<'_>> = decoded
                    .iter()
                    .zip(pdus)
                    .filter_map(|(decoded, hex)| Some(MessagePart::of(decoded)?.with_pdu(hex)))
                    .collect();
                format.render_incoming(&parts, &received_by())
            }
            None => format.render_pdu(&decoded[0], Some(pdus[0]), &received_by()).1,
        };
        let text = String::from_utf8_lossy(&file).into_owned();
        let header = text.split("\n\n").next().unwrap_or_default();
        header
            .lines()
            .filter_map(|line| line.strip_prefix("PDU: "))
            .map(str::to_owned)
            .collect()
    };
    let owned = |pdus: &[&str]| -> Vec<String> { pdus.iter().map(|pdu| (*pdu).to_owned()).collect() };
    for charset in [IncomingCharset::Utf8, IncomingCharset::Iso8859_15] {
        for level in 0..=3 {
            let format = IncomingFormat {
                charset,
                store_pdu: StoreReceivedPdu::from_level(level).unwrap(),
            };
            let all = level == 3;
            let unusual = level >= 2;
            let raw_ucs2 = charset == IncomingCharset::Iso8859_15;
            let case = format!("{} level {level}", charset.name());
            let expect = |stored: bool, pdus: &[&str]| if stored { owned(pdus) } else { Vec::new() };
            assert_eq!(pdu_lines(format, &[gsm]), expect(all, &[gsm]), "GSM, {case}");
            assert_eq!(
                pdu_lines(format, &[binary]),
                expect(all, &[binary]),
                "8-bit, {case}"
            );
            assert_eq!(
                pdu_lines(format, &[report]),
                expect(unusual, &[report]),
                "report, {case}"
            );
            assert_eq!(
                pdu_lines(format, &[ucs2]),
                expect(all || (unusual && raw_ucs2), &[ucs2]),
                "UCS2, {case}"
            );
            // Arrived second part first; written in part order.
            assert_eq!(
                pdu_lines(format, &concat),
                expect(all, &[concat[1], concat[0]]),
                "concatenated, {case}"
            );
        }
    }
    assert_eq!(StoreReceivedPdu::from_level(4), None);
    assert_eq!(StoreReceivedPdu::default().level(), 1, "smsd's default");
}

#[test]
fn a_submit_or_no_parts_is_an_error_file() {
    let submit = decode("0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301");
    let (directory, file) = render_pdu(&submit, &received_by());
    assert_eq!(directory, Directory::Incoming);
    assert!(file.starts_with(b"Error: the PDU is an SMS-SUBMIT"));
    assert!(MessagePart::of(&submit).is_none());
    assert!(render_incoming(&[], &received_by()).starts_with(b"Error: no message parts to write\n"));
}

#[test]
fn a_sender_name_cannot_break_the_header() {
    let mut message = deliver(DataCodingScheme::GSM7, UserData::default());
    message.originator = Address::alphanumeric("BANK\nX: 1").unwrap_or_else(|_| Address {
        toa: TypeOfAddress::ALPHANUMERIC,
        number: "BANK\nX: 1".to_owned(),
    });
    let file = String::from_utf8(render_incoming(&[part(&message)], &received_by())).unwrap();
    assert!(
        file.starts_with("From: BANK X: 1\nFrom_TOA: D0 alphanumeric, unknown\n"),
        "{file}"
    );
}

proptest! {
    #[test]
    fn no_deliver_makes_the_renderer_panic(octets in proptest::collection::vec(any::<u8>(), 0..200)) {
        match Pdu::decode(&octets) {
            Ok(decoded) => {
                let (_, file) = render_pdu(&decoded, &received_by());
                prop_assert!(file.windows(2).any(|pair| pair == b"\n\n"));
            }
            Err(error) => {
                let file = render_undecodable(&sms_pdu::encode_hex(&octets), &error, &received_by());
                prop_assert!(file.starts_with(b"Error: "));
            }
        }
    }

    #[test]
    fn text_round_trips(
        text in "\\PC{1,400}",
        ucs2 in any::<bool>(),
        national in any::<bool>(),
        shuffle in any::<u64>(),
    ) {
        let options = SplitOptions {
            alphabet: if ucs2 { AlphabetChoice::Ucs2 } else { AlphabetChoice::Auto },
            national_languages: if national { vec![NationalLanguage::Turkish] } else { Vec::new() },
            reference: 7,
            ..SplitOptions::default()
        };
        let Ok(split) = split_text(&text, &options) else { return Ok(()) };
        let dcs = match split.alphabet {
            Alphabet::Ucs2 => DataCodingScheme::UCS2,
            _ => DataCodingScheme::GSM7,
        };
        let messages: Vec<Deliver> = split.parts.iter().map(|user_data| deliver(dcs, user_data.clone())).collect();
        let mut parts: Vec<MessagePart<'_>> = messages.iter().map(part).collect();
        let n_parts = parts.len();
        parts.rotate_left(usize::try_from(shuffle % n_parts as u64).unwrap());
        let file = render_incoming(&parts, &received_by());
        let text_at = file.windows(2).position(|pair| pair == b"\n\n").unwrap() + 2;
        prop_assert_eq!(std::str::from_utf8(&file[text_at..]).unwrap(), text.as_str());
    }
}

/// What `smsgate inbox` shows of a received file: its text, whatever the
/// charset it was written in.
#[test]
fn a_body_reads_back_in_its_files_charset() {
    let septets = vec![0x41, 0x10, 0x7B, 0x1B, 0x65, 0x1A];
    let user_data = UserData {
        header: None,
        body: sms_pdu::Body::Septets(septets),
    };
    let message = deliver(DataCodingScheme::GSM7, user_data);
    let file = ISO.render_incoming(&[part(&message)], &received_by());
    let body = &file[file.windows(2).position(|pair| pair == b"\n\n").unwrap() + 2..];
    assert_eq!(body_text(Some("ISO"), body), "AΔä€Ξ");
    let ucs2: Vec<u8> = "Привет 😀".encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(body_text(Some("UCS2"), &ucs2), "Привет 😀");
    assert_eq!(body_text(Some("UTF-8"), "Grüße".as_bytes()), "Grüße");
    assert_eq!(body_text(Some("UCS2"), &[0x00, 0x41, 0x00]), "A\u{FFFD}");
}
