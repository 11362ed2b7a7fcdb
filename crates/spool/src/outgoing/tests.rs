//! Tests of the outgoing file parser: one per header, the seed's examples,
//! and what every problem says.

use proptest::prelude::*;

use super::*;

fn parse(text: &str) -> OutgoingFile {
    OutgoingFile::parse(text.as_bytes(), &mut NoIncludes).unwrap()
}

fn problems(text: &[u8]) -> Vec<String> {
    OutgoingFile::parse(text, &mut NoIncludes)
        .unwrap_err()
        .problems
        .iter()
        .map(Problem::to_string)
        .collect()
}

/// A file with one more header line (the second line).
fn with(header: &str) -> String {
    format!("To: 491721234567\n{header}\n\nHello\n")
}

fn text(file: &OutgoingFile) -> &str {
    match &file.content {
        Content::Text(text) => text,
        other => panic!("not text: {other:?}"),
    }
}

fn binary(file: &OutgoingFile) -> &[u8] {
    match &file.content {
        Content::Binary(data) => data,
        other => panic!("not binary: {other:?}"),
    }
}

/// Seed, "Easy example".
#[test]
fn seed_easy_example() {
    let file = parse("To: 491721234567\n\nHello, this is the sms.\n");
    assert_eq!(file.to.number, "491721234567");
    assert_eq!(text(&file), "Hello, this is the sms.\n");
    assert_eq!(file.body, b"Hello, this is the sms.\n");
    assert_eq!(file.alphabet(), FileAlphabet::Utf8);
}

/// Seed, "More complex example".
#[test]
fn seed_complex_example() {
    let file = parse("To: 491721234567\nFlash: yes\nAlphabet: ISO\n\nHello Stefan, how are you?\n");
    assert!(file.flash);
    assert_eq!(file.alphabet, Some(FileAlphabet::Iso));
}

#[test]
fn crlf_file() {
    let file = parse("To: 491721234567\r\nFlash: yes\r\n\r\nHi\r\n");
    assert!(file.flash);
    assert_eq!(file.body, b"Hi\r\n");
}

#[test]
fn headers_are_case_sensitive_and_unknown_ones_kept() {
    let file = parse("To: 1\nflash: yes\nX-Custom: 1\nno colon here\n\nx");
    assert!(!file.flash);
    let unknown: Vec<&str> = file.unknown.iter().map(|line| line.text.as_str()).collect();
    assert_eq!(unknown, ["flash: yes", "X-Custom: 1", "no colon here"]);
    assert_eq!(file.unknown[0].place, Place::Line(2));
}

#[test]
fn no_empty_line_means_an_empty_body() {
    let file = parse("To: 1\nFlash: yes");
    assert!(file.flash);
    assert!(file.body.is_empty());
}

#[test]
fn header_to() {
    assert_eq!(parse(&with("Flash: no")).to.number, "491721234567");
    let short = parse("To: s12345\n\nx");
    assert!(short.to.short);
    assert_eq!(parse("To: 358 12 345 6789\n\nx").to.number, "358123456789");
    assert_eq!(
        problems(b"Flash: yes\n\nx"),
        ["To: missing: every outgoing file needs a recipient"]
    );
    assert_eq!(problems(b"To: 49x\n\nx").len(), 1);
    assert!(problems(b"To: 49x\n\nx")[0].starts_with("line 1: To: \"49x\" is not a phone number"));
}

#[test]
fn header_to_toa() {
    assert_eq!(parse(&with("To_TOA: National")).to_toa, Some(ToToa::National));
    assert_eq!(parse(&with("To_TOA: unknown")).to_toa, Some(ToToa::Unknown));
    assert_eq!(
        problems(with("To_TOA: local").as_bytes()),
        ["line 2: To_TOA: \"local\" is not Unknown, International or National"]
    );
}

#[test]
fn header_from() {
    assert_eq!(parse(&with("From: Stefan")).from.as_deref(), Some("Stefan"));
}

#[test]
fn header_flash() {
    assert!(parse(&with("Flash: yes")).flash);
    assert!(!parse(&with("Flash: maybe")).flash);
}

#[test]
fn boolean_values() {
    for positive in ["true", "yes", "on", "1", "YES", "True"] {
        assert!(boolean(positive), "{positive}");
    }
    for negative in ["false", "no", "off", "0", "", "2", "yep"] {
        assert!(!boolean(negative), "{negative}");
    }
}

#[test]
fn header_alphabet() {
    let cases = [
        ("ISO", FileAlphabet::Iso),
        ("ISO-8859-15", FileAlphabet::Iso),
        ("Latin-1", FileAlphabet::Iso),
        ("Ansi", FileAlphabet::Iso),
        ("GSM", FileAlphabet::Gsm),
        ("UCS2", FileAlphabet::Ucs2),
        ("UCS-2", FileAlphabet::Ucs2),
        ("UTF-8", FileAlphabet::Utf8),
        ("utf8", FileAlphabet::Utf8),
        ("binary", FileAlphabet::Binary),
    ];
    for (value, alphabet) in cases {
        assert_eq!(FileAlphabet::parse(value), Some(alphabet), "{value}");
    }
    assert_eq!(
        problems(with("Alphabet: Chinese").as_bytes()),
        ["line 2: Alphabet: \"Chinese\" is not ISO (Latin, Ansi), GSM, UCS2, UTF-8 or binary"]
    );
}

#[test]
fn alphabet_iso_reads_latin1() {
    let file = OutgoingFile::parse(b"To: 1\nAlphabet: ISO\n\nK\xf6ln\n", &mut NoIncludes).unwrap();
    assert_eq!(text(&file), "Köln\n");
}

#[test]
fn alphabet_gsm_reads_gsm_codes() {
    // 0x00 is '@', 0x1B 0x65 is the euro sign.
    let file = OutgoingFile::parse(b"To: 1\nAlphabet: GSM\n\n\x00\x1b\x65a", &mut NoIncludes).unwrap();
    assert_eq!(text(&file), "@€a");
    assert_eq!(
        problems(b"To: 1\nAlphabet: GSM\n\nok\n\x80\n"),
        ["line 5: Alphabet: GSM: byte 0x80 is not a GSM 7-bit code (0x00-0x7F)"]
    );
}

#[test]
fn alphabet_ucs2_reads_utf16be() {
    let mut file = b"To: 1\nAlphabet: UCS2\n\n".to_vec();
    file.extend_from_slice(&[0x04, 0x1F, 0x20, 0xAC, 0x00, 0x0A]);
    assert_eq!(
        text(&OutgoingFile::parse(&file, &mut NoIncludes).unwrap()),
        "П€\n"
    );
    assert_eq!(
        problems(b"To: 1\nAlphabet: UCS2\n\n\x04\x1f\x20"),
        ["line 4: Alphabet: UCS2: the body is 3 bytes, not whole UTF-16BE characters"]
    );
    assert_eq!(
        problems(b"To: 1\nAlphabet: UCS2\n\n\xd8\x00\x00\x41"),
        ["line 4: Alphabet: UCS2: unpaired surrogate 0xd800 at character 1"]
    );
}

#[test]
fn alphabet_utf8_must_be_utf8() {
    assert_eq!(
        problems(b"To: 1\n\nfine\nK\xf6ln\n"),
        ["line 4: Alphabet: UTF-8: byte 2 of the line is not UTF-8 (name the file's character set in Alphabet:)"]
    );
}

#[test]
fn header_udh() {
    let file = OutgoingFile::parse(
        b"To: 1\nAlphabet: binary\nUDH: false\n\n\x01\x02",
        &mut NoIncludes,
    )
    .unwrap();
    assert_eq!(file.udh, Some(false));
    assert_eq!(binary(&file), [1, 2]);
    assert_eq!(parse("To: 1\nAlphabet: binary\n\n").udh, None);
}

#[test]
fn header_udh_data() {
    let file = parse(&with("UDH-DATA: 05 00 03 A7 02 01"));
    let header = file.udh_data.unwrap();
    assert_eq!(header.encode(), [0x05, 0x00, 0x03, 0xA7, 0x02, 0x01]);
    assert_eq!(header.concat().unwrap().total, 2);
    let ports = parse(&with("UDH-DATA: 0605040B8423F0")).udh_data.unwrap();
    assert_eq!(ports.ports(), Some((0x0B84, 0x23F0)));
    assert_eq!(
        problems(with("UDH-DATA: 05 00 03 A7").as_bytes()),
        ["line 2: UDH-DATA: the header length octet says 5, but 3 octets follow"]
    );
    assert_eq!(
        problems(with("UDH-DATA: 03 00 03 A7").as_bytes()),
        ["line 2: UDH-DATA: element 0x00 says 3 octets, but 1 are left"]
    );
    assert_eq!(
        problems(b"To: 1\nAlphabet: binary\nUDH: yes\nUDH-DATA: 00\n\nx"),
        ["line 3: UDH: yes says the body starts with a user data header, but UDH-DATA gives one"]
    );
}

#[test]
fn header_smsc() {
    let file = parse(&with("SMSC: +358 40 000"));
    assert_eq!(file.smsc.unwrap().number, "35840000");
    assert_eq!(
        problems(with("SMSC: operator").as_bytes()),
        ["line 2: SMSC: \"operator\" is not a phone number"]
    );
}

#[test]
fn header_provider_and_queue() {
    assert_eq!(parse(&with("Queue: fi")).queue.as_deref(), Some("fi"));
    assert_eq!(parse(&with("Provider: de")).queue.as_deref(), Some("de"));
    assert_eq!(
        problems(b"To: 1\nQueue: a\nProvider: b\n\nx"),
        ["line 3: Provider: given twice (first on line 2)"]
    );
}

#[test]
fn header_report() {
    assert_eq!(parse(&with("Report: yes")).report, Some(true));
    assert_eq!(parse(&with("Report: no")).report, Some(false));
    assert_eq!(parse(&with("Flash: no")).report, None);
}

#[test]
fn header_autosplit() {
    assert_eq!(parse(&with("Autosplit: 0")).autosplit, Some(Autosplit::Off));
    assert_eq!(parse(&with("Autosplit: 2")).autosplit, Some(Autosplit::Numbered));
    assert_eq!(
        problems(with("Autosplit: 4").as_bytes()),
        ["line 2: Autosplit: \"4\" is not 0-3"]
    );
}

#[test]
fn header_priority() {
    assert_eq!(parse(&with("Priority: High")).priority, Priority::High);
    assert_eq!(parse(&with("Priority: high")).priority, Priority::High);
    assert_eq!(parse(&with("Priority: low")).priority, Priority::Normal);
    assert_eq!(parse(&with("Flash: no")).priority, Priority::Normal);
}

#[test]
fn header_validity() {
    assert_eq!(parse(&with("Validity: 167")).validity, Some(167));
    assert_eq!(parse(&with("Validity: 1 day")).validity, Some(167));
    assert_eq!(parse(&with("Validity: 2 weeks")).validity, Some(180));
    // Keywords alone, as smsd reads them (VP AD and A7).
    assert_eq!(parse(&with("Validity: week")).validity, Some(0xAD));
    assert_eq!(parse(&with("Validity: day")).validity, Some(0xA7));
    assert!(parse(&with("Validity: week")).notices.is_empty());
    // What smsd does not understand it ignores: the configured validity
    // applies, and the sent file says why.
    let file = parse("To: 1\nFlash: yes\nValidity: 3 fortnights\n\nx");
    assert_eq!(file.validity, None);
    assert_eq!(
        file.notices,
        [
            "Validity: \"3 fortnights\" is not understood (0-255, or a period like \"2 days\" or \
          \"week\"), ignored"
        ]
    );
}

#[test]
fn header_voicecall() {
    let file = parse("To: 1\nVoicecall: yes\n\nTONE: TIME: 15 2 #\n");
    let Content::Voicecall(call) = &file.content else {
        panic!("not a voice call")
    };
    assert_eq!((call.time, call.repeat, call.tones.len()), (Some(15), 2, 1));
    assert_eq!(
        problems(b"To: 1\nVoicecall: yes\n\nCall me\n"),
        ["line 4: Voicecall: the text must start with TONE:"]
    );
    // Voicecall: no is an ordinary message.
    assert_eq!(text(&parse("To: 1\nVoicecall: no\n\nTONE: 1\n")), "TONE: 1\n");
}

#[test]
fn header_hex() {
    let file = parse("To: 1\nAlphabet: binary\nHex: yes\nUDH: no\n\n01 02 // two\nSTRING:ab\n");
    assert!(file.hex);
    assert_eq!(binary(&file), [1, 2, b'a', b'b']);
    assert_eq!(
        problems(with("Hex: yes").as_bytes()),
        ["line 2: Hex: yes needs Alphabet: binary"]
    );
    assert_eq!(
        problems(b"To: 1\nAlphabet: binary\nHex: yes\n\n01\nzz\n"),
        ["line 6: Hex: \"zz\" is not a hex byte (two hex digits), a comment (/ ' # :), STRING:, INLINESTRING: or LENGTH"]
    );
}

/// Seed, "Another example": the WAP push, bytes worked out by hand from
/// the seed's lines (the seed's copy has lost some lines of the original
/// page; these are the bytes of what it says).
#[test]
fn seed_wap_push_example() {
    let file = include_str!("../../test_data/wap_push.txt");
    let file = parse(file);
    let mut expected = vec![
        0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, // UDH: 16-bit ports 2948 <- 9200
        0x01, 0x06, // transaction id, PDU type push
        0x01, // LENGTH: one header byte follows
        0xAE, // Content-Type application/vnd.wap.sic
        0x02, 0x05, 0x04, 0x00, 0x45, 0xC6, 0x0D, 0x85, 0x03, 0x00, 0x11, 0x01, //
        0x03, // INLINESTRING: token
    ];
    expected.extend_from_slice(b"Wap push demo from smstools3.");
    expected.extend_from_slice(&[0x00, 0x01, 0x01]);
    assert_eq!(binary(&file), expected);
    assert_eq!(expected.len(), 56);
}

#[test]
fn header_replace() {
    assert_eq!(parse(&with("Replace: 1")).replace, Some(1));
    assert_eq!(parse(&with("Replace: 7")).replace, Some(7));
    assert_eq!(
        problems(with("Replace: 8").as_bytes()),
        ["line 2: Replace: \"8\" is not 1-7"]
    );
    assert_eq!(
        problems(with("Replace: 0").as_bytes()),
        ["line 2: Replace: \"0\" is not 1-7"]
    );
}

#[test]
fn header_include() {
    let mut resolver = |name: &str| match name {
        "signature" => Ok(b"\nRegards, the gateway\n".to_vec()),
        "headers" => Ok(b"Flash: yes\nReport: yes".to_vec()),
        other => Err(format!("{other:?} is outside the include directory")),
    };
    // An included text: the seed's "it should begin with one empty line".
    let file = OutgoingFile::parse(b"To: 1\nInclude: signature\n", &mut resolver).unwrap();
    assert_eq!(file.includes, ["signature"]);
    assert_eq!(text(&file), "Regards, the gateway");
    // The included text comes first, joined to the main text as smsd
    // joins them: without the line ends between.
    let file = OutgoingFile::parse(
        b"To: 1\nInclude: signature\nFlash: yes\n\nMain.\nText.\n",
        &mut resolver,
    )
    .unwrap();
    assert_eq!(text(&file), "Regards, the gatewayMain.\nText.\n");
    assert!(file.flash, "the main header goes on after the Include: line");
    // Included headers.
    let file = OutgoingFile::parse(b"To: 1\nInclude: headers\n\nHi\n", &mut resolver).unwrap();
    assert!(file.flash);
    assert_eq!(file.report, Some(true));
    assert_eq!(text(&file), "Hi\n");
    // Refusals name the line, the file and the caller's reason.
    assert_eq!(
        OutgoingFile::parse(b"To: 1\nInclude: ../../etc/passwd\n\nx", &mut resolver)
            .unwrap_err()
            .to_string(),
        "line 2: Include: \"../../etc/passwd\" refused: \"../../etc/passwd\" is outside the include directory"
    );
    assert_eq!(
        problems(b"To: 1\nInclude: x\n\nx"),
        ["line 2: Include: \"x\" refused: includes are not enabled"]
    );
    // Problems inside an included file name it.
    let mut bad = |_: &str| Ok(b"Replace: 9\nInclude: more\n".to_vec());
    let error = OutgoingFile::parse(b"To: 1\nInclude: part\n\nx", &mut bad).unwrap_err();
    assert_eq!(
        error.to_string(),
        "included \"part\": line 1: Replace: \"9\" is not 1-7\n\
         included \"part\": line 2: Include: an included file cannot include another"
    );
    // A file that is not there is left out, as smsd does, with a notice.
    struct Missing;
    impl IncludeResolver for Missing {
        fn resolve(&mut self, name: &str) -> Result<Vec<u8>, IncludeError> {
            Err(IncludeError::NotFound(format!(
                "{name}: No such file or directory"
            )))
        }
    }
    let file =
        OutgoingFile::parse(b"To: 1\nInclude: included.txt\n\nMain file text.\n", &mut Missing).unwrap();
    assert_eq!(text(&file), "Main file text.\n");
    assert_eq!(
        file.notices,
        ["Include: \"included.txt\" not found (included.txt: No such file or directory), sent without it"]
    );
    // An Include: line in the body is text.
    assert_eq!(text(&parse("To: 1\n\nInclude: x\n")), "Include: x\n");
}

/// smsd uses the later of two definitions of one name.
#[test]
fn macro_defined_twice_takes_the_later_value() {
    let file = parse("To: 1\nMacro: NAME=first\nMacro: DAY=Monday\nMacro: NAME=second\n\nHello NAME, DAY\n");
    assert_eq!(text(&file), "Hello second, Monday\n");
}

/// smsd reads `Alphabet: ISO` as ISO-8859-15: `A4` is the euro sign.
#[test]
fn iso_is_latin_9() {
    let file = OutgoingFile::parse(
        b"To: 1\nAlphabet: ISO\n\n5\xA4 \xA6\xA8\xB4\xB8\xBC\xBD\xBE \xE9\xA3",
        &mut NoIncludes,
    )
    .unwrap();
    assert_eq!(text(&file), "5€ ŠšŽžŒœŸ é£");
}

#[test]
fn header_macro() {
    let file = parse("To: 1\nMacro: NAME=Stefan\nMacro: DAY=Monday\n\nHello NAME, see you DAY, NAME.\n");
    assert_eq!(file.macros.len(), 2);
    assert_eq!(text(&file), "Hello Stefan, see you Monday, Stefan.\n");
    assert_eq!(file.body, b"Hello NAME, see you DAY, NAME.\n");
    // Binary bodies too, before the hex is read.
    let file = parse("To: 1\nAlphabet: binary\nUDH: no\nHex: yes\nMacro: XX=0A\n\n01 XX\n");
    assert_eq!(binary(&file), [0x01, 0x0A]);
    assert_eq!(
        problems(with("Macro: NAME").as_bytes()),
        ["line 2: Macro: \"NAME\" is not name=value"]
    );
    assert_eq!(
        problems(with("Macro: =x").as_bytes()),
        ["line 2: Macro: \"=x\" is not name=value"]
    );
}

#[test]
fn header_system_message() {
    let file = parse(&with("System_message: yes"));
    assert_eq!(file.system_message, Some(SystemMessage::ShortMessageType0));
    // A system message's body is sent as 8-bit data.
    assert_eq!(binary(&file), b"Hello\n");
    assert_eq!(parse(&with("System_message: no")).system_message, None);
    let to_sim = parse("To: 1\nAlphabet: binary\nSystem_message: ToSIM\n\n\x01");
    assert_eq!(to_sim.system_message, Some(SystemMessage::ToSim));
    assert_eq!(
        parse("To: 1\nAlphabet: binary\nSystem_message: 2\n\n\x01").system_message,
        Some(SystemMessage::ToSim)
    );
    assert_eq!(
        problems(b"To: 1\nSystem_message: 2\nReplace: 3\nUDH-DATA: 00\n\nx"),
        [
            "line 3: Replace: cannot be combined with System_message",
            "line 4: UDH-DATA: a system message cannot have a user data header",
            "System_message: ToSIM needs Alphabet: binary",
        ]
    );
}

#[test]
fn duplicate_headers_are_refused() {
    assert_eq!(
        problems(b"To: 1\nTo: 2\n\nx"),
        ["line 2: To: given twice (first on line 1)"]
    );
}

#[test]
fn all_problems_are_reported() {
    let error = OutgoingFile::parse(
        b"To: 1\nReplace: 9\nAutosplit: 9\nAlphabet: klingon\n\nx",
        &mut NoIncludes,
    )
    .unwrap_err();
    assert_eq!(error.problems.len(), 3);
    assert_eq!(error.one_line().matches("; ").count(), 2);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(file in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut resolver = |_: &str| Ok(b"Flash: yes\n\nincluded".to_vec());
        let _ = OutgoingFile::parse(&file, &mut resolver);
    }

    #[test]
    fn header_like_bytes_never_panic(
        lines in proptest::collection::vec(
            (
                prop::sample::select(vec![
                    "To", "To_TOA", "Alphabet", "UDH", "UDH-DATA", "Hex", "Macro", "Validity",
                    "System_message", "Voicecall", "Include", "Autosplit", "Replace",
                ]),
                "[ -~]{0,12}",
            ),
            0..8,
        ),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut file = Vec::new();
        for (name, value) in lines {
            file.extend_from_slice(format!("{name}: {value}\n").as_bytes());
        }
        file.push(b'\n');
        file.extend_from_slice(&body);
        let mut resolver = |name: &str| Ok(name.as_bytes().to_vec());
        if let Ok(parsed) = OutgoingFile::parse(&file, &mut resolver) {
            let _ = crate::plan(&parsed, &crate::PlanDefaults::default());
        }
    }

    /// Writing a sent/ file and reading it again keeps the body byte for byte.
    #[test]
    fn render_then_parse_keeps_the_body(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        crlf in any::<bool>(),
    ) {
        let ending = if crlf { "\r\n" } else { "\n" };
        let mut file = format!("To: 491721234567{ending}Alphabet: binary{ending}UDH: no{ending}{ending}").into_bytes();
        file.extend_from_slice(&body);
        let parsed = OutgoingFile::parse(&file, &mut NoIncludes).unwrap();
        let record = crate::SentRecord {
            original_filename: None,
            number: None,
            description: None,
            modem: "GSM1".to_owned(),
            sent: crate::SpoolTime { year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5 },
            sending_time: None,
            message_ids: vec![1, 2],
            imsi: None,
            imei: None,
            pdus: Vec::new(),
            notices: Vec::new(),
        };
        let rendered = crate::render_sent(&file, &record);
        let reparsed = OutgoingFile::parse(&rendered, &mut NoIncludes).unwrap();
        prop_assert_eq!(&reparsed.body, &body);
        prop_assert_eq!(&reparsed.content, &parsed.content);
        // Modem, Sent and two Message_id lines.
        prop_assert_eq!(reparsed.unknown.len(), 4);
    }
}

/// Issue 12: an smsd input header that smsgate does not honour refuses the
/// file, named, instead of being kept as an unknown line and dropped (a
/// `Ping: yes` went out as a visible SMS). `Smsd_debug:` is the one left.
#[test]
fn unhonoured_smsd_headers_refuse_the_file_naming_the_header() {
    assert_eq!(
        problems(with("Smsd_debug: drop1").as_bytes()),
        ["line 2: Smsd_debug: smsd honours this header, smsgate does not: the file is refused rather than sent \
          without it (docs/differences.md)"]
    );
    // Names are case-sensitive, as smsd's: `ping:` is no header to smsd.
    assert_eq!(parse(&with("ping: yes")).unknown.len(), 1);
}

/// Issue 12: the headers smsgate now honours, and their conflicts.
#[test]
fn headers_binary_class_reply_path_reject_duplicates() {
    assert_eq!(parse(&with("Binary: yes")).alphabet, Some(FileAlphabet::Binary));
    assert_eq!(parse(&with("Binary: no")).alphabet, Some(FileAlphabet::Iso));
    assert_eq!(
        problems(b"To: 1\nAlphabet: ISO\nBinary: yes\n\nx"),
        ["line 3: Binary: says what Alphabet says (first on line 2); give one"]
    );
    assert_eq!(parse(&with("Class: 2")).class, Some(MessageClass::Class2));
    assert_eq!(
        problems(with("Class: 4").as_bytes()),
        ["line 2: Class: \"4\" is not 0-3"]
    );
    assert_eq!(
        parse("To: 1\nFlash: yes\nClass: 0\n\nx").class,
        Some(MessageClass::Class0)
    );
    assert_eq!(
        problems(b"To: 1\nFlash: yes\nClass: 1\n\nx"),
        ["line 3: Class: Flash: yes is class 0, and Class: names another"]
    );
    assert_eq!(parse(&with("Reply_path: yes")).reply_path, Some(true));
    assert_eq!(parse(&with("Reply_path: no")).reply_path, Some(false));
    assert!(parse(&with("Reject_duplicates: yes")).reject_duplicates);
    assert!(!parse(&with("Reject_duplicates: no")).reject_duplicates);
}

/// Issue 12: `Ping:`, `DCS_hex:` and `Message_reference:` values.
#[test]
fn headers_ping_dcs_hex_message_reference() {
    assert!(parse(&with("Ping: yes")).ping);
    assert_eq!(parse(&with("DCS_hex: f4")).dcs, Some(0xF4));
    assert_eq!(problems(with("DCS_hex: 8").as_bytes()).len(), 1);
    assert_eq!(
        problems(with("DCS_hex: 1FF").as_bytes()),
        ["line 2: DCS_hex: \"1FF\" is not two hex digits (00-FF), as smsd wants it"]
    );
    assert_eq!(
        parse(&with("Message_reference: 255")).message_reference,
        Some(255)
    );
    assert_eq!(
        problems(with("Message_reference: 256").as_bytes()),
        ["line 2: Message_reference: \"256\" is not 0-255"]
    );
    assert_eq!(
        problems(b"To: 1\nPing: yes\nVoicecall: yes\n\nTONE: 1"),
        ["line 2: Ping: a ping is a silent SMS; it cannot be a voice call or a system message"]
    );
}

/// Issue 12: with `Text_is_pdu: yes` the headers that would shape the
/// PDU are refused, each named (smsd ignores them).
#[test]
fn text_is_pdu_refuses_headers_that_shape_the_pdu() {
    assert!(parse(&with("Text_is_pdu: yes")).text_is_pdu);
    assert_eq!(
        problems(b"To: 1\nText_is_pdu: yes\nFlash: yes\nMacro: a=b\nBinary: yes\n\n00"),
        [
            "line 3: Flash: has nothing to set with Text_is_pdu: yes, whose PDU is ready made",
            "line 4: Macro: has nothing to set with Text_is_pdu: yes, whose PDU is ready made",
            "line 5: Alphabet: has nothing to set with Text_is_pdu: yes, whose PDU is ready made",
        ]
    );
}

/// Issue 12: `Language:` and `Language_ext:` take smsd's values.
#[test]
fn headers_language() {
    assert_eq!(parse(&with("Language: 1")).language, Some(1));
    assert_eq!(parse(&with("Language: Turkish")).language, Some(1));
    assert_eq!(parse(&with("Language: por")).language, Some(3));
    assert_eq!(parse(&with("Language: basic")).language, Some(0));
    assert_eq!(parse(&with("Language_ext: urdu")).language_ext, Some(13));
    assert_eq!(problems(with("Language: 14").as_bytes()).len(), 1);
    assert_eq!(problems(with("Language: klingon").as_bytes()).len(), 1);
    assert_eq!(
        problems(b"To: 1\nLanguage: 1\nAlphabet: UCS2\n\n"),
        ["line 2: Language: national shift tables are for GSM 7-bit text; this message is not"]
    );
}

/// smsd reads `UDH-DUMP:`, its older name, as `UDH-DATA:`.
#[test]
fn header_udh_dump_is_udh_data() {
    assert_eq!(
        parse(&with("UDH-DUMP: 06 05 04 15 81 00 00")).udh_data,
        parse(&with("UDH-DATA: 06 05 04 15 81 00 00")).udh_data
    );
    assert!(parse(&with("UDH-DUMP: 06 05 04 15 81 00 00")).udh_data.is_some());
    assert_eq!(
        problems(b"To: 1\nUDH-DATA: 03 00 01 00\nUDH-DUMP: 03 00 01 00\n\nx"),
        ["line 3: UDH-DUMP: says what UDH-DATA says (first on line 2); give one"]
    );
}

#[test]
fn header_retries() {
    assert_eq!(parse(&with("Retries: 0")).retries, Some(0));
    assert_eq!(parse(&with("Retries: 5")).retries, Some(5));
    assert_eq!(
        problems(with("Retries: many").as_bytes()),
        ["line 2: Retries: \"many\" is not a count (0 or more)"]
    );
}
