use std::path::{Path, PathBuf};

use modem::{ModemHandle, PortAddress};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::client::exchange;
use super::server::serve_connection;
use super::views::ModemView;
use super::*;

#[test]
fn requests_parse_with_defaults() {
    let request = Request::parse(r#"{"op":"send","port":"gsm1","number":"+4917200000","text":"hi"}"#);
    assert_eq!(
        request,
        Ok(Request::Send {
            port: "gsm1".to_owned(),
            device: None,
            number: "+4917200000".to_owned(),
            text: "hi".to_owned(),
            smsc: None,
            class: None,
            status_report_request: true,
        })
    );
    let request = Request::parse(r#"{"op":"at-chat","port":"/dev/x","command":"AT","timeout_ms":500}"#);
    assert_eq!(
        request,
        Ok(Request::AtChat {
            port: "/dev/x".to_owned(),
            device: None,
            command: "AT".to_owned(),
            timeout_ms: Some(500),
            wait_ms: None,
        })
    );
    assert_eq!(Request::parse(r#"{"op":"modems"}"#), Ok(Request::Modems));
    assert_eq!(
        Request::parse(r#"{"op":"inbox","port":"a","storage":"modem"}"#),
        Ok(Request::Inbox {
            port: "a".to_owned(),
            device: None,
            storage: Some(Storage::Modem),
        })
    );
}

#[test]
fn requests_round_trip_through_their_json() {
    let requests = [
        Request::Modems,
        Request::Send {
            port: "gsm1".to_owned(),
            device: Some("/dev/ttyUSB0".to_owned()),
            number: "123".to_owned(),
            text: "two\nlines".to_owned(),
            smsc: Some("+49".to_owned()),
            class: Some(0),
            status_report_request: false,
        },
        Request::Remove {
            port: "gsm1".to_owned(),
            device: None,
            index: 7,
        },
        Request::Ussd {
            port: "gsm1".to_owned(),
            device: None,
            code: "*100#".to_owned(),
        },
        Request::Status {
            port: "gsm1".to_owned(),
            device: None,
        },
        Request::Inbox {
            port: "gsm1".to_owned(),
            device: None,
            storage: Some(Storage::Sim),
        },
        Request::AtChat {
            port: "gsm1".to_owned(),
            device: Some("tcp://127.0.0.1:7000".to_owned()),
            command: "AT+CUSD=1,\"*100#\",15".to_owned(),
            timeout_ms: Some(2000),
            wait_ms: None,
        },
    ];
    for request in requests {
        let line = serde_json::to_string(&request).unwrap();
        assert!(!line.contains('\n'), "{line}");
        assert_eq!(Request::parse(&line), Ok(request));
    }
}

/// Writes `result` as the server does and reads it back as the client
/// does: the same value, of the same type.
fn round_trip<T>(result: T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug + Clone,
{
    let line = protocol::AnswerLine::done(Some("gsm1"), result.clone()).to_line();
    assert!(!line.contains('\n'), "{line}");
    assert_eq!(Answer::<T>::parse(&line).unwrap(), Answer::Done(result), "{line}");
}

#[test]
fn every_answer_round_trips_through_its_json() {
    round_trip(views::SendView {
        references: vec![0, 255],
    });
    let message = views::MessageView {
        index: Some(3),
        indexes: vec![3, 4],
        message: "two\nlines ☺".to_owned(),
        parts: Some(views::PartsView {
            missing: vec![2],
            total: Some(3),
        }),
        phone: "+37120000000".to_owned(),
        report: Some(views::ReportView {
            reference: Some(17),
            status: None,
        }),
        status: "received".to_owned(),
        timestamp: Some("2026-11-21 10:00:00".to_owned()),
        kind: "class-0".to_owned(),
        warnings: vec!["odd".to_owned()],
    };
    round_trip(message.clone());
    round_trip(vec![
        message,
        views::MessageView {
            index: None,
            indexes: Vec::new(),
            message: String::new(),
            parts: None,
            phone: String::new(),
            report: None,
            status: "sent".to_owned(),
            timestamp: None,
            kind: "sms".to_owned(),
            warnings: Vec::new(),
        },
    ]);
    round_trip(views::UssdView {
        dcs: Some(15),
        encoding: Some("gsm7-packed-hex".to_owned()),
        raw: Some("EBB79B1E0685E9ECF4BADE9E03".to_owned()),
        status: 1,
        status_text: Some("further user action required".to_owned()),
        text: Some("kontostand".to_owned()),
    });
    round_trip(views::AtReplyView {
        described: "+CME ERROR: 10 (SIM not inserted)".to_owned(),
        lines: vec!["+CSQ: 20,99".to_owned()],
        result: "+CME ERROR: 10".to_owned(),
        success: false,
        unsolicited: vec!["USSD: hi".to_owned()],
    });
    round_trip(views::StatusView {
        iccid: Some("8937".to_owned()),
        imei: None,
        imsi: Some("24701".to_owned()),
        operator: Some("LMT".to_owned()),
        port: "/dev/ttyUSB2".to_owned(),
        problems: vec!["no SMSC".to_owned()],
        registration: Some(views::RegistrationView {
            meaning: Some("registered, home network".to_owned()),
            registered: true,
            status: 1,
        }),
        signal: Some(views::SignalView {
            bars: 3,
            ber: 99,
            dbm: None,
            rssi: 99,
        }),
        smsc: None,
        storage: Some(views::StorageView {
            memory: Some("SM".to_owned()),
            total: 30,
            used: 2,
        }),
    });
    round_trip(vec![ModemView {
        device: "/dev/ttyUSB2".to_owned(),
        last_ussd: Some("hi".to_owned()),
        name: "gsm1".to_owned(),
        port: "usb3".to_owned(),
    }]);
    for kind in [
        Refusal::BadRequest,
        Refusal::UnknownModem,
        Refusal::NoMessage,
        Refusal::Modem,
    ] {
        let line = protocol::refused(kind, "why\nnot");
        assert_eq!(
            Answer::<views::StatusView>::parse(&line).unwrap(),
            Answer::Refused(kind, "why\nnot".to_owned()),
            "{line}"
        );
    }
}

/// An answer of another request's type is an error, not a default.
#[test]
fn an_answer_of_the_wrong_type_is_refused() {
    let line = protocol::AnswerLine::done(None, views::SendView { references: vec![1] }).to_line();
    let err = Answer::<views::StatusView>::parse(&line).unwrap_err().to_string();
    assert!(
        err.starts_with("an answer that does not fit the request"),
        "{err}"
    );
}

#[test]
fn malformed_requests_say_what_is_wrong() {
    let cases = [
        (
            "{\"op\":\"send\",\"port\":\"a\",\"text\":\"hi\"}",
            "missing field `number`",
        ),
        ("{\"op\":\"reboot\"}", "unknown variant `reboot`"),
        ("{\"port\":\"a\"}", "missing field `op`"),
        (
            "{\"op\":\"status\",\"port\":\"a\",\"colour\":1}",
            "unknown field `colour`",
        ),
        (
            "{\"op\":\"remove\",\"port\":\"a\",\"index\":-1}",
            "invalid value: integer `-1`",
        ),
        ("send a 123 hi", "expected value"),
        ("{\"op\":\"status\"", "EOF"),
    ];
    for (line, expected) in cases {
        let err = Request::parse(line).unwrap_err();
        assert!(err.starts_with("not a request: "), "{line}: {err}");
        assert!(err.contains(expected), "{line}: {err:?} lacks {expected:?}");
    }
}

fn registry_with(modems: &[(&str, &str, &str)]) -> (tokio::runtime::Runtime, ModemRegistry) {
    // A handle needs a runtime; its driver only tries to open a
    // device that does not exist, in the background.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let registry = ModemRegistry::default();
    for (name, port, device) in modems {
        let device: PortAddress = device.parse().unwrap();
        let mut config = modem::Config::new(device.clone());
        config.lock_dir = Some(std::env::temp_dir());
        let (handle, _) = runtime.block_on(ModemHandle::open_or_retry(config));
        registry.register(name, port, &device, &handle, None);
    }
    (runtime, registry)
}

#[test]
fn modems_are_found_by_device_name_or_port() {
    let (runtime, registry) = registry_with(&[
        ("a", "usb1", "/nonexistent/smsgate-test/ttyA"),
        ("b", "lte", "/nonexistent/smsgate-test/ttyB"),
        ("c", "lte", "/nonexistent/smsgate-test/ttyC"),
    ]);
    let found = |port: &str, device: Option<&str>| registry.find(port, device).map(|(name, _)| name);
    assert_eq!(found("a", None), Ok("a".to_owned()));
    assert_eq!(found("usb1", None), Ok("a".to_owned()));
    assert_eq!(found("/nonexistent/smsgate-test/ttyC", None), Ok("c".to_owned()));
    // The client's resolution of a name decides alone.
    assert_eq!(
        found("lte", Some("/nonexistent/smsgate-test/ttyB")),
        Ok("b".to_owned())
    );
    assert!(found("a", Some("/nonexistent/smsgate-test/ttyD")).is_err());
    assert_eq!(
        found("lte", None),
        Err(
            "no modem \"lte\" in this daemon (modems: a (port usb1, /nonexistent/smsgate-test/ttyA), \
             b (port lte, /nonexistent/smsgate-test/ttyB), c (port lte, /nonexistent/smsgate-test/ttyC))"
                .to_owned()
        )
    );
    registry.clear();
    assert_eq!(
        found("a", None),
        Err("no modem \"a\" in this daemon (modems: none)".to_owned())
    );
    drop(runtime);
}

/// Runs `lines` through a connection and returns the answers.
fn converse(input: &[u8]) -> Vec<Value> {
    let (runtime, registry) = registry_with(&[("a", "usb1", "/nonexistent/smsgate-test/ttyA")]);
    let mut output = Vec::new();
    runtime.block_on(serve_connection(
        input,
        &mut output,
        registry,
        CancellationToken::new(),
    ));
    String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn every_request_line_gets_an_answer() {
    let answers = converse(
        b"{\"op\":\"modems\"}\n\nnonsense\n\xff\xfe\n{\"op\":\"status\",\"port\":\"zz\"}\n\
          {\"op\":\"send\",\"port\":\"a\",\"number\":\"12-3\",\"text\":\"hi\"}\n\
          {\"op\":\"send\",\"port\":\"a\",\"number\":\"123\",\"text\":\"hi\",\"class\":4}\n\
          {\"op\":\"status\",\"port\":\"a\"}",
    );
    assert_eq!(
        answers[0],
        json!({"ok": true, "result": [
            {"name": "a", "port": "usb1", "device": "/nonexistent/smsgate-test/ttyA"}
        ]})
    );
    let refusals: Vec<(&str, &str)> = answers[1..]
        .iter()
        .map(|answer| {
            assert_eq!(answer["ok"], false, "{answer}");
            (
                answer["kind"].as_str().unwrap(),
                answer["error"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(refusals.len(), 6, "{answers:?}");
    assert_eq!(refusals[0].0, "bad-request");
    assert!(
        refusals[0].1.starts_with("not a request: expected"),
        "{}",
        refusals[0].1
    );
    assert_eq!(refusals[1], ("bad-request", "request line 4: not UTF-8"));
    assert_eq!(refusals[2].0, "unknown-modem");
    assert!(refusals[2]
        .1
        .starts_with("no modem \"zz\" in this daemon (modems: a "));
    assert_eq!(refusals[3].0, "bad-request");
    assert!(
        refusals[3].1.starts_with("modem a: number: \"12-3\": "),
        "{}",
        refusals[3].1
    );
    assert_eq!(refusals[4], ("bad-request", "modem a: class: 4 is not 0-3"));
    // The modem's port does not exist: its driver refuses at once.
    assert_eq!(refusals[5].0, "modem");
    assert!(refusals[5].1.starts_with("modem a: "), "{}", refusals[5].1);
}

#[test]
fn a_line_too_long_is_answered_then_the_connection_closed() {
    let mut input = vec![b'x'; MAX_LINE + 1];
    input.extend_from_slice(b"\n{\"op\":\"modems\"}\n");
    let answers = converse(&input);
    assert_eq!(
        answers,
        [json!({
            "ok": false,
            "kind": "bad-request",
            "error": format!("request line 1: longer than {MAX_LINE} bytes"),
        })]
    );
    // Exactly the limit is fine.
    let mut input = vec![b' '; MAX_LINE];
    input.extend_from_slice(b"\n{\"op\":\"modems\"}\n");
    let answers = converse(&input);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["ok"], true);
}

#[test]
fn the_client_reads_answers_and_refusals() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let ask = |answer: &str| {
        let mut written = Vec::new();
        let result = runtime.block_on(exchange::<Value, _, _>(
            answer.as_bytes(),
            &mut written,
            &Request::Modems,
        ));
        assert_eq!(written, b"{\"op\":\"modems\"}\n");
        result
    };
    assert!(matches!(
        ask("{\"ok\":true,\"result\":[1]}\n").unwrap(),
        Answer::Done(value) if value == json!([1])
    ));
    assert!(matches!(
        ask("{\"ok\":false,\"kind\":\"no-message\",\"error\":\"none\"}\n").unwrap(),
        Answer::Refused(Refusal::NoMessage, error) if error == "none"
    ));
    assert!(ask("").unwrap_err().to_string().contains("hung up"));
    assert!(ask("{\"ok\":false}\n")
        .unwrap_err()
        .to_string()
        .contains("neither ok"));
}

#[test]
fn control_section_of_the_config() {
    let parse = |text: &str| crate::daemon_config::DaemonConfig::parse(text, Path::new("smsgate.toml"));
    let config = parse("[spool]\nbase = \"/srv/sms\"\n").unwrap();
    assert_eq!(
        config.control_socket,
        Some(PathBuf::from("/srv/sms/smsgate.sock"))
    );
    let config = parse("[control]\nsocket = \"/run/sms.sock\"\n").unwrap();
    assert_eq!(config.control_socket, Some(PathBuf::from("/run/sms.sock")));
    let config = parse("[control]\nenabled = false\n").unwrap();
    assert_eq!(config.control_socket, None);
    let err = parse("[control]\nsockett = \"/x\"\n").unwrap_err().to_string();
    assert!(
        err.starts_with("smsgate.toml: line 2: unknown key \"sockett\" in [control]"),
        "{err}"
    );
}
