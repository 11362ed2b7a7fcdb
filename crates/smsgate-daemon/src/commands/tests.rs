//! The runner's decisions and scripts, on a fake clock (the time is
//! given) and real processes (`/bin/sh`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use sms_command::{ParseErrorKind, RateLimit, SenderError};
use sms_pdu::TypeOfAddress;

use super::*;

mod decisions;

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
    max_running: usize,
    max_waiting: usize,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("outgoing")).unwrap();
        Fixture {
            dir,
            scripts: BTreeMap::new(),
            reply: true,
            max_running: 4,
            max_waiting: 16,
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

    /// A runner with its state in the fixture's directory (a second one
    /// is the same daemon after a restart).
    fn runner(&self) -> CommandRunner {
        CommandRunner::new(
            &SmsCommands {
                secret: "slepens".to_owned(),
                allowed_numbers: vec![InternationalNumber::parse("+371 2000 0000").unwrap()],
                reply: self.reply,
                rate_limit: RateLimit::DEFAULT,
                duplicate_window: Duration::from_secs(3600),
                max_running: self.max_running,
                max_waiting: self.max_waiting,
                scripts: self.scripts.clone(),
            },
            self.dir.path(),
            &self.path("outgoing"),
            0o640,
        )
        .unwrap()
    }

    /// The replies spooled, as their files' text.
    fn replies(&self) -> Vec<String> {
        let mut replies: Vec<String> = std::fs::read_dir(self.path("outgoing"))
            .unwrap()
            .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
            .collect();
        replies.sort();
        replies
    }
}

/// The start of the test clock: some time in 2026, as the daemon's clock
/// is the Unix epoch's.
const T0: Duration = Duration::from_secs(1_790_000_000);

/// A message on its own, with a time stamp of its own (each call another
/// SMS).
fn message<'a>(sender: &'a Address, text: &'a str, scts: &'a str, file: &'a str) -> Received<'a> {
    Received {
        sender,
        text,
        modem: "gsm1",
        scts,
        file,
        missing_parts: &[],
    }
}

fn handle(runner: &CommandRunner, sender: &Address, text: &str) -> Handled {
    handle_at(runner, sender, text, Duration::ZERO)
}

/// Decides `text` at `T0 + after` as a new SMS, and runs the script if
/// it may (no other command waits in these tests).
fn handle_at(runner: &CommandRunner, sender: &Address, text: &str, after: Duration) -> Handled {
    let unique = format!("{:?}", Instant::now());
    handle_received(runner, message(sender, text, &unique, &unique), T0 + after)
}

fn handle_received(runner: &CommandRunner, received: Received<'_>, now: Duration) -> Handled {
    match runner.decide(received, now) {
        Decision::Ordinary => Handled::Ordinary,
        Decision::Rejected(rejection) => Handled::Rejected(rejection),
        Decision::Queued { .. } => {
            let job = runner.next_job(&TaskTracker::new()).expect("a free slot");
            let _slot = RunningSlot(runner);
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(runner.run(job))
        }
    }
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

/// The receive path spawns `run` as a task: no lock is held across an
/// await.
#[test]
fn running_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let runner = Fixture::new().runner();
    let job = Job {
        file: "gsm1.x".to_owned(),
        script: "x".to_owned(),
        variables: Vec::new(),
        sender: "+37120000000".to_owned(),
        modem: "gsm1".to_owned(),
    };
    assert_send(&runner.run(job));
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
