//! `smsgate import-smsd-conf`: smstools3's smsd.conf in, smsgate's TOML
//! out, every setting either carried over or listed.

use std::fs;

use crate::spool_bench::{header_values, Setup, SpoolBench};
use crate::util::TestCommand;

/// The lab configuration of the interop notes (section 4), as smsd 3.1.21
/// ran it; paths relative to the crate, where cargo runs the tests.
const LAB: &str = "tests/data/smsd/lab.conf";

#[test]
fn lab_config_prints_equivalent_toml_and_lists_the_rest() {
    let printed = TestCommand::new(["import-smsd-conf", LAB]).expect_status(0);
    let expected = r#"# smsgate configuration imported from tests/data/smsd/lab.conf
# by `smsgate import-smsd-conf`. Read this summary before starting smsgate.
#
# Carried over:
#   line 2: devices = GSM1 -> modems GSM1
#   line 8: outgoing = $LAB/spool/outgoing -> spool.base = "$LAB/spool"
#   line 9: checked = $LAB/spool/checked -> spool.base = "$LAB/spool"
#   line 10: failed = $LAB/spool/failed -> spool.base = "$LAB/spool"
#   line 11: incoming = $LAB/spool/incoming -> spool.base = "$LAB/spool"
#   line 12: sent = $LAB/spool/sent -> spool.base = "$LAB/spool"
#   line 13: report = $LAB/spool/report -> spool.base = "$LAB/spool"
#   line 16: [GSM1] device = $LAB/modem0 -> ports.GSM1.device = "$LAB/modem0"
#   line 17: [GSM1] incoming = yes -> modems.GSM1.receive
#   line 18: [GSM1] report = yes -> modems.GSM1.report
#   line 19: [GSM1] mode = new -> smsgate's only mode
#   line 20: [GSM1] baudrate = 115200 -> ports.GSM1.baud-rate
#
# Not carried over:
#   line 3: logfile = $LAB/smsd.log: smsgate logs to stderr through tracing; choose what with RUST_LOG
#   line 4: loglevel = 7: smsgate logs to stderr through tracing; choose what with RUST_LOG
#   line 5: logtime_ms = yes: smsgate logs to stderr through tracing; choose what with RUST_LOG
#   line 6: infofile = $LAB/smsd.working: smsgate writes no pid or info file and does not switch users; use the service manager
#   line 7: pidfile = $LAB/smsd.pid: smsgate writes no pid or info file and does not switch users; use the service manager
#
# Differences from smsd:
#   received files: text in ISO-8859-15 and Unicode text as raw UCS-2, as smsd wrote them (incoming-charset = "iso-8859-15"); smsgate's own default is UTF-8
#   outgoing files without Alphabet: smsd reads them as UTF-8 when they are, else as ISO-8859-15 (alphabet = ISO, its default); smsgate reads UTF-8 only and moves a file that is not to failed/ with the reason: give ISO-8859-15 files `Alphabet: ISO`
#   modem GSM1: rtscts is not set, and smsd's default is hardware flow control (RTS/CTS): written as flow-control = "hardware" (smsgate's own default is none)

[spool]
base = "$LAB/spool"
incoming-charset = "iso-8859-15"

[ports.GSM1]
device = "$LAB/modem0"
baud-rate = 115200
flow-control = "hardware"

[modems.GSM1]
receive = true
report = true
"#;
    eqnice!(expected, printed.stdout);
    eqnice!(
        "5 setting(s) of tests/data/smsd/lab.conf not carried over: see the summary at the top\n",
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
            "error: {}: line 5: baudrate: \"fast\" is not a whole number (smsd would read it as 0)\n",
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

/// A production smsd.conf (4 modems, one behind a serial server, queues
/// and providers, group sections, handlers, limits, archive copies,
/// regular_run), imported, and run: with its device paths, spool and
/// handlers pointed at the test's simulator and directory, `smsgate run`
/// takes the TOML as printed and sends a message through the network
/// modem, over TCP.
#[test]
fn a_production_config_is_imported_and_runs_on_the_simulator() {
    let printed = TestCommand::new(["import-smsd-conf", "tests/data/smsd/production.conf"]).expect_status(0);
    let toml = printed.stdout;
    // The features smsgate does not have yet are named, each on its line.
    for (line, key) in [
        (51, "regular_run"),
        (52, "regular_run_interval"),
        (93, "[GSM3] report"),
    ] {
        let start = format!("\n#   line {line}: {key} = ");
        let listed = toml[toml.find("# Not carried yet").unwrap()..]
            .lines()
            .any(|listed| {
                format!("\n{listed}").starts_with(&start) && listed.contains(": not carried yet: ")
            });
        assert!(listed, "{start:?} is not listed as not carried yet:\n{toml}");
    }
    eqnice!(
        "16 setting(s) of tests/data/smsd/production.conf not carried over (4 of them for features smsgate \
         does not have yet): see the summary at the top\n",
        printed.stderr
    );

    let mut bench = SpoolBench::build(Setup {
        n_modems: 4,
        spool_dirs: &[],
        sim: Box::new(|sim| {
            sim.tcp = Some("127.0.0.1:0".parse().unwrap());
            for modem in &mut sim.modems {
                modem.pin = Some("1234".to_owned());
            }
        }),
        ..Setup::default()
    });
    let net1 = bench.runtime.block_on(bench.sim().modem(3)).unwrap().tcp.unwrap();
    let events = bench.dir.path().join("events.log");
    // One write per call: GSM2's RECEIVED may come at the same time.
    let event = bench.script(
        "event",
        &format!(
            "line=$(printf '%s|' \"$@\")\nprintf '%s\\n' \"$line\" >> '{}'",
            events.display()
        ),
    );
    let check = bench.script("check", "exit 0");
    let alarm = bench.script("alarm", "exit 0");
    let mut config = format!(
        "lock-dir = {:?}\n{toml}",
        bench.dir.path().join("lock").display().to_string()
    );
    // Issue 12.24: the lists and the copies are carried and used.
    let lists = bench.dir.path().join("lists");
    fs::create_dir(&lists).unwrap();
    fs::write(lists.join("blacklist"), "4917299 # a number the site refuses\n").unwrap();
    fs::write(lists.join("whitelist"), "49\n").unwrap();
    let archive = bench.dir.path().join("archive");
    for (from, to) in [
        ("/srv/sms-archive", archive.clone()),
        ("/etc/smsd", lists),
        ("/var/spool/sms", bench.dir.path().join("spool")),
        ("/dev/serial/by-id/GSM1", bench.device(0)),
        ("/dev/serial/by-id/GSM2", bench.device(1)),
        ("/dev/serial/by-id/GSM3", bench.device(2)),
        ("/usr/local/lib/sms/event", event),
        ("/usr/local/lib/sms/check", check),
        ("/usr/local/lib/sms/alarm", alarm),
    ] {
        assert!(config.contains(from), "{from} is not in\n{config}");
        config = config.replace(from, &to.display().to_string());
    }
    config = config.replace("tcp://192.168.10.20:4001", &format!("tcp://{net1}"));
    fs::write(bench.config(), &config).unwrap();
    bench.start_daemon();

    // 49172...: the VODAFONE queue, which only NET1 serves.
    let to = SpoolBench::number(1);
    bench.drop_file("alert", &format!("To: {to}\n\nRack A: temperature high\n"));
    let sent = bench.wait_for_file("sent", "alert");
    assert_eq!(header_values(&sent, "Modem"), ["NET1"], "{sent}");
    assert_eq!(bench.submitted_texts(3), ["Rack A: temperature high"]);
    for other in 0..3 {
        assert!(bench.submitted_texts(other).is_empty(), "modem {other} sent");
    }
    // The copy is written right after the file.
    bench.wait("the archive copy of the sent file", || {
        archive.join("sent/alert").exists()
    });
    // The copy is the file as it was when it was written; a status report
    // that comes later adds its `Status_report:` line to the file only, so
    // that line (which may or may not be in `sent` yet) is left out of the
    // comparison.
    let without_reports = |text: &str| -> String {
        text.lines()
            .filter(|line| !line.starts_with("Status_report:"))
            .map(|line| format!("{line}\n"))
            .collect()
    };
    assert_eq!(
        without_reports(&fs::read_to_string(archive.join("sent/alert")).unwrap()),
        without_reports(&sent)
    );
    bench.drop_file("refused", "To: 4917299123\n\nnot to this one\n");
    let refused = bench.wait_for_file("failed", "refused");
    assert_eq!(
        header_values(&refused, "Fail_reason"),
        ["Destination is blacklisted"],
        "{refused}"
    );
    let sent_event = format!("SENT|{}|", bench.dir.path().join("spool/sent/alert").display());
    bench.wait("the eventhandler ran for the sent file", || {
        fs::read_to_string(&events)
            .unwrap_or_default()
            .lines()
            .any(|line| line.starts_with(&sent_event))
    });
    // GSM2, on a pseudo-terminal with smsd's default hardware flow
    // control, receives it.
    bench.wait("GSM2 writes the message to incoming/", || {
        bench.names("incoming").0.iter().any(|name| {
            name.starts_with("GSM2.")
                && fs::read_to_string(bench.spool("incoming").join(name))
                    .unwrap_or_default()
                    .ends_with("\n\nRack A: temperature high")
                && archive.join("incoming").join(name).exists()
        })
    });
    // GSM1's number and description are in what it sends.
    bench.drop_file("o2", "To: 4917612345\n\nvia O2\n");
    let o2 = bench.wait_for_file("sent", "o2");
    if header_values(&o2, "Modem") == ["GSM1"] {
        assert_eq!(header_values(&o2, "Number"), ["4917600000001"], "{o2}");
        assert_eq!(header_values(&o2, "Description"), ["rack A slot 1"], "{o2}");
    } else {
        assert_eq!(header_values(&o2, "Number"), ["4917600000002"], "{o2}");
    }
    bench.stop_daemon();
}

/// What `import-smsd-conf` printed, and its exit status.
struct Imported {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Imports `conf`, whatever the exit status.
fn import(conf: &str) -> Imported {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smsd.conf");
    fs::write(&path, conf).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .arg("import-smsd-conf")
        .arg(&path)
        .output()
        .unwrap();
    Imported {
        status: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Issue 12, item 20: values smsd 3.1.21 accepts.
#[test]
fn values_smsd_accepts_are_imported() {
    let one = "devices = GSM1\n[GSM1]\ndevice = /dev/ttyUSB0\n";
    for (conf, expected) in [
        (format!("alarmlevel = warning\n{one}"), "\nalarm-level = 4\n"),
        (format!("alarmlevel = LOG_ERROR\n{one}"), "\nalarm-level = 3\n"),
        (format!("alarmlevel = 7\n{one}"), "\nalarm-level = 5\n"),
        (format!("{one}report = disabled\n"), "\nreport = false\n"),
        (format!("{one}rtscts = off\n"), "\nflow-control = \"none\"\n"),
        (
            "devices = GSM* 1-2\n[default]\ndevice = /dev/tty-modemname\n".to_owned(),
            "\n[ports.GSM2]\ndevice = \"/dev/tty-GSM2\"\n",
        ),
    ] {
        let printed = import(&conf);
        assert_eq!(printed.status, Some(0), "{conf}\n{}", printed.stderr);
        assert!(printed.stdout.contains(expected), "{conf}\n{}", printed.stdout);
    }
}

/// Item 21: `[GSM*]` applies to every GSM modem, under its own section.
#[test]
fn group_sections_are_applied() {
    let printed = import(
        "devices = GSM1, GSM2\n[GSM*]\ndevice = /dev/tty-modemname\nbaudrate = 9600\n[GSM2]\ndevice = /dev/b\n",
    );
    assert_eq!(printed.status, Some(0), "{}", printed.stderr);
    for port in [
        "\n[ports.GSM1]\ndevice = \"/dev/tty-GSM1\"\nbaud-rate = 9600\n",
        "\n[ports.GSM2]\nbaud-rate = 9600\ndevice = \"/dev/b\"\n",
    ] {
        assert!(printed.stdout.contains(port), "{port}\n{}", printed.stdout);
    }
}

/// Item 22: a network modem, `@host:port`, is a `tcp://` port.
#[test]
fn a_network_modem_is_a_tcp_port() {
    let printed = import("devices = NET1\n[NET1]\ndevice = @10.1.2.3:4001\n");
    assert_eq!(printed.status, Some(0), "{}", printed.stderr);
    assert!(
        printed.stdout.contains("\ndevice = \"tcp://10.1.2.3:4001\"\n"),
        "{}",
        printed.stdout
    );
}

/// Item 23: smsd's other names for `outgoing` and `init`, and the
/// file-name settings (carried since item 24).
#[test]
fn aliases_and_file_name_settings() {
    let printed = import(
        "devices = GSM1\nspool = /srv/sms/outgoing\nkeep_filename = no\n[GSM1]\ndevice = /dev/a\ninit1 = AT+CMEE=1\n",
    );
    assert_eq!(printed.status, Some(0), "{}", printed.stderr);
    for expected in [
        "\n[spool]\nbase = \"/srv/sms\"\n",
        "\ninit = [\"AT+CMEE=1\"]\n",
        "#   line 3: keep_filename = no -> spool.keep-filename\n",
        "\nkeep-filename = false\n",
    ] {
        assert!(
            printed.stdout.contains(expected),
            "{expected}\n{}",
            printed.stdout
        );
    }
}

/// Item 25: the summary says what was carried and which of smsd's
/// defaults smsgate does not share.
#[test]
fn the_summary_lists_what_was_carried_and_the_defaults_that_differ() {
    let printed = import("devices = GSM1\n[GSM1]\ndevice = /dev/a\nbaudrate = 9600\n");
    for expected in [
        "\n# Carried over:\n#   line 1: devices = GSM1 -> modems GSM1\n",
        "\n#   line 4: [GSM1] baudrate = 9600 -> ports.GSM1.baud-rate\n",
        "\n#   received files: text in ISO-8859-15 and Unicode text as raw UCS-2, as smsd wrote them \
         (incoming-charset = \"iso-8859-15\"); smsgate's own default is UTF-8",
        "\nincoming-charset = \"iso-8859-15\"\n",
        "\n#   outgoing files without Alphabet: smsd reads them as UTF-8 when they are, else as ISO-8859-15",
        "\n#   modem GSM1: rtscts is not set, and smsd's default is hardware flow control",
    ] {
        assert!(
            printed.stdout.contains(expected),
            "{expected}\n{}",
            printed.stdout
        );
    }
}
