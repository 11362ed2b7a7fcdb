use std::path::Path;

use super::*;
use crate::config::ConfigFile;

fn parse(text: &str) -> anyhow::Result<DaemonConfig> {
    DaemonConfig::parse(text, Path::new("smsgate.toml"))
}

fn error(text: &str) -> String {
    format!("{:#}", parse(text).unwrap_err())
}

/// One port and one modem on it, then `extra`.
fn with_modem(extra: &str) -> String {
    format!("[ports.gsm1]\ndevice = \"/dev/ttyUSB0\"\n\n[modems.gsm1]\n{extra}")
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/smsgate.toml")
}

#[test]
fn defaults_are_smstools3s() {
    let config = parse(&with_modem("")).unwrap();
    let base = Path::new("/var/spool/sms");
    assert_eq!(config.spool.outgoing, base.join("outgoing"));
    assert_eq!(config.spool.checked, base.join("checked"));
    assert_eq!(config.spool.failed, base.join("failed"));
    assert_eq!(config.spool.incoming, base.join("incoming"));
    assert_eq!(config.spool.report, base.join("report"));
    assert_eq!(config.spool.sent, base.join("sent"));
    assert_eq!(config.spool.saved, base.join("saved"));
    assert_eq!(config.spool.phonecalls, base.join("phonecalls"));
    assert_eq!(config.limits, Limits::DEFAULT);
    assert_eq!(
        config.handlers,
        Handlers {
            alarm_level: 4,
            timeout: Duration::from_secs(60),
            ..Handlers::default()
        }
    );
    assert_eq!(config.numbering, Numbering::default());
    assert_eq!(config.unknown_outcome, UnknownOutcome::Fail);
    assert_eq!(config.include_dir, None);
    let modem = &config.modems["gsm1"];
    assert_eq!(
        *modem,
        ModemSettings {
            port: "gsm1".to_owned(),
            device: PortAddress::Serial(PathBuf::from("/dev/ttyUSB0")),
            queues: Vec::new(),
            receive: false,
            polling: false,
            auto_erase: false,
            send: true,
            send_retries: 2,
            block_after: 3,
            block_time: Duration::from_secs(3600),
            report: false,
            autosplit: Autosplit::Concatenated,
            validity: None,
            smsc: None,
            smsc_pdu: false,
            text_is_pdu_key: None,
            features: ModemFeatures::default(),
            sim_limits: Default::default(),
            tasks: Default::default(),
        }
    );
}

// Every key, one assertion each (style C8), through the example file, which
// sets them all.
#[test]
fn example_config_sets_every_key() {
    let config = DaemonConfig::load(&example_path()).unwrap();
    assert_eq!(config.lock_dir, Some(PathBuf::from("/var/lock")));
    // [spool]: base, and one directory set on its own.
    assert_eq!(config.spool.outgoing, Path::new("/var/spool/sms/outgoing"));
    assert_eq!(config.spool.sent, Path::new("/var/spool/sms/sent"));
    assert_eq!(
        config.include_dir.as_deref(),
        Some(Path::new("/etc/smsgate/include"))
    );
    // [ports] are config.rs's.
    assert_eq!(config.ports["gsm1"].sim_pin.as_deref(), Some("1234"));
    // [modems.gsm1]: port by its own name, queues, report, receive.
    let gsm1 = &config.modems["gsm1"];
    assert_eq!(gsm1.port, "gsm1");
    assert_eq!(gsm1.device, PortAddress::Serial(PathBuf::from("/dev/ttyUSB0")));
    assert_eq!(gsm1.queues, ["o2", "other"]);
    assert!(gsm1.report);
    assert!(gsm1.receive && gsm1.polling && !gsm1.auto_erase);
    // check-network, hangup-incoming-call, phonecalls; [modems.gsm1.limits].
    assert!(gsm1.tasks.check_network && gsm1.tasks.hangup_incoming_call && gsm1.tasks.phonecalls);
    assert_eq!(
        gsm1.sim_limits,
        crate::sim_limits::SimLimits {
            per_day: Some(500),
            per_month: Some(10000),
            reset_time: chrono::NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
            reset_day: 15,
            max_per_minute: Some(10),
            per_period: Some(100),
            period_s: Some(3600),
        }
    );
    // [spool] incoming-charset, store-received-pdu, store-sent-pdu.
    assert_eq!(config.incoming_format, spool::incoming::IncomingFormat::default());
    assert_eq!(config.store_sent_pdu, spool::StoreSentPdu::Failed);
    // [modems.lte1]: channel, send-retries, block-after, block-time-s,
    // autosplit, validity, smsc, smsc-pdu, text-is-pdu-key.
    let lte1 = &config.modems["lte1"];
    assert_eq!(lte1.device, PortAddress::Serial(PathBuf::from("/dev/ttyUSB3")));
    assert!(!lte1.receive && lte1.auto_erase);
    assert_eq!(lte1.send_retries, 4);
    assert_eq!(lte1.block_after, 5);
    assert_eq!(lte1.block_time, Duration::from_secs(600));
    assert_eq!(lte1.autosplit, Autosplit::Concatenated);
    assert_eq!(lte1.validity, Some(168));
    assert_eq!(lte1.smsc.as_deref(), Some("+4917200000"));
    assert!(lte1.smsc_pdu);
    assert_eq!(lte1.text_is_pdu_key.as_deref(), Some("4917299999"));
    // max-continuous-sending-s, receive-before-send; [modems.lte1.regular-run].
    assert_eq!(lte1.tasks.max_continuous_sending, Some(Duration::from_secs(300)));
    assert!(!lte1.tasks.receive_before_send);
    assert_eq!(
        lte1.tasks.regular_run,
        Some(crate::daemon_config::modem_tasks::RegularRun {
            interval: Duration::from_secs(600),
            program: Some(PathBuf::from("/usr/local/bin/balance")),
            post_run: Some(PathBuf::from("/usr/local/bin/balance")),
            commands: vec!["AT+CUSD=1,\"*100#\",15".to_owned()],
            statfile: Some(PathBuf::from("/var/spool/sms/stats/lte1.balance")),
        })
    );
    // [queues]: prefixes, directory (default base/NAME).
    assert_eq!(config.queues["o2"].prefixes, ["49176", "49179"]);
    assert_eq!(config.queues["o2"].directory, Path::new("/var/spool/sms/o2"));
    assert_eq!(
        config.queues["other"].directory,
        Path::new("/var/spool/sms/other")
    );
    // [handlers]
    assert_eq!(
        config.handlers,
        Handlers {
            eventhandler: Some(PathBuf::from("/usr/local/bin/sms-event")),
            checkhandler: Some(PathBuf::from("/usr/local/bin/sms-check")),
            alarmhandler: Some(PathBuf::from("/usr/local/bin/sms-alarm")),
            alarm_level: 3,
            timeout: Duration::from_secs(30),
        }
    );
    // [limits]
    assert_eq!(
        config.limits,
        Limits {
            incomplete_after: Duration::from_secs(3600),
            ..Limits::DEFAULT
        }
    );
    // [numbering]
    assert_eq!(config.numbering.international_prefixes, ["49", "43"]);
    assert_eq!(config.numbering.national_prefixes, ["0"]);
    // [sms-commands], [scripts.uptime]
    let commands = config.sms_commands.unwrap();
    assert!(commands.reply);
    assert_eq!(commands.duplicate_window, Duration::from_secs(3600));
    assert_eq!((commands.max_running, commands.max_waiting), (4, 16));
    assert_eq!(commands.scripts["uptime"].timeout, Duration::from_secs(20));
}

#[test]
fn example_config_serves_smsgate_send_too() {
    let config = ConfigFile::load(&example_path()).unwrap();
    assert_eq!(config.port_names(), "gsm1, lte1");
}

// hickory's test_reject_unknown_fields: an unknown key in any table of the
// example is refused, naming the line, the key and the table.
#[test]
fn example_config_rejects_an_unknown_key_in_every_table() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut tables = 0;
    for (line_idx, line) in lines.iter().enumerate() {
        let Some(header) = line.trim().strip_prefix('[') else {
            continue;
        };
        // `[[http.tokens]]`, an array of tables, is named `[http.tokens]`.
        let header = header.trim_start_matches('[');
        let table = &header[..header.find(']').unwrap()];
        tables += 1;
        let mut edited = lines.clone();
        edited.insert(line_idx + 1, "bogus-key = 1");
        let message = error(&edited.join("\n"));
        let expected = format!(
            "smsgate.toml: line {}: unknown key \"bogus-key\" in [{table}], expected",
            line_idx + 2
        );
        assert!(message.starts_with(&expected), "{message}");
    }
    assert_eq!(tables, 20);
    let message = error(&format!("bogus-key = 1\n{text}"));
    assert!(
        message.starts_with("smsgate.toml: line 1: unknown key \"bogus-key\" at the top level, expected"),
        "{message}"
    );
}

#[test]
fn limits_and_regular_run_are_checked() {
    let message = error(&with_modem(
        "[modems.gsm1.limits]\nper-day = 0\nreset-time = \"25:00\"\nreset-day = 31\nperiod-min = 5\n\
         [modems.gsm1.regular-run]\ninterval-s = 0\n",
    ));
    for expected in [
        "line 6: modems.gsm1.limits.per-day: must be at least 1",
        "line 7: modems.gsm1.limits.reset-time: \"25:00\" is not a time of day as HH:MM",
        "line 8: modems.gsm1.limits.reset-day: is a day of the month, 1-28",
        "line 9: modems.gsm1.limits.period-min: clears the count of `per-period`, which is not set",
        "line 11: modems.gsm1.regular-run.interval-s: must be at least 1",
        "modems.gsm1.regular-run: has neither `program`, `post-run` nor `commands`",
    ] {
        assert!(message.contains(expected), "{expected:?} missing from\n{message}");
    }
}

#[test]
fn syntax_errors_name_line_and_key() {
    assert_eq!(
        error(&with_modem("baudrat = 9600\n")),
        "smsgate.toml: line 5: unknown key \"baudrat\" in [modems.gsm1], expected one of `port`, `channel`, \
         `queues`, `receive`, `receive-enabled`, `polling`, `auto-erase`, `send`, `send-retries`, \
         `block-after`, `block-time-s`, `report`, `autosplit`, `validity`, `smsc`, `smsc-pdu`, `text-is-pdu-key`, \
         `eventhandler`, `eventhandler-ussd`, `number`, `description`, `limits`, `check-network`, \
         `receive-before-send`, `max-continuous-sending-s`, `hangup-incoming-call`, `phonecalls`, `regular-run`, \
         `admin-to`, `admin-message-limit`, `admin-message-count-clear-min`"
    );
    let message = error("[limits]\nsend-retries = \"many\"\n");
    assert!(
        message.starts_with("smsgate.toml: line 2: limits.send-retries: invalid type"),
        "{message}"
    );
    let message = error("[queues.o2]\ndirectory = \"/x\"\n");
    assert!(
        message.contains("line 1") && message.contains("missing field `prefixes`"),
        "{message}"
    );
}

#[test]
fn limits_are_checked() {
    assert_eq!(
        error("[limits]\nretry-interval-s = 0\n"),
        "smsgate.toml: line 2: limits.retry-interval-s: must be at least 1: a modem error would be retried \
         at once, in a loop"
    );
    assert_eq!(
        error("[limits]\nblock-after = 0\n"),
        "smsgate.toml: line 2: limits.block-after: must be at least 1 (failures in a row before the modem \
         is blocked)"
    );
    let config = parse(&with_modem("").replace(
        "[ports",
        "[limits]\nsend-retries = 5\nblock-after = 7\nblock-time-s = 60\n\n[ports",
    ))
    .unwrap();
    let modem = &config.modems["gsm1"];
    assert_eq!((modem.send_retries, modem.block_after), (5, 7));
    assert_eq!(modem.block_time, Duration::from_secs(60));
}

#[test]
fn modem_values_are_checked() {
    assert_eq!(
        error(&with_modem("block-after = 0\n")),
        "smsgate.toml: line 5: modems.gsm1.block-after: must be at least 1 (failures in a row before the \
         modem is blocked)"
    );
    assert_eq!(
        error(&with_modem("autosplit = 4\n")),
        "smsgate.toml: line 5: modems.gsm1.autosplit: is 0, 1, 2 or 3"
    );
    assert!(error(&with_modem("validity = 256\n")).ends_with("modems.gsm1.validity: 256 is not 0-255"));
    assert!(error(&with_modem("validity = \"3 fortnights\"\n")).contains("line 5: modems.gsm1.validity: "));
    assert_eq!(
        parse(&with_modem("validity = 255\n")).unwrap().modems["gsm1"].validity,
        Some(255)
    );
    assert_eq!(
        error(&with_modem("smsc = \"+49 172\"\n")),
        "smsgate.toml: line 5: modems.gsm1.smsc: is a number: digits, optionally after `+`"
    );
    assert_eq!(
        parse(&with_modem("autosplit = 0\n")).unwrap().modems["gsm1"].autosplit,
        Autosplit::Off
    );
}

#[test]
fn a_receive_only_modem_serves_no_queue() {
    let config = parse(&with_modem("send = false\nreceive = true\n")).unwrap();
    assert!(!config.modems["gsm1"].send);
    assert!(config.modems["gsm1"].receive);
    assert!(parse(&with_modem("send = true\n")).unwrap().modems["gsm1"].send);
    assert_eq!(
        error(&with_modem(
            "send = false\nqueues = [\"o2\"]\n\n[queues.o2]\nprefixes = [\"49\"]\n"
        )),
        "smsgate.toml: line 6: modems.gsm1.queues: a modem with `send = false` sends nothing, so it serves \
         no queue"
    );
}

#[test]
fn modems_name_existing_ports_and_distinct_devices() {
    assert_eq!(
        error("[modems.gsm2]\nreport = true\n"),
        "smsgate.toml: line 1: modems.gsm2.port: no [ports.gsm2] for it (ports: none); add one, or name \
         one with `port = \"NAME\"`"
    );
    assert_eq!(
        error(&with_modem("port = \"usb9\"\n")),
        "smsgate.toml: line 5: modems.gsm1.port: no [ports.usb9] for it (ports: gsm1); add one, or name \
         one with `port = \"NAME\"`"
    );
    let two_devices = "[ports.lte]\ndevices = [\"/dev/a\", \"/dev/b\"]\n\n[modems.lte]\n";
    assert_eq!(
        error(two_devices),
        "smsgate.toml: line 4: modems.lte.port: the port has 2 devices; choose one with `channel = N`"
    );
    assert_eq!(
        error(&format!("{two_devices}channel = 2\n")),
        "smsgate.toml: line 5: modems.lte.channel: 2 is out of range: the port has 2 device(s), from 0"
    );
    assert_eq!(
        error(&with_modem("\n[modems.gsm2]\nport = \"gsm1\"\n")),
        "smsgate.toml: line 7: modems.gsm2.port: device /dev/ttyUSB0 is already used by modem gsm1"
    );
}

#[test]
fn queues_are_defined_and_served() {
    assert_eq!(
        error(&with_modem("queues = [\"o2\"]\n")),
        "smsgate.toml: line 5: modems.gsm1.queues: no [queues.o2] (queues: none)"
    );
    assert_eq!(
        error(&with_modem("\n[queues.o2]\nprefixes = [\"49176\"]\n")),
        "smsgate.toml: line 6: queues.o2: no modem serves this queue (add it to some modem's `queues`)"
    );
    assert_eq!(
        error(&with_modem("queues = [\"o2\"]\n\n[queues.o2]\nprefixes = [\"49+\"]\n")),
        "smsgate.toml: line 8: queues.o2.prefixes: \"49+\" is not digits (optionally after `s`, short numbers)"
    );
    let config = parse(&with_modem(
        "queues = [\"short\"]\n\n[queues.short]\nprefixes = [\"s\", \"s11\"]\n",
    ))
    .unwrap();
    assert_eq!(config.queues["short"].prefixes, ["s", "s11"]);
    // A queue's files are sent by that queue's modems: its directory is
    // its own.
    assert_eq!(
        error(&with_modem(
            "queues = [\"o2\"]\n\n[queues.o2]\nprefixes = [\"49\"]\ndirectory = \"/var/spool/sms/checked\"\n"
        )),
        "smsgate.toml: line 9: queues.o2.directory: /var/spool/sms/checked is also spool.checked; each queue \
         needs a directory of its own"
    );
    assert_eq!(
        error(&with_modem(
            "queues = [\"a\", \"b\"]\n\n[queues.a]\nprefixes = [\"49\"]\n\n[queues.b]\nprefixes = [\"48\"]\n\
             directory = \"/var/spool/sms/a\"\n"
        )),
        "smsgate.toml: line 12: queues.b.directory: /var/spool/sms/a is also queues.a.directory; each queue \
         needs a directory of its own"
    );
}

#[test]
fn handlers_spool_and_numbering_are_checked() {
    assert_eq!(
        error("[handlers]\nalarm-level = 7\n"),
        "smsgate.toml: line 2: handlers.alarm-level: is 2 (critical) to 5 (notice)"
    );
    assert_eq!(
        error("[spool]\nbase = \"/s\"\nsent = \"/s/failed\"\n"),
        "smsgate.toml: line 3: spool.sent: /s/failed is also spool.failed; each spool directory must be its own"
    );
    assert_eq!(
        error("[numbering]\nnational-prefixes = [\"0\", \"+0\"]\n"),
        "smsgate.toml: line 2: numbering.national-prefixes: \"+0\" is not digits"
    );
    assert_eq!(
        error("[spool]\nunknown-outcome = \"retry\"\n"),
        "smsgate.toml: line 2: spool.unknown-outcome: \"retry\" is \"fail\" or \"resend\""
    );
    let config = parse("[spool]\nunknown-outcome = \"resend\"\n").unwrap();
    assert_eq!(config.unknown_outcome, UnknownOutcome::Resend);
    let config = parse("[spool]\nbase = \"/srv/sms\"\n").unwrap();
    assert_eq!(config.spool.checked, Path::new("/srv/sms/checked"));
}

#[test]
fn include_dir_is_absolute() {
    assert_eq!(
        error("[spool]\ninclude-dir = \"include\"\n"),
        "smsgate.toml: line 2: spool.include-dir: include is relative; give an absolute path \
         (the daemon's working directory is no anchor)"
    );
    let config = parse("[spool]\ninclude-dir = \"/srv/sms/include\"\n").unwrap();
    assert_eq!(config.include_dir.as_deref(), Some(Path::new("/srv/sms/include")));
}

#[test]
fn handler_timeout_is_at_least_a_second() {
    assert_eq!(
        error("[handlers]\ntimeout-s = 0\n"),
        "smsgate.toml: line 2: handlers.timeout-s: must be at least 1 (seconds a handler may run before it \
         is killed)"
    );
    let config = parse("[handlers]\ntimeout-s = 5\n").unwrap();
    assert_eq!(config.handlers.timeout, Duration::from_secs(5));
}

// ripgrep's `Partial`: every problem of the file at once, one per line.
#[test]
fn all_problems_are_reported_together() {
    let message = error("[limits]\nretry-interval-s = 0\nblock-after = 0\n\n[handlers]\nalarm-level = 1\n");
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 3, "{message}");
    assert!(lines[0].starts_with("smsgate.toml: line 2: limits.retry-interval-s"));
    assert!(lines[1].starts_with("smsgate.toml: line 3: limits.block-after"));
    assert!(lines[2].starts_with("smsgate.toml: line 6: handlers.alarm-level"));
}

#[test]
fn receive_settings_with_routeros_names() {
    let config = parse(&with_modem(
        "receive-enabled = true\npolling = true\nauto-erase = true\n",
    ))
    .unwrap();
    let modem = &config.modems["gsm1"];
    assert!(modem.receive && modem.polling && modem.auto_erase);
    assert_eq!(config.limits.incomplete_after, Duration::from_secs(24 * 3600));
    let config = parse("[limits]\nincomplete-after-s = 600\n").unwrap();
    assert_eq!(config.limits.incomplete_after, Duration::from_secs(600));
    assert_eq!(
        error("[limits]\nincomplete-after-s = 0\n"),
        "smsgate.toml: line 2: limits.incomplete-after-s: must be at least 1: every part of a long message \
         would be delivered on its own"
    );
}

#[test]
fn intake_limit_and_modes() {
    let config = parse(&with_modem("")).unwrap();
    assert_eq!(config.max_outgoing_bytes, 1024 * 1024);
    assert!(!config.trust_outgoing);
    assert_eq!(
        config.modes,
        FileModes {
            file: 0o640,
            dir: 0o750
        }
    );
    let config = parse(&format!(
        "[spool]\nmax-outgoing-bytes = 4096\ntrust-outgoing = true\nfile-mode = \"0600\"\ndir-mode = \"700\"\n{}",
        with_modem("")
    ))
    .unwrap();
    assert_eq!(config.max_outgoing_bytes, 4096);
    assert!(config.trust_outgoing);
    assert_eq!(
        config.modes,
        FileModes {
            file: 0o600,
            dir: 0o700
        }
    );
    let message = error(&format!(
        "[spool]\nmax-outgoing-bytes = 0\nfile-mode = \"0400\"\ndir-mode = \"rwx\"\n{}",
        with_modem("")
    ));
    assert_eq!(
        message,
        "smsgate.toml: line 2: spool.max-outgoing-bytes: 0 would refuse every file\n\
         smsgate.toml: line 3: spool.file-mode: \"0400\" must grant the owner 0600, which the daemon needs\n\
         smsgate.toml: line 4: spool.dir-mode: \"rwx\" is not a mode: octal digits up to \"0777\", such as \"0640\""
    );
}

#[test]
fn max_parts_is_1_to_255_and_checked_in_one_place() {
    assert_eq!(parse("[limits]\nmax-parts = 3\n").unwrap().limits.max_parts, 3);
    assert_eq!(parse("").unwrap().limits.max_parts, 10);
    assert_eq!(
        error("[limits]\nmax-parts = 0\n"),
        "smsgate.toml: line 2: limits.max-parts: is 1 to 255 (a concatenated message has at most 255 parts)"
    );
    assert!(error("[limits]\nmax-parts = 256\n").contains("limits.max-parts"));
    assert_eq!(Limits::check_parts(10, 10, "--max-parts"), Ok(()));
    assert_eq!(
        Limits::check_parts(10, 33, "--max-parts"),
        Err("the text needs 33 parts, more than --max-parts 10; shorten it or raise the limit".to_owned())
    );
}

/// Issue 12.18 and 12.19: how received files are written, and the sent
/// PDUs stored; smsd's defaults but for the charset (UTF-8).
#[test]
fn incoming_charset_and_stored_pdus() {
    use spool::incoming::{IncomingCharset, IncomingFormat, StoreReceivedPdu};
    let config = parse(&with_modem("")).unwrap();
    assert_eq!(config.incoming_format.charset, IncomingCharset::Utf8);
    assert_eq!(config.incoming_format.store_pdu, StoreReceivedPdu::Undecodable);
    assert_eq!(config.store_sent_pdu, spool::StoreSentPdu::Failed);
    let config = parse(&format!(
        "[spool]\nincoming-charset = \"iso-8859-15\"\nstore-received-pdu = 2\nstore-sent-pdu = 3\n{}",
        with_modem("")
    ))
    .unwrap();
    assert_eq!(
        config.incoming_format,
        IncomingFormat {
            charset: IncomingCharset::Iso8859_15,
            store_pdu: StoreReceivedPdu::ReportsAndRawUcs2,
        }
    );
    assert_eq!(config.store_sent_pdu, spool::StoreSentPdu::All);
    let message = error(&format!(
        "[spool]\nincoming-charset = \"latin1\"\nstore-received-pdu = 4\nstore-sent-pdu = -1\n{}",
        with_modem("")
    ));
    assert_eq!(
        message,
        "smsgate.toml: line 2: spool.incoming-charset: \"latin1\" is not \"utf-8\" or \"iso-8859-15\"\n\
         smsgate.toml: line 3: spool.store-received-pdu: smsd's values are 0 to 3 (never, undecodable, also \
         reports and raw UCS2, all)\n\
         smsgate.toml: line 4: spool.store-sent-pdu: smsd's values are 0 to 3 (never, failed, also binary and \
         UCS2 sent, all)"
    );
}

/// Issue 12: `[spool] national-tables` names the codec's national
/// languages, in the order they are tried; an unknown name is a problem.
#[test]
fn national_tables_are_named_languages() {
    assert!(parse(&with_modem("")).unwrap().national_tables.is_empty());
    let config = parse(&format!(
        "[spool]\nnational-tables = [\"turkish\", \"Portuguese\"]\n{}",
        with_modem("")
    ))
    .unwrap();
    assert_eq!(
        config.national_tables,
        [
            sms_pdu::NationalLanguage::Turkish,
            sms_pdu::NationalLanguage::Portuguese
        ]
    );
    let message = error(&format!(
        "[spool]\nnational-tables = [\"klingon\"]\n{}",
        with_modem("")
    ));
    assert!(
        message.starts_with(
            "smsgate.toml: line 2: spool.national-tables: \"klingon\" is not a national language"
        ),
        "{message}"
    );
}
