//! Errors and warnings of the codec.
//!
//! Every decode error names the octet offset (counted from the first octet
//! handed to the decoder, SMSC address included) and the TPDU field that was
//! being read, so a message reads like
//! `octet 24 (TP-UDL): 171 septets, at most 160`.

use std::fmt;

/// A TPDU field name as the 3GPP specifications spell it, used in messages.
pub(crate) type FieldName = &'static str;

/// Why a PDU could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct DecodeError {
    /// Where decoding stopped.
    pub location: Location,
    /// What was wrong there.
    pub kind: DecodeErrorKind,
}

/// The place an error or warning refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// An octet of the binary PDU, with the field being decoded.
    Octet {
        /// Offset of the octet from the start of the PDU.
        offset: usize,
        /// The field (TP-UDL, TP-DA, ...).
        field: FieldName,
    },
    /// A character of the hexadecimal text form of a PDU.
    HexChar {
        /// Offset of the character from the start of the text.
        offset: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Octet { offset, field } => write!(f, "octet {offset} ({field})"),
            Location::HexChar { offset } => write!(f, "hex character {offset}"),
        }
    }
}

/// The kinds of malformed input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The PDU ended inside a field.
    #[error("PDU ends here, {needed} more octet(s) needed")]
    Truncated {
        /// How many octets were still needed.
        needed: usize,
    },
    /// A length field is out of its range.
    #[error("length {value} is invalid, at most {max}")]
    BadLength {
        /// The value found.
        value: usize,
        /// The largest value allowed there.
        max: usize,
    },
    /// TP-MTI 3 is reserved.
    #[error("message type indicator {0} is reserved")]
    ReservedMessageType(u8),
    /// A semi-octet of a timestamp is not a decimal digit.
    #[error("semi-octet {0:#x} is not a decimal digit")]
    BadBcdDigit(u8),
    /// A character of a hex PDU is not a hex digit.
    #[error("{0:?} is not a hexadecimal digit")]
    BadHexDigit(char),
    /// A hex PDU has an odd number of digits.
    #[error("odd number of hexadecimal digits ({0})")]
    OddHexLength(usize),
    /// The input was empty.
    #[error("empty PDU")]
    Empty,
    /// TP-UDL counts fewer septets than the user data header takes.
    #[error("length {udl} is shorter than the user data header, which takes {header} septets")]
    ShorterThanHeader {
        /// TP-UDL.
        udl: usize,
        /// Septets the header and its fill bits take.
        header: usize,
    },
    /// TP-UDHI announces a header but there is no user data.
    #[error("TP-UDHI announces a user data header but TP-UDL is 0")]
    MissingHeader,
    /// An information element runs past the end of the user data header.
    #[error("information element {iei:#04x} of length {len} runs past the header end")]
    ElementOverrun {
        /// The element identifier.
        iei: u8,
        /// Its stated length.
        len: usize,
    },
}

impl DecodeError {
    pub(crate) fn at(offset: usize, field: FieldName, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            location: Location::Octet { offset, field },
            kind,
        }
    }
}

/// A problem in a PDU that did not stop decoding: the value was kept, and
/// this says what was odd about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where the problem is.
    pub location: Location,
    /// What it is, in words.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl Warning {
    pub(crate) fn at(offset: usize, field: FieldName, message: impl Into<String>) -> Warning {
        Warning {
            location: Location::Octet { offset, field },
            message: message.into(),
        }
    }
}

/// Why a message could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A character has no code in the chosen alphabet.
    #[error("character {ch:?} at position {position} cannot be written in {alphabet}")]
    Unrepresentable {
        /// The character.
        ch: char,
        /// Its index in the text, counted in characters.
        position: usize,
        /// The alphabet that lacks it.
        alphabet: &'static str,
    },
    /// The user data does not fit one message.
    #[error("user data is {len} {unit}, at most {max} fit one message")]
    TooLong {
        /// The length needed.
        len: usize,
        /// The room available.
        max: usize,
        /// "septets" or "octets".
        unit: &'static str,
    },
    /// An address cannot be encoded.
    #[error("address {number:?}: {reason}")]
    BadAddress {
        /// The number as given.
        number: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The payload kind does not match the data coding scheme.
    #[error("user data is {payload} but the data coding scheme says {dcs}")]
    PayloadMismatch {
        /// What the payload is.
        payload: &'static str,
        /// What TP-DCS announces.
        dcs: &'static str,
    },
    /// The user data header is longer than a message can carry.
    #[error("user data header of {0} octets is too long")]
    HeaderTooLong(usize),
    /// A timestamp field is out of its BCD range.
    #[error("timestamp {0:?} cannot be written: a field is over 99 or the zone over 79 quarters")]
    BadTimestamp(crate::Timestamp),
    /// A concatenated message would need more than 255 parts.
    #[error("text needs {0} parts, at most 255 are possible")]
    TooManyParts(usize),
}
