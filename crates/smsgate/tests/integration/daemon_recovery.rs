//! `smsgate run` when things go wrong: a send cut off by kill -9, a modem
//! that refuses every send, SIGTERM in the middle of a multipart send, a
//! number that never goes through, and a modem that only receives. The
//! real binary on the in-process simulator, as in `daemon.rs`; outcomes are
//! counted from the spool and from the simulator's network log (what each
//! modem handed to the network). Every wait has a deadline; the daemon is
//! killed and the simulator stopped when a test ends, also when it fails.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use modem_sim::sim::{SimConfig, SimHandle, Simulator, SubmittedMessage};
use modem_sim::Fault;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const PATIENCE: Duration = Duration::from_secs(15);

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

/// A simulator, a spool, an alarm log and (when started) a daemon.
struct Bench {
    runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    n_starts: usize,
}

impl Bench {
    /// One simulated modem per entry of `modems`, each entry added to its
    /// `[modems.NAME]`; `spool` added to `[spool]`; `rest` at the end. An
    /// alarmhandler logs to [`Bench::alarms`].
    fn new(modems: &[&str], spool: &str, rest: &str) -> Bench {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("lock")).unwrap();
        let sim = runtime
            .block_on(Simulator::start(SimConfig::new(
                modems.len(),
                dir.path().join("dev"),
            )))
            .unwrap();
        let alarm_script = dir.path().join("alarm.sh");
        // One write per line: two alarms may be raised at once.
        fs::write(
            &alarm_script,
            format!(
                "#!/bin/sh\nline=$(printf '%s|' \"$@\")\nprintf '%s\\n' \"$line\" >> '{}'\n",
                dir.path().join("alarms.log").display()
            ),
        )
        .unwrap();
        fs::set_permissions(&alarm_script, fs::Permissions::from_mode(0o755)).unwrap();
        let mut config = format!(
            "lock-dir = {:?}\n\n[spool]\nbase = {:?}\n{spool}\n[handlers]\nalarmhandler = {:?}\nalarm-level = 2\n",
            dir.path().join("lock").display().to_string(),
            dir.path().join("spool").display().to_string(),
            alarm_script.display().to_string(),
        );
        for (index, extra) in modems.iter().enumerate() {
            let device = dir.path().join("dev").join(format!("modem{index}"));
            config.push_str(&format!(
                "\n[ports.modem{index}]\ndevice = {:?}\n\n[modems.modem{index}]\n{extra}\n",
                device.display().to_string()
            ));
        }
        config.push_str(rest);
        fs::write(dir.path().join("smsgate.toml"), config).unwrap();
        for sub in ["outgoing", "sent", "failed"] {
            fs::create_dir_all(dir.path().join("spool").join(sub)).unwrap();
        }
        Bench {
            runtime,
            sim: Some(sim),
            dir,
            daemon: None,
            n_starts: 0,
        }
    }

    fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    fn spool(&self, sub: &str) -> PathBuf {
        self.dir.path().join("spool").join(sub)
    }

    /// Starts `smsgate run` and waits until it says it is ready.
    fn start_daemon(&mut self) {
        self.n_starts += 1;
        let log = self.dir.path().join(format!("daemon{}.log", self.n_starts));
        let child = Command::new(env!("CARGO_BIN_EXE_smsgate"))
            .arg("run")
            .arg("--config")
            .arg(self.dir.path().join("smsgate.toml"))
            .env("RUST_LOG", "smsgate=debug,modem=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        self.daemon = Some(child);
        self.wait("the daemon is ready", || {
            fs::read_to_string(&log).unwrap_or_default().contains("ready:")
        });
    }

    /// Sends `signal` to the daemon and waits for it to exit.
    fn signal_daemon(&mut self, signal: Signal) -> ExitStatus {
        let mut child = self.daemon.take().expect("the daemon runs");
        kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the daemon did not exit after {signal:?}\nlog:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// kill -9, then lets the modem's late answer (the delay fault) go to
    /// the dead line rather than to the next daemon.
    fn kill_9(&mut self, delay: Duration) {
        let status = self.signal_daemon(Signal::SIGKILL);
        assert_eq!(status.signal(), Some(Signal::SIGKILL as i32), "{status:?}");
        for index in 0..self.runtime.block_on(self.sim().modems()).len() {
            self.fault(index, Fault::Clear);
        }
        std::thread::sleep(delay + Duration::from_millis(300));
    }

    /// SIGTERM, and the daemon exits 0.
    fn stop_daemon(&mut self) {
        let status = self.signal_daemon(Signal::SIGTERM);
        assert!(status.success(), "{status:?}\nlog:\n{}", self.log());
    }

    /// The daemon's log, of its latest start.
    fn log(&self) -> String {
        let log = self.dir.path().join(format!("daemon{}.log", self.n_starts));
        fs::read_to_string(log).unwrap_or_default()
    }

    /// Writes a file into `outgoing/` under a dotfile name, then renames it.
    fn drop_file(&self, name: &str, text: &str) {
        let temporary = self.spool("outgoing").join(format!(".{name}"));
        fs::write(&temporary, text).unwrap();
        fs::rename(&temporary, self.spool("outgoing").join(name)).unwrap();
    }

    /// Waits until `sub/name` exists and returns its text.
    fn wait_for_file(&self, sub: &str, name: &str) -> String {
        let path = self.spool(sub).join(name);
        self.wait(&format!("{sub}/{name} appears"), || path.exists());
        fs::read_to_string(path).unwrap()
    }

    fn wait(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}\nlog:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What modem `index` handed to the network, in order.
    fn submitted(&self, index: usize) -> Vec<SubmittedMessage> {
        self.runtime.block_on(self.sim().submitted(index)).unwrap()
    }

    /// The texts modem `index` handed to the network, sorted.
    fn submitted_texts(&self, index: usize) -> Vec<String> {
        let mut texts: Vec<String> = self
            .submitted(index)
            .into_iter()
            .map(|submitted| submitted.summary.unwrap().text.unwrap_or_default())
            .collect();
        texts.sort();
        texts
    }

    fn fault(&self, index: usize, fault: Fault) {
        self.runtime.block_on(self.sim().fault(index, fault)).unwrap();
    }

    /// The names in `sub/` (none if it does not exist), dotfiles apart.
    fn names(&self, sub: &str) -> Vec<String> {
        let Ok(entries) = fs::read_dir(self.spool(sub)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| !name.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    /// Where each file is: a waiting directory, `sent` or `failed`; a
    /// file in two places fails the test.
    fn places(&self) -> BTreeMap<String, &'static str> {
        let mut places = BTreeMap::new();
        for sub in WAITING.into_iter().chain(["sent", "failed"]) {
            for name in self.names(sub) {
                if let Some(other) = places.insert(name.clone(), sub) {
                    panic!("{name} is in both {other}/ and {sub}/");
                }
            }
        }
        places
    }

    /// The journal's records since the latest start (it is compacted
    /// then), as JSON values.
    fn journal(&self) -> Vec<serde_json::Value> {
        fs::read_to_string(self.spool("").join("smsgate.journal"))
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .collect()
    }

    /// [`Bench::journal`]'s records of `file`.
    fn journal_of(&self, file: &str) -> Vec<serde_json::Value> {
        let mut records = self.journal();
        records.retain(|record| record["file"] == file);
        records
    }

    /// The alarmhandler's calls so far, one `|`-joined line each.
    fn alarms(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("alarms.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// The values of header `name` in a spool file, in order.
fn header_values(file: &str, name: &str) -> Vec<String> {
    let prefix = format!("{name}: ");
    file.lines()
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix(&prefix))
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

/// A one-part file whose send is cut off by kill -9 after the PDU reached
/// the network, before the `+CMGS` answer; then the daemon is restarted.
/// `spool`: added to `[spool]`.
fn cut_off_single_send(spool: &str) -> Bench {
    let mut bench = Bench::new(&[""], spool, "");
    bench.start_daemon();
    bench.fault(
        0,
        Fault::Delay {
            ms: LATE_ANSWER.as_millis() as u64,
        },
    );
    bench.drop_file("cut-off", &format!("To: {}\n\ncut off\n", external(1)));
    bench.wait("the network has the PDU", || bench.submitted(0).len() == 1);
    bench.kill_9(LATE_ANSWER);
    let journal = bench.journal_of("cut-off");
    let events: Vec<&str> = journal
        .iter()
        .map(|record| record["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["begin", "start"], "{journal:?}");
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
    assert_eq!(bench.submitted_texts(0), ["cut off", "cut off"]);
    // The id is the second send's: the first one's answer never came.
    assert_eq!(header_values(&sent, "Message_id"), mrs(&submitted[1..]));
    assert_eq!(bench.places(), BTreeMap::from([("cut-off".to_owned(), "sent")]));
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
    assert_eq!(bench.submitted_texts(0), ["cut off"]);
    assert_eq!(bench.places(), BTreeMap::from([("cut-off".to_owned(), "failed")]));
}

#[test]
fn a_modem_refusing_every_send_is_blocked_and_the_other_sends_everything() {
    let n_files = 6;
    let mut bench = Bench::new(
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
    assert_eq!(bench.submitted_texts(0), texts);
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
        let file = record["file"].as_str().unwrap();
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
    let alarms = bench.alarms();
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let fields: Vec<&str> = alarms[0].split('|').collect();
    assert_eq!(fields.len(), 7, "{fields:?}");
    assert_eq!(fields[0], "ALARM");
    assert!(
        is_shaped(fields[1], "dddd-dd-dd") && is_shaped(fields[2], "dd:dd:dd"),
        "{fields:?}"
    );
    assert_eq!(
        fields[3..],
        [
            "2",
            "modem1",
            "sending failed 2 times in a row; modem blocked for 3600 s",
            ""
        ]
    );
    assert_eq!(
        bench.places(),
        names.iter().map(|name| (name.clone(), "sent")).collect()
    );
}

/// Whether `text` has `pattern`'s shape, `d` standing for any digit.
fn is_shaped(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text
            .chars()
            .zip(pattern.chars())
            .all(|(c, p)| if p == 'd' { c.is_ascii_digit() } else { c == p })
}

#[test]
fn sigterm_finishes_the_exchange_in_flight_and_a_restart_sends_the_rest_once() {
    let mut bench = Bench::new(&[""], "", "");
    bench.start_daemon();
    bench.fault(
        0,
        Fault::Delay {
            ms: LATE_ANSWER.as_millis() as u64,
        },
    );
    bench.drop_file("multi", &format!("To: {}\n\n{}", external(1), three_parts("M")));
    bench.wait("part 1 reaches the network", || bench.submitted(0).len() == 1);
    // Waiting behind it.
    bench.drop_file("single1", &format!("To: {}\n\none\n", external(2)));
    bench.drop_file("single2", &format!("To: {}\n\ntwo\n", external(3)));
    bench.stop_daemon();
    // Part 1's answer came and was journalled; part 2 was not begun.
    let first = bench.submitted(0);
    assert_eq!(parts_of(&first).len(), 1);
    let journal = bench.journal_of("multi");
    let events: Vec<&str> = journal
        .iter()
        .map(|record| record["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["begin", "start", "sent"], "{journal:?}");
    assert_eq!(journal[2]["part"], 1);
    assert_eq!(journal[2]["mr"], first[0].mr);
    let places = bench.places();
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
    let texts = bench.submitted_texts(0);
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
        bench.places(),
        BTreeMap::from([
            ("multi".to_owned(), "sent"),
            ("single1".to_owned(), "sent"),
            ("single2".to_owned(), "sent"),
        ])
    );
}

#[test]
fn a_multipart_send_killed_after_part_1_resumes_at_part_2() {
    let mut bench = Bench::new(&[""], "unknown-outcome = \"resend\"\n", "");
    bench.start_daemon();
    bench.fault(
        0,
        Fault::Delay {
            ms: LATE_ANSWER.as_millis() as u64,
        },
    );
    bench.drop_file("multi", &format!("To: {}\n\n{}", external(1), three_parts("K")));
    // Part 2 is handed over only after part 1's answer: part 1 is
    // acknowledged and journalled, part 2 waits for its answer.
    bench.wait("part 2 reaches the network", || bench.submitted(0).len() == 2);
    bench.kill_9(LATE_ANSWER);
    let journal = bench.journal_of("multi");
    let events: Vec<&str> = journal
        .iter()
        .map(|record| record["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["begin", "start", "sent", "start"], "{journal:?}");
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
    assert_eq!(bench.places(), BTreeMap::from([("multi".to_owned(), "sent")]));
}

#[test]
fn a_file_that_always_fails_backs_off_while_the_files_behind_it_go_out() {
    let n_good = 20;
    let mut bench = Bench::new(
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
    let places = bench.places();
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
    let events: Vec<String> = bench
        .journal_of("bad")
        .iter()
        .map(|record| record["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        events,
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
    assert_eq!(bench.submitted_texts(0), texts);
    let mut expected: BTreeMap<String, &str> = good.iter().map(|name| (name.clone(), "sent")).collect();
    expected.insert("bad".to_owned(), "failed");
    assert_eq!(bench.places(), expected);
}

#[test]
fn a_receive_only_modem_is_given_no_file_to_send() {
    let n_files = 8;
    let mut bench = Bench::new(&["send = false\nreceive = true", ""], "", "");
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
    assert_eq!(bench.submitted_texts(1), texts);
}
