//! smstools3's hooks, called with its exact argument vectors.
//!
//! The eventhandler:
//!
//! - `eventhandler SENT FILE MESSAGE_ID` after a message went out (FILE
//!   in `sent/`; MESSAGE_ID is the last part's `+CMGS` reference, as smsd
//!   passes; every part's is in the file's `Message_id:` lines);
//! - `eventhandler FAILED FILE` after a message was given up (FILE in
//!   `failed/`).
//!
//! The checkhandler, `checkhandler FILE` (FILE in `outgoing/`), before a
//! new file is accepted: exit status 0 accepts it (and the file is read
//! again, as the handler may have rewritten it), 1 rejects it to
//! `failed/`, 2 says the handler spooled it itself (smsgate leaves the
//! file alone while it stays in `outgoing/`). Any other status, a signal,
//! a handler that cannot be started or one killed at the timeout rejects
//! the file too, with a reason that says so.
//!
//! The alarmhandler, `alarmhandler ALARM DATE TIME SEVERITY PROCESS TEXT`:
//! smsd builds the command line `"%s ALARM %s %i %s \"%s\""` from its
//! log timestamp (`logtime_format`, by default `%Y-%m-%d %H:%M:%S`), so
//! the shell splits it into DATE `YYYY-MM-DD` and TIME `HH:MM:SS`, local
//! time; SEVERITY is a syslog level; PROCESS is the modem's name, or
//! `smsgate` for the daemon itself (smsd's main process); TEXT is one
//! argument. Alarms less severe than `alarm-level` are not passed on.
//! smsgate raises:
//!
//! | severity    | when                                                         |
//! |-------------|--------------------------------------------------------------|
//! | 2 critical  | a modem is blocked after `block-after` failures in a row     |
//! | 3 error     | a modem port cannot be opened, is lost, or stops answering   |
//! | 3 error     | a file is given up for a modem error (to `failed/`)          |
//! | 3 error     | the checkhandler cannot run, is killed, or exits with 3+     |
//! | 3 error     | a modem's limit counts cannot be written                     |
//! | 4 warning   | a modem reached one of its `limits` (smsd's message_limit)   |
//! | 5 notice    | a send failed and will be retried                            |
//!
//! Each handler runs as a process (no shell parses the arguments, so a
//! file name with spaces stays one argument), with stdin closed, and is
//! waited for with a timeout (`[handlers] timeout-s`) after which it is
//! killed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::admin_messages::AdminMessages;
use crate::daemon_config::Handlers;

/// The eventhandler's arguments for a sent file.
pub(crate) fn sent_args(file: &Path, message_ids: &[u8]) -> Vec<OsString> {
    let mut args = vec![OsString::from("SENT"), file.as_os_str().to_owned()];
    if let Some(last) = message_ids.last() {
        args.push(last.to_string().into());
    }
    args
}

/// The eventhandler's arguments for a failed file.
pub(crate) fn failed_args(file: &Path) -> Vec<OsString> {
    vec![OsString::from("FAILED"), file.as_os_str().to_owned()]
}

/// The syslog severities of alarms, as smstools3 numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
}

/// The alarmhandler's arguments: `ALARM DATE TIME SEVERITY PROCESS TEXT`.
pub(crate) fn alarm_args(
    at: chrono::DateTime<chrono::Local>,
    severity: Severity,
    process: &str,
    text: &str,
) -> Vec<OsString> {
    vec![
        OsString::from("ALARM"),
        at.format("%Y-%m-%d").to_string().into(),
        at.format("%H:%M:%S").to_string().into(),
        (severity as u8).to_string().into(),
        process.into(),
        text.into(),
    ]
}

/// Raises alarms: runs the alarmhandler, if one is configured, for alarms
/// at least as severe as `alarm-level`, without waiting for it (its task
/// is tracked, so that a stopping daemon waits for it).
#[derive(Clone, Debug)]
pub(crate) struct Alarms {
    program: Option<PathBuf>,
    level: u8,
    timeout: Duration,
    tasks: TaskTracker,
    /// smsd's `admin_to`: told of failing handlers.
    admin: Option<AdminMessages>,
}

impl Alarms {
    pub(crate) fn new(handlers: &Handlers, tasks: TaskTracker) -> Alarms {
        Alarms {
            program: handlers.alarmhandler.clone(),
            level: handlers.alarm_level,
            timeout: handlers.timeout,
            tasks,
            admin: None,
        }
    }

    /// These alarms, with failing handlers reported to `admin`.
    pub(crate) fn with_admin(mut self, admin: AdminMessages) -> Alarms {
        self.admin = Some(admin);
        self
    }

    /// These alarms, with `old`'s administrative messages (a reload keeps
    /// their counts and states).
    pub(crate) fn keeping_admin(mut self, old: &Alarms) -> Alarms {
        self.admin = old.admin.clone();
        self
    }

    pub(crate) fn admin(&self) -> Option<&AdminMessages> {
        self.admin.as_ref()
    }

    /// `process` is a modem's name, or `smsgate`. The text is escaped
    /// ([`crate::logging::escape`]): it carries file names and modems'
    /// answers, and alarmhandlers write it to logs line by line.
    pub(crate) fn raise(&self, severity: Severity, process: &str, text: &str) {
        let Some(program) = self.program.clone() else {
            return;
        };
        if severity as u8 > self.level {
            return;
        }
        let text = crate::logging::escape(text);
        let args = alarm_args(chrono::Local::now(), severity, process, &text);
        self.tasks.spawn(run(program, args, self.timeout));
    }

    /// Waits for the alarmhandlers started so far.
    pub(crate) async fn flush(&self) {
        self.tasks.close();
        self.tasks.wait().await;
        self.tasks.reopen();
        if let Some(admin) = &self.admin {
            admin.flush().await;
        }
    }
}

/// What the checkhandler said about a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Exit status 0: send it (read it again first).
    Accept,
    /// Exit status 1: why it goes to `failed/`.
    Reject(String),
    /// The handler itself failed (cannot be run, killed at the timeout,
    /// another exit status): the file goes to `failed/` with this reason,
    /// and an alarm is raised.
    Broken(String),
    /// Exit status 2: the handler spooled it itself.
    Spooled,
    /// The daemon is stopping; the file stays for the next start.
    Interrupted,
}

/// Runs `checkhandler FILE` and reads its exit status, killing it after
/// `timeout` or when `shutdown` fires.
pub(crate) async fn check(
    program: &Path,
    file: &Path,
    timeout: Duration,
    shutdown: &CancellationToken,
) -> Verdict {
    let name = program.display();
    let mut child = match command(program, [file.as_os_str()]).spawn() {
        Ok(child) => child,
        Err(err) => return Verdict::Broken(format!("checkhandler {name} cannot be run: {err}")),
    };
    let status = tokio::select! {
        status = tokio::time::timeout(timeout, child.wait()) => Some(status),
        _ = shutdown.cancelled() => None,
    };
    let Some(status) = status else {
        kill(&mut child).await;
        return Verdict::Interrupted;
    };
    match status {
        Ok(Ok(status)) => match status.code() {
            Some(0) => Verdict::Accept,
            Some(2) => Verdict::Spooled,
            Some(1) => Verdict::Reject(format!("rejected by checkhandler {name} (exit status 1)")),
            Some(code) => Verdict::Broken(format!(
                "rejected: checkhandler {name} gave exit status {code} (0 accepts, 1 rejects, 2: spooled by it)"
            )),
            None => Verdict::Broken(format!("rejected: checkhandler {name} ended by {status}")),
        },
        Ok(Err(err)) => Verdict::Broken(format!("rejected: checkhandler {name}: {err}")),
        Err(_) => {
            kill(&mut child).await;
            Verdict::Broken(format!(
                "rejected: checkhandler {name} was still running after {} s and was killed",
                timeout.as_secs_f64()
            ))
        }
    }
}

/// Runs `program` with `args` and waits for it, at most `timeout`. Its
/// failure is logged: a broken hook must not stop the daemon. Returns
/// its result as smsd's `exec_system` sees it: 0, the exit status, or -1
/// for one that could not run, ended by a signal or was killed at the
/// timeout.
pub(crate) async fn run(program: PathBuf, args: Vec<OsString>, timeout: Duration) -> i32 {
    let mut child = match command(&program, &args).spawn() {
        Ok(child) => child,
        Err(err) => {
            tracing::error!(target: "smsgate", "handler {}: cannot run: {err}", program.display());
            return -1;
        }
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => 0,
        Ok(Ok(status)) => {
            tracing::warn!(target: "smsgate", "handler {} {args:?}: {status}", program.display());
            status.code().unwrap_or(-1)
        }
        Ok(Err(err)) => {
            tracing::error!(target: "smsgate", "handler {}: {err}", program.display());
            -1
        }
        Err(_) => {
            tracing::error!(
                target: "smsgate",
                "handler {} {args:?}: still running after {} s, killed",
                program.display(),
                timeout.as_secs()
            );
            kill(&mut child).await;
            -1
        }
    }
}

/// Runs the eventhandler for `modem` (none: for the daemon itself) and
/// tells the administrative messages how it ended (admin_messages.rs).
pub(crate) async fn run_eventhandler(
    program: PathBuf,
    args: Vec<OsString>,
    timeout: Duration,
    alarms: Alarms,
    modem: Option<String>,
) {
    let result = run(program, args, timeout).await;
    if let Some(admin) = &alarms.admin {
        admin.handler_finished(modem.as_deref(), "eventhandler", result);
    }
}

/// A handler's command: no shell, stdin closed, in a process group of its
/// own, so that a timeout kills what it started too.
fn command<I, A>(program: &Path, args: I) -> Command
where
    I: IntoIterator<Item = A>,
    A: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    command
}

/// Kills a handler's process group and reaps the handler.
async fn kill(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let _ = child.kill().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_vectors_are_smstools3s() {
        let file = Path::new("/var/spool/sms/sent/my file");
        assert_eq!(
            sent_args(file, &[3, 4]),
            ["SENT", "/var/spool/sms/sent/my file", "4"]
        );
        assert_eq!(failed_args(file), ["FAILED", "/var/spool/sms/sent/my file"]);
    }

    #[test]
    fn alarm_arguments_are_smstools3s() {
        use chrono::TimeZone as _;
        let at = chrono::Local.with_ymd_and_hms(2024, 3, 9, 7, 5, 1).unwrap();
        assert_eq!(
            alarm_args(at, Severity::Critical, "gsm1", "blocked for 3600 s"),
            [
                "ALARM",
                "2024-03-09",
                "07:05:01",
                "2",
                "gsm1",
                "blocked for 3600 s"
            ]
        );
        assert_eq!(alarm_args(at, Severity::Notice, "smsgate", "x")[3], "5");
    }

    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join("check.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// The file holds the exit status the handler gives; its name has a
    /// space, which must reach the handler as one argument.
    #[test]
    fn checkhandler_exit_statuses() {
        let dir = tempfile::tempdir().unwrap();
        let shutdown = CancellationToken::new();
        let file = dir.path().join("my file");
        let handler = script(dir.path(), "[ -f \"$1\" ] || exit 9\nexit \"$(cat \"$1\")\"");
        let verdict = |code: &str| {
            std::fs::write(&file, code).unwrap();
            block_on(check(&handler, &file, Duration::from_secs(5), &shutdown))
        };
        assert_eq!(verdict("0"), Verdict::Accept);
        assert_eq!(verdict("2"), Verdict::Spooled);
        assert_eq!(
            verdict("1"),
            Verdict::Reject(format!(
                "rejected by checkhandler {} (exit status 1)",
                handler.display()
            ))
        );
        let Verdict::Broken(reason) = verdict("7") else {
            panic!()
        };
        assert!(reason.contains("gave exit status 7 (0 accepts"), "{reason}");
        let missing = block_on(check(
            Path::new("/nonexistent/check"),
            &file,
            Duration::from_secs(5),
            &shutdown,
        ));
        let Verdict::Broken(reason) = missing else {
            panic!()
        };
        assert!(
            reason.starts_with("checkhandler /nonexistent/check cannot be run: "),
            "{reason}"
        );
    }

    #[test]
    fn a_checkhandler_that_hangs_is_killed_and_rejects() {
        let dir = tempfile::tempdir().unwrap();
        // The shell's child is killed too: it is in the handler's group.
        let handler = script(dir.path(), "sleep 30\nexit 0");
        let started = std::time::Instant::now();
        let verdict = block_on(check(
            &handler,
            &dir.path().join("f"),
            Duration::from_millis(200),
            &CancellationToken::new(),
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            verdict,
            Verdict::Broken(format!(
                "rejected: checkhandler {} was still running after 0.2 s and was killed",
                handler.display()
            ))
        );
    }
}
