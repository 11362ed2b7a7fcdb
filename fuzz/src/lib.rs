//! Checks shared by the fuzz targets: what the codec decodes must survive
//! encoding and decoding again (as hickory's message fuzzer requires), and
//! every text a split produces must come back whole.

use sms_pdu::split::{split_text, AlphabetChoice, Autosplit, SplitOptions};
use sms_pdu::{encode_hex, EncodeError, InformationElement, NationalLanguage, Pdu, Tpdu};

/// Encodes a decoded PDU and decodes it again: the value must be the same
/// and its octets a fixed point. A value that does not encode is fine.
pub fn check_pdu_round_trip(pdu: &Pdu) {
    let Ok(octets) = pdu.encode() else {
        return;
    };
    let again = match Pdu::decode(&octets) {
        Ok(again) => again.value,
        Err(err) => panic!("re-encoded {} fails to decode: {err}", encode_hex(&octets)),
    };
    assert_eq!(
        again.encode().ok(),
        Some(octets.clone()),
        "second encoding differs"
    );
    assert_eq!(&again, pdu, "value changed through {}", encode_hex(&octets));
}

/// The same for a bare TPDU.
pub fn check_tpdu_round_trip(tpdu: &Tpdu) {
    check_pdu_round_trip(&Pdu {
        smsc: None,
        tpdu: tpdu.clone(),
    });
    // The accessors never panic either.
    if let Some((user_data, dcs)) = tpdu.user_data() {
        let _ = user_data.text(dcs);
        if let Some(header) = &user_data.header {
            let _ = (header.concat(), header.ports(), header.gsm7_tables());
        }
    }
    let _ = sms_pdu::reassembly::MessageKey::of_tpdu(tpdu);
}

/// The longest prefix of `data` that is UTF-8.
pub fn utf8_prefix(data: &[u8]) -> &str {
    match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(err) => std::str::from_utf8(&data[..err.valid_up_to()]).unwrap_or_default(),
    }
}

/// Split options from two octets and a reference: bits 0-1 the
/// `Autosplit:` mode, bits 2-3 the alphabet, bit 4 a 16-bit reference,
/// bit 5 single shifts only, bit 6 a port element in every part; the
/// nibbles of `languages` name up to two national languages.
pub fn split_options(flags: u8, languages: u8, reference: u16) -> SplitOptions {
    let national_languages = [languages & 0x0F, languages >> 4]
        .into_iter()
        .filter_map(NationalLanguage::from_id)
        .collect();
    SplitOptions {
        alphabet: match (flags >> 2) & 0x03 {
            1 => AlphabetChoice::Gsm7,
            2 => AlphabetChoice::Ucs2,
            _ => AlphabetChoice::Auto,
        },
        national_languages,
        single_shift_only: flags & 0x20 != 0,
        autosplit: Autosplit::from_smstools(flags & 0x03).unwrap_or_default(),
        reference,
        wide_reference: flags & 0x10 != 0,
        extra_elements: match flags & 0x40 != 0 {
            true => vec![InformationElement::Ports16 { dst: 2948, src: 9200 }],
            false => Vec::new(),
        },
    }
}

/// Splits `text`, then checks that every part encodes as a SUBMIT that
/// decodes to the same value, and that the parts' texts (without the
/// "i/n " numbering) join to `text`.
pub fn check_split(text: &str, options: &SplitOptions) {
    let split = match split_text(text, options) {
        Ok(split) => split,
        Err(EncodeError::TooLong { .. }) if options.autosplit == Autosplit::Off => return,
        Err(EncodeError::Unrepresentable { .. }) if options.alphabet == AlphabetChoice::Gsm7 => return,
        Err(EncodeError::TooManyParts(_)) => return,
        Err(err) => panic!("split_text failed: {err:?}"),
    };
    let n_parts = split.parts.len();
    let dcs = sms_pdu::DataCodingScheme::new(split.alphabet, None);
    let mut joined = String::new();
    for (part_idx, part) in split.parts.into_iter().enumerate() {
        let (part_text, notes) = part.text(dcs).expect("a text part");
        assert!(notes.is_empty(), "part {}: {notes:?}", part_idx + 1);
        let part_text = match options.autosplit == Autosplit::Numbered && n_parts > 1 {
            true => {
                let prefix = format!("{}/{} ", part_idx + 1, n_parts);
                match part_text.strip_prefix(&prefix) {
                    Some(rest) => rest.to_owned(),
                    None => panic!("part {part_text:?} lacks {prefix:?}"),
                }
            }
            false => part_text,
        };
        joined.push_str(&part_text);
        let submit = sms_pdu::Submit {
            reject_duplicates: false,
            validity: None,
            status_report_request: false,
            reply_path: false,
            message_reference: 0,
            destination: sms_pdu::Address::numeric("4917212345678", sms_pdu::TypeOfAddress::INTERNATIONAL)
                .expect("a valid number"),
            pid: sms_pdu::ProtocolIdentifier::DEFAULT,
            dcs,
            user_data: part,
        };
        let tpdu = Tpdu::Submit(submit);
        let octets = match tpdu.encode() {
            Ok(octets) => octets,
            Err(err) => panic!("part {} does not encode: {err}", part_idx + 1),
        };
        let decoded = Tpdu::decode(&octets).expect("a part decodes");
        assert!(decoded.warnings.is_empty(), "{:?}", decoded.warnings);
        assert_eq!(decoded.value, tpdu);
    }
    assert_eq!(joined, text);
}
