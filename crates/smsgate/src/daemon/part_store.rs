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

use crate::daemon::spool_dir::{self, FileModes};

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
mod tests {
    use super::*;

    /// A DELIVER part `seq` of `total` from +31641600986, reference 7,
    /// text `text` (GSM 7-bit).
    fn part(seq: u8, total: u8, text: &str) -> Vec<u8> {
        use sms_pdu::{InformationElement, UserDataHeader};
        let mut deliver = deliver(text);
        deliver.user_data.header = Some(UserDataHeader {
            elements: vec![InformationElement::Concat8 {
                reference: 7,
                total,
                seq,
            }],
        });
        encode(deliver)
    }

    /// A DELIVER with `text` (letters, digits, spaces: their GSM 7-bit
    /// codes are their ASCII codes).
    fn deliver(text: &str) -> sms_pdu::Deliver {
        let pdu = Pdu::decode(&hex_to_bytes(SINGLE).unwrap()).unwrap().value;
        let Tpdu::Deliver(mut deliver) = pdu.tpdu else {
            panic!("SINGLE is a DELIVER")
        };
        deliver.user_data = sms_pdu::UserData {
            header: None,
            body: sms_pdu::Body::Septets(text.bytes().collect()),
        };
        deliver
    }

    fn encode(deliver: sms_pdu::Deliver) -> Vec<u8> {
        Pdu {
            smsc: None,
            tpdu: Tpdu::Deliver(deliver),
        }
        .encode()
        .unwrap()
    }

    /// "hellohello" from +31641600986 (TS 23.040 examples, as in the codec's
    /// vectors), SMSC +31624000000.
    const SINGLE: &str = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";

    fn store(dir: &Path) -> PartStore {
        PartStore::open(
            dir,
            "GSM1",
            &dir.join("incoming"),
            &dir.join("report"),
            FileModes::default(),
        )
        .unwrap()
    }

    #[test]
    fn parts_wait_for_their_siblings_across_a_restart_and_duplicates_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = store(dir.path());
        let HoldOutcome::Stored { id, seq: 2 } = parts.hold(&part(2, 3, "two"), 100, Some(1)).unwrap() else {
            panic!("part 2 not stored")
        };
        assert_eq!(
            parts.hold(&part(2, 3, "two"), 101, Some(1)).unwrap(),
            HoldOutcome::Duplicate {
                id: id.clone(),
                seq: 2
            }
        );
        assert_eq!(
            parts.hold(&part(3, 3, "three"), 102, Some(2)).unwrap(),
            HoldOutcome::Stored {
                id: id.clone(),
                seq: 3
            }
        );
        assert!(parts.ready(103, 3600).is_empty());
        drop(parts);

        // A restart reads them back; the last part completes the message.
        let mut parts = store(dir.path());
        assert_eq!(parts.len(), 1);
        assert_eq!(parts.next_timeout(3600), Some(100 + 3600));
        assert_eq!(
            parts.hold(&part(1, 3, "one"), 104, None).unwrap(),
            HoldOutcome::Stored {
                id: id.clone(),
                seq: 1
            }
        );
        // Read back from disk, parts may still be in the modem: nothing is
        // ready until a listing says they are not.
        assert!(parts.ready(105, 3600).is_empty());
        parts.listed(&std::collections::HashSet::from([(id.clone(), 3)]));
        assert!(parts.ready(105, 3600).is_empty());
        parts.off_modem(&id, 3);
        let ready = parts.ready(105, 3600);
        assert_eq!(ready.len(), 1);
        let seqs: Vec<u8> = ready[0].parts.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(ready[0].kind, Kind::Message);
        parts.remove(&ready[0].id).unwrap();
        assert_eq!(parts.len(), 0);
        assert_eq!(
            fs::read_dir(dir.path().join("smsgate.parts/GSM1"))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn parts_left_by_a_crash_after_their_file_was_written_are_ready_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = store(dir.path());
        let HoldOutcome::Stored { id, .. } = parts.hold(&part(1, 2, "one"), 1000, None).unwrap() else {
            panic!("not stored")
        };
        drop(parts);
        fs::create_dir_all(dir.path().join("incoming")).unwrap();
        fs::write(dir.path().join("incoming").join(format!("GSM1.{id}")), "written").unwrap();
        let parts = store(dir.path());
        let ready = parts.ready(1001, 3600);
        assert_eq!(ready.len(), 1, "not waiting for part 2 for an hour");
        assert_eq!(ready[0].id, id);
    }

    #[test]
    fn an_incomplete_message_is_ready_once_it_has_waited_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = store(dir.path());
        parts.hold(&part(1, 2, "one"), 1000, None).unwrap();
        assert_eq!(parts.next_timeout(60), Some(1060));
        assert!(parts.ready(1000 + 59, 60).is_empty());
        let ready = parts.ready(1000 + 60, 60);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].parts.len(), 1);
    }

    #[test]
    fn singles_reports_and_undecodable_pdus_are_ready_at_once_and_submits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = store(dir.path());
        let single = hex_to_bytes(SINGLE).unwrap();
        let HoldOutcome::Stored { id, seq: 1 } = parts.hold(&single, 1, Some(3)).unwrap() else {
            panic!("not stored")
        };
        // Read again before its deletion from the modem went through: the
        // same message, not a new one.
        assert_eq!(
            parts.hold(&single, 2, Some(3)).unwrap(),
            HoldOutcome::Duplicate {
                id: id.clone(),
                seq: 1
            }
        );
        assert!(parts.ready(2, 3600).is_empty(), "still in the modem");
        parts.off_modem(&id, 1);
        // Damaged: kept as it is, written as an error later.
        assert!(matches!(
            parts.hold(&[0x00, 0x04, 0xFF], 1, None).unwrap(),
            HoldOutcome::Stored { .. }
        ));
        // A status report (TS 23.040 9.2.2.3), SMSC absent.
        let report = hex_to_bytes("0006D60B911326880736F4111011719551401110117195714000").unwrap();
        assert!(matches!(
            parts.hold(&report, 1, None).unwrap(),
            HoldOutcome::Stored { .. }
        ));
        // A SUBMIT stored in the SIM is not a received message.
        let submit = hex_to_bytes("0011000B916407281553F80000AA0AE8329BFD4697D9EC37").unwrap();
        assert_eq!(parts.hold(&submit, 1, None).unwrap(), HoldOutcome::NotReceived);
        let ready = parts.ready(1, 3600);
        assert_eq!(ready.len(), 3);
        let kinds: Vec<Kind> = ready.iter().map(|ready| ready.kind).collect();
        assert_eq!(kinds.iter().filter(|kind| **kind == Kind::Report).count(), 1);
        // Every id is distinct and names no existing file.
        let mut ids: Vec<&str> = ready.iter().map(|ready| ready.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3);
    }

    /// Issue 11, item 7: a device that sends "ALARM" twice; both copies in
    /// the storage (also across a restart) are two messages, not one file
    /// and a copy deleted from the SIM.
    #[test]
    fn equal_messages_are_two_and_only_a_slot_read_twice_is_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = store(dir.path());
        let alarm = encode(deliver("ALARM"));
        let stored = |outcome: HoldOutcome| match outcome {
            HoldOutcome::Stored { id, .. } => id,
            other => panic!("not stored: {other:?}"),
        };
        let first = stored(parts.hold(&alarm, 10, Some(1)).unwrap());
        let second = stored(parts.hold(&alarm, 11, Some(2)).unwrap());
        assert_ne!(first, second);
        // Routed to us (+CMT) twice: two more.
        let third = stored(parts.hold(&alarm, 12, None).unwrap());
        let fourth = stored(parts.hold(&alarm, 12, None).unwrap());
        assert_ne!(third, fourth);
        // Slot 2 read again before its deletion went through: the same one.
        assert_eq!(
            parts.hold(&alarm, 13, Some(2)).unwrap(),
            HoldOutcome::Duplicate {
                id: second.clone(),
                seq: 1
            }
        );
        drop(parts);
        // After a restart, a listing finds both still in the storage.
        let mut parts = store(dir.path());
        assert_eq!(parts.len(), 4);
        assert_eq!(
            parts.hold(&alarm, 20, Some(1)).unwrap(),
            HoldOutcome::Duplicate {
                id: first.clone(),
                seq: 1
            }
        );
        assert!(matches!(
            parts.hold(&alarm, 20, Some(2)).unwrap(),
            HoldOutcome::Duplicate { .. }
        ));
        // Deleted from slot 1; a new ALARM lands there: a new message.
        parts.off_modem(&first, 1);
        let fifth = stored(parts.hold(&alarm, 21, Some(1)).unwrap());
        assert_ne!(fifth, first);
        assert_eq!(parts.len(), 5);
    }

    /// Issue 11, item 8: two messages from one sender with the same 8-bit
    /// reference, AAA (part 1 held) and BBB (both parts): BBB's part 1 is
    /// not taken for a copy of AAA's (and deleted), nor BBB's part 2 glued
    /// to AAA; AAA is written as incomplete when its time comes.
    #[test]
    fn a_part_that_collides_with_a_held_one_starts_a_new_message() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = store(dir.path());
        let stored = |outcome: HoldOutcome| match outcome {
            HoldOutcome::Stored { id, seq } => (id, seq),
            other => panic!("not stored: {other:?}"),
        };
        let (aaa, _) = stored(parts.hold(&part(1, 2, "AAA"), 100, Some(1)).unwrap());
        let (bbb, seq) = stored(parts.hold(&part(1, 2, "BBB"), 200, Some(2)).unwrap());
        assert_ne!(bbb, aaa);
        assert_eq!(seq, 1);
        assert_eq!(
            stored(parts.hold(&part(2, 2, "BBB two"), 201, Some(3)).unwrap()),
            (bbb.clone(), 2)
        );
        for (id, seq) in [(&aaa, 1), (&bbb, 1), (&bbb, 2)] {
            parts.off_modem(id, seq);
        }
        let ready = parts.ready(202, 3600);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].id, bbb);
        let texts: Vec<&str> = ready[0].parts.iter().map(|(_, part)| part.pdu.as_str()).collect();
        assert_eq!(
            texts,
            [
                bytes_to_hex(&part(1, 2, "BBB")),
                bytes_to_hex(&part(2, 2, "BBB two"))
            ]
        );
        parts.remove(&bbb).unwrap();
        // AAA waits for its part 2, across a restart, then goes alone.
        drop(parts);
        let mut parts = store(dir.path());
        assert_eq!(parts.len(), 1);
        parts.listed(&std::collections::HashSet::new());
        assert_eq!(parts.next_timeout(3600), Some(100 + 3600));
        let ready = parts.ready(100 + 3600, 3600);
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].id, aaa);
        assert_eq!(ready[0].parts.len(), 1);
    }

    /// Two messages of one key held across a restart stay two, and new
    /// parts join the later one.
    #[test]
    fn two_messages_of_one_key_stay_apart_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts = store(dir.path());
        let HoldOutcome::Stored { id: old, .. } = parts.hold(&part(1, 3, "old"), 100, None).unwrap() else {
            panic!()
        };
        let HoldOutcome::Stored { id: new, .. } = parts.hold(&part(1, 3, "new"), 200, None).unwrap() else {
            panic!()
        };
        drop(parts);
        let mut parts = store(dir.path());
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts.hold(&part(2, 3, "new two"), 300, None).unwrap(),
            HoldOutcome::Stored {
                id: new.clone(),
                seq: 2
            }
        );
        assert_ne!(old, new);
    }

    #[test]
    fn names_round_trip_and_junk_is_not_a_part() {
        assert_eq!(parse_name(&part_name("aB3xYz", 12)), Some(("aB3xYz", 12)));
        assert_eq!(parse_name("notes.txt"), None);
        assert_eq!(parse_name("abc-300.json"), None);
        assert_eq!(hex_to_bytes("0A0b"), Some(vec![0x0A, 0x0B]));
        assert_eq!(hex_to_bytes("0A0"), None);
        assert_eq!(hex_to_bytes("zz"), None);
    }
}
