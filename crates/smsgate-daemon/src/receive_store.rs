//! Every durable fact of the receive side passes through one trait,
//! [`ReceiveStore`]: a PDU held (a part waiting for its siblings, or a
//! message on its own on its way to its file), a message or status report
//! written, its held parts released, a SIM slot released. The policy
//! (what is held as which part of which message, when a message is
//! written, when a slot may be deleted) is the pure
//! [`Assembler`](crate::receive::assembler::Assembler); the store
//! only keeps what it is told, durably, before it returns.
//!
//! The boundary says nothing of files: a message is named by its
//! [`MessageId`] and its [`Kind`], a part by its message and number; where
//! a written message can be found comes back as an opaque [`Location`].
//! Today's backend is [`PartStore`](crate::part_store::PartStore)
//! (one JSON file per held PDU, `incoming/` and `report/` files); a shared
//! database is the next.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io;

/// The name a received message has from its first part on: six
/// characters, unique among the modem's held messages and written files.
pub(crate) type MessageId = String;

/// What a held message becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An SMS-DELIVER (whole or in parts), or a PDU that did not decode:
    /// `incoming/`.
    Message,
    /// A status report: `report/`.
    Report,
}

/// One received PDU as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeldPart {
    /// The PDU, SMSC address first.
    pub(crate) pdu: Vec<u8>,
    /// When it was read from the modem, in seconds since the epoch
    /// (`Received:`, and how long it has waited).
    pub(crate) arrived_unix: u64,
    /// The storage slot it was read from (`None`: routed to us, `+CMT`).
    pub(crate) slot: Option<u32>,
}

/// What a store holds when the daemon starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Held {
    /// Every part held: (message, part number, the part).
    pub(crate) parts: Vec<(MessageId, u8, HeldPart)>,
    /// The messages among them whose file (or row) is written already: a
    /// stop came while their parts were being released.
    pub(crate) written: BTreeSet<MessageId>,
}

/// Where a written message can be found, for the eventhandler (a path,
/// with today's files).
pub(crate) type Location = OsString;

/// See the module docs. One store per modem. Every method that changes
/// something returns only once the change is durable; an error means it
/// may or may not be (the caller keeps what it would have freed).
pub(crate) trait ReceiveStore: Send + std::fmt::Debug {
    /// What a previous run left.
    fn load(&mut self) -> io::Result<Held>;
    /// Whether `id` names a held message or a written one (a fresh id
    /// must not).
    fn id_taken(&self, id: &str) -> bool;
    /// Keeps part `seq` of message `id`.
    fn hold_part(&mut self, id: &str, seq: u8, part: &HeldPart) -> io::Result<()>;
    /// Writes message `id` (`bytes`, as rendered) as a received message or
    /// a status report.
    fn write_message(&mut self, id: &str, kind: Kind, bytes: &[u8]) -> io::Result<Location>;
    /// Where [`ReceiveStore::write_message`] puts message `id`, if it is
    /// a file: its webhook deliveries are queued before it is written,
    /// and settled after a crash by whether it is there
    /// (webhooks/intent.rs). None: they are queued after.
    fn path_of(&self, _id: &str, _kind: Kind) -> Option<std::path::PathBuf> {
        None
    }
    /// Forgets the parts `seqs` of message `id`, which is written.
    fn release_parts(&mut self, id: &str, seqs: &[u8]) -> io::Result<()>;
    /// Storage slot `slot` of the modem, which held part `seq` of `id`,
    /// was deleted. Today's files keep nothing of it (a restart lists the
    /// storage); a store shared by several nodes records it.
    fn slot_released(&mut self, _id: &str, _seq: u8, _slot: u32) -> io::Result<()> {
        Ok(())
    }
}
