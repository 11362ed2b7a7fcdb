//! Webhook deliveries that must not be lost: the daemon killed between a
//! message's `sent/` file and its webhook queue entry (a debug build's
//! `SMSGATE_DEBUG_DIE_BEFORE_WEBHOOK_QUEUE`), then started again. A real
//! receiver (axum) in this test's process; the real daemon on the
//! simulator, killed at the end of the test, also when it fails.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::http_api::{restart, Api};
use crate::spool_bench::{Setup, SpoolBench};

/// What a receiver was sent: (event, body) of each POST, in order.
#[derive(Default)]
pub(crate) struct Received {
    pub(crate) got: Mutex<Vec<(String, Value)>>,
}

impl Received {
    pub(crate) fn events(&self) -> Vec<(String, Value)> {
        self.got.lock().unwrap().clone()
    }
}

async fn receive(
    axum::extract::State(received): axum::extract::State<Arc<Received>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let event = headers
        .get("x-smsgate-event")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    received.got.lock().unwrap().push((event, body));
    StatusCode::NO_CONTENT
}

/// The receiver's routes: POST /hook.
pub(crate) fn receiver_app(received: Arc<Received>) -> axum::Router {
    axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(received)
}

#[test]
fn a_sent_event_whose_daemon_died_before_its_webhook_queue_entry_is_delivered_after_the_restart() {
    let runtime = crate::spool_bench::runtime();
    let received = Arc::new(Received::default());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let app = receiver_app(received.clone());
    let server = runtime.spawn(async move { axum::serve(listener, app).await });

    let flags = tempfile::tempdir().unwrap();
    let flag = flags.path().join("die");
    std::fs::write(&flag, "sent").unwrap();
    let env = format!("SMSGATE_DEBUG_DIE_BEFORE_WEBHOOK_QUEUE={}", flag.display());
    let extra = format!(
        "\n[[webhooks]]\nurl = \"http://{address}/hook\"\nevents = [\"sent\"]\nretry-initial-s = 1\nretry-max-s = 1\n"
    );
    let mut api = Api::start_on(
        Setup {
            n_modems: 2,
            modem_keys: &["", "send = false\nreceive = true"],
            wrap: &["env", &env],
            ..Setup::default()
        },
        &extra,
    );
    let to = format!("+{}", SpoolBench::number(1));
    let answer = api.post_message(json!({"to": to, "text": "told of after all"}));
    let id = answer["messages"][0]["id"].as_str().unwrap().to_owned();

    // It dies with the sent/ file written and the delivery not final.
    let mut daemon = api.bench.daemon.take().unwrap();
    api.bench.wait("the daemon dies at the crash point", || {
        daemon.try_wait().unwrap().is_some()
    });
    assert!(!flag.exists());
    let sent = api.bench.names("sent").0;
    assert_eq!(sent.len(), 1, "{sent:?}\n{}", api.bench.log());
    assert!(received.events().is_empty());

    let api = restart(api);
    api.bench.wait("the sent event is delivered", || {
        received
            .events()
            .iter()
            .any(|(event, body)| event == "sent" && body["id"] == id.as_str())
    });
    let mut api = api;
    api.bench.stop_daemon();
    server.abort();
}
