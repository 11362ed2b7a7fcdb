//! From a parsed outgoing file to what a modem is asked to do: the
//! SMS-SUBMIT PDUs of a message, or a voice call.
//!
//! Decisions, where smsd's behaviour is not the one we want or not known:
//! - Trailing newline: an editor ends the body with a newline, and smsd
//!   sends it for `Alphabet: UTF` files (a `000A` at the end of the UCS2
//!   text; notes, gotcha 13) but not for ISO ones. ISO text (and text of a
//!   file without `Alphabet:`, which smsd reads as ISO) loses all trailing
//!   blanks, tabs and line ends, as in smsd. Of other text smsgate drops
//!   one trailing newline (LF or CRLF) by default: it costs a character
//!   and shows as an empty line. [`TrailingNewline::LikeSmsd`] keeps it
//!   for UTF-8, UCS2 and GSM bodies, for a byte-exact comparison with smsd.
//! - A message with nothing in it is refused (smsd: `No text or data`).
//! - A TAB is sent as a space in GSM 7-bit, as smsd does; nothing else is
//!   substituted.
//! - `Alphabet: UTF-8` text goes in the cheapest encoding (GSM 7-bit when
//!   every character has a code, else UCS2); `ISO` and `GSM` text must fit
//!   GSM 7-bit (smsd drops the characters that do not; smsgate refuses the
//!   file, naming the character); `UCS2` text goes in UCS2.
//! - Binary data with its user data header in the body goes in one message
//!   of at most 140 octets, as in smsd; binary data without one is split
//!   like text, by `Autosplit:`.

use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::{AlphabetChoice, Autosplit, SplitOptions};
use sms_pdu::{
    Address, Alphabet, Body, DataCodingScheme, EncodeError, Gsm7Tables, MessageClass, NationalLanguage, Pdu,
    ProtocolIdentifier, UserData, ValidityPeriod, MAX_OCTETS,
};

use crate::error::PlanError;
use crate::numbering::NumberingPolicy;
use crate::outgoing::{parse_udh, Content, FileAlphabet, OutgoingFile, SystemMessage};
use crate::voicecall::Voicecall;

/// What to do with a text body's trailing newline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrailingNewline {
    /// Drop one trailing LF or CRLF from every text body.
    #[default]
    Strip,
    /// As smsd 3.1.21: drop it from ISO bodies, send it with UTF-8, UCS2
    /// and GSM ones (`07-gsm.sms` of the differential corpus).
    LikeSmsd,
}

/// The settings of the config file that a spool file's headers override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanDefaults {
    /// smsd.conf `report`: request status reports.
    pub report: bool,
    /// smsd.conf `autosplit` (smsd's default is 3, concatenated).
    pub autosplit: Autosplit,
    /// smsd.conf `validity`, a TP-VP relative value (smsd's default is 255).
    pub validity: u8,
    /// smsd.conf `smsc`. The `SMSC:` header is honoured only when this is
    /// set, as in smsd >= 3.1.
    pub smsc: Option<Address>,
    /// smsd.conf `smsc_pdu`: put `smsc` into each PDU. Without it, as in
    /// smsd, the modem is given `smsc` with `AT+CSCA` and the PDU's SMSC
    /// field stays empty; a file's `SMSC:` goes into the PDU either way
    /// (smsd would `AT+CSCA` it for that one message).
    pub smsc_pdu: bool,
    /// smsd.conf `international_prefixes` and `national_prefixes`.
    pub numbering: NumberingPolicy,
    /// See [`TrailingNewline`].
    pub trailing_newline: TrailingNewline,
    /// The concatenation reference for a message that needs parts; the
    /// caller keeps the counter.
    pub concat_reference: u16,
    /// smsd's `text_is_pdu_key`: a `Text_is_pdu: yes` file is sent only
    /// when its `To:` is this key (none: such files are refused).
    pub text_is_pdu_key: Option<String>,
    /// `[spool] national-tables`: for a UTF-8 file without `Language:` whose
    /// text GSM 7-bit's default tables cannot write, the national tables
    /// tried in this order before UCS2; the first that writes the text in
    /// fewer parts than UCS2 is used (for modems and networks that support
    /// them).
    pub national_tables: Vec<NationalLanguage>,
}

impl Default for PlanDefaults {
    fn default() -> PlanDefaults {
        PlanDefaults {
            report: false,
            autosplit: Autosplit::Concatenated,
            validity: 255,
            smsc: None,
            smsc_pdu: false,
            numbering: NumberingPolicy::default(),
            trailing_newline: TrailingNewline::Strip,
            concat_reference: 0,
            text_is_pdu_key: None,
            national_tables: Vec::new(),
        }
    }
}

/// The SMS of a file: the settings every part shares, and the parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsPlan {
    /// Destination, SMSC, class, report request, validity, TP-PID.
    pub message: OutgoingMessage,
    /// One PDU per part, in order.
    pub pdus: Vec<Pdu>,
    /// smsd's notices for the `sent/` file: for UTF-8 text sent in UCS2,
    /// each character GSM 7-bit lacks and their count, in smsd's words.
    pub notices: Vec<String>,
}

/// What to do for a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Send these PDUs.
    Sms(SmsPlan),
    /// Call `destination` and play the tones.
    Voicecall {
        /// Whom to call.
        destination: Address,
        /// What to play.
        call: Voicecall,
    },
}

/// Plans a parsed file with the config's defaults.
pub fn plan(file: &OutgoingFile, defaults: &PlanDefaults) -> Result<Plan, PlanError> {
    if file.text_is_pdu {
        return ready_made_pdu(file, defaults).map(Plan::Sms);
    }
    let destination = file.to.address(file.to_toa, &defaults.numbering);
    let data = match &file.content {
        Content::Voicecall(call) => {
            return Ok(Plan::Voicecall {
                destination,
                call: call.clone(),
            })
        }
        Content::Text(text) => {
            let mut plan = text_plan(file, text, destination, defaults)?;
            set_file_fields(file, &mut plan.pdus)?;
            return Ok(Plan::Sms(plan));
        }
        Content::Binary(data) => data,
    };
    let mut message = message(file, destination, defaults);
    let pdus = if let Some(system_message) = file.system_message {
        if data.len() > MAX_OCTETS {
            return Err(too_long("System_message", data.len()));
        }
        // smsd's pdu.c: 0x40/0xF4, and for ToSIM 0x7F/0xF6 (class 2).
        let (pid, dcs) = match system_message {
            SystemMessage::ShortMessageType0 => (ProtocolIdentifier::SHORT_MESSAGE_TYPE_0, 0xF4),
            SystemMessage::ToSim => (ProtocolIdentifier::SIM_DATA_DOWNLOAD, 0xF6),
        };
        message.pid = pid;
        // A system message written as text (neither `Alphabet: binary` nor
        // `Hex:`) ends with the file's newline, which smsd does not send;
        // real binary data is sent as it is.
        let data = match file.alphabet() == FileAlphabet::Binary || file.hex {
            true => &data[..],
            false => strip_trailing_newline(data),
        };
        message.pdus(DataCodingScheme(dcs), vec![octets(None, data)])
    } else if file.udh.unwrap_or(true) && file.udh_data.is_none() {
        let Some(&udhl) = data.first() else {
            return Err(PlanError {
                header: "UDH",
                reason: "the body is empty, but UDH: true (the default for binary) says it starts with a user data header".to_owned(),
            });
        };
        if data.len() > MAX_OCTETS {
            return Err(too_long("Alphabet", data.len()));
        }
        let header_end = 1 + usize::from(udhl);
        let header = data
            .get(..header_end)
            .ok_or_else(|| format!("the header length octet says {udhl}, but the body is shorter"))
            .and_then(parse_udh)
            .map_err(|reason| PlanError {
                header: "UDH",
                reason: format!("the body starts with no valid user data header: {reason}"),
            })?;
        let dcs = DataCodingScheme::new(Alphabet::EightBit, message.class);
        message.pdus(dcs, vec![octets(Some(header), &data[header_end..])])
    } else {
        if data.is_empty() && file.udh_data.is_none() {
            return Err(empty_body());
        }
        message
            .data_pdus(data, &split_options(file, defaults, AlphabetChoice::Auto))
            .map_err(encode_error)?
    };
    let mut pdus = pdus;
    set_file_fields(file, &mut pdus)?;
    Ok(Plan::Sms(SmsPlan {
        message,
        pdus,
        notices: Vec::new(),
    }))
}

fn text_plan(
    file: &OutgoingFile,
    text: &str,
    destination: Address,
    defaults: &PlanDefaults,
) -> Result<SmsPlan, PlanError> {
    let alphabet = file.alphabet();
    let text = trim_end(file, text, defaults.trailing_newline);
    if text.is_empty() {
        return Err(empty_body());
    }
    let text = tabs_as_spaces(alphabet, text);
    let text = text.as_ref();
    let choice = match alphabet {
        FileAlphabet::Iso | FileAlphabet::Gsm => AlphabetChoice::Gsm7,
        FileAlphabet::Ucs2 => AlphabetChoice::Ucs2,
        FileAlphabet::Utf8 | FileAlphabet::Binary => AlphabetChoice::Auto,
    };
    let message = message(file, destination, defaults);
    let options = split_options(file, defaults, choice);
    let named = national_tables(file)?;
    let automatic = match (&named, alphabet) {
        (None, FileAlphabet::Utf8) => automatic_tables(text, &defaults.national_tables, &options),
        _ => None,
    };
    let pdus = match named.or(automatic) {
        Some(tables) => {
            let parts = national::national_parts(
                text,
                tables,
                options.autosplit,
                options.reference,
                &options.extra_elements,
            )
            .map_err(|err| PlanError {
                header: "Language",
                reason: err.to_string(),
            })?;
            message.pdus(DataCodingScheme::new(Alphabet::Gsm7, message.class), parts)
        }
        None => message.text_pdus(text, &options).map_err(encode_error)?,
    };
    let in_ucs2 = pdus.first().is_some_and(|pdu| match &pdu.tpdu {
        sms_pdu::Tpdu::Submit(submit) => submit.dcs.alphabet() == Alphabet::Ucs2,
        _ => false,
    });
    let notices = match alphabet == FileAlphabet::Utf8 && in_ucs2 {
        true => ucs2_notices(text),
        false => Vec::new(),
    };
    Ok(SmsPlan {
        message,
        pdus,
        notices,
    })
}

/// The tables `Language:` and `Language_ext:` name, as smsd reads them:
/// `Language_ext:` defaults to `Language:`, `Language:` to the basic
/// table. A language the standard gives no locking-shift table (Spanish)
/// is refused as `Language:`, which names that table.
fn national_tables(file: &OutgoingFile) -> Result<Option<Gsm7Tables>, PlanError> {
    if file.language.is_none() && file.language_ext.is_none() {
        return Ok(None);
    }
    let locking_id = file.language.unwrap_or(0);
    let single_id = file.language_ext.unwrap_or(locking_id);
    let locking = NationalLanguage::from_id(locking_id);
    if let Some(language) = locking.filter(|language| !language.has_locking_shift()) {
        return Err(PlanError {
            header: "Language",
            reason: format!(
                "{} has no locking-shift table, only a single-shift one: say Language_ext: {} (and no Language:)",
                language.name(),
                language.name()
            ),
        });
    }
    Ok(Some(Gsm7Tables {
        locking,
        single: NationalLanguage::from_id(single_id),
    }))
}

/// The first of `candidates` whose tables write `text` in fewer parts than
/// UCS2 would take; none when the default tables write it (GSM 7-bit
/// without a shift is cheaper still) or no candidate does better.
fn automatic_tables(
    text: &str,
    candidates: &[NationalLanguage],
    options: &SplitOptions,
) -> Option<Gsm7Tables> {
    if candidates.is_empty() || text.chars().all(|ch| Gsm7Tables::DEFAULT.code(ch).is_some()) {
        return None;
    }
    let ucs2_options = SplitOptions {
        alphabet: AlphabetChoice::Ucs2,
        ..options.clone()
    };
    let ucs2_parts = match sms_pdu::split::split_text(text, &ucs2_options) {
        Ok(split) => split.parts.len(),
        Err(_) => usize::MAX,
    };
    for language in candidates {
        let tables = Gsm7Tables {
            locking: language.has_locking_shift().then_some(*language),
            single: Some(*language),
        };
        let Ok(parts) = national::national_parts(
            text,
            tables,
            options.autosplit,
            options.reference,
            &options.extra_elements,
        ) else {
            continue;
        };
        if parts.len() < ucs2_parts {
            return Some(tables);
        }
    }
    None
}

/// smsd's notices when UTF-8 text goes in UCS2: one per character GSM
/// 7-bit lacks (numbered from 1, with its UTF-8 octets), then the count.
fn ucs2_notices(text: &str) -> Vec<String> {
    let mut notices: Vec<String> = text
        .chars()
        .enumerate()
        .filter(|(_, ch)| sms_pdu::Gsm7Tables::DEFAULT.code(*ch).is_none())
        .map(|(idx, ch)| {
            let mut utf8 = [0; 4];
            let hex: String = ch
                .encode_utf8(&mut utf8)
                .bytes()
                .map(|byte| format!("{byte:02X}"))
                .collect();
            format!("Cannot convert {}. character ({hex}){ch} to GSM.", idx + 1)
        })
        .collect();
    let missing = notices.len();
    notices.push(format!(
        "{missing} characters outside the GSM alphabet, converting to UCS2"
    ));
    notices
}

/// The text without what smsd would not send at its end.
///
/// ISO text (`Alphabet: ISO`, or no `Alphabet:`, which smsd reads as ISO)
/// loses all trailing blanks, tabs, CRs and newlines, as in smsd; other
/// text one trailing LF or CRLF ([`TrailingNewline::Strip`]), or nothing
/// for UTF-8, UCS2 and GSM bodies with [`TrailingNewline::LikeSmsd`].
fn trim_end<'a>(file: &OutgoingFile, text: &'a str, trailing_newline: TrailingNewline) -> &'a str {
    if matches!(file.alphabet, None | Some(FileAlphabet::Iso)) {
        return text.trim_end_matches(|c: char| c == ' ' || c.is_ascii_control());
    }
    let keep_newline = trailing_newline == TrailingNewline::LikeSmsd
        && matches!(
            file.alphabet(),
            FileAlphabet::Utf8 | FileAlphabet::Ucs2 | FileAlphabet::Gsm
        );
    if keep_newline {
        return text;
    }
    match text.strip_suffix('\n') {
        Some(without_lf) => without_lf.strip_suffix('\r').unwrap_or(without_lf),
        None => text,
    }
}

/// A TAB goes out as a space in GSM 7-bit, which has no TAB (as smsd
/// writes it): always for ISO text, for UTF-8 text when the rest of it
/// fits GSM 7-bit (else it goes in UCS2, TAB and all). The only character
/// smsgate substitutes (docs/differences.md).
fn tabs_as_spaces(alphabet: FileAlphabet, text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\t') {
        return text.into();
    }
    let spaced = text.replace('\t', " ");
    match alphabet {
        FileAlphabet::Iso => spaced.into(),
        FileAlphabet::Utf8 if sms_pdu::Gsm7Tables::DEFAULT.septet_count(&spaced).is_ok() => spaced.into(),
        _ => text.into(),
    }
}

/// smsd: `No text or data`. A message with nothing in it is a mistake
/// (an empty file, a script that lost its input), not something to pay for.
fn empty_body() -> PlanError {
    PlanError {
        header: "Body",
        reason: "no text or data: the message is empty".to_owned(),
    }
}

/// The settings all parts share.
fn message(file: &OutgoingFile, destination: Address, defaults: &PlanDefaults) -> OutgoingMessage {
    // The SMSC: header counts only when the config names an SMSC (smsd >= 3.1);
    // the configured one goes into the PDU only with smsc_pdu.
    let smsc = defaults.smsc.as_ref().and_then(|configured| match &file.smsc {
        Some(header) => Some(header.clone()),
        None => defaults.smsc_pdu.then(|| configured.clone()),
    });
    OutgoingMessage {
        smsc,
        class: file.class.or(file.flash.then_some(MessageClass::Class0)),
        // smsd: a ping always asks for a report, that is its answer.
        status_report_request: file.ping || file.report.unwrap_or(defaults.report),
        validity: Some(ValidityPeriod::Relative(
            file.validity.unwrap_or(defaults.validity),
        )),
        // smsd: a replace type wins over a ping's Short Message Type 0,
        // which the phone acknowledges without showing it.
        pid: file
            .replace
            .and_then(ProtocolIdentifier::replace)
            .or(file.ping.then_some(ProtocolIdentifier::SHORT_MESSAGE_TYPE_0))
            .unwrap_or(ProtocolIdentifier::DEFAULT),
        reject_duplicates: file.reject_duplicates,
        ..OutgoingMessage::to(destination)
    }
}

/// `Text_is_pdu: yes`: the body is the PDU, in hex with the SMSC field
/// first, as smsd sends it (`AT+CMGS` counts all but one octet, the empty
/// SMSC field `00`). Only with the configured key as `To:`, as in smsd,
/// so that not every writer of the spool can send any PDU. smsgate checks
/// more than smsd: it must be one SMS-SUBMIT, which the codec writes back
/// octet for octet.
fn ready_made_pdu(file: &OutgoingFile, defaults: &PlanDefaults) -> Result<SmsPlan, PlanError> {
    let problem = |header: &'static str, reason: String| PlanError { header, reason };
    let Some(key) = &defaults.text_is_pdu_key else {
        return Err(problem(
            "Text_is_pdu",
            "the modem has no text-is-pdu-key (smsd's text_is_pdu_key), so ready-made PDUs are not accepted"
                .to_owned(),
        ));
    };
    if key.trim_start_matches('+') != file.to.number {
        return Err(problem(
            "To",
            "is not the modem's text-is-pdu-key, which a Text_is_pdu: yes file must name".to_owned(),
        ));
    }
    let Content::Text(text) = &file.content else {
        return Err(problem("Text_is_pdu", "the body is not text".to_owned()));
    };
    let hex: String = text.chars().filter(|ch| !ch.is_ascii_whitespace()).collect();
    if hex.is_empty() {
        return Err(empty_body());
    }
    let octets = sms_pdu::decode_hex(&hex)
        .map_err(|err| problem("Text_is_pdu", format!("the body is no hex PDU: {err}")))?;
    let pdu = Pdu::decode(&octets)
        .map_err(|err| problem("Text_is_pdu", format!("the body is no PDU: {err}")))?
        .value;
    let sms_pdu::Tpdu::Submit(submit) = &pdu.tpdu else {
        return Err(problem("Text_is_pdu", "the PDU is no SMS-SUBMIT".to_owned()));
    };
    if pdu.encode().ok().as_deref() != Some(&octets[..]) {
        return Err(problem(
            "Text_is_pdu",
            "smsgate cannot send this PDU octet for octet (its codec would write it otherwise)".to_owned(),
        ));
    }
    let message = OutgoingMessage {
        smsc: pdu.smsc.clone(),
        class: submit.dcs.class(),
        status_report_request: submit.status_report_request,
        validity: submit.validity,
        pid: submit.pid,
        reject_duplicates: submit.reject_duplicates,
        ..OutgoingMessage::to(submit.destination.clone())
    };
    Ok(SmsPlan {
        message,
        pdus: vec![pdu],
        notices: Vec::new(),
    })
}

/// The headers the codec's `OutgoingMessage` has no field for, set in the
/// PDUs it made, as smsd's `make_pdu` sets them: `Reply_path:` (TP-RP),
/// `Message_reference:` (TP-MR) and `DCS_hex:` (TP-DCS, which overrides
/// the class and alphabet bits; a system message keeps its own).
fn set_file_fields(file: &OutgoingFile, pdus: &mut [Pdu]) -> Result<(), PlanError> {
    if file.message_reference.is_some() && pdus.len() > 1 {
        // smsd sends all parts with the one reference and logs that it
        // "works properly with single part only"; smsgate refuses.
        return Err(PlanError {
            header: "Message_reference",
            reason: format!("the message needs {} parts, a reference names one", pdus.len()),
        });
    }
    for pdu in pdus {
        let sms_pdu::Tpdu::Submit(submit) = &mut pdu.tpdu else {
            continue;
        };
        if file.reply_path == Some(true) {
            submit.reply_path = true;
        }
        if let Some(reference) = file.message_reference {
            submit.message_reference = reference;
        }
        if let Some(dcs) = file.dcs.filter(|_| file.system_message.is_none()) {
            let dcs = DataCodingScheme(dcs);
            // smsd would send the text encoded one way under a DCS that says
            // another, which phones show as garbage; smsgate refuses.
            if dcs.alphabet() != submit.dcs.alphabet() {
                return Err(PlanError {
                    header: "DCS_hex",
                    reason: format!(
                        "{:02X} says {:?}, but the message is encoded in {:?}",
                        dcs.0,
                        dcs.alphabet(),
                        submit.dcs.alphabet()
                    ),
                });
            }
            submit.dcs = dcs;
        }
    }
    Ok(())
}

fn split_options(file: &OutgoingFile, defaults: &PlanDefaults, alphabet: AlphabetChoice) -> SplitOptions {
    SplitOptions {
        alphabet,
        // smsd sends a ping in one part.
        autosplit: match file.ping {
            true => Autosplit::Off,
            false => file.autosplit.unwrap_or(defaults.autosplit),
        },
        reference: defaults.concat_reference,
        extra_elements: file
            .udh_data
            .as_ref()
            .map(|header| header.elements.clone())
            .unwrap_or_default(),
        ..SplitOptions::default()
    }
}

fn octets(header: Option<sms_pdu::UserDataHeader>, data: &[u8]) -> UserData {
    UserData {
        header,
        body: Body::Octets(data.to_vec()),
    }
}

fn too_long(header: &'static str, len: usize) -> PlanError {
    PlanError {
        header,
        reason: format!("{len} octets, at most {MAX_OCTETS} fit one message"),
    }
}

/// Names the header that decides what went wrong.
fn encode_error(err: EncodeError) -> PlanError {
    let header = match err {
        EncodeError::TooLong { .. } | EncodeError::TooManyParts(_) => "Autosplit",
        EncodeError::HeaderTooLong(_) => "UDH-DATA",
        EncodeError::BadAddress { .. } => "To",
        _ => "Alphabet",
    };
    PlanError {
        header,
        reason: err.to_string(),
    }
}

mod national;

#[cfg(test)]
mod tests;

/// `data` without one trailing LF or CRLF.
fn strip_trailing_newline(data: &[u8]) -> &[u8] {
    match data.strip_suffix(b"\n") {
        Some(without_lf) => without_lf.strip_suffix(b"\r").unwrap_or(without_lf),
        None => data,
    }
}
