//! Commands by SMS, RouterOS's `:cmd SECRET script NAME VAR=VAL ...`: a
//! received message is an ordinary message, a command that is refused, or
//! a command that runs a script of `[scripts.NAME]`.
//!
//! A command runs only when the sender's address is one of
//! `allowed-numbers` (read strictly: see `sms_command::InternationalNumber`),
//! the secret matches, and the sender is not locked out for wrong secrets.
//! The script is the configured program with its configured arguments,
//! run without a shell, stdin closed, in a process group of its own that
//! is killed at `timeout-s`. Nothing of the message reaches its command
//! line: the variables go to its environment, each as `SMS_VAR_<VAR>`
//! (the prefix keeps a message from setting `PATH`, `LD_PRELOAD`, `IFS`
//! or anything else a loader, shell or interpreter reads), with
//! `SMSGATE_SENDER` (`+` and digits), `SMSGATE_MODEM` and
//! `SMSGATE_SCRIPT`; the daemon's own `SMS_VAR_*` and `SMSGATE_*` are not
//! passed on. A bare `VAR` is set to the empty string.
//!
//! Before anything runs, a command must also be complete (every part of
//! a concatenated message arrived: an incomplete one is refused, and the
//! sender told if `reply` is set), not a redelivery of one that ran within
//! `duplicate-window-s` (same sender, service centre time stamp and text),
//! and recorded: the decision, the failure counts and lockouts, and the
//! waiting commands are saved ([`state`]) before a command is queued, and
//! one whose record cannot be written is refused. At most `max-running`
//! scripts run at once; the others wait, in order and saved across a
//! restart, up to `max-waiting`, beyond which a command is refused.
//!
//! Standard output and error are kept up to [`MAX_OUTPUT`] bytes each;
//! the first [`LOGGED_OUTPUT`] bytes of each are logged with the byte
//! count and the exit status. If `reply` is set and the script exited,
//! its standard output, trimmed and cut to [`MAX_REPLY_CHARS`], is the
//! reply to send back. Output is read until both pipes close: something
//! the script leaves running with its output still open is killed with
//! the group at `timeout-s`.
//!
//! The secret and the text of a command are never logged.

mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sms_command::{
    parse, Authorizer, InternationalNumber, MessageDigest, ParseError, RecentCommands, Refusal, Seen,
};
use sms_pdu::Address;
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::process::Child;
use tokio_util::task::TaskTracker;

use crate::clock::unix_now_nanos;
use crate::daemon_config::commands::{Script, SmsCommands};
use crate::spool_dir;
pub(crate) use state::Job;
use state::State;

/// How much of each of a script's standard output and error is kept.
pub(crate) const MAX_OUTPUT: usize = 64 * 1024;

/// How much of each is logged.
pub(crate) const LOGGED_OUTPUT: usize = 1024;

/// The longest reply: three concatenated GSM 7-bit parts.
pub(crate) const MAX_REPLY_CHARS: usize = 3 * 153;

/// How long output may still come after a script was killed.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(1);

/// The prefix of a variable's environment name.
pub(crate) const VARIABLE_PREFIX: &str = "SMS_VAR_";

/// A received message, as the receive path hands it over.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Received<'a> {
    /// TP-OA, with its type of address.
    pub(crate) sender: &'a Address,
    /// The text of the parts that arrived.
    pub(crate) text: &'a str,
    /// The modem that received it.
    pub(crate) modem: &'a str,
    /// The service centre's time stamp (of its first part), as text.
    pub(crate) scts: &'a str,
    /// The name of its `incoming/` file.
    pub(crate) file: &'a str,
    /// The parts of a concatenated message that never arrived.
    pub(crate) missing_parts: &'a [u8],
}

/// What became of a received message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    not(test),
    allow(
        dead_code,
        reason = "`Ordinary` and `Rejected` are what tests see of a `Decision`"
    )
)]
pub(crate) enum Handled {
    /// Not a command: store it as any other message.
    Ordinary,
    /// A command that does not run (logged). It is then an ordinary
    /// received message.
    Rejected(Rejection),
    /// The script ran (or could not be started); logged.
    Ran {
        script: String,
        outcome: Outcome,
        /// What to send back to the sender, if anything.
        reply: Option<String>,
    },
}

/// What [`CommandRunner::decide`] says of a received message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Not a command.
    Ordinary,
    /// A command that does not run (logged).
    Rejected(Rejection),
    /// A command recorded and queued: [`CommandRunner::start_waiting`]
    /// starts it when a slot is free.
    Queued {
        script: String,
        /// Commands waiting before it, and whether a slot was free.
        ahead: usize,
        slot_free: bool,
    },
}

impl Decision {
    /// The `Command:` header of its file, if it is a command.
    pub(crate) fn marker(&self) -> Option<String> {
        match self {
            Decision::Ordinary => None,
            Decision::Rejected(rejection) => Some(format!("rejected: {rejection}")),
            Decision::Queued {
                script,
                slot_free: true,
                ..
            } => Some(format!("runs script {script}")),
            Decision::Queued { script, ahead, .. } => Some(format!(
                "waits to run script {script} (max-running reached; {ahead} waiting before it)"
            )),
        }
    }
}

/// Why a command does not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// From an allowed number, but not well-formed.
    Malformed(ParseError),
    /// The sender, the secret or the lockout.
    Refused(Refusal),
    /// No `[scripts.NAME]` of that name.
    UnknownScript(String),
    /// A value holds U+0000, which no environment variable can carry.
    NulInValue(String),
    /// From an allowed number, but parts of it never arrived: what did
    /// could be any command.
    Incomplete {
        sender: InternationalNumber,
        missing: Vec<u8>,
    },
    /// The same SMS as one that ran within the duplicate window.
    Duplicate { of: String },
    /// This very message was decided and queued before a restart that
    /// came before its file was written: not queued twice.
    DecidedBefore,
    /// `max-waiting` commands wait already.
    QueueFull {
        sender: InternationalNumber,
        waiting: usize,
    },
    /// The decision could not be recorded, so it is not acted on.
    NotRecorded(String),
    /// The saved state could not be read at start.
    StateUnreadable(String),
}

/// How a script ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Its exit status.
    Exited(i32),
    /// Ended by this signal.
    Signal(i32),
    /// Still running at `timeout-s`: its process group was killed.
    TimedOut,
    /// It could not be started, or not waited for.
    Failed(String),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Malformed(err) => write!(f, "malformed command: {err}"),
            Rejection::Refused(refusal) => write!(f, "{refusal}"),
            Rejection::UnknownScript(name) => write!(f, "no script {name:?} in [scripts]"),
            Rejection::NulInValue(name) => write!(f, "variable {name}: a value may not hold U+0000"),
            Rejection::Incomplete { missing, .. } => {
                let missing: Vec<String> = missing.iter().map(u8::to_string).collect();
                let parts = if missing.len() == 1 { "part" } else { "parts" };
                write!(f, "incomplete message ({parts} {} missing)", missing.join(","))
            }
            Rejection::Duplicate { of } => {
                write!(
                    f,
                    "the same message as {of}, which was run already (a redelivery)"
                )
            }
            Rejection::DecidedBefore => {
                write!(
                    f,
                    "queued already before a restart (runs from that decision, not twice)"
                )
            }
            Rejection::QueueFull { waiting, .. } => {
                write!(
                    f,
                    "{waiting} commands wait already (max-waiting); try again later"
                )
            }
            Rejection::NotRecorded(err) => {
                write!(f, "the decision cannot be recorded ({err}), so it does not run")
            }
            Rejection::StateUnreadable(why) => write!(f, "the saved command state is unreadable ({why})"),
        }
    }
}

impl Rejection {
    /// The number to tell, when the sender is one who should be told.
    fn tell(&self) -> Option<&InternationalNumber> {
        match self {
            Rejection::Incomplete { sender, .. } | Rejection::QueueFull { sender, .. } => Some(sender),
            _ => None,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exited(code) => write!(f, "exit status {code}"),
            Outcome::Signal(signal) => write!(f, "ended by signal {signal}"),
            Outcome::TimedOut => write!(f, "still running at its timeout, killed"),
            Outcome::Failed(err) => write!(f, "cannot be run: {err}"),
        }
    }
}

/// Decides about received messages and runs the scripts; one per daemon,
/// shared by the modems' receive paths.
#[derive(Debug)]
pub(crate) struct CommandRunner {
    reply: bool,
    scripts: BTreeMap<String, Script>,
    max_running: usize,
    max_waiting: usize,
    /// Where replies are spooled.
    outgoing: PathBuf,
    /// The mode of a spooled reply (`[spool] file-mode`).
    reply_mode: u32,
    state: Mutex<State>,
}

impl CommandRunner {
    /// A runner for a checked `[sms-commands]`, its state saved in `base`,
    /// its replies spooled to `outgoing` with mode `reply_mode`.
    pub(crate) fn new(
        config: &SmsCommands,
        base: &Path,
        outgoing: &Path,
        reply_mode: u32,
    ) -> anyhow::Result<CommandRunner> {
        let authorizer = Authorizer::new(config.allowed_numbers.clone(), &config.secret, config.rate_limit)
            .map_err(|err| anyhow::anyhow!("[sms-commands]: {err}"))?;
        let recent = RecentCommands::new(config.duplicate_window, state::RECENT_CAPACITY);
        let state = State::load(base, authorizer, recent, config.max_waiting);
        Ok(CommandRunner {
            reply: config.reply,
            scripts: config.scripts.clone(),
            max_running: config.max_running.max(1),
            max_waiting: config.max_waiting,
            outgoing: outgoing.to_path_buf(),
            reply_mode,
            state: Mutex::new(state),
        })
    }

    /// Whether `received` is a command, and whether it may run: the
    /// sender, completeness, the syntax, a redelivery, the lockout and
    /// the secret, the script's name, room in the queue. A command that
    /// may run is recorded (durably) and queued; its file is to be
    /// written next, then [`Self::start_waiting`] called. `now`: the time
    /// since the Unix epoch. Quick, and no I/O but the small state file.
    pub(crate) fn decide(&self, received: Received<'_>, now: Duration) -> Decision {
        let parsed = parse(received.text);
        if matches!(parsed, Ok(None)) {
            return Decision::Ordinary;
        }
        let mut state = self.state();
        if let Some(why) = &state.broken {
            return rejected(received, Rejection::StateUnreadable(why.clone()));
        }
        // A stranger learns nothing, not even that the syntax is wrong.
        let sender = match state.authorizer.allowed_sender(received.sender) {
            Ok(sender) => sender,
            Err(refusal) => return rejected(received, Rejection::Refused(refusal)),
        };
        if !received.missing_parts.is_empty() {
            let missing = received.missing_parts.to_vec();
            return rejected(received, Rejection::Incomplete { sender, missing });
        }
        let command = match parsed {
            Ok(Some(command)) => command,
            Ok(None) => return Decision::Ordinary,
            Err(err) => return rejected(received, Rejection::Malformed(err)),
        };
        let address = format!("{:02X}:{}", received.sender.toa.0, received.sender.number);
        let digest = MessageDigest::of(&address, received.scts, received.text);
        if let Some(seen) = state.recent.find(digest, now) {
            // Its own record: decided and queued, then a crash before its
            // file was written. It ran, or waits, from that decision.
            if seen.file == received.file {
                return rejected(received, Rejection::DecidedBefore);
            }
            let of = seen.file.clone();
            return rejected(received, Rejection::Duplicate { of });
        }
        if let Err(refusal) = state.authorizer.check(received.sender, &command.secret, now) {
            if matches!(refusal, Refusal::WrongSecret { .. }) {
                if let Err(err) = state.save() {
                    // The failure counts in memory; the next command
                    // that would run must save it first, or is refused.
                    tracing::error!(target: "smsgate::commands", "cannot save a wrong secret's count: {err}");
                }
            }
            return rejected(received, Rejection::Refused(refusal));
        }
        if !self.scripts.contains_key(&command.script) {
            return rejected(received, Rejection::UnknownScript(command.script));
        }
        if let Some(variable) = command.variables.iter().find(|variable| {
            variable
                .value
                .as_deref()
                .is_some_and(|value| value.contains('\0'))
        }) {
            return rejected(received, Rejection::NulInValue(variable.name.clone()));
        }
        let ahead = state.waiting.len();
        let slot_free = ahead == 0 && state.running < self.max_running;
        if !slot_free && ahead >= self.max_waiting {
            return rejected(
                received,
                Rejection::QueueFull {
                    sender,
                    waiting: ahead,
                },
            );
        }
        state.recent.record(Seen {
            digest,
            at: now,
            file: received.file.to_owned(),
        });
        state.waiting.push_back(Job {
            file: received.file.to_owned(),
            script: command.script.clone(),
            variables: command
                .variables
                .into_iter()
                .map(|variable| (variable.name, variable.value))
                .collect(),
            sender: sender.as_str().to_owned(),
            modem: received.modem.to_owned(),
        });
        if let Err(err) = state.save() {
            state.waiting.pop_back();
            state.recent.forget(received.file);
            return rejected(received, Rejection::NotRecorded(err.to_string()));
        }
        Decision::Queued {
            script: command.script,
            ahead,
            slot_free,
        }
    }

    /// After a rejected command's file is written: tells the sender why,
    /// when `reply` is set and the sender is one to tell.
    pub(crate) fn tell(&self, rejection: &Rejection, modem: &str) {
        if let (true, Some(sender)) = (self.reply, rejection.tell()) {
            self.spool_reply(modem, sender, &format!("Command not run: {rejection}"));
        }
    }

    /// Starts waiting commands while fewer than `max-running` run, each
    /// in a task of `tasks`; each one that ends starts the next. Nothing
    /// starts once `tasks` is closed (the daemon stops): what waits stays
    /// saved for the next start.
    pub(crate) fn start_waiting(self: &Arc<Self>, tasks: &TaskTracker) {
        while let Some(job) = self.next_job(tasks) {
            let runner = self.clone();
            let tracker = tasks.clone();
            tasks.spawn(async move {
                let slot = RunningSlot(&runner);
                let modem = job.modem.clone();
                let sender = job.sender.clone();
                if let Handled::Ran {
                    reply: Some(reply), ..
                } = runner.run(job).await
                {
                    match InternationalNumber::parse(&sender) {
                        Ok(sender) => runner.spool_reply(&modem, &sender, &reply),
                        Err(err) => {
                            tracing::error!(target: "smsgate::commands", "no reply to {sender}: {err}")
                        }
                    }
                }
                drop(slot);
                runner.start_waiting(&tracker);
            });
        }
    }

    /// The oldest waiting command, taken off the queue (saved) and
    /// counted as running, if a slot is free.
    fn next_job(&self, tasks: &TaskTracker) -> Option<Job> {
        if tasks.is_closed() {
            return None;
        }
        let mut state = self.state();
        if state.running >= self.max_running {
            return None;
        }
        let job = state.waiting.pop_front()?;
        if let Err(err) = state.save() {
            // Not started unrecorded: after a crash it would run again.
            tracing::error!(
                target: "smsgate::commands",
                "cannot record that script {:?} of {} starts ({err}); it waits",
                job.script,
                job.file
            );
            state.waiting.push_front(job);
            return None;
        }
        state.running += 1;
        Some(job)
    }

    /// Runs a command's script until it ends (or its `timeout-s`), logging
    /// its outcome and output.
    pub(crate) async fn run(&self, job: Job) -> Handled {
        let Job {
            file,
            script: name,
            variables,
            sender,
            modem,
        } = job;
        let names: Vec<&str> = variables.iter().map(|(name, _)| name.as_str()).collect();
        tracing::info!(
            target: "smsgate::commands",
            "running script {name:?} for {sender} (modem {modem}, {file}), variables {names:?}",
        );
        let Some(script) = self.scripts.get(&name) else {
            let outcome = Outcome::Failed(format!("no script {name:?} in [scripts] any more"));
            tracing::warn!(target: "smsgate::commands", "script {name:?}: {outcome}");
            return Handled::Ran {
                script: name,
                outcome,
                reply: None,
            };
        };
        let (outcome, stdout, stderr) = run(&name, &variables, script, &sender, &modem).await;
        match &outcome {
            Outcome::Exited(0) => {
                tracing::info!(target: "smsgate::commands", "script {name:?}: {outcome}");
            }
            _ => tracing::warn!(target: "smsgate::commands", "script {name:?}: {outcome}"),
        }
        for (stream, captured) in [("stdout", &stdout), ("stderr", &stderr)] {
            if let Some(summary) = output_summary(&name, stream, captured) {
                tracing::info!(target: "smsgate::commands", "{summary}");
            }
        }
        let reply = match outcome {
            Outcome::Exited(_) if self.reply => reply_text(&stdout.bytes),
            _ => None,
        };
        Handled::Ran {
            script: name,
            outcome,
            reply,
        }
    }

    /// Spools `text` to `to` as an outgoing file, to the international
    /// number the command was authorised as (never the address as it
    /// came: `0037120000000` of type unknown is +37120000000).
    fn spool_reply(&self, modem: &str, to: &InternationalNumber, text: &str) {
        let file = reply_file(to, text);
        let name = format!("smsgate-reply.{modem}.{}", unix_now_nanos());
        match spool_dir::write_durably(&self.outgoing, &name, file.as_bytes(), self.reply_mode) {
            Ok(path) => tracing::info!(target: "smsgate", "reply to {to} spooled as {}", path.display()),
            Err(err) => tracing::error!(target: "smsgate", "cannot spool the reply to {to}: {err}"),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change to the state is whole before the lock is let go.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a running script until dropped (also if its task panics).
struct RunningSlot<'a>(&'a CommandRunner);

impl Drop for RunningSlot<'_> {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.running = state.running.saturating_sub(1);
    }
}

/// The outgoing file of a reply: `To:` the international number's digits
/// (smstools3 reads a `To:` without `+` as international).
fn reply_file(to: &InternationalNumber, text: &str) -> String {
    format!("To: {}\n\n{text}\n", to.as_str().trim_start_matches('+'))
}

fn rejected(received: Received<'_>, rejection: Rejection) -> Decision {
    tracing::warn!(
        target: "smsgate::commands",
        "command from {:?} (type of address {:02X}, modem {}) not run: {rejection}",
        received.sender.number,
        received.sender.toa.0,
        received.modem,
    );
    Decision::Rejected(rejection)
}

/// The trimmed standard output, cut to [`MAX_REPLY_CHARS`]; none if empty.
fn reply_text(stdout: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stdout);
    let text: String = text.trim().chars().take(MAX_REPLY_CHARS).collect();
    let text = text.trim_end().to_owned();
    (!text.is_empty()).then_some(text)
}

#[derive(Debug, Default)]
struct Captured {
    /// The first [`MAX_OUTPUT`] bytes.
    bytes: Vec<u8>,
    /// Every byte read, kept or not.
    total: usize,
}

/// The log line of a script's output: its byte count and the first
/// [`LOGGED_OUTPUT`] bytes; none for no output.
fn output_summary(script: &str, stream: &str, captured: &Captured) -> Option<String> {
    if captured.total == 0 {
        return None;
    }
    let shown = &captured.bytes[..captured.bytes.len().min(LOGGED_OUTPUT)];
    let more = if captured.total > shown.len() {
        format!(", the first {} shown", shown.len())
    } else {
        String::new()
    };
    Some(format!(
        "script {script:?} {stream} ({} bytes{more}): {:?}",
        captured.total,
        String::from_utf8_lossy(shown)
    ))
}

/// Runs the script and collects what it wrote.
async fn run(
    name: &str,
    variables: &[(String, Option<String>)],
    script: &Script,
    sender: &str,
    modem: &str,
) -> (Outcome, Captured, Captured) {
    let mut process = tokio::process::Command::new(&script.program);
    process
        .args(&script.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with(VARIABLE_PREFIX) || key_text.starts_with("SMSGATE_") {
            process.env_remove(&key);
        }
    }
    process
        .env("SMSGATE_SENDER", sender)
        .env("SMSGATE_MODEM", modem)
        .env("SMSGATE_SCRIPT", name);
    for (variable, value) in variables {
        process.env(
            format!("{VARIABLE_PREFIX}{variable}"),
            value.as_deref().unwrap_or(""),
        );
    }
    let mut child = match process.spawn() {
        Ok(child) => child,
        Err(err) => {
            let message = format!("{}: {err}", script.program.display());
            return (Outcome::Failed(message), Captured::default(), Captured::default());
        }
    };
    // Kept: after the script is reaped, `child.id()` is gone, and the
    // group may still have members.
    let pid = child.id();
    let stdout = Arc::new(Mutex::new(Captured::default()));
    let stderr = Arc::new(Mutex::new(Captured::default()));
    let mut stdout_task = tokio::spawn(capture(child.stdout.take(), stdout.clone()));
    let mut stderr_task = tokio::spawn(capture(child.stderr.take(), stderr.clone()));
    let deadline = tokio::time::Instant::now() + script.timeout;
    let outcome = match tokio::time::timeout_at(deadline, child.wait()).await {
        Ok(Ok(status)) => match (status.code(), status.signal()) {
            (Some(code), _) => Outcome::Exited(code),
            (None, Some(signal)) => Outcome::Signal(signal),
            (None, None) => Outcome::Failed(status.to_string()),
        },
        Ok(Err(err)) => Outcome::Failed(err.to_string()),
        Err(_) => {
            kill_group(pid, &mut child).await;
            Outcome::TimedOut
        }
    };
    let drain_until = if outcome == Outcome::TimedOut {
        tokio::time::Instant::now() + DRAIN_AFTER_KILL
    } else {
        deadline
    };
    let drained = tokio::time::timeout_at(drain_until, async {
        let _ = (&mut stdout_task).await;
        let _ = (&mut stderr_task).await;
    })
    .await;
    if drained.is_err() {
        // Something the script started still holds its output.
        tracing::warn!(
            target: "smsgate::commands",
            "script {name:?}: its output was still open at its timeout; its process group is killed"
        );
        kill_group(pid, &mut child).await;
        stdout_task.abort();
        stderr_task.abort();
    }
    let take = |captured: &Arc<Mutex<Captured>>| {
        std::mem::take(&mut *captured.lock().unwrap_or_else(PoisonError::into_inner))
    };
    (outcome, take(&stdout), take(&stderr))
}

/// Reads `reader` to its end, keeping the first [`MAX_OUTPUT`] bytes and
/// draining the rest, so that the script never blocks on a full pipe.
async fn capture(reader: Option<impl AsyncRead + Unpin>, into: Arc<Mutex<Captured>>) {
    let Some(mut reader) = reader else {
        return;
    };
    let mut buffer = [0u8; 4096];
    while let Ok(n_read) = reader.read(&mut buffer).await {
        if n_read == 0 {
            break;
        }
        let mut captured = into.lock().unwrap_or_else(PoisonError::into_inner);
        let room = MAX_OUTPUT - captured.bytes.len();
        captured.total = captured.total.saturating_add(n_read);
        captured.bytes.extend_from_slice(&buffer[..n_read.min(room)]);
    }
}

/// Kills the script's process group (its id is the script's `pid`) and
/// reaps the script.
async fn kill_group(pid: Option<u32>, child: &mut Child) {
    if let Some(pid) = pid.and_then(|pid| i32::try_from(pid).ok()) {
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let _ = child.kill().await;
}
