//! The runner's decisions and scripts, on a fake clock (the time is
//! given) and real processes (`/bin/sh`).

use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// Issue 10.1: a command whose parts did not all arrive never runs; an
/// allowed sender is told, a stranger is not.
#[test]
fn an_incomplete_command_is_refused_and_the_sender_told() {
    let fixture = marker_script(Fixture::new(), "x");
    let runner = fixture.runner();
    let sender = international(ALLOWED);
    let text = ":cmd slepens script x a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    let received = Received {
        missing_parts: &[2],
        ..message(&sender, text, "scts", "gsm1.aaaaaa")
    };
    let Decision::Rejected(rejection) = runner.decide(received, T0) else {
        panic!("not rejected")
    };
    assert_eq!(
        Decision::Rejected(rejection.clone()).marker().unwrap(),
        "rejected: incomplete message (part 2 missing)"
    );
    runner.tell(&rejection, "gsm1");
    assert_eq!(
        fixture.replies(),
        ["To: 37120000000\n\nCommand not run: incomplete message (part 2 missing)\n"]
    );
    // Parts 2 and 4 of 4 missing: what came is not spliced into a command.
    let received = Received {
        missing_parts: &[2, 4],
        ..message(&sender, ":cmd slepens script x a=1 b=3", "scts2", "gsm1.bbbbbb")
    };
    assert_eq!(
        runner.decide(received, T0).marker().unwrap(),
        "rejected: incomplete message (parts 2,4 missing)"
    );
    // A stranger is refused for the sender, and not told.
    let stranger = international("37120000001");
    let received = Received {
        missing_parts: &[2],
        ..message(&stranger, text, "scts", "gsm1.cccccc")
    };
    let Decision::Rejected(rejection) = runner.decide(received, T0) else {
        panic!("not rejected")
    };
    assert!(matches!(rejection, Rejection::Refused(Refusal::NotAllowed(_))));
    runner.tell(&rejection, "gsm1");
    assert_eq!(fixture.replies().len(), 1);
    assert!(runner.state().waiting.is_empty());
    assert!(!fixture.path("ran").exists());
}

/// Issue 10.3: the same SMS again (sender, time stamp, text) within the
/// window does not run again, also after a restart; another time stamp
/// is another SMS.
#[test]
fn a_redelivered_command_does_not_run_again_even_after_a_restart() {
    let fixture = marker_script(Fixture::new(), "x");
    let runner = fixture.runner();
    let sender = international(ALLOWED);
    let text = ":cmd slepens script x";
    let scts = "2026-01-01T12:00:00+00:00";
    let first = message(&sender, text, scts, "gsm1.first0");
    assert_ran_ok(&handle_received(&runner, first, T0));
    let again = message(&sender, text, scts, "gsm1.again0");
    let duplicate = Handled::Rejected(Rejection::Duplicate {
        of: "gsm1.first0".to_owned(),
    });
    assert_eq!(
        handle_received(&runner, again, T0 + Duration::from_secs(60)),
        duplicate
    );
    let restarted = fixture.runner();
    let again = message(&sender, text, scts, "gsm1.again1");
    assert_eq!(
        handle_received(&restarted, again, T0 + Duration::from_secs(120)),
        duplicate
    );
    let marker = Decision::Rejected(Rejection::Duplicate {
        of: "gsm1.first0".to_owned(),
    })
    .marker()
    .unwrap();
    assert_eq!(
        marker,
        "rejected: the same message as gsm1.first0, which was run already (a redelivery)"
    );
    // After the window, or with another time stamp: a new command.
    let later = message(&sender, text, scts, "gsm1.later0");
    assert_ran_ok(&handle_received(
        &restarted,
        later,
        T0 + Duration::from_secs(3600),
    ));
    let other = message(&sender, text, "2026-01-01T12:00:01+00:00", "gsm1.other0");
    assert_ran_ok(&handle_received(
        &restarted,
        other,
        T0 + Duration::from_secs(3601),
    ));
}

/// Issue 10.4: the reply goes to the international number the sender was
/// authorised as, not to the digits as they came.
#[test]
fn the_reply_goes_to_the_normalised_international_number() {
    let fixture = Fixture::new().script("ok", "echo done\n", Duration::from_secs(20));
    let runner = Arc::new(fixture.runner());
    let sender = Address {
        toa: TypeOfAddress::UNKNOWN,
        number: "0037120000000".to_owned(),
    };
    let decision = runner.decide(message(&sender, ":cmd slepens script ok", "s", "gsm1.a"), T0);
    assert_eq!(decision.marker().unwrap(), "runs script ok");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let tasks = TaskTracker::new();
        runner.start_waiting(&tasks);
        tasks.close();
        tasks.wait().await;
    });
    assert_eq!(fixture.replies(), ["To: 37120000000\n\ndone\n"]);
}

/// Issue 10.5: a lockout outlives a restart.
#[test]
fn a_lockout_survives_a_restart() {
    let fixture = marker_script(Fixture::new(), "x");
    let sender = international(ALLOWED);
    let runner = fixture.runner();
    for second in 0..3 {
        let handled = handle_at(
            &runner,
            &sender,
            ":cmd guess script x",
            Duration::from_secs(second),
        );
        assert!(
            matches!(handled, Handled::Rejected(Rejection::Refused(_))),
            "{handled:?}"
        );
    }
    drop(runner);
    let restarted = fixture.runner();
    let handled = handle_at(
        &restarted,
        &sender,
        ":cmd slepens script x",
        Duration::from_secs(10),
    );
    assert!(
        matches!(
            handled,
            Handled::Rejected(Rejection::Refused(Refusal::LockedOut { .. }))
        ),
        "{handled:?}"
    );
    assert!(!fixture.path("ran").exists());
}

/// A decision that cannot be saved is not acted on (fail closed), and an
/// unreadable saved state refuses every command.
#[test]
fn an_unsaved_decision_does_not_run_and_an_unreadable_state_refuses_all() {
    let fixture = marker_script(Fixture::new(), "x");
    let runner = fixture.runner();
    let sender = international(ALLOWED);
    // A directory where the state file goes: every save fails.
    let state_file = fixture.path(state::FILE_NAME);
    std::fs::create_dir(&state_file).unwrap();
    std::fs::write(state_file.join("x"), "").unwrap();
    let handled = handle(&runner, &sender, ":cmd slepens script x");
    assert!(
        matches!(handled, Handled::Rejected(Rejection::NotRecorded(_))),
        "{handled:?}"
    );
    assert!(runner.state().waiting.is_empty());
    assert!(!fixture.path("ran").exists());
    // Readable again, but junk: refused, however right.
    std::fs::remove_dir_all(&state_file).unwrap();
    std::fs::write(&state_file, "junk").unwrap();
    let handled = handle(&fixture.runner(), &sender, ":cmd slepens script x");
    assert!(
        matches!(handled, Handled::Rejected(Rejection::StateUnreadable(_))),
        "{handled:?}"
    );
    assert!(!fixture.path("ran").exists());
}

/// Issue 10.6: at most `max-running` scripts at once; the next waits, in
/// order and saved; past `max-waiting` a command is refused and the
/// sender told.
#[test]
fn scripts_beyond_max_running_wait_and_beyond_max_waiting_are_refused() {
    let mut fixture = Fixture::new().script(
        "hang",
        "touch \"$1/started_$SMS_VAR_n\"\nwhile [ ! -e \"$1/go\" ]; do sleep 0.02; done\necho \"done $SMS_VAR_n\"\n",
        Duration::from_secs(30),
    );
    fixture.max_running = 1;
    fixture.max_waiting = 1;
    let runner = Arc::new(fixture.runner());
    let sender = international(ALLOWED);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let tasks = TaskTracker::new();
    let _guard = tokio.enter();
    let mut markers = Vec::new();
    for n in 1..=3 {
        let text = format!(":cmd slepens script hang n={n}");
        let file = format!("gsm1.file{n}");
        let decision = runner.decide(message(&sender, &text, &file, &file), T0);
        if let Decision::Rejected(rejection) = &decision {
            runner.tell(rejection, "gsm1");
        }
        markers.push(decision.marker().unwrap());
        runner.start_waiting(&tasks);
    }
    assert_eq!(
        markers,
        [
            "runs script hang",
            "waits to run script hang (max-running reached; 0 waiting before it)",
            "rejected: 1 commands wait already (max-waiting); try again later",
        ]
    );
    let started = |n: u32| fixture.path(&format!("started_{n}")).exists();
    assert!(wait_until(|| started(1)));
    assert!(!started(2));
    // Saved: a restart finds it waiting.
    let waiting: Vec<String> = fixture
        .runner()
        .state()
        .waiting
        .iter()
        .map(|job| job.file.clone())
        .collect();
    assert_eq!(waiting, ["gsm1.file2"]);
    std::fs::write(fixture.path("go"), "").unwrap();
    assert!(wait_until(|| started(2)));
    tokio.block_on(async {
        while runner.state().running > 0 || !runner.state().waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tasks.close();
        tasks.wait().await;
    });
    assert_eq!(
        fixture.replies(),
        [
            "To: 37120000000\n\nCommand not run: 1 commands wait already (max-waiting); try again later\n",
            "To: 37120000000\n\ndone 1\n",
            "To: 37120000000\n\ndone 2\n",
        ]
    );
    assert!(!started(3));
}

/// Polls `done` for up to 20 s.
fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..1000 {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Issue 10.7: a script's output is logged as a bounded prefix with its
/// byte count, not as 64 KiB in one line.
#[test]
fn output_is_logged_as_a_bounded_prefix_with_the_byte_count() {
    let captured = Captured {
        bytes: vec![b'x'; MAX_OUTPUT],
        total: 300_000,
    };
    let summary = output_summary("long", "stdout", &captured).unwrap();
    assert!(summary.len() < LOGGED_OUTPUT + 100, "{} bytes", summary.len());
    assert!(
        summary.starts_with("script \"long\" stdout (300000 bytes, the first 1024 shown): \"xxx"),
        "{summary}"
    );
    let short = Captured {
        bytes: b"ok\n".to_vec(),
        total: 3,
    };
    assert_eq!(
        output_summary("s", "stderr", &short).unwrap(),
        "script \"s\" stderr (3 bytes): \"ok\\n\""
    );
    assert_eq!(output_summary("s", "stderr", &Captured::default()), None);
}
