//! `send_at`, `modem` and the modems' `sending` state over the HTTP API
//! (issue 13): the real daemon on the simulator, as in http_api.rs.

use std::time::{Duration, SystemTime};

use modem_sim::Fault;
use serde_json::{json, Value};

use crate::http_api::{Api, READER, SENDER};

/// `now + ahead` as RFC 3339 in UTC (by date(1): no time crate here).
fn rfc3339_in(ahead: Duration) -> String {
    let at = SystemTime::now() + ahead;
    let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn first_id(answer: &Value) -> String {
    answer["messages"][0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_message_with_send_at_waits_queued_and_a_past_time_sends_now() {
    let api = Api::start(2, "");
    let held = first_id(&api.post_message(
        json!({"to": "+4917200000001", "text": "later", "send_at": "2099-01-01T00:00:00+01:00"}),
    ));
    let past = first_id(
        &api.post_message(json!({"to": "+4917200000001", "text": "past", "send_at": "2001-01-01T00:00:00Z"})),
    );
    let soon = first_id(&api.post_message(
        json!({"to": "+4917200000001", "text": "soon", "send_at": rfc3339_in(Duration::from_secs(2))}),
    ));
    let plain = first_id(&api.post_message(json!({"to": "+4917200000001", "text": "now"})));
    api.wait_state(&past, "sent");
    api.wait_state(&plain, "sent");
    api.wait_state(&soon, "sent");
    // Posted first, the one held till 2099 is still waiting after all of
    // them went out: a file in the spool, queued, with its time.
    let (status, held_status) = api.call("GET", &format!("/api/v1/messages/{held}"), Some(READER), None);
    assert_eq!(status, 200, "{held_status}");
    assert_eq!(held_status["state"], "queued", "{held_status}");
    assert_eq!(
        held_status["send_at"], "2098-12-31T23:00:00+00:00",
        "{held_status}"
    );
    let file = held_status["file"].as_str().unwrap();
    let waiting = ["outgoing", "checked"]
        .iter()
        .any(|dir| api.bench.spool(dir).join(file).exists());
    assert!(waiting, "{file} waits in outgoing/ or checked/");

    let (status, answer) = api.call(
        "POST",
        "/api/v1/messages",
        Some(SENDER),
        Some(json!({"to": "+4917200000001", "text": "x", "send_at": "tomorrow"})),
    );
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("send_at")),
        "{answer}"
    );
}

#[test]
fn a_message_for_a_named_modem_goes_out_on_it_only() {
    // modem0 and modem2 send, modem1 only receives.
    let api = Api::start(3, "");
    let ids: Vec<String> = (0..4)
        .map(|n| {
            first_id(&api.post_message(
                json!({"to": "+4917200000001", "text": format!("pinned {n}"), "modem": "modem2"}),
            ))
        })
        .collect();
    for id in &ids {
        let status = api.wait_state(id, "sent");
        assert_eq!(status["modem"], "modem2", "{status}");
    }
    for (modem, why) in [("modem1", "does not send"), ("nope", "no [modems.nope]")] {
        let (status, answer) = api.call(
            "POST",
            "/api/v1/messages",
            Some(SENDER),
            Some(json!({"to": "+4917200000001", "text": "x", "modem": modem})),
        );
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (422, Some("modem")),
            "{answer}"
        );
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(why),
            "{answer}"
        );
    }
}

#[test]
fn a_modem_shows_sending_while_a_part_is_on_it() {
    let api = Api::start(2, "");
    // Each answer of modem0 comes a second late: a send is long enough to
    // be seen.
    api.bench.fault(0, Fault::Delay { ms: 1000 });
    let id = first_id(&api.post_message(json!({"to": "+4917200000001", "text": "slow"})));
    let modem0 = |api: &Api| {
        let (_, modems) = api.call("GET", "/api/v1/modems", Some(READER), None);
        modems
            .as_array()
            .and_then(|modems| modems.iter().find(|modem| modem["name"] == "modem0").cloned())
            .unwrap_or(Value::Null)
    };
    api.bench
        .wait("modem0 shows sending", || modem0(&api)["state"] == "sending");
    api.wait_state(&id, "sent");
    api.bench.wait("modem0 is no longer sending", || {
        let state = modem0(&api)["state"].clone();
        state != "sending" && state != Value::Null
    });
}
