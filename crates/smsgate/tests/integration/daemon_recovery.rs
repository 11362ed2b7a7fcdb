//! `smsgate run` when things go wrong: a send cut off by kill -9, a modem
//! that refuses every send, SIGTERM in the middle of a multipart send, a
//! number that never goes through, and a modem that only receives. The
//! real binary on the in-process simulator (`spool_bench`); outcomes are
//! counted from the spool and from the simulator's network log (what each
//! modem handed to the network). Every wait has a deadline; the daemon is
//! killed and the simulator stopped when a test ends, also when it fails.

use std::collections::BTreeMap;
use std::fs;
use std::time::{Duration, Instant, SystemTime};

use modem_sim::sim::SubmittedMessage;
use modem_sim::Fault;

use crate::spool_bench::{alarm_fields, header_values, Setup, SpoolBench};

/// Where a file waits before it is sent: `outgoing/`, or `checked/` once
/// taken (the default queue's directory).
const WAITING: [&str; 2] = ["outgoing", "checked"];

/// A number no simulated modem has: the network keeps what is sent to it.
fn external(index: usize) -> String {
    format!("4915100{index:06}")
}

/// A text of three GSM 7-bit parts (153 septets each at most).
fn three_parts(token: &str) -> String {
    let text = format!("{token} ").repeat(400 / (token.len() + 1));
    assert!(text.len() > 2 * 153 && text.len() <= 3 * 153, "{}", text.len());
    text
}

/// One simulated modem per entry of `modem_keys`, each entry added to its
/// `[modems.NAME]`; `spool` added to `[spool]`; `rest` at the end. An
/// alarmhandler logs to [`alarms`].
fn recovery_bench(modem_keys: &[&str], spool: &str, rest: &str) -> SpoolBench {
    let bench = SpoolBench::build(Setup {
        n_modems: modem_keys.len(),
        modem_keys,
        spool,
        rest,
        ..Setup::default()
    });
    bench.alarmhandler(2);
    bench
}

/// The texts modem `index` handed to the network, sorted.
fn sorted_texts(bench: &SpoolBench, index: usize) -> Vec<String> {
    let mut texts = bench.submitted_texts(index);
    texts.sort();
    texts
}

/// Where each file is: a waiting directory, `sent` or `failed`. A file
/// in both `sent/` and `failed/`, or in two waiting directories, fails the
/// test; one in a waiting directory and in `sent/` or `failed/` is in the
/// instant of its move (the new copy is durable before the old one goes)
/// and counts where it is going.
fn file_places(bench: &SpoolBench) -> BTreeMap<String, &'static str> {
    let mut places = BTreeMap::new();
    for sub in WAITING.into_iter().chain(["sent", "failed"]) {
        if !bench.spool(sub).exists() {
            continue;
        }
        for name in bench.names(sub).0 {
            if let Some(other) = places.insert(name.clone(), sub) {
                let moving = WAITING.contains(&other) && !WAITING.contains(&sub);
                assert!(moving, "{name} is in both {other}/ and {sub}/");
            }
        }
    }
    places
}

/// [`SpoolBench::journal`]'s records of `file`: of the messages whose
/// `begin` names it (the journal is keyed by message id).
fn journal_of(bench: &SpoolBench, file: &str) -> Vec<serde_json::Value> {
    let mut records = bench.journal();
    let ids: Vec<serde_json::Value> = records
        .iter()
        .filter(|record| record["event"] == "begin" && record["file"] == file)
        .map(|record| record["id"].clone())
        .collect();
    records.retain(|record| ids.contains(&record["id"]));
    records
}

/// The events of journal `records`, in order.
fn events(records: &[serde_json::Value]) -> Vec<&str> {
    records
        .iter()
        .map(|record| record["event"].as_str().unwrap())
        .collect()
}

/// The alarmhandler's calls so far, one `|`-joined line each.
fn alarms(bench: &SpoolBench) -> Vec<String> {
    fs::read_to_string(bench.dir.path().join("alarms.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The part number (1 for a single message) and concatenation reference
/// of each submission, in order.
fn parts_of(submitted: &[SubmittedMessage]) -> Vec<(u8, Option<u16>)> {
    submitted
        .iter()
        .map(|message| {
            let concat = message.summary.as_ref().unwrap().concat.as_ref();
            (
                concat.map_or(1, |concat| concat.seq),
                concat.map(|concat| concat.reference),
            )
        })
        .collect()
}

fn mrs(submitted: &[SubmittedMessage]) -> Vec<String> {
    submitted.iter().map(|message| message.mr.to_string()).collect()
}

/// The answer to `AT+CMGS` comes this late in the tests that cut a send
/// off: long enough for the test to see the PDU reach the network and
/// kill or stop the daemon before the answer.
const LATE_ANSWER: Duration = Duration::from_millis(600);

/// Modem 0 answers `AT+CMGS` [`LATE_ANSWER`] late.
fn answer_late(bench: &SpoolBench) {
    let ms = LATE_ANSWER.as_millis() as u64;
    bench.fault(0, Fault::Delay { ms });
}

/// A one-part file whose send is cut off by kill -9 after the PDU reached
/// the network, before the `+CMGS` answer; then the daemon is restarted.
/// `spool`: added to `[spool]`.
fn cut_off_single_send(spool: &str) -> SpoolBench {
    let mut bench = recovery_bench(&[""], spool, "");
    bench.start_daemon();
    answer_late(&bench);
    bench.drop_file("cut-off", &format!("To: {}\n\ncut off\n", external(1)));
    bench.wait("the network has the PDU", || bench.submitted(0).len() == 1);
    bench.kill_9(LATE_ANSWER);
    let journal = journal_of(&bench, "cut-off");
    assert_eq!(events(&journal), ["begin", "start"], "{journal:?}");
    bench.start_daemon();
    bench
}

#[test]
fn unknown_outcome_resend_sends_a_cut_off_file_again_and_flags_it() {
    let mut bench = cut_off_single_send("unknown-outcome = \"resend\"\n");
    let sent = bench.wait_for_file("sent", "cut-off");
    bench.stop_daemon();
    assert_eq!(header_values(&sent, "X-Smsgate-Outcome"), ["unknown"], "{sent}");
    let submitted = bench.submitted(0);
    assert_eq!(sorted_texts(&bench, 0), ["cut off", "cut off"]);
    // The id is the second send's: the first one's answer never came.
    assert_eq!(header_values(&sent, "Message_id"), mrs(&submitted[1..]));
    assert_eq!(
        file_places(&bench),
        BTreeMap::from([("cut-off".to_owned(), "sent")])
    );
    assert!(bench.log().contains("outcome is unknown"), "{}", bench.log());
}

#[test]
fn unknown_outcome_fail_flags_a_cut_off_file_and_does_not_send_it_again() {
    // unknown-outcome = "fail", the default.
    let mut bench = cut_off_single_send("");
    let failed = bench.wait_for_file("failed", "cut-off");
    bench.stop_daemon();
    assert_eq!(
        header_values(&failed, "X-Smsgate-Outcome"),
        ["unknown"],
        "{failed}"
    );
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(
        reason.starts_with("outcome unknown: part 1 was handed to modem modem0")
            && reason.contains("not sent again"),
        "{reason}"
    );
    // Counted after the daemon stopped: nothing more can go out.
    assert_eq!(sorted_texts(&bench, 0), ["cut off"]);
    assert_eq!(
        file_places(&bench),
        BTreeMap::from([("cut-off".to_owned(), "failed")])
    );
}

#[test]
fn a_modem_refusing_every_send_is_blocked_and_the_other_sends_everything() {
    let n_files = 6;
    let mut bench = recovery_bench(
        &["", ""],
        "",
        "\n[limits]\nretry-interval-s = 1\nblock-after = 2\nblock-time-s = 3600\n",
    );
    bench.start_daemon();
    // modem1 refuses every send after the PDU; modem0 is slow, so modem1
    // is free again at once and gets the next files.
    bench.fault(
        1,
        Fault::CmsError {
            code: 38,
            count: 1000,
        },
    );
    bench.fault(0, Fault::Delay { ms: 50 });
    let names: Vec<String> = (0..n_files).map(|id| format!("file{id}")).collect();
    for (id, name) in names.iter().enumerate() {
        bench.drop_file(name, &format!("To: {}\n\ntext {id}\n", external(id)));
    }
    for name in &names {
        let sent = bench.wait_for_file("sent", name);
        assert_eq!(header_values(&sent, "Modem"), ["modem0"], "{name}:\n{sent}");
    }
    bench.stop_daemon();
    let texts: Vec<String> = (0..n_files).map(|id| format!("text {id}")).collect();
    assert_eq!(sorted_texts(&bench, 0), texts);
    assert!(bench.submitted(1).is_empty());
    // Exactly block-after failures, both on modem1, then it was blocked:
    // smsd's alarm arguments `ALARM DATE TIME SEVERITY PROCESS TEXT`,
    // critical (2).
    let journal = bench.journal();
    // Each send's modem (from its `start`) and outcome; records of files
    // sent at the same time interleave.
    let mut started: BTreeMap<&str, &str> = BTreeMap::new();
    let mut outcome_of_start: Vec<(&str, &str)> = Vec::new();
    for record in &journal {
        let file = record["id"].as_str().unwrap_or_default();
        match record["event"].as_str().unwrap() {
            "start" => {
                started.insert(file, record["modem"].as_str().unwrap());
            }
            event @ ("sent" | "not_sent" | "unknown") => {
                outcome_of_start.push((started[file], event));
            }
            _ => {}
        }
    }
    let failed: Vec<&(&str, &str)> = outcome_of_start
        .iter()
        .filter(|(_, event)| *event != "sent")
        .collect();
    assert_eq!(
        failed,
        [&("modem1", "not_sent"), &("modem1", "not_sent")],
        "{journal:#?}"
    );
    assert_eq!(outcome_of_start.len(), n_files + 2, "{journal:#?}");
    let alarms = alarms(&bench);
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let blocked = "sending failed 2 times in a row; modem blocked for 3600 s";
    assert_eq!(
        alarm_fields(&alarms[0]),
        ("2".to_owned(), "modem1".to_owned(), blocked.to_owned())
    );
    assert_eq!(
        file_places(&bench),
        names.iter().map(|name| (name.clone(), "sent")).collect()
    );
}

#[test]
fn sigterm_finishes_the_exchange_in_flight_and_a_restart_sends_the_rest_once() {
    let mut bench = recovery_bench(&[""], "", "");
    bench.start_daemon();
    answer_late(&bench);
    bench.drop_file("multi", &format!("To: {}\n\n{}", external(1), three_parts("M")));
    bench.wait("part 1 reaches the network", || bench.submitted(0).len() == 1);
    // Waiting behind it.
    bench.drop_file("single1", &format!("To: {}\n\none\n", external(2)));
    bench.drop_file("single2", &format!("To: {}\n\ntwo\n", external(3)));
    bench.stop_daemon();
    // Part 1's answer came and was journalled; part 2 was not begun.
    let first = bench.submitted(0);
    assert_eq!(parts_of(&first).len(), 1);
    let journal = journal_of(&bench, "multi");
    assert_eq!(events(&journal), ["begin", "start", "sent"], "{journal:?}");
    assert_eq!(journal[2]["part"], 1);
    assert_eq!(journal[2]["mr"], first[0].mr);
    let places = file_places(&bench);
    assert_eq!(places.len(), 3, "{places:?}");
    assert!(places.values().all(|place| WAITING.contains(place)), "{places:?}");

    bench.fault(0, Fault::Clear);
    bench.start_daemon();
    let multi = bench.wait_for_file("sent", "multi");
    bench.wait_for_file("sent", "single1");
    bench.wait_for_file("sent", "single2");
    bench.stop_daemon();
    let submitted = bench.submitted(0);
    let parts = parts_of(&submitted);
    let mut multi_parts: Vec<u8> = Vec::new();
    let mut references = Vec::new();
    for (part, reference) in &parts {
        if let Some(reference) = reference {
            multi_parts.push(*part);
            references.push(*reference);
        }
    }
    // Each part once, under one concatenation reference.
    assert_eq!(multi_parts, [1, 2, 3], "{parts:?}");
    assert!(
        references.windows(2).all(|pair| pair[0] == pair[1]),
        "{references:?}"
    );
    assert_eq!(submitted.len(), 5);
    let texts = sorted_texts(&bench, 0);
    assert_eq!(texts.iter().filter(|text| *text == "one").count(), 1);
    assert_eq!(texts.iter().filter(|text| *text == "two").count(), 1);
    let multi_mrs: Vec<String> = submitted
        .iter()
        .zip(&parts)
        .filter(|(_, (_, reference))| reference.is_some())
        .map(|(message, _)| message.mr.to_string())
        .collect();
    assert_eq!(header_values(&multi, "Message_id"), multi_mrs);
    assert!(header_values(&multi, "X-Smsgate-Outcome").is_empty(), "{multi}");
    assert_eq!(
        file_places(&bench),
        BTreeMap::from([
            ("multi".to_owned(), "sent"),
            ("single1".to_owned(), "sent"),
            ("single2".to_owned(), "sent"),
        ])
    );
}

#[test]
fn a_multipart_send_killed_after_part_1_resumes_at_part_2() {
    let mut bench = recovery_bench(&[""], "unknown-outcome = \"resend\"\n", "");
    bench.start_daemon();
    answer_late(&bench);
    bench.drop_file("multi", &format!("To: {}\n\n{}", external(1), three_parts("K")));
    // Part 2 is handed over only after part 1's answer: part 1 is
    // acknowledged and journalled, part 2 waits for its answer.
    bench.wait("part 2 reaches the network", || bench.submitted(0).len() == 2);
    bench.kill_9(LATE_ANSWER);
    let journal = journal_of(&bench, "multi");
    assert_eq!(
        events(&journal),
        ["begin", "start", "sent", "start"],
        "{journal:?}"
    );
    assert_eq!(journal[3]["part"], 2);

    bench.start_daemon();
    let sent = bench.wait_for_file("sent", "multi");
    bench.stop_daemon();
    let submitted = bench.submitted(0);
    let parts = parts_of(&submitted);
    // Part 2 twice (its first answer was lost: unknown-outcome = "resend"),
    // part 1 not again, all under one reference.
    let numbers: Vec<u8> = parts.iter().map(|(part, _)| *part).collect();
    assert_eq!(numbers, [1, 2, 2, 3]);
    assert!(parts
        .iter()
        .all(|(_, reference)| reference.is_some() && *reference == parts[0].1));
    // Part 1's id from before the crash, parts 2 and 3 from after it.
    let expected = [&submitted[0], &submitted[2], &submitted[3]].map(|message| message.mr.to_string());
    assert_eq!(header_values(&sent, "Message_id"), expected);
    assert_eq!(header_values(&sent, "X-Smsgate-Outcome"), ["unknown"]);
    assert_eq!(
        file_places(&bench),
        BTreeMap::from([("multi".to_owned(), "sent")])
    );
}

#[test]
fn a_file_that_always_fails_backs_off_while_the_files_behind_it_go_out() {
    let n_good = 20;
    let mut bench = recovery_bench(
        &[""],
        "",
        "\n[limits]\nretry-interval-s = 2\nsend-retries = 2\nblock-after = 10\n",
    );
    // The oldest file, so the first one taken; every file is there when
    // the daemon starts.
    bench.drop_file("bad", &format!("To: {}\n\nnever\n", external(0)));
    let bad = fs::File::options()
        .write(true)
        .open(bench.spool("outgoing").join("bad"))
        .unwrap();
    bad.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    let good: Vec<String> = (1..=n_good).map(|id| format!("good{id:02}")).collect();
    for (id, name) in good.iter().enumerate() {
        bench.drop_file(name, &format!("To: {}\n\ngood {id:02}\n", external(id + 1)));
    }
    // The simulator has no per-number fault: the one error armed now is
    // the first send's, which is the bad file's; the next are armed once
    // every good file is out.
    bench.fault(0, Fault::CmsError { code: 38, count: 1 });
    bench.start_daemon();
    let started = Instant::now();
    bench.wait("every good file is sent", || {
        good.iter().all(|name| bench.spool("sent").join(name).exists())
    });
    let places = file_places(&bench);
    let good_out = started.elapsed();
    bench.fault(0, Fault::CmsError { code: 38, count: 2 });
    // Meanwhile the bad file waited out its backoff, neither sent nor
    // given up. (Were it retried before the fault was armed again, it
    // would have been sent: the good files took too long.)
    assert!(
        WAITING.contains(&places["bad"]),
        "bad is in {}/ after {good_out:?}",
        places["bad"]
    );
    let failed = bench.wait_for_file("failed", "bad");
    bench.stop_daemon();
    let reason = header_values(&failed, "Fail_reason").join("");
    assert!(reason.contains("+CMS ERROR: 38"), "{reason}");
    // Three tries, each refused, 2 s then 4 s apart.
    assert_eq!(
        events(&journal_of(&bench, "bad")),
        ["begin", "start", "not_sent", "start", "not_sent", "start", "not_sent", "end"]
    );
    let log = bench.log();
    for expected in [
        "; try 2 of 3 in 2 s",
        "; try 3 of 3 in 4 s",
        "; giving up after 3 tries",
    ] {
        let lines: Vec<&str> = log
            .lines()
            .filter(|line| {
                line.contains("bad: ") && line.contains("+CMS ERROR: 38") && line.contains(expected)
            })
            .collect();
        assert_eq!(lines.len(), 1, "{expected}\n{log}");
    }
    // The bad file's first try came first, before any good file went.
    let first_failure = log.find("try 2 of 3 in 2 s").unwrap();
    let first_sent = log.find(": sent by").unwrap();
    assert!(first_failure < first_sent, "{log}");
    // The network saw every good file once and never the bad one.
    let texts: Vec<String> = (0..n_good).map(|id| format!("good {id:02}")).collect();
    assert_eq!(sorted_texts(&bench, 0), texts);
    let mut expected: BTreeMap<String, &str> = good.iter().map(|name| (name.clone(), "sent")).collect();
    expected.insert("bad".to_owned(), "failed");
    assert_eq!(file_places(&bench), expected);
}

#[test]
fn a_receive_only_modem_is_given_no_file_to_send() {
    let n_files = 8;
    let mut bench = recovery_bench(&["send = false\nreceive = true", ""], "", "");
    bench.start_daemon();
    let names: Vec<String> = (0..n_files).map(|id| format!("file{id}")).collect();
    for (id, name) in names.iter().enumerate() {
        bench.drop_file(name, &format!("To: {}\n\ntext {id}\n", external(id)));
    }
    for name in &names {
        let sent = bench.wait_for_file("sent", name);
        assert_eq!(header_values(&sent, "Modem"), ["modem1"], "{name}:\n{sent}");
    }
    bench.stop_daemon();
    assert!(bench.submitted(0).is_empty());
    let texts: Vec<String> = (0..n_files).map(|id| format!("text {id}")).collect();
    assert_eq!(sorted_texts(&bench, 1), texts);
}
