//! TP-DCS, the data coding scheme (3GPP TS 23.038 clause 4).

/// The alphabet of the user data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// GSM 7-bit, packed septets.
    Gsm7,
    /// 8-bit data.
    EightBit,
    /// UCS2 (UTF-16BE in practice).
    Ucs2,
}

impl Alphabet {
    /// The name used in JSON and on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Alphabet::Gsm7 => "gsm7",
            Alphabet::EightBit => "8bit",
            Alphabet::Ucs2 => "ucs2",
        }
    }

    fn bits(self) -> u8 {
        match self {
            Alphabet::Gsm7 => 0b00,
            Alphabet::EightBit => 0b01,
            Alphabet::Ucs2 => 0b10,
        }
    }
}

/// The message class (TS 23.038 clause 4): class 0 is shown at once and not
/// stored ("flash"), 1 goes to the ME, 2 to the SIM, 3 to the TE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageClass {
    /// Class 0, immediate display.
    Class0 = 0,
    /// Class 1, ME specific.
    Class1 = 1,
    /// Class 2, SIM specific.
    Class2 = 2,
    /// Class 3, TE specific.
    Class3 = 3,
}

impl MessageClass {
    fn from_bits(bits: u8) -> MessageClass {
        match bits & 0x03 {
            0 => MessageClass::Class0,
            1 => MessageClass::Class1,
            2 => MessageClass::Class2,
            _ => MessageClass::Class3,
        }
    }
}

/// The kind of waiting message announced by a message waiting indication
/// group (TS 23.038 clause 4, coding groups 1100-1110).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndicationType {
    /// Voicemail message waiting.
    Voicemail,
    /// Fax message waiting.
    Fax,
    /// Electronic mail message waiting.
    Email,
    /// Other message waiting.
    Other,
}

/// A message waiting indication carried by TP-DCS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageWaiting {
    /// Set the indication (true) or clear it (false).
    pub active: bool,
    /// What is waiting.
    pub kind: IndicationType,
    /// Whether the message text should be stored (groups 1101, 1110) or may
    /// be discarded (group 1100).
    pub store: bool,
}

/// The TP-DCS octet, kept as received. Its meaning is read by
/// [`DataCodingScheme::meaning`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataCodingScheme(pub u8);

/// What a TP-DCS octet says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DcsMeaning {
    /// The alphabet of the user data.
    pub alphabet: Alphabet,
    /// The message class, if one is given.
    pub class: Option<MessageClass>,
    /// Whether the text is compressed (TS 23.042), which we do not decode.
    pub compressed: bool,
    /// Whether the message is marked for automatic deletion (group 01xx).
    pub auto_delete: bool,
    /// A message waiting indication, for groups 1100-1110.
    pub waiting: Option<MessageWaiting>,
    /// Set when the octet uses a reserved value; the alphabet is then the
    /// GSM 7-bit default, as TS 23.038 tells a receiver to assume.
    pub reserved: Option<&'static str>,
}

impl DataCodingScheme {
    /// GSM 7-bit, no class (0x00).
    pub const GSM7: DataCodingScheme = DataCodingScheme(0x00);
    /// 8-bit data, no class (0x04).
    pub const EIGHT_BIT: DataCodingScheme = DataCodingScheme(0x04);
    /// UCS2, no class (0x08).
    pub const UCS2: DataCodingScheme = DataCodingScheme(0x08);

    /// The general data coding value for an alphabet and optional class,
    /// uncompressed (e.g. GSM 7-bit class 0 is 0x10).
    pub fn new(alphabet: Alphabet, class: Option<MessageClass>) -> DataCodingScheme {
        let class_bits = class.map_or(0, |class| 0x10 | class as u8);
        DataCodingScheme((alphabet.bits() << 2) | class_bits)
    }

    /// Decodes the octet's meaning. Never fails: reserved values are read
    /// as GSM 7-bit and flagged in [`DcsMeaning::reserved`].
    pub fn meaning(self) -> DcsMeaning {
        let value = self.0;
        let mut meaning = DcsMeaning {
            alphabet: Alphabet::Gsm7,
            class: None,
            compressed: false,
            auto_delete: false,
            waiting: None,
            reserved: None,
        };
        match value >> 4 {
            // 00xx: general data coding; 01xx: the same, marked for
            // automatic deletion.
            0x0..=0x7 => {
                meaning.auto_delete = value & 0x40 != 0;
                meaning.compressed = value & 0x20 != 0;
                if value & 0x10 != 0 {
                    meaning.class = Some(MessageClass::from_bits(value));
                }
                meaning.alphabet = match (value >> 2) & 0x03 {
                    0b00 => Alphabet::Gsm7,
                    0b01 => Alphabet::EightBit,
                    0b10 => Alphabet::Ucs2,
                    _ => {
                        meaning.reserved = Some("reserved alphabet 11, read as GSM 7-bit");
                        Alphabet::Gsm7
                    }
                };
            }
            0x8..=0xB => {
                meaning.reserved = Some("reserved coding group, read as GSM 7-bit");
            }
            0xC..=0xE => {
                meaning.alphabet = if value >> 4 == 0xE {
                    Alphabet::Ucs2
                } else {
                    Alphabet::Gsm7
                };
                meaning.waiting = Some(MessageWaiting {
                    active: value & 0x08 != 0,
                    kind: match value & 0x03 {
                        0 => IndicationType::Voicemail,
                        1 => IndicationType::Fax,
                        2 => IndicationType::Email,
                        _ => IndicationType::Other,
                    },
                    store: value >> 4 != 0xC,
                });
                if value & 0x04 != 0 {
                    meaning.reserved = Some("reserved bit 2 set in a message waiting group");
                }
            }
            _ => {
                // 1111: data coding / message class.
                meaning.alphabet = if value & 0x04 != 0 {
                    Alphabet::EightBit
                } else {
                    Alphabet::Gsm7
                };
                meaning.class = Some(MessageClass::from_bits(value));
                if value & 0x08 != 0 {
                    meaning.reserved = Some("reserved bit 3 set in the data coding/message class group");
                }
            }
        }
        meaning
    }

    /// The alphabet of the user data.
    pub fn alphabet(self) -> Alphabet {
        self.meaning().alphabet
    }

    /// The message class, if any.
    pub fn class(self) -> Option<MessageClass> {
        self.meaning().class
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TS 23.038 clause 4, one row per coding group.
    #[test]
    fn coding_groups() {
        let cases: &[(u8, Alphabet, Option<MessageClass>, bool)] = &[
            (0x00, Alphabet::Gsm7, None, false),
            (0x04, Alphabet::EightBit, None, false),
            (0x08, Alphabet::Ucs2, None, false),
            (0x0C, Alphabet::Gsm7, None, true),
            (0x10, Alphabet::Gsm7, Some(MessageClass::Class0), false),
            (0x11, Alphabet::Gsm7, Some(MessageClass::Class1), false),
            (0x16, Alphabet::EightBit, Some(MessageClass::Class2), false),
            (0x18, Alphabet::Ucs2, Some(MessageClass::Class0), false),
            (0x48, Alphabet::Ucs2, None, false),
            (0x85, Alphabet::Gsm7, None, true),
            (0xC8, Alphabet::Gsm7, None, false),
            (0xD0, Alphabet::Gsm7, None, false),
            (0xE1, Alphabet::Ucs2, None, false),
            (0xF0, Alphabet::Gsm7, Some(MessageClass::Class0), false),
            (0xF4, Alphabet::EightBit, Some(MessageClass::Class0), false),
            (0xF5, Alphabet::EightBit, Some(MessageClass::Class1), false),
            (0xF6, Alphabet::EightBit, Some(MessageClass::Class2), false),
            (0xF8, Alphabet::Gsm7, Some(MessageClass::Class0), true),
        ];
        for &(value, alphabet, class, reserved) in cases {
            let meaning = DataCodingScheme(value).meaning();
            assert_eq!(meaning.alphabet, alphabet, "DCS {value:#04x}");
            assert_eq!(meaning.class, class, "DCS {value:#04x}");
            assert_eq!(meaning.reserved.is_some(), reserved, "DCS {value:#04x}");
        }
    }

    #[test]
    fn flags() {
        assert!(DataCodingScheme(0x20).meaning().compressed);
        assert!(DataCodingScheme(0x40).meaning().auto_delete);
        let waiting = DataCodingScheme(0xD8).meaning().waiting.unwrap();
        assert_eq!(
            waiting,
            MessageWaiting {
                active: true,
                kind: IndicationType::Voicemail,
                store: true
            }
        );
        let waiting = DataCodingScheme(0xC2).meaning().waiting.unwrap();
        assert!(!waiting.active && !waiting.store);
        assert_eq!(waiting.kind, IndicationType::Email);
    }

    #[test]
    fn constructor_matches_the_table() {
        assert_eq!(
            DataCodingScheme::new(Alphabet::Gsm7, None),
            DataCodingScheme(0x00)
        );
        assert_eq!(
            DataCodingScheme::new(Alphabet::Gsm7, Some(MessageClass::Class0)),
            DataCodingScheme(0x10)
        );
        assert_eq!(
            DataCodingScheme::new(Alphabet::Ucs2, Some(MessageClass::Class0)),
            DataCodingScheme(0x18)
        );
        assert_eq!(
            DataCodingScheme::new(Alphabet::EightBit, Some(MessageClass::Class1)),
            DataCodingScheme(0x15)
        );
    }
}
