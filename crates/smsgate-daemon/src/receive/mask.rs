//! Masking the secret of a `:cmd` message in its received file, in the
//! file's own coding: UTF-8, ISO-8859-15 or raw UCS2 (`[spool]
//! incoming-charset`).

use spool::incoming::IncomingCharset;

/// How the body of a received text file is coded, which decides how a
/// character is found in it and how many `*` replace it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BodyCoding {
    /// UTF-8; `Length:` counts characters (GSM text) or UTF-8 octets
    /// (UCS2 text, `octets_counted`).
    Utf8 { octets_counted: bool },
    /// One octet per character (smsd's ISO-8859-15).
    Iso,
    /// UCS2 as it came: big-endian code units.
    RawUcs2,
}

impl BodyCoding {
    /// The coding of a text file written in `charset`, UCS2 or not.
    pub(super) fn of(charset: IncomingCharset, ucs2: bool) -> BodyCoding {
        match (charset, ucs2) {
            (IncomingCharset::Utf8, octets_counted) => BodyCoding::Utf8 { octets_counted },
            (IncomingCharset::Iso8859_15, false) => BodyCoding::Iso,
            (IncomingCharset::Iso8859_15, true) => BodyCoding::RawUcs2,
        }
    }
}

/// A received file with the token in the secret's position of a body
/// that starts with `:cmd` masked (`sms_command::secret_span`), as many
/// `*` as the `Length:` header counts of it, in the body's coding; so the
/// header stays true. A body that is not in its coding is left alone.
pub(super) fn mask_body(bytes: Vec<u8>, coding: BodyCoding) -> Vec<u8> {
    let Some(body_at) = bytes.windows(2).position(|pair| pair == b"\n\n").map(|at| at + 2) else {
        return bytes;
    };
    let body = &bytes[body_at..];
    // The body read as text, and each character's octets in the body.
    let mut text = String::new();
    let mut octets_of = Vec::new();
    match coding {
        BodyCoding::Utf8 { .. } => {
            let Ok(body) = std::str::from_utf8(body) else {
                return bytes;
            };
            for (at, ch) in body.char_indices() {
                text.push(ch);
                octets_of.push(at..at + ch.len_utf8());
            }
        }
        BodyCoding::Iso => {
            for (at, &octet) in body.iter().enumerate() {
                text.push(char::from(octet));
                octets_of.push(at..at + 1);
            }
        }
        BodyCoding::RawUcs2 => {
            let units = body
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
            let mut at = 0;
            for ch in char::decode_utf16(units) {
                let (ch, width) = match ch {
                    Ok(ch) => (ch, 2 * ch.len_utf16()),
                    Err(_) => (char::REPLACEMENT_CHARACTER, 2),
                };
                text.push(ch);
                octets_of.push(at..at + width);
                at += width;
            }
        }
    }
    let Some(span) = sms_command::secret_span(&text) else {
        return bytes;
    };
    let mut masked = bytes[..body_at].to_vec();
    for ((text_at, ch), octets) in text.char_indices().zip(&octets_of) {
        if !span.contains(&text_at) {
            masked.extend_from_slice(&body[octets.clone()]);
            continue;
        }
        match coding {
            BodyCoding::Utf8 { octets_counted: true } => {
                masked.extend(std::iter::repeat_n(b'*', ch.len_utf8()))
            }
            BodyCoding::Utf8 {
                octets_counted: false,
            }
            | BodyCoding::Iso => masked.push(b'*'),
            BodyCoding::RawUcs2 => {
                for _ in 0..octets.len() / 2 {
                    masked.extend_from_slice(&[0x00, b'*']);
                }
            }
        }
    }
    // An odd trailing octet of raw UCS2 is kept.
    let read: usize = octets_of.last().map_or(0, |octets| octets.end);
    masked.extend_from_slice(&body[read.min(body.len())..]);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 10.2: the token is masked whatever the configured secret is
    /// and whether the command parses; `Length:` stays true.
    #[test]
    fn the_secret_of_a_command_is_masked_in_the_body_only() {
        let mask = |file: &str, ucs2: bool| {
            let coding = BodyCoding::Utf8 { octets_counted: ucs2 };
            String::from_utf8(mask_body(file.as_bytes().to_vec(), coding)).unwrap()
        };
        assert_eq!(
            mask(
                "From: 37120000000\nLength: 41\n\n:cmd slepens script hello who=slepens",
                false
            ),
            "From: 37120000000\nLength: 41\n\n:cmd ******* script hello who=slepens"
        );
        // Malformed, unterminated, quoted with an escaped quote.
        assert_eq!(
            mask("A: 1\n\n:cmd slepens script x v=", false),
            "A: 1\n\n:cmd ******* script x v="
        );
        assert_eq!(
            mask("A: 1\n\n:CMD \"slepens script", false),
            "A: 1\n\n:CMD ***************"
        );
        assert_eq!(
            mask("A: 1\n\n:cmd \"sec\\\"ret\" script x", false),
            "A: 1\n\n:cmd ********** script x"
        );
        // Not ASCII: one star per character for GSM text, per UTF-8
        // octet for UCS2 text (as `Length:` counts them).
        assert_eq!(
            mask("A: 1\n\n:cmd slepenš script x", false),
            "A: 1\n\n:cmd ******* script x"
        );
        assert_eq!(
            mask("A: 1\n\n:cmd slepenš script x", true),
            "A: 1\n\n:cmd ******** script x"
        );
        // Not a command: left as it is; headers are never touched.
        assert_eq!(mask("A: :cmd x\n\nslepens", false), "A: :cmd x\n\nslepens");
    }

    /// `incoming-charset = "iso-8859-15"`: a secret with a letter outside
    /// ASCII (not UTF-8 in the file) is masked all the same, one `*` per
    /// octet; raw UCS2 one UCS2 `*` per code unit.
    #[test]
    fn the_secret_is_masked_in_iso_8859_15_and_raw_ucs2_bodies() {
        let mut iso = b"A: 1\n\n:cmd s\xE4cret script x \xA4".to_vec();
        iso = mask_body(iso, BodyCoding::Iso);
        assert_eq!(iso, b"A: 1\n\n:cmd ****** script x \xA4");

        let utf16 = |text: &str| -> Vec<u8> { text.encode_utf16().flat_map(u16::to_be_bytes).collect() };
        let mut file = b"A: 1\n\n".to_vec();
        file.extend(utf16(":cmd s\u{1F600}t script x"));
        let mut expected = b"A: 1\n\n".to_vec();
        expected.extend(utf16(":cmd **** script x"));
        assert_eq!(mask_body(file, BodyCoding::RawUcs2), expected);
    }
}
