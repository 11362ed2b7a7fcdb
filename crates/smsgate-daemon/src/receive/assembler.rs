//! The receive policy, pure: which held part belongs to which message,
//! when a message is written, when a storage slot may be deleted. The
//! receive task ([`Receiver`](crate::receive::Receiver)) is the
//! shell: it feeds [`Input`]s with the time, carries out the [`Action`]s
//! from [`Assembler::poll_action`] one at a time, and feeds each one's
//! result back before the next input.
//!
//! The invariants it keeps:
//! - a storage slot is deleted only once the PDU read from it is durable
//!   in the store ([`Action::DeleteSlot`] follows [`Input::Held`] `ok`);
//! - a message is written only once none of its PDUs can still be in the
//!   modem (read again after it is written and forgotten, one would look
//!   new), and its parts are released only once it is written;
//! - each stored message is one received message: a PDU is a duplicate
//!   only when it is the same slot read again while the held copy is still
//!   in it. Two equal messages in two slots are two (issue 11, item 7);
//! - a routed PDU (`+CMT`, `+CDS`) is acknowledged only once it is
//!   durable ([`Action::Acknowledge`]); one not acknowledged comes again;
//! - a part whose number is held already in the open message of its key
//!   (8-bit references wrap) starts a new message; the held one takes no
//!   more parts, even when the new part could not be kept, and is written,
//!   incomplete, when its time comes (item 8);
//! - a failed store write frees nothing: a part not held stays in the
//!   modem (read again later; what the failed write may have left is
//!   discarded), a message not written keeps its parts, and is tried
//!   again at the next [`Input::Tick`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use sms_pdu::reassembly::MessageKey;
use sms_pdu::{Decoded, Pdu, Tpdu};

use crate::receive_store::{Held, HeldPart, Kind, MessageId};

/// What the shell tells the assembler.
#[derive(Debug)]
pub(crate) enum Input {
    /// `pdu` was read from storage `slot` (`None`: routed to us, `+CMT`
    /// or `+CDS`). `fresh_id` names the message if it starts one: no
    /// held message ([`Assembler::id_in_use`]) nor written one has it.
    Read {
        slot: Option<u32>,
        pdu: Vec<u8>,
        fresh_id: MessageId,
    },
    /// The store kept (or failed to keep) the part of [`Action::Hold`].
    Held { id: MessageId, seq: u8, ok: bool },
    /// The modem deleted (or failed to delete) the slot of
    /// [`Action::DeleteSlot`].
    SlotDeleted { id: MessageId, seq: u8, ok: bool },
    /// The store wrote (or failed to write) the message of
    /// [`Action::Write`].
    Written { id: MessageId, ok: bool },
    /// The store released (or failed to release) the parts of
    /// [`Action::Release`].
    Released { id: MessageId, ok: bool },
    /// A listing of the whole storage begins: the [`Input::Read`]s up to
    /// [`Input::ListingDone`] are everything the modem has.
    ListingStarted,
    /// The listing is over: a held part it did not find is not in the
    /// modem any more.
    ListingDone,
    /// Time to write what is ready (after reads, and at
    /// [`Assembler::poll_timeout`]).
    Tick,
}

/// What the assembler asks the shell to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Keep part `seq` of message `id` durably; then [`Input::Held`].
    Hold { id: MessageId, seq: u8, part: HeldPart },
    /// Delete storage slot `slot`, which held part `seq` of `id` (durable
    /// now); then [`Input::SlotDeleted`].
    DeleteSlot { id: MessageId, seq: u8, slot: u32 },
    /// Write this message, complete or waited for long enough; then
    /// [`Input::Written`].
    Write(Ready),
    /// Release the parts `seqs` of message `id`, which is written; then
    /// [`Input::Released`].
    Release { id: MessageId, seqs: Vec<u8> },
    /// Acknowledge the routed PDU (`+CMT`, `+CDS`) held as part `seq` of
    /// `id`, durable now (`AT+CNMA`). One not acknowledged is delivered
    /// again by the network.
    Acknowledge { id: MessageId, seq: u8 },
    /// Remove part `seq` of `id`, whose [`Action::Hold`] failed but may
    /// have left it in the store anyway (an error after the data was
    /// written): read again, the PDU is held afresh, and a leftover would
    /// become a second message at the next start. No result is fed back.
    Discard { id: MessageId, seq: u8 },
    /// Part `seq`, now held as message `id`, has a number held already by
    /// another message of its key (8-bit references wrap): they are kept
    /// apart. For the log; no result is fed back.
    KeptApart { id: MessageId, seq: u8 },
}

/// A message ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ready {
    pub(crate) id: MessageId,
    pub(crate) kind: Kind,
    /// By part number.
    pub(crate) parts: Vec<ReadyPart>,
}

/// A part of a [`Ready`] message, decoded (once, when it was read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReadyPart {
    pub(crate) seq: u8,
    pub(crate) held: HeldPart,
    /// The codec's reading, or why it could not read it.
    pub(crate) decoded: Result<Decoded<Pdu>, String>,
}

/// One held PDU.
#[derive(Clone, Debug)]
struct Part {
    held: HeldPart,
    decoded: Result<Decoded<Pdu>, String>,
    /// Whether a copy may still be in the modem's storage: after a
    /// restart every held PDU may be, until a listing tells.
    on_modem: bool,
}

/// A message whose parts are held.
#[derive(Debug)]
struct Message {
    kind: Kind,
    /// Its concatenation key; `None` for a message on its own.
    key: Option<MessageKey>,
    /// The number of parts it has (1 for a message on its own).
    total: u8,
    parts: BTreeMap<u8, Part>,
    /// Its file is written: only its parts are left to release.
    written: bool,
    /// A write or release of it is under way (not asked for again).
    busy: bool,
}

impl Message {
    fn off_modem(&self) -> bool {
        self.parts.values().all(|part| !part.on_modem)
    }

    fn complete(&self) -> bool {
        (1..=self.total).all(|seq| self.parts.contains_key(&seq))
    }

    fn first_arrival(&self) -> u64 {
        self.parts
            .values()
            .map(|part| part.held.arrived_unix)
            .min()
            .unwrap_or(0)
    }

    fn last_arrival(&self) -> u64 {
        self.parts
            .values()
            .map(|part| part.held.arrived_unix)
            .max()
            .unwrap_or(0)
    }
}

/// A part being made durable.
#[derive(Debug)]
struct PendingHold {
    id: MessageId,
    seq: u8,
    part: Part,
    kind: Kind,
    key: Option<(MessageKey, u8)>,
    /// Its number is held already in the open message of its key.
    collides: bool,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Assembler {
    /// How long an incomplete message waits for its missing parts.
    incomplete_after_s: u64,
    messages: BTreeMap<MessageId, Message>,
    /// The message of each key that new parts of that key join; the other
    /// messages of a key (a part number came twice) take no more parts.
    open: BTreeMap<MessageKey, MessageId>,
    pending: Option<PendingHold>,
    /// Reads that came while a part was being made durable, in order.
    deferred: VecDeque<(Option<u32>, Vec<u8>, MessageId, u64)>,
    /// During a listing: the held parts it found still in the modem.
    listing: Option<BTreeSet<(MessageId, u8)>>,
    actions: VecDeque<Action>,
}

impl Assembler {
    /// An assembler with what the store kept from before: every part may
    /// still be in the modem until a listing tells.
    pub(crate) fn restore(held: Held, incomplete_after_s: u64) -> Assembler {
        let mut assembler = Assembler {
            incomplete_after_s,
            messages: BTreeMap::new(),
            open: BTreeMap::new(),
            pending: None,
            deferred: VecDeque::new(),
            listing: None,
            actions: VecDeque::new(),
        };
        for (id, seq, held_part) in held.parts {
            let decoded = decode(&held_part.pdu);
            let (kind, key) = classify(decoded.as_ref().ok());
            let written = held.written.contains(&id);
            let message = assembler.messages.entry(id).or_insert_with(|| Message {
                kind,
                key: key.as_ref().map(|(key, _)| key.clone()),
                total: key.as_ref().map_or(1, |(key, _)| key.total),
                parts: BTreeMap::new(),
                written,
                busy: false,
            });
            message.parts.insert(
                seq,
                Part {
                    held: held_part,
                    decoded,
                    on_modem: true,
                },
            );
        }
        // Of two messages of one key, the one whose part came last is the
        // open one, which new parts join (ties: the greater id, as before).
        let mut open: BTreeMap<MessageKey, (u64, MessageId)> = BTreeMap::new();
        for (id, message) in &assembler.messages {
            let Some(key) = &message.key else { continue };
            if message.written {
                continue;
            }
            let latest = message.last_arrival();
            match open.get(key) {
                Some((held_latest, _)) if *held_latest > latest => {}
                _ => {
                    open.insert(key.clone(), (latest, id.clone()));
                }
            }
        }
        assembler.open = open.into_iter().map(|(key, (_, id))| (key, id)).collect();
        assembler
    }

    /// How many messages are held, complete or not.
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether a held message (or one being held) has `id`.
    pub(crate) fn id_in_use(&self, id: &str) -> bool {
        self.messages.contains_key(id)
            || self.pending.as_ref().is_some_and(|pending| pending.id == id)
            || self.deferred.iter().any(|(_, _, fresh, _)| fresh == id)
    }

    /// The next thing to do, if any.
    pub(crate) fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When an incomplete message will have waited long enough to be
    /// written, in seconds since the epoch. A message with a part that may
    /// still be in the modem is not counted: it waits for a listing, not
    /// for the clock (so the shell never wakes in a loop for it).
    pub(crate) fn poll_timeout(&self) -> Option<u64> {
        self.messages
            .values()
            .filter(|message| message.key.is_some() && !message.written && !message.busy)
            .filter(|message| message.off_modem() && !message.complete())
            .map(|message| message.first_arrival().saturating_add(self.incomplete_after_s))
            .min()
    }

    /// Takes in `input` at `now_unix`; what follows is in
    /// [`Assembler::poll_action`].
    pub(crate) fn handle(&mut self, input: Input, now_unix: u64) {
        match input {
            Input::Read { slot, pdu, fresh_id } => {
                if self.pending.is_some() {
                    self.deferred.push_back((slot, pdu, fresh_id, now_unix));
                } else {
                    self.read(slot, pdu, fresh_id, now_unix);
                }
            }
            Input::Held { id, seq, ok } => {
                self.held(&id, seq, ok);
                while self.pending.is_none() {
                    let Some((slot, pdu, fresh_id, at)) = self.deferred.pop_front() else {
                        break;
                    };
                    self.read(slot, pdu, fresh_id, at);
                }
            }
            Input::SlotDeleted { id, seq, ok } => {
                if ok {
                    if let Some(part) = self.part_mut(&id, seq) {
                        part.on_modem = false;
                    }
                    if let Some(listing) = &mut self.listing {
                        listing.remove(&(id, seq));
                    }
                }
            }
            Input::Written { id, ok } => self.written(&id, ok),
            Input::Released { id, ok } => {
                if ok {
                    self.forget(&id);
                } else if let Some(message) = self.messages.get_mut(&id) {
                    message.busy = false;
                }
            }
            Input::ListingStarted => self.listing = Some(BTreeSet::new()),
            Input::ListingDone => {
                if let Some(present) = self.listing.take() {
                    for (id, message) in &mut self.messages {
                        for (seq, part) in &mut message.parts {
                            if !present.contains(&(id.clone(), *seq)) {
                                part.on_modem = false;
                            }
                        }
                    }
                }
            }
            Input::Tick => self.tick(now_unix),
        }
    }

    fn read(&mut self, slot: Option<u32>, pdu: Vec<u8>, fresh_id: MessageId, now_unix: u64) {
        let decoded = decode(&pdu);
        if let Ok(Decoded {
            value: Pdu {
                tpdu: Tpdu::Submit(_),
                ..
            },
            ..
        }) = &decoded
        {
            // A message stored to be sent: not ours to take, nor to delete.
            return;
        }
        if let Some((id, seq)) = self.read_again(&pdu, slot) {
            self.still_in_modem(&id, seq);
            if let Some(slot) = slot {
                self.actions.push_back(Action::DeleteSlot { id, seq, slot });
            }
            return;
        }
        let (kind, key) = classify(decoded.as_ref().ok());
        let (id, seq, collides) = match &key {
            Some((key, seq)) => {
                let open = self
                    .open
                    .get(key)
                    .and_then(|id| Some((id, self.messages.get(id)?)));
                let collides = open.is_some_and(|(_, message)| message.parts.contains_key(seq));
                let target = match open {
                    Some((id, _)) if !collides => (id.clone(), *seq, false),
                    _ => (fresh_id, *seq, collides),
                };
                if collides {
                    // Another message of this key has begun, whether its
                    // part is kept now or read again later: the held one
                    // takes no more parts (a sibling of the new one that
                    // comes first must not be glued to it).
                    self.open.remove(key);
                }
                target
            }
            None => (fresh_id, 1, false),
        };
        let held = HeldPart {
            pdu,
            arrived_unix: now_unix,
            slot,
        };
        self.actions.push_back(Action::Hold {
            id: id.clone(),
            seq,
            part: held.clone(),
        });
        self.pending = Some(PendingHold {
            id,
            seq,
            part: Part {
                held,
                decoded,
                on_modem: slot.is_some(),
            },
            kind,
            key,
            collides,
        });
    }

    /// The held part that `pdu` read from `slot` is a second reading of:
    /// the same slot, still holding it.
    fn read_again(&self, pdu: &[u8], slot: Option<u32>) -> Option<(MessageId, u8)> {
        let slot = slot?;
        self.messages.iter().find_map(|(id, message)| {
            let (seq, _) = message
                .parts
                .iter()
                .find(|(_, part)| part.on_modem && part.held.slot == Some(slot) && part.held.pdu == pdu)?;
            Some((id.clone(), *seq))
        })
    }

    fn held(&mut self, id: &str, seq: u8, ok: bool) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        if pending.id != id || pending.seq != seq {
            // Not the part asked for: the shell's mistake; the pending
            // part stays pending.
            self.pending = Some(pending);
            return;
        }
        if !ok {
            // Left in the modem (or, routed, not acknowledged), to be read
            // again: nothing is lost.
            self.actions.push_back(Action::Discard {
                id: pending.id,
                seq: pending.seq,
            });
            return;
        }
        let PendingHold {
            id,
            seq,
            part,
            kind,
            key,
            collides,
        } = pending;
        let slot = part.held.slot;
        match key {
            Some((key, _)) => {
                if collides {
                    self.actions.push_back(Action::KeptApart { id: id.clone(), seq });
                }
                self.open.insert(key.clone(), id.clone());
                self.messages
                    .entry(id.clone())
                    .or_insert_with(|| Message {
                        kind,
                        total: key.total,
                        key: Some(key),
                        parts: BTreeMap::new(),
                        written: false,
                        busy: false,
                    })
                    .parts
                    .insert(seq, part);
            }
            None => {
                self.messages.insert(
                    id.clone(),
                    Message {
                        kind,
                        key: None,
                        total: 1,
                        parts: BTreeMap::from([(seq, part)]),
                        written: false,
                        busy: false,
                    },
                );
            }
        }
        match slot {
            Some(slot) => {
                self.still_in_modem(&id, seq);
                self.actions.push_back(Action::DeleteSlot { id, seq, slot });
            }
            None => self.actions.push_back(Action::Acknowledge { id, seq }),
        }
    }

    /// A listing under way found part `seq` of `id` in the modem.
    fn still_in_modem(&mut self, id: &str, seq: u8) {
        if let Some(listing) = &mut self.listing {
            listing.insert((id.to_owned(), seq));
        }
    }

    fn written(&mut self, id: &str, ok: bool) {
        let Some(message) = self.messages.get_mut(id) else {
            return;
        };
        if !ok {
            // Kept with its parts, tried again at the next tick.
            message.busy = false;
            return;
        }
        message.written = true;
        let seqs = message.parts.keys().copied().collect();
        // A written message takes no more parts, even while its parts are
        // still being released.
        if let Some(key) = &message.key {
            if self.open.get(key).is_some_and(|open| open == id) {
                self.open.remove(key);
            }
        }
        self.actions.push_back(Action::Release {
            id: id.to_owned(),
            seqs,
        });
    }

    fn forget(&mut self, id: &str) {
        if let Some(message) = self.messages.remove(id) {
            if let Some(key) = &message.key {
                if self.open.get(key).is_some_and(|open| open == id) {
                    self.open.remove(key);
                }
            }
        }
    }

    /// Asks for every ready message to be written (or, when it is written
    /// already, for its parts to be released).
    fn tick(&mut self, now_unix: u64) {
        let incomplete_after_s = self.incomplete_after_s;
        for (id, message) in &mut self.messages {
            if message.busy || !is_ready(message, now_unix, incomplete_after_s) {
                continue;
            }
            message.busy = true;
            let action = match message.written {
                true => Action::Release {
                    id: id.clone(),
                    seqs: message.parts.keys().copied().collect(),
                },
                false => Action::Write(Ready {
                    id: id.clone(),
                    kind: message.kind,
                    parts: message
                        .parts
                        .iter()
                        .map(|(seq, part)| ReadyPart {
                            seq: *seq,
                            held: part.held.clone(),
                            decoded: part.decoded.clone(),
                        })
                        .collect(),
                }),
            };
            self.actions.push_back(action);
        }
    }

    fn part_mut(&mut self, id: &str, seq: u8) -> Option<&mut Part> {
        self.messages.get_mut(id)?.parts.get_mut(&seq)
    }
}

/// Complete, or waited long enough; never with a part that may still be
/// in the modem (except a keyed message written already, whose file a
/// restart found: only its parts are left to release).
fn is_ready(message: &Message, now_unix: u64, incomplete_after_s: u64) -> bool {
    if message.key.is_none() {
        return message.off_modem();
    }
    if message.written {
        return true;
    }
    message.off_modem()
        && (message.complete() || now_unix.saturating_sub(message.first_arrival()) >= incomplete_after_s)
}

fn decode(pdu: &[u8]) -> Result<Decoded<Pdu>, String> {
    Pdu::decode(pdu).map_err(|err| err.to_string())
}

/// What a PDU becomes, and for a part of a concatenated message (of more
/// than one part) its key and part number.
fn classify(decoded: Option<&Decoded<Pdu>>) -> (Kind, Option<(MessageKey, u8)>) {
    match decoded.map(|decoded| &decoded.value.tpdu) {
        Some(Tpdu::StatusReport(_)) => (Kind::Report, None),
        Some(Tpdu::Deliver(deliver)) => {
            // A message "in one part" needs no waiting.
            let key = MessageKey::of_deliver(deliver).filter(|(key, _)| key.total > 1);
            (Kind::Message, key)
        }
        _ => (Kind::Message, None),
    }
}

#[cfg(test)]
mod tests;
