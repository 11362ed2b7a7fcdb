//! The whole simulator over real PTYs, TCP and HTTP: clients type AT
//! commands into the symlinks as smsd or gammu would, and messages travel
//! through the virtual network between modems.

mod shell_support;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use modem_sim::sim::{Injection, SimConfig, SimHandle, Simulator};
use modem_sim::{Fault, TextEncoding};
use serde_json::Value;
use shell_support::{http, SerialClient, TIMEOUT};
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use sms_pdu::{Address, Deliver, Pdu, Status, StatusReport, Tpdu};

/// A running simulator in a temporary directory. Dropping it stops the
/// simulator's tasks (the handle's drop cancels them), so a failing test
/// leaves nothing behind; [`Sim::stop`] also waits and checks the links are
/// gone.
struct Sim {
    handle: SimHandle,
    dir: tempfile::TempDir,
}

impl Sim {
    async fn start(n_modems: usize, adjust: impl FnOnce(&mut SimConfig)) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let mut config = SimConfig::new(n_modems, dir.path());
        adjust(&mut config);
        let handle = Simulator::start(config).await.unwrap();
        Sim { handle, dir }
    }

    fn link(&self, index: usize) -> PathBuf {
        self.dir.path().join(format!("modem{index}"))
    }

    /// Opens modem `index` and sets it up as gammu-smsd does: echo off, numeric errors, PDU
    /// mode, `+CMTI` and `+CDSI` indications.
    fn phone(&self, index: usize) -> SerialClient {
        let mut phone = SerialClient::open(&self.link(index)).unwrap();
        for command in ["ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,2,0"] {
            let response = phone.command(command).unwrap();
            assert!(response.ends_with("OK\r\n"), "{command}: {response:?}");
        }
        phone
    }

    async fn stop(self) {
        let links: Vec<PathBuf> = (0..2).map(|index| self.link(index)).collect();
        tokio::time::timeout(TIMEOUT, self.handle.shutdown())
            .await
            .unwrap();
        for link in links {
            assert!(
                std::fs::symlink_metadata(&link).is_err(),
                "{} left behind",
                link.display()
            );
        }
    }
}

/// Sends `text` to `to` with `AT+CMGS` and returns the response to the PDU.
fn send_sms(phone: &mut SerialClient, to: &str, text: &str, report: bool) -> String {
    let mut message = OutgoingMessage::to(Address::parse_phone(to).unwrap());
    message.status_report_request = report;
    let pdus = message.text_pdus(text, &SplitOptions::default()).unwrap();
    let (length, hex) = pdus[0].to_cmgs().unwrap();
    let prompt = phone.command(&format!("AT+CMGS={length}")).unwrap();
    assert!(prompt.ends_with("> "), "{prompt:?}");
    phone.write(format!("{hex}\x1a").as_bytes()).unwrap();
    phone.read_final("the PDU").unwrap()
}

/// The `<mr>` of `+CMGS: <mr>`.
fn message_reference(response: &str) -> u8 {
    let line = response.lines().find_map(|line| line.strip_prefix("+CMGS: "));
    line.unwrap_or_else(|| panic!("no +CMGS in {response:?}"))
        .trim()
        .parse()
        .unwrap()
}

/// Waits for the URC `prefix` (`+CMTI: `) and returns the rest of its line.
fn urc(phone: &mut SerialClient, prefix: &str) -> String {
    phone.read_until(prefix).unwrap();
    phone.read_until("\r\n").unwrap().trim_end().to_owned()
}

/// The slot in `"SM",3`.
fn slot(indication: &str) -> usize {
    indication.rsplit(',').next().unwrap().parse().unwrap()
}

/// The PDUs in a `+CMGR`/`+CMGL` response: the line after each header.
fn listed_pdus(response: &str) -> Vec<Pdu> {
    let lines: Vec<&str> = response.split("\r\n").collect();
    lines
        .windows(2)
        .filter(|pair| pair[0].starts_with("+CMGR:") || pair[0].starts_with("+CMGL:"))
        .map(|pair| Pdu::decode_hex(pair[1]).unwrap().value)
        .collect()
}

fn read_slot(phone: &mut SerialClient, slot: usize) -> Pdu {
    let response = phone.command(&format!("AT+CMGR={slot}")).unwrap();
    let mut pdus = listed_pdus(&response);
    assert_eq!(pdus.len(), 1, "{response:?}");
    pdus.remove(0)
}

fn deliver(pdu: Pdu) -> Deliver {
    match pdu.tpdu {
        Tpdu::Deliver(deliver) => deliver,
        other => panic!("not a DELIVER: {other:?}"),
    }
}

fn status_report(pdu: Pdu) -> StatusReport {
    match pdu.tpdu {
        Tpdu::StatusReport(report) => report,
        other => panic!("not a STATUS-REPORT: {other:?}"),
    }
}

/// Lists the messages with `AT+CMGL=4` until there are `n_wanted`.
async fn wait_for_messages(phone: &mut SerialClient, n_wanted: usize) -> Vec<Pdu> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let pdus = listed_pdus(&phone.command("AT+CMGL=4").unwrap());
        if pdus.len() >= n_wanted {
            return pdus;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n_wanted} messages arrived",
            pdus.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_and_status_report_between_two_modems() {
    let sim = Sim::start(2, |_| {}).await;
    let mut phone0 = sim.phone(0);
    let mut phone1 = sim.phone(1);

    let response = send_sms(&mut phone0, "+4917200000001", "Hello from modem0", true);
    assert!(response.ends_with("\r\nOK\r\n"), "{response:?}");
    let mr = message_reference(&response);

    let indication = urc(&mut phone1, "+CMTI: ");
    assert!(indication.starts_with("\"SM\","), "{indication}");
    let received = deliver(read_slot(&mut phone1, slot(&indication)));
    assert_eq!(received.text().as_deref(), Some("Hello from modem0"));
    assert_eq!(received.originator.to_string(), "+4917200000000");
    assert!(received.status_report_indication);

    // The report reaches the sender, stored, with the same reference.
    let indication = urc(&mut phone0, "+CDSI: ");
    let report = status_report(read_slot(&mut phone0, slot(&indication)));
    assert_eq!(report.message_reference, mr);
    assert_eq!(report.status, Status::DELIVERED);
    assert_eq!(report.recipient.to_string(), "+4917200000001");

    let submitted = sim.handle.submitted(0).await.unwrap();
    assert_eq!(submitted.len(), 1);
    assert_eq!(sim.handle.submitted_count(0).await.unwrap(), 1);
    assert_eq!(sim.handle.submitted_count(1).await.unwrap(), 0);
    assert_eq!(submitted[0].mr, mr);
    let summary = submitted[0].summary.as_ref().unwrap();
    assert_eq!(summary.text.as_deref(), Some("Hello from modem0"));
    assert!(sim.handle.external().await.unwrap().is_empty());
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_injection_arrives_in_the_order_asked() {
    let sim = Sim::start(2, |_| {}).await;
    let mut phone1 = sim.phone(1);
    let text: String = (0..30).map(|word_idx| format!("word{word_idx:02} ")).collect();
    let injection = Injection::Text {
        from: "+37120000000".to_owned(),
        text: text.clone(),
        encoding: TextEncoding::Auto,
        class0: false,
        parts_order: Some(vec![2, 1]),
    };
    assert_eq!(sim.handle.inject(1, injection).await.unwrap(), 2);

    let parts: Vec<Deliver> = wait_for_messages(&mut phone1, 2)
        .await
        .into_iter()
        .map(deliver)
        .collect();
    let concat: Vec<_> = parts
        .iter()
        .map(|part| part.user_data.header.as_ref().unwrap().concat().unwrap())
        .collect();
    // Stored in arrival order: part 2 first.
    assert_eq!((concat[0].seq, concat[1].seq), (2, 1));
    assert_eq!(concat[0].reference, concat[1].reference);
    assert_eq!(parts[0].originator.to_string(), "+37120000000");
    let joined = parts[1].text().unwrap() + &parts[0].text().unwrap();
    assert_eq!(joined, text);

    let bad = Injection::Text {
        from: "+37120000000".to_owned(),
        text,
        encoding: TextEncoding::Auto,
        class0: false,
        parts_order: Some(vec![3]),
    };
    let err = sim.handle.inject(1, bad).await.unwrap_err();
    assert!(err.to_string().starts_with("parts_order: no part 3"), "{err}");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_api_over_http() {
    let sim = Sim::start(2, |config| config.control = Some("127.0.0.1:0".parse().unwrap())).await;
    let addr = sim.handle.control_addr().unwrap();
    let json = |body: &str| serde_json::from_str::<Value>(body).unwrap();

    let (status, body) = http(addr, "GET", "/modems", None);
    assert_eq!(status, 200, "{body}");
    let modems = json(&body);
    assert_eq!(modems.as_array().unwrap().len(), 2);
    assert_eq!(modems[1]["path"], sim.link(1).display().to_string());
    assert_eq!(modems[1]["msisdn"], "4917200000001");
    assert!(modems[1]["pts"].as_str().unwrap().starts_with("/dev/pts/"));

    // Bad requests name the field.
    for (path, body, field) in [
        (
            "/modems/1/inject",
            r#"{"from":"+1555","text":"hi","encoding":"utf8"}"#,
            "encoding",
        ),
        (
            "/modems/1/inject",
            r#"{"from":"+1555","text":"hi","parts_ordr":[1]}"#,
            "parts_ordr",
        ),
        ("/modems/1/inject", r#"{"text":"hi"}"#, "from"),
        ("/modems/1/inject", r#"{"from":"+1555","pdu":"zz"}"#, "pdu"),
        ("/modems/1/inject", "[1]", "body"),
        ("/modems/x/replug", "", "index"),
        ("/modems/0/fault", r#"{"kind":"lightning"}"#, "kind"),
        ("/modems/0/fault", r#"{"kind":"cms-error","code":"38"}"#, "code"),
        ("/modems/0/fault", r#"{"kind":"hang","ms":5}"#, "ms"),
        ("/modems/0/status-report", r#"{"mr":300}"#, "mr"),
    ] {
        let (status, response) = http(addr, "POST", path, Some(body));
        assert_eq!(status, 400, "{path} {body}: {response}");
        let error = json(&response)["error"].as_str().unwrap().to_owned();
        assert!(error.starts_with(&format!("{field}: ")), "{path} {body}: {error}");
    }
    let (status, response) = http(addr, "POST", "/modems/7/replug", None);
    assert_eq!(
        (status, json(&response)["error"].as_str().unwrap()),
        (404, "no modem 7")
    );

    // Inject, then see it stored.
    let (status, response) = http(
        addr,
        "POST",
        "/modems/1/inject",
        Some(r#"{"from":"+15551234","text":"via http"}"#),
    );
    assert_eq!((status, json(&response)), (200, serde_json::json!({"parts": 1})));
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let (_, response) = http(addr, "GET", "/modems/1", None);
        if json(&response)["sm"]["used"] == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "never stored: {response}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // USSD answers come from the table.
    let (status, _) = http(
        addr,
        "PUT",
        "/modems/0/ussd",
        Some(r#"{"code":"*100#","answer":"Your balance is 10.00 EUR"}"#),
    );
    assert_eq!(status, 200);
    let mut phone0 = sim.phone(0);
    assert!(phone0
        .command("AT+CUSD=1,\"*100#\",15")
        .unwrap()
        .ends_with("OK\r\n"));
    assert_eq!(urc(&mut phone0, "+CUSD: "), "0,\"Your balance is 10.00 EUR\",15");

    // A fault makes the next send fail.
    let (status, _) = http(
        addr,
        "POST",
        "/modems/0/fault",
        Some(r#"{"kind":"cms-error","code":38}"#),
    );
    assert_eq!(status, 200);
    let response = send_sms(&mut phone0, "+15550001111", "fails", false);
    assert!(response.ends_with("+CMS ERROR: 38\r\n"), "{response:?}");

    // A number outside the network lands in the external log.
    let response = send_sms(&mut phone0, "+15550001111", "to the world", false);
    let mr = message_reference(&response);
    let (status, response) = http(addr, "GET", "/external", None);
    assert_eq!(status, 200);
    let external = json(&response);
    assert_eq!(external.as_array().unwrap().len(), 1, "{response}");
    assert_eq!(external[0]["to"], "+15550001111");
    assert_eq!(external[0]["text"], "to the world");
    assert_eq!(external[0]["mr"], mr);
    let (_, response) = http(addr, "GET", "/modems/0/submitted", None);
    assert_eq!(json(&response)[0]["text"], "to the world");

    // An injected report with a failure status, about that message.
    let body = format!(r#"{{"mr":{mr},"status":70}}"#);
    let (status, response) = http(addr, "POST", "/modems/0/status-report", Some(&body));
    assert_eq!(status, 200, "{response}");
    let indication = urc(&mut phone0, "+CDSI: ");
    let report = status_report(read_slot(&mut phone0, slot(&indication)));
    assert_eq!((report.message_reference, report.status), (mr, Status(70)));
    assert_eq!(report.recipient.to_string(), "+15550001111");

    // Replug over HTTP: a new PTY behind the same link.
    let old_pts = json(&http(addr, "GET", "/modems/0", None).1)["pts"].clone();
    let (status, _) = http(addr, "POST", "/modems/0/replug", None);
    assert_eq!(status, 200);
    assert_ne!(json(&http(addr, "GET", "/modems/0", None).1)["pts"], old_pts);
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replug_gives_a_new_pty_and_a_fresh_modem() {
    let sim = Sim::start(2, |_| {}).await;
    let mut old_phone = sim.phone(0);
    let old_pts = sim.handle.modem(0).await.unwrap().pts.unwrap();

    sim.handle.replug(0).await.unwrap();
    let new_pts = sim.handle.modem(0).await.unwrap().pts.unwrap();
    assert_ne!(new_pts, old_pts);
    assert_eq!(std::fs::read_link(sim.link(0)).unwrap(), new_pts);
    assert!(old_phone.write(b"AT\r").is_err(), "the old PTY still takes bytes");

    // Power cycled: echo is back on.
    let mut phone = SerialClient::open(&sim.link(0)).unwrap();
    assert_eq!(phone.command("AT").unwrap(), "AT\r\r\nOK\r\n");
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplugged_modem_comes_back_and_gets_what_was_held() {
    let sim = Sim::start(2, |config| {
        config.replug_pause = Duration::from_millis(200);
        config.retry_interval = Duration::from_millis(50);
    })
    .await;
    let mut phone = sim.phone(1);
    sim.handle.fault(1, Fault::Unplug).await.unwrap();
    assert!(
        std::fs::symlink_metadata(sim.link(1)).is_err(),
        "link still there while unplugged"
    );
    assert!(phone.write(b"AT\r").is_err());

    let injection = Injection::Pdu(
        // "hi" from +4917200000000, no SMSC address.
        sms_pdu::decode_hex("00040D91947102000000F000006211129100000002E834").unwrap(),
    );
    sim.handle.inject(1, injection).await.unwrap();

    let deadline = Instant::now() + TIMEOUT;
    while std::fs::symlink_metadata(sim.link(1)).is_err() {
        assert!(Instant::now() < deadline, "never plugged back in");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut phone = sim.phone(1);
    let pdus = wait_for_messages(&mut phone, 1).await;
    assert_eq!(deliver(pdus[0].clone()).text().as_deref(), Some("hi"));
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn air_time_delays_delivery() {
    let air_time = Duration::from_millis(300);
    let sim = Sim::start(2, |config| config.air_time = air_time).await;
    let mut phone0 = sim.phone(0);
    let mut phone1 = sim.phone(1);
    send_sms(&mut phone0, "+4917200000001", "slow", false);
    let sent = Instant::now();
    urc(&mut phone1, "+CMTI: ");
    // Measured from after +CMGS, so a little of the air time has passed.
    assert!(
        sent.elapsed() >= air_time - Duration::from_millis(100),
        "{:?}",
        sent.elapsed()
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_fault_holds_back_the_answer_but_not_the_echo() {
    let sim = Sim::start(1, |_| {}).await;
    let delay = Duration::from_millis(500);
    sim.handle.fault(0, Fault::Delay { ms: 500 }).await.unwrap();
    let mut phone = SerialClient::open(&sim.link(0)).unwrap();
    let started = Instant::now();
    phone.write(b"AT\r").unwrap();
    assert_eq!(phone.read_until("AT\r").unwrap(), "AT\r");
    // The echo comes from the UART at once; the bound is loose for a busy
    // machine, the answer's is exact.
    assert!(
        started.elapsed() < delay - Duration::from_millis(100),
        "echo took {:?}",
        started.elapsed()
    );
    assert_eq!(phone.read_final("AT").unwrap(), "\r\nOK\r\n");
    assert!(started.elapsed() >= delay, "answer took {:?}", started.elapsed());
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_port_reaches_the_same_modem() {
    let sim = Sim::start(2, |config| config.tcp = Some("127.0.0.1:0".parse().unwrap())).await;
    let info = sim.handle.modem(1).await.unwrap();
    let mut stream = std::net::TcpStream::connect_timeout(&info.tcp.unwrap(), TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.write_all(b"AT+CNUM\r").unwrap();
    let mut received = Vec::new();
    while !received.ends_with(b"OK\r\n") {
        let mut buf = [0u8; 256];
        let n_read = stream.read(&mut buf).unwrap();
        assert!(
            n_read > 0,
            "closed after {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buf[..n_read]);
    }
    assert!(
        String::from_utf8_lossy(&received).contains("4917200000001"),
        "{received:?}"
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configs_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut twins = SimConfig::new(2, dir.path());
    twins.modems[1].name = "modem0".to_owned();
    let mut exposed = SimConfig::new(1, dir.path());
    exposed.control = Some("0.0.0.0:0".parse().unwrap());
    let mut busy = SimConfig::new(1, dir.path());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    busy.control = Some(taken.local_addr().unwrap());
    for (config, expected) in [
        (twins, "modems: modem 1: name \"modem0\" is taken"),
        (exposed, "control: 0.0.0.0:0 is not a loopback address"),
        (busy, "listening on 127.0.0.1:"),
    ] {
        let err = Simulator::start(config).await.unwrap_err();
        assert!(err.to_string().starts_with(expected), "{err}");
    }
    // The failed starts left no links behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Under AT+CSMS=1 the shell keeps a routed message's delivery open until
/// AT+CNMA: the sender's "delivered" report comes only then. A message the
/// client never acknowledges is refused when the modem's clock runs out,
/// and the network's retry is stored (the modem turned routing off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routed_message_waits_for_its_acknowledgement() {
    let sim = Sim::start(2, |config| {
        config.ack_timeout = Duration::from_millis(300);
        config.retry_interval = Duration::from_millis(50);
    })
    .await;
    let mut phone0 = sim.phone(0);
    let mut phone1 = sim.phone(1);
    let response = phone1.command("AT+CSMS=1;+CNMI=2,2,0,1,0").unwrap();
    assert!(response.ends_with("OK\r\n"), "{response:?}");

    let mr = message_reference(&send_sms(&mut phone0, "+4917200000001", "ack me", true));
    urc(&mut phone1, "+CMT: ");
    // Acknowledged: now, and only now, the report is due.
    let response = phone1.command("AT+CNMA").unwrap();
    assert!(response.ends_with("OK\r\n"), "{response:?}");
    let indication = urc(&mut phone0, "+CDSI: ");
    let report = status_report(read_slot(&mut phone0, slot(&indication)));
    assert_eq!((report.message_reference, report.status), (mr, Status::DELIVERED));

    // Never acknowledged: shown, refused at the timeout, retried, stored.
    let mr = message_reference(&send_sms(&mut phone0, "+4917200000001", "ignored", true));
    urc(&mut phone1, "+CMT: ");
    let stored = wait_for_messages(&mut phone1, 1).await;
    assert_eq!(deliver(stored[0].clone()).text().as_deref(), Some("ignored"));
    let response = phone1.command("AT+CNMI?").unwrap();
    assert!(response.contains("+CNMI: 2,0,0,0,0"), "{response:?}");
    let indication = urc(&mut phone0, "+CDSI: ");
    let report = status_report(read_slot(&mut phone0, slot(&indication)));
    assert_eq!((report.message_reference, report.status), (mr, Status::DELIVERED));
    sim.stop().await;
}

/// Issue 10 item 21: a raw USSD answer (RouterOS's example), a modem's
/// stored messages, and the concatenation header of what was submitted
/// and received, over the control API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_api_raw_ussd_messages_and_multipart_headers() {
    let sim = Sim::start(2, |config| config.control = Some("127.0.0.1:0".parse().unwrap())).await;
    let addr = sim.handle.control_addr().unwrap();
    let json = |body: &str| serde_json::from_str::<Value>(body).unwrap();

    for (body, field) in [
        (r#"{"code":"*245#","raw":"EBB79B1E0685E9ECF4BADE9E0"}"#, "raw"),
        (r#"{"code":"*245#","raw":"konta\"","dcs":15}"#, "raw"),
        (r#"{"code":"*245#","raw":"EBB7"}"#, "dcs"),
        (r#"{"code":"*245#","raw":"EBB7","dcs":300}"#, "dcs"),
        (r#"{"code":"*245#","answer":"hi","dcs":15}"#, "dcs"),
        (
            r#"{"code":"*245#","answer":"hi","raw":"EBB7","dcs":15}"#,
            "answer",
        ),
        (r#"{"code":"*245#"}"#, "answer"),
    ] {
        let (status, response) = http(addr, "PUT", "/modems/0/ussd", Some(body));
        assert_eq!(status, 400, "{body}: {response}");
        let error = json(&response)["error"].as_str().unwrap().to_owned();
        assert!(error.starts_with(&format!("{field}: ")), "{body}: {error}");
    }
    let (status, response) = http(
        addr,
        "PUT",
        "/modems/0/ussd",
        Some(r#"{"code":"*245#","raw":"EBB79B1E0685E9ECF4BADE9E03","dcs":15}"#),
    );
    assert_eq!(status, 200, "{response}");
    let mut phone0 = sim.phone(0);
    assert!(phone0
        .command("AT+CUSD=1,\"*245#\",15")
        .unwrap()
        .ends_with("OK\r\n"));
    assert_eq!(urc(&mut phone0, "+CUSD: "), "0,\"EBB79B1E0685E9ECF4BADE9E03\",15");

    // A two-part text to modem 1, listed with its headers.
    let long_text = "x".repeat(200);
    let body = format!(r#"{{"from":"+15551234","text":"{long_text}"}}"#);
    let (status, response) = http(addr, "POST", "/modems/1/inject", Some(&body));
    assert_eq!((status, json(&response)["parts"].clone()), (200, Value::from(2)));
    let deadline = Instant::now() + TIMEOUT;
    let listed = loop {
        let (status, response) = http(addr, "GET", "/modems/1/messages", None);
        assert_eq!(status, 200, "{response}");
        let listed = json(&response);
        if listed.as_array().unwrap().len() == 2 {
            break listed;
        }
        assert!(Instant::now() < deadline, "never stored: {response}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for (part_idx, part) in listed.as_array().unwrap().iter().enumerate() {
        assert_eq!(part["mem"], "SM");
        assert_eq!(part["index"], part_idx + 1);
        assert_eq!(part["stat"], "REC UNREAD");
        assert_eq!(part["type"], "deliver");
        assert_eq!(part["from"], "+15551234");
        assert_eq!(part["concat"]["sequence"], part_idx + 1);
        assert_eq!(part["concat"]["total"], 2);
        assert_eq!(part["concat"]["reference"], listed[0]["concat"]["reference"]);
    }
    let (status, response) = http(addr, "GET", "/modems/9/messages", None);
    assert_eq!(status, 404, "{response}");

    // What modem 0 submits in two parts shows the header it wrote.
    let message = OutgoingMessage::to(Address::parse_phone("+15550001111").unwrap());
    let pdus = message
        .text_pdus(
            &long_text,
            &SplitOptions {
                reference: 77,
                ..SplitOptions::default()
            },
        )
        .unwrap();
    for pdu in &pdus {
        let (length, hex) = pdu.to_cmgs().unwrap();
        assert!(phone0
            .command(&format!("AT+CMGS={length}"))
            .unwrap()
            .ends_with("> "));
        phone0.write(format!("{hex}\x1a").as_bytes()).unwrap();
        assert!(phone0.read_final("the PDU").unwrap().ends_with("OK\r\n"));
    }
    let (_, response) = http(addr, "GET", "/modems/0/submitted", None);
    let submitted = json(&response);
    for (part_idx, part) in submitted.as_array().unwrap().iter().enumerate() {
        assert_eq!(
            part["concat"],
            serde_json::json!({"reference": 77, "sequence": part_idx + 1, "total": 2})
        );
    }
    // A message in one part has none.
    send_sms(&mut phone0, "+15550001111", "short", false);
    let (_, response) = http(addr, "GET", "/modems/0/submitted", None);
    assert_eq!(json(&response)[2]["concat"], Value::Null);
    sim.stop().await;
}
