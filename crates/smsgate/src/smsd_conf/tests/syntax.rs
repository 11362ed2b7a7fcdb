//! smsd.conf syntax that smsd 3.1.21 accepts and the importer once
//! refused or misread (issue 12): level words, yes/no spellings,
//! `report = disabled`, `devices` ranges, group sections, network modems,
//! aliases. Each accepted and refused spelling below was checked against
//! the real `/usr/sbin/smsd` (3.1.21).

use std::path::{Path, PathBuf};

use modem::PortAddress;

use super::super::keys::{NOT_NETWORK, NO_TELNET_LOGIN, TELNET};
use super::{import_error, one_modem, round_trip};

fn listed(import: &super::Import) -> Vec<String> {
    import.unhonoured.iter().map(ToString::to_string).collect()
}

#[test]
fn alarmlevel_takes_smsds_numbers_and_words() {
    for (value, level) in [
        ("2", 2),
        ("3", 3),
        ("5", 5),
        ("6", 5),
        ("7", 5),
        ("8", 5),
        ("6abc", 5),
        ("1", 2),
        ("warning", 4),
        ("LOG_WARNING", 4),
        ("Warning", 4),
        ("LOG_ERROR", 3),
        ("error", 3),
        ("critical", 2),
        ("LOG_CRITICAL", 2),
        ("notice", 5),
        ("LOG_INFO", 5),
        ("debugging", 5),
    ] {
        let (import, config) = round_trip(&one_modem(&format!("alarmlevel = {value}\n"), ""));
        assert_eq!(config.handlers.alarm_level, level, "alarmlevel = {value}");
        assert!(import.unhonoured.is_empty(), "{value}: {:?}", import.unhonoured);
    }
    let (import, _) = round_trip(&one_modem("alarmlevel = 7\n", ""));
    assert!(
        import.toml.contains(
            "#   line 2: alarmlevel = 7 is alarm-level = 5: smsgate raises no alarm less severe than notice (5)"
        ),
        "{}",
        import.toml
    );
}

#[test]
fn alarmlevel_refuses_what_smsd_refuses() {
    // smsd's set_level looks for the words DEBUG, INFO, NOTICE, WARNING,
    // ERROR and CRITICAL: the syslog abbreviations contain none of them,
    // and smsd 3.1.21 stops with "Invalid value for global alarmlevel".
    for value in [
        "LOG_ERR",
        "LOG_CRIT",
        "LOG_WARN",
        "err",
        "0",
        "alert",
        "LOG_EMERG",
    ] {
        assert_eq!(
            import_error(&one_modem(&format!("alarmlevel = {value}\n"), "")),
            format!(
                "line 2: alarmlevel: {value:?} is not a level smsd accepts (smsd refuses it too): give a number \
                 from 1, or a word containing DEBUG, INFO, NOTICE, WARNING, ERROR or CRITICAL (LOG_ERROR, warning)"
            )
        );
    }
}

#[test]
fn yes_no_is_read_by_its_first_letters_as_smsd_does() {
    for value in [
        "yes", "Yes", "YES", "y", "true", "TRUE", "t", "on", "On", "1", "10", "yess",
    ] {
        let (_, config) = round_trip(&one_modem("", &format!("rtscts = {value}\n")));
        assert_eq!(
            config.ports["GSM1"].flow_control,
            Some(modem::FlowControl::Hardware),
            "{value}"
        );
    }
    for value in ["no", "N", "false", "F", "off", "Off", "0", "01", "nope", "often"] {
        let (_, config) = round_trip(&one_modem("", &format!("rtscts = {value}\n")));
        assert_eq!(
            config.ports["GSM1"].flow_control,
            Some(modem::FlowControl::None),
            "{value}"
        );
    }
    for value in ["OFF", "oN", "Oh", "2", "enabled", "", "disabled"] {
        let error = import_error(&one_modem("", &format!("rtscts = {value}\n")));
        assert!(
            error.starts_with(&format!("line 5: rtscts: {value:?} is not yes or no")),
            "{value}: {error}"
        );
    }
}

#[test]
fn report_disabled_is_no_report_and_listed() {
    for value in ["disabled", "Disabled", "DISABLED", "dis", "d"] {
        let (import, config) = round_trip(&one_modem("", &format!("report = {value}\n")));
        assert!(!config.modems["GSM1"].report, "{value}");
        assert_eq!(
            listed(&import),
            [format!(
                "line 5: [GSM1] report = {value}: not carried yet: report = disabled (smsgate still asks for a \
                 report when a file says Report: yes)"
            )]
        );
    }
    let error = import_error(&one_modem("", "report = disabledx\n"));
    assert!(
        error.starts_with("line 5: report: \"disabledx\" is not yes, no or disabled"),
        "{error}"
    );
}

#[test]
fn incoming_takes_high_and_numbers() {
    for value in ["high", "HIGH", "2", "3", "-1", "5x", "yes"] {
        let (_, config) = round_trip(&one_modem("", &format!("incoming = {value}\n")));
        assert!(config.modems["GSM1"].receive, "{value}");
    }
    for value in ["0", "no", "off"] {
        let (_, config) = round_trip(&one_modem("", &format!("incoming = {value}\n")));
        assert!(!config.modems["GSM1"].receive, "{value}");
    }
    assert!(import_error(&one_modem("", "incoming = x\n"))
        .starts_with("line 5: incoming: \"x\" is not yes or no"));
}

#[test]
fn numbers_are_read_as_smsd_reads_them() {
    let (import, config) = round_trip(&one_modem("blocktime = 3600 # an hour\n", ""));
    assert_eq!(config.limits.block_time, std::time::Duration::from_secs(3600));
    assert!(
        import
            .toml
            .contains("#   line 2: blocktime = 3600 # an hour is read as 3600, as smsd reads it (\"# an hour\" ignored)\n"),
        "{}",
        import.toml
    );
}

/// A config whose modems all take their device from `[default]`, by name.
fn devices(value: &str) -> String {
    format!("devices = {value}\n[default]\ndevice = /dev/tty-modemname\n")
}

fn modem_names(value: &str) -> Vec<String> {
    let (_, config) = round_trip(&devices(value));
    config.modems.keys().cloned().collect()
}

#[test]
fn devices_ranges_expand_as_in_smsd() {
    assert_eq!(modem_names("GSM* 1-3"), ["GSM1", "GSM2", "GSM3"]);
    assert_eq!(modem_names("GSM*1-3"), ["GSM1", "GSM2", "GSM3"]);
    assert_eq!(modem_names("GSM* 1 - 3"), ["GSM1", "GSM2", "GSM3"]);
    // smsd reads the numbers with atoi: no zero padding.
    assert_eq!(modem_names("GSM* 01-03"), ["GSM1", "GSM2", "GSM3"]);
    assert_eq!(modem_names("A, GSM* 1-2, B"), ["A", "B", "GSM1", "GSM2"]);
    assert_eq!(modem_names("X* 1-2, Y* 5-6"), ["X1", "X2", "Y5", "Y6"]);
    let (_, config) = round_trip(&devices("GSM* 1-2"));
    assert_eq!(
        config.ports["GSM2"].devices,
        [PortAddress::Serial(PathBuf::from("/dev/tty-GSM2"))]
    );
}

#[test]
fn devices_ranges_smsd_refuses_are_refused() {
    assert_eq!(
        import_error(&devices("GSM* 3-1")),
        "line 1: devices: \"GSM* 3-1\" names no modem: 3 is after 1"
    );
    for value in ["GSM*", "GSM* 2"] {
        assert_eq!(
            import_error(&devices(value)),
            format!(
                "line 1: devices: {value:?} is not a range like `GSM* 1-3` (a prefix, `*`, the first and last number)"
            )
        );
    }
    assert_eq!(
        import_error(&devices("GSM* 1-3, GSM2")),
        "line 1: devices: names modem GSM2 twice"
    );
    assert_eq!(
        import_error(&devices("GSM1, default")),
        "line 1: devices: \"default\" is reserved and cannot name a modem (smsd refuses it too)"
    );
}

#[test]
fn group_sections_apply_between_default_and_the_modems_own() {
    let text = "devices = GSM* 1-3, DNA33* 1-2, MODEM, 1X\n\
                [default]\nbaudrate = 9600\nreport = yes\n\
                [GSM*]\ndevice = /dev/gsm-modemname\nbaudrate = 19200\n\
                [GSM2]\ndevice = /dev/own2\n\
                [GSM3]\nbaudrate = 57600\nreport = no\n\
                [DNA*]\ndevice = /dev/dna-modemname\n\
                [DNA33*]\nbaudrate = 1\n\
                [MODEM*]\ndevice = /dev/modem\n\
                [1X]\ndevice = /dev/1x\n";
    let (import, config) = round_trip(text);
    let port = |name: &str| {
        let port = &config.ports[name];
        (port.devices[0].to_string(), port.baud_rate)
    };
    assert_eq!(port("GSM1"), ("/dev/gsm-GSM1".to_owned(), Some(19200)));
    assert_eq!(port("GSM2"), ("/dev/own2".to_owned(), Some(19200)));
    assert_eq!(port("GSM3"), ("/dev/gsm-GSM3".to_owned(), Some(57600)));
    assert_eq!(port("DNA331"), ("/dev/dna-DNA331".to_owned(), Some(9600)));
    assert_eq!(port("DNA332"), ("/dev/dna-DNA332".to_owned(), Some(9600)));
    assert_eq!(port("MODEM"), ("/dev/modem".to_owned(), Some(9600)));
    assert_eq!(port("1X"), ("/dev/1x".to_owned(), Some(9600)));
    for (name, modem) in &config.modems {
        assert_eq!(modem.report, name != "GSM3", "{name}");
    }
    // [DNA33*] is no group: DNA331's is [DNA*], up to the first digit.
    assert_eq!(
        listed(&import),
        ["line 15: [DNA33*] = ...: not a modem or group of modems (such as [GSM*]) named by `devices`; smsd ignores it too"]
    );
    assert!(
        import
            .toml
            .contains("#   line 6: [GSM*] device = /dev/gsm-modemname -> ports.GSM1.device = \"/dev/gsm-GSM1\", ports.GSM3.device = \"/dev/gsm-GSM3\"\n"),
        "{}",
        import.toml
    );
}

#[test]
fn a_shared_setting_every_modem_overrides_is_listed() {
    let text = "devices = GSM* 1-2\n[GSM*]\nbaudrate = 9600\n[GSM1]\ndevice = /dev/a\nbaudrate = 1200\n\
                [GSM2]\ndevice = /dev/b\nbaudrate = 2400\n";
    let (import, _) = round_trip(text);
    assert_eq!(
        listed(&import),
        ["line 3: [GSM*] baudrate = 9600: every modem it applies to sets it in its own section"]
    );
}

#[test]
fn a_network_modem_becomes_a_tcp_port() {
    let (import, config) = round_trip(&one_modem("", "").replace("/dev/ttyUSB0", "@10.1.2.3:4001"));
    assert_eq!(
        config.ports["GSM1"].devices,
        [PortAddress::Tcp("10.1.2.3:4001".to_owned())]
    );
    assert!(
        import.toml.contains("device = \"tcp://10.1.2.3:4001\"\n"),
        "{}",
        import.toml
    );
    // With `modemname`, from a group.
    let (_, config) = round_trip("devices = GSM* 1-2\n[GSM*]\ndevice = @modemname.lan:7000\n");
    assert_eq!(
        config.ports["GSM2"].devices,
        [PortAddress::Tcp("GSM2.lan:7000".to_owned())]
    );
    for bad in ["@10.1.2.3", "@:4001", "@host:port", "@host:0"] {
        assert_eq!(
            import_error(&one_modem("", "").replace("/dev/ttyUSB0", bad)),
            format!("line 4: device: {bad:?} is not a network modem address `@host:port`")
        );
    }
}

#[test]
fn telnet_settings_are_listed_by_what_they_would_do() {
    let network = "devices = GSM1\n[GSM1]\ndevice = @10.1.2.3:23\n";
    let (import, _) = round_trip(&format!(
        "{network}telnet_password_prompt = Password:\ntelnet_crlf = no\n"
    ));
    assert_eq!(
        listed(&import),
        [
            format!("line 4: [GSM1] telnet_password_prompt = Password:: {NO_TELNET_LOGIN}"),
            "line 5: [GSM1] telnet_crlf = no: smsgate speaks raw TCP and ends AT commands with CR".to_owned(),
        ]
    );
    let (import, _) = round_trip(&format!(
        "{network}telnet_login = admin\ntelnet_password = secret\n"
    ));
    assert_eq!(
        listed(&import),
        [
            format!("line 4: [GSM1] telnet_login = admin: not carried yet: {TELNET}"),
            format!("line 5: [GSM1] telnet_password = secret: not carried yet: {TELNET}"),
        ]
    );
    let (import, _) = round_trip(&one_modem("", "telnet_login = admin\n"));
    assert_eq!(
        listed(&import),
        [format!("line 5: [GSM1] telnet_login = admin: {NOT_NETWORK}")]
    );
}

#[test]
fn spool_is_outgoing_and_init1_is_init() {
    let (import, config) = round_trip(&one_modem("spool = /s/outgoing\n", "init1 = AT+CNMI=2,1\n"));
    assert_eq!(config.spool.base, std::path::Path::new("/s"));
    assert_eq!(config.ports["GSM1"].init, ["AT+CNMI=2,1"]);
    assert!(import.unhonoured.is_empty(), "{:?}", import.unhonoured);
    // One setting under two names: the later wins, as in smsd.
    let (import, config) = round_trip(&one_modem(
        "spool = /a/outgoing\noutgoing = /b/outgoing\n",
        "init = ATZ\ninit1 = AT+CNMI=2,1\ninit2 = AT^CURC=0\n",
    ));
    assert_eq!(config.spool.outgoing, std::path::Path::new("/b/outgoing"));
    assert_eq!(config.ports["GSM1"].init, ["AT+CNMI=2,1", "AT^CURC=0"]);
    assert_eq!(
        listed(&import),
        [
            "line 2: spool = /a/outgoing: set again at line 3",
            "line 7: [GSM1] init = ATZ: set again at line 8",
        ]
    );
}

#[test]
fn file_name_settings_are_carried_or_listed_with_their_real_reason() {
    // smsd's defaults are smsgate's.
    let (import, config) = round_trip(&one_modem(
        "keep_filename = yes\nstore_original_filename = yes\ndate_filename = 0\n",
        "",
    ));
    assert!(listed(&import).is_empty(), "{:?}", listed(&import));
    assert!(config.features.keep_filename && config.features.store_original_filename);
    assert!(import
        .toml
        .contains("#   line 2: keep_filename = yes -> spool.keep-filename\n"));
    assert!(import
        .toml
        .contains("#   line 4: date_filename = 0 -> smsgate names received files MODEM.xxxxxx\n"));
    let (import, config) = round_trip(&one_modem(
        "keep_filename = no\nstore_original_filename = yes\ndate_filename = 1\n",
        "",
    ));
    assert!(!config.features.keep_filename);
    assert_eq!(
        config.features.original_filename("a.sms").as_deref(),
        Some("a.sms")
    );
    assert_eq!(
        listed(&import),
        ["line 4: date_filename = 1: not carried yet: date_filename (a date in received file names)"]
    );
}

/// Issue 12.24: blacklist, whitelist, the copies, a modem's own handlers,
/// number and description reach the daemon's config.
#[test]
fn production_settings_are_carried_to_the_daemon_config() {
    let (import, config) = round_trip(&one_modem(
        "eventhandler = /h/event\nblacklist = /etc/smsd/black\nwhitelist = /etc/smsd/white\n\
         incoming_copy = /a/in\nsent_copy = /a/sent\nfailed_copy = /a/failed\nreport_copy = /a/report\n\
         eventhandler_use_copy = yes\n",
        "eventhandler = /h/event-modemname\neventhandler_ussd = /h/ussd\nnumber = 4917200000001\n\
         description = rack A slot 1\n",
    ));
    assert!(
        listed(&import).is_empty(),
        "{:?}\n{}",
        listed(&import),
        import.toml
    );
    let features = &config.features;
    assert_eq!(features.blacklist.as_deref(), Some(Path::new("/etc/smsd/black")));
    assert_eq!(features.whitelist.as_deref(), Some(Path::new("/etc/smsd/white")));
    assert_eq!(features.copies.incoming.as_deref(), Some(Path::new("/a/in")));
    assert_eq!(features.copies.sent.as_deref(), Some(Path::new("/a/sent")));
    assert_eq!(features.copies.failed.as_deref(), Some(Path::new("/a/failed")));
    assert_eq!(features.copies.report.as_deref(), Some(Path::new("/a/report")));
    assert!(features.copies.eventhandler_use_copy);
    let modem = &config.modems["GSM1"].features;
    assert_eq!(modem.eventhandler.as_deref(), Some(Path::new("/h/event-GSM1")));
    assert_eq!(modem.eventhandler_ussd.as_deref(), Some(Path::new("/h/ussd")));
    assert_eq!(modem.number.as_deref(), Some("4917200000001"));
    assert_eq!(modem.description.as_deref(), Some("rack A slot 1"));
    // The same eventhandler as the global one is not repeated.
    let (import, config) = round_trip(&one_modem(
        "eventhandler = /h/event\n",
        "eventhandler = /h/event\n",
    ));
    assert!(
        import.toml.contains("the same as the global eventhandler"),
        "{}",
        import.toml
    );
    assert_eq!(config.modems["GSM1"].features.eventhandler, None);
}

#[test]
fn the_summary_states_the_charset_defaults_unless_set_alike() {
    let outgoing =
        "#   outgoing files without Alphabet: smsd reads them as UTF-8 when they are, else as ISO-8859-15";
    let (import, _) = round_trip(&one_modem("", ""));
    assert!(import.toml.contains(outgoing), "{}", import.toml);
    let (import, _) = round_trip(&one_modem(
        "incoming_utf8 = yes\ndecode_unicode_text = yes\nalphabet = UTF-8\n",
        "",
    ));
    assert!(!import.toml.contains(outgoing), "{}", import.toml);
    assert!(import.unhonoured.is_empty(), "{:?}", import.unhonoured);
    // The summary comes first, in its order.
    let toml = &import.toml;
    let positions: Vec<usize> = [
        "# Carried over:",
        "# Nothing else was left out.",
        "# Differences from smsd:",
        "[spool]",
    ]
    .iter()
    .map(|heading| toml.find(heading).unwrap_or_else(|| panic!("{heading}\n{toml}")))
    .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{toml}");
}

#[test]
fn queue_names_are_not_setting_names() {
    // `spool` is smsd's other name for `outgoing` among the global
    // settings, not among queue names.
    let text = "devices = GSM1\n[queues]\nspool = /q/spool\noutgoing = /q/outgoing\n\
                [providers]\nspool = 491\noutgoing = 492\n\
                [GSM1]\ndevice = /dev/a\nqueues = spool, outgoing\n";
    let (import, config) = round_trip(text);
    assert_eq!(config.queues["spool"].prefixes, ["491"]);
    assert_eq!(config.queues["outgoing"].prefixes, ["492"]);
    assert!(import.unhonoured.is_empty(), "{:?}", import.unhonoured);
}

/// Issue 12.18: the received files' charset is the one the imported
/// config meant (smsd's default `incoming_utf8 = no` is ISO-8859-15 with
/// raw UCS2), and the summary says so; issue 12.19: `store_received_pdu`
/// and `store_sent_pdu` are carried with smsd's numbers.
#[test]
fn the_received_charset_and_stored_pdus_are_what_smsd_conf_meant() {
    use spool::incoming::{IncomingCharset, StoreReceivedPdu};
    for (globals, charset, summary) in [
        (
            "",
            IncomingCharset::Iso8859_15,
            "as smsd wrote them (incoming-charset = \"iso-8859-15\"); smsgate's own default is UTF-8",
        ),
        (
            "incoming_utf8 = no\n",
            IncomingCharset::Iso8859_15,
            "Unicode text as raw UCS-2, as smsd wrote",
        ),
        (
            "incoming_utf8 = yes\ndecode_unicode_text = yes\n",
            IncomingCharset::Utf8,
            "text in UTF-8, as smsd wrote them",
        ),
        (
            "incoming_utf8 = yes\n",
            IncomingCharset::Utf8,
            "smsd wrote Unicode text as raw UCS-2",
        ),
        (
            "decode_unicode_text = yes\n",
            IncomingCharset::Iso8859_15,
            "smsd converted Unicode text to ISO-8859-15",
        ),
    ] {
        let (import, config) = round_trip(&one_modem(globals, ""));
        assert_eq!(
            config.incoming_format.charset, charset,
            "{globals}\n{}",
            import.toml
        );
        assert!(import.toml.contains(summary), "{globals}\n{}", import.toml);
        assert!(import.unhonoured.is_empty(), "{:?}", import.unhonoured);
    }
    let (import, config) = round_trip(&one_modem("store_received_pdu = 3\nstore_sent_pdu = 0\n", ""));
    assert_eq!(
        config.incoming_format.store_pdu,
        StoreReceivedPdu::All,
        "{}",
        import.toml
    );
    assert_eq!(
        config.store_sent_pdu,
        spool::StoreSentPdu::Never,
        "{}",
        import.toml
    );
    assert!(
        import.toml.contains("spool.store-received-pdu"),
        "{}",
        import.toml
    );
    // smsd's defaults, 1 and 1, are smsgate's.
    let (_, config) = round_trip(&one_modem("", ""));
    assert_eq!(config.incoming_format.store_pdu, StoreReceivedPdu::Undecodable);
    assert_eq!(config.store_sent_pdu, spool::StoreSentPdu::Failed);
}

/// Issue 12.5: smsd's `trust_outgoing` becomes `[spool] trust-outgoing`
/// (a file taken as soon as it is seen); without it, a file is taken once
/// it is whole, as in smsd.
#[test]
fn trust_outgoing_is_carried() {
    let (import, config) = round_trip(&one_modem("trust_outgoing = yes\n", ""));
    assert!(config.trust_outgoing, "{}", import.toml);
    assert!(import.toml.contains("trust-outgoing = true"), "{}", import.toml);
    let (import, config) = round_trip(&one_modem("trust_outgoing = no\n", ""));
    assert!(!config.trust_outgoing, "{}", import.toml);
    let (_, config) = round_trip(&one_modem("", ""));
    assert!(!config.trust_outgoing);
}

/// Issue 12.14: smsd's `smsc_pdu` and `text_is_pdu_key` are a modem's
/// `smsc-pdu` and `text-is-pdu-key`.
#[test]
fn smsc_pdu_and_text_is_pdu_key_are_carried() {
    let (import, _) = round_trip(&one_modem(
        "",
        "smsc = 4917200000\nsmsc_pdu = yes\ntext_is_pdu_key = 4917299999\n",
    ));
    assert!(import.toml.contains("smsc-pdu = true"), "{}", import.toml);
    assert!(
        import.toml.contains("text-is-pdu-key = \"4917299999\""),
        "{}",
        import.toml
    );
    assert!(import.unhonoured.is_empty(), "{:?}", import.unhonoured);
}
