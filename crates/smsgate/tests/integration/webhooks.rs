//! Webhooks (issue 13): a real HTTP receiver (axum) in this test's
//! process, down at first; the real daemon on the simulator, killed with
//! kill -9 while deliveries wait, then started again. Every delivery is
//! signed, none is lost, and they arrive in the order they were queued.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use hmac::{KeyInit as _, Mac as _};
use serde_json::{json, Value};

use crate::http_api::{restart, Api, READER};
use crate::spool_bench::SpoolBench;

#[derive(Default)]
struct Receiver {
    up: AtomicBool,
    attempts: AtomicUsize,
    /// (event, delivery, signature, body) of each 2xx answered.
    got: Mutex<Vec<(String, String, String, String)>>,
}

async fn receive(
    axum::extract::State(receiver): axum::extract::State<Arc<Receiver>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    receiver.attempts.fetch_add(1, Ordering::SeqCst);
    if !receiver.up.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    receiver.got.lock().unwrap().push((
        header("x-smsgate-event"),
        header("x-smsgate-delivery"),
        header("x-smsgate-signature"),
        body,
    ));
    StatusCode::NO_CONTENT
}

fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The delivery ids queued in the daemon's webhook directory, oldest first.
fn queued(bench: &SpoolBench) -> Vec<String> {
    let webhooks = bench.spool("webhooks");
    let Ok(mut hooks) = std::fs::read_dir(&webhooks) else {
        return Vec::new();
    };
    let Some(Ok(hook)) = hooks.next() else {
        return Vec::new();
    };
    let mut files: Vec<_> = std::fs::read_dir(hook.path())
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.retain(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'));
    files.sort();
    files
        .iter()
        .map(|path| {
            let pending: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            pending["delivery"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn deliveries_wait_for_a_receiver_that_is_down_survive_kill_9_and_arrive_in_order_signed() {
    let receiver = Arc::new(Receiver::default());
    let runtime = crate::spool_bench::runtime();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    let server = runtime.spawn(async move { axum::serve(listener, app).await });

    let secrets = tempfile::tempdir().unwrap();
    let secret_file = secrets.path().join("secret");
    std::fs::write(&secret_file, "hook-secret\n").unwrap();
    let extra = format!(
        "\n[[webhooks]]\nurl = \"http://{address}/hook\"\nevents = [\"sent\", \"received\"]\n\
         secret-file = {:?}\nretry-initial-s = 1\nretry-max-s = 2\n",
        secret_file.display().to_string()
    );
    let api = Api::start(2, &extra);
    let to = format!("+{}", SpoolBench::number(1));
    let mut ids = Vec::new();
    for text in ["first", "second", "third"] {
        let answer = api.post_message(json!({"to": to, "text": text}));
        ids.push(answer["messages"][0]["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        api.wait_state(id, "sent");
    }
    // Three sent events and three received ones, all waiting for the
    // receiver, which refused at least two attempts.
    api.bench
        .wait("six deliveries queued", || queued(&api.bench).len() == 6);
    api.bench.wait("the receiver was tried twice", || {
        receiver.attempts.load(Ordering::SeqCst) >= 2
    });
    let mut metrics = String::new();
    api.bench.wait("failed deliveries in the metrics", || {
        metrics = api
            .call("GET", "/metrics", None, None)
            .1
            .as_str()
            .unwrap_or("")
            .to_owned();
        metrics.contains("smsgate_webhook_deliveries_total{result=\"failed\"}")
            && metrics.contains("smsgate_webhook_backlog 6")
    });
    // The status shows the hook's backlog and its failures, as /metrics does.
    let hook_url = format!("http://{address}/hook");
    let mut status = Value::Null;
    api.bench.wait("the webhook's failures in the status", || {
        status = api.call("GET", "/api/v1/status", Some(READER), None).1;
        let hook = &status["webhooks"][0];
        hook["url"] == hook_url.as_str()
            && hook["waiting"] == 6
            && hook["failed_today"].as_u64().is_some_and(|failed| failed >= 2)
            && hook["last_error"]
                .as_str()
                .is_some_and(|error| error.contains("503"))
    });
    assert_eq!(status["webhooks"][0]["delivered_today"], 0, "{status}");
    let expected = queued(&api.bench);

    let mut api = api;
    api.bench.kill_9(Duration::ZERO);
    receiver.up.store(true, Ordering::SeqCst);
    let api = restart(api);
    api.bench
        .wait("all six delivered", || receiver.got.lock().unwrap().len() >= 6);
    api.bench
        .wait("the queue is empty", || queued(&api.bench).is_empty());

    let got = receiver.got.lock().unwrap().clone();
    let mut first_seen: Vec<String> = Vec::new();
    for (event, delivery, signed, body) in &got {
        assert_eq!(signed, &signature(b"hook-secret", body.as_bytes()), "{body}");
        let parsed: Value = serde_json::from_str(body).unwrap();
        assert_eq!(parsed["event"], event.as_str(), "{body}");
        if !first_seen.contains(delivery) {
            first_seen.push(delivery.clone());
        }
    }
    assert_eq!(first_seen, expected, "every queued delivery, in the order queued");
    let sent_ids: Vec<String> = got
        .iter()
        .filter(|(event, ..)| event == "sent")
        .map(|(_, _, _, body)| {
            serde_json::from_str::<Value>(body).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut sorted_sent = sent_ids.clone();
    sorted_sent.sort();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(sorted_sent, sorted_ids);
    api.bench.wait("the deliveries are counted", || {
        let metrics = api
            .call("GET", "/metrics", None, None)
            .1
            .as_str()
            .unwrap_or("")
            .to_owned();
        metrics.contains("smsgate_webhook_deliveries_total{result=\"delivered\"} 6")
            && metrics.contains("smsgate_webhook_backlog 0")
    });
    server.abort();
}
