//! What the command runner must not forget across a restart, in one small
//! file, `<spool base>/smsgate.commands.json` (mode 0600): each allowed
//! sender's wrong secrets and lockout, the commands let run within the
//! duplicate window (by digest, never by text), and the commands waiting
//! for a free slot (script, variables, sender, modem; never the secret).
//!
//! The whole file is rewritten at every change, crash-safely (temporary
//! file, fsync, rename, fsync of the directory), and before the change
//! takes effect: a command is queued only once it is recorded, and one
//! whose record cannot be written does not run (fail closed). Its size is
//! bounded by what it holds: the allowed numbers times `max-failures`,
//! the recent commands' capacity, and `max-waiting`.

use std::collections::VecDeque;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sms_command::{Authorizer, InternationalNumber, MessageDigest, RecentCommands, Seen, SenderRecord};

use crate::spool_dir;

/// The file's name in the spool base.
pub(crate) const FILE_NAME: &str = "smsgate.commands.json";

/// A file larger than this is not read: it was not written by us.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// How many recent commands are remembered, at most (the oldest go
/// first; an hour's window holds far fewer).
pub(crate) const RECENT_CAPACITY: usize = 1024;

/// A command waiting for a free slot, as saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Job {
    /// The `incoming/` file it came in.
    pub(crate) file: String,
    pub(crate) script: String,
    /// `(name, value)`; no value for a bare `VAR`.
    pub(crate) variables: Vec<(String, Option<String>)>,
    /// `+` and digits.
    pub(crate) sender: String,
    pub(crate) modem: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    #[serde(default)]
    lockouts: Vec<SavedSender>,
    #[serde(default)]
    recent: Vec<SavedSeen>,
    #[serde(default)]
    waiting: Vec<Job>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSender {
    sender: String,
    /// Seconds since the epoch.
    failures: Vec<u64>,
    locked_until: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSeen {
    /// 16 hex digits.
    digest: String,
    at: u64,
    file: String,
}

/// The runner's memory, guarded by its lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) authorizer: Authorizer,
    pub(crate) recent: RecentCommands,
    /// Oldest first.
    pub(crate) waiting: VecDeque<Job>,
    /// Scripts running now (not saved: one that was running at a crash
    /// does not run again).
    pub(crate) running: usize,
    /// Why the saved state could not be read at start: every command is
    /// then refused, rather than run with lockouts forgotten.
    pub(crate) broken: Option<String>,
    path: PathBuf,
}

impl State {
    /// The state saved in `base`, given to `authorizer` and `recent`; at
    /// most `max_waiting` waiting commands are taken back (the oldest).
    pub(crate) fn load(
        base: &Path,
        mut authorizer: Authorizer,
        mut recent: RecentCommands,
        max_waiting: usize,
    ) -> State {
        let path = base.join(FILE_NAME);
        let mut waiting = VecDeque::new();
        let broken = match read(&path) {
            Ok(saved) => {
                authorizer.restore(saved.lockouts.into_iter().filter_map(sender_record).collect());
                recent.restore(saved.recent.into_iter().filter_map(seen));
                for job in saved.waiting {
                    if InternationalNumber::parse(&job.sender).is_err() || waiting.len() >= max_waiting {
                        tracing::error!(
                            target: "smsgate::commands",
                            "{}: waiting command of {} (script {:?}) dropped: bad sender or over max-waiting",
                            path.display(),
                            job.file,
                            job.script
                        );
                        continue;
                    }
                    waiting.push_back(job);
                }
                None
            }
            Err(err) => {
                let why = format!("{}: {err}", path.display());
                tracing::error!(
                    target: "smsgate::commands",
                    "{why}; every SMS command is refused until it is repaired or removed"
                );
                Some(why)
            }
        };
        State {
            authorizer,
            recent,
            waiting,
            running: 0,
            broken,
            path,
        }
    }

    /// Writes the whole state durably.
    pub(crate) fn save(&self) -> io::Result<()> {
        let saved = Saved {
            lockouts: self
                .authorizer
                .records()
                .into_iter()
                .map(|record| SavedSender {
                    sender: record.sender.as_str().to_owned(),
                    failures: record.failures.iter().map(Duration::as_secs).collect(),
                    locked_until: record.locked_until.map(|until| until.as_secs()),
                })
                .collect(),
            recent: self
                .recent
                .iter()
                .map(|seen| SavedSeen {
                    digest: format!("{:016x}", seen.digest.0),
                    at: seen.at.as_secs(),
                    file: seen.file.clone(),
                })
                .collect(),
            waiting: self.waiting.iter().cloned().collect(),
        };
        let bytes = serde_json::to_vec(&saved).map_err(io::Error::other)?;
        write_private(&self.path, &bytes)
    }
}

fn read(path: &Path) -> Result<Saved, String> {
    let metadata = match fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Saved::default()),
        Err(err) => return Err(err.to_string()),
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} bytes, more than this file ever holds",
            metadata.len()
        ));
    }
    let bytes = fs::read(path).map_err(|err| err.to_string())?;
    serde_json::from_slice(&bytes).map_err(|err| format!("unreadable: {err}"))
}

fn sender_record(saved: SavedSender) -> Option<SenderRecord> {
    Some(SenderRecord {
        sender: InternationalNumber::parse(&saved.sender).ok()?,
        failures: saved.failures.into_iter().map(Duration::from_secs).collect(),
        locked_until: saved.locked_until.map(Duration::from_secs),
    })
}

fn seen(saved: SavedSeen) -> Option<Seen> {
    Some(Seen {
        digest: MessageDigest(u64::from_str_radix(&saved.digest, 16).ok()?),
        at: Duration::from_secs(saved.at),
        file: saved.file,
    })
}

/// `bytes` as `path`, mode 0600, durably: temporary file, fsync, rename,
/// fsync of the directory.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.smsgate-tmp"));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    spool_dir::sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use sms_command::RateLimit;
    use sms_pdu::{Address, TypeOfAddress};

    use super::*;

    fn authorizer() -> Authorizer {
        let allowed = vec![InternationalNumber::parse("+37120000000").unwrap()];
        Authorizer::new(allowed, "slepens", RateLimit::DEFAULT).unwrap()
    }

    fn load(base: &Path, max_waiting: usize) -> State {
        State::load(
            base,
            authorizer(),
            RecentCommands::new(Duration::from_secs(3600), RECENT_CAPACITY),
            max_waiting,
        )
    }

    fn job(file: &str) -> Job {
        Job {
            file: file.to_owned(),
            script: "x".to_owned(),
            variables: vec![("a".to_owned(), Some("1".to_owned())), ("b".to_owned(), None)],
            sender: "+37120000000".to_owned(),
            modem: "gsm1".to_owned(),
        }
    }

    #[test]
    fn the_state_survives_a_restart_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = load(dir.path(), 16);
        assert_eq!(state.broken, None);
        let sender = Address {
            toa: TypeOfAddress::INTERNATIONAL,
            number: "37120000000".to_owned(),
        };
        let now = Duration::from_secs(1_800_000_000);
        for _ in 0..3 {
            assert!(state.authorizer.check(&sender, "guess", now).is_err());
        }
        state.recent.record(Seen {
            digest: MessageDigest(0xfeed),
            at: now,
            file: "gsm1.abcdef".to_owned(),
        });
        state
            .waiting
            .extend([job("gsm1.a"), job("gsm1.b"), job("gsm1.c")]);
        state.save().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(!String::from_utf8(fs::read(&path).unwrap())
            .unwrap()
            .contains("slepens"));

        let mut restarted = load(dir.path(), 2);
        assert!(matches!(
            restarted
                .authorizer
                .check(&sender, "slepens", now + Duration::from_secs(60)),
            Err(sms_command::Refusal::LockedOut { .. })
        ));
        assert_eq!(
            restarted.recent.find(MessageDigest(0xfeed), now).unwrap().file,
            "gsm1.abcdef"
        );
        // Bounded by max-waiting, oldest kept.
        assert_eq!(restarted.waiting, [job("gsm1.a"), job("gsm1.b")]);
    }

    #[test]
    fn an_unreadable_file_refuses_commands_and_a_failed_write_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        let state = load(dir.path(), 16);
        assert!(
            state.broken.as_deref().unwrap().contains("unreadable"),
            "{:?}",
            state.broken
        );
        // A directory where the file goes: the rename fails, even as root.
        let other = tempfile::tempdir().unwrap();
        fs::create_dir(other.path().join(FILE_NAME)).unwrap();
        fs::write(other.path().join(FILE_NAME).join("x"), "").unwrap();
        let state = load(other.path(), 16);
        assert!(state.save().is_err());
    }
}
