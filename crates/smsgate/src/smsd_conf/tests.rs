use std::path::PathBuf;
use std::time::Duration;

use modem::PortAddress;

use super::keys::*;
use super::*;

fn lab(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/smsd")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn import_text(text: &str) -> Import {
    let conf = parse(text).unwrap();
    import(&conf, Path::new("smsd.conf")).unwrap()
}

/// Imports `text` and loads the result as the daemon would.
fn round_trip(text: &str) -> (Import, DaemonConfig) {
    let import = import_text(text);
    let config = check_import(&import.toml).unwrap_or_else(|err| panic!("{err:#}\n\n{}", import.toml));
    (import, config)
}

fn import_error(text: &str) -> String {
    match parse(text) {
        Err(err) => err.to_string(),
        Ok(conf) => import(&conf, Path::new("smsd.conf")).unwrap_err().to_string(),
    }
}

/// One modem, GSM1 on /dev/ttyUSB0, with `global` and `modem` lines added.
fn one_modem(global: &str, modem: &str) -> String {
    format!("devices = GSM1\n{global}\n[GSM1]\ndevice = /dev/ttyUSB0\n{modem}")
}

fn value_at<'a>(table: &'a toml::Table, path: &[&str]) -> Option<&'a toml::Value> {
    let (last, parents) = path.split_last()?;
    let mut table = table;
    for key in parents {
        table = table.get(*key)?.as_table()?;
    }
    table.get(*last)
}

#[test]
fn parse_splits_lines_sections_and_comments() {
    let conf = parse(
        "# comment\n  devices = A, B  \n\n   # indented comment\n[A]\ndevice=/dev/x # not a comment\n[ B ]\n",
    )
    .unwrap();
    assert_eq!(
        conf.global,
        [Entry {
            line: 2,
            key: "devices".to_owned(),
            written_key: "devices".to_owned(),
            value: "A, B".to_owned()
        }]
    );
    assert_eq!(conf.sections.len(), 2);
    assert_eq!((conf.sections[0].name.as_str(), conf.sections[0].line), ("A", 5));
    assert_eq!(conf.sections[0].entries[0].value, "/dev/x # not a comment");
    assert_eq!(conf.sections[1].name, "B");
    assert_eq!(parse("LogFile = /x\n").unwrap().global[0].key, "logfile");
}

#[test]
fn parse_errors_name_the_line() {
    assert_eq!(
        import_error("devices = A\nthis is not a setting\n"),
        "line 2: expected `key = value` or `[section]`, got \"this is not a setting\""
    );
    assert_eq!(
        import_error("[GSM1\n"),
        "line 1: section header \"[GSM1\" has no closing `]`"
    );
    assert_eq!(import_error("\n[]\n"), "line 2: empty section name `[]`");
    assert_eq!(
        import_error("[A]\n[A]\n"),
        "line 2: section [A] again (first at line 1)"
    );
    assert_eq!(import_error("= 1\n"), "line 1: no key before `=` in \"= 1\"");
}

#[test]
fn import_errors_name_the_line() {
    assert_eq!(
        import_error(&one_modem("blocktime = soon\n", "")),
        "line 2: blocktime: \"soon\" is not a whole number (smsd would read it as 0)"
    );
    assert_eq!(
        import_error(&one_modem("", "report = maybe\n")),
        "line 5: report: \"maybe\" is not yes, no or disabled (smsd reads yes/true/on/1 and no/false/off/0 by their first letters)"
    );
    assert_eq!(
        import_error("devices = GSM1, GSM2\n[GSM1]\ndevice = /dev/a\n"),
        "line 1: devices: modem GSM2 has no `device` (smsd refuses that too): set it in [GSM2], [GSM*], or [default]"
    );
    assert_eq!(
        import_error("devices = GSM1\n\n[GSM1]\nbaudrate = 9600\n"),
        "line 1: devices: modem GSM1 has no `device` (smsd refuses that too): set it in [GSM1], [GSM*], or [default]"
    );
}

/// Where a mapped setting goes in smsd.conf.
#[derive(Clone, Copy, Debug)]
enum In {
    Global,
    Modem,
}

/// The mapping table: each smsd.conf setting that is carried over, and the
/// TOML key and value it becomes.
const MAPPED: &[(In, &str, &[&str], &str)] = &[
    (
        In::Global,
        "outgoing = /s/out",
        &["spool", "outgoing"],
        "\"/s/out\"",
    ),
    (In::Global, "outgoing = /s/outgoing", &["spool", "base"], "\"/s\""),
    (
        In::Global,
        "checked = /x/checked",
        &["spool", "checked"],
        "\"/x/checked\"",
    ),
    (
        In::Global,
        "failed = /x/failed",
        &["spool", "failed"],
        "\"/x/failed\"",
    ),
    (
        In::Global,
        "incoming = /x/incoming",
        &["spool", "incoming"],
        "\"/x/incoming\"",
    ),
    (
        In::Global,
        "report = /x/report",
        &["spool", "report"],
        "\"/x/report\"",
    ),
    (In::Global, "sent = /x/sent", &["spool", "sent"], "\"/x/sent\""),
    (
        In::Global,
        "saved = /x/saved",
        &["spool", "saved"],
        "\"/x/saved\"",
    ),
    (
        In::Global,
        "phonecalls = /x/calls",
        &["spool", "phonecalls"],
        "\"/x/calls\"",
    ),
    (
        In::Global,
        "errorsleeptime = 3",
        &["limits", "retry-interval-s"],
        "3",
    ),
    (In::Global, "blocktime = 15", &["limits", "block-time-s"], "15"),
    (In::Global, "blockafter = 2", &["limits", "block-after"], "2"),
    (
        In::Global,
        "eventhandler = /bin/ev",
        &["handlers", "eventhandler"],
        "\"/bin/ev\"",
    ),
    (
        In::Global,
        "checkhandler = /bin/ck",
        &["handlers", "checkhandler"],
        "\"/bin/ck\"",
    ),
    (
        In::Global,
        "alarmhandler = /bin/al",
        &["handlers", "alarmhandler"],
        "\"/bin/al\"",
    ),
    (In::Global, "alarmlevel = 3", &["handlers", "alarm-level"], "3"),
    (
        In::Global,
        "international_prefixes = 49, 43",
        &["numbering", "international-prefixes"],
        "[\"49\", \"43\"]",
    ),
    (
        In::Global,
        "national_prefixes = 0",
        &["numbering", "national-prefixes"],
        "[\"0\"]",
    ),
    (In::Global, "autosplit = 2", &["modems", "GSM1", "autosplit"], "2"),
    (
        In::Global,
        "validity = 2 days",
        &["modems", "GSM1", "validity"],
        "\"2 days\"",
    ),
    (
        In::Global,
        "validity = 167",
        &["modems", "GSM1", "validity"],
        "167",
    ),
    (
        In::Modem,
        "baudrate = 9600",
        &["ports", "GSM1", "baud-rate"],
        "9600",
    ),
    (
        In::Modem,
        "rtscts = yes",
        &["ports", "GSM1", "flow-control"],
        "\"hardware\"",
    ),
    (
        In::Modem,
        "rtscts = off",
        &["ports", "GSM1", "flow-control"],
        "\"none\"",
    ),
    (In::Modem, "pin = 1234", &["ports", "GSM1", "sim-pin"], "\"1234\""),
    (
        In::Modem,
        "init = AT+CNMI=2,1",
        &["ports", "GSM1", "init"],
        "[\"AT+CNMI=2,1\"]",
    ),
    (
        In::Modem,
        "init2 = AT^CURC=0",
        &["ports", "GSM1", "init"],
        "[\"AT^CURC=0\"]",
    ),
    (
        In::Modem,
        "incoming = yes",
        &["modems", "GSM1", "receive"],
        "true",
    ),
    (
        In::Modem,
        "incoming = high",
        &["modems", "GSM1", "receive"],
        "true",
    ),
    (In::Modem, "incoming = 0", &["modems", "GSM1", "receive"], "false"),
    (In::Modem, "outgoing = no", &["modems", "GSM1", "send"], "false"),
    (In::Modem, "report = true", &["modems", "GSM1", "report"], "true"),
    (
        In::Modem,
        "send_retries = 5",
        &["modems", "GSM1", "send-retries"],
        "5",
    ),
    (In::Modem, "autosplit = 1", &["modems", "GSM1", "autosplit"], "1"),
    (In::Modem, "validity = 12", &["modems", "GSM1", "validity"], "12"),
    (
        In::Modem,
        "smsc = 4917200000",
        &["modems", "GSM1", "smsc"],
        "\"+4917200000\"",
    ),
    (
        In::Modem,
        "smsc = +4917200000",
        &["modems", "GSM1", "smsc"],
        "\"+4917200000\"",
    ),
];

#[test]
fn every_mapped_setting() {
    for (place, line, path, expected) in MAPPED {
        let text = match place {
            In::Global => one_modem(&format!("{line}\n"), ""),
            In::Modem => one_modem("", &format!("{line}\n")),
        };
        let (import, _) = round_trip(&text);
        let table: toml::Table = toml::from_str(&import.toml).unwrap();
        let expected: toml::Table = toml::from_str(&format!("value = {expected}")).unwrap();
        assert_eq!(
            value_at(&table, path),
            expected.get("value"),
            "{line}\n\n{}",
            import.toml
        );
        assert!(import.unhonoured.is_empty(), "{line}: {:?}", import.unhonoured);
    }
}

#[test]
fn device_becomes_a_port_of_the_same_name() {
    let (import, config) = round_trip(&one_modem("", ""));
    assert!(
        import
            .toml
            .contains("\n[ports.GSM1]\ndevice = \"/dev/ttyUSB0\"\n"),
        "{}",
        import.toml
    );
    assert_eq!(config.modems["GSM1"].port, "GSM1");
    assert_eq!(
        config.modems["GSM1"].device,
        PortAddress::Serial(PathBuf::from("/dev/ttyUSB0"))
    );
}

#[test]
fn smsds_defaults_are_honoured_silently() {
    for line in [
        "mode = new",
        "keep_open = yes",
        "cs_convert = on",
        "pin = ignore",
        "smsc =",
        "outgoing = yes",
    ] {
        let (import, _) = round_trip(&one_modem("", &format!("{line}\n")));
        assert!(import.unhonoured.is_empty(), "{line}: {:?}", import.unhonoured);
        assert_eq!(
            body(&import.toml),
            body(&round_trip(&one_modem("", "")).0.toml),
            "{line}"
        );
        assert!(
            import.toml.contains(&format!("#   line 5: [GSM1] {line} ")),
            "{}",
            import.toml
        );
    }
}

/// The TOML without the summary.
fn body(toml: &str) -> String {
    toml.lines()
        .filter(|line| !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn init_comes_before_init2() {
    let (_, config) = round_trip(&one_modem("", "init2 = AT^CURC=0\ninit = AT+CSCS=\"GSM\"\n"));
    assert_eq!(config.ports["GSM1"].init, ["AT+CSCS=\"GSM\"", "AT^CURC=0"]);
}

#[test]
fn queues_and_providers_become_queues() {
    let text =
        "devices = A, B\n[queues]\nO2 = /s/o2\nOTHER = /s/other\n[providers]\nO2 = 49176, 49179\nOTHER = 4\n\
                [A]\ndevice = /dev/a\nqueues = O2, OTHER\n[B]\ndevice = /dev/b\nqueues = OTHER\n";
    let (_, config) = round_trip(text);
    assert_eq!(config.queues["O2"].prefixes, ["49176", "49179"]);
    assert_eq!(config.queues["O2"].directory, Path::new("/s/o2"));
    assert_eq!(config.queues["OTHER"].prefixes, ["4"]);
    assert_eq!(config.modems["A"].queues, ["O2", "OTHER"]);
    assert_eq!(config.modems["B"].queues, ["OTHER"]);
}

#[test]
fn default_section_applies_to_every_modem() {
    let text = "devices = A, B\n[default]\nbaudrate = 9600\nreport = yes\nmemory_start = 0\n\
                [A]\ndevice = /dev/a\n[B]\ndevice = /dev/b\nbaudrate = 19200\nreport = no\n";
    let (import, config) = round_trip(text);
    assert_eq!(config.ports["A"].baud_rate, Some(9600));
    assert_eq!(config.ports["B"].baud_rate, Some(19200));
    assert!(config.modems["A"].report);
    assert!(!config.modems["B"].report);
    // Listed once, though it applies to both modems.
    assert_eq!(import.unhonoured.len(), 1, "{:?}", import.unhonoured);
    assert_eq!(
        import.unhonoured[0].to_string(),
        "line 5: [default] memory_start = 0: smsgate reads the modem's storage its own way (AT+CPMS, AT+CMGL)"
    );
}

/// Settings that are listed, never dropped silently: (where, line, reason).
fn unhonoured() -> Vec<(In, &'static str, String)> {
    let why = |reason: &str| reason.to_owned();
    let global = |key: &str| keys::global(key).to_string();
    vec![
        (In::Global, "logfile = /var/log/smsd.log", why(LOGGING)),
        (In::Global, "loglevel = 7", why(LOGGING)),
        (In::Global, "logtime_ms = yes", why(LOGGING)),
        (In::Global, "smart_logging = yes", why(LOGGING)),
        (In::Global, "delaytime = 1", why(NO_POLLING)),
        (In::Global, "delaytime_mainprocess = 1", why(NO_POLLING)),
        (In::Global, "pidfile = /run/smsd.pid", why(PROCESS)),
        (In::Global, "infofile = /run/smsd.working", why(PROCESS)),
        (In::Global, "user = smsd", why(PROCESS)),
        (In::Global, "group = dialout", why(PROCESS)),
        (In::Global, "internal_combine = no", why(RECEIVE_FORMAT)),
        (
            In::Global,
            "store_received_pdu = 4",
            why("smsd refuses to start with it: 0 to 3"),
        ),
        (
            In::Global,
            "regular_run_interval = 60",
            global("regular_run_interval"),
        ),
        (In::Global, "no_such_setting = 1", why(NOT_SUPPORTED)),
        (In::Modem, "mode = old", why("smsgate has only the new mode")),
        (In::Modem, "keep_open = no", why("smsgate keeps the port open")),
        (
            In::Modem,
            "cs_convert = no",
            why("smsgate always converts character sets"),
        ),
        (In::Modem, "memory_start = 0", why(MEMORY)),
        (In::Modem, "check_memory_method = 31", why(MEMORY)),
        (In::Modem, "primary_memory = ME", why(MEMORY)),
        (In::Modem, "signal_quality_ber_ignore = yes", why(NOT_SUPPORTED)),
        (In::Modem, "voicecall_hangup_ath = yes", why(VOICECALL)),
        (In::Modem, "pre_init = no", why(NOT_SUPPORTED)),
        (
            In::Modem,
            "phonecalls_purge = yes",
            why("only for phonecalls = yes (the phonebook), which smsgate does not read"),
        ),
    ]
}

#[test]
fn every_unhonoured_setting_is_listed_with_line_and_reason() {
    for (place, line, reason) in unhonoured() {
        let (text, line_number, section) = match place {
            In::Global => (one_modem(&format!("{line}\n"), ""), 2, ""),
            In::Modem => (one_modem("", &format!("{line}\n")), 5, "[GSM1] "),
        };
        let (import, _) = round_trip(&text);
        let expected = format!("line {line_number}: {section}{line}: {reason}");
        let listed: Vec<String> = import.unhonoured.iter().map(ToString::to_string).collect();
        assert_eq!(listed, std::slice::from_ref(&expected));
        assert!(
            import.toml.contains(&format!("#   {expected}\n")),
            "{}",
            import.toml
        );
    }
}

#[test]
fn overridden_and_stray_settings_are_listed() {
    let text =
        "devices = GSM1\nblocktime = 10\nblocktime = 20\n[GSM1]\ndevice = /dev/a\n[GSM9]\ndevice = /dev/b\n";
    let (import, config) = round_trip(text);
    assert_eq!(config.limits.block_time, Duration::from_secs(20));
    let listed: Vec<String> = import.unhonoured.iter().map(ToString::to_string).collect();
    assert_eq!(
        listed,
        [
            "line 2: blocktime = 10: set again at line 3",
            "line 6: [GSM9] = ...: not a modem or group of modems (such as [GSM*]) named by `devices`; smsd ignores it too",
        ]
    );
}

#[test]
fn differences_are_stated() {
    let (import, _) = round_trip(&one_modem("outgoing = /s/outgoing\n", ""));
    for difference in [
        "#   smsd deletes sent files when `sent` is not set; smsgate keeps them in spool.sent\n",
        "#   smsd deletes failed files when `failed` is not set; smsgate keeps them in spool.failed\n",
        "#   smsd puts status reports in `incoming` when `report` is not set; smsgate uses spool.report\n",
    ] {
        assert!(import.toml.contains(difference), "{}", import.toml);
    }
}

#[test]
fn modem_names_that_toml_must_quote() {
    let (_, config) = round_trip("devices = GSM 1\n[GSM 1]\ndevice = /dev/a\n");
    assert!(config.modems.contains_key("GSM 1"));
}

// The lab configurations of the interop notes (section 4), as run against
// real smsd 3.1.21.
#[test]
fn lab_configs() {
    let (import, config) = round_trip(&lab("lab.conf"));
    assert_eq!(config.spool.outgoing, Path::new("$LAB/spool/outgoing"));
    assert_eq!(config.spool.report, Path::new("$LAB/spool/report"));
    assert_eq!(
        config.ports["GSM1"].devices,
        [PortAddress::Serial(PathBuf::from("$LAB/modem0"))]
    );
    assert_eq!(config.ports["GSM1"].baud_rate, Some(115200));
    let modem = &config.modems["GSM1"];
    assert!(modem.receive && modem.report);
    assert_eq!(config.limits, smsgate_daemon::daemon_config::Limits::DEFAULT);
    let keys: Vec<&str> = import
        .unhonoured
        .iter()
        .map(|listed| listed.key.as_str())
        .collect();
    assert_eq!(keys, ["logfile", "loglevel", "logtime_ms", "infofile", "pidfile"]);

    let (import, _) = round_trip(&lab("lab-fast.conf"));
    let keys: Vec<&str> = import
        .unhonoured
        .iter()
        .map(|listed| listed.key.as_str())
        .collect();
    assert_eq!(keys[5..], ["delaytime", "delaytime_mainprocess"]);

    let (_, config) = round_trip(&lab("lab-fail.conf"));
    assert_eq!(config.limits.block_time, Duration::from_secs(15));
    assert_eq!(config.limits.retry_interval, Duration::from_secs(3));
    assert_eq!(config.modems["GSM1"].block_time, Duration::from_secs(15));

    let (import, _) = round_trip(&lab("lab-cmgl.conf"));
    let keys: Vec<&str> = import
        .unhonoured
        .iter()
        .map(|listed| listed.key.as_str())
        .collect();
    // decode_unicode_text and incoming_utf8 are carried (spool.incoming-charset).
    assert_eq!(keys[7..], ["check_memory_method"]);

    let (_, config) = round_trip(&lab("lab-run-peers.conf"));
    assert_eq!(config.limits.block_time, Duration::from_secs(30));
    assert_eq!(config.limits.retry_interval, Duration::from_secs(3));
}

mod admin;
mod syntax;

#[test]
fn stats_and_status_interval_become_the_status_file() {
    let (import, config) = round_trip(&one_modem(
        "stats = /var/log/smsd_stats/\nstatus_interval = 5",
        "",
    ));
    let status = config
        .status_file
        .unwrap_or_else(|| panic!("no [status]\n{}", import.toml));
    assert_eq!(status.path, PathBuf::from("/var/log/smsd_stats/status"));
    assert_eq!(status.interval, Duration::from_secs(5));

    // Without stats smsd writes no status file; with 0, neither.
    for global in ["status_interval = 5", "stats = /var/log/s\nstatus_interval = 0"] {
        let (import, config) = round_trip(&one_modem(global, ""));
        assert_eq!(config.status_file, None, "{}", import.toml);
        let keys: Vec<&str> = import
            .unhonoured
            .iter()
            .map(|listed| listed.key.as_str())
            .collect();
        assert_eq!(keys, ["status_interval"], "{}", import.toml);
    }
}
