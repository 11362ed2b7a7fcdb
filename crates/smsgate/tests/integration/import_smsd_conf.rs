//! `smsgate import-smsd-conf`: smstools3's smsd.conf in, smsgate's TOML
//! out, every setting either carried over or listed.

use crate::util::TestCommand;

/// The lab configuration of the interop notes (section 4), as smsd 3.1.21
/// ran it; paths relative to the crate, where cargo runs the tests.
const LAB: &str = "tests/data/smsd/lab.conf";

#[test]
fn lab_config_prints_equivalent_toml_and_lists_the_rest() {
    let printed = TestCommand::new(["import-smsd-conf", LAB]).expect_status(0);
    let expected = r#"# smsgate configuration imported from tests/data/smsd/lab.conf
# by `smsgate import-smsd-conf`.
#
# Not carried over:
#   line 3: logfile = $LAB/smsd.log: smsgate logs to stderr through tracing; choose what with RUST_LOG
#   line 4: loglevel = 7: smsgate logs to stderr through tracing; choose what with RUST_LOG
#   line 5: logtime_ms = yes: smsgate logs to stderr through tracing; choose what with RUST_LOG
#   line 6: infofile = $LAB/smsd.working: smsgate writes no pid or info file and does not switch users; use the service manager
#   line 7: pidfile = $LAB/smsd.pid: smsgate writes no pid or info file and does not switch users; use the service manager

[spool]
base = "$LAB/spool"

[ports.GSM1]
device = "$LAB/modem0"
baud-rate = 115200

[modems.GSM1]
receive = true
report = true
"#;
    eqnice!(expected, printed.stdout);
    eqnice!(
        "5 setting(s) of tests/data/smsd/lab.conf not carried over: see the comment at the top\n",
        printed.stderr
    );
}

#[test]
fn failure_handling_settings_become_limits() {
    let stdout = TestCommand::new(["import-smsd-conf", "tests/data/smsd/lab-fail.conf"]).stdout();
    assert!(
        stdout.contains("\n[limits]\nblock-time-s = 15\nretry-interval-s = 3\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("#   line 14: delaytime = 1: smsgate picks up new files at once"),
        "{stdout}"
    );
}

#[test]
fn the_printed_toml_serves_smsgate_send() {
    // The imported file is also `smsgate send`'s config: its port is known
    // by the modem's name (the device does not exist, so sending fails
    // when it opens the port, after the config was read).
    let dir = tempfile::tempdir().unwrap();
    let stdout = TestCommand::new(["import-smsd-conf", LAB]).stdout();
    let config = dir.path().join("smsgate.toml");
    std::fs::write(&config, stdout.replace("$LAB", &dir.path().display().to_string())).unwrap();
    let printed = TestCommand::new(["status", "GSM1", "--config"])
        .args([&config])
        .args(["--lock-dir"])
        .args([dir.path()])
        .expect_status(1);
    assert!(printed.stderr.contains("modem0"), "{}", printed.stderr);
    assert!(!printed.stderr.contains("no port"), "{}", printed.stderr);
}

#[test]
fn errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("smsd.conf");
    std::fs::write(
        &conf,
        "devices = GSM1\n\n[GSM1]\ndevice = /dev/ttyUSB0\nbaudrate = fast\n",
    )
    .unwrap();
    let printed = TestCommand::new(["import-smsd-conf"])
        .args([&conf])
        .expect_status(1);
    eqnice!(
        format!(
            "error: {}: line 5: baudrate: \"fast\" is not a whole number\n",
            conf.display()
        ),
        printed.stderr
    );
    assert_eq!(printed.stdout, "");

    let printed = TestCommand::new(["import-smsd-conf", "/nonexistent/smsd.conf"]).expect_status(1);
    assert!(
        printed
            .stderr
            .starts_with("error: reading /nonexistent/smsd.conf: "),
        "{}",
        printed.stderr
    );
}

#[test]
fn output_that_would_not_load_is_printed_and_fails() {
    // A provider queue that no modem serves: smsd.conf allows it, smsgate's
    // configuration refuses it, and the user gets the TOML to fix.
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("smsd.conf");
    std::fs::write(
        &conf,
        "devices = GSM1\n[providers]\nO2 = 49176\n[GSM1]\ndevice = /dev/ttyUSB0\n",
    )
    .unwrap();
    let printed = TestCommand::new(["import-smsd-conf"])
        .args([&conf])
        .expect_status(1);
    assert!(
        printed.stdout.contains("\n[queues.O2]\nprefixes = [\"49176\"]\n"),
        "{}",
        printed.stdout
    );
    assert!(
        printed
            .stderr
            .contains("the imported configuration does not load: imported configuration: line ")
            && printed.stderr.contains("queues.O2: no modem serves this queue"),
        "{}",
        printed.stderr
    );
}
