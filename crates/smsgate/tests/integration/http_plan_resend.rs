//! `POST /api/v1/plan` (the console's live part count) and
//! `POST /api/v1/messages/{id}/resend`, against the real daemon on the
//! simulator with a real HTTP client.

use std::fs;

use serde_json::{json, Value};

use crate::http_api::{Api, ADMIN, READER, SENDER};
use crate::spool_bench::{header_values, SpoolBench};

fn plan(api: &Api, body: Value) -> (u16, Value) {
    api.call("POST", "/api/v1/plan", Some(SENDER), Some(body))
}

#[test]
fn a_text_is_planned_with_the_codecs_rules() {
    let api = Api::start(1, "\n[limits]\nmax-parts = 3\n");
    let cases = [
        // (text, encoding, parts, chars_left)
        ("hello", "gsm7", 1, 155),
        // An extension-table character takes two septets.
        ("€", "gsm7", 1, 158),
        (&"a".repeat(160), "gsm7", 1, 0),
        // 161 septets: two parts of at most 153.
        (&"a".repeat(161), "gsm7", 2, 153 * 2 - 161),
        ("Grüße", "gsm7", 1, 155),
        ("Привет", "ucs2", 1, 64),
        (&"я".repeat(71), "ucs2", 2, 67 * 2 - 71),
    ];
    for (text, encoding, parts, chars_left) in cases {
        let (status, answer) = plan(&api, json!({"text": text}));
        assert_eq!(status, 200, "{text:?}: {answer}");
        assert_eq!(
            answer,
            json!({"encoding": encoding, "parts": parts, "chars_left": chars_left, "max_parts": 3}),
            "{text:?}"
        );
    }
    // An empty text is refused, as a submit of it would be.
    let (status, answer) = plan(&api, json!({"text": ""}));
    assert_eq!(
        (status, &answer["error"]["field"]),
        (422, &json!("text")),
        "{answer}"
    );
    // Over [limits] max-parts is planned (the console shows it), and a
    // submit of it is refused.
    let long = "a".repeat(153 * 4);
    let (status, answer) = plan(&api, json!({"text": long, "to": "+4917212345678"}));
    assert_eq!((status, &answer["parts"]), (200, &json!(4)), "{answer}");
    let (status, _) = api.call(
        "POST",
        "/api/v1/messages",
        Some(SENDER),
        Some(json!({"to": "+4917212345678", "text": long})),
    );
    assert_eq!(status, 422);
    // autosplit 0: one part or nothing.
    let (status, answer) = plan(&api, json!({"text": long, "autosplit": 0}));
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["field"], "autosplit", "{answer}");
    // Refusals: no token, a read-only token, unknown fields.
    assert_eq!(
        api.call("POST", "/api/v1/plan", None, Some(json!({"text": "x"})))
            .0,
        401
    );
    assert_eq!(
        api.call("POST", "/api/v1/plan", Some(READER), Some(json!({"text": "x"})))
            .0,
        403
    );
    let (status, answer) = plan(&api, json!({"text": "x", "nope": 1}));
    assert_eq!(status, 422, "{answer}");
}

#[test]
fn a_failed_message_is_resent_under_a_new_id_naming_the_old() {
    let api = Api::start(2, "\n[limits]\nblock-after = 5\nsend-retries = 0\n");
    api.bench
        .fault(0, modem_sim::Fault::CmsError { code: 38, count: 1 });
    let to = format!("+{}", SpoolBench::number(1));
    let id = api.post_message(json!({"to": to, "text": "try again"}))["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.wait_state(&id, "failed");

    let path = format!("/api/v1/messages/{id}/resend");
    assert_eq!(api.call("POST", &path, None, None).0, 401);
    assert_eq!(api.call("POST", &path, Some(SENDER), None).0, 403);
    assert_eq!(
        api.call(
            "POST",
            "/api/v1/messages/0123456789abcdef0123456789abcdef/resend",
            Some(ADMIN),
            None
        )
        .0,
        404
    );
    let (status, answer) = api.call("POST", &path, Some(ADMIN), None);
    assert_eq!(status, 202, "{answer}");
    let new_id = answer["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);
    assert_eq!(answer["to"], to.as_str(), "{answer}");
    let status = api.wait_state(&new_id, "sent");
    assert_eq!(status["to"], to.as_str(), "{status}");
    let sent = fs::read_to_string(api.bench.spool("sent").join(format!("http-{new_id}"))).unwrap();
    assert_eq!(
        header_values(&sent, "X-Smsgate-Resend-Of"),
        [id.as_str()],
        "{sent}"
    );
    assert_eq!(header_values(&sent, "X-Smsgate-Id"), [new_id.as_str()], "{sent}");
    // The failure's lines did not come along; the failed file stays.
    assert!(header_values(&sent, "Fail_reason").is_empty(), "{sent}");
    assert!(header_values(&sent, "Failed").is_empty(), "{sent}");
    assert_eq!(api.bench.submitted_texts(0), ["try again"]);
    assert_eq!(api.wait_state(&id, "failed")["state"], "failed");

    // A sent message is not resent.
    let (status, answer) = api.call(
        "POST",
        &format!("/api/v1/messages/{new_id}/resend"),
        Some(ADMIN),
        None,
    );
    assert_eq!(status, 409, "{answer}");
}
