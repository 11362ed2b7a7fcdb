//! Tests of planning: known answers from the smsd lab captures, and each
//! header's effect on the PDUs.

use sms_pdu::{Tpdu, TypeOfAddress};

use super::*;
use crate::outgoing::NoIncludes;
use crate::ToToa;

fn file(text: &[u8]) -> OutgoingFile {
    OutgoingFile::parse(text, &mut NoIncludes).unwrap()
}

fn sms(text: &[u8], defaults: &PlanDefaults) -> SmsPlan {
    match plan(&file(text), defaults).unwrap() {
        Plan::Sms(sms) => sms,
        other => panic!("not an SMS: {other:?}"),
    }
}

fn hexes(text: &[u8], defaults: &PlanDefaults) -> Vec<String> {
    sms(text, defaults)
        .pdus
        .iter()
        .map(|pdu| pdu.to_cmgs().unwrap().1)
        .collect()
}

fn submit(pdu: &Pdu) -> &sms_pdu::Submit {
    match &pdu.tpdu {
        Tpdu::Submit(submit) => submit,
        other => panic!("not a SUBMIT: {other:?}"),
    }
}

fn smsd_defaults() -> PlanDefaults {
    PlanDefaults {
        report: true,
        ..PlanDefaults::default()
    }
}

/// Capture: smsd 3.1.21 lab, "plain" ISO file with `report = yes`
/// (the same PDU sms-pdu's outgoing tests check).
#[test]
fn smsd_capture_plain_iso() {
    assert_eq!(
        hexes(
            b"To: 4917212345678\nAlphabet: ISO\n\nHello from smsd\n",
            &smsd_defaults()
        ),
        ["0031000D91947112325476F80000FF0FC8329BFD0699E5EF3668DE9E9301"]
    );
}

/// Capture: smsd 3.1.21 lab, `Alphabet: UTF` sent as UCS2 with the file's
/// trailing newline (`000A`), reproduced with `TrailingNewline::LikeSmsd`.
#[test]
fn smsd_capture_utf_with_newline() {
    let defaults = PlanDefaults {
        trailing_newline: TrailingNewline::LikeSmsd,
        ..smsd_defaults()
    };
    let text = "To: 4917212345678\nAlphabet: UTF-8\n\nUnicode from smsd: Привет €\n";
    assert_eq!(
        hexes(text.as_bytes(), &defaults),
        ["0031000D91947112325476F80008FF380055006E00690063006F00640065002000660072006F006D00200073006D00730064003A0020041F04400438043204350442002020AC000A"]
    );
    // smsgate's default drops it: 27 characters, not 28.
    let stripped = sms(text.as_bytes(), &smsd_defaults());
    assert_eq!(
        submit(&stripped.pdus[0]).text().unwrap(),
        "Unicode from smsd: Привет €"
    );
}

#[test]
fn trailing_newline_stripped_once() {
    let plan = sms(b"To: 1\nAlphabet: UTF-8\n\nHi\r\n\r\n", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).text().unwrap(), "Hi\r\n");
    let like_smsd = PlanDefaults {
        trailing_newline: TrailingNewline::LikeSmsd,
        ..PlanDefaults::default()
    };
    let iso = sms(b"To: 1\nAlphabet: ISO\n\nHi\n", &like_smsd);
    assert_eq!(submit(&iso.pdus[0]).text().unwrap(), "Hi");
    // smsd sends the newline of a GSM body (differential corpus,
    // `07-gsm.sms`), as of UTF-8 and UCS2 ones.
    let gsm = sms(b"To: 1\nAlphabet: GSM\n\nHi\n", &like_smsd);
    assert_eq!(submit(&gsm.pdus[0]).text().unwrap(), "Hi\n");
    let utf8 = sms(b"To: 1\nAlphabet: UTF-8\n\nHi\n", &like_smsd);
    assert_eq!(submit(&utf8.pdus[0]).text().unwrap(), "Hi\n");
}

/// smsd reads a file without `Alphabet:` as ISO and drops all trailing
/// blanks, tabs and line ends of ISO text (differential corpus,
/// `34-trailing-whitespace.sms`, `35-trailing-whitespace-iso.sms`).
#[test]
fn iso_text_loses_all_trailing_whitespace() {
    for defaults in [
        PlanDefaults::default(),
        PlanDefaults {
            trailing_newline: TrailingNewline::LikeSmsd,
            ..PlanDefaults::default()
        },
    ] {
        for file in [
            &b"To: 1\n\nTrailing blanks  \t \n\n\n"[..],
            b"To: 1\nAlphabet: ISO\n\nTrailing blanks \t\r\n\r\n",
        ] {
            let plan = sms(file, &defaults);
            assert_eq!(submit(&plan.pdus[0]).text().unwrap(), "Trailing blanks");
            assert_eq!(plan.message.destination.number, "1");
        }
    }
    // Blanks inside the text stay.
    let plan = sms(b"To: 1\n\n a  b \n", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).text().unwrap(), " a  b");
}

/// smsd writes a TAB as a space in GSM 7-bit; it made the whole message
/// UCS2 (twice the cost), or refused an ISO file.
#[test]
fn tab_is_a_space_in_gsm() {
    for file in [
        &b"To: 1\n\nTab\there\n"[..],
        b"To: 1\nAlphabet: ISO\n\nTab\there\n",
    ] {
        let plan = sms(file, &PlanDefaults::default());
        let pdu = submit(&plan.pdus[0]);
        assert_eq!(pdu.dcs, DataCodingScheme(0));
        assert_eq!(pdu.text().unwrap(), "Tab here");
    }
    // Text that needs UCS2 anyway keeps its TAB.
    let plan = sms("To: 1\n\nТаб\tздесь\n".as_bytes(), &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).text().unwrap(), "Таб\tздесь");
    // So does UCS2 text.
    let mut ucs2 = b"To: 1\nAlphabet: UCS2\n\n".to_vec();
    ucs2.extend_from_slice(&[0x00, b'a', 0x00, 0x09, 0x00, b'b']);
    let plan = sms(&ucs2, &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).text().unwrap(), "a\tb");
}

/// smsd: `No text or data`. A message with nothing to say is refused, not
/// sent with a UDL of 0.
#[test]
fn an_empty_message_is_refused() {
    for file in [
        &b"To: 1\n\n"[..],
        b"To: 1\n",
        b"To: 1\n\n\n",
        b"To: 1\n\n \t\r\n",
        b"To: 1\nAlphabet: UTF-8\n\n\n",
        b"To: 1\nAlphabet: binary\nUDH: no\n\n",
        b"To: 1\nAlphabet: UCS2\n\n",
    ] {
        let parsed = OutgoingFile::parse(file, &mut crate::NoIncludes).unwrap();
        assert_eq!(
            plan(&parsed, &PlanDefaults::default()).unwrap_err().to_string(),
            "Body: no text or data: the message is empty",
            "{}",
            String::from_utf8_lossy(file)
        );
    }
    // A header alone is data (port addressing), and a system message is
    // sent without a body.
    sms(
        b"To: 1\nAlphabet: binary\nUDH-DATA: 06 05 04 0B 84 23 F0\n\n",
        &PlanDefaults::default(),
    );
    sms(
        b"To: 1\nAlphabet: binary\nSystem_message: yes\n\n",
        &PlanDefaults::default(),
    );
}

#[test]
fn utf8_text_goes_in_gsm7_when_it_can() {
    let plan = sms(b"To: 1\n\nplain ascii\n", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).dcs, DataCodingScheme::GSM7);
}

#[test]
fn ucs2_file_goes_in_ucs2() {
    let plan = sms(b"To: 1\nAlphabet: UCS2\n\n\x00\x41", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).dcs, DataCodingScheme::UCS2);
}

#[test]
fn iso_text_must_fit_gsm7() {
    let error = plan(
        &file(b"To: 1\nAlphabet: ISO\n\nmoney: \xa5 \xe2"),
        &PlanDefaults::default(),
    );
    // ¥ is in GSM 7-bit, â (0xE2) is not.
    let error = error.unwrap_err();
    assert_eq!(error.header, "Alphabet");
    assert!(
        error.to_string().starts_with("Alphabet: character 'â'"),
        "{error}"
    );
}

#[test]
fn to_and_numbering_policy() {
    let defaults = PlanDefaults {
        numbering: NumberingPolicy {
            international_prefixes: vec!["358".into()],
            ..NumberingPolicy::default()
        },
        ..PlanDefaults::default()
    };
    let plan = sms(b"To: 0401234567\n\nx", &defaults);
    assert_eq!(plan.message.destination.toa, TypeOfAddress::NATIONAL);
    let plan = sms(b"To: 0401234567\nTo_TOA: Unknown\n\nx", &defaults);
    assert_eq!(plan.message.destination.toa, TypeOfAddress::UNKNOWN);
    let plan = sms(b"To: s16400\n\nx", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).destination.toa, TypeOfAddress::UNKNOWN);
    assert_eq!(
        file(b"To: 1\nTo_TOA: national\n\nx").to_toa,
        Some(ToToa::National)
    );
}

#[test]
fn flash_is_class_0() {
    let plan = sms(b"To: 1\nFlash: yes\n\nx", &PlanDefaults::default());
    // smsd's flash DCS (notes, gotcha 12).
    assert_eq!(submit(&plan.pdus[0]).dcs, DataCodingScheme(0x10));
}

#[test]
fn report_header_overrides_config() {
    assert!(sms(b"To: 1\n\nx", &smsd_defaults()).message.status_report_request);
    assert!(
        !sms(b"To: 1\nReport: no\n\nx", &smsd_defaults())
            .message
            .status_report_request
    );
    assert!(
        sms(b"To: 1\nReport: yes\n\nx", &PlanDefaults::default())
            .message
            .status_report_request
    );
}

#[test]
fn validity_header_overrides_config() {
    let plan = sms(b"To: 1\nValidity: 1 day\n\nx", &PlanDefaults::default());
    assert_eq!(
        submit(&plan.pdus[0]).validity,
        Some(ValidityPeriod::Relative(167))
    );
    let plan = sms(b"To: 1\n\nx", &PlanDefaults::default());
    assert_eq!(
        submit(&plan.pdus[0]).validity,
        Some(ValidityPeriod::Relative(255))
    );
}

#[test]
fn autosplit_header_overrides_config() {
    let long = format!("To: 1\n\n{}", "a".repeat(200));
    assert_eq!(sms(long.as_bytes(), &PlanDefaults::default()).pdus.len(), 2);
    let error = plan(
        &file(format!("To: 1\nAutosplit: 0\n\n{}", "a".repeat(200)).as_bytes()),
        &PlanDefaults::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Autosplit: user data is 200 septets, at most 160 fit one message"
    );
    let numbered = sms(
        format!("To: 1\nAutosplit: 2\n\n{}", "a".repeat(200)).as_bytes(),
        &PlanDefaults::default(),
    );
    assert!(submit(&numbered.pdus[0]).text().unwrap().starts_with("1/2"));
}

#[test]
fn concat_reference_comes_from_the_caller() {
    let defaults = PlanDefaults {
        concat_reference: 0xED,
        ..PlanDefaults::default()
    };
    let plan = sms(format!("To: 1\n\n{}", "a".repeat(200)).as_bytes(), &defaults);
    let header = submit(&plan.pdus[1]).user_data.header.clone().unwrap();
    assert_eq!(header.concat().unwrap().reference, 0xED);
}

#[test]
fn smsc_header_needs_a_configured_smsc() {
    let without = sms(b"To: 1\nSMSC: 358401\n\nx", &PlanDefaults::default());
    assert_eq!(without.message.smsc, None);
    let defaults = PlanDefaults {
        smsc: Some(Address::numeric("4915", TypeOfAddress::INTERNATIONAL).unwrap()),
        ..PlanDefaults::default()
    };
    assert_eq!(
        sms(b"To: 1\nSMSC: 358401\n\nx", &defaults)
            .message
            .smsc
            .unwrap()
            .number,
        "358401"
    );
}

/// Issue 12 item 14: a configured SMSC stays out of the PDU (the modem
/// gets it with `AT+CSCA`), as smsd does without `smsc_pdu`; with
/// `smsc_pdu` it goes into every PDU. It always went into the PDU.
#[test]
fn configured_smsc_goes_into_the_pdu_only_with_smsc_pdu() {
    let mut defaults = PlanDefaults {
        smsc: Some(Address::numeric("4915", TypeOfAddress::INTERNATIONAL).unwrap()),
        ..PlanDefaults::default()
    };
    let plan = sms(b"To: 1\n\nx", &defaults);
    assert_eq!(plan.message.smsc, None);
    assert!(plan.pdus[0].to_cmgs().unwrap().1.starts_with("0011"));
    defaults.smsc_pdu = true;
    let plan = sms(b"To: 1\n\nx", &defaults);
    assert_eq!(plan.message.smsc.as_ref().unwrap().number, "4915");
    assert!(plan.pdus[0].to_cmgs().unwrap().1.starts_with("0391945111"));
}

#[test]
fn replace_sets_the_pid() {
    let plan = sms(b"To: 1\nReplace: 3\n\nx", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).pid, ProtocolIdentifier(0x43));
}

#[test]
fn system_message() {
    let plan = sms(b"To: 1\nSystem_message: yes\n\nping", &PlanDefaults::default());
    let part = submit(&plan.pdus[0]);
    assert_eq!(
        (part.pid, part.dcs),
        (ProtocolIdentifier(0x40), DataCodingScheme(0xF4))
    );
    assert_eq!(part.user_data.header, None);
    assert_eq!(part.user_data.octets(), Some(&b"ping"[..]));
    let plan = sms(
        b"To: 1\nAlphabet: binary\nSystem_message: ToSIM\n\n\x01\x02",
        &PlanDefaults::default(),
    );
    let part = submit(&plan.pdus[0]);
    assert_eq!(
        (part.pid, part.dcs),
        (ProtocolIdentifier(0x7F), DataCodingScheme(0xF6))
    );
    // Found by the differential test against smsd: a text body loses its
    // trailing newline, binary data keeps every byte.
    let plan = sms(
        b"To: 1\nSystem_message: yes\n\nping\r\n",
        &PlanDefaults::default(),
    );
    assert_eq!(submit(&plan.pdus[0]).user_data.octets(), Some(&b"ping"[..]));
    let plan = sms(
        b"To: 1\nAlphabet: binary\nSystem_message: yes\n\nping\n",
        &PlanDefaults::default(),
    );
    assert_eq!(submit(&plan.pdus[0]).user_data.octets(), Some(&b"ping\n"[..]));
    let long = [b"To: 1\nSystem_message: 1\n\n".to_vec(), vec![b'a'; 141]].concat();
    assert_eq!(
        super::plan(&file(&long), &PlanDefaults::default())
            .unwrap_err()
            .to_string(),
        "System_message: 141 octets, at most 140 fit one message"
    );
}

/// The seed's WAP push: one 8-bit PDU whose header is the body's first 7
/// bytes (16-bit ports 2948 <- 9200).
#[test]
fn seed_wap_push() {
    let plan = sms(
        include_bytes!("../../test_data/wap_push.txt"),
        &PlanDefaults::default(),
    );
    assert_eq!(plan.pdus.len(), 1);
    let part = submit(&plan.pdus[0]);
    assert_eq!(part.dcs, DataCodingScheme::EIGHT_BIT);
    assert_eq!(
        part.user_data.header.as_ref().unwrap().ports(),
        Some((2948, 9200))
    );
    assert_eq!(part.user_data.octets().unwrap().len(), 49);
    let (length, hex) = plan.pdus[0].to_cmgs().unwrap();
    // SUBMIT with UDHI, to +491721234567, PID 00, DCS 04, VP FF, UDL 56.
    assert_eq!(
        hex,
        "0051000C919471123254760004FF38\
         0605040B8423F0010601AE0205040045C60D850300110103\
         57617020707573682064656D6F2066726F6D20736D73746F6F6C73332E000101"
    );
    assert_eq!(length, 13 + 1 + 56);
}

#[test]
fn binary_with_bad_body_header() {
    let error = plan(
        &file(b"To: 1\nAlphabet: binary\n\n\x05\x00\x03"),
        &PlanDefaults::default(),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "UDH: the body starts with no valid user data header: the header length octet says 5, but the body is shorter"
    );
    let error = plan(&file(b"To: 1\nAlphabet: binary\n\n"), &PlanDefaults::default()).unwrap_err();
    assert_eq!(error.header, "UDH");
}

#[test]
fn binary_with_udh_data_is_split() {
    let text = [
        b"To: 1\nAlphabet: binary\nUDH-DATA: 04 04 02 E2 E2\n\n".to_vec(),
        vec![7; 200],
    ]
    .concat();
    let plan = sms(&text, &PlanDefaults::default());
    assert_eq!(plan.pdus.len(), 2);
    for pdu in &plan.pdus {
        let header = submit(pdu).user_data.header.clone().unwrap();
        assert_eq!(header.ports(), Some((0xE2, 0xE2)));
        assert!(header.concat().is_some());
    }
}

#[test]
fn binary_without_udh() {
    let plan = sms(
        b"To: 1\nAlphabet: binary\nUDH: no\n\n\x00\x01",
        &PlanDefaults::default(),
    );
    let part = submit(&plan.pdus[0]);
    assert_eq!(part.user_data.header, None);
    assert_eq!(part.user_data.octets(), Some(&[0u8, 1][..]));
}

#[test]
fn text_with_udh_data() {
    let plan = sms(b"To: 1\nUDH-DATA: 04 04 02 E2 E2\n\nhi", &PlanDefaults::default());
    let part = submit(&plan.pdus[0]);
    assert_eq!(
        part.user_data.header.as_ref().unwrap().ports(),
        Some((0xE2, 0xE2))
    );
    assert_eq!(part.text().unwrap(), "hi");
}

#[test]
fn voicecall() {
    match plan(
        &file(b"To: 491721234567\nVoicecall: yes\n\nTONE: 5 #,#,#\n"),
        &PlanDefaults::default(),
    )
    .unwrap()
    {
        Plan::Voicecall { destination, call } => {
            assert_eq!(destination.to_string(), "+491721234567");
            assert_eq!(call.repeat, 5);
        }
        other => panic!("not a call: {other:?}"),
    }
}

/// Issue 12: `Class:` sets the message class in TP-DCS (it was ignored).
#[test]
fn class_header_sets_the_dcs_class() {
    for (value, dcs) in [("0", 0x10), ("1", 0x11), ("2", 0x12), ("3", 0x13)] {
        let plan = sms(
            format!("To: 1\nClass: {value}\n\nx").as_bytes(),
            &PlanDefaults::default(),
        );
        assert_eq!(submit(&plan.pdus[0]).dcs, DataCodingScheme(dcs), "Class: {value}");
    }
    // UCS2 text keeps its alphabet bits.
    let plan = sms("To: 1\nClass: 1\n\nПривет".as_bytes(), &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).dcs, DataCodingScheme(0x19));
}

/// Issue 12: `Reply_path: yes` sets TP-RP in every part (it was ignored).
#[test]
fn reply_path_header_sets_tp_rp_in_every_part() {
    let long = "x".repeat(200);
    let plan = sms(
        format!("To: 1\nReply_path: yes\n\n{long}").as_bytes(),
        &PlanDefaults::default(),
    );
    assert_eq!(plan.pdus.len(), 2);
    assert!(plan.pdus.iter().all(|pdu| submit(pdu).reply_path));
    let plan = sms(b"To: 1\nAlphabet: binary\nUDH: no\n\nx", &PlanDefaults::default());
    assert!(!submit(&plan.pdus[0]).reply_path);
    let plan = sms(
        b"To: 1\nReply_path: yes\nAlphabet: binary\nUDH: no\n\nx",
        &PlanDefaults::default(),
    );
    assert!(submit(&plan.pdus[0]).reply_path);
    // First octet: TP-RP is bit 7 (0x80 | SUBMIT 0x01 | relative VP 0x10).
    assert!(hexes(b"To: 1\nReply_path: yes\n\nx", &PlanDefaults::default())[0].starts_with("0091"));
}

/// Issue 12: `Reject_duplicates: yes` sets TP-RD (it was ignored).
#[test]
fn reject_duplicates_header_sets_tp_rd() {
    let plan = sms(b"To: 1\nReject_duplicates: yes\n\nx", &PlanDefaults::default());
    assert!(submit(&plan.pdus[0]).reject_duplicates);
    assert!(hexes(b"To: 1\nReject_duplicates: yes\n\nx", &PlanDefaults::default())[0].starts_with("0015"));
    let plan = sms(b"To: 1\nReject_duplicates: no\n\nx", &PlanDefaults::default());
    assert!(!submit(&plan.pdus[0]).reject_duplicates);
}

/// Issue 12: `Binary: yes` is `Alphabet: binary` (the body was sent as
/// text); `Binary: no` is ISO.
#[test]
fn binary_header_sends_the_body_as_8_bit_data() {
    let plan = sms(b"To: 1\nBinary: yes\nUDH: no\n\nab", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).dcs.alphabet(), Alphabet::EightBit);
    assert_eq!(submit(&plan.pdus[0]).user_data.body, Body::Octets(b"ab".to_vec()));
    let plan = sms(b"To: 1\nBinary: no\n\nab\n", &PlanDefaults::default());
    assert_eq!(submit(&plan.pdus[0]).dcs.alphabet(), Alphabet::Gsm7);
}

/// Issue 12: `Ping: yes` is a silent message, as smsd's `make_pdu` makes
/// it: TP-PID 0x40 (Short Message Type 0), a status report requested even
/// when the config and the file say no, one part. It went out as a
/// visible SMS.
#[test]
fn ping_is_short_message_type_0_with_a_report_in_one_part() {
    let plan = sms(b"To: 1\nPing: yes\nReport: no\n\nping", &PlanDefaults::default());
    let submit = submit(&plan.pdus[0]);
    assert_eq!(submit.pid, ProtocolIdentifier::SHORT_MESSAGE_TYPE_0);
    assert!(submit.status_report_request);
    let long = "x".repeat(200);
    let err = plan_of(format!("To: 1\nPing: yes\n\n{long}").as_bytes()).unwrap_err();
    assert_eq!(err.header, "Autosplit");
    // A replace type wins over the ping's PID, as in smsd.
    let plan = sms(b"To: 1\nPing: yes\nReplace: 2\n\nping", &PlanDefaults::default());
    assert_eq!(submit_of(&plan).pid, ProtocolIdentifier::replace(2).unwrap());
    let plan = sms(b"To: 1\nPing: no\n\nping", &PlanDefaults::default());
    assert_eq!(submit_of(&plan).pid, ProtocolIdentifier::DEFAULT);
}

/// Issue 12: `DCS_hex:` replaces TP-DCS when it names the alphabet the
/// message is encoded in, and refuses the file when it does not.
#[test]
fn dcs_hex_replaces_the_dcs_octet() {
    let plan = sms(b"To: 1\nDCS_hex: F1\n\nx", &PlanDefaults::default());
    assert_eq!(submit_of(&plan).dcs, DataCodingScheme(0xF1));
    let plan = sms(b"To: 1\nDCS_hex: 11\nFlash: yes\n\nx", &PlanDefaults::default());
    assert_eq!(submit_of(&plan).dcs, DataCodingScheme(0x11));
    let err = plan_of(b"To: 1\nDCS_hex: 08\n\nx").unwrap_err();
    assert_eq!(err.header, "DCS_hex");
    assert!(err.reason.starts_with("08 says Ucs2"), "{}", err.reason);
}

/// Issue 12: `Message_reference:` is the TP-MR sent, for one part only.
#[test]
fn message_reference_sets_tp_mr() {
    let plan = sms(b"To: 1\nMessage_reference: 200\n\nx", &PlanDefaults::default());
    assert_eq!(submit_of(&plan).message_reference, 200);
    assert!(hexes(b"To: 1\nMessage_reference: 200\n\nx", &PlanDefaults::default())[0].starts_with("0011C8"));
    let long = "x".repeat(200);
    let err = plan_of(format!("To: 1\nMessage_reference: 7\n\n{long}").as_bytes()).unwrap_err();
    assert_eq!(err.header, "Message_reference");
}

fn plan_of(text: &[u8]) -> Result<Plan, PlanError> {
    plan(&file(text), &PlanDefaults::default())
}

fn submit_of(plan: &SmsPlan) -> &sms_pdu::Submit {
    submit(&plan.pdus[0])
}

/// A PDU smsd 3.1.21 sent (differential corpus, `03-iso-non-gsm.sms`).
const READY_PDU: &str = "0011000C919471020010300000FF174339A15D0689E57576A10C0A83D861D0382CA79701";

fn with_key(key: &str) -> PlanDefaults {
    PlanDefaults {
        text_is_pdu_key: Some(key.to_owned()),
        ..PlanDefaults::default()
    }
}

/// Issue 12: `Text_is_pdu: yes` sends the body as the PDU, octet for
/// octet, when `To:` is the modem's key (it sent the hex as text).
#[test]
fn text_is_pdu_sends_the_body_as_the_pdu() {
    let text = format!(
        "To: 12345\nText_is_pdu: yes\n\n{} {}\n",
        &READY_PDU[..20],
        &READY_PDU[20..]
    );
    let plan = sms(text.as_bytes(), &with_key("12345"));
    assert_eq!(plan.pdus.len(), 1);
    assert_eq!(
        plan.pdus[0].encode().unwrap(),
        sms_pdu::decode_hex(READY_PDU).unwrap()
    );
    assert_eq!(plan.message.destination.number, "491720000103");
    // The key with its + is the same number.
    assert!(plan_with(text.as_bytes(), &with_key("+12345")).is_ok());
}

#[test]
fn text_is_pdu_needs_the_key_and_a_submit() {
    let text = format!("To: 12345\nText_is_pdu: yes\n\n{READY_PDU}\n");
    let err = plan_with(text.as_bytes(), &PlanDefaults::default()).unwrap_err();
    assert_eq!(err.header, "Text_is_pdu");
    assert!(err.reason.contains("text-is-pdu-key"), "{}", err.reason);
    assert_eq!(
        plan_with(text.as_bytes(), &with_key("999")).unwrap_err().header,
        "To"
    );
    for body in ["zz", "00", "0004"] {
        let text = format!("To: 12345\nText_is_pdu: yes\n\n{body}\n");
        let err = plan_with(text.as_bytes(), &with_key("12345")).unwrap_err();
        assert_eq!(err.header, "Text_is_pdu", "{body}: {}", err.reason);
    }
    let text = format!("To: 12345\nText_is_pdu: no\n\n{READY_PDU}\n");
    let plan = sms(text.as_bytes(), &with_key("12345"));
    assert_eq!(submit(&plan.pdus[0]).destination.number, "12345");
}

fn plan_with(text: &[u8], defaults: &PlanDefaults) -> Result<Plan, PlanError> {
    plan(&file(text), defaults)
}

const TURKISH: &str =
    "Şişli'de güzel bir gün geçirdik, ağaçların altında çay içtik ve ılık rüzgarda uzun uzun konuştuk.";

/// Issue 12: `Language: turkish` writes the text with the Turkish tables
/// in one GSM 7-bit part, as real smsd 3.1.21 does (differential corpus
/// `59-language-turkish.sms`): Language_ext defaults to Language, and a
/// table the text does not need is left out with its element. It went
/// out in two UCS2 parts.
#[test]
fn language_writes_gsm7_with_the_national_tables() {
    assert!(TURKISH.chars().count() > 70);
    let without = sms(
        format!("To: 1\nAlphabet: UTF-8\n\n{TURKISH}").as_bytes(),
        &PlanDefaults::default(),
    );
    assert_eq!(without.pdus.len(), 2);
    let plan = sms(
        format!("To: 1\nAlphabet: UTF-8\nLanguage: Turkish\n\n{TURKISH}").as_bytes(),
        &PlanDefaults::default(),
    );
    assert_eq!(plan.pdus.len(), 1);
    let submit = submit_of(&plan);
    assert_eq!(submit.dcs, DataCodingScheme(0x00));
    let header = submit.user_data.header.as_ref().unwrap();
    assert_eq!(header.encode(), [0x03, 0x25, 0x01, 0x01]);
    let tables = header.gsm7_tables();
    let Body::Septets(septets) = &submit.user_data.body else {
        panic!("not septets")
    };
    assert_eq!(tables.decode(septets).0, TURKISH);
    // A text the default tables write needs no element; the single shift
    // (Turkish: `ğ` escaped) comes after the locking shift, as in smsd.
    let plan = sms(b"To: 1\nLanguage_ext: 1\n\nabc", &PlanDefaults::default());
    assert_eq!(submit_of(&plan).user_data.header, None);
    let plan = sms(
        "To: 1\nLanguage: basic\nLanguage_ext: tur\n\nağ".as_bytes(),
        &PlanDefaults::default(),
    );
    assert_eq!(
        submit_of(&plan).user_data.header.as_ref().unwrap().encode(),
        [0x03, 0x24, 0x01, 0x01]
    );
    let plan = sms(
        "To: 1\nLanguage: tur\nLanguage_ext: spanish\n\nış Á".as_bytes(),
        &PlanDefaults::default(),
    );
    assert_eq!(
        submit_of(&plan).user_data.header.as_ref().unwrap().encode(),
        [0x06, 0x25, 0x01, 0x01, 0x24, 0x01, 0x02]
    );
}

#[test]
fn language_splits_keeps_escapes_whole_and_refuses_what_it_cannot_write() {
    let long = TURKISH.repeat(2);
    let plan = sms(
        format!("To: 1\nAlphabet: UTF-8\nLanguage: turkish\n\n{long}").as_bytes(),
        &PlanDefaults::default(),
    );
    assert_eq!(plan.pdus.len(), 2);
    let first = submit(&plan.pdus[0]).user_data.header.as_ref().unwrap().encode();
    assert_eq!(first, [0x08, 0x00, 0x03, 0x00, 0x02, 0x01, 0x25, 0x01, 0x01]);
    let text: String = plan
        .pdus
        .iter()
        .map(|pdu| {
            let submit = submit(pdu);
            let Body::Septets(septets) = &submit.user_data.body else {
                panic!("not septets")
            };
            submit
                .user_data
                .header
                .as_ref()
                .unwrap()
                .gsm7_tables()
                .decode(septets)
                .0
        })
        .collect();
    assert_eq!(text, long);
    let err = plan_of("To: 1\nAlphabet: UTF-8\nLanguage: turkish\n\nПривет".as_bytes()).unwrap_err();
    assert_eq!(err.header, "Language");
    let err = plan_of(b"To: 1\nLanguage: spanish\n\nabc").unwrap_err();
    assert_eq!(err.header, "Language");
    assert!(err.reason.contains("Language_ext: spanish"), "{}", err.reason);
    let err =
        plan_of(format!("To: 1\nAutosplit: 0\nAlphabet: UTF-8\nLanguage: turkish\n\n{long}").as_bytes())
            .unwrap_err();
    assert_eq!(err.header, "Language");
}

/// Issue 12: `[spool] national-tables` lets a UTF-8 file without
/// `Language:` go in GSM 7-bit with the first listed table that writes it
/// in fewer parts than UCS2; a text the default tables write, a file with
/// its own `Language:`, or one no listed table writes, is as before.
#[test]
fn national_tables_are_chosen_when_they_save_parts() {
    let turkish_first = PlanDefaults {
        national_tables: vec![NationalLanguage::Portuguese, NationalLanguage::Turkish],
        ..PlanDefaults::default()
    };
    let plan = sms(
        format!("To: 1\nAlphabet: UTF-8\n\n{TURKISH}").as_bytes(),
        &turkish_first,
    );
    assert_eq!(plan.pdus.len(), 1);
    let submit = submit_of(&plan);
    assert_eq!(submit.dcs, DataCodingScheme(0x00));
    let header = submit.user_data.header.as_ref().unwrap();
    assert_eq!(header.encode(), [0x03, 0x25, 0x01, 0x01]);
    let Body::Septets(septets) = &submit.user_data.body else {
        panic!("not septets")
    };
    assert_eq!(header.gsm7_tables().decode(septets).0, TURKISH);
    assert!(plan.notices.is_empty(), "{:?}", plan.notices);
    // The default tables need no element.
    let plan = sms(b"To: 1\n\nplain text", &turkish_first);
    assert_eq!(submit_of(&plan).user_data.header, None);
    // No listed table writes Cyrillic: UCS2, as without the setting.
    let plan = sms("To: 1\n\nПривет".as_bytes(), &turkish_first);
    assert_eq!(submit_of(&plan).dcs.alphabet(), Alphabet::Ucs2);
    // Not listed: UCS2 in two parts, as before.
    let plan = sms(
        format!("To: 1\nAlphabet: UTF-8\n\n{TURKISH}").as_bytes(),
        &PlanDefaults {
            national_tables: vec![NationalLanguage::Portuguese],
            ..PlanDefaults::default()
        },
    );
    assert_eq!(plan.pdus.len(), 2);
    assert_eq!(submit_of(&plan).dcs.alphabet(), Alphabet::Ucs2);
}
