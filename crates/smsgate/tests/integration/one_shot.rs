//! The one-shot modem commands against the simulator, issue 10: who holds
//! a busy port, `at-chat` waiting for what follows the final result, a
//! USSD session closed after its timeout, `send`'s RouterOS forms and its
//! limit of parts. The real binary; every child process is killed when
//! the test ends, also when it fails.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use modem_sim::Fault;

use crate::modem_commands::SimBench;

/// A child process killed and reaped when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Issue 10, item 11: a one-shot command holding the port is named as
/// such, not as "the smsgate daemon".
#[test]
fn a_port_held_by_a_one_shot_command_names_that_command() {
    let bench = SimBench::start(1);
    // Slow answers and a patient handshake: the first command holds the
    // port for seconds.
    let config = bench.config(&format!(
        "[ports.slow]\ndevice = {:?}\nhandshake-timeout-ms = 20000\n",
        bench.path(0)
    ));
    bench
        .block_on(bench.sim().fault(0, Fault::Delay { ms: 3000 }))
        .unwrap();
    let holder = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .args([
            "at-chat",
            "slow",
            "AT",
            "--timeout",
            "20",
            "--config",
            &config,
            "--lock-dir",
        ])
        .arg(bench.lock_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _holder = Reaped(holder);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(bench.lock_dir()).unwrap().next().is_none() {
        assert!(
            Instant::now() < deadline,
            "the first command never locked the port"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let printed = bench
        .smsgate(&["status", "slow", "--config", &config])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains("another `smsgate at-chat` is using the port; try again when it has finished"),
        "{}",
        printed.stderr
    );
    assert!(!printed.stderr.contains("daemon"), "{}", printed.stderr);
}

/// Issue 10, item 12: the seed's own way to ask a USSD code, by at-chat;
/// the `+CUSD:` after the `OK` was dropped. Directly and through the
/// daemon alike.
#[test]
fn at_chat_prints_the_unsolicited_answer_that_follows() {
    let mut bench = crate::spool_bench::SpoolBench::build(crate::spool_bench::Setup {
        n_modems: 2,
        ports_only: 1,
        spool_dirs: &[],
        ..crate::spool_bench::Setup::default()
    });
    for index in 0..2 {
        bench
            .runtime
            .block_on(
                bench
                    .sim()
                    .set_ussd_raw(index, "*245#", "EBB79B1E0685E9ECF4BADE9E03", 15),
            )
            .unwrap();
    }
    let config = bench.config();
    let at_chat = |port: &str, extra: &[&str]| {
        crate::util::TestCommand::new(["at-chat", port, "AT+CUSD=1,\"*245#\",15", "--config"])
            .args([&config])
            .args(extra)
            .stdout()
    };
    let expected = "OK\n+CUSD: 0,\"EBB79B1E0685E9ECF4BADE9E03\",15\nUSSD: konta atlikums\n";
    eqnice!(expected, at_chat("modem1", &[]));
    bench.start_daemon();
    eqnice!(expected, at_chat("modem0", &[]));
    // --wait 0: the final result only.
    eqnice!("OK\n", at_chat("modem1", &["--wait", "0"]));
    assert!(
        bench.log().contains("USSD: konta atlikums"),
        "the daemon logs the answer, decoded:\n{}",
        bench.log()
    );
}

/// Issue 10, item 14: `/tool sms print`: a modem's settings, SMS commands
/// with their numbers but never the secret, and the daemon's last USSD.
#[test]
fn settings_show_each_modem_and_the_last_ussd_never_the_secret() {
    let mut bench = crate::spool_bench::SpoolBench::build(crate::spool_bench::Setup {
        n_modems: 1,
        modem_keys: &["receive = true\npolling = true"],
        rest: "\n[sms-commands]\nsecret = \"slepens42\"\nallowed-numbers = [\"+37120000000\"]\n",
        spool_dirs: &[],
        ..crate::spool_bench::Setup::default()
    });
    bench
        .runtime
        .block_on(bench.sim().set_ussd(0, "*100#", "balance 5 EUR"))
        .unwrap();
    let config = bench.config();
    let settings = || {
        crate::util::TestCommand::new(["settings", "--config"])
            .args([&config])
            .stdout()
    };
    let device = bench.device(0).display().to_string();
    let expected = |last_ussd: &str| {
        format!(
            "modem:        modem0\nport:         modem0 ({device}, channel 0)\nreceive:      yes\n\
             polling:      yes\nauto-erase:   no\nsend:         yes\nsms-storage:  sim\n\
             sms-commands: yes, from +37120000000\nlast-ussd:    {last_ussd}\n"
        )
    };
    eqnice!(
        expected("unknown (no daemon answers on the control socket)"),
        settings()
    );
    bench.start_daemon();
    eqnice!(expected("none yet"), settings());
    crate::util::TestCommand::new(["ussd", "modem0", "*100#", "--config"])
        .args([&config])
        .stdout();
    let shown = settings();
    eqnice!(expected("balance 5 EUR"), shown);
    assert!(!shown.contains("slepens42"));
    let json = crate::util::TestCommand::new(["settings", "modem0", "--json", "--config"])
        .args([&config])
        .json();
    assert_eq!(json[0]["last_ussd"], "balance 5 EUR", "{json}");
    assert!(!json.to_string().contains("slepens42"), "{json}");
}

/// Issue 10, item 15: RouterOS's `phone-number=` and `message=` forms.
#[test]
fn send_takes_routeros_key_value_forms() {
    let bench = SimBench::start(2);
    let number = SimBench::number(1);
    let stdout = bench
        .smsgate(&[
            "send",
            &bench.path(0),
            &format!("phone-number={number}"),
            "message=key and value",
            "status-report-request=no",
        ])
        .stdout();
    assert!(stdout.trim().parse::<u8>().is_ok(), "{stdout}");
    assert_eq!(bench.wait_submitted(0, 1).len(), 1);
    let printed = bench
        .smsgate(&["send", &bench.path(0), &number, "message=x", "text=y"])
        .expect_status(2);
    assert!(
        printed
            .stderr
            .contains("text= is not a setting of send (phone-number=, message=, channel="),
        "{}",
        printed.stderr
    );
}

/// Issue 10, item 16: 5,000 characters silently became 33 SMS. `send`
/// refuses a text over `--max-parts` (default 10), naming the count, and
/// sends nothing; the daemon moves such a file to failed/ with the reason.
#[test]
fn a_text_over_max_parts_is_refused_with_its_count() {
    let bench = SimBench::start(2);
    let number = SimBench::number(1);
    let long = "x".repeat(5_000);
    let printed = bench
        .smsgate(&["send", &bench.path(0), &number, "--message", &long])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains("the text needs 33 parts, more than --max-parts 10"),
        "{}",
        printed.stderr
    );
    let longer = "x".repeat(40_000);
    let printed = bench
        .smsgate(&[
            "send",
            &bench.path(0),
            &number,
            "--message",
            &longer,
            "--max-parts",
            "200",
        ])
        .expect_status(1);
    assert!(
        printed
            .stderr
            .contains("the text needs 262 parts, more than --max-parts 200"),
        "{}",
        printed.stderr
    );
    // Within the limit it goes.
    bench
        .smsgate(&[
            "send",
            &bench.path(0),
            &number,
            "--message",
            &long,
            "--max-parts",
            "33",
        ])
        .stdout();
    assert_eq!(bench.wait_submitted(0, 33).len(), 33);
}

#[test]
fn a_spool_file_over_max_parts_goes_to_failed_with_the_count() {
    let mut bench = crate::spool_bench::SpoolBench::build(crate::spool_bench::Setup {
        rest: "\n[limits]\nmax-parts = 2\n",
        ..crate::spool_bench::Setup::default()
    });
    bench.start_daemon();
    bench.drop_file(
        "long",
        &format!(
            "To: {}\n\n{}\n",
            crate::spool_bench::SpoolBench::number(1),
            "y".repeat(400)
        ),
    );
    let failed = bench.wait_for_file("failed", "long");
    let reason = crate::spool_bench::header_values(&failed, "Fail_reason").join("");
    assert!(
        reason.contains("the text needs 3 parts, more than [limits] max-parts 2"),
        "{failed}"
    );
}
