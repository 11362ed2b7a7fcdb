//! The stored messages of a modem as a person reads them: each PDU
//! decoded, and the parts of a concatenated message joined into one
//! message that lists the storage indexes of all its parts.
//!
//! This is pure: `+CMGL` entries in, [`InboxMessage`]s out. The modem
//! keeps what it keeps, so a message whose parts are not all there is
//! shown with the parts it has and the numbers of those missing.

use at::parse::{MessageStatus, StoredMessage};
use sms_pdu::reassembly::{MessageKey, Outcome, Reassembler};
use sms_pdu::{MessageClass, Status, Timestamp, Tpdu};

/// One message in the modem's storage, its parts joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxMessage {
    /// The storage indexes of its parts, in part order: what
    /// [`crate::ModemHandle::delete`] takes.
    pub indexes: Vec<u32>,
    /// `<stat>` of its first part (received unread, read, ...).
    pub status: MessageStatus,
    /// What kind of message it is.
    pub kind: MessageKind,
    /// The sender (received messages), recipient (stored outgoing ones),
    /// or recipient of the message a status report is about.
    pub phone: String,
    /// When the service centre got it (TP-SCTS), as the operator sent it:
    /// with the operator's time zone, not the local clock. Outgoing
    /// messages have none.
    pub timestamp: Option<Timestamp>,
    /// Its class (TP-DCS), if it has one.
    pub class: Option<MessageClass>,
    /// What it says.
    pub content: Content,
    /// For a concatenated message: how many parts it has and which are not
    /// in the storage.
    pub parts: Option<Parts>,
    /// Oddities met decoding it.
    pub warnings: Vec<String>,
}

/// The kind of a stored message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A received message (SMS-DELIVER).
    Deliver,
    /// A status report about a message sent (SMS-STATUS-REPORT).
    StatusReport,
    /// A message stored to be sent, or sent (SMS-SUBMIT).
    Submit,
}

/// What a stored message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// GSM 7-bit or UCS2 text; parts joined.
    Text(String),
    /// 8-bit data (or compressed text); parts joined.
    Data(Vec<u8>),
    /// A status report: the reference of the message it is about, and its
    /// status.
    Report {
        /// TP-MR of the message sent.
        reference: u8,
        /// TP-ST.
        status: Status,
    },
    /// The PDU did not decode; why.
    Undecodable(String),
}

/// The parts of a concatenated message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    /// How many parts the message has.
    pub total: u8,
    /// The numbers (from 1) of the parts not in the storage.
    pub missing: Vec<u8>,
}

/// Decodes `stored` and joins concatenated messages, in the order of their
/// first index.
pub fn assemble(stored: Vec<StoredMessage>) -> Vec<InboxMessage> {
    let mut singles: Vec<InboxMessage> = Vec::new();
    let mut reassembler: Reassembler<(StoredMessage, Tpdu)> = Reassembler::new();
    // The order keys first showed up in, so that the output is stable.
    let mut keys: Vec<MessageKey> = Vec::new();
    let mut duplicates: Vec<(MessageKey, u32)> = Vec::new();
    let mut joined: Vec<(MessageKey, InboxMessage)> = Vec::new();
    for message in stored {
        let decoded = match message.decode() {
            Ok(decoded) => decoded,
            Err(err) => {
                singles.push(undecodable(&message, err.to_string()));
                continue;
            }
        };
        let tpdu = decoded.value.tpdu;
        let Some((key, seq)) = MessageKey::of_tpdu(&tpdu).filter(|_| !matches!(tpdu, Tpdu::StatusReport(_)))
        else {
            singles.push(single(&message, &tpdu));
            continue;
        };
        if !keys.contains(&key) {
            keys.push(key.clone());
        }
        match reassembler.push(key.clone(), seq, (message, tpdu)) {
            Outcome::Complete(parts) => {
                let message = join(&key, parts);
                joined.push((key, message));
            }
            Outcome::Pending { .. } => {}
            Outcome::Duplicate((message, _)) => duplicates.push((key, message.index)),
            Outcome::Invalid((message, tpdu)) => {
                let mut single = single(&message, &tpdu);
                single
                    .warnings
                    .push(format!("part {seq} of {} is not a valid part number", key.total));
                singles.push(single);
            }
        }
    }
    for key in &keys {
        if let Some(held) = reassembler.take(key) {
            let held_numbers: Vec<u8> = held.iter().map(|(seq, _)| *seq).collect();
            let mut message = join(key, held.into_iter().map(|(_, part)| part).collect());
            message.parts = Some(Parts {
                total: key.total,
                missing: (1..=key.total)
                    .filter(|seq| !held_numbers.contains(seq))
                    .collect(),
            });
            joined.push((key.clone(), message));
        }
    }
    // A second copy of a part is not shown, but it is in the storage, so
    // its index goes with its message (and is deleted with it).
    for (key, index) in duplicates {
        let Some((_, message)) = joined.iter_mut().find(|(joined_key, _)| *joined_key == key) else {
            continue;
        };
        message.indexes.push(index);
        message
            .warnings
            .push(format!("index {index} repeats a part of this message"));
    }
    let mut all: Vec<InboxMessage> = singles
        .into_iter()
        .chain(joined.into_iter().map(|(_, message)| message))
        .collect();
    all.sort_by_key(|message| message.indexes.iter().copied().min().unwrap_or(u32::MAX));
    all
}

/// One stored message on its own, without joining.
pub fn single_message(message: &StoredMessage) -> InboxMessage {
    match message.decode() {
        Ok(decoded) => {
            let tpdu = decoded.value.tpdu;
            let mut single = single(message, &tpdu);
            if let Some((key, seq)) = MessageKey::of_tpdu(&tpdu) {
                single.parts = Some(Parts {
                    total: key.total,
                    missing: (1..=key.total).filter(|&other| other != seq).collect(),
                });
            }
            single
        }
        Err(err) => undecodable(message, err.to_string()),
    }
}

fn undecodable(message: &StoredMessage, error: String) -> InboxMessage {
    InboxMessage {
        indexes: vec![message.index],
        status: message.status,
        kind: if message.status.is_received() {
            MessageKind::Deliver
        } else {
            MessageKind::Submit
        },
        phone: String::new(),
        timestamp: None,
        class: None,
        content: Content::Undecodable(error),
        parts: None,
        warnings: Vec::new(),
    }
}

fn single(message: &StoredMessage, tpdu: &Tpdu) -> InboxMessage {
    let mut warnings = Vec::new();
    let (kind, phone, timestamp, content) = match tpdu {
        Tpdu::Deliver(deliver) => (
            MessageKind::Deliver,
            deliver.originator.to_string(),
            Some(deliver.scts),
            payload(tpdu, &mut warnings),
        ),
        Tpdu::Submit(submit) => (
            MessageKind::Submit,
            submit.destination.to_string(),
            None,
            payload(tpdu, &mut warnings),
        ),
        Tpdu::StatusReport(report) => (
            MessageKind::StatusReport,
            report.recipient.to_string(),
            Some(report.scts),
            Content::Report {
                reference: report.message_reference,
                status: report.status,
            },
        ),
    };
    InboxMessage {
        indexes: vec![message.index],
        status: message.status,
        kind,
        phone,
        timestamp,
        class: tpdu.user_data().and_then(|(_, dcs)| dcs.class()),
        content,
        parts: None,
        warnings,
    }
}

/// One message of `parts`, given in part order; never empty.
fn join(key: &MessageKey, parts: Vec<(StoredMessage, Tpdu)>) -> InboxMessage {
    let mut joined: Option<InboxMessage> = None;
    for (message, tpdu) in parts {
        let part = single(&message, &tpdu);
        match &mut joined {
            None => joined = Some(part),
            Some(whole) => {
                whole.indexes.push(message.index);
                whole.warnings.extend(part.warnings);
                match (&mut whole.content, part.content) {
                    (Content::Text(text), Content::Text(more)) => text.push_str(&more),
                    (Content::Data(data), Content::Data(more)) => data.extend_from_slice(&more),
                    _ => whole.warnings.push(format!(
                        "index {}: a part in another alphabet, left out",
                        message.index
                    )),
                }
            }
        }
    }
    let mut whole = joined.unwrap_or_else(|| InboxMessage {
        indexes: Vec::new(),
        status: MessageStatus::RECEIVED_UNREAD,
        kind: MessageKind::Deliver,
        phone: key.originator.clone(),
        timestamp: None,
        class: None,
        content: Content::Text(String::new()),
        parts: None,
        warnings: Vec::new(),
    });
    whole.parts = Some(Parts {
        total: key.total,
        missing: Vec::new(),
    });
    whole
}

fn payload(tpdu: &Tpdu, warnings: &mut Vec<String>) -> Content {
    let Some((user_data, dcs)) = tpdu.user_data() else {
        return Content::Text(String::new());
    };
    if let Some((text, notes)) = user_data.text(dcs) {
        warnings.extend(notes);
        return Content::Text(text);
    }
    Content::Data(user_data.octets().unwrap_or_default().to_vec())
}

#[cfg(test)]
mod tests {
    use at::parse::MessageStatus;
    use modem_sim::{InjectedText, TextEncoding};

    use super::*;

    fn scts() -> Timestamp {
        Timestamp {
            year: 26,
            month: 11,
            day: 21,
            hour: 19,
            minute: 6,
            second: 2,
            tz_quarters: 12,
        }
    }

    fn parts(from: &str, text: &str, reference: u8) -> Vec<Vec<u8>> {
        InjectedText {
            from: from.to_owned(),
            text: text.to_owned(),
            encoding: TextEncoding::Auto,
            class0: false,
            reference,
        }
        .deliver_pdus("+15555550000", scts())
        .unwrap()
    }

    fn stored(index: u32, pdu: &[u8]) -> StoredMessage {
        StoredMessage {
            index,
            status: MessageStatus::RECEIVED_READ,
            alpha: None,
            length: (pdu.len() - 1 - usize::from(pdu[0])) as u16,
            pdu: pdu.to_vec(),
        }
    }

    #[test]
    fn parts_are_joined_in_order_whatever_the_storage_order() {
        let long = "long message ".repeat(20);
        let pdus = parts("+37120000000", &long, 9);
        assert_eq!(pdus.len(), 2);
        let single = parts("+37120000001", "hi", 10);
        let inbox = assemble(vec![
            stored(1, &pdus[1]),
            stored(2, &single[0]),
            stored(5, &pdus[0]),
        ]);
        assert_eq!(inbox.len(), 2);
        assert_eq!(inbox[0].indexes, [5, 1]);
        assert_eq!(inbox[0].content, Content::Text(long));
        assert_eq!(inbox[0].phone, "+37120000000");
        assert_eq!(inbox[0].timestamp, Some(scts()));
        assert_eq!(
            inbox[0].parts,
            Some(Parts {
                total: 2,
                missing: Vec::new()
            })
        );
        assert_eq!(inbox[1].indexes, [2]);
        assert_eq!(inbox[1].content, Content::Text("hi".to_owned()));
        assert_eq!(inbox[1].parts, None);
    }

    #[test]
    fn missing_and_repeated_parts() {
        let pdus = parts("+37120000000", &"y".repeat(400), 3);
        assert_eq!(pdus.len(), 3);
        let inbox = assemble(vec![
            stored(1, &pdus[2]),
            stored(2, &pdus[0]),
            stored(3, &pdus[0]),
        ]);
        assert_eq!(inbox.len(), 1, "{inbox:#?}");
        let message = &inbox[0];
        assert_eq!(message.indexes, [2, 1, 3]);
        assert_eq!(
            message.parts,
            Some(Parts {
                total: 3,
                missing: vec![2]
            })
        );
        assert_eq!(message.warnings, ["index 3 repeats a part of this message"]);
    }

    #[test]
    fn reports_and_undecodable_pdus_stand_alone() {
        // The routed +CDS of smsd's lab capture.
        let report =
            sms_pdu::decode_hex("07915155550500F006010D91947112325476F8621112912023006211129120230000")
                .unwrap();
        let inbox = assemble(vec![stored(4, &report), stored(2, &[0x00, 0x04])]);
        assert_eq!(inbox.len(), 2);
        assert!(matches!(inbox[0].content, Content::Undecodable(_)), "{inbox:#?}");
        assert_eq!(inbox[1].kind, MessageKind::StatusReport);
        assert_eq!(inbox[1].phone, "+4917212345678");
        assert_eq!(
            inbox[1].content,
            Content::Report {
                reference: 1,
                status: Status(0)
            }
        );
    }

    #[test]
    fn a_single_part_read_on_its_own_names_the_others_missing() {
        let pdus = parts("+37120000000", &"z".repeat(200), 4);
        let message = single_message(&stored(7, &pdus[1]));
        assert_eq!(
            message.parts,
            Some(Parts {
                total: 2,
                missing: vec![1]
            })
        );
    }
}
