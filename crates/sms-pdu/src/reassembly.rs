//! Putting the parts of a concatenated message together, without I/O or
//! clocks: the caller feeds parts as they arrive and decides when an
//! incomplete message has waited long enough ([`Reassembler::take`]).
//!
//! Parts are grouped by originator, reference, reference width and total
//! (TS 23.040 9.2.3.24.1): two messages from one sender that happen to share
//! a reference but differ in their number of parts stay apart.

use std::collections::HashMap;

use crate::address::Address;
use crate::tpdu::{Deliver, Tpdu};
use crate::udh::ConcatInfo;

/// What identifies the parts of one concatenated message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKey {
    /// The sender, as printed (`+` for international numbers).
    pub originator: String,
    /// The concatenation reference.
    pub reference: u16,
    /// Whether the reference is 16-bit.
    pub wide_reference: bool,
    /// The number of parts.
    pub total: u8,
}

impl MessageKey {
    /// The key of a part from `originator` with concatenation info `concat`.
    pub fn new(originator: &Address, concat: &ConcatInfo) -> MessageKey {
        MessageKey {
            originator: originator.to_string(),
            reference: concat.reference,
            wide_reference: concat.wide_reference,
            total: concat.total,
        }
    }

    /// The key and part number of a received SMS-DELIVER, if it is a part
    /// of a concatenated message.
    pub fn of_deliver(deliver: &Deliver) -> Option<(MessageKey, u8)> {
        let concat = deliver.user_data.header.as_ref()?.concat()?;
        Some((MessageKey::new(&deliver.originator, &concat), concat.seq))
    }

    /// The key and part number of any TPDU that is a part of a concatenated
    /// message: a DELIVER is keyed by its originator, a SUBMIT (as the
    /// simulator sees them) by its destination.
    pub fn of_tpdu(tpdu: &Tpdu) -> Option<(MessageKey, u8)> {
        let address = match tpdu {
            Tpdu::Deliver(deliver) => &deliver.originator,
            Tpdu::Submit(submit) => &submit.destination,
            Tpdu::StatusReport(report) => &report.recipient,
        };
        let (user_data, _) = tpdu.user_data()?;
        let concat = user_data.header.as_ref()?.concat()?;
        Some((MessageKey::new(address, &concat), concat.seq))
    }
}

/// What became of a part fed to the reassembler.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<P> {
    /// That was the last missing part: all parts, in order.
    Complete(Vec<P>),
    /// More parts are awaited.
    Pending {
        /// How many distinct parts are held.
        received: usize,
        /// How many there will be.
        total: u8,
    },
    /// A part with this number is already held; the new copy is handed
    /// back.
    Duplicate(P),
    /// The part number is 0 or above the total (or the total is 0); the part
    /// is handed back, to be treated as a message on its own.
    Invalid(P),
}

/// Collects parts until messages are complete.
///
/// A completed message is forgotten: a copy of one of its parts arriving
/// later starts a new pending message. Callers that must recognise such late
/// duplicates (the daemon does) remember completed keys themselves, for as
/// long as they choose.
#[derive(Debug)]
pub struct Reassembler<P> {
    pending: HashMap<MessageKey, Vec<Option<P>>>,
}

impl<P> Default for Reassembler<P> {
    fn default() -> Self {
        Reassembler {
            pending: HashMap::new(),
        }
    }
}

impl<P> Reassembler<P> {
    /// An empty reassembler.
    pub fn new() -> Reassembler<P> {
        Reassembler::default()
    }

    /// Feeds part number `seq` (from 1) of the message `key`.
    pub fn push(&mut self, key: MessageKey, seq: u8, part: P) -> Outcome<P> {
        let total = key.total;
        if seq == 0 || seq > total {
            return Outcome::Invalid(part);
        }
        let slots = self
            .pending
            .entry(key.clone())
            .or_insert_with(|| (0..total).map(|_| None).collect());
        let slot = &mut slots[usize::from(seq - 1)];
        if slot.is_some() {
            return Outcome::Duplicate(part);
        }
        *slot = Some(part);
        let received = slots.iter().filter(|slot| slot.is_some()).count();
        if received < usize::from(total) {
            return Outcome::Pending { received, total };
        }
        let slots = self.pending.remove(&key).unwrap_or_default();
        Outcome::Complete(slots.into_iter().flatten().collect())
    }

    /// The messages still waiting for parts, with the numbers held.
    pub fn pending(&self) -> impl Iterator<Item = (&MessageKey, Vec<u8>)> + '_ {
        self.pending.iter().map(|(key, slots)| {
            let held = slots
                .iter()
                .enumerate()
                .filter(|(_, slot)| slot.is_some())
                .map(|(slot_idx, _)| slot_idx as u8 + 1)
                .collect();
            (key, held)
        })
    }

    /// Removes an incomplete message, giving back the parts held with
    /// their numbers; for when the caller's timeout has passed.
    pub fn take(&mut self, key: &MessageKey) -> Option<Vec<(u8, P)>> {
        let slots = self.pending.remove(key)?;
        Some(
            slots
                .into_iter()
                .enumerate()
                .filter_map(|(slot_idx, slot)| slot.map(|part| (slot_idx as u8 + 1, part)))
                .collect(),
        )
    }

    /// Number of incomplete messages held.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no incomplete message is held.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(total: u8) -> MessageKey {
        MessageKey {
            originator: "+4917212345678".to_owned(),
            reference: 7,
            wide_reference: false,
            total,
        }
    }

    #[test]
    fn any_order_with_duplicates() {
        let mut reassembler = Reassembler::new();
        assert_eq!(
            reassembler.push(key(3), 3, "c"),
            Outcome::Pending {
                received: 1,
                total: 3
            }
        );
        assert_eq!(
            reassembler.push(key(3), 1, "a"),
            Outcome::Pending {
                received: 2,
                total: 3
            }
        );
        assert_eq!(reassembler.push(key(3), 3, "c2"), Outcome::Duplicate("c2"));
        assert_eq!(reassembler.len(), 1);
        assert_eq!(
            reassembler.push(key(3), 2, "b"),
            Outcome::Complete(vec!["a", "b", "c"])
        );
        assert!(reassembler.is_empty());
    }

    #[test]
    fn keys_keep_messages_apart() {
        let mut reassembler = Reassembler::new();
        reassembler.push(key(2), 1, "two-1");
        reassembler.push(key(3), 1, "three-1");
        let mut other_sender = key(2);
        other_sender.originator = "+4917299999999".to_owned();
        reassembler.push(other_sender, 2, "other-2");
        let mut wide = key(2);
        wide.wide_reference = true;
        reassembler.push(wide, 2, "wide-2");
        assert_eq!(reassembler.len(), 4);
        assert_eq!(
            reassembler.push(key(2), 2, "two-2"),
            Outcome::Complete(vec!["two-1", "two-2"])
        );
    }

    #[test]
    fn invalid_numbers_and_timeouts() {
        let mut reassembler = Reassembler::new();
        assert_eq!(reassembler.push(key(2), 0, "x"), Outcome::Invalid("x"));
        assert_eq!(reassembler.push(key(2), 3, "y"), Outcome::Invalid("y"));
        assert_eq!(reassembler.push(key(0), 1, "z"), Outcome::Invalid("z"));
        assert_eq!(
            reassembler.push(key(1), 1, "single"),
            Outcome::Complete(vec!["single"])
        );
        reassembler.push(key(3), 2, "b");
        let pending: Vec<_> = reassembler
            .pending()
            .map(|(key, held)| (key.total, held))
            .collect();
        assert_eq!(pending, vec![(3, vec![2])]);
        assert_eq!(reassembler.take(&key(3)), Some(vec![(2, "b")]));
        assert_eq!(reassembler.take(&key(3)), None);
    }
}
