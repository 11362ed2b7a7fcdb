use super::*;

/// TS 23.038 6.2.1: a sample of positions across the table.
#[test]
fn default_alphabet_positions() {
    let cases = [
        (0x00, '@'),
        (0x01, '£'),
        (0x02, '$'),
        (0x09, 'Ç'),
        (0x0A, '\n'),
        (0x0D, '\r'),
        (0x10, 'Δ'),
        (0x11, '_'),
        (0x1F, 'É'),
        (0x20, ' '),
        (0x24, '¤'),
        (0x40, '¡'),
        (0x41, 'A'),
        (0x5B, 'Ä'),
        (0x5F, '§'),
        (0x60, '¿'),
        (0x7B, 'ä'),
        (0x7F, 'à'),
    ];
    for (septet, ch) in cases {
        assert_eq!(
            Gsm7Tables::DEFAULT.code(ch),
            Some(Gsm7Code::Main(septet)),
            "{ch:?}"
        );
        assert_eq!(Gsm7Tables::DEFAULT.decode(&[septet]).0, ch.to_string());
    }
}

/// TS 23.038 6.2.1.1: every character of the extension table.
#[test]
fn extension_table() {
    let cases = [
        (0x0A, '\u{000C}'),
        (0x14, '^'),
        (0x28, '{'),
        (0x29, '}'),
        (0x2F, '\\'),
        (0x3C, '['),
        (0x3D, '~'),
        (0x3E, ']'),
        (0x40, '|'),
        (0x65, '€'),
    ];
    for (septet, ch) in cases {
        assert_eq!(
            Gsm7Tables::DEFAULT.code(ch),
            Some(Gsm7Code::Shifted(septet)),
            "{ch:?}"
        );
        let (text, anomalies) = Gsm7Tables::DEFAULT.decode(&[ESCAPE_SEPTET, septet]);
        assert_eq!(text, ch.to_string());
        assert!(anomalies.is_empty());
    }
    assert_eq!(Gsm7Tables::DEFAULT.septet_count("{€}"), Ok(6));
}

#[test]
fn every_default_character_round_trips() {
    for septet in 0u8..128 {
        if septet == ESCAPE_SEPTET {
            continue;
        }
        let (text, anomalies) = Gsm7Tables::DEFAULT.decode(&[septet]);
        assert!(anomalies.is_empty());
        assert_eq!(Gsm7Tables::DEFAULT.encode(&text).unwrap(), vec![septet]);
    }
}

#[test]
fn unrepresentable_characters() {
    assert_eq!(Gsm7Tables::DEFAULT.code('ş'), None);
    assert_eq!(Gsm7Tables::DEFAULT.code('\0'), None);
    assert_eq!(Gsm7Tables::DEFAULT.code('\u{1B}'), None);
    assert_eq!(Gsm7Tables::DEFAULT.septet_count("ab€ş"), Err((3, 'ş')));
    let err = Gsm7Tables::DEFAULT.encode("Привет").unwrap_err();
    assert_eq!(
        err.to_string(),
        "character 'П' at position 0 cannot be written in the GSM 7-bit alphabet"
    );
}

#[test]
fn lenient_decoding() {
    // ESC followed by a code the extension table lacks: the main table's
    // character, with a note.
    let (text, anomalies) = Gsm7Tables::DEFAULT.decode(&[ESCAPE_SEPTET, 0x41]);
    assert_eq!(text, "A");
    assert_eq!(anomalies.len(), 1);
    // ESC ESC is shown as a space.
    let (text, anomalies) = Gsm7Tables::DEFAULT.decode(&[ESCAPE_SEPTET, ESCAPE_SEPTET, 0x41]);
    assert_eq!(text, " A");
    assert!(anomalies.is_empty());
    // A lone ESC at the end is dropped with a note.
    let (text, anomalies) = Gsm7Tables::DEFAULT.decode(&[0x41, ESCAPE_SEPTET]);
    assert_eq!(text, "A");
    assert_eq!(anomalies[0].septet_idx, 1);
    // The eighth bit is ignored rather than indexing out of the table.
    assert_eq!(Gsm7Tables::DEFAULT.decode(&[0xC1]).0, "A");
}

#[test]
fn national_tables_extend_the_repertoire() {
    let turkish_single = Gsm7Tables {
        locking: None,
        single: Some(NationalLanguage::Turkish),
    };
    // TS 23.038 A.2.1: ş at 0x73 of the Turkish single-shift table.
    assert_eq!(turkish_single.code('ş'), Some(Gsm7Code::Shifted(0x73)));
    assert_eq!(turkish_single.code('€'), Some(Gsm7Code::Shifted(0x65)));
    assert_eq!(turkish_single.code('A'), Some(Gsm7Code::Main(0x41)));
    let septets = turkish_single.encode("Işık").unwrap();
    assert_eq!(turkish_single.decode(&septets).0, "Işık");
    // Spanish has no locking-shift table: the default alphabet stays.
    let spanish = Gsm7Tables {
        locking: Some(NationalLanguage::Spanish),
        single: Some(NationalLanguage::Spanish),
    };
    assert_eq!(spanish.code('@'), Some(Gsm7Code::Main(0)));
    assert!(!NationalLanguage::Spanish.has_locking_shift());
    for language in NationalLanguage::ALL {
        assert_eq!(NationalLanguage::from_id(language.id()), Some(language));
        if language != NationalLanguage::Spanish {
            assert!(language.has_locking_shift(), "{language:?}");
        }
    }
    assert_eq!(NationalLanguage::from_id(0), None);
    assert_eq!(NationalLanguage::from_id(14), None);
}

#[test]
fn every_national_table_round_trips() {
    for locking in NationalLanguage::ALL.iter().copied().map(Some).chain([None]) {
        for single in NationalLanguage::ALL.iter().copied().map(Some).chain([None]) {
            let tables = Gsm7Tables { locking, single };
            for septet in 0u8..128 {
                if septet == ESCAPE_SEPTET {
                    continue;
                }
                for septets in [vec![septet], vec![ESCAPE_SEPTET, septet]] {
                    let (text, anomalies) = tables.decode(&septets);
                    if !anomalies.is_empty() || text == " " && septets.len() == 2 {
                        continue;
                    }
                    // A character may sit in both tables; it must come back
                    // to the same character, in as few septets as possible.
                    let encoded = tables.encode(&text).unwrap();
                    assert_eq!(tables.decode(&encoded).0, text, "{tables:?} {septets:?}");
                    assert!(encoded.len() <= septets.len());
                }
            }
        }
    }
}
