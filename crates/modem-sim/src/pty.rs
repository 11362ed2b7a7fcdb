//! A virtual serial port: a pseudo-terminal whose slave side clients open
//! like `/dev/ttyUSB0`, reached through a stable symlink (`DIR/modemN`).
//!
//! The simulator talks to the master side. Three things make a PTY behave
//! like a serial port that clients can come and go on (see
//! shared/notes/real-clients-at-transcripts.md, gotchas 16 and 19):
//!
//! - The simulator holds its own slave descriptor for as long as the port
//!   is plugged in. Without it, the master reads EIO the moment the last
//!   client closes, and a new client would find a dead line.
//! - The slave is kept in raw mode. Clients change termios (gammu sets `B0`
//!   and `CLOCAL|HUPCL`, smsd `CRTSCTS`) and restore whatever they found
//!   when they close; a client that leaves `ECHO` on makes every byte the
//!   simulator writes come straight back to it as "client input". So the
//!   mode is checked before every write and by [`PtyPort::ensure_raw`],
//!   which the owner calls every [`RAW_CHECK_INTERVAL`].
//! - The symlink is replaced atomically (a temporary link renamed over it),
//!   so a client opening `DIR/modemN` never sees it missing during a
//!   [`PtyPort::replug`], and always reaches the current PTY.
//!
//! I/O on the master goes through tokio's [`AsyncFd`] on a non-blocking
//! descriptor rather than a pair of blocking threads: the owning task can
//! wait for bytes, timers and commands in one `select!`, cancelling a read
//! is just dropping its future, and a replug closes the descriptor without
//! racing a thread that is blocked in `read(2)` on it. The machine has two
//! cores and a simulator may run dozens of modems, so threads per port
//! would also cost more than they give.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::stat::Mode;
use nix::sys::termios::{cfmakeraw, tcflush, tcgetattr, tcsetattr, FlushArg, SetArg, Termios};
use tokio::io::unix::AsyncFd;

/// How often the owner of a [`PtyPort`] should call [`PtyPort::ensure_raw`]
/// so that a client that opens the port finds it raw even if the previous
/// client left it cooked.
pub const RAW_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// How long a write waits for room on the line before the bytes nobody
/// read are thrown away (see [`PtyPort::write_all`]).
const STALLED_WRITE_TIMEOUT: Duration = Duration::from_millis(500);

/// A virtual serial port behind a symlink; see the module docs.
#[derive(Debug)]
pub struct PtyPort {
    link: PathBuf,
    /// `None` while unplugged.
    pty: Option<Pty>,
}

/// One pseudo-terminal pair, from openpty to close.
#[derive(Debug)]
struct Pty {
    master: AsyncFd<OwnedFd>,
    /// Held open only so that the master side lives on when clients close;
    /// the simulator never reads or writes it.
    slave: OwnedFd,
    slave_path: PathBuf,
}

impl PtyPort {
    /// Opens a new PTY and points `link` at its slave, replacing whatever
    /// `link` was (a stale link from an earlier run, say). The directory of
    /// `link` must exist. Must be called inside a tokio runtime.
    pub fn open(link: impl Into<PathBuf>) -> io::Result<PtyPort> {
        let mut port = PtyPort {
            link: link.into(),
            pty: None,
        };
        port.plug()?;
        Ok(port)
    }

    /// The symlink clients open.
    pub fn link(&self) -> &Path {
        &self.link
    }

    /// The slave device the link points at now (`/dev/pts/N`), or `None`
    /// while unplugged.
    pub fn slave_path(&self) -> Option<&Path> {
        self.pty.as_ref().map(|pty| pty.slave_path.as_path())
    }

    /// Whether a PTY is there.
    pub fn is_plugged(&self) -> bool {
        self.pty.is_some()
    }

    /// Reads what the client wrote. Waits forever while unplugged, so it
    /// can sit in a `select!` beside the events that plug the port back in.
    /// Cancel-safe: no bytes are lost when the future is dropped.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(pty) = &self.pty else {
            return std::future::pending().await;
        };
        loop {
            let mut guard = pty.master.readable().await?;
            match guard.try_io(|master| nix::unistd::read(master.get_ref(), buf).map_err(io::Error::from)) {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }

    /// Writes all of `bytes` to the client. While unplugged the bytes are
    /// lost, as they would be on a real line.
    ///
    /// When no client reads, the bytes pile up in the PTY until it is full
    /// and a write would wait forever. A real serial line drops what nobody
    /// reads, so after waiting half a second for room this discards the
    /// unread input of the slave and carries on.
    pub async fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        let Some(pty) = &self.pty else {
            return Ok(());
        };
        // Checked before every write, not only on a timer: with ECHO on the
        // slave, these very bytes would come back to us as client input.
        make_raw(&pty.slave)?;
        // Once the line has stalled for the timeout, nobody is reading: the
        // rest of these bytes need not wait again.
        let mut stalled = false;
        while !bytes.is_empty() {
            let written = if stalled {
                tcflush(&pty.slave, FlushArg::TCIFLUSH).map_err(io::Error::from)?;
                // Readiness is edge-triggered and a flush is no edge: write
                // at once rather than wait for one.
                match write(pty.master.get_ref(), bytes) {
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        continue;
                    }
                    written => written,
                }
            } else {
                match tokio::time::timeout(STALLED_WRITE_TIMEOUT, pty.master.writable()).await {
                    Ok(guard) => match guard?.try_io(|master| write(master.get_ref(), bytes)) {
                        Ok(written) => written,
                        Err(_would_block) => continue,
                    },
                    Err(_elapsed) => {
                        stalled = true;
                        continue;
                    }
                }
            };
            bytes = &bytes[written?..];
        }
        Ok(())
    }

    /// Puts the slave back into raw mode if a client changed it. Returns
    /// whether it had to. Does nothing while unplugged.
    pub fn ensure_raw(&self) -> io::Result<bool> {
        match &self.pty {
            Some(pty) => make_raw(&pty.slave),
            None => Ok(false),
        }
    }

    /// Unplugs and plugs the port back in at once: a new PTY (a new
    /// `/dev/pts/N`) behind the same link, and clients of the old one get
    /// EIO or end-of-file. The new PTY is opened before the old one closes,
    /// so the link is never missing and the kernel cannot hand out the old
    /// pts number again.
    pub fn replug(&mut self) -> io::Result<()> {
        let old = self.pty.take();
        let result = self.plug();
        drop(old);
        result
    }

    /// Closes the PTY, so that clients get EIO or end-of-file, and removes
    /// the link, as a USB modem's device node disappears when it is pulled.
    /// Does nothing if already unplugged.
    pub fn unplug(&mut self) -> io::Result<()> {
        if self.pty.take().is_none() {
            return Ok(());
        }
        match std::fs::remove_file(&self.link) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// Opens a new PTY and points the link at it. If a PTY is plugged in
    /// already, this is [`PtyPort::replug`].
    pub fn plug(&mut self) -> io::Result<()> {
        if self.pty.is_some() {
            return self.replug();
        }
        let pty = Pty::open()?;
        replace_symlink(&pty.slave_path, &self.link)?;
        self.pty = Some(pty);
        Ok(())
    }
}

impl Drop for PtyPort {
    /// Removes the link if it still points at this port's PTY: another
    /// simulator may have taken the name over since.
    fn drop(&mut self) {
        let Some(pty) = &self.pty else { return };
        if std::fs::read_link(&self.link).is_ok_and(|target| target == pty.slave_path) {
            let _ = std::fs::remove_file(&self.link);
        }
    }
}

impl Pty {
    /// Both descriptors are close-on-exec from the moment they exist
    /// (`openpty` gives inheritable ones): a child process that inherited
    /// the master would keep the line alive after an unplug, so its client
    /// would never see the hang-up. Tests that run smsd, gammu or smsgate
    /// next to the simulator fork such children all the time, from other
    /// threads too, so setting the flag afterwards would leave a window.
    fn open() -> io::Result<Pty> {
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .map_err(io::Error::from)?;
        grantpt(&master).map_err(io::Error::from)?;
        unlockpt(&master).map_err(io::Error::from)?;
        let slave_path = PathBuf::from(ptsname_r(&master).map_err(io::Error::from)?);
        let slave = nix::fcntl::open(
            &slave_path,
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io::Error::from)?;
        make_raw(&slave)?;
        Ok(Pty {
            master: register(OwnedFd::from(master))?,
            slave,
            slave_path,
        })
    }
}

fn write(fd: &OwnedFd, bytes: &[u8]) -> io::Result<usize> {
    nix::unistd::write(fd, bytes).map_err(io::Error::from)
}

/// Registers the master with tokio's reactor.
///
/// `AsyncFd::new` is deprecated because it cannot check that the descriptor
/// stays open and the same for the `AsyncFd`'s life; its replacement,
/// `AsyncFd::register`, is `unsafe`, which this workspace forbids. An
/// `OwnedFd` moved into the `AsyncFd` is that guarantee: nothing else can
/// close it or make it refer to another file.
#[expect(
    deprecated,
    reason = "sound for an OwnedFd moved in; the replacement needs unsafe"
)]
fn register(master: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    AsyncFd::new(master)
}

/// Sets raw mode (`cfmakeraw`) on a terminal unless it is raw already, and
/// says whether it changed anything.
///
/// Only the mode flags are forced. The control characters are the client's:
/// smsd and pyserial choose their own VMIN/VTIME for their reads, and a
/// check that runs while a client is attached must not change how its
/// reads block. Speed and the modem-control flags (`CLOCAL`, `HUPCL`,
/// `CRTSCTS`) are left alone too; a PTY ignores them.
fn make_raw(tty: impl AsFd) -> io::Result<bool> {
    let current = tcgetattr(&tty).map_err(io::Error::from)?;
    let mut raw = current.clone();
    cfmakeraw(&mut raw);
    raw.control_chars = current.control_chars;
    if same_mode(&current, &raw) {
        return Ok(false);
    }
    tcsetattr(&tty, SetArg::TCSANOW, &raw).map_err(io::Error::from)?;
    Ok(true)
}

fn same_mode(left: &Termios, right: &Termios) -> bool {
    left.input_flags == right.input_flags
        && left.output_flags == right.output_flags
        && left.control_flags == right.control_flags
        && left.local_flags == right.local_flags
}

/// Points `link` at `target` atomically: a temporary link next to it,
/// renamed over it.
fn replace_symlink(target: &Path, link: &Path) -> io::Result<()> {
    // Unique per process and call, so two ports (or two simulators) never
    // share a temporary name.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let file_name = link.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} has no file name", link.display()),
        )
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp_link = link.with_file_name(tmp_name);
    std::os::unix::fs::symlink(target, &tmp_link)?;
    std::fs::rename(&tmp_link, link).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp_link);
    })
}

#[cfg(test)]
mod tests {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};

    use super::*;

    fn close_on_exec(fd: impl AsFd) -> bool {
        let flags = fcntl(fd, FcntlArg::F_GETFD).unwrap();
        FdFlag::from_bits_retain(flags).contains(FdFlag::FD_CLOEXEC)
    }

    /// A child that inherited the master would keep an unplugged line
    /// alive for the client (found by smsgate's CLI tests: a send whose
    /// port was pulled waited a minute instead of failing).
    #[tokio::test]
    async fn no_child_process_inherits_the_pty() {
        let dir = tempfile::tempdir().unwrap();
        let port = PtyPort::open(dir.path().join("modem0")).unwrap();
        let pty = port.pty.as_ref().unwrap();
        assert!(close_on_exec(pty.master.get_ref()));
        assert!(close_on_exec(&pty.slave));
    }
}
