//! The per-SIM counts on disk (`base/smsgate.limits.json`), for the
//! scheduler: whether a modem may take a message now, and the parts it
//! was handed, counted durably before its send starts.
//!
//! Counts are kept per SIM: a modem whose SIM's ICCID is known
//! ([`LimitBook::set_sim`], when it is set up) counts into the SIM's entry
//! (`sim:ICCID`), and its own entry remembers which SIM it last held.
//! A SIM moved to another modem takes its count along (the operator caps
//! the SIM); the limits applied are those of the modem it is in now. A
//! modem whose ICCID is not known counts by its name, as before; the
//! first time its SIM is known, those counts become the SIM's.
//!
//! A count that cannot be written stops that modem's sending (its send
//! does not start) until a write succeeds: sending uncounted could break
//! the operator's cap after a restart. Parts given back after a send
//! (those that surely did not go out) that cannot be written stay counted
//! on disk, an over-count that is logged, and are written with the next
//! count that succeeds. A file that cannot be read at the start stops the
//! limited modems until it is repaired or removed, rather than forgetting
//! their counts.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::{Counts, Limit, Now, SimLimits};
use crate::spool_dir;

/// The file's name in the spool base.
pub(crate) const FILE_NAME: &str = "smsgate.limits.json";

/// How long a modem waits after its counts could not be written before
/// a send tries again.
const WRITE_RETRY_S: i64 = 10;

/// How a SIM's entry is named: this and its ICCID's digits.
pub(crate) const SIM_KEY: &str = "sim:";

/// Far larger than any number of modems' counts.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// What a modem's limits say about a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Admit,
    /// At a limit (named), or its counts cannot be kept.
    Refuse(String),
}

/// Parts counted for a send, to give back those that did not go out.
#[derive(Clone, Debug)]
pub(crate) struct Reservation {
    pub(crate) parts: u32,
    pub(crate) at: Now,
    /// The entry they went into (the SIM's, or the modem's).
    key: String,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct LimitBook {
    path: PathBuf,
    mode: u32,
    limits: BTreeMap<String, SimLimits>,
    /// By entry: a modem's name or a SIM's key (`sim:ICCID`).
    counts: BTreeMap<String, Counts>,
    /// Why the saved counts could not be read, or the last write failed:
    /// the limited modems take nothing meanwhile.
    broken: Option<String>,
    /// When a write is tried again after one failed (unix seconds); a
    /// file that could not be read is never retried (`i64::MAX`).
    retry_at: i64,
    /// The limit each modem was last reported at, so that the log and
    /// the alarm say it once per stop.
    reported: BTreeMap<String, Limit>,
}

impl LimitBook {
    /// Reads the saved counts of the modems in `limits` (those with none
    /// set keep no counts). smsd's `per-period` without `period-min`
    /// starts from zero, as smsd's counter does at each start.
    pub(crate) fn open(base: &Path, mode: u32, limits: BTreeMap<String, SimLimits>) -> LimitBook {
        let limits: BTreeMap<String, SimLimits> =
            limits.into_iter().filter(|(_, limits)| limits.any()).collect();
        let path = base.join(FILE_NAME);
        let (mut counts, broken) = match read(&path) {
            Ok(counts) => (counts, None),
            Err(err) => {
                let why = format!("{}: {err}", path.display());
                if !limits.is_empty() {
                    tracing::error!(
                        target: "smsgate",
                        "{why}; modems with limits send nothing until it is repaired or removed"
                    );
                }
                (BTreeMap::new(), Some(why))
            }
        };
        counts.retain(|name, _| limits.contains_key(name) || name.starts_with(SIM_KEY));
        for (name, limits) in &limits {
            let entry = counts.entry(name.clone()).or_default();
            let key = entry.sim.clone().unwrap_or_else(|| name.clone());
            if limits.period_s.is_none() {
                let counts = counts.entry(key).or_default();
                counts.period_start = None;
                counts.period_count = 0;
            }
        }
        LimitBook {
            path,
            mode,
            limits,
            counts,
            retry_at: if broken.is_some() { i64::MAX } else { 0 },
            broken,
            reported: BTreeMap::new(),
        }
    }

    /// The limits of a reloaded config (`smsgate ctl reload`): counts
    /// are kept, also those of a modem that lost its limits or was removed
    /// (it counts on where it left off if they come back).
    pub(crate) fn set_limits(&mut self, limits: BTreeMap<String, SimLimits>) {
        self.limits = limits.into_iter().filter(|(_, limits)| limits.any()).collect();
        let names: Vec<String> = self.limits.keys().cloned().collect();
        for name in names {
            let key = self.key(&name);
            self.counts.entry(name).or_default();
            self.counts.entry(key).or_default();
        }
        self.reported.clear();
    }

    /// The entry `modem`'s counts are in: its SIM's, if known.
    fn key(&self, modem: &str) -> String {
        self.counts
            .get(modem)
            .and_then(|counts| counts.sim.clone())
            .unwrap_or_else(|| modem.to_owned())
    }

    /// `modem` holds the SIM with `iccid` (as it answered `AT+CCID`; none
    /// or no digits: not known, the SIM it last held is assumed): its
    /// limits count that SIM's SMS from now on. Written at once; a write
    /// that fails is logged and done with the next count.
    pub(crate) fn set_sim(&mut self, modem: &str, iccid: Option<&str>) {
        if !self.limits.contains_key(modem) {
            return;
        }
        let digits: String = iccid
            .map(|iccid| iccid.rsplit(':').next().unwrap_or(iccid))
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.is_empty() {
            return;
        }
        let key = format!("{SIM_KEY}{digits}");
        let entry = self.counts.entry(modem.to_owned()).or_default();
        if entry.sim.as_deref() == Some(key.as_str()) {
            return;
        }
        let counted_by_name = match entry.sim.is_none() {
            // Counted by name until now: those were this SIM's.
            true => std::mem::take(entry),
            false => Counts::default(),
        };
        entry.sim = Some(key.clone());
        let previous = self.counts.entry(key.clone()).or_insert(counted_by_name);
        tracing::info!(
            target: "smsgate",
            "modem {modem}: counts the SMS of its SIM {digits} ({} today)",
            previous.day_count
        );
        self.reported.remove(modem);
        if let Err(err) = self.save() {
            tracing::error!(
                target: "smsgate",
                "{}: {err}; modem {modem}'s SIM is written with its next count",
                self.path.display()
            );
        }
    }

    /// Whether `modem` may take a message of `parts` SMS now. Logs the
    /// first refusal of each limit reached.
    pub(crate) fn admits(&mut self, modem: &str, parts: u32, now: Now) -> Admission {
        let Some(limits) = self.limits.get(modem) else {
            return Admission::Admit;
        };
        if parts == 0 {
            return Admission::Admit;
        }
        if let Some(why) = self.broken.as_ref().filter(|_| now.unix < self.retry_at) {
            return Admission::Refuse(format!("its counts cannot be kept ({why})"));
        }
        let counts = self.counts.get(&self.key(modem)).cloned().unwrap_or_default();
        match counts.blocking(limits, now, parts) {
            None => {
                self.reported.remove(modem);
                Admission::Admit
            }
            Some(limit) => Admission::Refuse(describe(limit, &counts, limits)),
        }
    }

    /// Counts `parts` handed to `modem`, durably. `Ok(Some(text))` when
    /// this reached a limit: the alarm's text. On `Err` nothing is
    /// counted and the send must not start.
    pub(crate) fn reserve(
        &mut self,
        modem: &str,
        parts: u32,
        now: Now,
    ) -> io::Result<(Option<Reservation>, Option<String>)> {
        let Some(limits) = self.limits.get(modem).cloned() else {
            return Ok((None, None));
        };
        if parts == 0 {
            return Ok((None, None));
        }
        let key = self.key(modem);
        let before = self.counts.get(&key).cloned().unwrap_or_default();
        let mut after = before.clone();
        let reached = after.reserve(&limits, now, parts);
        self.counts.insert(key.clone(), after.clone());
        if let Err(err) = self.save() {
            self.counts.insert(key, before);
            self.broken = Some(format!("{}: {err}", self.path.display()));
            self.retry_at = now.unix.saturating_add(WRITE_RETRY_S);
            return Err(err);
        }
        let alarm = reached
            .filter(|limit| self.reported.get(modem) != Some(limit))
            .map(|limit| {
                self.reported.insert(modem.to_owned(), limit);
                format!("reached {}", describe(limit, &after, &limits))
            });
        Ok((Some(Reservation { parts, at: now, key }), alarm))
    }

    /// Gives back `unsent` of the parts of `reservation`.
    pub(crate) fn release(&mut self, modem: &str, reservation: Reservation, unsent: u32) {
        let unsent = unsent.min(reservation.parts);
        let (Some(limits), Some(counts)) = (self.limits.get(modem), self.counts.get_mut(&reservation.key))
        else {
            return;
        };
        if unsent == 0 {
            return;
        }
        counts.release(limits, reservation.at, unsent);
        if let Err(err) = self.save() {
            tracing::error!(
                target: "smsgate",
                "{}: {err}; modem {modem}'s {unsent} unsent part(s) stay counted on disk until the next write",
                self.path.display()
            );
        }
    }

    /// The counts of `modem` (its SIM's, if known).
    #[cfg(test)]
    pub(crate) fn counts(&self, modem: &str) -> Option<&Counts> {
        self.counts.get(&self.key(modem))
    }

    fn save(&mut self) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.counts).map_err(io::Error::other)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let name = self
            .path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or(FILE_NAME);
        match spool_dir::write_durably(dir, name, &bytes, self.mode) {
            Ok(_) => {
                // A write that succeeds carries every count: the file is
                // whole again.
                self.broken = None;
                self.retry_at = 0;
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}

fn describe(limit: Limit, counts: &Counts, limits: &SimLimits) -> String {
    match counts.resets_at(limits, limit) {
        Some(at) => format!("{limit} (until {})", at.format("%Y-%m-%d %H:%M")),
        None => match counts.clears_at_unix(limits, limit) {
            Some(unix) => {
                let at = chrono::DateTime::from_timestamp(unix, 0)
                    .map(|at| {
                        at.with_timezone(&chrono::Local)
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string()
                    })
                    .unwrap_or_else(|| unix.to_string());
                format!("{limit} (until {at})")
            }
            None => format!("{limit} (until the daemon restarts)"),
        },
    }
}

/// The counts saved at `path` (none when there is no file).
pub(crate) fn read(path: &Path) -> Result<BTreeMap<String, Counts>, String> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(err) => return Err(err.to_string()),
    };
    if !metadata.is_file() {
        return Err("not a regular file".to_owned());
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} bytes, more than this file ever holds",
            metadata.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|err| err.to_string())?;
    serde_json::from_slice(&bytes).map_err(|err| format!("not the counts smsgate writes: {err}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Admission, LimitBook, FILE_NAME};
    use crate::sim_limits::{test_noon as noon, Now, SimLimits};

    fn per_day(n: u32) -> BTreeMap<String, SimLimits> {
        let limits = SimLimits {
            per_day: Some(n),
            ..SimLimits::default()
        };
        BTreeMap::from([("gsm1".to_owned(), limits)])
    }

    #[test]
    fn counts_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut book = LimitBook::open(dir.path(), 0o600, per_day(2));
        let (_, alarm) = book.reserve("gsm1", 2, noon()).expect("reserve");
        assert!(alarm.is_some_and(|text| text.contains("limits.per-day 2")));
        let mut again = LimitBook::open(dir.path(), 0o600, per_day(2));
        assert!(matches!(again.admits("gsm1", 1, noon()), Admission::Refuse(_)));
        assert_eq!(
            again.admits("gsm2", 1, noon()),
            Admission::Admit,
            "no limits, no counts"
        );
    }

    #[test]
    fn a_failed_write_counts_nothing_and_stops_the_modem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut book = LimitBook::open(dir.path(), 0o600, per_day(5));
        // A directory in the file's place: every write fails.
        std::fs::create_dir(dir.path().join(format!(".{FILE_NAME}.smsgate-tmp"))).expect("mkdir");
        assert!(book.reserve("gsm1", 1, noon()).is_err());
        assert_eq!(book.counts("gsm1").map(|counts| counts.day_count), Some(0));
        assert!(
            matches!(book.admits("gsm1", 1, noon()), Admission::Refuse(why) if why.contains("cannot be kept"))
        );
        let later = Now {
            unix: noon().unix + 10,
            ..noon()
        };
        assert_eq!(
            book.admits("gsm1", 1, later),
            Admission::Admit,
            "tried again after a pause"
        );
        std::fs::remove_dir(dir.path().join(format!(".{FILE_NAME}.smsgate-tmp"))).expect("rmdir");
        book.reserve("gsm1", 1, noon()).expect("reserve");
        assert_eq!(book.counts("gsm1").map(|counts| counts.day_count), Some(1));
    }

    #[test]
    fn an_unreadable_file_stops_the_limited_modems() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(FILE_NAME), b"{not json").expect("write");
        let mut book = LimitBook::open(dir.path(), 0o600, per_day(5));
        assert!(
            matches!(book.admits("gsm1", 1, noon()), Admission::Refuse(why) if why.contains("cannot be kept"))
        );
    }

    #[test]
    fn released_parts_are_given_back_durably() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut book = LimitBook::open(dir.path(), 0o600, per_day(5));
        let (reservation, _) = book.reserve("gsm1", 3, noon()).expect("reserve");
        book.release("gsm1", reservation.expect("limited"), 2);
        let again = LimitBook::open(dir.path(), 0o600, per_day(5));
        assert_eq!(again.counts("gsm1").map(|counts| counts.day_count), Some(1));
    }
}

#[cfg(test)]
#[path = "sim_tests.rs"]
mod sim_tests;
