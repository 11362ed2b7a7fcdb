//! systemd's service notification protocol (sd_notify(3)), for the unit's
//! `Type=notify` and `WatchdogSec=`: datagrams to `$NOTIFY_SOCKET`.
//!
//! - `READY=1` once the store (journal) is open, the spool made and the
//!   modems opened or being retried in the background: `systemctl start`
//!   returns then, and units ordered after smsgate start.
//! - `STATUS=` on every tick: modems set up of those configured, blocked
//!   ones, files queued and in flight (`systemctl status` shows it).
//! - `WATCHDOG=1` only while the scheduler loop turns. The scheduler
//!   marks every turn of its loop on [`PULSE`] (a counter, nothing more,
//!   so that the scheduler knows nothing of systemd); the loop turns at
//!   least every [`RESCAN_INTERVAL`] even when idle. A loop stuck (a
//!   deadlock, a blocking call) stops the pings, and systemd kills and
//!   restarts the daemon after `WatchdogSec=`, while a healthy idle
//!   daemon keeps pinging. Pinging from a timer alone would prove only
//!   that the runtime runs.
//! - `STOPPING=1` when the shutdown begins (SIGTERM).
//!
//! The decision to ping is the pure [`Liveness`], fed the counter and a
//! clock; [`supervise`] is the thin task around it.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::scheduler::RESCAN_INTERVAL;

/// How often `STATUS=` is sent when systemd asked for no watchdog.
const STATUS_INTERVAL: Duration = Duration::from_secs(5);

/// The scheduler loop's turns and what it last saw: written by the
/// scheduler, read by [`supervise`].
///
/// A process-wide value: a process runs one daemon (`smsgate run`), and
/// the scheduler needs no handle passed through its constructor.
#[derive(Debug)]
pub(crate) struct Pulse {
    turns: AtomicU64,
    modems_up: AtomicUsize,
    modems_blocked: AtomicUsize,
    queued: AtomicUsize,
    sending: AtomicUsize,
}

/// What the scheduler saw on one turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Modems set up and taking work (blocked ones included).
    pub(crate) modems_up: usize,
    /// Of those, modems blocked after failures in a row.
    pub(crate) modems_blocked: usize,
    /// Files planned and waiting for a modem or in a send.
    pub(crate) queued: usize,
    /// Of those, files in a send now.
    pub(crate) sending: usize,
}

/// See [`Pulse`].
pub(crate) static PULSE: Pulse = Pulse {
    turns: AtomicU64::new(0),
    modems_up: AtomicUsize::new(0),
    modems_blocked: AtomicUsize::new(0),
    queued: AtomicUsize::new(0),
    sending: AtomicUsize::new(0),
};

impl Pulse {
    /// Marks one turn of the scheduler loop.
    ///
    /// In debug builds, `SMSGATE_DEBUG_STALL_SCHEDULER=FILE` holds the
    /// scheduler here while FILE exists: the loop really stops (no file is
    /// taken or sent), which the notify test uses to show that a stalled
    /// scheduler stops the watchdog pings.
    pub(crate) async fn turn(&self, snapshot: Snapshot) {
        #[cfg(debug_assertions)]
        debug_stall::hold().await;
        self.modems_up.store(snapshot.modems_up, Ordering::Relaxed);
        self.modems_blocked
            .store(snapshot.modems_blocked, Ordering::Relaxed);
        self.queued.store(snapshot.queued, Ordering::Relaxed);
        self.sending.store(snapshot.sending, Ordering::Relaxed);
        self.turns.fetch_add(1, Ordering::Release);
    }

    fn turns(&self) -> u64 {
        self.turns.load(Ordering::Acquire)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            modems_up: self.modems_up.load(Ordering::Relaxed),
            modems_blocked: self.modems_blocked.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
            sending: self.sending.load(Ordering::Relaxed),
        }
    }
}

#[cfg(debug_assertions)]
mod debug_stall {
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::time::Duration;

    /// Waits while the file named by `SMSGATE_DEBUG_STALL_SCHEDULER`
    /// exists (read once; unset, this returns at once).
    pub(super) async fn hold() {
        static FLAG: OnceLock<Option<PathBuf>> = OnceLock::new();
        let flag = FLAG.get_or_init(|| std::env::var_os("SMSGATE_DEBUG_STALL_SCHEDULER").map(PathBuf::from));
        if let Some(flag) = flag {
            if flag.exists() {
                tracing::warn!(target: "smsgate", "scheduler held: {} exists", flag.display());
            }
            while flag.exists() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Whether the scheduler is alive, from its turn counter: the pure core
/// of the watchdog.
#[derive(Debug)]
pub(crate) struct Liveness {
    last_turns: u64,
    /// When a new turn was last seen.
    last_change: Instant,
    /// How long the counter may stand still before the scheduler counts
    /// as stalled.
    stall_after: Duration,
}

impl Liveness {
    /// `tick` is how often [`Liveness::observe`] is called: a turn may
    /// have happened just after the previous look.
    pub(crate) fn new(turns: u64, now: Instant, tick: Duration) -> Liveness {
        Liveness {
            last_turns: turns,
            last_change: now,
            stall_after: RESCAN_INTERVAL * 2 + tick,
        }
    }

    /// `None` while the scheduler turns; how long it has stood still once
    /// that is longer than it ever does when idle.
    pub(crate) fn observe(&mut self, turns: u64, now: Instant) -> Option<Duration> {
        if turns != self.last_turns {
            self.last_turns = turns;
            self.last_change = now;
        }
        let still = now.saturating_duration_since(self.last_change);
        (still > self.stall_after).then_some(still)
    }
}

/// The `STATUS=` text.
pub(crate) fn status_line(snapshot: Snapshot, modems_configured: usize) -> String {
    let mut line = format!(
        "{}/{} modem(s) up, {} file(s) queued, {} sending",
        snapshot.modems_up, modems_configured, snapshot.queued, snapshot.sending
    );
    if snapshot.modems_blocked > 0 {
        line.push_str(&format!(", {} modem(s) blocked", snapshot.modems_blocked));
    }
    line
}

/// The socket systemd gave, and its watchdog period.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    address: SocketAddr,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// From `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`; `None`
    /// when not started by systemd (no `NOTIFY_SOCKET`). The variables
    /// are removed so that the eventhandler and the scripts the daemon
    /// runs cannot speak for it; call before any thread is started.
    pub fn from_env() -> anyhow::Result<Option<Notifier>> {
        let socket = std::env::var_os("NOTIFY_SOCKET");
        let watchdog_usec = std::env::var("WATCHDOG_USEC").ok();
        let watchdog_pid = std::env::var("WATCHDOG_PID").ok();
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            std::env::remove_var(name);
        }
        let Some(socket) = socket.filter(|socket| !socket.is_empty()) else {
            return Ok(None);
        };
        let address = socket_address(&socket.to_string_lossy())?;
        let watchdog = watchdog_period(
            watchdog_usec.as_deref(),
            watchdog_pid.as_deref(),
            std::process::id(),
        )?;
        let socket = UnixDatagram::unbound().context("NOTIFY_SOCKET: creating a datagram socket")?;
        Ok(Some(Notifier {
            socket,
            address,
            watchdog,
        }))
    }

    /// Sends `state` (`READY=1`, `STATUS=...`, several lines at once).
    pub fn notify(&self, state: &str) -> io::Result<()> {
        self.socket
            .send_to_addr(state.as_bytes(), &self.address)
            .map(|_| ())
    }
}

/// `NOTIFY_SOCKET`: a path, or `@name` for an abstract socket.
fn socket_address(text: &str) -> anyhow::Result<SocketAddr> {
    if let Some(name) = text.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt as _;
        return SocketAddr::from_abstract_name(name.as_bytes())
            .with_context(|| format!("NOTIFY_SOCKET={text:?}: not a socket name"));
    }
    if !text.starts_with('/') {
        bail!("NOTIFY_SOCKET={text:?}: neither an absolute path nor @name");
    }
    SocketAddr::from_pathname(text).with_context(|| format!("NOTIFY_SOCKET={text:?}: not a socket path"))
}

/// `WATCHDOG_USEC` as a period, if it is meant for this process
/// (`WATCHDOG_PID` unset or ours).
fn watchdog_period(usec: Option<&str>, pid: Option<&str>, own_pid: u32) -> anyhow::Result<Option<Duration>> {
    let Some(usec) = usec else {
        return Ok(None);
    };
    if pid.is_some_and(|pid| pid.trim() != own_pid.to_string()) {
        return Ok(None);
    }
    match usec.trim().parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(usec) => Ok(Some(Duration::from_micros(usec))),
        Err(_) => bail!("WATCHDOG_USEC={usec:?}: not a number of microseconds"),
    }
}

/// Until `shutdown`: `READY=1` at once, then on every tick (half the
/// watchdog period, or [`STATUS_INTERVAL`]) `STATUS=`, with `WATCHDOG=1`
/// while the scheduler turns; `STOPPING=1` at the end.
pub async fn supervise(notifier: Notifier, modems_configured: usize, shutdown: CancellationToken) {
    let tick = notifier.watchdog.map_or(STATUS_INTERVAL, |period| period / 2);
    let mut liveness = Liveness::new(PULSE.turns(), Instant::now(), tick);
    let ready = format!(
        "READY=1\nSTATUS={}",
        status_line(PULSE.snapshot(), modems_configured)
    );
    let mut send_failed = send(&notifier, &ready, false);
    tracing::info!(
        target: "smsgate",
        watchdog_ms = notifier.watchdog.map(|period| period.as_millis() as u64),
        "told systemd the daemon is ready"
    );
    let mut stalled_reported = false;
    let mut ticks = tokio::time::interval_at(Instant::now() + tick, tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = ticks.tick() => {}
        }
        let state = match liveness.observe(PULSE.turns(), Instant::now()) {
            None => {
                stalled_reported = false;
                let status = status_line(PULSE.snapshot(), modems_configured);
                match notifier.watchdog {
                    Some(_) => format!("WATCHDOG=1\nSTATUS={status}"),
                    None => format!("STATUS={status}"),
                }
            }
            Some(still) => {
                if !stalled_reported {
                    tracing::error!(
                        target: "smsgate",
                        "the scheduler has not turned for {} s: watchdog pings withheld, systemd restarts the daemon",
                        still.as_secs()
                    );
                    stalled_reported = true;
                }
                format!(
                    "STATUS=scheduler stalled for {} s; watchdog pings withheld",
                    still.as_secs()
                )
            }
        };
        send_failed = send(&notifier, &state, send_failed);
    }
    send(
        &notifier,
        "STOPPING=1\nSTATUS=stopping: finishing the sends in flight",
        send_failed,
    );
}

/// Sends `state`; an error is logged once until a send succeeds again.
/// Returns whether this send failed.
fn send(notifier: &Notifier, state: &str, failed_before: bool) -> bool {
    match notifier.notify(state) {
        Ok(()) => false,
        Err(err) => {
            if !failed_before {
                tracing::warn!(target: "smsgate", "cannot notify systemd: {err}");
            }
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_keep_it_alive_and_standing_still_past_the_limit_is_a_stall() {
        let start = Instant::now();
        let tick = Duration::from_secs(15);
        let mut liveness = Liveness::new(7, start, tick);
        let limit = RESCAN_INTERVAL * 2 + tick;
        // Idle but turning: alive whatever the time.
        assert_eq!(liveness.observe(8, start + tick), None);
        assert_eq!(liveness.observe(9, start + tick * 20), None);
        // Standing still: alive up to the limit, stalled after it.
        let last = start + tick * 20;
        assert_eq!(liveness.observe(9, last + limit), None);
        assert_eq!(
            liveness.observe(9, last + limit + Duration::from_millis(1)),
            Some(limit + Duration::from_millis(1))
        );
        // A turn ends the stall.
        assert_eq!(liveness.observe(10, last + limit * 3), None);
    }

    #[test]
    fn the_limit_covers_the_longest_idle_wait_of_the_loop() {
        // A healthy idle scheduler turns once per rescan; looked at every
        // tick it never counts as stalled, however short the tick.
        for tick in [
            Duration::from_millis(100),
            Duration::from_secs(1),
            Duration::from_secs(30),
        ] {
            let start = Instant::now();
            let mut liveness = Liveness::new(0, start, tick);
            let mut turns = 0;
            let mut now = start;
            let mut next_turn = start + RESCAN_INTERVAL;
            while now < start + Duration::from_secs(120) {
                now += tick;
                while next_turn <= now {
                    turns += 1;
                    next_turn += RESCAN_INTERVAL;
                }
                assert_eq!(
                    liveness.observe(turns, now),
                    None,
                    "tick {tick:?} at {:?}",
                    now - start
                );
            }
        }
    }

    #[test]
    fn status_lines() {
        let snapshot = Snapshot {
            modems_up: 1,
            modems_blocked: 0,
            queued: 3,
            sending: 1,
        };
        assert_eq!(
            status_line(snapshot, 2),
            "1/2 modem(s) up, 3 file(s) queued, 1 sending"
        );
        let blocked = Snapshot {
            modems_blocked: 1,
            ..snapshot
        };
        assert_eq!(
            status_line(blocked, 2),
            "1/2 modem(s) up, 3 file(s) queued, 1 sending, 1 modem(s) blocked"
        );
    }

    #[test]
    fn socket_addresses_and_watchdog_periods() {
        assert!(socket_address("/run/systemd/notify").is_ok());
        assert!(socket_address("@/org/freedesktop/systemd1/notify/1").is_ok());
        assert!(socket_address("relative/notify")
            .unwrap_err()
            .to_string()
            .contains("NOTIFY_SOCKET"));
        assert_eq!(
            watchdog_period(Some("30000000"), None, 42).unwrap(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            watchdog_period(Some("30000000"), Some("42"), 42).unwrap(),
            Some(Duration::from_secs(30))
        );
        // Meant for another process (our parent's, inherited).
        assert_eq!(watchdog_period(Some("30000000"), Some("41"), 42).unwrap(), None);
        assert_eq!(watchdog_period(None, None, 42).unwrap(), None);
        assert_eq!(watchdog_period(Some("0"), None, 42).unwrap(), None);
        assert!(watchdog_period(Some("soon"), None, 42)
            .unwrap_err()
            .to_string()
            .contains("WATCHDOG_USEC"));
    }

    #[test]
    fn a_datagram_reaches_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier {
            socket: UnixDatagram::unbound().unwrap(),
            address: socket_address(path.to_str().unwrap()).unwrap(),
            watchdog: None,
        };
        notifier.notify("READY=1\nSTATUS=x").unwrap();
        let mut buf = [0; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=x");
    }
}
