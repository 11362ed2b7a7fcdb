//! The finish pipeline (scheduler/finish_writer.rs) against a store whose
//! finish blocks until the test lets it go: the scheduler goes on while a
//! batch is at the writer, and a stop waits for that batch.

use std::sync::atomic::AtomicUsize;
use std::sync::Condvar;

use super::*;

/// A finish batch held at the writer until opened (also when the test
/// fails: dropping it opens it, so the daemon can stop).
#[derive(Clone, Default)]
struct Gate {
    state: Arc<(Mutex<bool>, Condvar)>,
    /// How many batches reached it.
    reached: Arc<AtomicUsize>,
}

impl Gate {
    /// Called on the writer thread: the first batch waits until opened.
    fn pass(&self) {
        if self.reached.fetch_add(1, Ordering::SeqCst) > 0 {
            return;
        }
        let (open, opened) = &*self.state;
        let mut open = open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while !*open {
            open = opened
                .wait(open)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    fn open(&self) {
        let (open, opened) = &*self.state;
        *open.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        opened.notify_all();
    }

    fn reached(&self) -> usize {
        self.reached.load(Ordering::SeqCst)
    }
}

/// Opens the gate when dropped.
struct OpenOnDrop(Gate);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// A store whose first finish batch waits at `gate` (once per message of
/// the batch: only the first call waits), counting the `sent` records.
fn gated(gate: &Gate, sent_records: &Arc<AtomicUsize>) -> StoreMaker {
    let gate = gate.clone();
    let sent_records = sent_records.clone();
    Box::new(move |journal: Journal| -> Box<dyn SendStore> {
        Box::new(FaultyStore {
            on_append: Some(Box::new(move |record: &Record| {
                if matches!(record, Record::Sent { .. }) {
                    sent_records.fetch_add(1, Ordering::SeqCst);
                }
            })),
            before_finish: Some(Arc::new(Mutex::new(move |_: &std::path::Path| gate.pass()))),
            ..FaultyStore::passing(journal)
        })
    })
}

fn drop_file(bench: &Bench, name: &str, text: &str) {
    let temporary = bench.spool("outgoing").join(format!(".{name}"));
    std::fs::write(&temporary, format!("To: 491510000009\n\n{text}")).unwrap();
    std::fs::rename(&temporary, bench.spool("outgoing").join(name)).unwrap();
}

/// Messages of the journal left open (not ended).
fn open_in_journal(bench: &Bench) -> usize {
    Journal::open(&bench.spool(""), 0o640)
        .map(|journal| journal.open_messages().len())
        .unwrap_or(usize::MAX)
}

/// While the first message's `sent/` file is being written (its batch
/// held at the writer), the scheduler takes the next file, records its
/// start and answer and sends it on the same modem; its finish waits for
/// the next batch, which goes once the first is back. Before the writer
/// thread, the scheduler itself waited for each batch: nothing moved
/// until the batch was durable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_message_goes_out_while_a_finish_batch_is_being_written() {
    let bench = Bench::new(1, "").await;
    let gate = Gate::default();
    let _open = OpenOnDrop(gate.clone());
    let sent_records = Arc::new(AtomicUsize::new(0));
    let running = bench.start(gated(&gate, &sent_records)).await;
    drop_file(&bench, "first", "the first");
    wait_until("the first batch at the writer", || gate.reached() == 1).await;
    drop_file(&bench, "second", "the second");
    wait_until("the second message's answer recorded", || {
        sent_records.load(Ordering::SeqCst) == 2
    })
    .await;
    let texts: Vec<String> = bench.submitted(0).await.into_iter().map(|part| part.2).collect();
    assert_eq!(texts, ["the first", "the second"]);
    assert!(bench.names("sent").is_empty(), "{:?}", bench.names("sent"));
    gate.open();
    wait_until("both in sent/", || bench.names("sent").len() == 2).await;
    running.stop().await;
    assert_eq!(bench.names("sent"), ["first", "second"]);
    assert!(bench.file("sent", "second").contains("the second"));
    assert_eq!(open_in_journal(&bench), 0, "every end recorded");
    bench.stop().await;
}

/// A stop while a batch is at the writer waits for it: its files are
/// written and its end recorded before the daemon returns (the gate
/// opens only once the stop was asked for).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_waits_for_the_finish_batch_at_the_writer() {
    let bench = Bench::new(1, "").await;
    let gate = Gate::default();
    let _open = OpenOnDrop(gate.clone());
    let sent_records = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    let daemon = Daemon::start_with_store(
        bench.config.clone(),
        shutdown.clone(),
        gated(&gate, &sent_records),
        FAST_RETRY,
    )
    .await
    .unwrap();
    let running = Running {
        shutdown: shutdown.clone(),
        daemon: None,
    };
    drop_file(&bench, "only", "only once");
    wait_until("the batch at the writer", || gate.reached() == 1).await;
    shutdown.cancel();
    gate.open();
    tokio::time::timeout(PATIENCE, daemon.join())
        .await
        .expect("the daemon stopped")
        .unwrap();
    drop(running);
    assert_eq!(bench.names("sent"), ["only"]);
    assert!(bench.names("checked").is_empty(), "{:?}", bench.names("checked"));
    assert_eq!(open_in_journal(&bench), 0, "its end recorded before the stop");
    assert_eq!(bench.submitted(0).await.len(), 1);
    bench.stop().await;
}
