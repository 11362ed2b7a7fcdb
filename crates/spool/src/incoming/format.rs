//! How `incoming/` and `report/` files are written: smsd's `incoming_utf8`
//! (with `decode_unicode_text` following it) and `store_received_pdu`.
//!
//! Checked against smsd 3.1.21 (`received2file` in smsd.c, `gsm2iso` in
//! charset.c) and live runs of it (`smsgate/tests/differential_receive.rs`):
//!
//! - `incoming_utf8 = yes`, `decode_unicode_text = yes`: GSM and UCS2 text
//!   as UTF-8, `Alphabet: UTF-8`, `Length` in characters (GSM) or UTF-8
//!   octets (UCS2).
//! - `incoming_utf8 = no` (smsd's default), `decode_unicode_text = no`
//!   (its default too): GSM text in ISO-8859-15 (`gsm2iso`: GSM's Greek
//!   capitals become 0x81-0x8A, the currency sign and the euro 0xA4),
//!   `Alphabet: ISO`, `Length` in octets; UCS2 text as its raw big-endian
//!   code units, `Alphabet: UCS2`, `Length` in code units.
//! - `store_received_pdu`: `PDU: HEX` lines (one per part, in part order,
//!   as the modem printed them) after `Length` (and a report's `UDH`).
//!   1 stores the PDUs smsd cannot decode; 2 also those whose file is
//!   ISO or raw UCS2 in smsd's own terms, which in practice are status
//!   reports and raw UCS2 text, not 8-bit data (the live run agrees, the
//!   manual's "8bit" does not); 3 stores every one.

/// The character set of received text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncomingCharset {
    /// smsd's `incoming_utf8 = yes` with `decode_unicode_text = yes`.
    #[default]
    Utf8,
    /// smsd's defaults, which existing eventhandlers read: GSM text in
    /// ISO-8859-15, UCS2 text as raw UCS-2 (`Alphabet: UCS2`).
    Iso8859_15,
}

impl IncomingCharset {
    /// The value in `[spool] incoming-charset`.
    pub fn name(self) -> &'static str {
        match self {
            IncomingCharset::Utf8 => "utf-8",
            IncomingCharset::Iso8859_15 => "iso-8859-15",
        }
    }

    /// The charset named `name` in `[spool] incoming-charset`.
    pub fn from_name(name: &str) -> Option<IncomingCharset> {
        match name.to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(IncomingCharset::Utf8),
            "iso-8859-15" | "iso8859-15" => Some(IncomingCharset::Iso8859_15),
            _ => None,
        }
    }
}

/// Which received PDUs are copied into their file as `PDU:` lines
/// (smsd's `store_received_pdu`, by its numbers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoreReceivedPdu {
    /// 0: none.
    Never,
    /// 1 (smsd's default): a PDU that does not decode.
    #[default]
    Undecodable,
    /// 2: also status reports and UCS2 text kept raw (smsd's ISO and UCS2
    /// alphabets).
    ReportsAndRawUcs2,
    /// 3: every PDU.
    All,
}

impl StoreReceivedPdu {
    /// smsd's number for it.
    pub fn level(self) -> u8 {
        self as u8
    }

    /// The setting for smsd's number, 0 to 3.
    pub fn from_level(level: i64) -> Option<StoreReceivedPdu> {
        match level {
            0 => Some(StoreReceivedPdu::Never),
            1 => Some(StoreReceivedPdu::Undecodable),
            2 => Some(StoreReceivedPdu::ReportsAndRawUcs2),
            3 => Some(StoreReceivedPdu::All),
            _ => None,
        }
    }
}

/// How a received file is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncomingFormat {
    /// The character set of text.
    pub charset: IncomingCharset,
    /// Which PDUs are stored in the file.
    pub store_pdu: StoreReceivedPdu,
}

/// What smsd calls the alphabet of a file, which decides `Alphabet:` and
/// whether `store_received_pdu = 2` stores the PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FileAlphabet {
    /// Text converted: GSM text (smsd's `ALPHABET_GSM`), or UCS2 decoded
    /// to UTF-8 (`ALPHABET_UTF8`).
    Text,
    /// A status report (`ALPHABET_ISO`).
    Iso,
    /// UCS2 written raw.
    Ucs2,
    /// 8-bit data, compressed text, reserved schemes.
    Binary,
}

impl IncomingFormat {
    /// The `Alphabet:` value for a file of `alphabet`.
    pub(super) fn alphabet_header(self, alphabet: FileAlphabet) -> &'static str {
        match (alphabet, self.charset) {
            (FileAlphabet::Binary, _) => "binary",
            (FileAlphabet::Ucs2, _) => "UCS2",
            (_, IncomingCharset::Utf8) => "UTF-8",
            (_, IncomingCharset::Iso8859_15) => "ISO",
        }
    }

    /// Whether a decoded PDU of a file of `alphabet` is stored.
    pub(super) fn stores_pdu(self, alphabet: FileAlphabet) -> bool {
        match self.store_pdu {
            StoreReceivedPdu::All => true,
            StoreReceivedPdu::ReportsAndRawUcs2 => {
                matches!(alphabet, FileAlphabet::Iso | FileAlphabet::Ucs2)
            }
            StoreReceivedPdu::Undecodable | StoreReceivedPdu::Never => false,
        }
    }

    /// Whether a PDU that does not decode is stored.
    pub(super) fn stores_undecodable(self) -> bool {
        self.store_pdu >= StoreReceivedPdu::Undecodable
    }

    /// Decoded text as the file holds it.
    pub(super) fn encode_text(self, text: &str) -> Vec<u8> {
        match self.charset {
            IncomingCharset::Utf8 => text.as_bytes().to_vec(),
            IncomingCharset::Iso8859_15 => text.chars().filter_map(smsd_iso_octet).collect(),
        }
    }
}

/// The text of a received file's body, read by its `Alphabet:` header
/// (`alphabet`): `ISO` as smsd's ISO-8859-15 (its Greek capitals at
/// 0x81-0x8A too), `UCS2` as raw big-endian UCS-2, anything else as
/// UTF-8; what does not decode becomes U+FFFD. `binary` bodies are data,
/// not text: the caller decides what to show of them.
pub fn body_text(alphabet: Option<&str>, body: &[u8]) -> String {
    match alphabet {
        Some("ISO") => body.iter().map(|&octet| smsd_iso_char(octet)).collect(),
        Some("UCS2") => {
            let units = body.chunks(2).map(|pair| match pair {
                [high, low] => u16::from_be_bytes([*high, *low]),
                // A lone last octet is no character.
                _ => 0xFFFD,
            });
            char::decode_utf16(units)
                .map(|ch| ch.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

/// The character of an octet of smsd's ISO-8859-15 (`smsd_iso_octet`'s
/// inverse; smsd's `iso2utf8_file`).
fn smsd_iso_char(octet: u8) -> char {
    const GREEK: [char; 10] = ['Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ'];
    match octet {
        0x81..=0x8A => GREEK[usize::from(octet - 0x81)],
        _ => crate::outgoing::latin9_char(octet),
    }
}

/// The octet smsd's `gsm2iso` writes for a character of the GSM default
/// alphabet: ISO-8859-15, except that GSM's Greek capitals, which it
/// lacks, take the unused C1 positions 0x81-0x8A (smsd's own table, which
/// its UTF-8 writer maps back), and the currency sign and the euro are
/// both 0xA4. A character it has no octet for is left out, as smsd does.
fn smsd_iso_octet(ch: char) -> Option<u8> {
    const GREEK: [char; 10] = ['Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ'];
    if let Some(idx) = GREEK.iter().position(|&greek| greek == ch) {
        // At most 10: the index fits.
        return Some(0x81 + idx as u8);
    }
    match ch {
        '€' | '¤' => Some(0xA4),
        // ISO-8859-15 differs from Latin-1 at these, and none of them is
        // in the GSM alphabet.
        '\u{A6}' | '\u{A8}' | '\u{B4}' | '\u{B8}' | '\u{BC}' | '\u{BD}' | '\u{BE}' => None,
        _ => u8::try_from(u32::from(ch)).ok(),
    }
}
