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
    /// (X-Smsgate-Signature, body as sent) of each POST.
    pub(crate) signed: Mutex<Vec<(String, String)>>,
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
    let signature = headers
        .get("x-smsgate-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    received.signed.lock().unwrap().push((signature, body.clone()));
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

/// The daemon killed where a `kind` event's spool file (in `dir`) is
/// written and its webhook delivery is not final, then started again:
/// the delivery arrives, telling of that file.
fn killed_between_the_fact_and_its_delivery(kind: &str, dir: &str) {
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
    std::fs::write(&flag, kind).unwrap();
    let env = format!("SMSGATE_DEBUG_DIE_BEFORE_WEBHOOK_QUEUE={}", flag.display());
    let extra = format!(
        "\n[[webhooks]]\nurl = \"http://{address}/hook\"\nevents = [\"{kind}\"]\nretry-initial-s = 1\nretry-max-s = 1\n"
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

    // It dies with the spool file written and the delivery not final.
    let mut daemon = api.bench.daemon.take().unwrap();
    api.bench.wait("the daemon dies at the crash point", || {
        daemon.try_wait().unwrap().is_some()
    });
    assert!(!flag.exists());
    let written = api.bench.names(dir).0;
    assert_eq!(written.len(), 1, "{written:?}\n{}", api.bench.log());
    assert!(received.events().is_empty());

    let api = restart(api);
    api.bench.wait(&format!("the {kind} event is delivered"), || {
        received.events().iter().any(|(event, body)| {
            event == kind
                && match kind {
                    "sent" => body["id"] == id.as_str(),
                    _ => body["file"] == written[0].as_str(),
                }
        })
    });
    let mut api = api;
    api.bench.stop_daemon();
    server.abort();
}

#[test]
fn a_sent_event_whose_daemon_died_before_its_webhook_queue_entry_is_delivered_after_the_restart() {
    killed_between_the_fact_and_its_delivery("sent", "sent");
}

#[test]
fn a_received_event_whose_daemon_died_before_its_webhook_queue_entry_is_delivered_after_the_restart() {
    killed_between_the_fact_and_its_delivery("received", "incoming");
}

/// A TLS listener for axum: each connection's handshake is done in
/// `accept` (one at a time, enough for a test); a failed one is counted
/// and the next connection taken.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    failed_handshakes: Arc<std::sync::atomic::AtomicUsize>,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.tcp.accept().await else {
                continue;
            };
            match self.acceptor.accept(stream).await {
                Ok(tls) => return (tls, address),
                Err(_) => {
                    self.failed_handshakes
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An https receiver on 127.0.0.1 with a fresh self-signed certificate
/// (for `127.0.0.1`): its address, its certificate (PEM), what it was
/// sent, how many handshakes failed, and its task.
fn https_receiver(
    runtime: &tokio::runtime::Runtime,
) -> (
    std::net::SocketAddr,
    String,
    Arc<Received>,
    Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let tcp = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = tcp.local_addr().unwrap();
    let failed_handshakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        failed_handshakes: failed_handshakes.clone(),
    };
    let received = Arc::new(Received::default());
    let app = receiver_app(received.clone());
    let server = runtime.spawn(async move { axum::serve(listener, app).await });
    (address, certified.cert.pem(), received, failed_handshakes, server)
}

fn failed_deliveries(metrics: &str) -> u64 {
    metrics
        .lines()
        .find(|line| line.starts_with("smsgate_webhook_deliveries_total{result=\"failed\"}"))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|count| count.parse().ok())
        .unwrap_or(0)
}

#[test]
fn https_webhooks_deliver_to_a_receiver_trusted_through_ca_file_and_retry_an_untrusted_one() {
    let runtime = crate::spool_bench::runtime();
    let (trusted, trusted_pem, trusted_got, _, trusted_server) = https_receiver(&runtime);
    let (untrusted, _, untrusted_got, untrusted_handshakes, untrusted_server) = https_receiver(&runtime);
    let files = tempfile::tempdir().unwrap();
    let ca_file = files.path().join("receiver-ca.pem");
    std::fs::write(&ca_file, trusted_pem).unwrap();
    let secret_file = files.path().join("secret");
    std::fs::write(&secret_file, "tls-secret").unwrap();
    let extra = format!(
        "\n[[webhooks]]\nurl = \"https://{trusted}/hook\"\nevents = [\"sent\"]\n\
         ca-file = {:?}\nsecret-file = {:?}\n\
         \n[[webhooks]]\nurl = \"https://{untrusted}/hook\"\nevents = [\"sent\"]\n\
         retry-initial-s = 1\nretry-max-s = 1\n",
        ca_file.display().to_string(),
        secret_file.display().to_string(),
    );
    let mut api = Api::start(2, &extra);
    let to = format!("+{}", SpoolBench::number(1));
    let answer = api.post_message(json!({"to": to, "text": "over TLS"}));
    let id = answer["messages"][0]["id"].as_str().unwrap().to_owned();

    api.bench.wait("the trusted receiver has the sent event", || {
        trusted_got
            .events()
            .iter()
            .any(|(event, body)| event == "sent" && body["id"] == id.as_str())
    });
    // The untrusted one: refused at the handshake, again and again, each
    // attempt a failed delivery, none delivered.
    api.bench.wait("the untrusted receiver is tried twice", || {
        untrusted_handshakes.load(std::sync::atomic::Ordering::SeqCst) >= 2
    });
    api.bench.wait("the failures are counted", || {
        let metrics = api.call("GET", "/metrics", None, None).1;
        failed_deliveries(metrics.as_str().unwrap_or("")) >= 2
    });
    assert!(untrusted_got.events().is_empty());
    let (signature, body) = trusted_got.signed.lock().unwrap()[0].clone();
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(b"tls-secret").unwrap();
    hmac::Mac::update(&mut mac, body.as_bytes());
    let expected = format!("sha256={}", hex::encode(hmac::Mac::finalize(mac).into_bytes()));
    assert_eq!(signature, expected);
    assert!(
        api.bench
            .log()
            .contains(&format!("webhook https://{untrusted}/hook: delivery")),
        "{}",
        api.bench.log()
    );
    api.bench.stop_daemon();
    trusted_server.abort();
    untrusted_server.abort();
}
