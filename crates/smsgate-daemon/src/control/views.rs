//! The answers of the modem commands (`send`, `inbox`, `ussd`, `at-chat`,
//! `status`) as typed views: built here from the driver's results, both
//! by the command line when it opens the modem itself and by the daemon's
//! control socket, which sends them as JSON and the command line reads
//! them back into the same types. `--json` prints a view; the text output
//! is made from a view; so the output does not depend on the way.
//!
//! The fields of every view are in alphabetical order: the order in which
//! `--json` has always printed them.

use std::time::Duration;

use anyhow::anyhow;
use modem::{AtReply, InboxMessage, ModemError, ModemHandle, ModemStatus, UssdAnswer};
use serde::{Deserialize, Serialize};
use sms_pdu::Address;

mod listing;
pub mod urc;

pub use listing::{listed_timestamp, message_text, smstools_stamp_as_listed, RECEIVED};

/// `send`'s answer: the message reference of each part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendView {
    pub references: Vec<u8>,
}

impl SendView {
    pub fn new(references: &[at::parse::MessageReference]) -> SendView {
        SendView {
            references: references.iter().map(|reference| reference.0).collect(),
        }
    }
}

/// One message of `inbox`'s listing: read from the modem
/// ([`MessageView::new`]) or a daemon's received file (`inbox.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    /// The first of `indexes`: the number `--remove` takes.
    pub index: Option<u64>,
    /// Every part's storage index (a daemon's file: its inode number).
    pub indexes: Vec<u64>,
    /// The text, or what stands for it (data, a report, an error).
    pub message: String,
    /// A message that misses parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<PartsView>,
    /// The sender, `+` first when international.
    pub phone: String,
    /// A status report: on what, and its TP-Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportView>,
    /// `received`, `unsent`, `sent`, or the number.
    pub status: String,
    /// The service centre's time stamp, as [`listed_timestamp`] writes it.
    pub timestamp: Option<String>,
    /// RouterOS's `type`: `sms`, `class-N`, `status-report`, `outgoing`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What the driver noticed while reading it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The parts an incomplete message misses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartsView {
    pub missing: Vec<u64>,
    /// How many there are; a daemon's file does not keep it.
    pub total: Option<u64>,
}

/// What a status report reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    pub reference: Option<u64>,
    pub status: Option<u8>,
}

/// `ussd`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UssdView {
    pub dcs: Option<u8>,
    /// How `raw` was written: `gsm7-packed-hex`, `ucs2-hex`, `text`.
    pub encoding: Option<String>,
    pub raw: Option<String>,
    /// +CUSD's status: 0 done, 1 the network waits for a reply, ...
    pub status: u8,
    pub status_text: Option<String>,
    pub text: Option<String>,
}

impl UssdView {
    pub fn new(answer: &UssdAnswer) -> UssdView {
        let encoding = answer.encoding.map(|encoding| match encoding {
            at::parse::UssdEncoding::PackedGsm7Hex => "gsm7-packed-hex",
            at::parse::UssdEncoding::Ucs2Hex => "ucs2-hex",
            at::parse::UssdEncoding::Text | at::parse::UssdEncoding::Auto => "text",
        });
        UssdView {
            dcs: answer.dcs,
            encoding: encoding.map(str::to_owned),
            raw: answer.raw.clone(),
            status: answer.status.0,
            status_text: answer.status.meaning().map(str::to_owned),
            text: answer.text.clone(),
        }
    }
}

/// An `at-chat` answer: the lines (the command's, then any unclaimed),
/// the final result as the modem wrote it and as described, and the
/// unsolicited codes that came after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtReplyView {
    pub described: String,
    pub lines: Vec<String>,
    pub result: String,
    pub success: bool,
    pub unsolicited: Vec<String>,
}

impl AtReplyView {
    pub fn new(reply: &AtReply, unsolicited: &[String]) -> AtReplyView {
        AtReplyView {
            described: reply.result.to_string(),
            lines: reply.lines.iter().chain(&reply.unclaimed).cloned().collect(),
            result: as_sent(&reply.result),
            success: reply.result.is_success(),
            unsolicited: unsolicited.to_vec(),
        }
    }
}

/// `status`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub iccid: Option<String>,
    pub imei: Option<String>,
    pub imsi: Option<String>,
    pub operator: Option<String>,
    /// The port the driver opened.
    pub port: String,
    /// What could not be read, each said as a note.
    pub problems: Vec<String>,
    pub registration: Option<RegistrationView>,
    pub signal: Option<SignalView>,
    pub smsc: Option<String>,
    pub storage: Option<StorageView>,
}

/// +CREG's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationView {
    pub meaning: Option<String>,
    pub registered: bool,
    pub status: u8,
}

/// +CSQ's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalView {
    pub bars: u8,
    pub ber: u8,
    /// None: +CSQ 99, not known.
    pub dbm: Option<i16>,
    pub rssi: u8,
}

/// +CPMS's answer for the storage read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageView {
    pub memory: Option<String>,
    pub total: u32,
    pub used: u32,
}

impl StatusView {
    pub fn new(port: &str, status: &ModemStatus) -> StatusView {
        let identity = &status.identity;
        StatusView {
            iccid: identity.iccid.clone(),
            imei: identity.imei.clone(),
            imsi: identity.imsi.clone(),
            operator: status.operator.clone(),
            port: port.to_owned(),
            problems: status.problems.clone(),
            registration: status.registration.as_ref().map(|registration| RegistrationView {
                meaning: registration.status.meaning().map(str::to_owned),
                registered: registration.status.is_registered(),
                status: registration.status.0,
            }),
            signal: status.signal.map(|signal| SignalView {
                bars: signal.bars(),
                ber: signal.ber,
                dbm: signal.dbm(),
                rssi: signal.rssi,
            }),
            smsc: identity.smsc.as_ref().map(|smsc| smsc.number.clone()),
            storage: status.storage.as_ref().map(|storage| StorageView {
                memory: storage.name.clone(),
                total: storage.total,
                used: storage.used,
            }),
        }
    }
}

/// One modem of the daemon, as `{"op":"modems"}` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModemView {
    pub device: String,
    /// The text of the last USSD answer it got through the control socket
    /// (RouterOS's `last-ussd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ussd: Option<String>,
    pub name: String,
    /// The `[ports.NAME]` it uses.
    pub port: String,
}

/// Removes the message with a part at `index`: every part, so that no
/// orphaned part is left to show up alone. `None` if there is none; else
/// the message removed.
pub async fn remove_message(modem: &ModemHandle, index: u32) -> Result<Option<MessageView>, ModemError> {
    let messages = modem.list_messages(None).await?;
    let Some(message) = messages.iter().find(|message| message.indexes.contains(&index)) else {
        return Ok(None);
    };
    for &part_index in &message.indexes {
        modem.delete(part_index).await?;
    }
    Ok(Some(MessageView::new(message)))
}

/// `at-chat` on `modem`: the command, then, if it succeeded, the
/// unsolicited codes that come within `wait` (a `+CUSD` ends the wait of
/// a command that starts a USSD session). The answer both ways print from.
pub async fn at_chat_and_wait(
    modem: &ModemHandle,
    command: &str,
    timeout: Option<Duration>,
    wait: Duration,
) -> Result<AtReplyView, ModemError> {
    // Subscribed first: a code may come right behind the final result.
    let mut events = modem.subscribe();
    let reply = modem.at_chat(command, timeout).await?;
    let urcs = if reply.result.is_success() && !wait.is_zero() {
        urc::collect(&mut events, wait, urc::starts_ussd(command)).await
    } else {
        Vec::new()
    };
    Ok(AtReplyView::new(&reply, &urc::lines(modem.port(), &urcs)))
}

/// A final result as the modem wrote it: `at-chat` shows the modem's
/// words; the meaning of an error code goes into the error message.
fn as_sent(result: &at::FinalResult) -> String {
    let error = |family: &str, code: &at::ErrorCode| match (code.text(), code.code()) {
        (Some(text), _) => format!("{family}: {text}"),
        (None, Some(number)) => format!("{family}: {number}"),
        (None, None) => family.to_owned(),
    };
    match result {
        at::FinalResult::CmeError(code) => error("+CME ERROR", code),
        at::FinalResult::CmsError(code) => error("+CMS ERROR", code),
        other => other.to_string(),
    }
}

/// A phone number by the seed's rules: `0123456789*# abc`, a leading `+`
/// for international.
pub fn phone_number(text: &str) -> anyhow::Result<Address> {
    Address::parse_phone(text).map_err(|err| match err {
        sms_pdu::EncodeError::BadAddress { reason, .. } => anyhow!(
            "{text:?}: {reason} (a phone number has the characters 0123456789*# abc, and a leading + \
             if it is international)"
        ),
        other => anyhow!("{text:?}: {other}"),
    })
}

/// A concatenation reference for a new message: phones join parts by
/// sender and reference, so two long messages sent one after the other
/// must not share one. The clock and the PID differ between runs.
pub fn fresh_reference() -> u8 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since_epoch| since_epoch.subsec_nanos());
    let mixed = nanos ^ std::process::id().rotate_left(16);
    let [a, b, c, d] = mixed.to_be_bytes();
    a ^ b ^ c ^ d
}

/// `1,2,3`.
pub fn join_numbers<T: ToString>(numbers: &[T]) -> String {
    numbers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl MessageView {
    /// A message read from the modem's storage.
    pub fn new(message: &InboxMessage) -> MessageView {
        listing::message_view(message)
    }
}
