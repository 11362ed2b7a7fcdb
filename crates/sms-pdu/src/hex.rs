//! The hexadecimal text form in which modems print and accept PDUs.

use crate::error::{DecodeError, DecodeErrorKind, Location};

/// Decodes hex digits (either case) into octets. Surrounding whitespace is
/// ignored; whitespace inside is not, since modems never print it.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, DecodeError> {
    let lead = text.len() - text.trim_start().len();
    let digits = text.trim().as_bytes();
    if digits.len() % 2 != 0 {
        return Err(DecodeError {
            location: Location::HexChar {
                offset: lead + digits.len(),
            },
            kind: DecodeErrorKind::OddHexLength(digits.len()),
        });
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    for (pair_idx, pair) in digits.chunks_exact(2).enumerate() {
        let mut octet = 0u8;
        for (digit_idx, &digit) in pair.iter().enumerate() {
            let value = match digit {
                b'0'..=b'9' => digit - b'0',
                b'a'..=b'f' => digit - b'a' + 10,
                b'A'..=b'F' => digit - b'A' + 10,
                _ => {
                    let offset = lead + pair_idx * 2 + digit_idx;
                    // The character may be multi-byte: report it whole.
                    let ch = text[offset..].chars().next().unwrap_or('?');
                    return Err(DecodeError {
                        location: Location::HexChar { offset },
                        kind: DecodeErrorKind::BadHexDigit(ch),
                    });
                }
            };
            octet = (octet << 4) | value;
        }
        out.push(octet);
    }
    Ok(out)
}

/// Encodes octets as upper-case hex, the form modems print.
pub fn encode_hex(octets: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(octets.len() * 2);
    for &octet in octets {
        out.push(DIGITS[usize::from(octet >> 4)] as char);
        out.push(DIGITS[usize::from(octet & 0x0F)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(decode_hex("00ff1A").unwrap(), vec![0x00, 0xFF, 0x1A]);
        assert_eq!(encode_hex(&[0x00, 0xFF, 0x1A]), "00FF1A");
        assert_eq!(decode_hex("  0A \r\n").unwrap(), vec![0x0A]);
        assert_eq!(decode_hex("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn errors_name_the_character() {
        let err = decode_hex("0G").unwrap_err();
        assert_eq!(err.to_string(), "hex character 1: 'G' is not a hexadecimal digit");
        let err = decode_hex("abc").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::OddHexLength(3));
        // A multi-byte character at an odd place must not panic.
        let err = decode_hex("0é0").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::BadHexDigit('é'));
    }
}
