//! The user data header and its information elements (3GPP TS 23.040
//! 9.2.3.24).

use crate::error::{DecodeError, DecodeErrorKind, Warning};
use crate::gsm7::{Gsm7Tables, NationalLanguage};
use crate::reader::Reader;

/// One information element. Elements we understand are typed when their
/// length is the one the standard gives; anything else is kept as raw bytes,
/// so a header always re-encodes to the octets it was decoded from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InformationElement {
    /// IEI 0x00: concatenated short message, 8-bit reference.
    Concat8 {
        /// Reference shared by all parts.
        reference: u8,
        /// Number of parts.
        total: u8,
        /// This part's number, from 1.
        seq: u8,
    },
    /// IEI 0x08: concatenated short message, 16-bit reference.
    Concat16 {
        /// Reference shared by all parts.
        reference: u16,
        /// Number of parts.
        total: u8,
        /// This part's number, from 1.
        seq: u8,
    },
    /// IEI 0x04: application port addressing, 8-bit ports.
    Ports8 {
        /// Destination port.
        dst: u8,
        /// Originator port.
        src: u8,
    },
    /// IEI 0x05: application port addressing, 16-bit ports.
    Ports16 {
        /// Destination port.
        dst: u16,
        /// Originator port.
        src: u16,
    },
    /// IEI 0x24: national language single shift, with the language id.
    NationalSingleShift(u8),
    /// IEI 0x25: national language locking shift, with the language id.
    NationalLockingShift(u8),
    /// Any other element, or a known one with an unexpected length.
    Other {
        /// The element identifier.
        iei: u8,
        /// The element data.
        data: Vec<u8>,
    },
}

impl InformationElement {
    /// The element identifier.
    pub fn iei(&self) -> u8 {
        match self {
            InformationElement::Concat8 { .. } => 0x00,
            InformationElement::Concat16 { .. } => 0x08,
            InformationElement::Ports8 { .. } => 0x04,
            InformationElement::Ports16 { .. } => 0x05,
            InformationElement::NationalSingleShift(_) => 0x24,
            InformationElement::NationalLockingShift(_) => 0x25,
            InformationElement::Other { iei, .. } => *iei,
        }
    }

    /// The element data, without identifier and length.
    pub fn data(&self) -> Vec<u8> {
        match self {
            InformationElement::Concat8 {
                reference,
                total,
                seq,
            } => vec![*reference, *total, *seq],
            InformationElement::Concat16 {
                reference,
                total,
                seq,
            } => {
                let [high, low] = reference.to_be_bytes();
                vec![high, low, *total, *seq]
            }
            InformationElement::Ports8 { dst, src } => vec![*dst, *src],
            InformationElement::Ports16 { dst, src } => {
                let mut data = dst.to_be_bytes().to_vec();
                data.extend(src.to_be_bytes());
                data
            }
            InformationElement::NationalSingleShift(id) | InformationElement::NationalLockingShift(id) => {
                vec![*id]
            }
            InformationElement::Other { data, .. } => data.clone(),
        }
    }

    fn from_parts(iei: u8, data: &[u8]) -> InformationElement {
        match (iei, data) {
            (0x00, &[reference, total, seq]) => InformationElement::Concat8 {
                reference,
                total,
                seq,
            },
            (0x08, &[high, low, total, seq]) => InformationElement::Concat16 {
                reference: u16::from_be_bytes([high, low]),
                total,
                seq,
            },
            (0x04, &[dst, src]) => InformationElement::Ports8 { dst, src },
            (0x05, &[d1, d2, s1, s2]) => InformationElement::Ports16 {
                dst: u16::from_be_bytes([d1, d2]),
                src: u16::from_be_bytes([s1, s2]),
            },
            (0x24, &[id]) => InformationElement::NationalSingleShift(id),
            (0x25, &[id]) => InformationElement::NationalLockingShift(id),
            _ => InformationElement::Other {
                iei,
                data: data.to_vec(),
            },
        }
    }
}

/// Where a part stands in a concatenated message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConcatInfo {
    /// The reference shared by all parts.
    pub reference: u16,
    /// Whether the reference was 16-bit (IEI 0x08) rather than 8-bit.
    pub wide_reference: bool,
    /// Number of parts.
    pub total: u8,
    /// This part's number, from 1.
    pub seq: u8,
}

/// A user data header: the elements in the order they appear.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UserDataHeader {
    /// The information elements.
    pub elements: Vec<InformationElement>,
}

impl UserDataHeader {
    /// A header with one concatenation element of 8-bit reference.
    pub fn concat8(reference: u8, total: u8, seq: u8) -> UserDataHeader {
        UserDataHeader {
            elements: vec![InformationElement::Concat8 {
                reference,
                total,
                seq,
            }],
        }
    }

    /// The octets of the header, UDHL first.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0];
        for element in &self.elements {
            let data = element.data();
            out.push(element.iei());
            out.push(data.len() as u8);
            out.extend_from_slice(&data);
        }
        out[0] = (out.len() - 1) as u8;
        out
    }

    /// Length of the encoded header in octets, UDHL included.
    pub fn encoded_len(&self) -> usize {
        1 + self
            .elements
            .iter()
            .map(|element| 2 + element.data().len())
            .sum::<usize>()
    }

    /// Decodes a header whose UDHL octet is next in `reader`, leaving the
    /// reader after the header.
    pub(crate) fn decode(
        reader: &mut Reader<'_>,
        warnings: &mut Vec<Warning>,
    ) -> Result<UserDataHeader, DecodeError> {
        const FIELD: &str = "TP-UDH";
        let udhl = usize::from(reader.u8("TP-UDHL")?);
        let mut header_reader = reader.sub(udhl, "TP-UDHL")?;
        let mut elements = Vec::new();
        while !header_reader.is_empty() {
            let start = header_reader.offset();
            let iei = header_reader.u8(FIELD)?;
            let len = usize::from(header_reader.u8(FIELD)?);
            if len > header_reader.remaining() {
                return Err(DecodeError::at(
                    start,
                    FIELD,
                    DecodeErrorKind::ElementOverrun { iei, len },
                ));
            }
            let data = header_reader.take(len, FIELD)?;
            let element = InformationElement::from_parts(iei, data);
            if let InformationElement::Other {
                iei: 0x00 | 0x08 | 0x04 | 0x05 | 0x24 | 0x25,
                ..
            } = element
            {
                warnings.push(Warning::at(
                    start,
                    FIELD,
                    format!("element {iei:#04x} has unexpected length {len}, kept raw"),
                ));
            }
            elements.push(element);
        }
        Ok(UserDataHeader { elements })
    }

    /// Decodes a header given on its own, UDHL first (as in smstools3's
    /// `UDH-DATA:` or a binary body). Octets after the header are ignored;
    /// the caller checks that UDHL covers what it expects.
    pub fn decode_octets(octets: &[u8]) -> Result<UserDataHeader, DecodeError> {
        let mut warnings = Vec::new();
        UserDataHeader::decode(&mut Reader::new(octets), &mut warnings)
    }

    /// The concatenation element, if any (the first, if several).
    pub fn concat(&self) -> Option<ConcatInfo> {
        self.elements.iter().find_map(|element| match *element {
            InformationElement::Concat8 {
                reference,
                total,
                seq,
            } => Some(ConcatInfo {
                reference: u16::from(reference),
                wide_reference: false,
                total,
                seq,
            }),
            InformationElement::Concat16 {
                reference,
                total,
                seq,
            } => Some(ConcatInfo {
                reference,
                wide_reference: true,
                total,
                seq,
            }),
            _ => None,
        })
    }

    /// The application ports (destination, originator), if any.
    pub fn ports(&self) -> Option<(u16, u16)> {
        self.elements.iter().find_map(|element| match *element {
            InformationElement::Ports8 { dst, src } => Some((u16::from(dst), u16::from(src))),
            InformationElement::Ports16 { dst, src } => Some((dst, src)),
            _ => None,
        })
    }

    /// The GSM 7-bit tables the national language shift elements select.
    /// Unknown language identifiers leave the default table in force.
    pub fn gsm7_tables(&self) -> Gsm7Tables {
        let mut tables = Gsm7Tables::DEFAULT;
        for element in &self.elements {
            match *element {
                InformationElement::NationalSingleShift(id) => tables.single = NationalLanguage::from_id(id),
                InformationElement::NationalLockingShift(id) => {
                    tables.locking = NationalLanguage::from_id(id)
                }
                _ => {}
            }
        }
        tables
    }

    /// The elements that select `tables`.
    pub fn for_tables(tables: Gsm7Tables) -> Vec<InformationElement> {
        let mut elements = Vec::new();
        if let Some(language) = tables.single {
            elements.push(InformationElement::NationalSingleShift(language.id()));
        }
        if let Some(language) = tables.locking {
            elements.push(InformationElement::NationalLockingShift(language.id()));
        }
        elements
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::{decode_hex, encode_hex};

    fn decode(hex: &str) -> Result<(UserDataHeader, Vec<Warning>), DecodeError> {
        let octets = decode_hex(hex).unwrap();
        let mut warnings = Vec::new();
        let mut reader = Reader::new(&octets);
        let header = UserDataHeader::decode(&mut reader, &mut warnings)?;
        Ok((header, warnings))
    }

    /// Table of (hex, elements): drives both decode and encode.
    #[test]
    fn known_elements() {
        let cases = [
            // Capture: smsd 3.1.21 lab, part 1 of 2 with reference 0xED.
            (
                "050003ED0201",
                vec![InformationElement::Concat8 {
                    reference: 0xED,
                    total: 2,
                    seq: 1,
                }],
            ),
            (
                "06080412340302",
                vec![InformationElement::Concat16 {
                    reference: 0x1234,
                    total: 3,
                    seq: 2,
                }],
            ),
            // smstools3 SMS file format page: WAP push to port 2948 from 9200.
            (
                "0605040B8423F0",
                vec![InformationElement::Ports16 { dst: 2948, src: 9200 }],
            ),
            (
                "0404021003",
                vec![InformationElement::Ports8 { dst: 0x10, src: 0x03 }],
            ),
            (
                "06240101250101",
                vec![
                    InformationElement::NationalSingleShift(1),
                    InformationElement::NationalLockingShift(1),
                ],
            ),
            (
                "050A03000010",
                vec![InformationElement::Other {
                    iei: 0x0A,
                    data: vec![0x00, 0x00, 0x10],
                }],
            ),
            ("00", vec![]),
        ];
        for (hex, elements) in cases {
            let (header, warnings) = decode(hex).unwrap();
            assert_eq!(header.elements, elements, "{hex}");
            assert!(warnings.is_empty(), "{hex}");
            assert_eq!(encode_hex(&header.encode()), hex);
            assert_eq!(header.encoded_len() * 2, hex.len());
        }
    }

    #[test]
    fn wrong_length_is_kept_raw_with_a_warning() {
        let (header, warnings) = decode("0400020102").unwrap();
        assert_eq!(
            header.elements,
            vec![InformationElement::Other {
                iei: 0,
                data: vec![1, 2]
            }]
        );
        assert_eq!(warnings.len(), 1);
        assert_eq!(encode_hex(&header.encode()), "0400020102");
    }

    #[test]
    fn overruns_are_errors() {
        let err = decode("050003ED02").unwrap_err();
        assert_eq!(
            err.to_string(),
            "octet 1 (TP-UDHL): PDU ends here, 1 more octet(s) needed"
        );
        let err = decode("03000300").unwrap_err();
        assert_eq!(
            err.to_string(),
            "octet 1 (TP-UDH): information element 0x00 of length 3 runs past the header end"
        );
    }

    #[test]
    fn tables_from_shift_elements() {
        let (header, _) = decode("06240101250103").unwrap();
        let tables = header.gsm7_tables();
        assert_eq!(tables.single, Some(NationalLanguage::Turkish));
        assert_eq!(tables.locking, Some(NationalLanguage::Portuguese));
        assert_eq!(UserDataHeader::for_tables(tables), header.elements);
        let (header, _) = decode("03240163").unwrap();
        assert_eq!(header.gsm7_tables(), Gsm7Tables::DEFAULT);
    }
}
