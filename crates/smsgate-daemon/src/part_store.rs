//! Today's [`ReceiveStore`]: received PDUs held as files until the
//! message they belong to is written, and the messages written as
//! `incoming/` and `report/` files, as smstools3 writes them.
//!
//! One directory per modem, `<spool base>/smsgate.parts/<modem>/`, one
//! file per PDU, `<id>-<seq>.json`, where `<id>` is the six characters the
//! message's `incoming/` or `report/` file is named with (`<modem>.<id>`,
//! as smstools3 names them). Writing that file comes before the parts are
//! removed, so a restart that finds the file already there only removes
//! the parts ([`Held::written`]): nothing is written twice. Which part
//! belongs to which message is the
//! [`Assembler`](crate::receive::assembler::Assembler)'s business.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::receive_store::{Held, HeldPart, Kind, Location, ReceiveStore};
use crate::spool_dir::{self, FileModes};

/// One PDU as held on disk (the format of earlier versions).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct PartFile {
    /// The PDU, SMSC address first, in hex.
    pdu: String,
    /// When it was read from the modem, in seconds since the epoch.
    arrived_unix: u64,
    /// The storage slot it was read from (`None`: routed to us, `+CMT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slot: Option<u32>,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct PartStore {
    dir: PathBuf,
    incoming: PathBuf,
    report: PathBuf,
    modem: String,
    /// Its files' and directories' modes.
    modes: FileModes,
}

impl PartStore {
    /// Opens (creating it) the store of `modem` under `base`. Its
    /// directories and files get `modes`.
    pub(crate) fn open(
        base: &Path,
        modem: &str,
        incoming: &Path,
        report: &Path,
        modes: FileModes,
    ) -> io::Result<PartStore> {
        let dir = base.join("smsgate.parts").join(modem);
        spool_dir::create_dirs(&dir, modes.dir)?;
        Ok(PartStore {
            dir,
            incoming: incoming.to_path_buf(),
            report: report.to_path_buf(),
            modem: modem.to_owned(),
            modes,
        })
    }

    /// The file name of message `id`, in `incoming/` or `report/`.
    fn file_name(&self, id: &str) -> String {
        format!("{}.{id}", self.modem)
    }

    fn is_written(&self, id: &str) -> bool {
        let file = self.file_name(id);
        self.incoming.join(&file).exists() || self.report.join(&file).exists()
    }
}

impl ReceiveStore for PartStore {
    fn load(&mut self) -> io::Result<Held> {
        let mut held = Held::default();
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
            let part = fs::read(entry.path())
                .map_err(|err| err.to_string())
                .and_then(|bytes| serde_json::from_slice::<PartFile>(&bytes).map_err(|err| err.to_string()))
                .and_then(|file| {
                    let pdu = hex_to_bytes(&file.pdu).ok_or("the held PDU is not hex")?;
                    Ok(HeldPart {
                        pdu,
                        arrived_unix: file.arrived_unix,
                        slot: file.slot,
                    })
                });
            match part {
                Ok(part) => held.parts.push((id.to_owned(), seq, part)),
                Err(err) => {
                    tracing::error!(target: "smsgate", "{}: unreadable ({err}); left alone", entry.path().display());
                }
            }
        }
        // In a stable order (the directory's is not).
        held.parts.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let ids: BTreeMap<&str, ()> = held.parts.iter().map(|(id, _, _)| (id.as_str(), ())).collect();
        held.written = ids
            .keys()
            .filter(|id| self.is_written(id))
            .map(|id| (*id).to_owned())
            .collect();
        Ok(held)
    }

    /// The held messages are the assembler's to know (it checks them
    /// too); here only the written files.
    fn id_taken(&self, id: &str) -> bool {
        self.is_written(id)
    }

    fn hold_part(&mut self, id: &str, seq: u8, part: &HeldPart) -> io::Result<()> {
        let file = PartFile {
            pdu: bytes_to_hex(&part.pdu),
            arrived_unix: part.arrived_unix,
            slot: part.slot,
        };
        let bytes = serde_json::to_vec(&file).map_err(io::Error::other)?;
        spool_dir::write_durably(&self.dir, &part_name(id, seq), &bytes, self.modes.file).map(|_| ())
    }

    fn path_of(&self, id: &str, kind: Kind) -> Option<std::path::PathBuf> {
        let dir = match kind {
            Kind::Message => &self.incoming,
            Kind::Report => &self.report,
        };
        Some(dir.join(self.file_name(id)))
    }

    fn write_message(&mut self, id: &str, kind: Kind, bytes: &[u8]) -> io::Result<Location> {
        let dir = match kind {
            Kind::Message => &self.incoming,
            Kind::Report => &self.report,
        };
        let path = spool_dir::write_durably(dir, &self.file_name(id), bytes, self.modes.file)?;
        Ok(path.into_os_string())
    }

    /// Removes the parts' files, the directory fsynced: a restart must not
    /// find them again.
    fn release_parts(&mut self, id: &str, seqs: &[u8]) -> io::Result<()> {
        for seq in seqs {
            match fs::remove_file(self.dir.join(part_name(id, *seq))) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        spool_dir::sync_dir(&self.dir)
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
pub(crate) fn random_id() -> String {
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
