//! Helpers for the interop tests: a simulator on its own runtime, real
//! client processes that are always killed in teardown, polling with
//! deadlines, smstools3 spool files, and a plain serial client for looking
//! into a modem that no client owns.
//!
//! The tests are synchronous: the simulator runs on a small tokio runtime
//! of its own ([`Rig`]), so a test can sleep, wait for a process or read a
//! PTY without starving the simulator's tasks.

#![allow(dead_code, reason = "each test uses a different subset")]

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use modem_sim::sim::{Injection, SimConfig, SimHandle, Simulator, SubmittedMessage};
use modem_sim::{Fault, ModemConfig, TextEncoding};
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use sms_pdu::{Pdu, Submit, Tpdu};

/// smstools3's daemon, as Debian installs it.
pub(crate) const SMSD: &str = "/usr/sbin/smsd";
/// The gammu command-line tool, as Debian installs it.
pub(crate) const GAMMU: &str = "/usr/bin/gammu";

/// Set to keep each test's temporary directory.
const KEEP_VARIABLE: &str = "SMSGATE_INTEROP_KEEP";

/// Fails the test (never skips it) when a peer client is not installed.
pub(crate) fn require(binary: &str) -> PathBuf {
    let path = PathBuf::from(binary);
    assert!(
        path.is_file(),
        "{binary} is missing: the interop tests run the real smstools3 and gammu clients. \
         Run scripts/test, which installs them (apt-get install smstools gammu), \
         or install them by hand"
    );
    path
}

/// A running simulator in a temporary directory, with the runtime it runs
/// on. Dropping it shuts the simulator down and waits (briefly) for its
/// tasks, so the PTYs are closed and the links removed.
pub(crate) struct Rig {
    // Options, so that `drop` can stop the simulator on its runtime and
    // only then shut the runtime down.
    handle: Option<SimHandle>,
    runtime: Option<tokio::runtime::Runtime>,
    /// The temporary directory: `sim/` holds the modem links, the rest is
    /// the test's.
    pub(crate) dir: tempfile::TempDir,
}

impl Rig {
    /// Starts `n_modems` numbered modems ([`ModemConfig::numbered`]).
    pub(crate) fn start(n_modems: usize) -> Rig {
        // SMSGATE_INTEROP_KEEP=1 keeps the directory (configs, logs,
        // spool) for a look after the test.
        let keep = std::env::var_os(KEEP_VARIABLE).is_some();
        let dir = tempfile::Builder::new()
            .prefix("smsgate-interop-")
            .disable_cleanup(keep)
            .tempdir()
            .expect("creating the temporary directory");
        if keep {
            eprintln!("{KEEP_VARIABLE}: keeping {}", dir.path().display());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("building the simulator's runtime");
        let config = SimConfig::new(n_modems, dir.path().join("sim"));
        let handle = runtime
            .block_on(Simulator::start(config))
            .expect("starting the simulator");
        Rig {
            handle: Some(handle),
            runtime: Some(runtime),
            dir,
        }
    }

    fn handle(&self) -> &SimHandle {
        self.handle.as_ref().expect("the simulator runs until drop")
    }

    /// Runs a future of the simulator's API to completion, with a timeout
    /// so a stuck simulator fails the test instead of hanging it.
    pub(crate) fn call<T>(&self, future: impl std::future::Future<Output = T>) -> T {
        self.try_call(future)
            .expect("the simulator did not answer within 10 s")
    }

    /// [`Rig::call`] that returns `None` on a timeout instead of failing.
    fn try_call<T>(&self, future: impl std::future::Future<Output = T>) -> Option<T> {
        let runtime = self.runtime.as_ref()?;
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), future).await })
            .ok()
    }

    /// A path in the test's temporary directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The link a client opens for modem `index`.
    pub(crate) fn link(&self, index: usize) -> PathBuf {
        self.path("sim").join(format!("modem{index}"))
    }

    /// Modem `index`'s identity.
    pub(crate) fn config(&self, index: usize) -> ModemConfig {
        self.call(self.handle().modem(index)).expect("modem info").config
    }

    /// Modem `index`'s SIM store: (used, capacity).
    pub(crate) fn sm_usage(&self, index: usize) -> (usize, usize) {
        self.call(self.handle().modem(index)).expect("modem info").sm
    }

    /// Injects a text from outside the network; returns the number of parts.
    pub(crate) fn inject_text(
        &self,
        index: usize,
        from: &str,
        text: &str,
        encoding: TextEncoding,
        parts_order: Option<Vec<usize>>,
    ) -> usize {
        let injection = Injection::Text {
            from: from.to_owned(),
            text: text.to_owned(),
            encoding,
            class0: false,
            parts_order,
        };
        self.call(self.handle().inject(index, injection))
            .unwrap_or_else(|err| panic!("injecting {text:?} from {from}: {err}"))
    }

    /// Everything modem `index` submitted, oldest first.
    pub(crate) fn submitted(&self, index: usize) -> Vec<SubmittedMessage> {
        self.call(self.handle().submitted(index)).expect("submitted list")
    }

    /// Injects a fault into modem `index`.
    pub(crate) fn fault(&self, index: usize, fault: Fault) {
        self.call(self.handle().fault(index, fault))
            .expect("injecting a fault");
    }

    /// Sets the network's answer to a USSD code sent by modem `index`.
    pub(crate) fn set_ussd(&self, index: usize, code: &str, answer: &str) {
        self.call(self.handle().set_ussd(index, code, answer))
            .expect("setting a USSD answer");
    }

    /// The simulator's view, for failure messages: each modem's state and
    /// what it submitted, decoded.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::from("--- simulator's view ---\n");
        let Some(modems) = self.try_call(self.handle().modems()) else {
            return out + "(no answer within 10 s)\n";
        };
        for info in modems {
            let _ = writeln!(
                out,
                "{} ({}) pts={:?} SM {}/{} ME {}/{} registered={}",
                info.config.name,
                info.config.msisdn,
                info.pts,
                info.sm.0,
                info.sm.1,
                info.me.0,
                info.me.1,
                info.registered
            );
            let submitted = self
                .try_call(self.handle().submitted(info.index))
                .and_then(Result::ok)
                .unwrap_or_default();
            for message in submitted {
                let _ = writeln!(
                    out,
                    "  submitted mr={} {} {:?}",
                    message.mr,
                    sms_pdu::encode_hex(&message.pdu),
                    message.summary
                );
            }
        }
        out
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if std::thread::panicking() && self.handle.is_some() {
            eprintln!("{}", self.describe());
        }
        if let (Some(handle), Some(runtime)) = (self.handle.take(), self.runtime.as_ref()) {
            let stopped = runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), handle.shutdown()).await });
            if stopped.is_err() {
                eprintln!("the simulator did not stop within 5 s");
            }
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// A client process that runs until the test ends. It gets a process
/// group of its own; dropping the guard sends SIGTERM to it and to every
/// process it started (smsd forks one process per modem), waits a little,
/// then SIGKILLs whatever is left, so a failing assert never leaves a
/// client holding a PTY.
pub(crate) struct ProcessGuard {
    child: Child,
    name: String,
    /// A log to show when the test fails.
    log: Option<PathBuf>,
}

impl ProcessGuard {
    /// Starts `command` with stdout and stderr in `dir/<name>.out` and
    /// `dir/<name>.err`.
    pub(crate) fn spawn(mut command: Command, dir: &Path, name: &str) -> ProcessGuard {
        let (stdout, stderr) = output_files(dir, name);
        command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("starting {name} ({command:?}): {err}"));
        ProcessGuard {
            child,
            name: name.to_owned(),
            log: None,
        }
    }

    /// Shows the tail of `log` (and the process's stderr) if the test
    /// fails while the process runs.
    pub(crate) fn show_on_failure(mut self, log: PathBuf) -> ProcessGuard {
        self.log = Some(log);
        self
    }

    /// The process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status, if it has ended.
    pub(crate) fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the process and its descendants (see the type's documentation).
    pub(crate) fn stop(&mut self) {
        if self.try_wait().is_some() {
            kill_all(&descendants(self.id()), "KILL");
            return;
        }
        // Collected before the signal: once the parent is gone, its
        // children are re-parented and can no longer be found this way.
        let mut family = descendants(self.id());
        kill_all(&[self.id()], "TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.try_wait().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if self.try_wait().is_none() {
            eprintln!("{} did not stop on SIGTERM within 5 s; killing it", self.name);
            family.push(self.id());
        }
        family.retain(|&pid| is_alive(pid));
        kill_all(&family, "KILL");
        let _ = self.child.wait();
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        self.stop();
        if let Some(log) = self.log.as_ref().filter(|_| std::thread::panicking()) {
            eprintln!("{} (the test failed)", tail(log, 60));
        }
    }
}

/// What a finished command wrote.
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
}

impl Finished {
    /// Both outputs, for failure messages.
    pub(crate) fn describe(&self) -> String {
        format!(
            "exit status {} after {:.1?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs `command` to its end, killing it (and failing the test with what
/// it wrote, plus `diagnose()`) if it takes longer than `limit`.
pub(crate) fn run_with_timeout(
    command: Command,
    dir: &Path,
    name: &str,
    limit: Duration,
    diagnose: impl FnOnce() -> String,
) -> Finished {
    let started = Instant::now();
    let mut guard = ProcessGuard::spawn(command, dir, name);
    let status = loop {
        if let Some(status) = guard.try_wait() {
            break Some(status);
        }
        if started.elapsed() > limit {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    guard.stop();
    let read = |suffix: &str| {
        String::from_utf8_lossy(&std::fs::read(dir.join(format!("{name}.{suffix}"))).unwrap_or_default())
            .into_owned()
    };
    let (stdout, stderr) = (read("out"), read("err"));
    match status {
        Some(status) => Finished {
            status,
            stdout,
            stderr,
            elapsed,
        },
        None => panic!(
            "{name} did not finish within {limit:?}; killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n{}",
            diagnose()
        ),
    }
}

fn output_files(dir: &Path, name: &str) -> (File, File) {
    let create = |suffix: &str| {
        let path = dir.join(format!("{name}.{suffix}"));
        File::create(&path).unwrap_or_else(|err| panic!("creating {}: {err}", path.display()))
    };
    (create("out"), create("err"))
}

/// Every process below `root` (children, grandchildren, ...), from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = parent_of(pid) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid) in &parents {
            if ppid == parent && !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

/// The parent of `pid`, from `/proc/<pid>/stat` (the field after the
/// parenthesised command name and the state).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

fn is_alive(pid: u32) -> bool {
    // A zombie has a stat file too, but its state is Z.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after_name = stat[stat.rfind(')')? + 1..].to_owned();
            after_name.split_whitespace().next().map(|state| state != "Z")
        })
        .unwrap_or(false)
}

/// Signals each of `pids` by id (with the `kill` tool: this crate's nix has
/// no signal feature).
fn kill_all(pids: &[u32], signal: &str) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .args(pids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Polls `check` every 100 ms until it returns `Some`, or fails the test
/// after `limit` with `what` and `diagnose()`.
pub(crate) fn wait_for<T>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> Option<T>,
    diagnose: impl FnOnce() -> String,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = check() {
            return found;
        }
        if Instant::now() > deadline {
            panic!("timed out after {limit:?} waiting for {what}\n{}", diagnose());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last `n` lines of a text file, for failure messages.
pub(crate) fn tail(path: &Path, n: usize) -> String {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    format!(
        "--- last {n} lines of {} ---\n{}",
        path.display(),
        lines[start..].join("\n")
    )
}

/// Writes `contents` to `dir/name` atomically, as a spooler expects: into
/// a hidden temporary name in the same directory, then renamed into place.
pub(crate) fn drop_file_atomically(dir: &Path, name: &str, contents: &[u8]) {
    let temporary = dir.join(format!(".{name}.tmp"));
    std::fs::write(&temporary, contents).expect("writing the spool file");
    std::fs::rename(&temporary, dir.join(name)).expect("renaming the spool file into place");
}

/// An smstools3 message file: headers, a blank line, the text.
#[derive(Clone, Debug)]
pub(crate) struct SpoolFile {
    pub(crate) path: PathBuf,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    /// The whole file, for failure messages.
    pub(crate) raw: String,
}

impl SpoolFile {
    /// Reads and splits a spool file; `None` if it cannot be read.
    pub(crate) fn read(path: &Path) -> Option<SpoolFile> {
        let bytes = std::fs::read(path).ok()?;
        let raw = String::from_utf8_lossy(&bytes).into_owned();
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
        let headers = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Some(SpoolFile {
            path: path.to_owned(),
            headers,
            body: body.to_owned(),
            raw,
        })
    }

    /// The value of the first header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The value of header `name`; fails the test, showing the file, if it
    /// is missing.
    pub(crate) fn expect_header(&self, name: &str) -> &str {
        self.header(name).unwrap_or_else(|| {
            panic!(
                "{}: no {name} header\n--- file ---\n{}",
                self.path.display(),
                self.raw
            )
        })
    }
}

/// The regular files of `dir` that are not hidden or lock files, sorted,
/// and not written to in the last 200 ms: smsd writes its files in place,
/// and a file caught half-written would fail a check for no reason.
pub(crate) fn spool_files(dir: &Path) -> Vec<SpoolFile> {
    let settled = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| {
                modified
                    .elapsed()
                    .is_ok_and(|age| age >= Duration::from_millis(200))
            })
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or(".");
                    path.is_file() && !name.starts_with('.') && !name.ends_with(".LOCK") && settled(path)
                })
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|path| SpoolFile::read(path)).collect()
}

/// Every file of the directories, headers and all, for failure messages.
pub(crate) fn describe_dirs(dirs: &[PathBuf]) -> String {
    let mut out = String::new();
    for dir in dirs {
        let names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(out, "--- {} : {names:?}", dir.display());
        for file in spool_files(dir) {
            let _ = writeln!(out, "{}:\n{}", file.path.display(), file.raw);
        }
    }
    out
}

/// Decodes a submitted PDU with our codec: it must be an SMS-SUBMIT that
/// decodes without warnings. Returns the SMSC address and the SUBMIT.
pub(crate) fn decode_submit(message: &SubmittedMessage) -> (Option<sms_pdu::Address>, Submit) {
    let hex = sms_pdu::encode_hex(&message.pdu);
    let decoded =
        Pdu::decode(&message.pdu).unwrap_or_else(|err| panic!("submitted PDU {hex} does not decode: {err}"));
    assert!(
        decoded.warnings.is_empty(),
        "submitted PDU {hex} decodes with warnings: {:?}",
        decoded.warnings
    );
    if let Err(err) = &message.summary {
        panic!("the simulator could not read submitted PDU {hex}: {err}");
    }
    match decoded.value.tpdu {
        Tpdu::Submit(submit) => (decoded.value.smsc, submit),
        other => panic!("submitted PDU {hex} is not an SMS-SUBMIT: {other:?}"),
    }
}

/// A plain serial client on a modem link, for looking into a modem that no
/// real client owns (echo is on after power-up; the answers are parsed
/// around it).
pub(crate) struct Phone {
    file: File,
    pending: Vec<u8>,
}

impl Phone {
    /// Opens the link read-write, without making it the controlling
    /// terminal, and turns echo off.
    pub(crate) fn open(path: &Path) -> Phone {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(OFlag::O_NOCTTY.bits())
            .open(path)
            .unwrap_or_else(|err| panic!("opening {}: {err}", path.display()));
        let mut phone = Phone {
            file,
            pending: Vec::new(),
        };
        let answer = phone.command("ATE0");
        assert!(answer.ends_with("\r\nOK\r\n"), "ATE0: {answer:?}");
        phone
    }

    /// Sends a command line and returns everything up to and including
    /// the final result code (`OK`, `ERROR`, `+CMS ERROR: n`,
    /// `+CME ERROR: n`); fails the test after 5 s.
    pub(crate) fn command(&mut self, line: &str) -> String {
        self.file
            .write_all(format!("{line}\r").as_bytes())
            .unwrap_or_else(|err| panic!("writing {line:?}: {err}"));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(end) = final_end(&self.pending) {
                let rest = self.pending.split_off(end);
                let answer = std::mem::replace(&mut self.pending, rest);
                return String::from_utf8_lossy(&answer).into_owned();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let seen = String::from_utf8_lossy(&self.pending).into_owned();
            assert!(
                !left.is_zero(),
                "{line}: no final result within 5 s; got {seen:?}"
            );
            match self.read_chunk(left) {
                Ok(Some(chunk)) if !chunk.is_empty() => self.pending.extend_from_slice(&chunk),
                Ok(Some(_)) => panic!("{line}: end of file; got {seen:?}"),
                Ok(None) => {}
                Err(err) => panic!("{line}: {err}; got {seen:?}"),
            }
        }
    }

    fn read_chunk(&mut self, wait: Duration) -> io::Result<Option<Vec<u8>>> {
        let millis = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(millis)).map_err(io::Error::from)? == 0 {
            return Ok(None);
        }
        let mut buf = [0u8; 4096];
        let n_read = self.file.read(&mut buf)?;
        Ok(Some(buf[..n_read].to_vec()))
    }

    /// Every PDU of `AT+CMGL=4` in the current memory, decoded.
    pub(crate) fn list_pdus(&mut self) -> Vec<Pdu> {
        let answer = self.command("AT+CMGL=4");
        assert!(answer.ends_with("\r\nOK\r\n"), "AT+CMGL=4: {answer:?}");
        let mut pdus = Vec::new();
        let mut lines = answer.split("\r\n").filter(|line| !line.is_empty());
        while let Some(line) = lines.next() {
            if line.starts_with("+CMGL:") {
                let hex = lines
                    .next()
                    .unwrap_or_else(|| panic!("+CMGL without a PDU: {answer:?}"));
                let decoded = Pdu::decode_hex(hex)
                    .unwrap_or_else(|err| panic!("stored PDU {hex} does not decode: {err}"));
                assert!(
                    decoded.warnings.is_empty(),
                    "stored PDU {hex}: warnings {:?}",
                    decoded.warnings
                );
                pdus.push(decoded.value);
            }
        }
        pdus
    }
}

/// Where the first final result code in `bytes` ends.
fn final_end(bytes: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(bytes);
    let mut ends = Vec::new();
    for result in ["\r\nOK\r\n", "\r\nERROR\r\n"] {
        ends.extend(text.find(result).map(|at| at + result.len()));
    }
    for result in ["+CMS ERROR:", "+CME ERROR:"] {
        if let Some(at) = text.find(result) {
            ends.extend(text[at..].find("\r\n").map(|line_end| at + line_end + 2));
        }
    }
    // Byte offsets into the lossy text equal those into `bytes` for the
    // ASCII answers a modem gives.
    ends.into_iter().min()
}
