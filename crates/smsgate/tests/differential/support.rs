//! Helpers for the differential test: a simulator on a runtime of its own,
//! client processes killed (with their process group) in teardown, waits
//! with deadlines, and the byte-level reading of a submitted PDU that the
//! comparison needs (the destination, and where TP-MR and the
//! concatenation reference sit). Borrowed from modem-sim's
//! `tests/interop_support`, cut down to what a send-only run needs.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use modem_sim::sim::{SimConfig, SimHandle, Simulator, SubmittedMessage};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// A simulator with one numbered modem (the same identity in every rig),
/// in its own temporary directory, on its own runtime.
pub(crate) struct Rig {
    handle: Option<SimHandle>,
    runtime: Option<tokio::runtime::Runtime>,
    /// `sim/` holds the modem link; the rest is the run's spool and logs.
    pub(crate) dir: tempfile::TempDir,
}

impl Rig {
    pub(crate) fn start(prefix: &str) -> Rig {
        let keep = std::env::var_os("SMSGATE_DIFFERENTIAL_KEEP").is_some();
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .disable_cleanup(keep)
            .tempdir()
            .expect("creating the temporary directory");
        if keep {
            eprintln!("SMSGATE_DIFFERENTIAL_KEEP: keeping {}", dir.path().display());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("building the simulator's runtime");
        let handle = runtime
            .block_on(Simulator::start(SimConfig::new(1, dir.path().join("sim"))))
            .expect("starting the simulator");
        Rig {
            handle: Some(handle),
            runtime: Some(runtime),
            dir,
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The link a client opens for the modem.
    pub(crate) fn link(&self) -> PathBuf {
        self.path("sim").join("modem0")
    }

    /// Everything the modem received with `AT+CMGS`, oldest first.
    pub(crate) fn submitted(&self) -> Vec<SubmittedMessage> {
        let (Some(runtime), Some(handle)) = (self.runtime.as_ref(), self.handle.as_ref()) else {
            return Vec::new();
        };
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), handle.submitted(0)).await })
            .expect("the simulator did not answer within 10 s")
            .expect("the submitted list")
    }

    /// Puts a PDU (SMSC address first, an SMS-DELIVER or a status report)
    /// into the modem as if it came over the air.
    #[allow(dead_code, reason = "used by the receive-side test only")]
    pub(crate) fn inject_pdu(&self, pdu: Vec<u8>) {
        let (Some(runtime), Some(handle)) = (self.runtime.as_ref(), self.handle.as_ref()) else {
            panic!("the simulator has stopped");
        };
        let injection = modem_sim::sim::Injection::Pdu(pdu);
        runtime
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(10), handle.inject(0, injection)).await
            })
            .expect("the simulator did not answer within 10 s")
            .expect("injecting a PDU");
    }

    /// A call from `from` rings on the modem (`RING`, `+CLIP`).
    #[allow(dead_code, reason = "used by the chores test only")]
    pub(crate) fn incoming_call(&self, from: &str) {
        let (Some(runtime), Some(handle)) = (self.runtime.as_ref(), self.handle.as_ref()) else {
            panic!("the simulator has stopped");
        };
        let rang = runtime
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(10), handle.incoming_call(0, from)).await
            })
            .expect("the simulator did not answer within 10 s")
            .expect("ringing the modem");
        assert!(rang, "the call did not get through");
    }

    /// How many messages the modem's SIM store holds.
    #[allow(dead_code, reason = "used by the receive-side test only")]
    pub(crate) fn stored(&self) -> usize {
        let (Some(runtime), Some(handle)) = (self.runtime.as_ref(), self.handle.as_ref()) else {
            return 0;
        };
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), handle.modem(0)).await })
            .expect("the simulator did not answer within 10 s")
            .expect("the modem's state")
            .sm
            .0
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let (Some(handle), Some(runtime)) = (self.handle.take(), self.runtime.as_ref()) {
            let _ = runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), handle.shutdown()).await });
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// Debian's smstools3 smsd.
pub(crate) const SMSD: &str = "/usr/sbin/smsd";

impl Rig {
    /// Starts smsd in the foreground on this rig's modem as `[MODEM]`,
    /// with a spool under `spool/` (every directory made), the fast
    /// timings (notes, gotcha 15: the defaults take 10 s per step and
    /// block the modem for an hour after three failures), the global
    /// settings `global_keys` and the modem's `modem_keys`. Fails, never
    /// skips, when smsd is missing.
    pub(crate) fn start_smsd(
        &self,
        modem: &str,
        global_keys: &str,
        modem_keys: &str,
    ) -> (ProcessGuard, PathBuf) {
        assert!(
            Path::new(SMSD).is_file(),
            "{SMSD} is missing: the differential test runs Debian's smstools3 smsd. \
             Run scripts/test, which installs it (apt-get install smstools)"
        );
        let spool = self.path("spool");
        for dir in ["outgoing", "checked", "sent", "failed", "incoming", "report"] {
            std::fs::create_dir_all(spool.join(dir)).unwrap();
        }
        let path = |name: &str| spool.join(name).display().to_string();
        let config = format!(
            "devices = {modem}\n\
             logfile = {log}\n\
             loglevel = 7\n\
             logtime_ms = yes\n\
             infofile = {info}\n\
             pidfile = {pid}\n\
             outgoing = {outgoing}\n\
             checked = {checked}\n\
             failed = {failed}\n\
             incoming = {incoming}\n\
             sent = {sent}\n\
             report = {report}\n\
             delaytime = 1\n\
             delaytime_mainprocess = 1\n\
             errorsleeptime = 1\n\
             blocktime = 5\n\
             {global_keys}\
             \n\
             [{modem}]\n\
             device = {device}\n\
             mode = new\n\
             baudrate = 115200\n\
             {modem_keys}",
            log = path("smsd.log"),
            info = path("smsd.working"),
            pid = path("smsd.pid"),
            outgoing = path("outgoing"),
            checked = path("checked"),
            failed = path("failed"),
            incoming = path("incoming"),
            sent = path("sent"),
            report = path("report"),
            device = self.link().display(),
        );
        let config_path = spool.join("smsd.conf");
        std::fs::write(&config_path, config).unwrap();
        let mut command = Command::new(SMSD);
        command.arg("-t").arg("-c").arg(&config_path);
        (ProcessGuard::spawn(command, &spool, "smsd"), spool)
    }
}

/// `smsgate run` on a rig's modem, running (the guard stops it).
pub(crate) struct SmsgateRun {
    pub(crate) daemon: ProcessGuard,
    /// Its stderr, where it logs.
    pub(crate) log: PathBuf,
    /// The spool base.
    pub(crate) spool: PathBuf,
}

impl Rig {
    /// Starts `smsgate run` on this rig's modem as `[modems.MODEM]` with
    /// `modem_keys` (and `spool_keys` in `[spool]`), its spool under `spool/` with `dirs` made first, and
    /// waits until it is ready; `describe(spool)` and the log's last
    /// `n_log_lines` lines explain a failure.
    pub(crate) fn start_smsgate(
        &self,
        modem: &str,
        spool_keys: &str,
        modem_keys: &str,
        dirs: &[&str],
        describe: impl Fn(&Path) -> String,
        n_log_lines: usize,
    ) -> SmsgateRun {
        let spool = self.path("spool");
        for dir in dirs {
            std::fs::create_dir_all(spool.join(dir)).unwrap();
        }
        std::fs::create_dir_all(self.path("lock")).unwrap();
        let config = format!(
            "lock-dir = {lock:?}\n\n[spool]\nbase = {base:?}\n{spool_keys}\n\
             [ports.{modem}]\ndevice = {device:?}\n\n[modems.{modem}]\n{modem_keys}",
            lock = self.path("lock").display().to_string(),
            base = spool.display().to_string(),
            device = self.link().display().to_string()
        );
        let config_path = self.path("smsgate.toml");
        std::fs::write(&config_path, config).unwrap();
        let log = self.path("smsgate.err");
        let mut command = Command::new(env!("CARGO_BIN_EXE_smsgate"));
        command
            .arg("run")
            .arg("--config")
            .arg(&config_path)
            .env("RUST_LOG", "smsgate=debug,modem=debug");
        let daemon = ProcessGuard::spawn(command, self.dir.path(), "smsgate");
        wait_for(
            "smsgate to be ready",
            Duration::from_secs(30),
            || {
                std::fs::read_to_string(&log)
                    .unwrap_or_default()
                    .contains("ready:")
                    .then_some(())
            },
            || {
                format!(
                    "--- smsgate run ---\n{}{}",
                    describe(&spool),
                    tail(&log, n_log_lines)
                )
            },
        );
        SmsgateRun { daemon, log, spool }
    }
}

/// A process in a process group of its own: dropping the guard sends
/// SIGTERM to the group (smsd forks one process per modem), waits a
/// little, then SIGKILLs the group.
pub(crate) struct ProcessGuard {
    child: Child,
}

impl ProcessGuard {
    /// Starts `command` with stdout and stderr in `dir/NAME.out` and `.err`.
    pub(crate) fn spawn(mut command: Command, dir: &Path, name: &str) -> ProcessGuard {
        let create = |suffix: &str| File::create(dir.join(format!("{name}.{suffix}"))).unwrap();
        command
            .stdin(Stdio::null())
            .stdout(create("out"))
            .stderr(create("err"))
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("starting {name} ({command:?}): {err}"));
        ProcessGuard { child }
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        let group = Pid::from_raw(i32::try_from(self.child.id()).expect("a pid fits i32"));
        let _ = killpg(group, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The leader may be gone while a forked modem process lingers.
        let _ = killpg(group, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

/// Polls `probe` every 50 ms until it gives a value; fails the test with
/// `what` and `diagnose()` after `limit`.
pub(crate) fn wait_for<T>(
    what: &str,
    limit: Duration,
    mut probe: impl FnMut() -> Option<T>,
    diagnose: impl FnOnce() -> String,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {limit:?} waiting for {what}\n{}", diagnose());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes `bytes` as `dir/name` the way applications should: under a
/// dotfile name, then renamed, so no reader sees half a file.
pub(crate) fn drop_file(dir: &Path, name: &str, bytes: &[u8]) {
    let hidden = dir.join(format!(".{name}"));
    std::fs::write(&hidden, bytes).unwrap();
    std::fs::rename(&hidden, dir.join(name)).unwrap();
}

/// The last `n_lines` lines of a file, for failure messages.
pub(crate) fn tail(path: &Path, n_lines: usize) -> String {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n_lines);
    format!("--- {} (tail) ---\n{}", path.display(), lines[start..].join("\n"))
}

/// The destination digits of a raw SMS-SUBMIT (SMSC address included), as
/// the modem received it; `None` when the PDU is too short.
pub(crate) fn destination_digits(pdu: &[u8]) -> Option<String> {
    let after_smsc = 1 + usize::from(*pdu.first()?);
    let n_digits = usize::from(*pdu.get(after_smsc + 2)?);
    let bcd = pdu.get(after_smsc + 4..after_smsc + 4 + n_digits.div_ceil(2))?;
    let mut digits = String::new();
    for octet in bcd {
        for nibble in [octet & 0x0F, octet >> 4] {
            if nibble < 10 {
                digits.push(char::from(b'0' + nibble));
            }
        }
    }
    Some(digits)
}

/// The PDU with TP-MR and every concatenation reference (IEI 00 and 08)
/// set to zero: the two fields that may differ between two correct
/// implementations. A PDU that does not parse this far is returned as is.
pub(crate) fn normalised(pdu: &[u8]) -> Vec<u8> {
    let mut out = pdu.to_vec();
    let _ = zero_volatile_fields(&mut out);
    out
}

fn zero_volatile_fields(pdu: &mut [u8]) -> Option<()> {
    let first_octet_at = 1 + usize::from(*pdu.first()?);
    let first_octet = *pdu.get(first_octet_at)?;
    *pdu.get_mut(first_octet_at + 1)? = 0;
    let n_digits = usize::from(*pdu.get(first_octet_at + 2)?);
    // DA (length, TOA, digits), then TP-PID and TP-DCS.
    let after_da = first_octet_at + 4 + n_digits.div_ceil(2);
    let validity_len = match (first_octet >> 3) & 0b11 {
        0b00 => 0,
        0b10 => 1,
        _ => 7,
    };
    let udl_at = after_da + 2 + validity_len;
    if first_octet & 0x40 == 0 {
        return Some(());
    }
    let udh_len = usize::from(*pdu.get(udl_at + 1)?);
    let mut at = udl_at + 2;
    let end = at + udh_len;
    while at + 1 < end {
        let (iei, len) = (pdu[at], usize::from(pdu[at + 1]));
        match iei {
            0x00 if len == 3 => *pdu.get_mut(at + 2)? = 0,
            0x08 if len == 4 => {
                *pdu.get_mut(at + 2)? = 0;
                *pdu.get_mut(at + 3)? = 0;
            }
            _ => {}
        }
        at += 2 + len;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_zeroes_mr_and_the_concatenation_reference() {
        // SCA 00, FO 51 (UDHI, VPF relative), MR 07, DA 12 digits
        // international, PID, DCS, VP, UDL, UDH 05 00 03 AB 02 01.
        let pdu = sms_pdu::decode_hex("0051070C919471020000100000FF0A050003AB0201C8329BFD06").unwrap();
        let expected = sms_pdu::decode_hex("0051000C919471020000100000FF0A050003000201C8329BFD06").unwrap();
        assert_eq!(normalised(&pdu), expected);
        assert_eq!(destination_digits(&pdu).as_deref(), Some("491720000001"));
    }
}
