//! The send path against a failing store: the daemon, in this process, on
//! simulated modems, with its durable writes going through a
//! [`FaultyStore`] that fails at its Nth write, for every N of a small
//! workload. Waits have deadlines; the daemon and the simulator are
//! stopped at the end of each run, also when an assertion failed (the
//! guards' drops).

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use modem_sim::Fault;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::daemon_config::DaemonConfig;
use crate::journal::{Journal, Record};
use crate::send_store::{FaultyStore, SendStore};
use crate::store_health::RetryPolicy;
use crate::{Daemon, StoreMaker};

/// Retries of failed writes in a test: soon, so a run stays short.
const FAST_RETRY: RetryPolicy = RetryPolicy {
    first: Duration::from_millis(20),
    max: Duration::from_millis(200),
};

/// How long any one wait of a run may take.
const PATIENCE: Duration = Duration::from_secs(30);

/// The workload: (file name, number, text); `long` is three parts.
fn workload() -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("alpha", "491510000001", "alpha on its own".to_owned()),
        ("long", "491510000002", "bravo charlie ".repeat(30)),
        ("omega", "491510000003", "omega on its own".to_owned()),
    ]
}

/// A spool and a simulator with `n_modems` modems; `modem_keys` go into
/// each `[modems.NAME]`. An alarmhandler logs one line per alarm.
struct Bench {
    dir: tempfile::TempDir,
    sim: Option<SimHandle>,
    config: DaemonConfig,
}

impl Bench {
    async fn new(n_modems: usize, modem_keys: &str) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let sim = Simulator::start(SimConfig::new(n_modems, dir.path().join("dev")))
            .await
            .unwrap();
        let lock_dir = dir.path().join("lock");
        std::fs::create_dir_all(&lock_dir).unwrap();
        let alarm = dir.path().join("alarm.sh");
        std::fs::write(
            &alarm,
            format!(
                "#!/bin/sh\necho \"$4 $6\" >> {:?}\n",
                dir.path().join("alarms.log").display().to_string()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&alarm, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let mut text = format!(
            "lock-dir = {:?}\n\n[spool]\nbase = {:?}\n\n[handlers]\nalarmhandler = {:?}\nalarm-level = 2\n\n\
             [limits]\nretry-interval-s = 1\nblock-after = 1\nblock-time-s = 3600\nsend-retries = 1\n",
            lock_dir.display().to_string(),
            dir.path().join("spool").display().to_string(),
            alarm.display().to_string(),
        );
        for index in 0..n_modems {
            let device = dir.path().join("dev").join(format!("modem{index}"));
            text.push_str(&format!(
                "\n[ports.modem{index}]\ndevice = {:?}\n\n[modems.modem{index}]\n{modem_keys}\n",
                device.display().to_string()
            ));
        }
        let path = dir.path().join("smsgate.toml");
        std::fs::write(&path, &text).unwrap();
        let config = DaemonConfig::load(&path).unwrap();
        Bench {
            dir,
            sim: Some(sim),
            config,
        }
    }

    fn sim(&self) -> &SimHandle {
        self.sim.as_ref().unwrap()
    }

    fn spool(&self, sub: &str) -> PathBuf {
        self.dir.path().join("spool").join(sub)
    }

    fn drop_files(&self) {
        for (name, number, text) in workload() {
            let temporary = self.spool("outgoing").join(format!(".{name}"));
            std::fs::write(&temporary, format!("To: {number}\n\n{text}")).unwrap();
            std::fs::rename(&temporary, self.spool("outgoing").join(name)).unwrap();
        }
    }

    async fn start(&self, make_store: StoreMaker) -> Running {
        let shutdown = CancellationToken::new();
        let daemon = Daemon::start_with_store(self.config.clone(), shutdown.clone(), make_store, FAST_RETRY)
            .await
            .unwrap();
        Running {
            shutdown,
            daemon: Some(daemon),
        }
    }

    /// The names in `spool/sub`, without dotfiles.
    fn names(&self, sub: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.spool(sub))
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                    .filter(|name| !name.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn finished(&self) -> usize {
        self.names("sent").len() + self.names("failed").len()
    }

    /// Each part the network got from modem `index`: (number, part, text).
    async fn submitted(&self, index: usize) -> Vec<(String, u8, String)> {
        self.sim()
            .submitted(index)
            .await
            .unwrap()
            .into_iter()
            .map(|message| {
                let summary = message.summary.unwrap();
                let part = summary.concat.map_or(1, |concat| concat.seq);
                (summary.destination.number, part, summary.text.unwrap_or_default())
            })
            .collect()
    }

    fn alarms(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("alarms.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn file(&self, sub: &str, name: &str) -> String {
        std::fs::read_to_string(self.spool(sub).join(name)).unwrap_or_default()
    }

    async fn stop(mut self) {
        if let Some(sim) = self.sim.take() {
            sim.shutdown().await;
        }
    }
}

/// A running daemon; stopped when dropped.
struct Running {
    shutdown: CancellationToken,
    daemon: Option<Daemon>,
}

impl Running {
    async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(daemon) = self.daemon.take() {
            daemon.join().await.unwrap();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn faulty(from: u64, count: u64, writes: &Arc<AtomicU64>) -> StoreMaker {
    let writes = writes.clone();
    Box::new(move |journal: Journal| -> Box<dyn SendStore> {
        Box::new(FaultyStore {
            inner: journal,
            from,
            count,
            kind: io::ErrorKind::StorageFull,
            writes,
            on_append: None,
            before_finish: None,
        })
    })
}

fn plain() -> StoreMaker {
    Box::new(|journal: Journal| -> Box<dyn SendStore> { Box::new(journal) })
}

/// The parts handed to the network more than once.
fn repeated(parts: &[(String, u8, String)]) -> Vec<&(String, u8, String)> {
    let mut counts: BTreeMap<&(String, u8, String), usize> = BTreeMap::new();
    for part in parts {
        *counts.entry(part).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .map(|(part, _)| part)
        .collect()
}

/// Issue 11, items 3 and 4: a disk that is full for three writes, from
/// the Nth write of the workload on, for every N. Every file reaches
/// `sent/` once, every part leaves once, nothing is flagged, the modem is
/// never blocked (`block-after = 1`, `block-time-s = 3600`: a blocked
/// modem would hold the workload up past the deadline), and one critical
/// alarm is raised per outage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_full_at_any_write_sends_each_part_once_and_blocks_no_modem() {
    // The workload's writes when nothing fails: 3 begins, 5 parts with
    // start and outcome, 3 moves to sent/, 3 ends.
    let total = 3 + 5 * 2 + 3 + 3;
    let mut covered = 0;
    for from in 1..=total + 1 {
        let bench = Bench::new(1, "").await;
        let writes = Arc::new(AtomicU64::new(0));
        let running = bench.start(faulty(from, 3, &writes)).await;
        bench.drop_files();
        wait_until(&format!("3 files finished, write {from} failing"), || {
            bench.finished() == 3
        })
        .await;
        running.stop().await;
        let hit = writes.load(Ordering::SeqCst) >= from;
        covered += u64::from(hit);
        assert_eq!(
            bench.names("sent"),
            ["alpha", "long", "omega"],
            "write {from} failing"
        );
        assert!(bench.names("failed").is_empty(), "write {from} failing");
        let parts = bench.submitted(0).await;
        assert_eq!(parts.len(), 5, "write {from} failing: {parts:?}");
        assert!(repeated(&parts).is_empty(), "write {from} failing: {parts:?}");
        for name in ["alpha", "long", "omega"] {
            let sent = bench.file("sent", name);
            assert!(
                !sent.contains("X-Smsgate-Outcome"),
                "write {from} failing: {sent}"
            );
            assert!(sent.contains("X-Smsgate-Id: "), "{sent}");
        }
        let alarms = bench.alarms();
        let critical: Vec<&String> = alarms.iter().filter(|alarm| alarm.starts_with("2 ")).collect();
        match hit {
            true => {
                assert_eq!(critical.len(), 1, "write {from} failing: {alarms:?}");
                assert!(
                    critical[0].contains("cannot write to the spool or the journal"),
                    "{alarms:?}"
                );
                assert!(
                    !alarms.iter().any(|alarm| alarm.contains("blocked")),
                    "{alarms:?}"
                );
            }
            false => assert!(alarms.is_empty(), "{alarms:?}"),
        }
        bench.stop().await;
    }
    // Every write of the workload was a fault point.
    assert_eq!(covered, total, "fault points covered");
}

/// A crash at the Nth write (nothing from it on reaches the disk), then a
/// restart on the same spool, for every N: every file ends in `sent/` or
/// `failed/` exactly once, and a part that left twice, or a file that
/// failed, is flagged `X-Smsgate-Outcome: unknown` (the journal had its
/// start, not its answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_write_never_sends_a_part_twice_unflagged() {
    let total = 3 + 5 * 2 + 3 + 3;
    for from in 1..=total {
        let bench = Bench::new(1, "").await;
        let writes = Arc::new(AtomicU64::new(0));
        let running = bench.start(faulty(from, u64::MAX, &writes)).await;
        bench.drop_files();
        wait_until(&format!("write {from}"), || writes.load(Ordering::SeqCst) >= from).await;
        running.stop().await;
        let running = bench.start(plain()).await;
        wait_until(&format!("3 files finished after a crash at write {from}"), || {
            bench.finished() == 3
        })
        .await;
        running.stop().await;
        let parts = bench.submitted(0).await;
        let mut names = bench.names("sent");
        names.extend(bench.names("failed"));
        names.sort();
        assert_eq!(names, ["alpha", "long", "omega"], "crash at write {from}");
        for (name, number, _) in workload() {
            let sent = bench.file("sent", name);
            let failed = bench.file("failed", name);
            let flagged = format!("{sent}{failed}").contains("X-Smsgate-Outcome: unknown");
            let twice = repeated(&parts).iter().any(|part| part.0 == number);
            assert!(
                !twice || flagged,
                "crash at write {from}: {name} sent twice unflagged: {parts:?}"
            );
            assert!(failed.is_empty() || flagged, "crash at write {from}: {failed}");
        }
        bench.stop().await;
    }
}

/// Issue 11, item 6: part 1 of a long message went out on modem0, whose
/// next sends fail; the other parts never leave through modem1 (the
/// recipient could not join them), and the file fails whole once
/// modem0's tries are used up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parts_of_a_message_never_leave_through_two_modems() {
    let bench = Bench::new(2, "").await;
    let client = bench.sim().client();
    let broken = Arc::new(Mutex::new(false));
    let seen = broken.clone();
    // Right after part 1's answer is journalled (before part 2 starts),
    // modem0 starts failing every send with a network error.
    let on_append = move |record: &Record| {
        let part_one_sent = matches!(record, Record::Sent { part: 1, modem, .. } if modem == "modem0");
        let mut broken = seen.lock().unwrap();
        if part_one_sent && !*broken {
            *broken = true;
            let fault = Fault::CmsError {
                code: 38,
                count: 1000,
            };
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(client.fault(0, fault))
                    .unwrap();
            });
        }
    };
    let writes = Arc::new(AtomicU64::new(0));
    let make_store: StoreMaker = Box::new(move |journal: Journal| -> Box<dyn SendStore> {
        Box::new(FaultyStore {
            writes,
            on_append: Some(Box::new(on_append)),
            ..FaultyStore::passing(journal)
        })
    });
    let running = bench.start(make_store).await;
    // Only the long one, to modem0 first (round robin starts there).
    let text = "bravo charlie ".repeat(30);
    let temporary = bench.spool("outgoing").join(".long");
    std::fs::write(&temporary, format!("To: 491510000002\n\n{text}")).unwrap();
    std::fs::rename(&temporary, bench.spool("outgoing").join("long")).unwrap();
    wait_until("long finished", || bench.finished() == 1).await;
    running.stop().await;
    assert!(*broken.lock().unwrap(), "part 1 went out on modem0");
    let on_modem0 = bench.submitted(0).await;
    let on_modem1 = bench.submitted(1).await;
    assert_eq!(on_modem0.len(), 1, "{on_modem0:?}");
    assert!(
        on_modem1.is_empty(),
        "parts left through modem1 too: {on_modem1:?}"
    );
    assert_eq!(bench.names("failed"), ["long"]);
    let failed = bench.file("failed", "long");
    assert!(failed.contains("Modem: modem0"), "{failed}");
    bench.stop().await;
}

/// Issue 11, item 5: smsgate stopped between writing `sent/X` and the
/// journal's `end` (a crash at that write); then a new file `X` came. The
/// new one is a new message: sent, not moved to `sent/` with the old
/// one's Message_id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_under_a_finished_ones_name_is_sent() {
    let bench = Bench::new(1, "").await;
    let writes = Arc::new(AtomicU64::new(0));
    // Writes: begin, start, sent, the move to sent/, end (the crash).
    let running = bench.start(faulty(5, u64::MAX, &writes)).await;
    let drop_x = |text: &str| {
        let temporary = bench.spool("outgoing").join(".X");
        std::fs::write(&temporary, format!("To: 491510000009\n\n{text}")).unwrap();
        std::fs::rename(&temporary, bench.spool("outgoing").join("X")).unwrap();
    };
    drop_x("the first X");
    wait_until("the end record of the first X", || {
        writes.load(Ordering::SeqCst) >= 5
    })
    .await;
    running.stop().await;
    assert!(bench.file("sent", "X").contains("the first X"));
    drop_x("the second X");
    let running = bench.start(plain()).await;
    wait_until("the second X in sent/", || {
        bench.file("sent", "X").contains("the second X")
    })
    .await;
    running.stop().await;
    let texts: Vec<String> = bench.submitted(0).await.into_iter().map(|part| part.2).collect();
    assert_eq!(texts, ["the first X", "the second X"]);
    let ids: Vec<String> = bench
        .file("sent", "X")
        .lines()
        .filter(|line| line.starts_with("X-Smsgate-Id: "))
        .map(str::to_owned)
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    bench.stop().await;
}

/// smsgate stopped after `sent/X` was written, before the original in
/// `checked/` was unlinked: the restart completes the move and sends
/// nothing again (the journal's `end` never came, its message is known by
/// the id in `sent/X`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_to_sent_cut_off_is_completed_without_a_second_send() {
    let bench = Bench::new(1, "").await;
    let writes = Arc::new(AtomicU64::new(0));
    let running = bench.start(faulty(5, u64::MAX, &writes)).await;
    let original = "To: 491510000009\n\nonly once";
    std::fs::write(bench.spool("outgoing").join(".X"), original).unwrap();
    std::fs::rename(
        bench.spool("outgoing").join(".X"),
        bench.spool("outgoing").join("X"),
    )
    .unwrap();
    wait_until("the end record", || writes.load(Ordering::SeqCst) >= 5).await;
    running.stop().await;
    // The instant before the unlink: the original still in checked/.
    std::fs::write(bench.spool("checked").join("X"), original).unwrap();
    let running = bench.start(plain()).await;
    wait_until("checked/X removed", || !bench.spool("checked").join("X").exists()).await;
    running.stop().await;
    assert_eq!(bench.submitted(0).await.len(), 1);
    assert!(bench.file("sent", "X").contains("only once"));
    bench.stop().await;
}

/// The same cut-off with `keep-filename = false` (issue 12.24): the
/// finished file has a name of its own, `modem0.xxxxxx`, which a restart
/// finds from the message's id; the move is completed, nothing is sent
/// again, and no second sent file appears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_to_sent_cut_off_with_unique_names_is_completed_without_a_second_send() {
    let mut bench = Bench::new(1, "").await;
    bench.config.features.keep_filename = false;
    let writes = Arc::new(AtomicU64::new(0));
    let running = bench.start(faulty(5, u64::MAX, &writes)).await;
    let original = "To: 491510000009\n\nonly once";
    std::fs::write(bench.spool("outgoing").join(".X"), original).unwrap();
    std::fs::rename(
        bench.spool("outgoing").join(".X"),
        bench.spool("outgoing").join("X"),
    )
    .unwrap();
    wait_until("the end record", || writes.load(Ordering::SeqCst) >= 5).await;
    running.stop().await;
    std::fs::write(bench.spool("checked").join("X"), original).unwrap();
    let running = bench.start(plain()).await;
    wait_until("checked/X removed", || !bench.spool("checked").join("X").exists()).await;
    running.stop().await;
    assert_eq!(bench.submitted(0).await.len(), 1);
    let sent = bench.names("sent");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].starts_with("modem0.") && sent[0].len() == "modem0.".len() + 6,
        "{sent:?}"
    );
    let text = bench.file("sent", &sent[0]);
    assert!(
        text.contains("only once") && text.contains("Original_filename: X\n"),
        "{text}"
    );
    bench.stop().await;
}

/// A local program drops a new file under the name of one being finished,
/// after intake read the old one and before its `sent/` copy is durable
/// (the store boundary's hook swaps it in there). The old one's finish
/// used to unlink the entry by name: the new file was lost unsent. Now
/// only the file taken is removed; the new one is taken and sent later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_dropped_under_a_finishing_ones_name_is_sent_later() {
    let bench = Bench::new(1, "").await;
    let finishes = Arc::new(AtomicU64::new(0));
    let seen = finishes.clone();
    let swap_in = move |source: &std::path::Path| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            let temporary = source.with_file_name(".X-new");
            std::fs::write(&temporary, "To: 491510000009\n\nthe second X").unwrap();
            std::fs::rename(&temporary, source).unwrap();
        }
    };
    let make_store: StoreMaker = Box::new(move |journal: Journal| -> Box<dyn SendStore> {
        Box::new(FaultyStore {
            before_finish: Some(Arc::new(Mutex::new(swap_in))),
            ..FaultyStore::passing(journal)
        })
    });
    let running = bench.start(make_store).await;
    let temporary = bench.spool("outgoing").join(".X");
    std::fs::write(&temporary, "To: 491510000009\n\nthe first X").unwrap();
    std::fs::rename(&temporary, bench.spool("outgoing").join("X")).unwrap();
    wait_until("the second X in sent/", || {
        bench.file("sent", "X").contains("the second X")
    })
    .await;
    running.stop().await;
    let texts: Vec<String> = bench.submitted(0).await.into_iter().map(|part| part.2).collect();
    assert_eq!(texts, ["the first X", "the second X"]);
    assert!(finishes.load(Ordering::SeqCst) >= 2);
    bench.stop().await;
}

mod finish_pipeline;
