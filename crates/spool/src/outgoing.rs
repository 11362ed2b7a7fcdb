//! An outgoing spool file (smstools3 "SMS file format"): its headers, each
//! checked and typed, and its body decoded in the file's alphabet.
//!
//! Headers are `Name: value` lines up to the first empty line; names are
//! case-sensitive, lines may end in LF or CRLF, and lines that are not a
//! known header are kept in [`OutgoingFile::unknown`] and otherwise
//! ignored, as smsd does; but an input header of smsd that smsgate does
//! not honour refuses the file, naming the header (never silently
//! ignored). Every problem of the file is collected before the
//! parse gives up, each naming its line.
//!
//! Where smsgate is stricter than smsd, deliberately (a file smsd would
//! send in some guessed way is refused with a reason instead):
//! - a header that takes one value given twice (smsd takes the last one);
//! - an `Alphabet:` that is none of the known ones (smsd uses its default);
//! - `Hex: yes` without `Alphabet: binary`, `UDH: yes` together with
//!   `UDH-DATA:`, `Replace:` together with `System_message:` (smsd ignores
//!   one of each pair);
//! - `Replace:` outside 1-7 (smsd ignores it).
//! - `Class:`, `DCS_hex:`, `Message_reference:`, `Language:` values smsd
//!   would ignore or misuse, headers that would shape a ready-made PDU
//!   (`Text_is_pdu: yes`), and smsd headers smsgate does not honour
//!   (`Smsd_debug:`), each named.
//!
//! A `Validity:` smsd does not understand is ignored as smsd ignores it,
//! with a notice for the `sent/` file; an `Include:` of a file that is not
//! there too. Text files without `Alphabet:` are read as UTF-8, not
//! ISO-8859-15 (the two agree on ASCII). docs/differences.md lists every
//! difference.

use std::collections::HashMap;

use sms_pdu::split::Autosplit;
use sms_pdu::{
    smsd_validity, Address, Gsm7Tables, MessageClass, NationalLanguage, TypeOfAddress, UserDataHeader,
};

use crate::error::{ParseError, Place, Problem};
use crate::hex_data::{hex_bytes, parse_hex_lines};
use crate::lines::{split_lines, Line};
use crate::numbering::{Recipient, ToToa};
use crate::voicecall::Voicecall;

/// Reads the files `Include:` headers name. The spool crate reads no files:
/// the caller does, and decides which names it allows (smsgate confines
/// them to a configured directory).
pub trait IncludeResolver {
    /// The bytes of the file `name`, or why it may not or cannot be read.
    fn resolve(&mut self, name: &str) -> Result<Vec<u8>, IncludeError>;
}

/// Why an `Include:` gave no text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncludeError {
    /// There is no such file. smsd sends the message without it (and
    /// logs `Cannot read sms file`); so does smsgate, with a notice.
    NotFound(String),
    /// The file may not be read (outside the allowed directory, not a
    /// regular file, too long) or reading it failed: the file fails.
    Refused(String),
}

/// A closure's error is a refusal.
impl<F: FnMut(&str) -> Result<Vec<u8>, String>> IncludeResolver for F {
    fn resolve(&mut self, name: &str) -> Result<Vec<u8>, IncludeError> {
        self(name).map_err(IncludeError::Refused)
    }
}

/// Refuses every `Include:`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoIncludes;

impl IncludeResolver for NoIncludes {
    fn resolve(&mut self, _name: &str) -> Result<Vec<u8>, IncludeError> {
        Err(IncludeError::Refused("includes are not enabled".to_owned()))
    }
}

/// The character set of the file's body (`Alphabet:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAlphabet {
    /// `ISO`, `Latin`, `Ansi`: ISO-8859-15 text (as smsd reads it: `A4` is
    /// `€`), sent in GSM 7-bit.
    Iso,
    /// `GSM`: the bytes are GSM 7-bit default alphabet codes.
    Gsm,
    /// `UCS2`, `UCS-2`: UTF-16BE text, sent in UCS2.
    Ucs2,
    /// `UTF-8`: UTF-8 text, sent in GSM 7-bit when it can be, else UCS2.
    /// smsgate's default.
    Utf8,
    /// `binary`: 8-bit data, no text.
    Binary,
}

impl FileAlphabet {
    /// Reads an `Alphabet:` value. Like smsd, only the first three
    /// characters count (any case), so `ISO-8859-15` and `UCS-2` work.
    pub fn parse(value: &str) -> Option<FileAlphabet> {
        let key: String = value.chars().take(3).collect::<String>().to_ascii_uppercase();
        Some(match key.as_str() {
            "ISO" | "LAT" | "ANS" => FileAlphabet::Iso,
            "GSM" => FileAlphabet::Gsm,
            "UCS" => FileAlphabet::Ucs2,
            "UTF" => FileAlphabet::Utf8,
            "BIN" => FileAlphabet::Binary,
            _ => return None,
        })
    }
}

/// `Priority:`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Anything but `High`.
    #[default]
    Normal,
    /// `High`: handled first when spooling and sending.
    High,
}

/// `System_message:` values other than negative ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemMessage {
    /// `yes`: TP-PID 0x40 (short message type 0), TP-DCS 0xF4.
    ShortMessageType0,
    /// `2` or `ToSIM`: TP-PID 0x7F (SIM data download), TP-DCS 0xF6
    /// (class 2, stored to the SIM). Binary messages only.
    ToSim,
}

/// One `Macro: name=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Macro {
    /// The text to replace in the body.
    pub name: String,
    /// What to replace it with.
    pub value: String,
}

/// A header line smsgate does not know, or a line that is no header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLine {
    /// Where it is.
    pub place: Place,
    /// The line, without its ending.
    pub text: String,
}

/// What the message carries, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// Text, macros replaced; a trailing newline of the file is still there
    /// (see [`crate::TrailingNewline`]).
    Text(String),
    /// 8-bit data (binary files, hex decoded, and system messages), macros
    /// replaced; with `UDH: true` it starts with the user data header.
    Binary(Vec<u8>),
    /// The tones of a voice call.
    Voicecall(Voicecall),
}

/// A parsed outgoing file. `Option` fields are `None` when the header is
/// absent, so that the caller's defaults apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingFile {
    /// `To:`.
    pub to: Recipient,
    /// `To_TOA:`.
    pub to_toa: Option<ToToa>,
    /// `From:`, which smsd does nothing with.
    pub from: Option<String>,
    /// `Flash:`: send as class 0.
    pub flash: bool,
    /// `Class:`, 0-3 (`Flash: yes` is class 0 too).
    pub class: Option<MessageClass>,
    /// `Reply_path:`: TP-RP; `None` when absent.
    pub reply_path: Option<bool>,
    /// `Reject_duplicates:`: TP-RD.
    pub reject_duplicates: bool,
    /// `Ping:`: a silent message (TP-PID 0x40, Short Message Type 0) with a
    /// status report, in one part.
    pub ping: bool,
    /// `DCS_hex:`, the TP-DCS octet to send instead of the one chosen.
    pub dcs: Option<u8>,
    /// `Message_reference:`, the TP-MR to send.
    pub message_reference: Option<u8>,
    /// `Language:`: the national locking-shift table (0, basic: none),
    /// as a TS 23.038 language id.
    pub language: Option<u8>,
    /// `Language_ext:`: the national single-shift table, likewise.
    pub language_ext: Option<u8>,
    /// `Retries:`: how often to retry a failed send, instead of the
    /// modem's `send-retries`.
    pub retries: Option<u32>,
    /// `Text_is_pdu:`: the body is a ready-made PDU in hex, SMSC field
    /// first, sent as it is when `To:` is the modem's `text-is-pdu-key`.
    pub text_is_pdu: bool,
    /// `Alphabet:`, or smsd's older `Binary:` (yes: binary, no: ISO).
    pub alphabet: Option<FileAlphabet>,
    /// `UDH:`: whether binary data starts with a user data header.
    pub udh: Option<bool>,
    /// `UDH-DATA:`, the user data header given as hex.
    pub udh_data: Option<UserDataHeader>,
    /// `SMSC:`.
    pub smsc: Option<Address>,
    /// `Queue:` or `Provider:`.
    pub queue: Option<String>,
    /// `Report:`: request status reports.
    pub report: Option<bool>,
    /// `Autosplit:`.
    pub autosplit: Option<Autosplit>,
    /// `Priority:`.
    pub priority: Priority,
    /// `Validity:`, as a TP-VP relative value.
    pub validity: Option<u8>,
    /// `Voicecall:`.
    pub voicecall: bool,
    /// `Hex:`.
    pub hex: bool,
    /// `Replace:`, 1-7.
    pub replace: Option<u8>,
    /// `Include:` names, in order.
    pub includes: Vec<String>,
    /// `Macro:` definitions, in order; a name defined twice has only its
    /// later definition.
    pub macros: Vec<Macro>,
    /// `System_message:`.
    pub system_message: Option<SystemMessage>,
    /// Lines kept but not understood.
    pub unknown: Vec<UnknownLine>,
    /// What smsgate did differently from what the file says (a value
    /// ignored, an `Include:` not found), for `NOTICE:` lines of the
    /// `sent/` file, as smsd writes its notices.
    pub notices: Vec<String>,
    /// The body as in the file (after includes, before macros).
    pub body: Vec<u8>,
    /// The body decoded.
    pub content: Content,
}

impl OutgoingFile {
    /// The alphabet, UTF-8 when the file names none.
    pub fn alphabet(&self) -> FileAlphabet {
        self.alphabet.unwrap_or(FileAlphabet::Utf8)
    }

    /// Parses an outgoing file. `Include:` headers go through `includes`.
    pub fn parse(file: &[u8], includes: &mut dyn IncludeResolver) -> Result<OutgoingFile, ParseError> {
        let mut problems = Vec::new();
        let mut include_notices = Vec::new();
        let (lines, included_text) = expand_includes(file, includes, &mut problems, &mut include_notices);
        let separator = lines.iter().position(|line| line.content().is_empty());
        let (header_lines, main_text) = match separator {
            Some(separator) => (&lines[..separator], &lines[separator + 1..]),
            None => (&lines[..], &lines[lines.len()..]),
        };
        let body_lines: Vec<Line> = included_text
            .into_iter()
            .chain(main_text.iter().cloned())
            .collect();
        let body_lines = &body_lines[..];
        let mut headers = Headers::parse(header_lines, &mut problems);
        headers.notices.splice(0..0, include_notices);
        let body: Vec<u8> = body_lines
            .iter()
            .flat_map(|line| line.raw.iter().copied())
            .collect();
        let content = headers.content(body_lines, &body, &mut problems);
        let to = match headers.to {
            Some(to) => Some(to),
            // A To: line that was not understood has its own problem.
            None if headers.to_given => None,
            None => {
                problems.push(Problem {
                    place: None,
                    header: Some("To"),
                    message: "missing: every outgoing file needs a recipient".to_owned(),
                });
                None
            }
        };
        match (to, content) {
            (Some(to), Some(content)) if problems.is_empty() => Ok(OutgoingFile {
                to,
                to_toa: headers.to_toa,
                from: headers.from,
                flash: headers.flash,
                class: headers.class,
                reply_path: headers.reply_path,
                reject_duplicates: headers.reject_duplicates,
                ping: headers.ping,
                dcs: headers.dcs,
                message_reference: headers.message_reference,
                text_is_pdu: headers.text_is_pdu,
                retries: headers.retries,
                language: headers.language,
                language_ext: headers.language_ext,
                alphabet: headers.alphabet,
                udh: headers.udh,
                udh_data: headers.udh_data,
                smsc: headers.smsc,
                queue: headers.queue,
                report: headers.report,
                autosplit: headers.autosplit,
                priority: headers.priority,
                validity: headers.validity,
                voicecall: headers.voicecall,
                hex: headers.hex,
                replace: headers.replace,
                includes: headers.includes,
                macros: headers.macros,
                system_message: headers.system_message,
                unknown: headers.unknown,
                notices: headers.notices,
                body,
                content,
            }),
            _ => {
                // Problems with a line first, in line order; the parse found
                // them header by header, then in the body.
                problems.sort_by_key(|problem| match &problem.place {
                    Some(Place::Line(line)) => (0, *line),
                    Some(Place::Included { .. }) => (1, 0),
                    None => (2, 0),
                });
                Err(ParseError { problems })
            }
        }
    }
}

/// The file's lines with each `Include:` header followed by the included
/// file's header lines, and the included files' text, as smsd joins them:
/// an included file's text (after its empty line; a file with only text
/// starts with one) comes before the main file's text, without its
/// trailing line ends and with nothing between
/// (`Included text first.Main file text.`, differential corpus
/// `48-include-text.sms`).
fn expand_includes(
    file: &[u8],
    includes: &mut dyn IncludeResolver,
    problems: &mut Vec<Problem>,
    notices: &mut Vec<String>,
) -> (Vec<Line>, Vec<Line>) {
    let mut lines = Vec::new();
    let mut included_text = Vec::new();
    let mut in_header = true;
    for line in split_lines(file, Place::Line) {
        let content = line.content();
        if content.is_empty() {
            in_header = false;
        }
        let include_name = match in_header {
            true => content
                .strip_prefix(b"Include:")
                .map(|name| text_of(name).trim().to_owned()),
            false => None,
        };
        let place = line.place.clone();
        lines.push(line);
        let Some(name) = include_name else {
            continue;
        };
        match includes.resolve(&name) {
            Ok(bytes) => {
                let included = split_lines(&bytes, |line| Place::Included {
                    name: name.clone(),
                    line,
                });
                let separator = included.iter().position(|line| line.content().is_empty());
                let (header, text) = match separator {
                    Some(separator) => (&included[..separator], &included[separator + 1..]),
                    None => (&included[..], &included[included.len()..]),
                };
                lines.extend(header.iter().cloned());
                let mut text = text.to_vec();
                // Its line ends at the end go; an empty line at the end
                // is nothing.
                while let Some(last) = text.last_mut() {
                    let end = last.content().len();
                    last.raw.truncate(end);
                    if !last.raw.is_empty() {
                        break;
                    }
                    text.pop();
                }
                included_text.extend(text);
            }
            Err(IncludeError::NotFound(reason)) => {
                notices.push(format!("Include: {name:?} not found ({reason}), sent without it"))
            }
            Err(IncludeError::Refused(reason)) => problems.push(Problem {
                place: Some(place),
                header: Some("Include"),
                message: format!("{name:?} refused: {reason}"),
            }),
        }
    }
    (lines, included_text)
}

/// A header line's text: UTF-8 when it is, else ISO-8859-1 (the seed's
/// "8 bit character set" for headers).
fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// ISO-8859-15 (Latin-9), smsd's "ISO": Latin-1 but for eight bytes,
/// `A4` the euro sign among them.
fn text_of_latin9(bytes: &[u8]) -> String {
    bytes.iter().map(|&byte| latin9_char(byte)).collect()
}

/// The character of one ISO-8859-15 octet (shared with the received-file
/// writer's reading of smsd's ISO files).
pub(crate) fn latin9_char(byte: u8) -> char {
    match byte {
        0xA4 => '€',
        0xA6 => 'Š',
        0xA8 => 'š',
        0xB4 => 'Ž',
        0xB8 => 'ž',
        0xBC => 'Œ',
        0xBD => 'œ',
        0xBE => 'Ÿ',
        _ => char::from(byte),
    }
}

fn decode_utf16be(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() % 2 != 0 {
        return Err(format!(
            "the body is {} bytes, not whole UTF-16BE characters",
            bytes.len()
        ));
    }
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    char::decode_utf16(units)
        .enumerate()
        .map(|(unit_idx, ch)| {
            ch.map_err(|err| {
                format!(
                    "unpaired surrogate {:#06x} at character {}",
                    err.unpaired_surrogate(),
                    unit_idx + 1
                )
            })
        })
        .collect()
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut idx = 0;
    while idx < haystack.len() {
        if haystack[idx..].starts_with(from) {
            out.extend_from_slice(to);
            idx += from.len();
        } else {
            out.push(haystack[idx]);
            idx += 1;
        }
    }
    out
}

/// Reads a user data header, length octet first, which must cover exactly
/// `bytes`.
pub(crate) fn parse_udh(bytes: &[u8]) -> Result<UserDataHeader, String> {
    let Some((&udhl, rest)) = bytes.split_first() else {
        return Err("the user data header is empty".to_owned());
    };
    if usize::from(udhl) != rest.len() {
        return Err(format!(
            "the header length octet says {udhl}, but {} octets follow",
            rest.len()
        ));
    }
    // Typed as sms-pdu types them, so that concatenation and ports are
    // seen; unknown elements stay raw and encode to the same octets.
    UserDataHeader::decode_octets(bytes).map_err(|err| match (err.kind, err.location) {
        (sms_pdu::DecodeErrorKind::ElementOverrun { iei, len }, sms_pdu::Location::Octet { offset, .. }) => {
            // The element's identifier and length octets start at `offset`.
            let left = bytes.len().saturating_sub(offset + 2);
            format!("element {iei:#04x} says {len} octets, but {left} are left")
        }
        _ => "the last element has no length octet".to_owned(),
    })
}

mod headers;

#[cfg(test)]
use headers::boolean;
use headers::Headers;

#[cfg(test)]
mod tests;
