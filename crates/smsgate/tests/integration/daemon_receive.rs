//! `smsgate run`, receive side: what arrives at a simulated modem becomes
//! a file in `incoming/` or `report/`, and leaves the SIM only then.
//! The real binary on the in-process simulator, on `spool_bench`.

use std::fs;
use std::path::{Path, PathBuf};

use modem_sim::sim::Injection;
use modem_sim::{Fault, InjectedText, SimState, TextEncoding};
use sms_pdu::Timestamp;

use crate::spool_bench::{alarm_fields, header_values, wait_for_lines, Setup, SpoolBench};
use crate::util::TestCommand;

/// The files of `dir` whose names start with `prefix`, sorted.
pub(crate) fn files(dir: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .filter(|name| name.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub(crate) fn body(file: &str) -> &str {
    file.split_once("\n\n").map_or("", |(_, body)| body)
}

pub(crate) fn inject_text(
    bench: &SpoolBench,
    modem: usize,
    from: &str,
    text: &str,
    encoding: TextEncoding,
    order: Option<Vec<usize>>,
) {
    let injection = Injection::Text {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding,
        class0: false,
        parts_order: order,
    };
    bench.inject(modem, injection);
}

/// Two simulated modems, both receiving.
fn receiving() -> SpoolBench {
    SpoolBench::build(Setup {
        n_modems: 2,
        modem_keys: &["receive = true"; 2],
        ..Setup::default()
    })
}

/// Waits for modem0's one report in `report/`, of the sent file `name`
/// whose body was `text`: the report names the file and the part and
/// has the message id in its body, as smsd; the sent file records the
/// report. Returns the report's path and the message id.
fn expect_report(bench: &SpoolBench, name: &str, text: &str) -> (PathBuf, String) {
    let report_dir = bench.spool("report");
    bench.wait("a report file", || files(&report_dir, "modem0.").len() == 1);
    let report_path = report_dir.join(&files(&report_dir, "modem0.")[0]);
    let report = fs::read_to_string(&report_path).unwrap();
    assert_eq!(header_values(&report, "Sent_file"), [name]);
    assert_eq!(header_values(&report, "Sent_part"), ["1/1"]);
    assert!(
        report.contains("\nStatus: 0,Ok,short message received by the SME"),
        "{report}"
    );
    let sent_path = bench.spool("sent").join(name);
    bench.wait("the sent file records the report", || {
        fs::read_to_string(&sent_path)
            .unwrap()
            .contains("Status_report: Message_id ")
    });
    let sent = fs::read_to_string(&sent_path).unwrap();
    let message_id = header_values(&sent, "Message_id")[0].clone();
    assert_eq!(
        header_values(&report, "Message_id"),
        Vec::<String>::new(),
        "in the body, as smsd"
    );
    assert!(
        report.contains(&format!("\nMessage_id: {message_id}\n")),
        "{report}"
    );
    assert!(sent.ends_with(&format!("\n\n{text}\n")), "{sent}");
    (report_path, message_id)
}

#[test]
fn messages_become_incoming_files_then_leave_the_sim_and_reports_link_to_sent_files() {
    let mut bench = receiving();
    let events = bench.eventhandler();
    bench.start_daemon();
    let incoming = bench.spool("incoming");

    inject_text(
        &bench,
        1,
        "+37120000000",
        "Sveiki, €uro [ok]",
        TextEncoding::Gsm7,
        None,
    );
    let long = "Ünïcödé 🙂 text in three parts. ".repeat(6);
    inject_text(
        &bench,
        1,
        "+37120000001",
        &long,
        TextEncoding::Ucs2,
        Some(vec![3, 1, 2]),
    );
    bench.wait("two incoming files", || files(&incoming, "modem1.").len() == 2);
    let mut texts: Vec<(String, String)> = files(&incoming, "modem1.")
        .iter()
        .map(|name| fs::read_to_string(incoming.join(name)).unwrap())
        .map(|file| (header_values(&file, "From")[0].clone(), file))
        .collect();
    texts.sort();
    let (short, whole) = (&texts[0].1, &texts[1].1);
    assert_eq!(header_values(short, "From"), ["37120000000"]);
    assert_eq!(
        header_values(short, "From_TOA"),
        ["91 international, ISDN/telephone"]
    );
    assert_eq!(header_values(short, "Modem"), ["modem1"]);
    assert_eq!(header_values(short, "Subject"), ["modem1"]);
    assert_eq!(header_values(short, "Alphabet"), ["UTF-8"]);
    assert_eq!(header_values(short, "IMSI").len(), 1);
    assert_eq!(body(short), "Sveiki, €uro [ok]");
    // Three parts, out of order, one file with the whole text.
    assert_eq!(body(whole), long);
    assert!(header_values(whole, "Incomplete").is_empty(), "{whole}");
    // Gone from the SIM once written.
    bench.wait("modem1's SIM is empty", || bench.n_stored(1) == 0);
    // The eventhandler heard of both, with smsd's arguments.
    let mut lines = wait_for_lines(&events, 2);
    lines.sort();
    for (line, name) in lines.iter().zip(files(&incoming, "modem1.")) {
        assert_eq!(*line, format!("RECEIVED|{}|", incoming.join(name).display()));
    }

    // A message with a report requested, from modem0 to modem1: the
    // report comes back to modem0, names the sent file, and the sent file
    // records it.
    let to = SpoolBench::number(1);
    bench.drop_file("want-report", &format!("To: {to}\nReport: yes\n\nreport me\n"));
    bench.wait_for_file("sent", "want-report");
    expect_report(&bench, "want-report", "report me");
    // And modem1 received the message itself.
    bench.wait("modem1 got the message", || {
        files(&incoming, "modem1.").len() == 3
    });
    bench.stop_daemon();
}

#[test]
fn stored_messages_are_read_at_start_and_parts_wait_on_disk_across_restarts_until_the_timeout() {
    let mut bench = receiving();
    bench.edit_config(|config| format!("{config}\n[limits]\nincomplete-after-s = 3\n"));
    // Arrived while no daemon ran.
    inject_text(
        &bench,
        0,
        "+37120000002",
        "while you were away",
        TextEncoding::Auto,
        None,
    );
    let long = "part of a long message ".repeat(16);
    inject_text(
        &bench,
        0,
        "+37120000003",
        &long,
        TextEncoding::Gsm7,
        Some(vec![1, 3]),
    );
    bench.wait("three PDUs in modem0's SIM", || bench.n_stored(0) == 3);
    bench.start_daemon();
    let incoming = bench.spool("incoming");
    bench.wait("the stored message is written", || {
        files(&incoming, "modem0.").len() == 1
    });
    bench.wait("the SIM is empty", || bench.n_stored(0) == 0);
    let parts = bench.dir.path().join("spool/smsgate.parts/modem0");
    // The single message's part is removed just after its file is
    // written, which may be after the SIM emptied: wait for it, rather
    // than look once.
    bench.wait("parts 1 and 3 wait on disk, alone", || {
        files(&parts, "").len() == 2
    });
    // A restart keeps them; the wait runs out and what came is written.
    bench.stop_daemon();
    bench.start_daemon();
    bench.wait("the incomplete message is written", || {
        files(&incoming, "modem0.").len() == 2
    });
    let written: Vec<String> = files(&incoming, "modem0.")
        .iter()
        .map(|name| fs::read_to_string(incoming.join(name)).unwrap())
        .collect();
    let incomplete = written.iter().find(|file| file.contains("Incomplete")).unwrap();
    assert_eq!(header_values(incomplete, "Incomplete"), ["yes"]);
    assert_eq!(header_values(incomplete, "Missing_parts"), ["2"]);
    assert!(
        body(incomplete).starts_with("part of a long message"),
        "{incomplete}"
    );
    assert!(written.iter().any(|file| body(file) == "while you were away"));
    // Removed once the file is durable, so just after it appears.
    bench.wait("the parts are removed", || files(&parts, "").is_empty());
    bench.stop_daemon();
}

pub(crate) fn inject_pdu(bench: &SpoolBench, modem: usize, pdu: Vec<u8>) {
    bench.inject(modem, Injection::Pdu(pdu));
}

/// A one-part SMS-DELIVER from `from` with the service centre's time stamp
/// `scts`, as the network would hand it over.
pub(crate) fn deliver_pdu(from: &str, text: &str, scts: Timestamp) -> Vec<u8> {
    let injected = InjectedText {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding: TextEncoding::Gsm7,
        class0: false,
        reference: 0,
    };
    let mut pdus = injected.deliver_pdus("+15555550000", scts).unwrap();
    assert_eq!(pdus.len(), 1, "{text:?} is one part");
    pdus.remove(0)
}

pub(crate) fn timestamp(year: u8, month: u8, day: u8, second: u8) -> Timestamp {
    Timestamp {
        year,
        month,
        day,
        hour: 12,
        minute: 0,
        second,
        tz_quarters: 0,
    }
}

/// `smsgate inbox PORT --json` with `extra` arguments, as (index, text):
/// through the daemon's control socket while it runs (the modem's storage,
/// listed between the daemon's own commands; for a modem it receives for,
/// what it wrote to `incoming/`), from the port otherwise.
fn inbox_texts_with(bench: &SpoolBench, port: &str, extra: &[&str]) -> Vec<(u64, String)> {
    let listed = TestCommand::new(["inbox", port, "--json", "--config"])
        .args([bench.config()])
        .args(extra)
        .json();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|message| {
            let text = message["message"].as_str().unwrap().to_owned();
            (message["index"].as_u64().unwrap(), text)
        })
        .collect()
}

fn inbox_texts(bench: &SpoolBench, port: &str) -> Vec<(u64, String)> {
    inbox_texts_with(bench, port, &[])
}

/// The texts of the files in `incoming/` of modem `modem`, sorted.
fn incoming_bodies(bench: &SpoolBench, modem: &str) -> Vec<String> {
    let incoming = bench.spool("incoming");
    let mut bodies: Vec<String> = files(&incoming, &format!("{modem}."))
        .iter()
        .map(|name| body(&fs::read_to_string(incoming.join(name)).unwrap()).to_owned())
        .collect();
    bodies.sort();
    bodies
}

/// `smsgate at-chat PORT COMMAND` through the daemon's control socket
/// (queued between the daemon's own commands to the modem): what it prints.
fn at_chat(bench: &SpoolBench, port: &str, command: &str, extra: &[&str]) -> String {
    TestCommand::new(["at-chat", port, command, "--config"])
        .args([bench.config()])
        .args(extra)
        .stdout()
}

/// Waits until modem `modem`'s receive task has started: its first listing
/// is then queued, so a command sent through the daemon after this is
/// answered after it, and what is injected after that answer cannot be in
/// that listing.
fn wait_until_listed(bench: &SpoolBench, modem: &str) {
    let started = format!("modem {modem}: receiving");
    bench.wait(&format!("{modem} receives"), || bench.log().contains(&started));
    at_chat(bench, modem, "AT", &[]);
}

#[test]
fn with_new_message_indications_off_polling_lists_the_storage_and_a_reconnect_does_too() {
    let mut bench = receiving();
    for index in 0..2 {
        // The modem keeps new messages to itself: no +CMTI, no +CMT.
        bench.section_keys(&format!("ports.modem{index}"), "init = [\"AT+CNMI=0,0,0,0,0\"]");
    }
    bench.section_keys("modems.modem0", "polling = true");
    bench.start_daemon();
    wait_until_listed(&bench, "modem0");
    wait_until_listed(&bench, "modem1");

    inject_text(
        &bench,
        0,
        "+37120000010",
        "found by polling",
        TextEncoding::Gsm7,
        None,
    );
    inject_text(
        &bench,
        1,
        "+37120000011",
        "found at a reconnect",
        TextEncoding::Gsm7,
        None,
    );
    bench.wait("both are stored", || {
        bench.n_stored(0) == 1 && bench.n_stored(1) == 1
    });
    // modem0 lists its storage every 10 s.
    bench.wait("the poll finds modem0's message", || {
        incoming_bodies(&bench, "modem0").len() == 1
    });
    assert_eq!(incoming_bodies(&bench, "modem0"), ["found by polling"]);
    bench.wait("modem0's SIM is empty", || bench.n_stored(0) == 0);
    // modem1, on the same settings without polling, was not told of its
    // message, which came at the same time: indications are really off.
    assert_eq!(incoming_bodies(&bench, "modem1"), Vec::<String>::new());
    assert_eq!(bench.n_stored(1), 1);
    // Unplugged and back: the storage is listed at the reconnect.
    bench.runtime.block_on(bench.sim().replug(1)).unwrap();
    bench.wait("the reconnect finds modem1's message", || {
        incoming_bodies(&bench, "modem1").len() == 1
    });
    assert_eq!(incoming_bodies(&bench, "modem1"), ["found at a reconnect"]);
    bench.wait("modem1's SIM is empty", || bench.n_stored(1) == 0);
    bench.stop_daemon();
}

#[test]
fn routed_messages_and_reports_come_as_cmt_and_cds_and_reports_link_to_sent_files() {
    let mut bench = receiving();
    for index in 0..2 {
        // Messages as +CMT, reports as +CDS, neither stored.
        bench.section_keys(&format!("ports.modem{index}"), "init = [\"AT+CNMI=2,2,0,1,0\"]");
        // What would be stored is held back by the network for ever: what
        // arrives can only have come routed.
        bench.fault(index, Fault::SimFull);
    }
    let events = bench.eventhandler();
    bench.start_daemon();

    inject_text(
        &bench,
        1,
        "+37120000012",
        "routed to you",
        TextEncoding::Gsm7,
        None,
    );
    let to = SpoolBench::number(1);
    bench.drop_file("routed-report", &format!("To: {to}\nReport: yes\n\nroute me\n"));
    bench.wait_for_file("sent", "routed-report");
    bench.wait("modem1 received both", || {
        incoming_bodies(&bench, "modem1").len() == 2
    });
    assert_eq!(incoming_bodies(&bench, "modem1"), ["route me", "routed to you"]);
    let (report, message_id) = expect_report(&bench, "routed-report", "route me");
    assert_eq!((bench.n_stored(0), bench.n_stored(1)), (0, 0));
    assert!(files(&bench.spool("incoming"), "modem0.").is_empty());
    // The eventhandler: SENT, two RECEIVED, and REPORT with the reference.
    let mut lines = wait_for_lines(&events, 4);
    lines.sort();
    let incoming = bench.spool("incoming");
    let mut expected: Vec<String> = files(&incoming, "modem1.")
        .iter()
        .map(|name| format!("RECEIVED|{}|", incoming.join(name).display()))
        .collect();
    expected.push(format!("REPORT|{}|{message_id}|", report.display()));
    let sent = bench.spool("sent").join("routed-report");
    expected.push(format!("SENT|{}|{message_id}|", sent.display()));
    expected.sort();
    assert_eq!(lines, expected);
    bench.stop_daemon();
}

#[test]
fn auto_erase_deletes_the_oldest_message_of_a_full_sim_and_without_it_the_sim_is_left_alone() {
    let mut bench = SpoolBench::new(2, "");
    // Neither receives; only modem0 auto-erases.
    bench.section_keys("modems.modem0", "receive = false\nauto-erase = true");
    bench.section_keys("modems.modem1", "receive = false");
    let alarms = bench.alarmhandler(5);
    let capacity = bench.runtime.block_on(bench.sim().modem(0)).unwrap().sm.1;
    // Slots 1 to 20 in order of arrival; by time stamp, slot 7 is the
    // oldest (a year earlier), so the order of slots does not decide.
    for modem in 0..2 {
        for slot in 1..=capacity {
            let scts = match slot {
                7 => timestamp(25, 6, 1, 0),
                _ => timestamp(26, 1, 1, slot as u8),
            };
            inject_pdu(
                &bench,
                modem,
                deliver_pdu("+37120000013", &format!("message {slot}"), scts),
            );
        }
    }
    bench.wait("both SIMs are full", || {
        bench.n_stored(0) == capacity && bench.n_stored(1) == capacity
    });
    // Two more for modem0, one for modem1, which the network holds while
    // the SIM is full and offers again every second.
    let newest = |n: u8| deliver_pdu("+37120000013", &format!("newest {n}"), timestamp(26, 1, 2, n));
    inject_pdu(&bench, 0, newest(1));
    inject_pdu(&bench, 0, newest(2));
    inject_pdu(&bench, 1, newest(1));
    bench.start_daemon();
    // modem0: full at the start, so the oldest (slot 7) goes and newest 1
    // comes; full again at its +CMTI, so slot 1 goes and newest 2 comes;
    // and full again at that one's +CMTI, so slot 2 goes: a slot is kept
    // free for the next message.
    let full = "message storage full (20/20): new messages cannot arrive; auto-erase deletes the oldest";
    let mut expected_alarms = vec![("2".to_owned(), "modem0".to_owned(), full.to_owned()); 3];
    for slot in [7, 1, 2] {
        let deleted = format!("auto-erase: storage full, deleted message {slot} unread");
        expected_alarms.push(("3".to_owned(), "modem0".to_owned(), deleted));
    }
    expected_alarms.sort();
    let lines = wait_for_lines(&alarms, expected_alarms.len());
    let mut raised: Vec<(String, String, String)> = lines.iter().map(|line| alarm_fields(line)).collect();
    raised.sort();
    assert_eq!(raised, expected_alarms);
    let originals: Vec<(u64, String)> = (1..=capacity as u64)
        .map(|slot| (slot, format!("message {slot}")))
        .collect();
    let mut erased: Vec<(u64, String)> = originals.iter().filter(|(slot, _)| *slot != 2).cloned().collect();
    erased[0].1 = "newest 2".to_owned();
    erased[5].1 = "newest 1".to_owned();
    bench.wait("modem0 holds the two newest", || {
        inbox_texts(&bench, "modem0") == erased
    });
    // modem1's SIM is as it was, its newest still held by the network;
    // nothing was received on either.
    assert_eq!(inbox_texts(&bench, "modem1"), originals);
    assert!(files(&bench.spool("incoming"), "").is_empty());
    bench.stop_daemon();
    assert_eq!(
        fs::read_to_string(&alarms).unwrap().lines().count(),
        expected_alarms.len()
    );
}

#[test]
fn a_pin_locked_sim_on_the_second_channel_receives_into_the_phone_store() {
    let mut bench = SpoolBench::new(1, "");
    let device = bench.device(0);
    let absent = bench.dir.path().join("dev/no-such-interface");
    bench.edit_config(|config| {
        config.replace(
            &format!("device = {:?}\n", device.display().to_string()),
            &format!(
                "devices = [{:?}, {:?}]\nsim-pin = \"0000\"\nsms-storage = \"modem\"\n",
                absent.display().to_string(),
                device.display().to_string()
            ),
        )
    });
    bench.section_keys("modems.modem0", "receive = true\nchannel = 1");
    // On the SIM before the daemon: the daemon reads the phone's store
    // only, so this one stays.
    inject_text(
        &bench,
        0,
        "+37120000014",
        "kept on the SIM",
        TextEncoding::Gsm7,
        None,
    );
    bench.wait("it is on the SIM", || bench.n_stored(0) == 1);
    bench.fault(0, Fault::PinRequired);
    let info = bench.runtime.block_on(bench.sim().modem(0)).unwrap();
    assert_eq!(info.sim, SimState::PinRequired { tries_left: 3 });
    // Off the network until the PIN is entered: held, then delivered.
    inject_text(
        &bench,
        0,
        "+37120000015",
        "into the phone",
        TextEncoding::Gsm7,
        None,
    );
    bench.start_daemon();
    bench.wait("the message is received", || {
        incoming_bodies(&bench, "modem0").len() == 1
    });
    assert_eq!(incoming_bodies(&bench, "modem0"), ["into the phone"]);
    bench.wait("the phone's store is empty", || {
        bench.runtime.block_on(bench.sim().modem(0)).unwrap().me.0 == 0
    });
    let info = bench.runtime.block_on(bench.sim().modem(0)).unwrap();
    assert_eq!(info.sim, SimState::Ready);
    assert_eq!((info.sm.0, info.me.0), (1, 0));
    // Through the daemon (the port's channel 1): it reads the phone's store.
    let storage = at_chat(&bench, "modem0", "AT+CPMS?", &["--channel", "1"]);
    assert!(
        storage.contains("+CPMS: \"ME\",0,30,\"ME\",0,30,\"ME\",0,30"),
        "{storage}"
    );
    // Without --channel, the daemon's modem on that port is meant (not
    // channel 0, a missing device).
    assert_eq!(at_chat(&bench, "modem0", "AT+CPMS?", &[]), storage);
    // (numbered by its file, not by a storage index: `daemon/inbox.rs`)
    let texts: Vec<String> = inbox_texts_with(&bench, "modem0", &[])
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    assert_eq!(texts, ["into the phone"]);
    bench.stop_daemon();
    let channel = ["--channel", "1"];
    assert_eq!(inbox_texts_with(&bench, "modem0", &channel), []);
    assert_eq!(
        inbox_texts_with(&bench, "modem0", &["--channel", "1", "--sms-storage", "sim"]),
        [(1, "kept on the SIM".to_owned())]
    );
}
