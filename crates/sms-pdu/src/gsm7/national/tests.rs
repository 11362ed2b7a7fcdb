//! The tests that pin the national tables to 3GPP TS 23.038 Annex A.

use super::super::default::{DEFAULT_ALPHABET, DEFAULT_EXTENSION};
use super::*;

const FORM_FEED: char = '\u{000C}';

/// A language with its locking-shift table, if defined, and its
/// single-shift table.
type Tables = (
    NationalLanguage,
    Option<&'static [char; 128]>,
    &'static [char; 128],
);

/// Every language with its tables.
fn all_tables() -> Vec<Tables> {
    NationalLanguage::ALL
        .iter()
        .map(|&language| {
            (
                language,
                locking_shift_table(language),
                single_shift_table(language),
            )
        })
        .collect()
}

/// Positions where `table` differs from `reference`.
fn differences(table: &[char; 128], reference: &[char; 128]) -> Vec<usize> {
    (0..128).filter(|&i| table[i] != reference[i]).collect()
}

#[test]
fn every_language_but_spanish_has_a_locking_shift_table() {
    for (language, locking, _) in all_tables() {
        assert_eq!(
            locking.is_some(),
            language != NationalLanguage::Spanish,
            "{language:?}"
        );
    }
}

#[test]
fn layout_of_locking_shift_tables() {
    for (language, locking, _) in all_tables() {
        let Some(table) = locking else { continue };
        assert_eq!(table.len(), 128);
        assert_eq!(table[0x0A], '\n', "{language:?}");
        assert_eq!(table[0x0D], '\r', "{language:?}");
        assert_eq!(table[0x1B], ESCAPE, "{language:?}");
        assert_eq!(table[0x20], ' ', "{language:?}");
        // Digits, the small Latin letters and most punctuation keep their
        // default positions in every locking-shift table.
        for septet in (0x30..=0x39)
            .chain(0x61..=0x7A)
            .chain([0x21, 0x28, 0x29, 0x2C, 0x2E, 0x3A, 0x3B, 0x3F])
        {
            let expected = match septet {
                0x28 | 0x29 if language as u8 >= 4 => {
                    // The Indic and Urdu tables swap the parentheses.
                    if septet == 0x28 {
                        ')'
                    } else {
                        '('
                    }
                }
                _ => DEFAULT_ALPHABET[septet],
            };
            assert_eq!(table[septet], expected, "{language:?} 0x{septet:02X}");
        }
    }
}

#[test]
fn layout_of_single_shift_tables() {
    for (language, _, table) in all_tables() {
        assert_eq!(table.len(), 128);
        assert_eq!(table[0x0A], FORM_FEED, "{language:?}");
        assert_eq!(table[0x0D], UNASSIGNED, "{language:?}");
        assert_eq!(table[0x1B], ESCAPE, "{language:?}");
        // Each single-shift table keeps the default extension table's
        // characters where that table has them (TS 23.038 leaves the
        // EURO SIGN out of the Telugu table).
        for septet in 0..128 {
            let default = DEFAULT_EXTENSION[septet];
            if default == UNASSIGNED || (language == NationalLanguage::Telugu && septet == 0x65) {
                continue;
            }
            assert_eq!(table[septet], default, "{language:?} 0x{septet:02X}");
        }
    }
}

#[test]
fn indic_and_urdu_single_shift_tables_share_their_latin_part() {
    const COMMON: [(usize, char); 23] = [
        (0x00, '@'),
        (0x01, '£'),
        (0x02, '$'),
        (0x03, '¥'),
        (0x04, '¿'),
        (0x05, '"'),
        (0x06, '¤'),
        (0x07, '%'),
        (0x08, '&'),
        (0x09, '\''),
        (0x0B, '*'),
        (0x0C, '+'),
        (0x0E, '-'),
        (0x0F, '/'),
        (0x10, '<'),
        (0x11, '='),
        (0x12, '>'),
        (0x13, '¡'),
        (0x14, '^'),
        (0x15, '¡'),
        (0x16, '_'),
        (0x17, '#'),
        (0x18, '*'),
    ];
    for (language, _, table) in all_tables() {
        if (language as u8) < 4 {
            continue;
        }
        for (septet, expected) in COMMON {
            assert_eq!(table[septet], expected, "{language:?} 0x{septet:02X}");
        }
        for (septet, expected) in (0x41..=0x5A).zip('A'..='Z') {
            assert_eq!(table[septet], expected, "{language:?} 0x{septet:02X}");
        }
        // Nothing past the Latin capitals but the EURO SIGN.
        for (septet, &ch) in table.iter().enumerate().skip(0x5B) {
            if septet != 0x65 {
                assert_eq!(ch, UNASSIGNED, "{language:?} 0x{septet:02X}");
            }
        }
    }
}

#[test]
fn locking_shift_tables_have_no_duplicates() {
    for (language, locking, _) in all_tables() {
        let Some(table) = locking else { continue };
        let mut seen = std::collections::HashMap::new();
        for (septet, &ch) in table.iter().enumerate() {
            if ch == UNASSIGNED {
                continue;
            }
            if let Some(first) = seen.insert(ch, septet) {
                panic!("{language:?}: {ch:?} at 0x{first:02X} and 0x{septet:02X}");
            }
        }
    }
}

#[test]
fn no_placeholder_or_stray_control_character() {
    for (language, locking, single) in all_tables() {
        for table in locking.into_iter().chain([single]) {
            for (septet, &ch) in table.iter().enumerate() {
                assert_ne!(ch, BLANK, "{language:?} 0x{septet:02X}");
                if ch.is_control() && ch != UNASSIGNED {
                    assert!(
                        matches!((septet, ch), (0x0A, '\n' | FORM_FEED) | (0x0D, '\r'))
                            || (septet == 0x1B && ch == ESCAPE),
                        "{language:?} 0x{septet:02X}: {ch:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn turkish_and_portuguese_locking_shift_tables_amend_the_default_alphabet() {
    let turkish = locking_shift_table(NationalLanguage::Turkish).unwrap();
    assert_eq!(
        differences(turkish, &DEFAULT_ALPHABET),
        [0x04, 0x07, 0x0B, 0x0C, 0x1C, 0x1D, 0x40, 0x60]
    );
    let portuguese = locking_shift_table(NationalLanguage::Portuguese).unwrap();
    assert_eq!(
        differences(portuguese, &DEFAULT_ALPHABET),
        [
            0x04, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0E, 0x0F, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
            0x19, 0x1A, 0x1C, 0x1D, 0x1E, 0x24, 0x40, 0x5B, 0x5C, 0x5D, 0x60, 0x7B, 0x7C, 0x7D
        ]
    );
}

/// Code points at known positions, written independently of the table
/// literals.
#[test]
fn known_answers() {
    use NationalLanguage::*;
    const U: char = UNASSIGNED;
    let locking: &[(NationalLanguage, &[(usize, char)])] = &[
        (
            Turkish,
            &[
                (0x04, '\u{20AC}'),
                (0x07, '\u{0131}'),
                (0x0B, '\u{011E}'),
                (0x0C, '\u{011F}'),
                (0x1C, '\u{015E}'),
                (0x1D, '\u{015F}'),
                (0x40, '\u{0130}'),
                (0x60, '\u{00E7}'),
            ],
        ),
        (
            Portuguese,
            &[
                (0x04, '\u{00EA}'),
                (0x09, '\u{00E7}'),
                (0x0B, '\u{00D4}'),
                (0x12, '\u{00AA}'),
                (0x15, '\u{221E}'),
                (0x16, '^'),
                (0x17, '\\'),
                (0x18, '\u{20AC}'),
                (0x1A, '|'),
                (0x24, '\u{00BA}'),
                (0x40, '\u{00CD}'),
                (0x60, '~'),
                (0x7D, '`'),
            ],
        ),
        (
            Bengali,
            &[
                (0x00, '\u{0981}'),
                (0x0C, U),
                (0x0E, U),
                (0x2F, '\u{09A8}'),
                (0x3C, U),
                (0x45, U),
                (0x60, '\u{09CE}'),
                (0x7F, '\u{09F1}'),
            ],
        ),
        (
            Gujarati,
            &[
                (0x00, '\u{0A81}'),
                (0x0C, '\u{0A8D}'),
                (0x11, '\u{0A91}'),
                (0x12, U),
                (0x60, '\u{0AD0}'),
                (0x7F, '\u{0AF1}'),
            ],
        ),
        (
            Hindi,
            &[
                (0x00, '\u{0901}'),
                (0x0E, '\u{090E}'),
                (0x3C, '\u{0929}'),
                (0x48, '\u{0934}'),
                (0x60, '\u{0950}'),
                (0x7B, '\u{0972}'),
                (0x7D, '\u{097C}'),
                (0x7E, '\u{097E}'),
                (0x7F, '\u{097F}'),
            ],
        ),
        (
            Kannada,
            &[
                (0x00, U),
                (0x24, '\u{0CA1}'),
                (0x3D, '\u{0CAA}'),
                (0x60, '\u{0CD5}'),
                (0x7B, '\u{0CD6}'),
            ],
        ),
        (
            Malayalam,
            &[
                (0x00, U),
                (0x48, '\u{0D34}'),
                (0x4E, U),
                (0x60, '\u{0D57}'),
                (0x7F, '\u{0D79}'),
            ],
        ),
        (
            Oriya,
            &[
                (0x47, '\u{0B33}'),
                (0x4E, '\u{0B3C}'),
                (0x60, '\u{0B56}'),
                (0x7B, '\u{0B57}'),
            ],
        ),
        (
            Punjabi,
            &[
                (0x09, U),
                (0x0B, U),
                (0x47, '\u{0A33}'),
                (0x4A, '\u{0A36}'),
                (0x60, '\u{0A51}'),
                (0x7F, '\u{0A74}'),
            ],
        ),
        (
            Tamil,
            &[
                (0x00, U),
                (0x09, U),
                (0x16, U),
                (0x3C, '\u{0BA9}'),
                (0x60, '\u{0BD0}'),
                (0x7F, '\u{0BF9}'),
            ],
        ),
        (
            Telugu,
            &[
                (0x00, '\u{0C01}'),
                (0x4E, U),
                (0x60, '\u{0C55}'),
                (0x7B, '\u{0C56}'),
            ],
        ),
        (
            Urdu,
            &[
                (0x00, '\u{0627}'),
                (0x08, '\u{06C2}'),
                (0x5C, '\u{064D}'),
                (0x60, '\u{0654}'),
                (0x7F, '\u{0670}'),
            ],
        ),
    ];
    let single: &[(NationalLanguage, &[(usize, char)])] = &[
        (
            Turkish,
            &[
                (0x47, '\u{011E}'),
                (0x49, '\u{0130}'),
                (0x53, '\u{015E}'),
                (0x63, '\u{00E7}'),
                (0x65, '\u{20AC}'),
                (0x67, '\u{011F}'),
                (0x69, '\u{0131}'),
                (0x73, '\u{015F}'),
            ],
        ),
        (
            Spanish,
            &[
                (0x09, '\u{00E7}'),
                (0x41, '\u{00C1}'),
                (0x49, '\u{00CD}'),
                (0x4F, '\u{00D3}'),
                (0x55, '\u{00DA}'),
                (0x61, '\u{00E1}'),
                (0x69, '\u{00ED}'),
                (0x6F, '\u{00F3}'),
                (0x75, '\u{00FA}'),
            ],
        ),
        (
            Portuguese,
            &[
                (0x05, '\u{00EA}'),
                (0x09, '\u{00E7}'),
                (0x0B, '\u{00D4}'),
                (0x0C, '\u{00F4}'),
                (0x0E, '\u{00C1}'),
                (0x0F, '\u{00E1}'),
                (0x12, '\u{03A6}'),
                (0x19, '\u{0398}'),
                (0x1F, '\u{00CA}'),
                (0x41, '\u{00C0}'),
                (0x5B, '\u{00C3}'),
                (0x61, '\u{00C2}'),
                (0x7F, '\u{00E2}'),
            ],
        ),
        (
            Bengali,
            &[
                (0x19, '\u{09E6}'),
                (0x1A, '\u{09E7}'),
                (0x1C, '\u{09E8}'),
                (0x24, '\u{09DF}'),
                (0x34, '\u{09FA}'),
                (0x35, U),
            ],
        ),
        (
            Gujarati,
            &[
                (0x19, '\u{0964}'),
                (0x1C, '\u{0AE6}'),
                (0x25, '\u{0AEF}'),
                (0x26, U),
            ],
        ),
        (
            Hindi,
            &[
                (0x26, '\u{0951}'),
                (0x27, '\u{0952}'),
                (0x2A, '\u{0953}'),
                (0x2C, '\u{0958}'),
                (0x3A, '\u{0971}'),
                (0x3B, U),
            ],
        ),
        (
            Kannada,
            &[
                (0x26, '\u{0CDE}'),
                (0x27, '\u{0CF1}'),
                (0x2A, '\u{0CF2}'),
                (0x2B, U),
            ],
        ),
        (
            Malayalam,
            &[(0x26, '\u{0D70}'), (0x2E, '\u{0D7A}'), (0x34, '\u{0D7F}')],
        ),
        (
            Oriya,
            &[
                (0x26, '\u{0B5C}'),
                (0x2A, '\u{0B5F}'),
                (0x2C, '\u{0B71}'),
                (0x2D, U),
            ],
        ),
        (
            Punjabi,
            &[
                (0x26, '\u{0A59}'),
                (0x2C, '\u{0A5E}'),
                (0x2D, '\u{0A75}'),
                (0x2E, U),
            ],
        ),
        (
            Tamil,
            &[
                (0x24, '\u{0BEE}'),
                (0x25, '\u{0BEF}'),
                (0x26, '\u{0BF3}'),
                (0x2E, '\u{0BFA}'),
            ],
        ),
        (
            Telugu,
            &[
                (0x19, U),
                (0x1A, U),
                (0x22, '\u{0C6C}'),
                (0x23, '\u{0C6D}'),
                (0x26, '\u{0C58}'),
                (0x32, '\u{0C7F}'),
                (0x65, U),
            ],
        ),
        (
            Urdu,
            &[
                (0x19, '\u{0600}'),
                (0x1A, '\u{0601}'),
                (0x26, '\u{060C}'),
                (0x3B, '\u{06CD}'),
                (0x3F, '\u{06D4}'),
            ],
        ),
    ];
    for &(language, answers) in locking {
        let table = locking_shift_table(language).unwrap();
        for &(septet, expected) in answers {
            assert_eq!(table[septet], expected, "{language:?} locking 0x{septet:02X}");
        }
    }
    for &(language, answers) in single {
        let table = single_shift_table(language);
        for &(septet, expected) in answers {
            assert_eq!(table[septet], expected, "{language:?} single 0x{septet:02X}");
        }
    }
}

/// FNV-1a over the little-endian code points (UNASSIGNED counting as 0).
fn fingerprint(table: &[char; 128]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &ch in table {
        for byte in u32::from(ch).to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Guards every position of every table: the fingerprints were computed
/// from the cross-checked data the literals were generated from. A change
/// to a table must come with a change here.
#[test]
fn fingerprints() {
    let expected: [(NationalLanguage, Option<u64>, u64); 13] = [
        (
            NationalLanguage::Turkish,
            Some(0x29c8a67758babdac),
            0xc804d675bdc144a0,
        ),
        (NationalLanguage::Spanish, None, 0x88491487f8b23e29),
        (
            NationalLanguage::Portuguese,
            Some(0x981d8b03e75c49ea),
            0x0c82f9ab6243c3c7,
        ),
        (
            NationalLanguage::Bengali,
            Some(0x7daaa809b969d8ef),
            0x15071cd4bbd39af4,
        ),
        (
            NationalLanguage::Gujarati,
            Some(0x81b18fd43472333c),
            0xc35e5d8d5e2a4d40,
        ),
        (
            NationalLanguage::Hindi,
            Some(0xe1e5e7bd97c22f7b),
            0x8cacdeddba3172dd,
        ),
        (
            NationalLanguage::Kannada,
            Some(0x836363e615e60940),
            0xa5e450de75cace8d,
        ),
        (
            NationalLanguage::Malayalam,
            Some(0x2f0d57b482123312),
            0x59ac31a8f3d117f0,
        ),
        (
            NationalLanguage::Oriya,
            Some(0x09ceeccbf539918b),
            0x0972b7c6b13573ae,
        ),
        (
            NationalLanguage::Punjabi,
            Some(0x29759a3cacecbbfa),
            0xc069b8216c650923,
        ),
        (
            NationalLanguage::Tamil,
            Some(0xb8f9c0d4bcf6ec2d),
            0xc248fe1d953a6e88,
        ),
        (
            NationalLanguage::Telugu,
            Some(0x8214f3d60c3411a5),
            0xaf63ecd7a593efec,
        ),
        (
            NationalLanguage::Urdu,
            Some(0x3fe7e3a255c119bb),
            0x9ec8a37285ec2f65,
        ),
    ];
    for (language, locking, single) in expected {
        assert_eq!(
            locking_shift_table(language).map(fingerprint),
            locking,
            "{language:?} locking"
        );
        assert_eq!(
            fingerprint(single_shift_table(language)),
            single,
            "{language:?} single"
        );
    }
}
