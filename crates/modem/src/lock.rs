//! Exclusive ownership of a serial device, so that two programs never
//! interleave AT commands on one modem (RouterOS: "the port is acquired
//! for the duration of the command and cannot be used concurrently").
//!
//! Three locks, because each covers what the others miss:
//!
//! - `TIOCEXCL` on the open device: the kernel refuses further opens
//!   (except by root), so even programs that know no locking are kept out;
//! - an exclusive `flock` on the device: refused to anyone else who asks,
//!   root included;
//! - a UUCP-style lock file, `LCK..ttyUSB2` in a lock directory (usually
//!   `/var/lock`), holding our PID as ten digits and a newline: what
//!   minicom, smstools3 and pppd check, and the only one that tells a
//!   second user *who* holds the port.
//!
//! The first two come with opening the port (`tokio-serial` does them); this
//! module does the lock file, and finds the holder for the error message.
//! A lock file whose process no longer exists is stale and is taken over.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use crate::error::ModemError;

/// A process that holds a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its command line from `/proc/<pid>/cmdline`, if readable.
    pub command_line: Option<String>,
}

impl Holder {
    /// The process `pid`, with its command line if it can be read.
    pub fn of_pid(pid: u32) -> Holder {
        let command_line = fs::read(format!("/proc/{pid}/cmdline")).ok().and_then(|bytes| {
            let words: Vec<String> = bytes
                .split(|&byte| byte == 0)
                .filter(|word| !word.is_empty())
                .map(|word| String::from_utf8_lossy(word).into_owned())
                .collect();
            (!words.is_empty()).then(|| words.join(" "))
        });
        Holder { pid, command_line }
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PID {}", self.pid)?;
        if let Some(command_line) = &self.command_line {
            write!(f, " ({command_line})")?;
        }
        Ok(())
    }
}

/// A lock file we created; removed when dropped, if it is still ours.
#[derive(Debug)]
pub(crate) struct LockFile {
    path: PathBuf,
}

impl LockFile {
    /// Takes the lock file for `device` in `dir`. `Ok(None)` when the
    /// directory is missing or not writable: the device locks still hold,
    /// only the holder's name would be missing from a second user's error,
    /// so that is a warning, not a failure.
    pub(crate) fn acquire(dir: &Path, device: &Path, port: &str) -> Result<Option<LockFile>, ModemError> {
        let path = dir.join(lock_name(device));
        let lock_path = path.display().to_string();
        let lock_error = |error| ModemError::LockFile {
            path: lock_path.clone(),
            error,
        };
        let pid = std::process::id();
        // Written whole to a private file first and then linked into place,
        // so that nobody ever reads a half-written lock file.
        let tmp = dir.join(format!(".LCK.{pid}.{}", unique()));
        match write_pid(&tmp, pid) {
            Ok(()) => {}
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::NotFound
                ) =>
            {
                tracing::warn!(
                    "{port}: no lock file in {}: {err}; the port is still locked against other openers",
                    dir.display()
                );
                return Ok(None);
            }
            Err(err) => return Err(lock_error(err)),
        }
        // Two tries: the second after removing a stale lock file.
        let result = (|| {
            for _ in 0..2 {
                match fs::hard_link(&tmp, &path) {
                    Ok(()) => return Ok(Some(LockFile { path: path.clone() })),
                    Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(err) => return Err(lock_error(err)),
                }
                match read_pid(&path) {
                    Some(holder) if is_alive(holder) => {
                        return Err(ModemError::InUse {
                            port: port.to_owned(),
                            holders: vec![Holder::of_pid(holder)],
                            lock_file: Some(lock_path.clone()),
                        });
                    }
                    stale => {
                        tracing::info!(
                            "{port}: removing the stale lock file {lock_path} (PID {})",
                            stale.map_or_else(|| "unreadable".to_owned(), |pid| pid.to_string())
                        );
                        match fs::remove_file(&path) {
                            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(lock_error(err)),
                            _ => {}
                        }
                    }
                }
            }
            Err(ModemError::InUse {
                port: port.to_owned(),
                holders: read_pid(&path).map(Holder::of_pid).into_iter().collect(),
                lock_file: Some(lock_path.clone()),
            })
        })();
        let _ = fs::remove_file(&tmp);
        result
    }
}

impl Drop for LockFile {
    fn drop(&mut self) {
        // Only our own: after a stale-lock takeover by someone else (we
        // were thought dead), the file is theirs.
        if read_pid(&self.path) == Some(std::process::id()) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The processes other than this one that have `device` open, found
/// through `/proc/*/fd`: who to name when the device is locked but no lock
/// file says by whom.
pub(crate) fn processes_with_open(device: &Path) -> Vec<Holder> {
    let Ok(target) = fs::canonicalize(device) else {
        return Vec::new();
    };
    let own = std::process::id();
    let Ok(processes) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut holders = Vec::new();
    for process in processes.flatten() {
        let Some(pid) = process
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(fds) = fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|link| link == target))
        {
            holders.push(Holder::of_pid(pid));
        }
    }
    holders.sort_by_key(|holder| holder.pid);
    holders
}

/// `LCK..ttyUSB2` for `/dev/ttyUSB2`, `LCK..pts_3` for `/dev/pts/3`: the
/// device after `/dev/`, with `/` as `_`, as minicom and pppd name them.
/// The name is that of the real device, so that two symlinks to one
/// device share one lock.
fn lock_name(device: &Path) -> String {
    let real = fs::canonicalize(device).unwrap_or_else(|_| device.to_path_buf());
    let real = real.to_string_lossy();
    let name = real
        .strip_prefix("/dev/")
        .unwrap_or(&real)
        .trim_start_matches('/');
    format!("LCK..{}", name.replace('/', "_"))
}

fn write_pid(path: &Path, pid: u32) -> io::Result<()> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    // HDB UUCP format: the PID in ten characters, right-aligned.
    file.write_all(format!("{pid:>10}\n").as_bytes())
}

fn read_pid(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether process `pid` exists. `EPERM` means it does, but belongs to
/// another user.
fn is_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    raw > 0 && !matches!(kill(Pid::from_raw(raw), None), Err(Errno::ESRCH))
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_follow_minicom() {
        assert_eq!(
            lock_name(Path::new("/nonexistent/dev/x")),
            "LCK..nonexistent_dev_x"
        );
        assert_eq!(lock_name(Path::new("/dev/ttyUSB99")), "LCK..ttyUSB99");
    }

    #[test]
    fn second_lock_names_the_holder_and_stale_locks_are_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let device = dir.path().join("device");
        fs::write(&device, "").unwrap();
        let lock = LockFile::acquire(dir.path(), &device, "dev").unwrap().unwrap();
        let text = fs::read_to_string(&lock.path).unwrap();
        assert_eq!(text, format!("{:>10}\n", std::process::id()));
        let err = LockFile::acquire(dir.path(), &device, "dev").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("dev is in use by PID {} (", std::process::id())),
            "{message}"
        );
        let path = lock.path.clone();
        drop(lock);
        assert!(!path.exists());
        // A PID that cannot exist: the lock file is stale.
        fs::write(&path, "4294967\n").unwrap();
        let lock = LockFile::acquire(dir.path(), &device, "dev").unwrap().unwrap();
        assert_eq!(read_pid(&lock.path), Some(std::process::id()));
    }

    #[test]
    fn a_missing_lock_dir_is_only_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        assert!(LockFile::acquire(&missing, Path::new("/dev/null"), "null")
            .unwrap()
            .is_none());
    }
}
