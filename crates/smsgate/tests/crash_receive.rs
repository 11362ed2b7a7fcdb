//! The receive-side crash test: a stream of messages (single GSM 7-bit
//! and UCS2 ones, and concatenated ones of 2-4 parts, some delivered out
//! of order) reaches two simulated modems while `smsgate run` receives
//! them and is killed with SIGKILL at random points, in turn: inside an
//! `AT+CMGD` exchange (the message already gone from the SIM, the `OK`
//! held back by the simulator's delay fault); while the modem hangs (the
//! command after an `AT+CMGR` answer swallowed, so a message is held on
//! disk and still in the SIM); and at a random time while every answer
//! is late. The daemon is restarted each time. Then every `incoming/` file
//! is counted: each message exactly once, whole (parts joined, not
//! `Incomplete`), from its sender, by the modem it was sent to; the SIMs
//! and the part stores empty; no temporary file left.
//!
//! The plan (texts, senders, modems, part orders) and the kill points
//! come from a seeded generator; the seed is printed and
//! `SMSGATE_CRASH_SEED=N` replays a run (the kill points then land at the
//! same moments of the plan, not at the same instructions).

use std::collections::BTreeMap;
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modem_sim::sim::{Injection, SimClient};
use modem_sim::{Fault, TextEncoding};
use tokio::time::MissedTickBehavior;

mod crash_support;

use crash_support::spool_bench::wait_until;
use crash_support::{header_values, Bench, Rng};

const N_MESSAGES: usize = 150;
const N_MODEMS: usize = 2;
/// One message every this often: the stream lasts about as long as the
/// kills and restarts.
const PACE: Duration = Duration::from_millis(50);
/// Room in each SIM (a real SIM has 20-50): more than the backlog that
/// builds up while the daemon is slowed down, killed and restarted, so
/// that the store never fills up (the network would hold messages back,
/// which is safe too, but then the stream is not what the daemon sees).
const SIM_CAPACITY: usize = 150;
/// How long the final run may take to take in what is left.
const SETTLE_DEADLINE: Duration = Duration::from_secs(10);
/// Septets (GSM 7-bit) and UTF-16 units (UCS2) per part of a concatenated
/// message with an 8-bit reference.
const GSM7_PART: usize = 153;
const UCS2_PART: usize = 67;

/// Senders: international numbers, one of unknown type, one name.
const SENDERS: [&str; 5] = [
    "+37120000001",
    "+4915112345678",
    "+37129876543",
    "5550123",
    "BANKINFO",
];

/// One message of the stream.
#[derive(Clone, Debug)]
struct Planned {
    modem: usize,
    from: String,
    text: String,
    encoding: TextEncoding,
    parts: usize,
    /// The order its parts are delivered in, when not 1, 2, ...
    order: Option<Vec<usize>>,
}

/// Message `id`'s name in the report.
fn label(id: usize) -> String {
    format!("R{id:03}")
}

/// The token that starts message `id`'s text.
fn token(id: usize) -> String {
    format!("{}:", label(id))
}

/// The message an `incoming/` body belongs to, by its token.
fn message_of(body: &str) -> Option<usize> {
    let rest = body.strip_prefix('R')?;
    let digits = rest.get(..3)?;
    (rest.get(3..4) == Some(":") && digits.bytes().all(|byte| byte.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// `len` characters of `pool`'s words, cycled from a random start.
fn filler(rng: &mut Rng, pool: &[&str], len: usize) -> String {
    let mut text = String::new();
    let mut word = rng.range(0, pool.len() as u64) as usize;
    while text.chars().count() < len {
        text.push_str(pool[word % pool.len()]);
        word += 1;
    }
    text.chars().take(len).collect()
}

/// The stream, message by message.
fn plan(rng: &mut Rng) -> Vec<Planned> {
    // Characters of the GSM default alphabet (one septet each), and BMP
    // characters outside it (one UTF-16 unit each).
    const GSM7_WORDS: &[&str] = &[
        "alpha ",
        "Bravo, ",
        "charlie! ",
        "delta? ",
        "echo-7 ",
        "Über ",
        "ÆØÅ éù ",
    ];
    const UCS2_WORDS: &[&str] = &["Привет ", "ŽŠČ ", "мир, ", "ĀĒĪ ", "Ωμέγα ", "日本語 ", "ļķņ "];
    (0..N_MESSAGES)
        .map(|id| {
            let modem = rng.range(0, N_MODEMS as u64) as usize;
            let from = SENDERS[rng.range(0, SENDERS.len() as u64) as usize].to_owned();
            let head = token(id);
            let (text, encoding, parts) = match rng.range(0, 20) {
                // Single GSM 7-bit, with escaped characters (two septets).
                0..=8 => {
                    let len = rng.range(10, 100) as usize;
                    let body = filler(rng, GSM7_WORDS, len);
                    (format!("{head} {body} €[x]"), TextEncoding::Gsm7, 1)
                }
                // Single UCS2, with a surrogate pair.
                9..=12 => {
                    let len = rng.range(5, 50) as usize;
                    let body = filler(rng, UCS2_WORDS, len);
                    (format!("{head} {body} 🙂"), TextEncoding::Ucs2, 1)
                }
                // Concatenated, 2-4 parts.
                kind => {
                    let parts = rng.range(2, 5) as usize;
                    let (encoding, per_part, pool) = match kind % 2 {
                        0 => (TextEncoding::Gsm7, GSM7_PART, GSM7_WORDS),
                        _ => (TextEncoding::Ucs2, UCS2_PART, UCS2_WORDS),
                    };
                    // The last part holds between a fifth and most of a
                    // part, so the count is `parts` whatever the filler.
                    let last = rng.range(per_part as u64 / 5, per_part as u64 - 5) as usize;
                    let len = (parts - 1) * per_part + last - head.len();
                    (format!("{head}{}", filler(rng, pool, len)), encoding, parts)
                }
            };
            // Half of the long ones out of order.
            let order = (parts > 1 && rng.range(0, 2) == 0).then(|| {
                let mut order: Vec<usize> = (1..=parts).collect();
                for at in (1..parts).rev() {
                    order.swap(at, rng.range(0, at as u64 + 1) as usize);
                }
                if order.windows(2).all(|pair| pair[0] < pair[1]) {
                    order.reverse();
                }
                order
            });
            Planned {
                modem,
                from,
                text,
                encoding,
                parts,
                order,
            }
        })
        .collect()
}

/// What the injecting task saw.
#[derive(Debug, Default)]
struct Injected {
    /// Messages whose part count was not the planned one (the plan's
    /// arithmetic is wrong, not the daemon).
    miscounted: Vec<String>,
    /// The most messages each SIM held right after an injection.
    peak: [usize; N_MODEMS],
}

/// Injects the stream at a steady pace, whether the daemon runs or not,
/// except while `setting_up` is set: the modem driver's handshake waits
/// for a quiet line, and a `+CMTI` every few tens of milliseconds (faster
/// than any network delivers) keeps it from ever being quiet.
async fn inject_stream(sim: SimClient, plan: Vec<Planned>, setting_up: Arc<AtomicBool>) -> Injected {
    let mut injected = Injected::default();
    let mut tick = tokio::time::interval(PACE);
    // After a pause, the pace goes on; no burst of the missed ticks.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for (id, message) in plan.into_iter().enumerate() {
        tick.tick().await;
        while setting_up.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let injection = Injection::Text {
            from: message.from,
            text: message.text,
            encoding: message.encoding,
            class0: false,
            parts_order: message.order,
        };
        match sim.inject(message.modem, injection).await {
            Ok(parts) if parts == message.parts => {}
            other => injected.miscounted.push(format!(
                "message {id}: planned {} parts, got {other:?}",
                message.parts
            )),
        }
        for (index, peak) in injected.peak.iter_mut().enumerate() {
            if let Ok(info) = sim.modem(index).await {
                *peak = (*peak).max(info.sm.0);
            }
        }
    }
    injected
}

/// The receive side's view of the simulator.
impl Bench {
    /// The part store of modem `index`: (part files, temporary files).
    fn parts_held(&self, index: usize) -> (Vec<String>, Vec<String>) {
        let dir = self.spool("smsgate.parts").join(format!("modem{index}"));
        match dir.exists() {
            true => self.names(&format!("smsgate.parts/modem{index}")),
            false => (Vec::new(), Vec::new()),
        }
    }
}

#[test]
fn kill_9_while_receiving_writes_every_message_once_and_empties_the_sims() {
    let seed = crash_support::seed("receive crash test");
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let plan = plan(&mut rng);

    let mut bench = crash_support::bench(
        N_MODEMS,
        "receive = true\n",
        &["outgoing", "incoming", "report"],
        |sim| {
            for modem in &mut sim.modems {
                modem.sm_capacity = SIM_CAPACITY;
            }
        },
    );
    bench.start_daemon();
    let setting_up = Arc::new(AtomicBool::new(false));
    let stream = bench.runtime.spawn(inject_stream(
        bench.sim().client(),
        plan.clone(),
        Arc::clone(&setting_up),
    ));
    let restart = |bench: &mut Bench| {
        setting_up.store(true, Ordering::SeqCst);
        bench.start_daemon();
        setting_up.store(false, Ordering::SeqCst);
    };

    let n_kills = rng.range(5, 9) as usize;
    let mut n_kills_done = 0;
    let mut n_in_delete = 0;
    let mut n_hung = 0;
    for kill_index in 0..n_kills {
        // After the stream, kills go on while there is a backlog.
        if stream.is_finished() && (0..N_MODEMS).all(|index| bench.n_stored(index) == 0) {
            println!("kill {kill_index}: the stream has ended and the SIMs are empty, no more kills");
            break;
        }
        if kill_index > 0 {
            restart(&mut bench);
        }
        // Late answers, so that kills land inside exchanges: always on the
        // modem watched below (each in turn), mostly on the other too.
        let watched = (kill_index / 3) % N_MODEMS;
        let mut delays = [0_u64; N_MODEMS];
        for (index, delay) in delays.iter_mut().enumerate() {
            if index == watched || rng.range(0, 4) != 0 {
                *delay = rng.range(40, 160);
                bench.fault(index, Fault::Delay { ms: *delay });
            }
        }
        let how = match kill_index % 3 {
            0 => {
                // A message leaves the watched modem's SIM: the daemon's
                // AT+CMGD was carried out and its OK is still on the way.
                std::thread::sleep(Duration::from_millis(rng.range(100, 500)));
                let mut before = bench.n_stored(watched);
                let landed = wait_until(Duration::from_secs(3), || {
                    let now = bench.n_stored(watched);
                    let deleted = now < before;
                    before = now;
                    deleted
                });
                n_in_delete += usize::from(landed);
                format!("inside an AT+CMGD exchange on modem {watched}: {landed}")
            }
            1 => {
                // The watched modem stops taking commands; the answer on its
                // way still comes. After an AT+CMGR answer the daemon holds
                // the message and its AT+CMGD is swallowed: killed then, the
                // message is both held and still in the SIM.
                let pause = rng.range(100, 600);
                std::thread::sleep(Duration::from_millis(pause));
                bench.fault(watched, Fault::Hang);
                std::thread::sleep(Duration::from_millis(delays[watched] + 60));
                n_hung += 1;
                format!("modem {watched} hung after {pause} ms")
            }
            _ => {
                let pause = rng.range(100, 700);
                std::thread::sleep(Duration::from_millis(pause));
                format!("after {pause} ms")
            }
        };
        bench.kill_9(Duration::from_millis(*delays.iter().max().unwrap()));
        n_kills_done += 1;
        let in_sims: Vec<usize> = (0..N_MODEMS).map(|index| bench.n_stored(index)).collect();
        println!(
            "kill {kill_index}: {how}; delays {delays:?} ms; {} incoming file(s), SIMs hold {in_sims:?}",
            bench.names("incoming").0.len()
        );
    }

    // The last start takes in the rest of the stream and what is left.
    if n_kills_done > 0 {
        restart(&mut bench);
    }
    let injected = bench.runtime.block_on(stream).unwrap();
    let settled = wait_until(SETTLE_DEADLINE, || {
        bench.names("incoming").0.len() >= N_MESSAGES
            && (0..N_MODEMS).all(|index| bench.n_stored(index) == 0 && bench.parts_held(index).0.is_empty())
    });
    // A duplicate would come now.
    std::thread::sleep(Duration::from_millis(300));
    bench.stop_daemon();

    // Count: which message each incoming/ file is, how often.
    let (incoming, incoming_temporary) = bench.names("incoming");
    let mut copies: BTreeMap<usize, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut strays = Vec::new();
    for name in &incoming {
        let file = fs::read_to_string(bench.spool("incoming").join(name)).unwrap();
        let body = file.split_once("\n\n").map_or("", |(_, body)| body);
        let Some(id) = message_of(body).filter(|&id| id < N_MESSAGES) else {
            strays.push(format!("{name}: {file:?}"));
            continue;
        };
        *copies.entry(id).or_default() += 1;
        let planned = &plan[id];
        let from = planned.from.trim_start_matches('+');
        let modem = format!("modem{}", planned.modem);
        let mut problems = Vec::new();
        if body != planned.text {
            problems.push(format!("text {body:?}, sent {:?}", planned.text));
        }
        if header_values(&file, "From") != [from] {
            problems.push(format!(
                "From {:?}, sent from {from}",
                header_values(&file, "From")
            ));
        }
        if !name.starts_with(&format!("{modem}.")) || header_values(&file, "Modem") != [modem.as_str()] {
            problems.push(format!("received by {modem}"));
        }
        if !header_values(&file, "Incomplete").is_empty() {
            problems.push(format!(
                "Missing_parts {:?}",
                header_values(&file, "Missing_parts")
            ));
        }
        if !problems.is_empty() {
            wrong.push(format!("{name} ({}): {}", label(id), problems.join("; ")));
        }
    }
    let lost: Vec<String> = (0..N_MESSAGES)
        .filter(|id| !copies.contains_key(id))
        .map(|id| {
            format!(
                "{} ({} part(s), to modem{})",
                label(id),
                plan[id].parts,
                plan[id].modem
            )
        })
        .collect();
    let duplicated: Vec<String> = copies
        .iter()
        .filter(|(_, &count)| count > 1)
        .map(|(&id, count)| format!("{}: {count} files", label(id)))
        .collect();
    let in_sims: Vec<usize> = (0..N_MODEMS).map(|index| bench.n_stored(index)).collect();
    let held: Vec<(Vec<String>, Vec<String>)> = (0..N_MODEMS).map(|index| bench.parts_held(index)).collect();
    let n_held: usize = held.iter().map(|(parts, _)| parts.len()).sum();
    let held_temporary: Vec<&String> = held.iter().flat_map(|(_, temporary)| temporary).collect();
    let (reports, _) = bench.names("report");

    let n_pdus: usize = plan.iter().map(|message| message.parts).sum();
    let n_long = plan.iter().filter(|message| message.parts > 1).count();
    let n_shuffled = plan.iter().filter(|message| message.order.is_some()).count();
    let n_ucs2_single = plan
        .iter()
        .filter(|message| message.parts == 1 && message.encoding == TextEncoding::Ucs2)
        .count();
    println!(
        "receive crash test seed {seed}: {n_kills} kill(s) planned, {n_kills_done} done, \
         {n_in_delete} inside an AT+CMGD exchange, {n_hung} while a modem hung"
    );
    println!("  daemon starts:                  {}", bench.n_starts);
    println!(
        "  messages injected:              {N_MESSAGES} ({n_pdus} PDUs: {} single GSM 7-bit, \
         {n_ucs2_single} single UCS2, {n_long} in 2-4 parts, {n_shuffled} of them out of order)",
        N_MESSAGES - n_long - n_ucs2_single
    );
    println!(
        "  peak SIM use:                   {:?} of {SIM_CAPACITY}",
        injected.peak
    );
    println!(
        "  in incoming/ exactly once:      {}",
        copies.values().filter(|&&count| count == 1).count()
    );
    println!("  lost:                           {}", lost.len());
    println!("  duplicated:                     {}", duplicated.len());
    println!("  wrong text/sender/modem, or incomplete: {}", wrong.len());
    println!(
        "  files that match no message:    {}",
        strays.len() + reports.len()
    );
    println!("  left in the SIMs:               {in_sims:?}");
    println!("  left in the part stores:        {n_held}");
    println!("  failed restarts:                {}", bench.failed_starts.len());
    println!("  took:                           {:.1?}", started.elapsed());

    let context = format!("seed {seed}; replay with SMSGATE_CRASH_SEED={seed}");
    assert!(
        injected.miscounted.is_empty(),
        "{context}: the plan is wrong: {:#?}",
        injected.miscounted
    );
    assert!(lost.is_empty(), "{context}: lost: {lost:#?}");
    assert!(duplicated.is_empty(), "{context}: duplicated: {duplicated:#?}");
    assert!(wrong.is_empty(), "{context}: written wrong: {wrong:#?}");
    assert!(
        strays.is_empty() && reports.is_empty(),
        "{context}: files that match no message: {strays:#?} {reports:?}"
    );
    assert!(
        in_sims.iter().all(|&used| used == 0),
        "{context}: left in the SIMs: {in_sims:?}"
    );
    assert!(n_held == 0, "{context}: left in the part stores: {held:?}");
    assert!(
        incoming_temporary.is_empty() && held_temporary.is_empty(),
        "{context}: temporary files left: {incoming_temporary:?} {held_temporary:?}"
    );
    assert!(
        bench.failed_starts.is_empty(),
        "{context}: the daemon failed to restart after a kill: {:#?}",
        bench.failed_starts
    );
    assert!(
        settled,
        "{context}: every other check passed, yet the end state came late"
    );
}
