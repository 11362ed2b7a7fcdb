//! Voice calls over the control API: a client dials through a modem's
//! PTY, and `GET /modems/{i}/calls` shows the number, the tones and the
//! hang-up; the `call-busy` fault makes the callee busy.

mod shell_support;

use modem_sim::sim::{SimConfig, Simulator};
use serde_json::{json, Value};
use shell_support::{http, SerialClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_logged_and_a_busy_fault_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SimConfig::new(1, dir.path());
    config.control = Some("127.0.0.1:0".parse().unwrap());
    let sim = Simulator::start(config).await.unwrap();
    let addr = sim.control_addr().unwrap();
    let calls = || serde_json::from_str::<Value>(&http(addr, "GET", "/modems/0/calls", None).1).unwrap();
    let mut phone = SerialClient::open(&dir.path().join("modem0")).unwrap();
    phone.command("ATE0").unwrap();
    for line in ["ATD+15550001111;", "AT+VTS=4", "AT+VTS=2", "AT+CHUP"] {
        let response = phone.command(line).unwrap();
        assert!(response.ends_with("OK\r\n"), "{line}: {response:?}");
    }
    assert_eq!(
        calls(),
        json!([{"number": "+15550001111", "result": "OK", "answered": true, "tones": "42", "hung_up": true}])
    );
    let (status, response) = http(addr, "POST", "/modems/0/fault", Some(r#"{"kind":"call-busy"}"#));
    assert_eq!(status, 200, "{response}");
    // The helper's final results end at OK and errors; BUSY is read for.
    phone.write(b"ATD+15550001111;\r").unwrap();
    assert_eq!(phone.read_until("BUSY\r\n").unwrap(), "\r\nBUSY\r\n");
    assert_eq!(calls()[1]["result"], "BUSY");
    assert_eq!(calls()[1]["answered"], false);
    let (status, _) = http(addr, "GET", "/modems/3/calls", None);
    assert_eq!(status, 404);
    sim.shutdown().await;
}
