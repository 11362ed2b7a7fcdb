//! `smsgate demo` serves the HTTP API and the console: the test runs the
//! real demo, reads the URL and the token it prints, posts a message with
//! a real HTTP client and sees it sent. The demo is killed when the test
//! ends, also when it fails.

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use crate::spool_bench::{runtime, wait_exit, wait_until};

const PATIENCE: Duration = Duration::from_secs(60);

struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The word after `label` on the first line of `printed` that has it.
fn after<'a>(printed: &'a str, label: &str) -> &'a str {
    printed
        .lines()
        .find_map(|line| line.trim_start().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {label:?} in:\n{printed}"))
}

#[test]
fn demo_serves_the_api_and_console_with_a_printed_token() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("demo-spool");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
        .arg("demo")
        .arg(&spool)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut guard = KillOnDrop(Some(child));
    let (lines_tx, lines_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed: Vec<String> = Vec::new();
    while !printed.iter().any(|line| line.contains("# and follow it")) {
        let line = lines_rx
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("demo never printed its URL; printed: {printed:#?}"));
        printed.push(line);
    }
    let printed = printed.join("\n");
    let console = after(&printed, "console:").to_owned();
    let token = after(&printed, "token:").to_owned();
    assert!(
        console.starts_with("http://127.0.0.1:") && console.ends_with('/'),
        "{console}"
    );
    assert_eq!(token.len(), 64, "{token}");
    assert!(
        printed.contains("curl -sS -H \"Authorization: Bearer $(cat "),
        "{printed}"
    );
    let to = printed
        .split("\"to\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no recipient in the curl example:\n{printed}"))
        .to_owned();

    // The token file: the printed token, for its owner only.
    let token_file = spool.join("api-token");
    assert_eq!(std::fs::read_to_string(&token_file).unwrap().trim(), token);
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    let client = reqwest::Client::new();
    let rt = runtime();
    let base = console.trim_end_matches('/').to_owned();
    let page = rt.block_on(async { client.get(&console).send().await.unwrap().text().await.unwrap() });
    assert!(page.contains("<title>smsgate console</title>"), "{page}");
    let (status, answer) = rt.block_on(async {
        let response = client
            .post(format!("{base}/api/v1/messages"))
            .bearer_auth(&token)
            .json(&json!({"to": to, "text": "Hello over HTTP"}))
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().await.unwrap(),
        )
    });
    assert_eq!(status, 202, "{answer}");
    let id = answer["messages"][0]["id"].as_str().unwrap().to_owned();
    let mut last = Value::Null;
    let sent = wait_until(PATIENCE, || {
        last = rt.block_on(async {
            client
                .get(format!("{base}/api/v1/messages/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        });
        last["state"] == "sent"
    });
    assert!(sent, "message {id} not sent: {last}");
    // A wrong token is refused.
    let status = rt.block_on(async {
        client
            .get(format!("{base}/api/v1/messages"))
            .bearer_auth("nope")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 401);

    let mut child = guard.0.take().unwrap();
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), Signal::SIGTERM).unwrap();
    let status = wait_exit(&mut child);
    assert!(status.success(), "{status}");
}
