//! `inbox`'s listing: a message as a view (`message_view`, also what the
//! daemon's control socket answers, and the shape of the daemon's own
//! spool-backed inbox, `inbox.rs`) and as text. The words and the
//! time stamp are chosen so that both ways print the same.

use std::fmt::Write as _;

use super::{join_numbers, MessageView, PartsView, ReportView};
use modem::{Content, InboxMessage, MessageKind};

/// RouterOS's `type` column: the class for received messages.
fn message_type(message: &InboxMessage) -> String {
    match message.kind {
        MessageKind::Deliver => match message.class {
            Some(class) => format!("class-{}", class as u8),
            None => "sms".to_owned(),
        },
        MessageKind::StatusReport => "status-report".to_owned(),
        MessageKind::Submit => "outgoing".to_owned(),
    }
}

/// What a message says, as text.
fn message_body(message: &InboxMessage) -> String {
    match &message.content {
        Content::Text(text) => text.clone(),
        Content::Data(data) => format!("(8-bit data) {}", sms_pdu::encode_hex(data)),
        Content::Report { reference, status } => {
            format!(
                "report on message reference {reference}: {}",
                status.smstools_header()
            )
        }
        Content::Undecodable(error) => format!("(undecodable: {error})"),
    }
}

/// A message as `inbox` prints it.
pub fn message_text(message: &MessageView) -> String {
    let phone = message.phone.as_str();
    let mut text = format!(
        "{}  {}  {}  {}",
        join_numbers(&message.indexes),
        if phone.is_empty() { "-" } else { phone },
        message.timestamp.as_deref().unwrap_or("-"),
        message.kind,
    );
    // Without the total: a daemon's incoming/ file does not keep it.
    let missing = message.parts.as_ref().map_or(&[][..], |parts| &parts.missing[..]);
    if !missing.is_empty() {
        let _ = write!(text, "  (incomplete: part {} missing)", join_numbers(missing));
    }
    text.push('\n');
    for line in message.message.lines() {
        let _ = writeln!(text, "    {line}");
    }
    text
}

/// The `status` of a received message in `inbox`: whether the modem has
/// shown it before is the modem's business, and a daemon that received it
/// has read it, so the listing does not depend on who looked first.
pub const RECEIVED: &str = "received";

fn status_word(status: at::parse::MessageStatus) -> String {
    match status.0 {
        0 | 1 => RECEIVED.to_owned(),
        2 => "unsent".to_owned(),
        3 => "sent".to_owned(),
        other => other.to_string(),
    }
}

/// A time stamp as `inbox` prints it: the service centre's wall clock,
/// `2026-11-21 19:29:19`. Without the zone, because the daemon's
/// `incoming/` files (smsd's `Sent:`) do not keep it and the listing must
/// not depend on the way it was read.
pub fn listed_timestamp(timestamp: &sms_pdu::Timestamp) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        timestamp.full_year(),
        timestamp.month,
        timestamp.day,
        timestamp.hour,
        timestamp.minute,
        timestamp.second
    )
}

/// smsd's `Sent: 26-11-21 19:29:19` (`yy-mm-dd`) as [`listed_timestamp`]
/// writes it; none if it is not that.
pub fn smstools_stamp_as_listed(stamp: &str) -> Option<String> {
    let (date, time) = stamp.trim().split_once(' ')?;
    let mut numbers = date.split('-').chain(time.split(':')).map(str::parse::<u8>);
    let mut next = || numbers.next()?.ok();
    let timestamp = sms_pdu::Timestamp {
        year: next()?,
        month: next()?,
        day: next()?,
        hour: next()?,
        minute: next()?,
        second: next()?,
        tz_quarters: 0,
    };
    (timestamp.year <= 99).then(|| listed_timestamp(&timestamp))
}

/// A message read from the modem, as `inbox` lists it.
pub(super) fn message_view(message: &InboxMessage) -> MessageView {
    MessageView {
        index: message.indexes.first().copied().map(u64::from),
        indexes: message.indexes.iter().copied().map(u64::from).collect(),
        message: message_body(message),
        parts: message.parts.as_ref().map(|parts| PartsView {
            missing: parts.missing.iter().copied().map(u64::from).collect(),
            total: Some(u64::from(parts.total)),
        }),
        phone: message.phone.clone(),
        report: match &message.content {
            Content::Report { reference, status } => Some(ReportView {
                reference: Some(u64::from(*reference)),
                status: Some(status.0),
            }),
            _ => None,
        },
        status: status_word(message.status),
        timestamp: message.timestamp.map(|timestamp| listed_timestamp(&timestamp)),
        kind: message_type(message),
        warnings: message.warnings.clone(),
    }
}
