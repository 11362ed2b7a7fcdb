//! `--help` on every command, and the usage errors clap reports with exit
//! status 2.

use crate::util::TestCommand;

#[test]
fn every_command_has_help() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--help"], &["pdu", "Exit status"]),
        (&["pdu", "--help"], &["decode", "encode"]),
        (
            &["pdu", "decode", "--help"],
            &[
                "--json",
                "--no-smsc",
                "parts of one concatenated message",
                "exit status is 1",
            ],
        ),
        (
            &["pdu", "encode", "--help"],
            &[
                "--to",
                "--text",
                "--smsc",
                "--class0",
                "--report",
                "--validity",
                "--alphabet",
                "--autosplit",
                "--national",
                "--reference",
                "AT+CMGS",
            ],
        ),
        (&["--help"], &["send", "inbox", "ussd", "at-chat", "status"]),
        (
            &["send", "--help"],
            &[
                "<PORT>",
                "<PHONE>",
                "--message",
                "--channel",
                "--smsc",
                "--type",
                "class-0",
                "--status-report-request",
                "--sms-storage",
                "--config",
                "--lock-dir",
                "--debug-at",
                "0123456789*# abc",
                "tcp://HOST:PORT",
            ],
        ),
        (&["inbox", "--help"], &["--json", "--remove", "--sms-storage"]),
        (&["ussd", "--help"], &["<CODE>", "*245#", "--json"]),
        (&["at-chat", "--help"], &["<COMMAND>", "--timeout"]),
        (&["status", "--help"], &["--json", "signal"]),
        (&["--help"], &["import-smsd-conf"]),
        (
            &["import-smsd-conf", "--help"],
            &["<FILE>", "[providers]", "listed", "Exit status"],
        ),
    ];
    for (args, expected_words) in cases {
        let help = TestCommand::new(*args).stdout();
        for word in *expected_words {
            assert!(
                help.contains(word),
                "`smsgate {}` lacks {word:?}:\n{help}",
                args.join(" ")
            );
        }
    }
}

#[test]
fn version() {
    let version = TestCommand::new(["--version"]).stdout();
    eqnice!(format!("smsgate {}\n", env!("CARGO_PKG_VERSION")), version);
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[&[&str]] = &[
        &[],
        &["pdu"],
        &["pdu", "decode"],
        &["pdu", "decode", "--frobnicate", "00"],
        &["pdu", "encode", "--text", "no recipient"],
        &["pdu", "encode", "--to", "123", "--text", "x", "--autosplit", "4"],
        &[
            "pdu",
            "encode",
            "--to",
            "123",
            "--text",
            "x",
            "--alphabet",
            "ebcdic",
        ],
        &[
            "pdu",
            "encode",
            "--to",
            "123",
            "--text",
            "x",
            "--national",
            "klingon",
        ],
        &[
            "pdu",
            "encode",
            "--to",
            "123",
            "--text",
            "x",
            "--reference",
            "65536",
        ],
        &["send", "/dev/null", "+123"],
        &["send", "/dev/null", "+123", "--message", "x", "--type", "class-9"],
        &[
            "send",
            "/dev/null",
            "+123",
            "--message",
            "x",
            "--status-report-request",
            "maybe",
        ],
        &["inbox"],
        &["inbox", "/dev/null", "--remove", "x"],
        &["ussd", "/dev/null"],
        &["at-chat", "/dev/null", "AT", "--timeout", "0"],
    ];
    for args in cases {
        let printed = TestCommand::new(*args).expect_status(2);
        assert!(
            printed.stdout.is_empty(),
            "{args:?} printed on stdout:\n{}",
            printed.stdout
        );
        assert!(!printed.stderr.is_empty(), "{args:?} printed no error");
    }
}

#[test]
fn bad_validity_names_the_option_and_the_syntax() {
    let printed = TestCommand::new([
        "pdu",
        "encode",
        "--to",
        "123",
        "--text",
        "x",
        "--validity",
        "3 fortnights",
    ])
    .expect_status(2);
    assert!(
        printed.stderr.starts_with(
            "error: invalid value '3 fortnights' for '--validity <V>': \"3 fortnights\" is neither 0-255 \
             nor a period like \"2 days\""
        ),
        "{}",
        printed.stderr
    );
}
