//! TP-UDL and TP-UD: the user data, with its optional header (3GPP TS
//! 23.040 9.2.3.16, 9.2.3.24) and its text in the alphabet TP-DCS names.

use crate::dcs::{Alphabet, DataCodingScheme};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError, Warning};
use crate::reader::Reader;
use crate::septets;
use crate::udh::UserDataHeader;

/// Most septets one message carries.
pub const MAX_SEPTETS: usize = 160;
/// Most octets one message carries.
pub const MAX_OCTETS: usize = 140;

/// The body of the user data, after the header.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// GSM 7-bit septets, unpacked, one septet per element.
    Septets(Vec<u8>),
    /// Octets: UCS2 text, 8-bit data, or compressed text.
    Octets(Vec<u8>),
}

/// The user data of a TPDU.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UserData {
    /// The user data header; its presence is what TP-UDHI announces.
    pub header: Option<UserDataHeader>,
    /// The rest of the user data.
    pub body: Body,
}

impl Default for Body {
    fn default() -> Body {
        Body::Septets(Vec::new())
    }
}

/// Whether user data of this scheme is written in packed septets.
pub(crate) fn uses_septets(dcs: DataCodingScheme) -> bool {
    let meaning = dcs.meaning();
    meaning.alphabet == Alphabet::Gsm7 && !meaning.compressed
}

impl UserData {
    /// Decodes TP-UDL and TP-UD from `reader`, which must hold exactly the
    /// rest of the TPDU (anything after the user data is reported).
    pub(crate) fn decode(
        reader: &mut Reader<'_>,
        dcs: DataCodingScheme,
        has_header: bool,
        warnings: &mut Vec<Warning>,
    ) -> Result<UserData, DecodeError> {
        let udl_offset = reader.offset();
        let udl = usize::from(reader.u8("TP-UDL")?);
        let user_data = if uses_septets(dcs) {
            if udl > MAX_SEPTETS {
                return Err(bad_length(udl_offset, udl, MAX_SEPTETS));
            }
            let wanted = septets::packed_len(udl, 0);
            let mut ud = sub_or_truncated(reader, wanted, udl_offset, udl, warnings)?;
            // What is there: as many whole septets as the octets hold.
            let present_septets = (ud.remaining() * 8 / 7).min(udl);
            let header = match has_header {
                true => Some(decode_header(&mut ud, udl_offset, udl, warnings)?),
                false => None,
            };
            let header_octets = header.as_ref().map_or(0, UserDataHeader::encoded_len);
            let header_septets = septets::header_septets(header_octets);
            if header_septets > udl {
                return Err(DecodeError::at(
                    udl_offset,
                    "TP-UDL",
                    DecodeErrorKind::ShorterThanHeader {
                        udl,
                        header: header_septets,
                    },
                ));
            }
            let fill_bits = septets::fill_bits_after_header(header_octets);
            let body = septets::unpack(
                ud.rest(),
                fill_bits,
                present_septets.saturating_sub(header_septets),
            );
            UserData {
                header,
                body: Body::Septets(body),
            }
        } else {
            if udl > MAX_OCTETS {
                return Err(bad_length(udl_offset, udl, MAX_OCTETS));
            }
            let mut ud = sub_or_truncated(reader, udl, udl_offset, udl, warnings)?;
            let header = match has_header {
                true => Some(decode_header(&mut ud, udl_offset, udl, warnings)?),
                false => None,
            };
            UserData {
                header,
                body: Body::Octets(ud.rest().to_vec()),
            }
        };
        if !reader.is_empty() {
            warnings.push(Warning::at(
                reader.offset(),
                "TP-UD",
                format!("{} octet(s) after the user data, ignored", reader.remaining()),
            ));
            reader.rest();
        }
        Ok(user_data)
    }

    /// Appends TP-UDL and TP-UD.
    pub(crate) fn encode(&self, dcs: DataCodingScheme, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let header = self
            .header
            .as_ref()
            .map(UserDataHeader::encode)
            .unwrap_or_default();
        if header.len() > MAX_OCTETS {
            return Err(EncodeError::HeaderTooLong(header.len()));
        }
        match (&self.body, uses_septets(dcs)) {
            (Body::Septets(body), true) => {
                let udl = septets::header_septets(header.len()) + body.len();
                if udl > MAX_SEPTETS {
                    return Err(EncodeError::TooLong {
                        len: udl,
                        max: MAX_SEPTETS,
                        unit: "septets",
                    });
                }
                out.push(udl as u8);
                out.extend_from_slice(&header);
                septets::pack_into(body, septets::fill_bits_after_header(header.len()), out);
            }
            (Body::Octets(body), false) => {
                let udl = header.len() + body.len();
                if udl > MAX_OCTETS {
                    return Err(EncodeError::TooLong {
                        len: udl,
                        max: MAX_OCTETS,
                        unit: "octets",
                    });
                }
                out.push(udl as u8);
                out.extend_from_slice(&header);
                out.extend_from_slice(body);
            }
            (Body::Septets(_), false) => {
                return Err(EncodeError::PayloadMismatch {
                    payload: "septets",
                    dcs: "octets",
                })
            }
            (Body::Octets(_), true) => {
                return Err(EncodeError::PayloadMismatch {
                    payload: "octets",
                    dcs: "GSM 7-bit septets",
                })
            }
        }
        Ok(())
    }

    /// The text of the body, read in the alphabet `dcs` names, or `None`
    /// for 8-bit data and compressed text. Oddities (unassigned codes, an
    /// odd UCS2 length, a lone surrogate) are read leniently and listed.
    pub fn text(&self, dcs: DataCodingScheme) -> Option<(String, Vec<String>)> {
        let meaning = dcs.meaning();
        if meaning.compressed {
            return None;
        }
        match (&self.body, meaning.alphabet) {
            (Body::Septets(septets), _) => {
                let tables = self
                    .header
                    .as_ref()
                    .map(UserDataHeader::gsm7_tables)
                    .unwrap_or_default();
                let (text, anomalies) = tables.decode(septets);
                let notes = anomalies
                    .into_iter()
                    .map(|anomaly| format!("septet {}: {}", anomaly.septet_idx, anomaly.message))
                    .collect();
                Some((text, notes))
            }
            (Body::Octets(octets), Alphabet::Ucs2) => Some(decode_ucs2(octets)),
            (Body::Octets(_), _) => None,
        }
    }

    /// The body as octets (for 8-bit data), or `None` for septets.
    pub fn octets(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Octets(octets) => Some(octets),
            Body::Septets(_) => None,
        }
    }
}

fn decode_header(
    ud: &mut Reader<'_>,
    udl_offset: usize,
    udl: usize,
    warnings: &mut Vec<Warning>,
) -> Result<UserDataHeader, DecodeError> {
    if udl == 0 {
        return Err(DecodeError::at(
            udl_offset,
            "TP-UDL",
            DecodeErrorKind::MissingHeader,
        ));
    }
    UserDataHeader::decode(ud, warnings)
}

/// The `wanted` octets of TP-UD, or, when the PDU ends before them, what
/// is there with a `truncated user data` warning: the text that arrived
/// is worth more than a refusal. No octet at all is still an error.
fn sub_or_truncated<'a>(
    reader: &mut Reader<'a>,
    wanted: usize,
    udl_offset: usize,
    udl: usize,
    warnings: &mut Vec<Warning>,
) -> Result<Reader<'a>, DecodeError> {
    let present = reader.remaining();
    if present >= wanted {
        return reader.sub(wanted, "TP-UD");
    }
    warnings.push(Warning::at(
        udl_offset,
        "TP-UDL",
        format!("truncated user data: length {udl} needs {wanted} octet(s), {present} present"),
    ));
    reader.sub(present, "TP-UD")
}

fn bad_length(offset: usize, value: usize, max: usize) -> DecodeError {
    DecodeError::at(offset, "TP-UDL", DecodeErrorKind::BadLength { value, max })
}

/// The texts of the parts of one concatenated message, in part order, as
/// [`UserData::text`] reads each (`None` for data), except that a
/// surrogate pair split between two UCS2 parts (a sender that cuts the
/// text by UTF-16 code units, at an emoji) is read whole, at the end of
/// the part where it starts: the parts' code units are joined before
/// they are decoded, not the decoded texts.
pub fn parts_texts(parts: &[(&UserData, DataCodingScheme)]) -> Vec<Option<(String, Vec<String>)>> {
    fn ucs2<'a>(&(user_data, dcs): &(&'a UserData, DataCodingScheme)) -> Option<&'a [u8]> {
        let meaning = dcs.meaning();
        match (&user_data.body, meaning.alphabet, meaning.compressed) {
            (Body::Octets(octets), Alphabet::Ucs2, false) => Some(octets),
            _ => None,
        }
    }
    let unit = |octets: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*octets.get(at)?, *octets.get(at + 1)?]))
    };
    let mut texts = Vec::with_capacity(parts.len());
    // Octets at the start of this part already read with the one before.
    let mut taken = 0;
    for (part_idx, part) in parts.iter().enumerate() {
        let Some(octets) = ucs2(part) else {
            texts.push(part.0.text(part.1));
            taken = 0;
            continue;
        };
        let mut own = octets[taken.min(octets.len())..].to_vec();
        taken = 0;
        let ends_high = own.len() % 2 == 0
            && own.len() >= 2
            && unit(&own, own.len() - 2).is_some_and(|u| (0xD800..0xDC00).contains(&u));
        let next = parts.get(part_idx + 1).and_then(ucs2);
        if let Some(next) = next.filter(|_| ends_high) {
            if unit(next, 0).is_some_and(|u| (0xDC00..0xE000).contains(&u)) {
                own.extend_from_slice(&next[..2]);
                taken = 2;
            }
        }
        texts.push(Some(decode_ucs2(&own)));
    }
    texts
}

/// Reads UTF-16BE, replacing lone surrogates and a stray last octet.
pub(crate) fn decode_ucs2(octets: &[u8]) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    if octets.len() % 2 != 0 {
        notes.push(format!("odd UCS2 length {}, last octet ignored", octets.len()));
    }
    let units = octets
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    let mut text = String::with_capacity(octets.len() / 2);
    for (unit_idx, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(ch) => text.push(ch),
            Err(err) => {
                notes.push(format!(
                    "UCS2 character {unit_idx}: lone surrogate {:#06x}, read as U+FFFD",
                    err.unpaired_surrogate()
                ));
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    (text, notes)
}

/// Writes text as UTF-16BE.
pub(crate) fn encode_ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

#[cfg(test)]
mod parts_tests {
    use super::*;

    fn ucs2(octets: &[u8]) -> UserData {
        UserData {
            header: None,
            body: Body::Octets(octets.to_vec()),
        }
    }

    /// `A😀B` cut between the two halves of the emoji's surrogate pair.
    #[test]
    fn a_surrogate_pair_split_between_parts_is_one_character() {
        let first = ucs2(&[0x00, b'A', 0xD8, 0x3D]);
        let second = ucs2(&[0xDE, 0x00, 0x00, b'B']);
        let dcs = DataCodingScheme(0x08);
        let texts = parts_texts(&[(&first, dcs), (&second, dcs)]);
        let joined: String = texts.iter().flatten().map(|(text, _)| text.as_str()).collect();
        assert_eq!(joined, "A😀B");
        assert!(
            texts.iter().flatten().all(|(_, notes)| notes.is_empty()),
            "{texts:?}"
        );
        // A lone surrogate is still one, and said.
        let lone = ucs2(&[0x00, b'A', 0xD8, 0x3D]);
        let plain = ucs2(&[0x00, b'B']);
        let texts = parts_texts(&[(&lone, dcs), (&plain, dcs)]);
        assert_eq!(texts[0].as_ref().unwrap().0, "A\u{FFFD}");
        assert_eq!(texts[0].as_ref().unwrap().1.len(), 1);
        assert_eq!(texts[1].as_ref().unwrap().0, "B");
        // Each part alone, as before, for parts that are not both UCS2.
        let gsm = UserData {
            header: None,
            body: Body::Septets(vec![0x42]),
        };
        let texts = parts_texts(&[(&lone, dcs), (&gsm, DataCodingScheme(0))]);
        assert_eq!(texts[1].as_ref().unwrap().0, "B");
    }
}
