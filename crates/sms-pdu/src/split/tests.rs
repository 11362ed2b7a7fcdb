use super::*;
use crate::dcs::DataCodingScheme;

fn options(autosplit: Autosplit) -> SplitOptions {
    SplitOptions {
        autosplit,
        reference: 0x42,
        ..SplitOptions::default()
    }
}

/// Joins the parts' texts back, dropping nothing.
fn texts(split: &SplitText) -> Vec<String> {
    let dcs = DataCodingScheme::new(split.alphabet, None);
    split.parts.iter().map(|part| part.text(dcs).unwrap().0).collect()
}

fn body_len(part: &UserData) -> usize {
    match &part.body {
        Body::Septets(septets) => septets.len(),
        Body::Octets(octets) => octets.len(),
    }
}

#[test]
fn single_part_limits() {
    let split = split_text(&"a".repeat(160), &options(Autosplit::Concatenated)).unwrap();
    assert_eq!((split.alphabet, split.parts.len()), (Alphabet::Gsm7, 1));
    assert_eq!(split.parts[0].header, None);
    let split = split_text(&"ж".repeat(70), &options(Autosplit::Concatenated)).unwrap();
    assert_eq!((split.alphabet, split.parts.len()), (Alphabet::Ucs2, 1));
    let split = split_text("", &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(split.parts.len(), 1);
}

/// 153 septets, 67 UCS2 characters per part behind an 8-bit reference.
#[test]
fn concatenated_part_sizes() {
    let split = split_text(&"a".repeat(161), &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(split.parts.iter().map(body_len).collect::<Vec<_>>(), vec![153, 8]);
    assert_eq!(
        split.parts[1].header.as_ref().unwrap().concat().unwrap(),
        crate::ConcatInfo {
            reference: 0x42,
            wide_reference: false,
            total: 2,
            seq: 2
        }
    );
    let split = split_text(&"ж".repeat(71), &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(split.parts.iter().map(body_len).collect::<Vec<_>>(), vec![134, 8]);
    let mut wide = options(Autosplit::Concatenated);
    wide.wide_reference = true;
    wide.reference = 0x1234;
    let split = split_text(&"a".repeat(400), &wide).unwrap();
    assert_eq!(
        split.parts.iter().map(body_len).collect::<Vec<_>>(),
        vec![152, 152, 96]
    );
    assert_eq!(
        split.parts[0]
            .header
            .as_ref()
            .unwrap()
            .concat()
            .unwrap()
            .reference,
        0x1234
    );
}

#[test]
fn escapes_and_surrogates_stay_whole() {
    // 152 plain characters then '€' (2 septets): it can't go in part 1.
    let text = format!("{}€{}", "a".repeat(152), "x".repeat(10));
    let split = split_text(&text, &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(
        split.parts.iter().map(body_len).collect::<Vec<_>>(),
        vec![152, 12]
    );
    assert_eq!(texts(&split).concat(), text);
    // 66 UCS2 units then an emoji (a surrogate pair).
    let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(10));
    let split = split_text(&text, &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(
        split.parts.iter().map(body_len).collect::<Vec<_>>(),
        vec![132, 24]
    );
    assert_eq!(texts(&split).concat(), text);
}

#[test]
fn autosplit_modes() {
    let long = "b".repeat(200);
    let err = split_text(&long, &options(Autosplit::Off)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "user data is 200 septets, at most 160 fit one message"
    );

    let split = split_text(&long, &options(Autosplit::Plain)).unwrap();
    assert_eq!(
        split.parts.iter().map(body_len).collect::<Vec<_>>(),
        vec![160, 40]
    );
    assert!(split.parts.iter().all(|part| part.header.is_none()));

    let split = split_text(&long, &options(Autosplit::Numbered)).unwrap();
    let texts = texts(&split);
    assert_eq!(texts.len(), 2);
    assert!(texts[0].starts_with("1/2 ") && texts[1].starts_with("2/2 "));
    assert_eq!(texts[0].chars().count(), 160);
    assert_eq!(texts.iter().map(|text| &text[4..]).collect::<String>(), long);

    // Ten parts need a wider prefix, "10/10 ".
    let long = "c".repeat(1540);
    let split = split_text(&long, &options(Autosplit::Numbered)).unwrap();
    let texts: Vec<String> = self::texts(&split);
    assert_eq!(texts.len(), 10);
    assert!(texts[9].starts_with("10/10 "));
    assert!(texts.iter().all(|text| text.chars().count() <= 160));
}

#[test]
fn auto_prefers_gsm7_then_national_then_ucs2() {
    let turkish = "Işık ışık ".repeat(20);
    // Without national tables Turkish needs UCS2.
    let split = split_text(&turkish, &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(split.alphabet, Alphabet::Ucs2);
    assert_eq!(split.parts.len(), 3);
    // With them, GSM 7-bit: 200 characters, fewer parts.
    let mut with_turkish = options(Autosplit::Concatenated);
    with_turkish.national_languages = vec![NationalLanguage::Turkish, NationalLanguage::Portuguese];
    let split = split_text(&turkish, &with_turkish).unwrap();
    assert_eq!(split.alphabet, Alphabet::Gsm7);
    assert!(split.tables.locking == Some(NationalLanguage::Turkish) || split.tables.single.is_some());
    assert_eq!(split.parts.len(), 2);
    assert_eq!(texts(&split).concat(), turkish);
    // Plain English never takes a national table.
    let split = split_text("hello", &with_turkish).unwrap();
    assert_eq!(split.tables, Gsm7Tables::DEFAULT);
    assert_eq!(split.parts[0].header, None);
}

#[test]
fn explicit_alphabets() {
    let mut gsm = options(Autosplit::Concatenated);
    gsm.alphabet = AlphabetChoice::Gsm7;
    let err = split_text("Привет", &gsm).unwrap_err();
    assert!(matches!(
        err,
        EncodeError::Unrepresentable {
            ch: 'П',
            position: 0,
            ..
        }
    ));
    let mut ucs2 = options(Autosplit::Concatenated);
    ucs2.alphabet = AlphabetChoice::Ucs2;
    let split = split_text("hello", &ucs2).unwrap();
    assert_eq!(split.alphabet, Alphabet::Ucs2);
    assert_eq!(
        split.parts[0].body,
        Body::Octets(vec![0, b'h', 0, b'e', 0, b'l', 0, b'l', 0, b'o'])
    );
}

#[test]
fn extra_elements_take_room() {
    let mut with_ports = options(Autosplit::Concatenated);
    with_ports.extra_elements = vec![InformationElement::Ports16 { dst: 2948, src: 9200 }];
    // Header of 7 octets = 8 septets: 152 left in a single message.
    let split = split_text(&"a".repeat(152), &with_ports).unwrap();
    assert_eq!(split.parts.len(), 1);
    let split = split_text(&"a".repeat(153), &with_ports).unwrap();
    // Concat + ports = 12 octets = 14 septets: 146 per part.
    assert_eq!(split.parts.iter().map(body_len).collect::<Vec<_>>(), vec![146, 7]);
}

#[test]
fn binary_data() {
    let parts = split_data(&[7; 140], &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(parts.len(), 1);
    let parts = split_data(&[7; 300], &options(Autosplit::Concatenated)).unwrap();
    assert_eq!(parts.iter().map(body_len).collect::<Vec<_>>(), vec![134, 134, 32]);
    assert!(split_data(&[7; 141], &options(Autosplit::Off)).is_err());
    let parts = split_data(&[7; 141], &options(Autosplit::Plain)).unwrap();
    assert_eq!(parts.iter().map(body_len).collect::<Vec<_>>(), vec![140, 1]);
}

#[test]
fn too_many_parts() {
    let err = split_text(&"a".repeat(153 * 256), &options(Autosplit::Concatenated)).unwrap_err();
    assert_eq!(err, EncodeError::TooManyParts(256));
}

#[test]
fn autosplit_numbers() {
    assert_eq!(Autosplit::from_smstools(0), Some(Autosplit::Off));
    assert_eq!(Autosplit::from_smstools(3), Some(Autosplit::Concatenated));
    assert_eq!(Autosplit::from_smstools(4), None);
}

/// AOSP telephony tests, GsmSmsTest.testFragmentTurkishText: with only the
/// Turkish single-shift table enabled, 77 two-septet characters fit one
/// message (154 septets behind a 4-octet header), 78 need two parts of 74
/// and 4, and 160 need three of 74, 74 and 12.
#[test]
fn aosp_turkish_single_shift_fragments() {
    let options = SplitOptions {
        national_languages: vec![NationalLanguage::Turkish],
        single_shift_only: true,
        ..options(Autosplit::Concatenated)
    };
    let unit = "ĞŞİğşı";
    for (n_chars, expected) in [(77, vec![77]), (78, vec![74, 4]), (160, vec![74, 74, 12])] {
        let text: String = unit.chars().cycle().take(n_chars).collect();
        let split = split_text(&text, &options).unwrap();
        assert_eq!(split.alphabet, Alphabet::Gsm7);
        assert_eq!(split.tables.single, Some(NationalLanguage::Turkish));
        assert_eq!(split.tables.locking, None);
        let counts: Vec<usize> = texts(&split).iter().map(|text| text.chars().count()).collect();
        assert_eq!(counts, expected, "{n_chars} characters");
        assert_eq!(texts(&split).concat(), text);
    }
    // With the locking-shift table allowed too, each of these characters
    // takes one septet: 155 fit one message behind the 4-octet header.
    let both = SplitOptions {
        single_shift_only: false,
        ..options
    };
    let text: String = unit.chars().cycle().take(155).collect();
    let split = split_text(&text, &both).unwrap();
    assert_eq!(split.parts.len(), 1);
    assert_eq!(split.tables.locking, Some(NationalLanguage::Turkish));
}
