//! The GSM 7-bit default alphabet and its extension table
//! (3GPP TS 23.038 clauses 6.2.1 and 6.2.1.1).

use super::{ESCAPE, UNASSIGNED};

/// TS 23.038 6.2.1: the default alphabet, indexed by septet.
pub(crate) static DEFAULT_ALPHABET: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ESCAPE, 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// TS 23.038 6.2.1.1: the characters reached through ESC from the default
/// alphabet. 0x0A is the page break, shown as FORM FEED.
pub(crate) static DEFAULT_EXTENSION: [char; 128] = {
    let mut table = [UNASSIGNED; 128];
    table[0x0A] = '\u{000C}';
    table[0x14] = '^';
    table[0x1B] = ESCAPE;
    table[0x28] = '{';
    table[0x29] = '}';
    table[0x2F] = '\\';
    table[0x3C] = '[';
    table[0x3D] = '~';
    table[0x3E] = ']';
    table[0x40] = '|';
    table[0x65] = '€';
    table
};
