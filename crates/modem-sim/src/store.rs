//! The message stores of a modem: the SIM (`"SM"`) and the phone (`"ME"`),
//! each a fixed number of 1-based slots holding a PDU and its status
//! (3GPP TS 27.005 3.1: `<stat>`, `<index>`, `<mem>`).
//!
//! The stores are separate on purpose: gammu lists both memories and
//! shows a message found in both twice (locations 1 and 100001).

use std::fmt;

/// A message memory (`<mem1>`-`<mem3>` of `AT+CPMS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Storage {
    /// `"SM"`, the SIM.
    Sm,
    /// `"ME"`, the phone.
    Me,
}

impl Storage {
    /// The name in AT commands.
    pub fn name(self) -> &'static str {
        match self {
            Storage::Sm => "SM",
            Storage::Me => "ME",
        }
    }

    /// The storage named `name` (case-insensitive), if the modem has it.
    pub fn from_name(name: &str) -> Option<Storage> {
        if name.eq_ignore_ascii_case("SM") {
            Some(Storage::Sm)
        } else if name.eq_ignore_ascii_case("ME") {
            Some(Storage::Me)
        } else {
            None
        }
    }
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `<stat>` of a stored message in PDU mode (TS 27.005 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageStat {
    /// 0, "REC UNREAD": received, not yet read.
    ReceivedUnread = 0,
    /// 1, "REC READ".
    ReceivedRead = 1,
    /// 2, "STO UNSENT".
    StoredUnsent = 2,
    /// 3, "STO SENT".
    StoredSent = 3,
}

impl MessageStat {
    /// The number in PDU mode.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The name in text mode.
    pub fn text(self) -> &'static str {
        match self {
            MessageStat::ReceivedUnread => "REC UNREAD",
            MessageStat::ReceivedRead => "REC READ",
            MessageStat::StoredUnsent => "STO UNSENT",
            MessageStat::StoredSent => "STO SENT",
        }
    }
}

/// Which messages `AT+CMGL` lists: one status, or all (4, "ALL").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatFilter {
    /// Messages with this status.
    Only(MessageStat),
    /// Every message.
    All,
}

impl StatFilter {
    /// The filter for a PDU-mode `<stat>` (0-4).
    pub fn from_code(code: u32) -> Option<StatFilter> {
        Some(match code {
            0 => StatFilter::Only(MessageStat::ReceivedUnread),
            1 => StatFilter::Only(MessageStat::ReceivedRead),
            2 => StatFilter::Only(MessageStat::StoredUnsent),
            3 => StatFilter::Only(MessageStat::StoredSent),
            4 => StatFilter::All,
            _ => return None,
        })
    }

    /// The filter for a text-mode `<stat>` (`"REC UNREAD"` ... `"ALL"`).
    pub fn from_text(text: &str) -> Option<StatFilter> {
        [0, 1, 2, 3, 4]
            .into_iter()
            .filter_map(StatFilter::from_code)
            .find(|filter| filter.text().eq_ignore_ascii_case(text))
    }

    /// The text-mode name.
    pub fn text(self) -> &'static str {
        match self {
            StatFilter::Only(stat) => stat.text(),
            StatFilter::All => "ALL",
        }
    }

    fn matches(self, stat: MessageStat) -> bool {
        match self {
            StatFilter::Only(wanted) => wanted == stat,
            StatFilter::All => true,
        }
    }
}

/// One occupied slot: a PDU as modems print it (SMSC address first) and
/// its status.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoredMessage {
    /// The status.
    pub stat: MessageStat,
    /// The octets, SMSC address included.
    pub pdu: Vec<u8>,
}

impl StoredMessage {
    /// The `<length>` of `+CMGR`/`+CMGL`: TPDU octets, without the SMSC
    /// address.
    pub fn tpdu_len(&self) -> usize {
        tpdu_len(&self.pdu)
    }
}

/// The TPDU octets of a PDU that starts with its SMSC address.
pub(crate) fn tpdu_len(pdu: &[u8]) -> usize {
    let smsc_len = pdu.first().map_or(0, |&len| 1 + usize::from(len));
    pdu.len().saturating_sub(smsc_len)
}

/// Why a store refused an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Every slot is taken.
    #[error("memory full ({capacity} slots)")]
    Full {
        /// The number of slots.
        capacity: usize,
    },
    /// The index is 0 or beyond the last slot.
    #[error("invalid memory index {index}: the slots are 1-{capacity}")]
    InvalidIndex {
        /// The index asked for.
        index: usize,
        /// The number of slots.
        capacity: usize,
    },
}

/// What `AT+CMGD=<index>,<delflag>` removes (TS 27.005 3.5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteFlag {
    /// 0: the message at the index.
    Index,
    /// 1: all read messages.
    Read,
    /// 2: all read and sent messages.
    ReadAndSent,
    /// 3: all read, sent and unsent messages: everything but unread ones.
    ReadSentAndUnsent,
    /// 4: everything.
    All,
}

impl DeleteFlag {
    /// The flag for `<delflag>` 0-4.
    pub fn from_code(code: u32) -> Option<DeleteFlag> {
        Some(match code {
            0 => DeleteFlag::Index,
            1 => DeleteFlag::Read,
            2 => DeleteFlag::ReadAndSent,
            3 => DeleteFlag::ReadSentAndUnsent,
            4 => DeleteFlag::All,
            _ => return None,
        })
    }

    fn removes(self, stat: MessageStat) -> bool {
        match self {
            DeleteFlag::Index => false,
            DeleteFlag::Read => stat == MessageStat::ReceivedRead,
            DeleteFlag::ReadAndSent => matches!(stat, MessageStat::ReceivedRead | MessageStat::StoredSent),
            DeleteFlag::ReadSentAndUnsent => stat != MessageStat::ReceivedUnread,
            DeleteFlag::All => true,
        }
    }
}

/// One memory: `capacity` slots numbered from 1.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MessageStore {
    slots: Vec<Option<StoredMessage>>,
}

impl MessageStore {
    /// An empty store with `capacity` slots.
    pub fn new(capacity: usize) -> MessageStore {
        MessageStore {
            slots: vec![None; capacity],
        }
    }

    /// The number of slots (`<total>` of `+CPMS`).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The number of occupied slots (`<used>` of `+CPMS`).
    pub fn used(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_some()).count()
    }

    /// Whether no slot is free.
    pub fn is_full(&self) -> bool {
        self.slots.iter().all(Option::is_some)
    }

    /// The message at `index`, if the slot exists and is occupied.
    pub fn get(&self, index: usize) -> Option<&StoredMessage> {
        self.slots.get(index.checked_sub(1)?)?.as_ref()
    }

    /// The occupied slots in index order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &StoredMessage)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot_idx, slot)| Some((slot_idx + 1, slot.as_ref()?)))
    }

    /// Puts `message` into the lowest free slot and returns its index, as
    /// modems do: a deleted slot is reused before higher ones.
    pub fn insert(&mut self, message: StoredMessage) -> Result<usize, StoreError> {
        let capacity = self.capacity();
        let slot_idx = self
            .slots
            .iter()
            .position(Option::is_none)
            .ok_or(StoreError::Full { capacity })?;
        self.slots[slot_idx] = Some(message);
        Ok(slot_idx + 1)
    }

    /// Reads the message at `index` as `AT+CMGR` does: the copy returned
    /// has the status from before the read, and an unread message becomes
    /// read. `Ok(None)` for an empty slot.
    pub fn read(&mut self, index: usize) -> Result<Option<StoredMessage>, StoreError> {
        let slot = self.slot_mut(index)?;
        let Some(message) = slot else {
            return Ok(None);
        };
        let copy = message.clone();
        if message.stat == MessageStat::ReceivedUnread {
            message.stat = MessageStat::ReceivedRead;
        }
        Ok(Some(copy))
    }

    /// Lists the messages `filter` selects as `AT+CMGL` does: with the
    /// statuses from before the listing, then marks the unread ones read.
    pub fn list(&mut self, filter: StatFilter) -> Vec<(usize, StoredMessage)> {
        let mut listed = Vec::new();
        for (slot_idx, slot) in self.slots.iter_mut().enumerate() {
            let Some(message) = slot else { continue };
            if !filter.matches(message.stat) {
                continue;
            }
            listed.push((slot_idx + 1, message.clone()));
            if message.stat == MessageStat::ReceivedUnread {
                message.stat = MessageStat::ReceivedRead;
            }
        }
        listed
    }

    /// Empties slot `index`; emptying an empty slot is not an error, as on
    /// most modems. Returns the message that was there.
    pub fn delete(&mut self, index: usize) -> Result<Option<StoredMessage>, StoreError> {
        Ok(self.slot_mut(index)?.take())
    }

    /// `AT+CMGD` with a `<delflag>`: for [`DeleteFlag::Index`] the slot
    /// `index`, otherwise every message the flag names (the index is then
    /// ignored, as TS 27.005 says). Returns how many messages went.
    pub fn delete_with_flag(&mut self, index: usize, flag: DeleteFlag) -> Result<usize, StoreError> {
        if flag == DeleteFlag::Index {
            return Ok(usize::from(self.delete(index)?.is_some()));
        }
        let mut n_deleted = 0;
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|message| flag.removes(message.stat)) {
                *slot = None;
                n_deleted += 1;
            }
        }
        Ok(n_deleted)
    }

    fn slot_mut(&mut self, index: usize) -> Result<&mut Option<StoredMessage>, StoreError> {
        let capacity = self.capacity();
        index
            .checked_sub(1)
            .and_then(|slot_idx| self.slots.get_mut(slot_idx))
            .ok_or(StoreError::InvalidIndex { index, capacity })
    }
}

/// Both memories of a modem.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stores {
    /// `"SM"`, the SIM.
    pub sm: MessageStore,
    /// `"ME"`, the phone.
    pub me: MessageStore,
}

impl Stores {
    /// Empty stores of the given sizes.
    pub fn new(sm_capacity: usize, me_capacity: usize) -> Stores {
        Stores {
            sm: MessageStore::new(sm_capacity),
            me: MessageStore::new(me_capacity),
        }
    }

    /// The store called `storage`.
    pub fn get(&self, storage: Storage) -> &MessageStore {
        match storage {
            Storage::Sm => &self.sm,
            Storage::Me => &self.me,
        }
    }

    /// The store called `storage`, to change.
    pub fn get_mut(&mut self, storage: Storage) -> &mut MessageStore {
        match storage {
            Storage::Sm => &mut self.sm,
            Storage::Me => &mut self.me,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(stat: MessageStat) -> StoredMessage {
        // SMSC address 07915155550500F0 (8 octets) and a 3-octet "TPDU".
        let mut pdu = sms_pdu::decode_hex("07915155550500F0").unwrap();
        pdu.extend([0x04, 0x00, 0x00]);
        StoredMessage { stat, pdu }
    }

    #[test]
    fn insert_fills_the_lowest_free_slot() {
        let mut store = MessageStore::new(3);
        assert_eq!(store.insert(message(MessageStat::ReceivedUnread)), Ok(1));
        assert_eq!(store.insert(message(MessageStat::ReceivedUnread)), Ok(2));
        store.delete(1).unwrap();
        assert_eq!(store.insert(message(MessageStat::ReceivedUnread)), Ok(1));
        assert_eq!(store.insert(message(MessageStat::ReceivedUnread)), Ok(3));
        assert_eq!(
            store.insert(message(MessageStat::ReceivedUnread)),
            Err(StoreError::Full { capacity: 3 })
        );
        assert_eq!(store.used(), 3);
        assert!(store.is_full());
    }

    #[test]
    fn read_and_list_mark_unread_messages_read_after_showing_them() {
        let mut store = MessageStore::new(2);
        store.insert(message(MessageStat::ReceivedUnread)).unwrap();
        store.insert(message(MessageStat::ReceivedUnread)).unwrap();
        let shown = store.read(1).unwrap().unwrap();
        assert_eq!(shown.stat, MessageStat::ReceivedUnread);
        assert_eq!(store.get(1).unwrap().stat, MessageStat::ReceivedRead);
        let unread = store.list(StatFilter::Only(MessageStat::ReceivedUnread));
        assert_eq!(unread.len(), 1);
        assert_eq!(unread[0].0, 2);
        assert_eq!(unread[0].1.stat, MessageStat::ReceivedUnread);
        assert!(store
            .list(StatFilter::Only(MessageStat::ReceivedUnread))
            .is_empty());
        assert_eq!(store.list(StatFilter::All).len(), 2);
    }

    #[test]
    fn indexes_outside_the_slots_are_errors_but_empty_slots_are_not() {
        let mut store = MessageStore::new(2);
        assert_eq!(store.read(2), Ok(None));
        assert_eq!(store.delete(2), Ok(None));
        for index in [0, 3] {
            assert_eq!(
                store.read(index),
                Err(StoreError::InvalidIndex { index, capacity: 2 })
            );
        }
        assert_eq!(store.get(0), None);
    }

    #[test]
    fn delete_flags_follow_ts_27_005() {
        let stats = [
            MessageStat::ReceivedUnread,
            MessageStat::ReceivedRead,
            MessageStat::StoredUnsent,
            MessageStat::StoredSent,
        ];
        let remaining = |flag: DeleteFlag| {
            let mut store = MessageStore::new(4);
            for stat in stats {
                store.insert(message(stat)).unwrap();
            }
            store.delete_with_flag(1, flag).unwrap();
            store
                .iter()
                .map(|(_, message)| message.stat.code())
                .collect::<Vec<_>>()
        };
        assert_eq!(remaining(DeleteFlag::Index), vec![1, 2, 3]);
        assert_eq!(remaining(DeleteFlag::Read), vec![0, 2, 3]);
        assert_eq!(remaining(DeleteFlag::ReadAndSent), vec![0, 2]);
        assert_eq!(remaining(DeleteFlag::ReadSentAndUnsent), vec![0]);
        assert_eq!(remaining(DeleteFlag::All), Vec::<u8>::new());
    }

    #[test]
    fn length_excludes_the_smsc_address() {
        assert_eq!(message(MessageStat::ReceivedRead).tpdu_len(), 3);
        let bare = StoredMessage {
            stat: MessageStat::ReceivedRead,
            pdu: vec![0x00, 0x04],
        };
        assert_eq!(bare.tpdu_len(), 1);
    }

    #[test]
    fn stat_names() {
        assert_eq!(StatFilter::from_text("rec unread"), StatFilter::from_code(0));
        assert_eq!(StatFilter::from_text("ALL"), Some(StatFilter::All));
        assert_eq!(StatFilter::from_text("NEW"), None);
        assert_eq!(Storage::from_name("me"), Some(Storage::Me));
        assert_eq!(Storage::from_name("SR"), None);
    }
}
