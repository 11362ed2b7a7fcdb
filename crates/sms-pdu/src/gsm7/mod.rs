//! The GSM 7-bit alphabets of 3GPP TS 23.038: the default alphabet, its
//! extension table, and the national language locking-shift and single-shift
//! tables that replace them.
//!
//! A text is a sequence of septets. Each septet indexes the *main* table (the
//! default alphabet, or a national locking-shift table); the septet 0x1B
//! escapes to the *shift* table (the default extension table, or a national
//! single-shift table) for the one septet after it.

mod default;
mod national;

use crate::error::EncodeError;

/// Marks an unassigned position in a table.
pub(crate) const UNASSIGNED: char = '\0';
/// Stands at position 0x1B of every table: the escape to the shift table.
pub(crate) const ESCAPE: char = '\u{1B}';
/// The escape septet.
pub const ESCAPE_SEPTET: u8 = 0x1B;

/// A national language of TS 23.038 6.2.1.2.4, with its identifier as it
/// appears in the national language shift information elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NationalLanguage {
    /// Turkish.
    Turkish = 1,
    /// Spanish (single-shift table only).
    Spanish = 2,
    /// Portuguese.
    Portuguese = 3,
    /// Bengali.
    Bengali = 4,
    /// Gujarati.
    Gujarati = 5,
    /// Hindi.
    Hindi = 6,
    /// Kannada.
    Kannada = 7,
    /// Malayalam.
    Malayalam = 8,
    /// Oriya.
    Oriya = 9,
    /// Punjabi.
    Punjabi = 10,
    /// Tamil.
    Tamil = 11,
    /// Telugu.
    Telugu = 12,
    /// Urdu.
    Urdu = 13,
}

impl NationalLanguage {
    /// Every language, in identifier order.
    pub const ALL: [NationalLanguage; 13] = [
        NationalLanguage::Turkish,
        NationalLanguage::Spanish,
        NationalLanguage::Portuguese,
        NationalLanguage::Bengali,
        NationalLanguage::Gujarati,
        NationalLanguage::Hindi,
        NationalLanguage::Kannada,
        NationalLanguage::Malayalam,
        NationalLanguage::Oriya,
        NationalLanguage::Punjabi,
        NationalLanguage::Tamil,
        NationalLanguage::Telugu,
        NationalLanguage::Urdu,
    ];

    /// The language with this identifier, if the standard defines one.
    pub fn from_id(id: u8) -> Option<NationalLanguage> {
        NationalLanguage::ALL
            .get(usize::from(id).checked_sub(1)?)
            .copied()
    }

    /// The identifier used in information elements 0x24 and 0x25.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The language's name in English, lower case, as used on command lines.
    pub fn name(self) -> &'static str {
        match self {
            NationalLanguage::Turkish => "turkish",
            NationalLanguage::Spanish => "spanish",
            NationalLanguage::Portuguese => "portuguese",
            NationalLanguage::Bengali => "bengali",
            NationalLanguage::Gujarati => "gujarati",
            NationalLanguage::Hindi => "hindi",
            NationalLanguage::Kannada => "kannada",
            NationalLanguage::Malayalam => "malayalam",
            NationalLanguage::Oriya => "oriya",
            NationalLanguage::Punjabi => "punjabi",
            NationalLanguage::Tamil => "tamil",
            NationalLanguage::Telugu => "telugu",
            NationalLanguage::Urdu => "urdu",
        }
    }

    /// Whether the standard defines a locking-shift table for it.
    pub fn has_locking_shift(self) -> bool {
        national::locking_shift_table(self).is_some()
    }
}

/// How a character is written in septets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gsm7Code {
    /// One septet of the main table.
    Main(u8),
    /// The escape septet followed by this septet of the shift table.
    Shifted(u8),
}

impl Gsm7Code {
    /// How many septets the character takes.
    pub fn septets(self) -> usize {
        match self {
            Gsm7Code::Main(_) => 1,
            Gsm7Code::Shifted(_) => 2,
        }
    }
}

/// The pair of tables a GSM 7-bit text is written with: the locking shift
/// replaces the default alphabet, the single shift replaces the default
/// extension table. `None` means the default table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Gsm7Tables {
    /// The national locking-shift table in force, if any.
    pub locking: Option<NationalLanguage>,
    /// The national single-shift table in force, if any.
    pub single: Option<NationalLanguage>,
}

/// A place in a septet sequence where decoding had to guess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gsm7Anomaly {
    /// Index of the septet.
    pub septet_idx: usize,
    /// What was odd.
    pub message: &'static str,
}

impl Gsm7Tables {
    /// The default alphabet with the default extension table.
    pub const DEFAULT: Gsm7Tables = Gsm7Tables {
        locking: None,
        single: None,
    };

    fn main_table(self) -> &'static [char; 128] {
        self.locking
            .and_then(national::locking_shift_table)
            .unwrap_or(&default::DEFAULT_ALPHABET)
    }

    fn shift_table(self) -> &'static [char; 128] {
        match self.single {
            Some(language) => national::single_shift_table(language),
            None => &default::DEFAULT_EXTENSION,
        }
    }

    /// How `ch` is written with these tables, if it can be.
    pub fn code(self, ch: char) -> Option<Gsm7Code> {
        if ch == UNASSIGNED || ch == ESCAPE {
            return None;
        }
        if self == Gsm7Tables::DEFAULT && ch.is_ascii() {
            // Fast path for the common case: ASCII with default tables.
            let main = DEFAULT_ASCII_INVERSE[ch as usize];
            if main != NONE {
                return Some(Gsm7Code::Main(main));
            }
            let shifted = EXTENSION_ASCII_INVERSE[ch as usize];
            return (shifted != NONE).then_some(Gsm7Code::Shifted(shifted));
        }
        if let Some(septet) = position(self.main_table(), ch) {
            return Some(Gsm7Code::Main(septet));
        }
        position(self.shift_table(), ch).map(Gsm7Code::Shifted)
    }

    /// The number of septets `text` takes, or the first character (with its
    /// index) that cannot be written.
    pub fn septet_count(self, text: &str) -> Result<usize, (usize, char)> {
        let mut count = 0;
        for (char_idx, ch) in text.chars().enumerate() {
            count += self.code(ch).ok_or((char_idx, ch))?.septets();
        }
        Ok(count)
    }

    /// Writes `text` as septets (not yet packed).
    pub fn encode(self, text: &str) -> Result<Vec<u8>, EncodeError> {
        let mut septets = Vec::with_capacity(text.len());
        for (position, ch) in text.chars().enumerate() {
            match self.code(ch) {
                Some(Gsm7Code::Main(septet)) => septets.push(septet),
                Some(Gsm7Code::Shifted(septet)) => septets.extend([ESCAPE_SEPTET, septet]),
                None => {
                    return Err(EncodeError::Unrepresentable {
                        ch,
                        position,
                        alphabet: "the GSM 7-bit alphabet",
                    })
                }
            }
        }
        Ok(septets)
    }

    /// Reads septets as text. Never fails: codes the tables leave unassigned
    /// are read as TS 23.038 tells a receiver to, and reported.
    pub fn decode(self, septets: &[u8]) -> (String, Vec<Gsm7Anomaly>) {
        let main = self.main_table();
        let shift = self.shift_table();
        let mut text = String::with_capacity(septets.len());
        let mut anomalies = Vec::new();
        let mut idx = 0;
        while idx < septets.len() {
            let septet = septets[idx] & 0x7F;
            if septet != ESCAPE_SEPTET {
                let ch = main[usize::from(septet)];
                if ch == UNASSIGNED {
                    anomalies.push(Gsm7Anomaly {
                        septet_idx: idx,
                        message: "septet unassigned in the locking-shift table, read as a space",
                    });
                    text.push(' ');
                } else {
                    text.push(ch);
                }
                idx += 1;
                continue;
            }
            let Some(&next) = septets.get(idx + 1) else {
                anomalies.push(Gsm7Anomaly {
                    septet_idx: idx,
                    message: "text ends with a lone escape septet, ignored",
                });
                break;
            };
            let next = next & 0x7F;
            if next == ESCAPE_SEPTET {
                // TS 23.038 6.2.1.1: 1B 1B is reserved for a further
                // extension table; a receiver shows a space.
                text.push(' ');
            } else {
                match shift[usize::from(next)] {
                    UNASSIGNED => {
                        // TS 23.038 6.2.1.1: show the main table's character.
                        anomalies.push(Gsm7Anomaly {
                            septet_idx: idx,
                            message:
                                "escape to a code unassigned in the shift table, read from the main table",
                        });
                        match main[usize::from(next)] {
                            UNASSIGNED => text.push(' '),
                            ch => text.push(ch),
                        }
                    }
                    ch => text.push(ch),
                }
            }
            idx += 2;
        }
        (text, anomalies)
    }
}

const NONE: u8 = 0xFF;

static DEFAULT_ASCII_INVERSE: [u8; 128] = ascii_inverse(&default::DEFAULT_ALPHABET);
static EXTENSION_ASCII_INVERSE: [u8; 128] = ascii_inverse(&default::DEFAULT_EXTENSION);

/// Maps each ASCII character to its septet in `table`, `NONE` where absent.
const fn ascii_inverse(table: &[char; 128]) -> [u8; 128] {
    let mut inverse = [NONE; 128];
    let mut septet = 0;
    while septet < 128 {
        let ch = table[septet];
        if (ch as u32) < 128 && ch != UNASSIGNED && ch != ESCAPE {
            inverse[ch as usize] = septet as u8;
        }
        septet += 1;
    }
    inverse
}

fn position(table: &[char; 128], ch: char) -> Option<u8> {
    table.iter().position(|&c| c == ch).map(|septet| septet as u8)
}

#[cfg(test)]
mod tests;
