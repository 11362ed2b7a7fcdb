//! `smsgate run`, receive side: what arrives at a simulated modem becomes
//! a file in `incoming/` or `report/`, and leaves the SIM only then.
//! The real binary on the in-process simulator, with `daemon.rs`'s bench.

use std::fs;
use std::path::Path;

use modem_sim::sim::Injection;
use modem_sim::TextEncoding;
use nix::sys::signal::Signal;

use crate::daemon::{header_values, wait_for_lines, SpoolBench};

/// The files of `dir` whose names start with `prefix`, sorted.
fn files(dir: &Path, prefix: &str) -> Vec<String> {
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

fn body(file: &str) -> &str {
    file.split_once("\n\n").map_or("", |(_, body)| body)
}

fn inject_text(bench: &SpoolBench, modem: usize, from: &str, text: &str, encoding: TextEncoding, order: Option<Vec<usize>>) {
    let injection = Injection::Text {
        from: from.to_owned(),
        text: text.to_owned(),
        encoding,
        class0: false,
        parts_order: order,
    };
    bench.runtime.block_on(bench.sim().inject(modem, injection)).unwrap();
}

fn receiving(bench: &SpoolBench, extra_modem_keys: &str) {
    bench.edit_config(|config| {
        config
            .replace("[modems.modem0]\n", &format!("[modems.modem0]\nreceive = true\n{extra_modem_keys}"))
            .replace("[modems.modem1]\n", &format!("[modems.modem1]\nreceive = true\n{extra_modem_keys}"))
    });
}

fn sim_store(bench: &SpoolBench, modem: usize) -> usize {
    bench.runtime.block_on(bench.sim().modem(modem)).unwrap().sm.0
}

#[test]
fn messages_become_incoming_files_then_leave_the_sim_and_reports_link_to_sent_files() {
    let mut bench = SpoolBench::new(2, "");
    receiving(&bench, "");
    let (script, events) = bench.eventhandler();
    bench.edit_config(|config| format!("{config}\n[handlers]\neventhandler = {:?}\n", script.display().to_string()));
    bench.start_daemon();
    let incoming = bench.spool("incoming");

    inject_text(&bench, 1, "+37120000000", "Sveiki, €uro [ok]", TextEncoding::Gsm7, None);
    let long = "Ünïcödé 🙂 text in three parts. ".repeat(6);
    inject_text(&bench, 1, "+37120000001", &long, TextEncoding::Ucs2, Some(vec![3, 1, 2]));
    bench.wait("two incoming files", || files(&incoming, "modem1.").len() == 2);
    let mut texts: Vec<(String, String)> = files(&incoming, "modem1.")
        .iter()
        .map(|name| fs::read_to_string(incoming.join(name)).unwrap())
        .map(|file| (header_values(&file, "From")[0].clone(), file))
        .collect();
    texts.sort();
    let (short, whole) = (&texts[0].1, &texts[1].1);
    assert_eq!(header_values(short, "From"), ["37120000000"]);
    assert_eq!(header_values(short, "From_TOA"), ["91 international, ISDN/telephone"]);
    assert_eq!(header_values(short, "Modem"), ["modem1"]);
    assert_eq!(header_values(short, "Subject"), ["modem1"]);
    assert_eq!(header_values(short, "Alphabet"), ["UTF-8"]);
    assert_eq!(header_values(short, "IMSI").len(), 1);
    assert_eq!(body(short), "Sveiki, €uro [ok]");
    // Three parts, out of order, one file with the whole text.
    assert_eq!(body(whole), long);
    assert!(header_values(whole, "Incomplete").is_empty(), "{whole}");
    // Gone from the SIM once written.
    bench.wait("modem1's SIM is empty", || sim_store(&bench, 1) == 0);
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
    let report_dir = bench.spool("report");
    bench.wait("a report file", || files(&report_dir, "modem0.").len() == 1);
    let report = fs::read_to_string(report_dir.join(&files(&report_dir, "modem0.")[0])).unwrap();
    assert_eq!(header_values(&report, "Sent_file"), ["want-report"]);
    assert_eq!(header_values(&report, "Sent_part"), ["1/1"]);
    assert!(report.contains("\nStatus: 0,Ok,short message received by the SME"), "{report}");
    let sent_path = bench.spool("sent").join("want-report");
    bench.wait("the sent file records the report", || {
        fs::read_to_string(&sent_path).unwrap().contains("Status_report: Message_id ")
    });
    let sent = fs::read_to_string(&sent_path).unwrap();
    let message_id = header_values(&sent, "Message_id")[0].clone();
    assert_eq!(header_values(&report, "Message_id"), Vec::<String>::new(), "in the body, as smsd");
    assert!(report.contains(&format!("\nMessage_id: {message_id}\n")), "{report}");
    assert!(sent.ends_with("\n\nreport me\n"), "{sent}");
    // And modem1 received the message itself.
    bench.wait("modem1 got the message", || files(&incoming, "modem1.").len() == 3);
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
}

#[test]
fn stored_messages_are_read_at_start_and_parts_wait_on_disk_across_restarts_until_the_timeout() {
    let mut bench = SpoolBench::new(2, "");
    receiving(&bench, "");
    bench.edit_config(|config| format!("{config}\n[limits]\nincomplete-after-s = 3\n"));
    // Arrived while no daemon ran.
    inject_text(&bench, 0, "+37120000002", "while you were away", TextEncoding::Auto, None);
    let long = "part of a long message ".repeat(16);
    inject_text(&bench, 0, "+37120000003", &long, TextEncoding::Gsm7, Some(vec![1, 3]));
    bench.wait("three PDUs in modem0's SIM", || sim_store(&bench, 0) == 3);
    bench.start_daemon();
    let incoming = bench.spool("incoming");
    bench.wait("the stored message is written", || files(&incoming, "modem0.").len() == 1);
    bench.wait("the SIM is empty", || sim_store(&bench, 0) == 0);
    let parts = bench.dir.path().join("spool/smsgate.parts/modem0");
    assert_eq!(files(&parts, "").len(), 2, "parts 1 and 3 wait on disk");
    // A restart keeps them; the wait runs out and what came is written.
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
    bench.start_daemon();
    bench.wait("the incomplete message is written", || files(&incoming, "modem0.").len() == 2);
    let written: Vec<String> = files(&incoming, "modem0.")
        .iter()
        .map(|name| fs::read_to_string(incoming.join(name)).unwrap())
        .collect();
    let incomplete = written.iter().find(|file| file.contains("Incomplete")).unwrap();
    assert_eq!(header_values(incomplete, "Incomplete"), ["yes"]);
    assert_eq!(header_values(incomplete, "Missing_parts"), ["2"]);
    assert!(body(incomplete).starts_with("part of a long message"), "{incomplete}");
    assert!(written.iter().any(|file| body(file) == "while you were away"));
    assert!(files(&parts, "").is_empty());
    assert!(bench.signal_daemon(Signal::SIGTERM).success());
}
