//! One `smsgate.toml` for every command (issue 10, items 9 and 15/16 of
//! the command line; issue 11's "every problem at once"): the example
//! file, with every section, read by every one-shot command, by
//! `check-config` and by the daemon's reading, the same way.

use std::path::PathBuf;

use crate::modem_commands::SimBench;
use crate::util::TestCommand;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/smsgate.toml")
}

/// The example has every section a user may write.
#[test]
fn the_example_has_every_section() {
    let text = std::fs::read_to_string(example()).unwrap();
    for section in [
        "[spool]",
        "[ports.",
        "[modems.",
        "[queues.",
        "[handlers]",
        "[limits]",
        "[numbering]",
        "[control]",
        "[sms-commands]",
        "[scripts.",
        "[http]",
        "[[http.tokens]]",
        "[[webhooks]]",
    ] {
        assert!(text.contains(section), "examples/smsgate.toml lacks {section}");
    }
    assert!(text.contains("\nlock-dir = "));
}

#[test]
fn every_one_shot_command_reads_the_whole_example() {
    let bench = SimBench::start(2);
    bench
        .block_on(bench.sim().set_ussd(0, "*100#", "balance 5 EUR"))
        .unwrap();
    let config = example();
    let config = config.to_str().unwrap();
    let device = bench.path(0);
    let with_config = |args: &[&str]| {
        let mut command = bench.smsgate(args);
        command.args(["--config", config]);
        command
    };
    let number = SimBench::number(1);
    let sent = with_config(&["send", &device, &number, "--message", "one config", "--json"]).json();
    assert_eq!(sent["references"].as_array().map(Vec::len), Some(1), "{sent}");
    // (a status report of the message sent may or may not be there yet)
    let listed = with_config(&["inbox", &device, "--json"]).json();
    assert!(listed.is_array(), "{listed}");
    eqnice!(
        "balance 5 EUR\n",
        with_config(&["ussd", &device, "*100#"]).stdout()
    );
    eqnice!(
        "+CSQ: 21,99\nOK\n",
        with_config(&["at-chat", &device, "AT+CSQ"]).stdout()
    );
    let status = with_config(&["status", &device, "--json"]).json();
    assert_eq!(status["port"], device.as_str());

    let checked = TestCommand::new(["check-config", "--config", config]).stdout();
    eqnice!(
        format!("{config}: ok: 2 port(s), 2 modem(s), 2 queue(s), SMS commands on (2 script(s))\n"),
        checked
    );
}

/// `./smsgate.toml` is read when `--config` is not given, also with a
/// device path as PORT.
#[test]
fn the_default_config_in_the_working_directory_is_read_whole_too() {
    let bench = SimBench::start(1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example(), dir.path().join("smsgate.toml")).unwrap();
    let mut command = bench.smsgate(&["at-chat", &bench.path(0), "AT"]);
    command.current_dir(dir.path());
    eqnice!("OK\n", command.stdout());
    // And a bad file in it fails every command, with every problem.
    std::fs::write(
        dir.path().join("smsgate.toml"),
        "[ports.a]\ndevice = \"/dev/x\"\nsim-pn = \"1234\"\n\n[limits]\nretry-interval-s = 0\n",
    )
    .unwrap();
    let mut command = bench.smsgate(&["at-chat", &bench.path(0), "AT"]);
    command.current_dir(dir.path());
    let printed = command.expect_status(1);
    assert!(
        printed
            .stderr
            .contains("smsgate.toml: line 3: unknown key \"sim-pn\" in [ports.a]"),
        "{}",
        printed.stderr
    );
    assert!(
        printed
            .stderr
            .contains("smsgate.toml: line 6: limits.retry-interval-s: must be at least 1"),
        "{}",
        printed.stderr
    );
}
