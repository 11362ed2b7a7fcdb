//! The HTTP API (issue 13): the real binary as the daemon on the
//! simulator, a real HTTP client (reqwest) on loopback. The daemon is
//! killed and the simulator stopped when a test ends, also when it fails;
//! every wait has a deadline.

use std::fs;
use std::time::Duration;

use serde_json::{json, Value};

use crate::spool_bench::{header_values, Setup, SpoolBench};

/// The tokens every test configures: `sender` (send, read, by file),
/// `reader` (read, by its SHA-256), `admin` (admin, read, send).
pub(crate) const SENDER: &str = "sender-token-0123456789";
pub(crate) const READER: &str = "reader-token-abcdef";
pub(crate) const ADMIN: &str = "admin-token-zyx";

/// SHA-256 of READER, as `sha256 = ...` takes it.
fn reader_digest() -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(READER.as_bytes()))
}

/// A bench whose daemon serves the API on a free loopback port, with
/// `extra` appended to its config.
pub(crate) struct Api {
    pub(crate) bench: SpoolBench,
    pub(crate) base: String,
    client: reqwest::Client,
}

impl Api {
    /// Modem 0 sends; modem 1, if there is one, only receives (so every
    /// message goes out on modem 0 and arrives on modem 1).
    pub(crate) fn start(n_modems: usize, extra: &str) -> Api {
        Api::start_on(
            Setup {
                n_modems,
                modem_keys: &["", "send = false\nreceive = true"],
                ..Setup::default()
            },
            extra,
        )
    }

    /// The daemon of `setup` with the API and its tokens, `extra` appended.
    pub(crate) fn start_on(setup: Setup<'_>, extra: &str) -> Api {
        let mut bench = SpoolBench::build(setup);
        let token_file = bench.dir.path().join("sender.token");
        fs::write(&token_file, format!("{SENDER}\n")).unwrap();
        let admin_file = bench.dir.path().join("admin.token");
        fs::write(&admin_file, ADMIN).unwrap();
        let http = format!(
            "\n[http]\nlisten = \"127.0.0.1:0\"\n\
             [[http.tokens]]\nname = \"sender\"\ntoken-file = {:?}\nscopes = [\"send\", \"read\"]\n\
             [[http.tokens]]\nname = \"reader\"\nsha256 = \"{}\"\nscopes = [\"read\"]\n\
             [[http.tokens]]\nname = \"admin\"\ntoken-file = {:?}\nscopes = [\"admin\", \"read\", \"send\"]\n{extra}",
            token_file.display().to_string(),
            reader_digest(),
            admin_file.display().to_string(),
        );
        bench.edit_config(|config| config + &http);
        bench.start_daemon();
        let mut base = String::new();
        bench.wait("the daemon names its HTTP address", || {
            let log = bench.log();
            match log.split("http API on ").nth(1) {
                Some(rest) => {
                    base = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches('/')
                        .to_owned();
                    true
                }
                None => false,
            }
        });
        Api {
            bench,
            base,
            client: reqwest::Client::new(),
        }
    }

    /// `method path` with `token` and `body`: (status, JSON body or Null).
    pub(crate) fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_with(method, path, token, body, &[])
    }

    fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.bench.runtime.block_on(async {
            let response = request.timeout(Duration::from_secs(30)).send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
        })
    }

    pub(crate) fn post_message(&self, body: Value) -> Value {
        let (status, answer) = self.call("POST", "/api/v1/messages", Some(SENDER), Some(body));
        assert_eq!(status, 202, "{answer}");
        answer
    }

    /// Waits until message `id` is in `state`; returns its status.
    pub(crate) fn wait_state(&self, id: &str, state: &str) -> Value {
        let mut last = Value::Null;
        self.bench.wait(&format!("message {id} is {state}"), || {
            last = self
                .call("GET", &format!("/api/v1/messages/{id}"), Some(READER), None)
                .1;
            last["state"] == state
        });
        last
    }
}

fn error_code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn a_posted_message_is_sent_and_followed_by_id() {
    let api = Api::start(2, "");
    let to = format!("+{}", SpoolBench::number(1));
    let answer = api.post_message(json!({"to": to, "text": "over HTTP, Grüße"}));
    let messages = answer["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{answer}");
    assert_eq!(messages[0]["to"], to.as_str());
    let id = messages[0]["id"].as_str().unwrap().to_owned();

    let status = api.wait_state(&id, "sent");
    assert_eq!(status["modem"], "modem0", "{status}");
    assert_eq!(status["to"], to.as_str());
    assert_eq!(status["parts"][0]["seq"], 1, "{status}");
    assert!(status["parts"][0]["message_reference"].is_u64(), "{status}");
    assert!(status["sent"].is_string(), "{status}");
    // The same message in the spool: its sent/ file carries the id once,
    // and the modem sent the text.
    let sent = fs::read_to_string(api.bench.spool("sent").join(format!("http-{id}"))).unwrap();
    assert_eq!(header_values(&sent, "X-Smsgate-Id"), [id.as_str()], "{sent}");
    assert_eq!(api.bench.submitted_texts(0), ["over HTTP, Grüße"]);
    let journal = api.bench.journal();
    assert!(
        journal
            .iter()
            .any(|line| line["event"] == "begin" && line["id"] == id.as_str()),
        "the journal knows the message by the answered id: {journal:?}"
    );

    // Several recipients: one message each.
    let answer = api.post_message(json!({"to": [to, to], "text": "twice", "priority": "high"}));
    let ids: Vec<String> = answer["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    for id in &ids {
        api.wait_state(id, "sent");
    }

    // The list, newest first, paged.
    let (status, page) = api.call("GET", "/api/v1/messages?state=sent&limit=2", Some(READER), None);
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["messages"].as_array().unwrap().len(), 2, "{page}");
    let cursor = page["next"].as_str().expect("a next page").to_owned();
    let (_, rest) = api.call(
        "GET",
        &format!("/api/v1/messages?limit=2&cursor={cursor}"),
        Some(READER),
        None,
    );
    assert_eq!(rest["messages"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["messages"][0]["id"], id.as_str());
    assert!(rest["next"].is_null(), "{rest}");
    let (status, none) = api.call(
        "GET",
        "/api/v1/messages?since=2999-01-01T00:00:00Z",
        Some(READER),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(none["messages"], json!([]));

    // A spool file's message is found by its id too.
    api.bench.drop_file(
        "from-the-spool",
        &format!("To: {}\n\nspool\n", SpoolBench::number(1)),
    );
    let sent = api.bench.wait_for_file("sent", "from-the-spool");
    let spool_id = header_values(&sent, "X-Smsgate-Id")[0].clone();
    let (status, found) = api.call("GET", &format!("/api/v1/messages/{spool_id}"), Some(READER), None);
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["state"], "sent");
    assert_eq!(found["file"], "from-the-spool");
}

#[test]
fn tokens_scopes_and_refusals() {
    let api = Api::start(1, "");
    let body = json!({"to": "+4917200000001", "text": "x"});
    for (token, expected, code) in [
        (None, 401, "unauthorized"),
        (Some("wrong"), 401, "unauthorized"),
        (Some(READER), 403, "forbidden"),
    ] {
        let (status, answer) = api.call("POST", "/api/v1/messages", token, Some(body.clone()));
        assert_eq!(status, expected, "{token:?}: {answer}");
        assert_eq!(error_code(&answer), code, "{answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    let (status, _) = api.call("GET", "/api/v1/messages", None, None);
    assert_eq!(status, 401);
    // Nothing was written for them.
    assert_eq!(fs::read_dir(api.bench.spool("outgoing")).unwrap().count(), 0);

    // 422, naming the field.
    for (body, field) in [
        (json!({"to": "+4917200000001"}), "text"),
        (json!({"to": "+4917200000001", "text": "x", "tx": 1}), "body"),
        (json!({"to": [], "text": "x"}), "to"),
        (
            json!({"to": "+4917200000001", "text": "x", "queue": "nope"}),
            "queue",
        ),
        (
            json!({"to": "+4917200000001", "text": "x", "autosplit": 7}),
            "autosplit",
        ),
        (json!({"to": "+4917200000001\nFlash: yes", "text": "x"}), "to"),
        (json!({"to": "+4917200000001", "data_hex": "0g"}), "data_hex"),
        (
            json!({"to": "+4917200000001", "text": "x", "udh_hex": "05000"}),
            "udh_hex",
        ),
        (
            json!({"to": "+4917200000001", "text": "x", "priority": "urgent"}),
            "priority",
        ),
        (
            json!({"to": "+4917200000001", "text": "x".repeat(160 * 11)}),
            "text",
        ),
        (
            json!({"to": "+4917200000001", "text": "x", "send_at": "2030-01-01T00:00:00Z"}),
            "send_at",
        ),
    ] {
        let (status, answer) = api.call("POST", "/api/v1/messages", Some(SENDER), Some(body.clone()));
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(error_code(&answer), "invalid", "{answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}: ")),
            "{answer}"
        );
    }
    assert_eq!(fs::read_dir(api.bench.spool("outgoing")).unwrap().count(), 0);

    // 404s.
    let (status, answer) = api.call(
        "GET",
        "/api/v1/messages/0123456789abcdef0123456789abcdef",
        Some(READER),
        None,
    );
    assert_eq!((status, error_code(&answer)), (404, "not_found"), "{answer}");
    let (status, _) = api.call("GET", "/api/v1/messages/..%2F..%2Fetc", Some(READER), None);
    assert_eq!(status, 404);
    let (status, answer) = api.call("GET", "/api/v1/nothing", Some(READER), None);
    assert_eq!((status, error_code(&answer)), (404, "not_found"), "{answer}");
    let (status, answer) = api.call("GET", "/api/v1/messages?limit=0", Some(READER), None);
    assert_eq!(
        (status, answer["error"]["field"].as_str()),
        (422, Some("limit")),
        "{answer}"
    );
}

#[test]
fn a_retried_post_with_its_idempotency_key_sends_once() {
    let api = Api::start(2, "");
    let body = json!({"to": format!("+{}", SpoolBench::number(1)), "text": "once only"});
    let key = [("Idempotency-Key", "order-4711")];
    let (status, first) = api.call_with("POST", "/api/v1/messages", Some(SENDER), Some(body.clone()), &key);
    assert_eq!(status, 202, "{first}");
    let id = first["messages"][0]["id"].as_str().unwrap().to_owned();
    api.wait_state(&id, "sent");
    let (status, again) = api.call_with("POST", "/api/v1/messages", Some(SENDER), Some(body.clone()), &key);
    assert_eq!((status, &again), (202, &first));
    // Another body under the same key is refused; another token's same
    // key is its own.
    let other = json!({"to": format!("+{}", SpoolBench::number(1)), "text": "something else"});
    let (status, answer) = api.call_with("POST", "/api/v1/messages", Some(SENDER), Some(other), &key);
    assert_eq!((status, error_code(&answer)), (409, "conflict"), "{answer}");
    let (status, admins) = api.call_with("POST", "/api/v1/messages", Some(ADMIN), Some(body.clone()), &key);
    assert_eq!(status, 202);
    assert_ne!(admins["messages"][0]["id"], first["messages"][0]["id"]);
    api.wait_state(admins["messages"][0]["id"].as_str().unwrap(), "sent");
    assert_eq!(api.bench.submitted_texts(0), ["once only", "once only"]);

    // The record is durable: a restarted daemon answers the same.
    let mut api = api;
    api.bench.stop_daemon();
    let api = restart(api);
    let (status, after) = api.call_with("POST", "/api/v1/messages", Some(SENDER), Some(body), &key);
    assert_eq!((status, &after), (202, &first));
    assert_eq!(api.bench.submitted_texts(0).len(), 2);
}

#[test]
fn a_queued_message_is_cancelled_and_a_sent_one_is_not() {
    // The checkhandler holds the file in outgoing/ until the test lets it go.
    let api = Api::start(2, "");
    let gate = api.bench.dir.path().join("let-go");
    let check = api.bench.script(
        "check.sh",
        &format!(
            "while [ ! -e {:?} ]; do sleep 0.05; done; exit 0",
            gate.display().to_string()
        ),
    );
    // The daemon was started without it: restart with it.
    let mut api = api;
    api.bench.stop_daemon();
    api.bench.edit_config(|config| {
        format!(
            "{config}\n[handlers]\ncheckhandler = {:?}\n",
            check.display().to_string()
        )
    });
    let api = restart(api);
    let to = format!("+{}", SpoolBench::number(1));
    let id = api.post_message(json!({"to": to, "text": "never"}))["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(api.wait_state(&id, "queued")["state"], "queued");
    let (status, cancelled) = api.call("DELETE", &format!("/api/v1/messages/{id}"), Some(SENDER), None);
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    fs::write(&gate, "").unwrap();
    let failed = api.bench.wait_for_file("failed", &format!("http-{id}"));
    assert_eq!(
        header_values(&failed, "Fail_reason"),
        ["cancelled over the HTTP API"]
    );
    assert_eq!(
        api.wait_state(&id, "cancelled")["fail_reason"],
        "cancelled over the HTTP API"
    );

    // A sent message cannot be cancelled.
    let sent = api.post_message(json!({"to": to, "text": "goes"}))["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.wait_state(&sent, "sent");
    let (status, answer) = api.call("DELETE", &format!("/api/v1/messages/{sent}"), Some(SENDER), None);
    assert_eq!((status, error_code(&answer)), (409, "conflict"), "{answer}");
    let (status, _) = api.call("DELETE", &format!("/api/v1/messages/{sent}"), Some(READER), None);
    assert_eq!(status, 403);
    assert_eq!(api.bench.submitted_texts(0), ["goes"]);
}

/// Starts the bench's daemon again and finds its new address.
pub(crate) fn restart(api: Api) -> Api {
    let Api {
        mut bench, client, ..
    } = api;
    bench.start_daemon();
    let mut base = String::new();
    bench.wait("the daemon names its HTTP address", || {
        match bench.log().split("http API on ").nth(1) {
            Some(rest) => {
                base = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_owned();
                true
            }
            None => false,
        }
    });
    Api { bench, base, client }
}

#[test]
fn health_metrics_modems_and_the_openapi_document() {
    let api = Api::start(2, "");
    let (status, health) = api.call("GET", "/healthz", None, None);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    api.bench
        .wait("ready", || api.call("GET", "/readyz", None, None).0 == 200);

    let to = format!("+{}", SpoolBench::number(1));
    let id = api.post_message(json!({"to": to, "text": "counted"}))["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.wait_state(&id, "sent");
    // No token on a loopback listener by default.
    let mut metrics = String::new();
    api.bench.wait("the send is counted", || {
        metrics = api
            .call("GET", "/metrics", None, None)
            .1
            .as_str()
            .unwrap_or("")
            .to_owned();
        metrics.contains("smsgate_messages_sent_total{modem=\"modem0\"} 1")
    });
    for name in [
        "smsgate_parts_sent_total{modem=\"modem0\"} 1",
        "smsgate_queue_depth{queue=\"default\"} 0",
        "smsgate_modem_up{modem=\"modem0\"} 1",
        "smsgate_modem_blocked{modem=\"modem0\"} 0",
        "smsgate_modem_signal_dbm{modem=\"modem0\"}",
        "smsgate_send_duration_seconds_count 1",
        "smsgate_http_messages_accepted_total 1",
        "smsgate_messages_received_total{modem=\"modem1\"} 1",
    ] {
        api.bench.wait(name, || {
            metrics = api
                .call("GET", "/metrics", None, None)
                .1
                .as_str()
                .unwrap_or("")
                .to_owned();
            metrics.contains(name)
        });
    }

    let (status, modems) = api.call("GET", "/api/v1/modems", Some(READER), None);
    assert_eq!(status, 200, "{modems}");
    assert_eq!(modems[0]["name"], "modem0", "{modems}");
    assert_eq!(modems[0]["state"], "idle", "{modems}");
    assert_eq!(modems[0]["imsi"], "001010123456789", "{modems}");
    assert_eq!(modems[0]["counters"]["sent"], 1, "{modems}");
    assert!(modems[0]["signal_dbm"].is_i64(), "{modems}");

    api.bench
        .runtime
        .block_on(api.bench.sim().set_ussd(0, "*100#", "balance 5 EUR"))
        .unwrap();
    let (status, _) = api.call(
        "POST",
        "/api/v1/modems/modem0/ussd",
        Some(READER),
        Some(json!({"code": "*100#"})),
    );
    assert_eq!(status, 403);
    let (status, answer) = api.call(
        "POST",
        "/api/v1/modems/modem0/ussd",
        Some(ADMIN),
        Some(json!({"code": "*100#"})),
    );
    assert_eq!(
        (status, answer["text"].as_str()),
        (200, Some("balance 5 EUR")),
        "{answer}"
    );
    let (status, _) = api.call(
        "POST",
        "/api/v1/modems/nope/ussd",
        Some(ADMIN),
        Some(json!({"code": "*100#"})),
    );
    assert_eq!(status, 404);

    let (status, doc) = api.call("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    for (path, methods) in [
        ("/api/v1/messages", &["post", "get"][..]),
        ("/api/v1/messages/{id}", &["get", "delete"]),
        ("/api/v1/modems", &["get"]),
        ("/api/v1/inbox", &["get"]),
        ("/api/v1/inbox/{id}", &["get", "delete"]),
        ("/api/v1/modems/{name}/ussd", &["post"]),
        ("/api/v1/modems/{name}/unblock", &["post"]),
        ("/api/v1/events", &["get"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for method in methods {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} in the document"
            );
        }
    }
    for schema in [
        "SendRequest",
        "SendAnswer",
        "MessageStatus",
        "ErrorBody",
        "ModemInfo",
        "DaemonEvent",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
}

#[test]
fn the_event_stream_tells_of_a_send() {
    let api = Api::start(2, "");
    let (status, _) = api.call("GET", "/api/v1/events", None, None);
    assert_eq!(status, 401);
    let url = format!("{}/api/v1/events", api.base);
    let mut response = api
        .bench
        .runtime
        .block_on(api.client.get(&url).bearer_auth(READER).send())
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let to = format!("+{}", SpoolBench::number(1));
    let id = api.post_message(json!({"to": to, "text": "streamed"}))["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut seen = String::new();
    api.bench.runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !(seen.contains("event: sent") && seen.contains(&id) && seen.contains("event: received")) {
            let chunk = tokio::time::timeout_at(deadline, response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no sent and received events within 30 s; seen:\n{seen}"))
                .unwrap()
                .expect("the stream goes on");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    let data = seen
        .lines()
        .skip_while(|line| *line != "event: sent")
        .nth(1)
        .and_then(|line| line.strip_prefix("data: "))
        .unwrap();
    let event: Value = serde_json::from_str(data).unwrap();
    assert_eq!(event["id"], id.as_str());
    assert_eq!(event["modem"], "modem0");
    assert_eq!(event["to"], SpoolBench::number(1).as_str());
}

#[test]
fn the_inbox_lists_reads_and_deletes_received_messages() {
    let api = Api::start(2, "");
    let to = format!("+{}", SpoolBench::number(1));
    for text in ["first in", "second in"] {
        let id = api.post_message(json!({"to": to, "text": text}))["messages"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        api.wait_state(&id, "sent");
    }
    let mut page = Value::Null;
    api.bench.wait("two received", || {
        page = api.call("GET", "/api/v1/inbox", Some(READER), None).1;
        page["messages"]
            .as_array()
            .is_some_and(|messages| messages.len() == 2)
    });
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 2);
    assert!(
        texts.contains(&"first in") && texts.contains(&"second in"),
        "{page}"
    );
    let first = &page["messages"][0];
    assert_eq!(
        first["from"],
        format!("+{}", SpoolBench::number(0)).trim_start_matches('+'),
        "{first}"
    );
    assert_eq!(first["modem"], "modem1", "{first}");
    assert!(first["from_toa"].as_str().unwrap().starts_with("91"), "{first}");
    assert_eq!(first["incomplete"], false);

    // Paged.
    let (_, one) = api.call("GET", "/api/v1/inbox?limit=1", Some(READER), None);
    assert_eq!(one["messages"].as_array().unwrap().len(), 1, "{one}");
    let cursor = one["next"].as_str().unwrap();
    let (_, two) = api.call(
        "GET",
        &format!("/api/v1/inbox?limit=1&cursor={cursor}"),
        Some(READER),
        None,
    );
    assert_eq!(two["messages"].as_array().unwrap().len(), 1, "{two}");
    assert_ne!(two["messages"][0]["id"], one["messages"][0]["id"]);

    let id = first["id"].as_str().unwrap();
    let (status, got) = api.call("GET", &format!("/api/v1/inbox/{id}"), Some(READER), None);
    assert_eq!((status, &got["text"]), (200, &first["text"]), "{got}");
    let (status, _) = api.call("DELETE", &format!("/api/v1/inbox/{id}"), Some(READER), None);
    assert_eq!(status, 403);
    let (status, deleted) = api.call("DELETE", &format!("/api/v1/inbox/{id}"), Some(ADMIN), None);
    assert_eq!((status, &deleted["id"]), (200, &first["id"]), "{deleted}");
    assert!(!api.bench.spool("incoming").join(id).exists());
    let (status, answer) = api.call("GET", &format!("/api/v1/inbox/{id}"), Some(READER), None);
    assert_eq!((status, error_code(&answer)), (404, "not_found"));
    let (status, _) = api.call("GET", "/api/v1/inbox/..", Some(READER), None);
    assert_eq!(status, 404);
}

#[test]
fn a_blocked_modem_shows_blocked_and_is_unblocked_by_an_admin() {
    let api = Api::start(
        2,
        "\n[limits]\nblock-after = 1\nsend-retries = 0\nblock-time-s = 3600\n",
    );
    api.bench
        .fault(0, modem_sim::Fault::CmsError { code: 38, count: 1 });
    let to = format!("+{}", SpoolBench::number(1));
    let id = api.post_message(json!({"to": to, "text": "unlucky"}))["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = api.wait_state(&id, "failed");
    assert!(
        failed["fail_reason"].as_str().unwrap().contains("+CMS ERROR: 38"),
        "{failed}"
    );
    let mut modems = Value::Null;
    api.bench.wait("modem0 is blocked", || {
        modems = api.call("GET", "/api/v1/modems", Some(READER), None).1;
        modems[0]["state"] == "blocked"
    });
    assert!(modems[0]["blocked_until"].is_string(), "{modems}");
    for line in [
        "smsgate_modem_blocked{modem=\"modem0\"} 1",
        "smsgate_messages_failed_total{modem=\"modem0\",reason=\"modem\"} 1",
    ] {
        api.bench.wait(line, || {
            let metrics = api.call("GET", "/metrics", None, None).1;
            metrics.as_str().unwrap_or("").contains(line)
        });
    }

    let (status, _) = api.call("POST", "/api/v1/modems/modem0/unblock", Some(READER), None);
    assert_eq!(status, 403);
    let (status, _) = api.call("POST", "/api/v1/modems/nope/unblock", Some(ADMIN), None);
    assert_eq!(status, 404);
    let (status, answer) = api.call("POST", "/api/v1/modems/modem0/unblock", Some(ADMIN), None);
    assert_eq!((status, &answer["was_blocked"]), (200, &json!(true)), "{answer}");
    let (_, modems) = api.call("GET", "/api/v1/modems", Some(READER), None);
    assert_ne!(modems[0]["state"], "blocked", "{modems}");
    // It takes work again.
    let id = api.post_message(json!({"to": to, "text": "lucky"}))["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.wait_state(&id, "sent");
}
