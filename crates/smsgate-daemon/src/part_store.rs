//! Received PDUs held on disk until the message they belong to can be
//! written: the parts of a long message wait here for their siblings, and
//! every PDU (a message on its own, a status report) passes through, so
//! that a PDU is deleted from the modem only once it is durable here.
//!
//! One directory per modem, `<spool base>/smsgate.parts/<modem>/`, one
//! file per PDU, `<id>-<seq>.json`, where `<id>` is the six characters the
//! message's `incoming/` or `report/` file will be named with
//! (`<modem>.<id>`, as smstools3 names them). Writing that file is the
//! last step before the parts are removed, so a restart that finds the
//! file already there only removes the parts: nothing is written twice.
//!
//! Parts are told apart by what the codec's [`MessageKey`] says
//! (originator, reference, its width and the number of parts). Each
//! stored message is one received message: a PDU is a duplicate only when
//! it is the same storage slot read again while the held copy is still in
//! it (its deletion failed, or a restart came first). Two equal messages
//! (a device repeating "ALARM") are two; and a part whose number is held
//! already, with other content or from another slot, belongs to another
//! message with the same key (8-bit references wrap): it starts a new
//! message, and the one held is written as incomplete when its time comes.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sms_pdu::reassembly::MessageKey;
use sms_pdu::{Decoded, Pdu, Tpdu};

use crate::spool_dir::{self, FileModes};

/// One PDU as held on disk.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct HeldPdu {
    /// The PDU, SMSC address first, in hex.
    pub(crate) pdu: String,
    /// When it was read from the modem, in seconds since the epoch
    /// (`Received:`, and how long it has waited).
    pub(crate) arrived_unix: u64,
    /// Whether a copy may still be in the modem's storage. Not on disk:
    /// after a restart every held PDU may be, until a listing of the
    /// storage tells.
    #[serde(skip, default = "yes")]
    pub(crate) on_modem: bool,
    /// The storage slot it was read from (`None`: routed to us, `+CMT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) slot: Option<u32>,
}

impl HeldPdu {
    /// Whether `pdu` read from `slot` is this PDU read again: the same
    /// slot, still holding it.
    fn read_again(&self, pdu: &str, slot: Option<u32>) -> bool {
        self.on_modem && slot.is_some() && self.slot == slot && self.pdu == pdu
    }
}

fn yes() -> bool {
    true
}

/// What a held message becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An SMS-DELIVER (whole or in parts), or a PDU that did not decode:
    /// `incoming/`.
    Message,
    /// A status report: `report/`.
    Report,
}

/// A message whose parts are held.
#[derive(Debug)]
struct Held {
    id: String,
    kind: Kind,
    /// The number of parts it has (1 for a message on its own).
    total: u8,
    parts: BTreeMap<u8, HeldPdu>,
    /// Its file was written before a restart, which came in the middle of
    /// removing its parts: it is ready at once, to be removed. Known only
    /// of what was loaded; a message of this run is removed right after
    /// its file is written.
    written: bool,
}

/// A message ready to be written: complete, or waited for long enough.
#[derive(Debug)]
pub(crate) struct Ready {
    pub(crate) id: String,
    pub(crate) kind: Kind,
    /// By part number.
    pub(crate) parts: Vec<(u8, HeldPdu)>,
}

/// What [`PartStore::hold`] did with a PDU.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HoldOutcome {
    /// It is durable here now, as part `seq` of message `id`: the modem's
    /// copy may go.
    Stored { id: String, seq: u8 },
    /// That part is held already: the modem's copy may go too.
    Duplicate { id: String, seq: u8 },
    /// An SMS-SUBMIT (a message stored to be sent): not ours to take.
    NotReceived,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct PartStore {
    dir: PathBuf,
    /// Where finished files go, to choose ids that are free there.
    incoming: PathBuf,
    report: PathBuf,
    modem: String,
    /// Its files' and directories' modes.
    modes: FileModes,
    /// Keyed messages (parts of concatenated ones) by key: the latest
    /// message of each key, which new parts join; the others by id.
    by_key: BTreeMap<MessageKey, Held>,
    single: BTreeMap<String, Held>,
    /// Keyed messages a later one with the same key took the place of (a
    /// part number came twice): they take no more parts, and are written
    /// when complete or when they have waited long enough.
    superseded: BTreeMap<String, Held>,
}

impl PartStore {
    /// Opens (creating it) the store of `modem` under `base`, and reads
    /// what a previous run left there. Its directories and files get
    /// `modes`.
    pub(crate) fn open(
        base: &Path,
        modem: &str,
        incoming: &Path,
        report: &Path,
        modes: FileModes,
    ) -> io::Result<PartStore> {
        let dir = base.join("smsgate.parts").join(modem);
        spool_dir::create_dirs(&dir, modes.dir)?;
        let mut store = PartStore {
            dir,
            incoming: incoming.to_path_buf(),
            report: report.to_path_buf(),
            modem: modem.to_owned(),
            modes,
            by_key: BTreeMap::new(),
            single: BTreeMap::new(),
            superseded: BTreeMap::new(),
        };
        store.load()?;
        let written = |id: &str| {
            let file = format!("{}.{id}", store.modem);
            store.incoming.join(&file).exists() || store.report.join(&file).exists()
        };
        let ids: Vec<String> = store
            .by_key
            .values()
            .chain(store.single.values())
            .chain(store.superseded.values())
            .filter(|message| written(&message.id))
            .map(|message| message.id.clone())
            .collect();
        for id in ids {
            if let Some(message) = store.message_mut(&id) {
                message.written = true;
            }
        }
        Ok(store)
    }

    fn load(&mut self) -> io::Result<()> {
        // By id first: two messages may share a key.
        let mut messages: BTreeMap<String, (Option<MessageKey>, Held)> = BTreeMap::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                // A part being written when the daemon stopped: its PDU is
                // still in the modem, which is read again.
                let _ = fs::remove_file(entry.path());
                continue;
            }
            let Some((id, seq)) = parse_name(&name) else {
                tracing::warn!(target: "smsgate", "{}: not a part file; left alone", entry.path().display());
                continue;
            };
            let held: HeldPdu = match fs::read(entry.path())
                .map_err(|err| err.to_string())
                .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|err| err.to_string()))
            {
                Ok(held) => held,
                Err(err) => {
                    tracing::error!(target: "smsgate", "{}: unreadable ({err}); left alone", entry.path().display());
                    continue;
                }
            };
            let decoded = hex_to_bytes(&held.pdu).and_then(|bytes| Pdu::decode(&bytes).ok());
            let (kind, key) = classify(decoded.as_ref());
            let (key, total) = match key {
                Some((key, _, total)) => (Some(key), total),
                None => (None, 1),
            };
            messages
                .entry(id.to_owned())
                .or_insert_with(|| {
                    let held = Held {
                        id: id.to_owned(),
                        kind,
                        total,
                        parts: BTreeMap::new(),
                        written: false,
                    };
                    (key, held)
                })
                .1
                .parts
                .insert(seq, held);
        }
        for (id, (key, message)) in messages {
            let Some(key) = key else {
                self.single.insert(id, message);
                continue;
            };
            // Of two messages of one key, the one whose part came last is
            // the open one, which new parts join.
            let latest = |message: &Held| message.parts.values().map(|part| part.arrived_unix).max();
            match self.by_key.get(&key) {
                Some(open) if latest(open) > latest(&message) => {
                    self.superseded.insert(id, message);
                }
                _ => {
                    if let Some(older) = self.by_key.insert(key, message) {
                        self.superseded.insert(older.id.clone(), older);
                    }
                }
            }
        }
        Ok(())
    }

    /// Makes `pdu` durable here (file and directory fsynced). `slot`: the
    /// storage slot it was read from (it is still there until deleted), or
    /// `None` when it was routed to us (`+CMT`, `+CDS`).
    pub(crate) fn hold(
        &mut self,
        pdu: &[u8],
        arrived_unix: u64,
        slot: Option<u32>,
    ) -> io::Result<HoldOutcome> {
        let decoded = Pdu::decode(pdu).ok();
        if let Some(Decoded {
            value: Pdu {
                tpdu: Tpdu::Submit(_),
                ..
            },
            ..
        }) = &decoded
        {
            return Ok(HoldOutcome::NotReceived);
        }
        let (kind, key) = classify(decoded.as_ref());
        let held = HeldPdu {
            pdu: bytes_to_hex(pdu),
            arrived_unix,
            on_modem: slot.is_some(),
            slot,
        };
        if let Some((id, seq)) = self.read_again(&held.pdu, slot) {
            return Ok(HoldOutcome::Duplicate { id, seq });
        }
        let (id, seq) = match key {
            Some((key, seq, total)) => {
                // A part number held already: another message with the
                // same key. It starts a new message; the held one stays
                // as it is, to be written (incomplete) in its time.
                let collides = self
                    .by_key
                    .get(&key)
                    .is_some_and(|message| message.parts.contains_key(&seq));
                let id = match self.by_key.get(&key) {
                    Some(message) if !collides => message.id.clone(),
                    _ => self.fresh_id(),
                };
                self.write(&id, seq, &held)?;
                if collides {
                    tracing::warn!(
                        target: "smsgate",
                        "modem {}: part {seq} of a message whose part {seq} is held already: another \
                         message with the same reference, kept apart",
                        self.modem
                    );
                    if let Some(older) = self.by_key.remove(&key) {
                        self.superseded.insert(older.id.clone(), older);
                    }
                }
                self.by_key
                    .entry(key)
                    .or_insert_with(|| Held {
                        id: id.clone(),
                        kind,
                        total,
                        parts: BTreeMap::new(),
                        written: false,
                    })
                    .parts
                    .insert(seq, held);
                return Ok(HoldOutcome::Stored { id, seq });
            }
            None => (self.fresh_id(), 1),
        };
        self.write(&id, seq, &held)?;
        self.single.insert(
            id.clone(),
            Held {
                id: id.clone(),
                kind,
                total: 1,
                parts: BTreeMap::from([(seq, held)]),
                written: false,
            },
        );
        Ok(HoldOutcome::Stored { id, seq })
    }

    /// The held PDU that `pdu` read from `slot` is a second reading of.
    fn read_again(&self, pdu: &str, slot: Option<u32>) -> Option<(String, u8)> {
        self.single
            .values()
            .chain(self.by_key.values())
            .chain(self.superseded.values())
            .find_map(|message| {
                let (seq, _) = message
                    .parts
                    .iter()
                    .find(|(_, part)| part.read_again(pdu, slot))?;
                Some((message.id.clone(), *seq))
            })
    }

    /// Part `seq` of message `id` is no longer in the modem's storage.
    pub(crate) fn off_modem(&mut self, id: &str, seq: u8) {
        if let Some(part) = self
            .message_mut(id)
            .and_then(|message| message.parts.get_mut(&seq))
        {
            part.on_modem = false;
        }
    }

    /// A listing of the whole storage found only `seen` (id, part) of the
    /// held PDUs: the others are not in the modem any more.
    pub(crate) fn listed(&mut self, seen: &std::collections::HashSet<(String, u8)>) {
        for message in self
            .single
            .values_mut()
            .chain(self.by_key.values_mut())
            .chain(self.superseded.values_mut())
        {
            for (seq, part) in &mut message.parts {
                if !seen.contains(&(message.id.clone(), *seq)) {
                    part.on_modem = false;
                }
            }
        }
    }

    fn message_mut(&mut self, id: &str) -> Option<&mut Held> {
        if self.single.contains_key(id) {
            return self.single.get_mut(id);
        }
        if self.superseded.contains_key(id) {
            return self.superseded.get_mut(id);
        }
        self.by_key.values_mut().find(|message| message.id == id)
    }

    /// The messages that are complete, and those whose first part has
    /// waited `incomplete_after_s` or more by `now_unix`; never one with a
    /// part that may still be in the modem (read again later, it would be
    /// taken for a new message once this one is written and forgotten).
    pub(crate) fn ready(&self, now_unix: u64, incomplete_after_s: u64) -> Vec<Ready> {
        // A message whose file is written already lost only some of its
        // parts to a crash in `remove`: it is ready to be removed at once.
        let written = |message: &&Held| message.written;
        let off_modem = |message: &&Held| message.parts.values().all(|part| !part.on_modem);
        let singles = self.single.values().filter(off_modem);
        let keyed = self
            .by_key
            .values()
            .chain(self.superseded.values())
            .filter(|message| written(message) || off_modem(message))
            .filter(|message| {
                if written(message) {
                    return true;
                }
                let complete = (1..=message.total).all(|seq| message.parts.contains_key(&seq));
                let first = message
                    .parts
                    .values()
                    .map(|part| part.arrived_unix)
                    .min()
                    .unwrap_or(0);
                complete || now_unix.saturating_sub(first) >= incomplete_after_s
            });
        singles
            .chain(keyed)
            .map(|message| Ready {
                id: message.id.clone(),
                kind: message.kind,
                parts: message
                    .parts
                    .iter()
                    .map(|(seq, part)| (*seq, part.clone()))
                    .collect(),
            })
            .collect()
    }

    /// When the oldest incomplete message will have waited long enough.
    pub(crate) fn next_timeout(&self, incomplete_after_s: u64) -> Option<u64> {
        self.by_key
            .values()
            .chain(self.superseded.values())
            .filter_map(|message| message.parts.values().map(|part| part.arrived_unix).min())
            .min()
            .map(|first| first.saturating_add(incomplete_after_s))
    }

    /// Forgets message `id`, whose file is written, and removes its parts
    /// (the directory fsynced: a restart must not find them again).
    pub(crate) fn remove(&mut self, id: &str) -> io::Result<()> {
        let seqs: Vec<u8> = match self.single.remove(id).or_else(|| self.superseded.remove(id)) {
            Some(message) => message.parts.keys().copied().collect(),
            None => {
                let key = self
                    .by_key
                    .iter()
                    .find(|(_, message)| message.id == id)
                    .map(|(key, _)| key.clone());
                match key.and_then(|key| self.by_key.remove(&key)) {
                    Some(message) => message.parts.keys().copied().collect(),
                    None => return Ok(()),
                }
            }
        };
        for seq in seqs {
            match fs::remove_file(self.dir.join(part_name(id, seq))) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        spool_dir::sync_dir(&self.dir)
    }

    /// How many messages are held, complete or not.
    pub(crate) fn len(&self) -> usize {
        self.single.len() + self.by_key.len() + self.superseded.len()
    }

    /// Six characters no held message, `incoming/` or `report/` file of
    /// this modem uses, as smstools3's `mkstemp` names.
    fn fresh_id(&self) -> String {
        loop {
            let id = random_id();
            let file = format!("{}.{id}", self.modem);
            let taken = self.single.contains_key(&id)
                || self.superseded.contains_key(&id)
                || self.by_key.values().any(|message| message.id == id)
                || self.incoming.join(&file).exists()
                || self.report.join(&file).exists();
            if !taken {
                return id;
            }
        }
    }

    fn write(&self, id: &str, seq: u8, held: &HeldPdu) -> io::Result<()> {
        let bytes = serde_json::to_vec(held).map_err(io::Error::other)?;
        spool_dir::write_durably(&self.dir, &part_name(id, seq), &bytes, self.modes.file).map(|_| ())
    }
}

/// What a PDU becomes, and for a part of a concatenated message its key,
/// part number and number of parts.
fn classify(decoded: Option<&Decoded<Pdu>>) -> (Kind, Option<(MessageKey, u8, u8)>) {
    match decoded.map(|decoded| &decoded.value.tpdu) {
        Some(Tpdu::StatusReport(_)) => (Kind::Report, None),
        Some(Tpdu::Deliver(deliver)) => {
            let key = MessageKey::of_deliver(deliver).and_then(|(key, seq)| {
                let total = deliver.user_data.header.as_ref()?.concat()?.total;
                // A message "in one part" needs no waiting.
                (total > 1).then_some((key, seq, total))
            });
            (Kind::Message, key)
        }
        _ => (Kind::Message, None),
    }
}

fn part_name(id: &str, seq: u8) -> String {
    format!("{id}-{seq}.json")
}

fn parse_name(name: &str) -> Option<(&str, u8)> {
    let stem = name.strip_suffix(".json")?;
    let (id, seq) = stem.rsplit_once('-')?;
    Some((id, seq.parse().ok()?))
}

/// Six characters of `[A-Za-z0-9]`, from the system's random source
/// (std's hasher keys are seeded from it).
fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut value = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let mut id = String::with_capacity(6);
    for _ in 0..6 {
        id.push(char::from(CHARS[(value % CHARS.len() as u64) as usize]));
        value /= CHARS.len() as u64;
    }
    id
}

pub(crate) fn bytes_to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

pub(crate) fn hex_to_bytes(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
