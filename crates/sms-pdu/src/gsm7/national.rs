//! The national language tables of 3GPP TS 23.038 Annex A: the single-shift
//! tables of clause A.2, which replace the default extension table, and the
//! locking-shift tables of clause A.3, which replace the default alphabet.
//!
//! Each table is indexed by septet value (0x00..=0x7F). Position 0x1B is
//! [`ESCAPE`] in every table (in a single-shift table it is the code reserved
//! for a further extension table). Unassigned positions hold [`UNASSIGNED`]. In
//! locking-shift tables 0x0A is LINE FEED and 0x0D CARRIAGE RETURN; in
//! single-shift tables 0x0A is the page break (FORM FEED) and 0x0D (CR2) is
//! unassigned.
//!
//! This module is long because it is these tables (128 septets each, a
//! single- and mostly a locking-shift table per language); its code is
//! short. The tests that pin them to the standard are in `national/tests.rs`.
//!
//! The tables are written as string literals of exactly 128 characters, eight
//! per line, with `·` (U+00B7 MIDDLE DOT, which no table contains) standing for
//! an unassigned position. They are built, and their length and escape
//! position checked, at compile time.
//!
//! The data follows the published tables (checked against Release 16 and 18
//! transcriptions, Android's `GsmAlphabet` and other implementations), except
//! where the published table has an evident typo; each such place is noted on
//! its table.

use super::{NationalLanguage, ESCAPE, UNASSIGNED};

/// The locking-shift table (TS 23.038 A.3.x) replacing the default alphabet,
/// or `None` when the standard defines none (Spanish: A.3.2 is void).
pub(crate) fn locking_shift_table(language: NationalLanguage) -> Option<&'static [char; 128]> {
    match language {
        NationalLanguage::Turkish => Some(&TURKISH_LOCKING_SHIFT),
        NationalLanguage::Spanish => None,
        NationalLanguage::Portuguese => Some(&PORTUGUESE_LOCKING_SHIFT),
        NationalLanguage::Bengali => Some(&BENGALI_LOCKING_SHIFT),
        NationalLanguage::Gujarati => Some(&GUJARATI_LOCKING_SHIFT),
        NationalLanguage::Hindi => Some(&HINDI_LOCKING_SHIFT),
        NationalLanguage::Kannada => Some(&KANNADA_LOCKING_SHIFT),
        NationalLanguage::Malayalam => Some(&MALAYALAM_LOCKING_SHIFT),
        NationalLanguage::Oriya => Some(&ORIYA_LOCKING_SHIFT),
        NationalLanguage::Punjabi => Some(&PUNJABI_LOCKING_SHIFT),
        NationalLanguage::Tamil => Some(&TAMIL_LOCKING_SHIFT),
        NationalLanguage::Telugu => Some(&TELUGU_LOCKING_SHIFT),
        NationalLanguage::Urdu => Some(&URDU_LOCKING_SHIFT),
    }
}

/// The single-shift table (TS 23.038 A.2.x): the characters reached by
/// ESC + septet. [`UNASSIGNED`] where the table has nothing.
pub(crate) fn single_shift_table(language: NationalLanguage) -> &'static [char; 128] {
    match language {
        NationalLanguage::Turkish => &TURKISH_SINGLE_SHIFT,
        NationalLanguage::Spanish => &SPANISH_SINGLE_SHIFT,
        NationalLanguage::Portuguese => &PORTUGUESE_SINGLE_SHIFT,
        NationalLanguage::Bengali => &BENGALI_SINGLE_SHIFT,
        NationalLanguage::Gujarati => &GUJARATI_SINGLE_SHIFT,
        NationalLanguage::Hindi => &HINDI_SINGLE_SHIFT,
        NationalLanguage::Kannada => &KANNADA_SINGLE_SHIFT,
        NationalLanguage::Malayalam => &MALAYALAM_SINGLE_SHIFT,
        NationalLanguage::Oriya => &ORIYA_SINGLE_SHIFT,
        NationalLanguage::Punjabi => &PUNJABI_SINGLE_SHIFT,
        NationalLanguage::Tamil => &TAMIL_SINGLE_SHIFT,
        NationalLanguage::Telugu => &TELUGU_SINGLE_SHIFT,
        NationalLanguage::Urdu => &URDU_SINGLE_SHIFT,
    }
}

/// Stands for [`UNASSIGNED`] in the table literals.
const BLANK: char = '·';

/// Builds a table from a literal of exactly 128 characters, turning [`BLANK`]
/// into [`UNASSIGNED`]. Only ever evaluated at compile time (the tables are
/// statics), so a literal of the wrong length, or without [`ESCAPE`] at 0x1B,
/// fails the build.
const fn table(literal: &str) -> [char; 128] {
    let bytes = literal.as_bytes();
    let mut table = [UNASSIGNED; 128];
    let mut at = 0;
    let mut septet = 0;
    while at < bytes.len() {
        // Decode one UTF-8 sequence; `literal` is a `str`, so it is well formed.
        let lead = bytes[at] as u32;
        let (mut code, len) = if lead < 0x80 {
            (lead, 1)
        } else if lead < 0xE0 {
            (lead & 0x1F, 2)
        } else if lead < 0xF0 {
            (lead & 0x0F, 3)
        } else {
            (lead & 0x07, 4)
        };
        let mut k = 1;
        while k < len {
            code = (code << 6) | (bytes[at + k] as u32 & 0x3F);
            k += 1;
        }
        assert!(septet < 128, "table literal longer than 128 characters");
        let ch = match char::from_u32(code) {
            Some(ch) => ch,
            None => panic!("table literal is not well-formed UTF-8"),
        };
        table[septet] = if ch == BLANK { UNASSIGNED } else { ch };
        septet += 1;
        at += len;
    }
    assert!(septet == 128, "table literal shorter than 128 characters");
    assert!(table[0x1B] == ESCAPE, "table without ESCAPE at 0x1B");
    table
}

/// TS 23.038 A.3.1 Turkish National Language Locking Shift Table.
static TURKISH_LOCKING_SHIFT: [char; 128] = table(concat!(
    "@£$¥€éùı",      // 0x00
    "òÇ\nĞğ\rÅå",    // 0x08
    "Δ_ΦΓΛΩΠΨ",      // 0x10
    "ΣΘΞ\u{1B}ŞşßÉ", // 0x18
    " !\"#¤%&'",     // 0x20
    "()*+,-./",      // 0x28
    "01234567",      // 0x30
    "89:;<=>?",      // 0x38
    "İABCDEFG",      // 0x40
    "HIJKLMNO",      // 0x48
    "PQRSTUVW",      // 0x50
    "XYZÄÖÑÜ§",      // 0x58
    "çabcdefg",      // 0x60
    "hijklmno",      // 0x68
    "pqrstuvw",      // 0x70
    "xyzäöñüà",      // 0x78
));

/// TS 23.038 A.2.1 Turkish National Language Single Shift Table.
static TURKISH_SINGLE_SHIFT: [char; 128] = table(concat!(
    "········",      // 0x00
    "··\u{C}·····",  // 0x08
    "····^···",      // 0x10
    "···\u{1B}····", // 0x18
    "········",      // 0x20
    "{}·····\\",     // 0x28
    "········",      // 0x30
    "····[~]·",      // 0x38
    "|······Ğ",      // 0x40
    "·İ······",      // 0x48
    "···Ş····",      // 0x50
    "········",      // 0x58
    "···ç·€·ğ",      // 0x60
    "·ı······",      // 0x68
    "···ş····",      // 0x70
    "········",      // 0x78
));

/// TS 23.038 A.2.2 Spanish National Language Single Shift Table.
static SPANISH_SINGLE_SHIFT: [char; 128] = table(concat!(
    "········",      // 0x00
    "·ç\u{C}·····",  // 0x08
    "····^···",      // 0x10
    "···\u{1B}····", // 0x18
    "········",      // 0x20
    "{}·····\\",     // 0x28
    "········",      // 0x30
    "····[~]·",      // 0x38
    "|Á······",      // 0x40
    "·Í·····Ó",      // 0x48
    "·····Ú··",      // 0x50
    "········",      // 0x58
    "·á···€··",      // 0x60
    "·í·····ó",      // 0x68
    "·····ú··",      // 0x70
    "········",      // 0x78
));

/// TS 23.038 A.3.3 Portuguese National Language Locking Shift Table.
static PORTUGUESE_LOCKING_SHIFT: [char; 128] = table(concat!(
    "@£$¥êéúí",      // 0x00
    "óç\nÔô\rÁá",    // 0x08
    "Δ_ªÇÀ∞^\\",     // 0x10
    "€Ó|\u{1B}ÂâÊÉ", // 0x18
    " !\"#º%&'",     // 0x20
    "()*+,-./",      // 0x28
    "01234567",      // 0x30
    "89:;<=>?",      // 0x38
    "ÍABCDEFG",      // 0x40
    "HIJKLMNO",      // 0x48
    "PQRSTUVW",      // 0x50
    "XYZÃÕÚÜ§",      // 0x58
    "~abcdefg",      // 0x60
    "hijklmno",      // 0x68
    "pqrstuvw",      // 0x70
    "xyzãõ`üà",      // 0x78
));

/// TS 23.038 A.2.3 Portuguese National Language Single Shift Table.
static PORTUGUESE_SINGLE_SHIFT: [char; 128] = table(concat!(
    "·····ê··",      // 0x00
    "·ç\u{C}Ôô·Áá",  // 0x08
    "··ΦΓ^ΩΠΨ",      // 0x10
    "ΣΘ·\u{1B}···Ê", // 0x18
    "········",      // 0x20
    "{}·····\\",     // 0x28
    "········",      // 0x30
    "····[~]·",      // 0x38
    "|À······",      // 0x40
    "·Í·····Ó",      // 0x48
    "·····Ú··",      // 0x50
    "···ÃÕ···",      // 0x58
    "·Â···€··",      // 0x60
    "·í·····ó",      // 0x68
    "·····ú··",      // 0x70
    "···ãõ··â",      // 0x78
));

/// TS 23.038 A.3.4 Bengali National Language Locking Shift Table.
static BENGALI_LOCKING_SHIFT: [char; 128] = table(concat!(
    "\u{0981}\u{0982}\u{0983}\u{0985}\u{0986}\u{0987}\u{0988}\u{0989}", // 0x00
    "\u{098A}\u{098B}\n\u{098C}·\r·\u{098F}",                           // 0x08
    "\u{0990}··\u{0993}\u{0994}\u{0995}\u{0996}\u{0997}",               // 0x10
    "\u{0998}\u{0999}\u{099A}\u{1B}\u{099B}\u{099C}\u{099D}\u{099E}",   // 0x18
    " !\u{099F}\u{09A0}\u{09A1}\u{09A2}\u{09A3}\u{09A4}",               // 0x20
    ")(\u{09A5}\u{09A6},\u{09A7}.\u{09A8}",                             // 0x28
    "01234567",                                                         // 0x30
    "89:;·\u{09AA}\u{09AB}?",                                           // 0x38
    "\u{09AC}\u{09AD}\u{09AE}\u{09AF}\u{09B0}·\u{09B2}·",               // 0x40
    "··\u{09B6}\u{09B7}\u{09B8}\u{09B9}\u{09BC}\u{09BD}",               // 0x48
    "\u{09BE}\u{09BF}\u{09C0}\u{09C1}\u{09C2}\u{09C3}\u{09C4}·",        // 0x50
    "·\u{09C7}\u{09C8}··\u{09CB}\u{09CC}\u{09CD}",                      // 0x58
    "\u{09CE}abcdefg",                                                  // 0x60
    "hijklmno",                                                         // 0x68
    "pqrstuvw",                                                         // 0x70
    "xyz\u{09D7}\u{09DC}\u{09DD}\u{09F0}\u{09F1}",                      // 0x78
));

/// TS 23.038 A.2.4 Bengali National Language Single Shift Table.
static BENGALI_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{09E6}\u{09E7}\u{1B}\u{09E8}\u{09E9}\u{09EA}\u{09EB}",          // 0x18
    "\u{09EC}\u{09ED}\u{09EE}\u{09EF}\u{09DF}\u{09E0}\u{09E1}\u{09E2}", // 0x20
    "{}\u{09E3}\u{09F2}\u{09F3}\u{09F4}\u{09F5}\\",                     // 0x28
    "\u{09F6}\u{09F7}\u{09F8}\u{09F9}\u{09FA}···",                      // 0x30
    "····[~]·",                                                         // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.5 Gujarati National Language Locking Shift Table.
static GUJARATI_LOCKING_SHIFT: [char; 128] = table(concat!(
    "\u{0A81}\u{0A82}\u{0A83}\u{0A85}\u{0A86}\u{0A87}\u{0A88}\u{0A89}", // 0x00
    "\u{0A8A}\u{0A8B}\n\u{0A8C}\u{0A8D}\r·\u{0A8F}",                    // 0x08
    "\u{0A90}\u{0A91}·\u{0A93}\u{0A94}\u{0A95}\u{0A96}\u{0A97}",        // 0x10
    "\u{0A98}\u{0A99}\u{0A9A}\u{1B}\u{0A9B}\u{0A9C}\u{0A9D}\u{0A9E}",   // 0x18
    " !\u{0A9F}\u{0AA0}\u{0AA1}\u{0AA2}\u{0AA3}\u{0AA4}",               // 0x20
    ")(\u{0AA5}\u{0AA6},\u{0AA7}.\u{0AA8}",                             // 0x28
    "01234567",                                                         // 0x30
    "89:;·\u{0AAA}\u{0AAB}?",                                           // 0x38
    "\u{0AAC}\u{0AAD}\u{0AAE}\u{0AAF}\u{0AB0}·\u{0AB2}\u{0AB3}",        // 0x40
    "·\u{0AB5}\u{0AB6}\u{0AB7}\u{0AB8}\u{0AB9}\u{0ABC}\u{0ABD}",        // 0x48
    "\u{0ABE}\u{0ABF}\u{0AC0}\u{0AC1}\u{0AC2}\u{0AC3}\u{0AC4}\u{0AC5}", // 0x50
    "·\u{0AC7}\u{0AC8}\u{0AC9}·\u{0ACB}\u{0ACC}\u{0ACD}",               // 0x58
    "\u{0AD0}abcdefg",                                                  // 0x60
    "hijklmno",                                                         // 0x68
    "pqrstuvw",                                                         // 0x70
    "xyz\u{0AE0}\u{0AE1}\u{0AE2}\u{0AE3}\u{0AF1}",                      // 0x78
));

/// TS 23.038 A.2.5 Gujarati National Language Single Shift Table.
static GUJARATI_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                               // 0x00
    "&'\u{C}*+·-/",                                            // 0x08
    "<=>¡^¡_#",                                                // 0x10
    "*\u{0964}\u{0965}\u{1B}\u{0AE6}\u{0AE7}\u{0AE8}\u{0AE9}", // 0x18
    "\u{0AEA}\u{0AEB}\u{0AEC}\u{0AED}\u{0AEE}\u{0AEF}··",      // 0x20
    "{}·····\\",                                               // 0x28
    "········",                                                // 0x30
    "····[~]·",                                                // 0x38
    "|ABCDEFG",                                                // 0x40
    "HIJKLMNO",                                                // 0x48
    "PQRSTUVW",                                                // 0x50
    "XYZ·····",                                                // 0x58
    "·····€··",                                                // 0x60
    "········",                                                // 0x68
    "········",                                                // 0x70
    "········",                                                // 0x78
));

/// TS 23.038 A.3.6 Hindi National Language Locking Shift Table.
static HINDI_LOCKING_SHIFT: [char; 128] = table(concat!(
    "\u{0901}\u{0902}\u{0903}\u{0905}\u{0906}\u{0907}\u{0908}\u{0909}", // 0x00
    "\u{090A}\u{090B}\n\u{090C}\u{090D}\r\u{090E}\u{090F}",             // 0x08
    "\u{0910}\u{0911}\u{0912}\u{0913}\u{0914}\u{0915}\u{0916}\u{0917}", // 0x10
    "\u{0918}\u{0919}\u{091A}\u{1B}\u{091B}\u{091C}\u{091D}\u{091E}",   // 0x18
    " !\u{091F}\u{0920}\u{0921}\u{0922}\u{0923}\u{0924}",               // 0x20
    ")(\u{0925}\u{0926},\u{0927}.\u{0928}",                             // 0x28
    "01234567",                                                         // 0x30
    "89:;\u{0929}\u{092A}\u{092B}?",                                    // 0x38
    "\u{092C}\u{092D}\u{092E}\u{092F}\u{0930}\u{0931}\u{0932}\u{0933}", // 0x40
    "\u{0934}\u{0935}\u{0936}\u{0937}\u{0938}\u{0939}\u{093C}\u{093D}", // 0x48
    "\u{093E}\u{093F}\u{0940}\u{0941}\u{0942}\u{0943}\u{0944}\u{0945}", // 0x50
    "\u{0946}\u{0947}\u{0948}\u{0949}\u{094A}\u{094B}\u{094C}\u{094D}", // 0x58
    "\u{0950}abcdefg",                                                  // 0x60
    "hijklmno",                                                         // 0x68
    "pqrstuvw",                                                         // 0x70
    "xyz\u{0972}\u{097B}\u{097C}\u{097E}\u{097F}",                      // 0x78
));

/// TS 23.038 A.2.6 Hindi National Language Single Shift Table.
static HINDI_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{0964}\u{0965}\u{1B}\u{0966}\u{0967}\u{0968}\u{0969}",          // 0x18
    "\u{096A}\u{096B}\u{096C}\u{096D}\u{096E}\u{096F}\u{0951}\u{0952}", // 0x20
    "{}\u{0953}\u{0954}\u{0958}\u{0959}\u{095A}\\",                     // 0x28
    "\u{095B}\u{095C}\u{095D}\u{095E}\u{095F}\u{0960}\u{0961}\u{0962}", // 0x30
    "\u{0963}\u{0970}\u{0971}·[~]·",                                    // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.7 Kannada National Language Locking Shift Table.
///
/// Position 0x24 holds U+0CA1 KANNADA LETTER DDA. The published table prints
/// U+0CAA (PA, which is also at 0x3D) there, an evident typo: DDA would be
/// missing, and the other Indic tables that have a DDA put it at 0x24. Android
/// makes the same correction.
static KANNADA_LOCKING_SHIFT: [char; 128] = table(concat!(
    "·\u{0C82}\u{0C83}\u{0C85}\u{0C86}\u{0C87}\u{0C88}\u{0C89}", // 0x00
    "\u{0C8A}\u{0C8B}\n\u{0C8C}·\r\u{0C8E}\u{0C8F}",             // 0x08
    "\u{0C90}·\u{0C92}\u{0C93}\u{0C94}\u{0C95}\u{0C96}\u{0C97}", // 0x10
    "\u{0C98}\u{0C99}\u{0C9A}\u{1B}\u{0C9B}\u{0C9C}\u{0C9D}\u{0C9E}", // 0x18
    " !\u{0C9F}\u{0CA0}\u{0CA1}\u{0CA2}\u{0CA3}\u{0CA4}",        // 0x20
    ")(\u{0CA5}\u{0CA6},\u{0CA7}.\u{0CA8}",                      // 0x28
    "01234567",                                                  // 0x30
    "89:;·\u{0CAA}\u{0CAB}?",                                    // 0x38
    "\u{0CAC}\u{0CAD}\u{0CAE}\u{0CAF}\u{0CB0}\u{0CB1}\u{0CB2}\u{0CB3}", // 0x40
    "·\u{0CB5}\u{0CB6}\u{0CB7}\u{0CB8}\u{0CB9}\u{0CBC}\u{0CBD}", // 0x48
    "\u{0CBE}\u{0CBF}\u{0CC0}\u{0CC1}\u{0CC2}\u{0CC3}\u{0CC4}·", // 0x50
    "\u{0CC6}\u{0CC7}\u{0CC8}·\u{0CCA}\u{0CCB}\u{0CCC}\u{0CCD}", // 0x58
    "\u{0CD5}abcdefg",                                           // 0x60
    "hijklmno",                                                  // 0x68
    "pqrstuvw",                                                  // 0x70
    "xyz\u{0CD6}\u{0CE0}\u{0CE1}\u{0CE2}\u{0CE3}",               // 0x78
));

/// TS 23.038 A.2.7 Kannada National Language Single Shift Table.
static KANNADA_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{0964}\u{0965}\u{1B}\u{0CE6}\u{0CE7}\u{0CE8}\u{0CE9}",          // 0x18
    "\u{0CEA}\u{0CEB}\u{0CEC}\u{0CED}\u{0CEE}\u{0CEF}\u{0CDE}\u{0CF1}", // 0x20
    "{}\u{0CF2}····\\",                                                 // 0x28
    "········",                                                         // 0x30
    "····[~]·",                                                         // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.8 Malayalam National Language Locking Shift Table.
static MALAYALAM_LOCKING_SHIFT: [char; 128] = table(concat!(
    "·\u{0D02}\u{0D03}\u{0D05}\u{0D06}\u{0D07}\u{0D08}\u{0D09}", // 0x00
    "\u{0D0A}\u{0D0B}\n\u{0D0C}·\r\u{0D0E}\u{0D0F}",             // 0x08
    "\u{0D10}·\u{0D12}\u{0D13}\u{0D14}\u{0D15}\u{0D16}\u{0D17}", // 0x10
    "\u{0D18}\u{0D19}\u{0D1A}\u{1B}\u{0D1B}\u{0D1C}\u{0D1D}\u{0D1E}", // 0x18
    " !\u{0D1F}\u{0D20}\u{0D21}\u{0D22}\u{0D23}\u{0D24}",        // 0x20
    ")(\u{0D25}\u{0D26},\u{0D27}.\u{0D28}",                      // 0x28
    "01234567",                                                  // 0x30
    "89:;·\u{0D2A}\u{0D2B}?",                                    // 0x38
    "\u{0D2C}\u{0D2D}\u{0D2E}\u{0D2F}\u{0D30}\u{0D31}\u{0D32}\u{0D33}", // 0x40
    "\u{0D34}\u{0D35}\u{0D36}\u{0D37}\u{0D38}\u{0D39}·\u{0D3D}", // 0x48
    "\u{0D3E}\u{0D3F}\u{0D40}\u{0D41}\u{0D42}\u{0D43}\u{0D44}·", // 0x50
    "\u{0D46}\u{0D47}\u{0D48}·\u{0D4A}\u{0D4B}\u{0D4C}\u{0D4D}", // 0x58
    "\u{0D57}abcdefg",                                           // 0x60
    "hijklmno",                                                  // 0x68
    "pqrstuvw",                                                  // 0x70
    "xyz\u{0D60}\u{0D61}\u{0D62}\u{0D63}\u{0D79}",               // 0x78
));

/// TS 23.038 A.2.8 Malayalam National Language Single Shift Table.
static MALAYALAM_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{0964}\u{0965}\u{1B}\u{0D66}\u{0D67}\u{0D68}\u{0D69}",          // 0x18
    "\u{0D6A}\u{0D6B}\u{0D6C}\u{0D6D}\u{0D6E}\u{0D6F}\u{0D70}\u{0D71}", // 0x20
    "{}\u{0D72}\u{0D73}\u{0D74}\u{0D75}\u{0D7A}\\",                     // 0x28
    "\u{0D7B}\u{0D7C}\u{0D7D}\u{0D7E}\u{0D7F}···",                      // 0x30
    "····[~]·",                                                         // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.9 Oriya National Language Locking Shift Table.
static ORIYA_LOCKING_SHIFT: [char; 128] = table(concat!(
    "\u{0B01}\u{0B02}\u{0B03}\u{0B05}\u{0B06}\u{0B07}\u{0B08}\u{0B09}", // 0x00
    "\u{0B0A}\u{0B0B}\n\u{0B0C}·\r·\u{0B0F}",                           // 0x08
    "\u{0B10}··\u{0B13}\u{0B14}\u{0B15}\u{0B16}\u{0B17}",               // 0x10
    "\u{0B18}\u{0B19}\u{0B1A}\u{1B}\u{0B1B}\u{0B1C}\u{0B1D}\u{0B1E}",   // 0x18
    " !\u{0B1F}\u{0B20}\u{0B21}\u{0B22}\u{0B23}\u{0B24}",               // 0x20
    ")(\u{0B25}\u{0B26},\u{0B27}.\u{0B28}",                             // 0x28
    "01234567",                                                         // 0x30
    "89:;·\u{0B2A}\u{0B2B}?",                                           // 0x38
    "\u{0B2C}\u{0B2D}\u{0B2E}\u{0B2F}\u{0B30}·\u{0B32}\u{0B33}",        // 0x40
    "·\u{0B35}\u{0B36}\u{0B37}\u{0B38}\u{0B39}\u{0B3C}\u{0B3D}",        // 0x48
    "\u{0B3E}\u{0B3F}\u{0B40}\u{0B41}\u{0B42}\u{0B43}\u{0B44}·",        // 0x50
    "·\u{0B47}\u{0B48}··\u{0B4B}\u{0B4C}\u{0B4D}",                      // 0x58
    "\u{0B56}abcdefg",                                                  // 0x60
    "hijklmno",                                                         // 0x68
    "pqrstuvw",                                                         // 0x70
    "xyz\u{0B57}\u{0B60}\u{0B61}\u{0B62}\u{0B63}",                      // 0x78
));

/// TS 23.038 A.2.9 Oriya National Language Single Shift Table.
static ORIYA_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{0964}\u{0965}\u{1B}\u{0B66}\u{0B67}\u{0B68}\u{0B69}",          // 0x18
    "\u{0B6A}\u{0B6B}\u{0B6C}\u{0B6D}\u{0B6E}\u{0B6F}\u{0B5C}\u{0B5D}", // 0x20
    "{}\u{0B5F}\u{0B70}\u{0B71}··\\",                                   // 0x28
    "········",                                                         // 0x30
    "····[~]·",                                                         // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.10 Punjabi National Language Locking Shift Table.
static PUNJABI_LOCKING_SHIFT: [char; 128] = table(concat!(
    "\u{0A01}\u{0A02}\u{0A03}\u{0A05}\u{0A06}\u{0A07}\u{0A08}\u{0A09}", // 0x00
    "\u{0A0A}·\n··\r·\u{0A0F}",                                         // 0x08
    "\u{0A10}··\u{0A13}\u{0A14}\u{0A15}\u{0A16}\u{0A17}",               // 0x10
    "\u{0A18}\u{0A19}\u{0A1A}\u{1B}\u{0A1B}\u{0A1C}\u{0A1D}\u{0A1E}",   // 0x18
    " !\u{0A1F}\u{0A20}\u{0A21}\u{0A22}\u{0A23}\u{0A24}",               // 0x20
    ")(\u{0A25}\u{0A26},\u{0A27}.\u{0A28}",                             // 0x28
    "01234567",                                                         // 0x30
    "89:;·\u{0A2A}\u{0A2B}?",                                           // 0x38
    "\u{0A2C}\u{0A2D}\u{0A2E}\u{0A2F}\u{0A30}·\u{0A32}\u{0A33}",        // 0x40
    "·\u{0A35}\u{0A36}·\u{0A38}\u{0A39}\u{0A3C}·",                      // 0x48
    "\u{0A3E}\u{0A3F}\u{0A40}\u{0A41}\u{0A42}···",                      // 0x50
    "·\u{0A47}\u{0A48}··\u{0A4B}\u{0A4C}\u{0A4D}",                      // 0x58
    "\u{0A51}abcdefg",                                                  // 0x60
    "hijklmno",                                                         // 0x68
    "pqrstuvw",                                                         // 0x70
    "xyz\u{0A70}\u{0A71}\u{0A72}\u{0A73}\u{0A74}",                      // 0x78
));

/// TS 23.038 A.2.10 Punjabi National Language Single Shift Table.
static PUNJABI_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{0964}\u{0965}\u{1B}\u{0A66}\u{0A67}\u{0A68}\u{0A69}",          // 0x18
    "\u{0A6A}\u{0A6B}\u{0A6C}\u{0A6D}\u{0A6E}\u{0A6F}\u{0A59}\u{0A5A}", // 0x20
    "{}\u{0A5B}\u{0A5C}\u{0A5E}\u{0A75}·\\",                            // 0x28
    "········",                                                         // 0x30
    "····[~]·",                                                         // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.11 Tamil National Language Locking Shift Table.
static TAMIL_LOCKING_SHIFT: [char; 128] = table(concat!(
    "·\u{0B82}\u{0B83}\u{0B85}\u{0B86}\u{0B87}\u{0B88}\u{0B89}", // 0x00
    "\u{0B8A}·\n··\r\u{0B8E}\u{0B8F}",                           // 0x08
    "\u{0B90}·\u{0B92}\u{0B93}\u{0B94}\u{0B95}··",               // 0x10
    "·\u{0B99}\u{0B9A}\u{1B}·\u{0B9C}·\u{0B9E}",                 // 0x18
    " !\u{0B9F}···\u{0BA3}\u{0BA4}",                             // 0x20
    ")(··,·.\u{0BA8}",                                           // 0x28
    "01234567",                                                  // 0x30
    "89:;\u{0BA9}\u{0BAA}·?",                                    // 0x38
    "··\u{0BAE}\u{0BAF}\u{0BB0}\u{0BB1}\u{0BB2}\u{0BB3}",        // 0x40
    "\u{0BB4}\u{0BB5}\u{0BB6}\u{0BB7}\u{0BB8}\u{0BB9}··",        // 0x48
    "\u{0BBE}\u{0BBF}\u{0BC0}\u{0BC1}\u{0BC2}···",               // 0x50
    "\u{0BC6}\u{0BC7}\u{0BC8}·\u{0BCA}\u{0BCB}\u{0BCC}\u{0BCD}", // 0x58
    "\u{0BD0}abcdefg",                                           // 0x60
    "hijklmno",                                                  // 0x68
    "pqrstuvw",                                                  // 0x70
    "xyz\u{0BD7}\u{0BF0}\u{0BF1}\u{0BF2}\u{0BF9}",               // 0x78
));

/// TS 23.038 A.2.11 Tamil National Language Single Shift Table.
///
/// Position 0x24 holds U+0BEE TAMIL DIGIT EIGHT, as in current releases of the
/// specification (early releases misprinted U+0BEF, duplicating 0x25).
static TAMIL_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{0964}\u{0965}\u{1B}\u{0BE6}\u{0BE7}\u{0BE8}\u{0BE9}",          // 0x18
    "\u{0BEA}\u{0BEB}\u{0BEC}\u{0BED}\u{0BEE}\u{0BEF}\u{0BF3}\u{0BF4}", // 0x20
    "{}\u{0BF5}\u{0BF6}\u{0BF7}\u{0BF8}\u{0BFA}\\",                     // 0x28
    "········",                                                         // 0x30
    "····[~]·",                                                         // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.12 Telugu National Language Locking Shift Table.
static TELUGU_LOCKING_SHIFT: [char; 128] = table(concat!(
    "\u{0C01}\u{0C02}\u{0C03}\u{0C05}\u{0C06}\u{0C07}\u{0C08}\u{0C09}", // 0x00
    "\u{0C0A}\u{0C0B}\n\u{0C0C}·\r\u{0C0E}\u{0C0F}",                    // 0x08
    "\u{0C10}·\u{0C12}\u{0C13}\u{0C14}\u{0C15}\u{0C16}\u{0C17}",        // 0x10
    "\u{0C18}\u{0C19}\u{0C1A}\u{1B}\u{0C1B}\u{0C1C}\u{0C1D}\u{0C1E}",   // 0x18
    " !\u{0C1F}\u{0C20}\u{0C21}\u{0C22}\u{0C23}\u{0C24}",               // 0x20
    ")(\u{0C25}\u{0C26},\u{0C27}.\u{0C28}",                             // 0x28
    "01234567",                                                         // 0x30
    "89:;·\u{0C2A}\u{0C2B}?",                                           // 0x38
    "\u{0C2C}\u{0C2D}\u{0C2E}\u{0C2F}\u{0C30}\u{0C31}\u{0C32}\u{0C33}", // 0x40
    "·\u{0C35}\u{0C36}\u{0C37}\u{0C38}\u{0C39}·\u{0C3D}",               // 0x48
    "\u{0C3E}\u{0C3F}\u{0C40}\u{0C41}\u{0C42}\u{0C43}\u{0C44}·",        // 0x50
    "\u{0C46}\u{0C47}\u{0C48}·\u{0C4A}\u{0C4B}\u{0C4C}\u{0C4D}",        // 0x58
    "\u{0C55}abcdefg",                                                  // 0x60
    "hijklmno",                                                         // 0x68
    "pqrstuvw",                                                         // 0x70
    "xyz\u{0C56}\u{0C60}\u{0C61}\u{0C62}\u{0C63}",                      // 0x78
));

/// TS 23.038 A.2.12 Telugu National Language Single Shift Table.
///
/// Positions 0x22 and 0x23 hold U+0C6C and U+0C6D (TELUGU DIGIT SIX and SEVEN), as
/// in current releases (early releases misprinted U+06CC and U+06CD). The standard
/// shows no EURO SIGN at 0x65 in this table (unlike every other single-shift table);
/// it is left unassigned here.
static TELUGU_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*··\u{1B}\u{0C66}\u{0C67}\u{0C68}\u{0C69}",                        // 0x18
    "\u{0C6A}\u{0C6B}\u{0C6C}\u{0C6D}\u{0C6E}\u{0C6F}\u{0C58}\u{0C59}", // 0x20
    "{}\u{0C78}\u{0C79}\u{0C7A}\u{0C7B}\u{0C7C}\\",                     // 0x28
    "\u{0C7D}\u{0C7E}\u{0C7F}·····",                                    // 0x30
    "····[~]·",                                                         // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "········",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

/// TS 23.038 A.3.13 Urdu National Language Locking Shift Table.
static URDU_LOCKING_SHIFT: [char; 128] = table(concat!(
    "\u{0627}\u{0622}\u{0628}\u{067B}\u{0680}\u{067E}\u{06A6}\u{062A}", // 0x00
    "\u{06C2}\u{067F}\n\u{0679}\u{067D}\r\u{067A}\u{067C}",             // 0x08
    "\u{062B}\u{062C}\u{0681}\u{0684}\u{0683}\u{0685}\u{0686}\u{0687}", // 0x10
    "\u{062D}\u{062E}\u{062F}\u{1B}\u{068C}\u{0688}\u{0689}\u{068A}",   // 0x18
    " !\u{068F}\u{068D}\u{0630}\u{0631}\u{0691}\u{0693}",               // 0x20
    ")(\u{0699}\u{0632},\u{0696}.\u{0698}",                             // 0x28
    "01234567",                                                         // 0x30
    "89:;\u{069A}\u{0633}\u{0634}?",                                    // 0x38
    "\u{0635}\u{0636}\u{0637}\u{0638}\u{0639}\u{0641}\u{0642}\u{06A9}", // 0x40
    "\u{06AA}\u{06AB}\u{06AF}\u{06B3}\u{06B1}\u{0644}\u{0645}\u{0646}", // 0x48
    "\u{06BA}\u{06BB}\u{06BC}\u{0648}\u{06C4}\u{06D5}\u{06C1}\u{06BE}", // 0x50
    "\u{0621}\u{06CC}\u{06D0}\u{06D2}\u{064D}\u{0650}\u{064F}\u{0657}", // 0x58
    "\u{0654}abcdefg",                                                  // 0x60
    "hijklmno",                                                         // 0x68
    "pqrstuvw",                                                         // 0x70
    "xyz\u{0655}\u{0651}\u{0653}\u{0656}\u{0670}",                      // 0x78
));

/// TS 23.038 A.2.13 Urdu National Language Single Shift Table.
static URDU_SINGLE_SHIFT: [char; 128] = table(concat!(
    "@£$¥¿\"¤%",                                                        // 0x00
    "&'\u{C}*+·-/",                                                     // 0x08
    "<=>¡^¡_#",                                                         // 0x10
    "*\u{0600}\u{0601}\u{1B}\u{06F0}\u{06F1}\u{06F2}\u{06F3}",          // 0x18
    "\u{06F4}\u{06F5}\u{06F6}\u{06F7}\u{06F8}\u{06F9}\u{060C}\u{060D}", // 0x20
    "{}\u{060E}\u{060F}\u{0610}\u{0611}\u{0612}\\",                     // 0x28
    "\u{0613}\u{0614}\u{061B}\u{061F}\u{0640}\u{0652}\u{0658}\u{066B}", // 0x30
    "\u{066C}\u{0672}\u{0673}\u{06CD}[~]\u{06D4}",                      // 0x38
    "|ABCDEFG",                                                         // 0x40
    "HIJKLMNO",                                                         // 0x48
    "PQRSTUVW",                                                         // 0x50
    "XYZ·····",                                                         // 0x58
    "·····€··",                                                         // 0x60
    "········",                                                         // 0x68
    "········",                                                         // 0x70
    "········",                                                         // 0x78
));

#[cfg(test)]
mod tests;
