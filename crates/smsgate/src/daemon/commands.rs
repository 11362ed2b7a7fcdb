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
//! Standard output and error are kept up to [`MAX_OUTPUT`] bytes each and
//! logged with the exit status. If `reply` is set and the script exited,
//! its standard output, trimmed and cut to [`MAX_REPLY_CHARS`], is the
//! reply to send back. Output is read until both pipes close: something
//! the script leaves running with its output still open is killed with
//! the group at `timeout-s`.
//!
//! The secret and the text of a command are never logged.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sms_command::{parse, Authorizer, Command, InternationalNumber, ParseError, Refusal};
use sms_pdu::Address;
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::process::Child;

use crate::daemon_config::commands::{Script, SmsCommands};

/// How much of each of a script's standard output and error is kept.
pub(crate) const MAX_OUTPUT: usize = 64 * 1024;

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
    pub(crate) text: &'a str,
    /// The modem that received it.
    pub(crate) modem: &'a str,
}

/// What became of a received message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "`Ordinary` and `Rejected` come from `handle`, for tests")
)]
pub(crate) enum Handled {
    /// Not a command: store it as any other message.
    Ordinary,
    /// A command that does not run (logged). The rule: it is then
    /// an ordinary received message.
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
#[derive(Debug)]
pub(crate) enum Decision {
    /// Not a command.
    Ordinary,
    /// A command that does not run (logged).
    Rejected(Rejection),
    /// A command that runs: hand it to [`CommandRunner::run`].
    Run(Approved),
}

/// A command cleared to run.
#[derive(Debug)]
pub(crate) struct Approved {
    /// The command as given.
    command: Command,
    script: Script,
    sender: InternationalNumber,
    modem: String,
}

impl Approved {
    /// The script's name.
    pub(crate) fn script(&self) -> &str {
        &self.command.script
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
    authorizer: Mutex<Authorizer>,
    /// The origin of the authorizer's times.
    origin: Instant,
}

impl CommandRunner {
    /// A runner for a checked `[sms-commands]`.
    pub(crate) fn new(config: &SmsCommands) -> anyhow::Result<CommandRunner> {
        let authorizer = Authorizer::new(config.allowed_numbers.clone(), &config.secret, config.rate_limit)
            .map_err(|err| anyhow::anyhow!("[sms-commands]: {err}"))?;
        Ok(CommandRunner {
            reply: config.reply,
            scripts: config.scripts.clone(),
            authorizer: Mutex::new(authorizer),
            origin: Instant::now(),
        })
    }

    /// Decides about `received` and, if it is a command that may run,
    /// runs it: [`Self::decide`], then [`Self::run`] (the receive path
    /// calls them apart, writing the message's file in between).
    #[cfg(test)]
    pub(crate) async fn handle(&self, received: Received<'_>, now: Instant) -> Handled {
        match self.decide(received, now) {
            Decision::Ordinary => Handled::Ordinary,
            Decision::Rejected(rejection) => Handled::Rejected(rejection),
            Decision::Run(approved) => self.run(approved).await,
        }
    }

    /// Whether `received` is a command, and whether it may run: the
    /// syntax, the sender, the lockout, the secret, the script's name. Quick
    /// and without I/O, so that the receive path can record the decision
    /// in the message's file before it writes it.
    pub(crate) fn decide(&self, received: Received<'_>, now: Instant) -> Decision {
        let command = match parse(received.text) {
            Ok(None) => return Decision::Ordinary,
            Ok(Some(command)) => command,
            Err(err) => {
                // A stranger learns nothing, not even that the syntax is wrong.
                let rejection = match self.authorizer().allowed_sender(received.sender) {
                    Err(refusal) => Rejection::Refused(refusal),
                    Ok(_) => Rejection::Malformed(err),
                };
                return rejected(received, rejection);
            }
        };
        let since_origin = now.saturating_duration_since(self.origin);
        let checked = self
            .authorizer()
            .check(received.sender, &command.secret, since_origin);
        let sender = match checked {
            Ok(sender) => sender,
            Err(refusal) => return rejected(received, Rejection::Refused(refusal)),
        };
        let Some(script) = self.scripts.get(&command.script) else {
            return rejected(received, Rejection::UnknownScript(command.script));
        };
        if let Some(variable) = command.variables.iter().find(|variable| {
            variable
                .value
                .as_deref()
                .is_some_and(|value| value.contains('\0'))
        }) {
            return rejected(received, Rejection::NulInValue(variable.name.clone()));
        }
        Decision::Run(Approved {
            script: script.clone(),
            command,
            sender,
            modem: received.modem.to_owned(),
        })
    }

    /// Runs an approved command's script until it ends (or its
    /// `timeout-s`), logging its outcome and output.
    pub(crate) async fn run(&self, approved: Approved) -> Handled {
        let Approved {
            command,
            script,
            sender,
            modem,
        } = approved;
        let names: Vec<&str> = command
            .variables
            .iter()
            .map(|variable| variable.name.as_str())
            .collect();
        tracing::info!(
            target: "smsgate::commands",
            "running script {:?} for {sender} (modem {modem}), variables {names:?}",
            command.script,
        );
        let (outcome, stdout, stderr) = run(&command, &script, &sender, &modem).await;
        let log_output = |stream: &str, captured: &Captured| {
            if !captured.bytes.is_empty() {
                let cut = if captured.truncated { " (cut)" } else { "" };
                tracing::info!(
                    target: "smsgate::commands",
                    "script {:?} {stream}{cut}: {:?}",
                    command.script,
                    String::from_utf8_lossy(&captured.bytes),
                );
            }
        };
        match &outcome {
            Outcome::Exited(0) => {
                tracing::info!(target: "smsgate::commands", "script {:?}: {outcome}", command.script);
            }
            _ => tracing::warn!(target: "smsgate::commands", "script {:?}: {outcome}", command.script),
        }
        log_output("stdout", &stdout);
        log_output("stderr", &stderr);
        let reply = match outcome {
            Outcome::Exited(_) if self.reply => reply_text(&stdout.bytes),
            _ => None,
        };
        Handled::Ran {
            script: command.script,
            outcome,
            reply,
        }
    }

    fn authorizer(&self) -> std::sync::MutexGuard<'_, Authorizer> {
        // The authorizer has no invariant a panic elsewhere could break.
        self.authorizer.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
    bytes: Vec<u8>,
    truncated: bool,
}

/// Runs the script and collects what it wrote.
async fn run(
    command: &Command,
    script: &Script,
    sender: &InternationalNumber,
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
        .env("SMSGATE_SENDER", sender.as_str())
        .env("SMSGATE_MODEM", modem)
        .env("SMSGATE_SCRIPT", &command.script);
    for variable in &command.variables {
        let value = variable.value.as_deref().unwrap_or("");
        process.env(format!("{VARIABLE_PREFIX}{}", variable.name), value);
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
            "script {:?}: its output was still open at its timeout; its process group is killed",
            command.script
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
        captured.truncated |= n_read > room;
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use sms_command::{ParseErrorKind, RateLimit, SenderError};
    use sms_pdu::TypeOfAddress;

    use super::*;

    const ALLOWED: &str = "37120000000";

    /// The script ran and exited 0.
    fn assert_ran_ok(handled: &Handled) {
        assert!(
            matches!(
                handled,
                Handled::Ran {
                    outcome: Outcome::Exited(0),
                    ..
                }
            ),
            "{handled:?}"
        );
    }
    fn international(number: &str) -> Address {
        Address {
            toa: TypeOfAddress::INTERNATIONAL,
            number: number.to_owned(),
        }
    }

    /// Scripts as `/bin/sh FILE DIR` (no file is executed directly, so no
    /// "text file busy" from a fork elsewhere in the test process), each
    /// given the temp dir to write into.
    struct Fixture {
        dir: tempfile::TempDir,
        scripts: BTreeMap<String, Script>,
        reply: bool,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                dir: tempfile::tempdir().unwrap(),
                scripts: BTreeMap::new(),
                reply: true,
            }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn script(mut self, name: &str, body: &str, timeout: Duration) -> Fixture {
            let file = self.path(&format!("{}.sh", name.replace(' ', "_")));
            std::fs::write(&file, body).unwrap();
            self.scripts.insert(
                name.to_owned(),
                Script {
                    program: PathBuf::from("/bin/sh"),
                    args: vec![
                        file.display().to_string(),
                        self.dir.path().display().to_string(),
                        "fixed arg".to_owned(),
                    ],
                    timeout,
                },
            );
            self
        }

        fn runner(&self) -> CommandRunner {
            CommandRunner::new(&SmsCommands {
                secret: "slepens".to_owned(),
                allowed_numbers: vec![InternationalNumber::parse("+371 2000 0000").unwrap()],
                reply: self.reply,
                rate_limit: RateLimit::DEFAULT,
                scripts: self.scripts.clone(),
            })
            .unwrap()
        }
    }

    fn handle(runner: &CommandRunner, sender: &Address, text: &str) -> Handled {
        handle_at(runner, sender, text, Duration::ZERO)
    }

    fn handle_at(runner: &CommandRunner, sender: &Address, text: &str, after: Duration) -> Handled {
        let received = Received {
            sender,
            text,
            modem: "gsm1",
        };
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(runner.handle(received, runner.origin + after))
    }

    fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// The script writes each variable's bytes to a file of its own; the
    /// values are what a shell would run if they were ever pasted into a
    /// command line.
    #[test]
    fn variables_reach_the_script_literally() {
        let fixture = Fixture::new().script(
            "env",
            "for name in a b c d e f g; do\n\
               eval \"printf '%s' \\\"\\${SMS_VAR_$name-unset}\\\"\" > \"$1/var_$name\"\n\
             done\n\
             printf '%s|%s|%s' \"$SMSGATE_SENDER\" \"$SMSGATE_MODEM\" \"$SMSGATE_SCRIPT\" > \"$1/smsgate\"\n\
             printf '%s|' \"$#\" \"$2\" > \"$1/args\"\n\
             env | grep -c '^SMS_VAR_' > \"$1/count\"\n",
            Duration::from_secs(20),
        );
        let dir = fixture.dir.path().display().to_string();
        let values: [(&str, String); 6] = [
            ("a", format!("$(touch {dir}/pwned_a)")),
            ("b", format!("`touch {dir}/pwned_b`")),
            ("c", format!("x; touch {dir}/pwned_c; rm -rf /")),
            ("d", format!("line1\ntouch {dir}/pwned_d\n")),
            ("e", "é€😀 'q' \\\" $HOME ${PATH} *".to_owned()),
            (
                "f",
                format!("x && touch {dir}/pwned_f || true | cat > {dir}/pwned_f"),
            ),
        ];
        let mut text = String::from(":cmd slepens script env");
        for (name, value) in &values {
            let quoted: String = value
                .chars()
                .flat_map(|c| match c {
                    '"' | '\\' => vec!['\\', c],
                    _ => vec![c],
                })
                .collect();
            text.push_str(&format!(" {name}=\"{quoted}\""));
        }
        text.push_str(" g");
        let handled = handle(&fixture.runner(), &international(ALLOWED), &text);
        assert_eq!(
            handled,
            Handled::Ran {
                script: "env".to_owned(),
                outcome: Outcome::Exited(0),
                reply: None
            }
        );
        for (name, value) in &values {
            assert_eq!(
                read(&fixture.path(&format!("var_{name}"))),
                value.as_bytes(),
                "{name}"
            );
        }
        // A bare variable is set, to nothing.
        assert_eq!(read(&fixture.path("var_g")), b"");
        assert_eq!(read(&fixture.path("smsgate")), b"+37120000000|gsm1|env");
        assert_eq!(read(&fixture.path("args")), b"2|fixed arg|");
        assert_eq!(read(&fixture.path("count")), b"7\n");
        let entries: Vec<String> = std::fs::read_dir(fixture.dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !entries.iter().any(|name| name.starts_with("pwned")),
            "{entries:?}"
        );
    }

    /// A message cannot set what a loader or shell reads: its names only
    /// ever reach the environment behind the prefix.
    #[test]
    fn variables_cannot_set_the_environment_of_the_process() {
        let fixture = Fixture::new().script(
            "env",
            "printf '%s|%s|%s' \"$IFS\" \"${LD_PRELOAD-unset}\" \"$SMS_VAR_PATH\" > \"$1/env\"\n\
             command -v sh > \"$1/sh\"\n",
            Duration::from_secs(20),
        );
        let text = ":cmd slepens script env PATH=/nonexistent LD_PRELOAD=/tmp/evil.so IFS=x";
        let handled = handle(&fixture.runner(), &international(ALLOWED), text);
        assert_ran_ok(&handled);
        assert_eq!(read(&fixture.path("env")), b" \t\n|unset|/nonexistent");
        assert!(!read(&fixture.path("sh")).starts_with(b"/nonexistent"));
    }

    #[test]
    fn output_is_the_reply_and_the_status_is_reported() {
        let fixture = Fixture::new()
            .script(
                "ok",
                "printf '  uptime 3 days \\n\\n'\necho 'warning' >&2\n",
                Duration::from_secs(20),
            )
            .script("fails", "echo 'disk full'\nexit 3\n", Duration::from_secs(20))
            .script("quiet", "echo 'only stderr' >&2\n", Duration::from_secs(20))
            .script("killed", "echo partial\nkill -TERM $$\n", Duration::from_secs(20))
            .script(
                "long",
                "head -c 300000 /dev/zero | tr '\\0' 'x'\n",
                Duration::from_secs(20),
            );
        let runner = fixture.runner();
        let sender = international(ALLOWED);
        let ran = |script: &str, outcome, reply: Option<&str>| Handled::Ran {
            script: script.to_owned(),
            outcome,
            reply: reply.map(str::to_owned),
        };
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script ok"),
            ran("ok", Outcome::Exited(0), Some("uptime 3 days"))
        );
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script fails"),
            ran("fails", Outcome::Exited(3), Some("disk full"))
        );
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script quiet"),
            ran("quiet", Outcome::Exited(0), None)
        );
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script killed"),
            ran("killed", Outcome::Signal(15), None)
        );
        // 300 000 bytes: kept up to the bound, the reply cut to its own.
        let Handled::Ran {
            reply: Some(reply), ..
        } = handle(&runner, &sender, ":cmd slepens script long")
        else {
            panic!("no reply")
        };
        assert_eq!(reply, "x".repeat(MAX_REPLY_CHARS));
        let mut fixture = fixture;
        fixture.reply = false;
        assert_eq!(
            handle(&fixture.runner(), &sender, ":cmd slepens script ok"),
            ran("ok", Outcome::Exited(0), None)
        );
    }

    #[test]
    fn a_script_that_hangs_is_killed_with_its_group() {
        let fixture = Fixture::new()
            .script(
                "hang",
                "sleep 60 &\necho $! > \"$1/pid\"\necho started\nwait\n",
                Duration::from_millis(500),
            )
            // Exits at once, but leaves its output open in the background.
            .script(
                "leaves",
                "(sleep 60; echo late) &\necho $! > \"$1/pid2\"\necho early\n",
                Duration::from_millis(500),
            );
        let runner = fixture.runner();
        let sender = international(ALLOWED);
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script hang"),
            Handled::Ran {
                script: "hang".to_owned(),
                outcome: Outcome::TimedOut,
                reply: None
            }
        );
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script leaves"),
            Handled::Ran {
                script: "leaves".to_owned(),
                outcome: Outcome::Exited(0),
                reply: Some("early".to_owned())
            }
        );
        for file in ["pid", "pid2"] {
            let pid: i32 = String::from_utf8(read(&fixture.path(file)))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            assert!(gone(pid), "{file}: process {pid} still runs");
        }
    }

    /// Whether `pid` has ended (polling: a killed process is reaped by
    /// init a little later).
    fn gone(pid: i32) -> bool {
        for _ in 0..100 {
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                !stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            });
            if !alive {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The receive path spawns `handle` as a task: the authorizer's lock
    /// is never held across an await.
    #[test]
    fn handling_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let runner = Fixture::new().runner();
        let sender = international(ALLOWED);
        let received = Received {
            sender: &sender,
            text: ":cmd slepens script x",
            modem: "gsm1",
        };
        assert_send(&runner.handle(received, Instant::now()));
    }

    fn marker_script(fixture: Fixture, name: &str) -> Fixture {
        fixture.script(name, "touch \"$1/ran\"\necho ran\n", Duration::from_secs(20))
    }

    #[test]
    fn ordinary_messages_pass() {
        let fixture = marker_script(Fixture::new(), "x");
        let runner = fixture.runner();
        for text in ["hello", "", "cmd slepens script x", ":cmdslepens script x"] {
            assert_eq!(handle(&runner, &international(ALLOWED), text), Handled::Ordinary);
        }
        assert!(!fixture.path("ran").exists());
    }

    #[test]
    fn wrong_secret_number_or_spoofed_sender_is_refused() {
        let fixture = marker_script(Fixture::new(), "x");
        let runner = fixture.runner();
        let refused = |sender: &Address, text: &str| match handle(&runner, sender, text) {
            Handled::Rejected(Rejection::Refused(refusal)) => refusal,
            other => panic!("{other:?}"),
        };
        let allowed = InternationalNumber::parse("+37120000000").unwrap();
        assert_eq!(
            refused(&international(ALLOWED), ":cmd slepenz script x"),
            Refusal::WrongSecret {
                sender: allowed.clone(),
                failures: 1,
                locked_out: false
            }
        );
        assert_eq!(
            refused(&international("37120000001"), ":cmd slepens script x"),
            Refusal::NotAllowed(InternationalNumber::parse("+37120000001").unwrap())
        );
        let spoofs = [
            (
                Address {
                    toa: TypeOfAddress::ALPHANUMERIC,
                    number: "+37120000000".to_owned(),
                },
                SenderError::Alphanumeric,
            ),
            (
                Address {
                    toa: TypeOfAddress::NATIONAL,
                    number: "20000000".to_owned(),
                },
                SenderError::NotInternational(sms_pdu::TypeOfNumber::National),
            ),
            (
                Address {
                    toa: TypeOfAddress::UNKNOWN,
                    number: ALLOWED.to_owned(),
                },
                SenderError::NoCountryCode,
            ),
            (international("+371 2000 0000"), SenderError::NotDigits),
            (international("３７１２００００００００"), SenderError::NotDigits),
        ];
        for (sender, problem) in spoofs {
            assert_eq!(
                refused(&sender, ":cmd slepens script x"),
                Refusal::Sender(problem)
            );
        }
        // A malformed command from a stranger is refused for the sender.
        assert_eq!(
            refused(&international("37120000001"), ":cmd slepens script x v="),
            Refusal::NotAllowed(InternationalNumber::parse("+37120000001").unwrap())
        );
        assert!(!fixture.path("ran").exists());
    }

    #[test]
    fn wrong_secrets_lock_the_sender_out() {
        let fixture = marker_script(Fixture::new(), "x");
        let runner = fixture.runner();
        let sender = international(ALLOWED);
        for second in 0..3 {
            let handled = handle_at(
                &runner,
                &sender,
                ":cmd guess script x",
                Duration::from_secs(second),
            );
            assert!(
                matches!(
                    handled,
                    Handled::Rejected(Rejection::Refused(Refusal::WrongSecret { .. }))
                ),
                "{handled:?}"
            );
        }
        let handled = handle_at(&runner, &sender, ":cmd slepens script x", Duration::from_secs(10));
        assert!(
            matches!(
                handled,
                Handled::Rejected(Rejection::Refused(Refusal::LockedOut { .. }))
            ),
            "{handled:?}"
        );
        assert!(!fixture.path("ran").exists());
        // After the lockout, the right secret works again.
        let handled = handle_at(
            &runner,
            &sender,
            ":cmd slepens script x",
            Duration::from_secs(3700),
        );
        assert_ran_ok(&handled);
        assert!(fixture.path("ran").exists());
    }

    /// The seed's `script mans skripts` reads as script `mans` (with a
    /// variable `skripts`), which is not the configured "mans skripts".
    #[test]
    fn unknown_scripts_and_malformed_commands_are_refused() {
        let fixture = marker_script(Fixture::new(), "mans skripts");
        let runner = fixture.runner();
        let sender = international(ALLOWED);
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script mans skripts"),
            Handled::Rejected(Rejection::UnknownScript("mans".to_owned()))
        );
        assert_eq!(
            handle(&runner, &sender, ":cmd slepens script ../mans_skripts"),
            Handled::Rejected(Rejection::UnknownScript("../mans_skripts".to_owned()))
        );
        let Handled::Rejected(Rejection::Malformed(err)) =
            handle(&runner, &sender, ":cmd slepens script mans_skripts var=a a")
        else {
            panic!("not malformed")
        };
        assert_eq!(err.kind, ParseErrorKind::AmbiguousValue);
        assert_eq!(
            handle(
                &runner,
                &sender,
                ":cmd slepens script \"mans skripts\" v=\"a\u{0}b\""
            ),
            Handled::Rejected(Rejection::NulInValue("v".to_owned()))
        );
        assert!(!fixture.path("ran").exists());
        assert!(matches!(
            handle(&runner, &sender, ":cmd slepens script \"mans skripts\""),
            Handled::Ran {
                outcome: Outcome::Exited(0),
                ..
            }
        ));
        assert!(fixture.path("ran").exists());
    }

    #[test]
    fn a_program_that_cannot_start_is_reported() {
        let mut fixture = Fixture::new();
        fixture.scripts.insert(
            "missing".to_owned(),
            Script {
                program: PathBuf::from("/nonexistent/program"),
                args: Vec::new(),
                timeout: Duration::from_secs(5),
            },
        );
        let Handled::Ran {
            outcome: Outcome::Failed(message),
            reply: None,
            ..
        } = handle(
            &fixture.runner(),
            &international(ALLOWED),
            ":cmd slepens script missing",
        )
        else {
            panic!("ran")
        };
        assert!(message.starts_with("/nonexistent/program: "), "{message}");
    }
}
