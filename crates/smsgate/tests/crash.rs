//! The crash test: `smsgate run` drains a backlog on the in-process
//! simulator while it is killed with SIGKILL at random points (some of them
//! inside an `AT+CMGS` exchange, held open by the simulator's delay fault)
//! and restarted, until the backlog is gone. Then every file and every PDU
//! the network received is counted: none lost, none silently sent twice,
//! every uncertain send flagged (`X-Smsgate-Outcome: unknown`).
//!
//! The random points come from a seeded generator; the seed is printed
//! and `SMSGATE_CRASH_SEED=N` replays a run.

use std::collections::BTreeMap;
use std::fs;
use std::time::{Duration, Instant};

use modem_sim::Fault;
use sms_pdu::{Pdu, Tpdu};

mod crash_support;

use crash_support::{header_values, Bench, Rng};

/// How long the whole drain (all kills and the final run) may take.
const DRAIN_DEADLINE: Duration = Duration::from_secs(45);
const N_FILES: usize = 200;
const N_MODEMS: usize = 2;
/// Septets per part of a concatenated GSM 7-bit message (8-bit reference).
const PART_SEPTETS: usize = 153;

/// The send side's view of the simulator: what the modems submitted.
impl Bench {
    fn n_submitted(&self, index: usize) -> usize {
        self.submitted(index).len()
    }

    /// Every PDU modem `index` handed to the network.
    fn submitted_pdus(&self, index: usize) -> Vec<Vec<u8>> {
        self.submitted(index)
            .into_iter()
            .map(|submitted| submitted.pdu)
            .collect()
    }
}

/// File `id`'s name.
fn name(id: usize) -> String {
    format!("crash{id:03}")
}

/// The token that fills file `id`'s text. Six characters of the GSM
/// default alphabet, repeated: any piece of eleven characters or more
/// (every part here) holds one whole token, so each part names its file.
fn token(id: usize) -> String {
    format!("F{id:03}.")
}

/// How many parts file `id` is meant to have: most are single, every fifth
/// has two and every fifteenth four or so (the count used below is the one
/// the concatenation headers say).
fn n_parts(id: usize) -> usize {
    if id % 15 == 0 {
        4
    } else if id % 5 == 0 {
        2
    } else {
        1
    }
}

fn text(id: usize) -> String {
    let septets = match n_parts(id) {
        1 => 18,
        parts => (parts - 1) * PART_SEPTETS + 60,
    };
    token(id).repeat(septets / 6)
}

/// The file a part's text belongs to: the first whole token in it, and
/// every whole token in it must agree.
fn file_of(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut found = None;
    for start in 0..bytes.len().saturating_sub(4) {
        let candidate = &bytes[start..start + 5];
        if candidate[0] == b'F' && candidate[4] == b'.' && candidate[1..4].iter().all(u8::is_ascii_digit) {
            let id: usize = std::str::from_utf8(&candidate[1..4]).unwrap().parse().unwrap();
            match found {
                None => found = Some(id),
                Some(other) if other != id => return None,
                Some(_) => {}
            }
        }
    }
    found
}

#[test]
fn kill_9_while_draining_loses_nothing_and_sends_nothing_twice() {
    let seed = crash_support::seed("crash test");
    let mut rng = Rng::new(seed);
    let started = Instant::now();

    let mut bench = crash_support::bench(N_MODEMS, "", &["outgoing", "checked", "sent", "failed"], |_| {});
    for id in 0..N_FILES {
        // External numbers: the network keeps them, no modem stores them.
        bench.drop_file(&name(id), &format!("To: 4915100{id:06}\n\n{}", text(id)));
    }

    let n_kills = rng.range(5, 9);
    let mut n_in_exchange = 0;
    for kill_index in 0..n_kills {
        let left = bench.names("outgoing").0.len() + bench.names("checked").0.len();
        if left == 0 {
            println!("kill {kill_index}: the backlog is drained, no more kills");
            break;
        }
        assert!(started.elapsed() < DRAIN_DEADLINE, "the drain takes too long");
        bench.start_daemon();
        // Slow answers, so that kills land inside exchanges.
        let mut delays = [0_u64; N_MODEMS];
        for (index, delay) in delays.iter_mut().enumerate() {
            // Mostly both, so that the backlog lasts through every kill.
            if index == 0 || rng.range(0, 4) != 0 {
                *delay = rng.range(80, 300);
                bench.fault(index, Fault::Delay { ms: *delay });
            }
        }
        // Every other kill waits for a PDU to reach a delayed modem and kills
        // before its +CMGS answer comes; the others kill at a random time.
        let delayed = delays.iter().position(|&delay| delay > 0);
        let how = match delayed {
            Some(index) if kill_index % 2 == 0 => {
                let before = bench.n_submitted(index);
                let deadline = Instant::now() + Duration::from_secs(5);
                while bench.n_submitted(index) == before && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(2));
                }
                let landed = bench.n_submitted(index) > before;
                n_in_exchange += usize::from(landed);
                format!("inside an exchange on modem {index}: {landed}")
            }
            _ => {
                let pause = rng.range(20, 900);
                std::thread::sleep(Duration::from_millis(pause));
                format!("after {pause} ms")
            }
        };
        bench.kill_9(Duration::from_millis(*delays.iter().max().unwrap()));
        println!(
            "kill {kill_index}: {how}; delays {delays:?} ms; {left} -> {} files left",
            bench.names("outgoing").0.len() + bench.names("checked").0.len()
        );
    }

    // The last start drains what is left.
    bench.start_daemon();
    let remaining = DRAIN_DEADLINE
        .saturating_sub(started.elapsed())
        .max(Duration::from_secs(10));
    bench.wait_within("outgoing/ is drained", remaining, || {
        bench.names("outgoing").0.is_empty()
            && bench.names("checked").0.is_empty()
            && bench.names("sent").0.len() + bench.names("failed").0.len() >= N_FILES
    });
    // Nothing more goes out after the drain.
    std::thread::sleep(Duration::from_millis(300));
    bench.stop_daemon();

    // Count: which parts of which file reached the network, how often.
    let mut received: BTreeMap<(usize, u8), usize> = BTreeMap::new();
    let mut strays = Vec::new();
    let mut concat_totals: BTreeMap<usize, u8> = BTreeMap::new();
    for index in 0..N_MODEMS {
        for pdu in bench.submitted_pdus(index) {
            let submit = match Pdu::decode(&pdu).map(|decoded| decoded.value.tpdu) {
                Ok(Tpdu::Submit(submit)) => submit,
                other => {
                    strays.push(format!("modem {index}: not a SUBMIT: {other:?}"));
                    continue;
                }
            };
            let concat = submit
                .user_data
                .header
                .as_ref()
                .and_then(|header| header.concat());
            let seq = concat.as_ref().map_or(1, |concat| concat.seq);
            match submit.text().as_deref().and_then(file_of) {
                Some(id) if id < N_FILES => {
                    *received.entry((id, seq)).or_default() += 1;
                    if let Some(concat) = concat {
                        concat_totals.insert(id, concat.total);
                    }
                }
                _ => strays.push(format!("modem {index}: {:?}", submit.text())),
            }
        }
    }

    let (sent, sent_temporary) = bench.names("sent");
    let (failed, failed_temporary) = bench.names("failed");
    let (outgoing, outgoing_hidden) = bench.names("outgoing");
    // Checked files wait in checked/ (the default queue's directory).
    let (checked, checked_hidden) = bench.names("checked");
    let mut lost = Vec::new();
    let mut duplicated = Vec::new();
    let mut in_both = Vec::new();
    let mut unflagged_failures = Vec::new();
    let mut flagged = 0;
    let mut flagged_delivered = 0;
    let mut flagged_partly = 0;
    let mut flagged_not_sent = 0;
    // The number of parts as the PDUs' concatenation headers say.
    let mut totals: BTreeMap<usize, u8> = BTreeMap::new();
    for (&(id, _), _) in received.iter() {
        totals.entry(id).or_insert(1);
    }
    for (id, total) in &concat_totals {
        totals.insert(*id, *total);
    }
    for id in 0..N_FILES {
        // A file none of whose parts arrived: as planned (for a sent one,
        // every part is then missing anyway).
        let parts = totals.get(&id).map_or(n_parts(id), |&total| usize::from(total));
        let counts: Vec<usize> = (1..=parts)
            .map(|seq| {
                received
                    .get(&(id, u8::try_from(seq).unwrap()))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        if counts.iter().any(|&count| count > 1) {
            duplicated.push(format!("{} parts received {counts:?}", name(id)));
        }
        let is_sent = sent.contains(&name(id));
        let is_failed = failed.contains(&name(id));
        match (is_sent, is_failed) {
            (true, true) => in_both.push(name(id)),
            (false, false) => lost.push(format!("{}: in neither sent/ nor failed/", name(id))),
            (true, false) => {
                let file = fs::read_to_string(bench.spool("sent").join(name(id))).unwrap();
                let ids = header_values(&file, "Message_id").len();
                if counts.contains(&0) || ids != parts {
                    lost.push(format!(
                        "{}: in sent/ with {ids} Message_id(s), parts received {counts:?}",
                        name(id)
                    ));
                }
            }
            (false, true) => {
                let file = fs::read_to_string(bench.spool("failed").join(name(id))).unwrap();
                if header_values(&file, "X-Smsgate-Outcome") == ["unknown"] {
                    flagged += 1;
                    if counts.iter().all(|&count| count > 0) {
                        flagged_delivered += 1;
                    } else if counts.iter().any(|&count| count > 0) {
                        flagged_partly += 1;
                    } else {
                        flagged_not_sent += 1;
                    }
                } else {
                    unflagged_failures.push(format!(
                        "{}: {:?}",
                        name(id),
                        header_values(&file, "Fail_reason")
                    ));
                }
            }
        }
    }

    println!("crash test seed {seed}: {n_kills} kill(s) planned, {n_in_exchange} inside an exchange");
    println!("  daemon starts:                  {}", bench.n_starts);
    println!("  files:                          {N_FILES}");
    println!("  in sent/:                       {}", sent.len());
    println!("  in failed/, flagged unknown:    {flagged}");
    println!("    of which all parts reached the network: {flagged_delivered}");
    println!("    of which some parts did:                {flagged_partly}");
    println!("    of which none did:                      {flagged_not_sent}");
    println!("  in failed/, not flagged:        {}", unflagged_failures.len());
    println!("  lost:                           {}", lost.len());
    println!("  silently duplicated:            {}", duplicated.len());
    println!("  PDUs not from a file:           {}", strays.len());
    println!("  failed restarts:                {}", bench.failed_starts.len());
    println!("  took:                           {:.1?}", started.elapsed());

    let context = format!("seed {seed}; replay with SMSGATE_CRASH_SEED={seed}");
    assert!(outgoing.is_empty(), "{context}: left in outgoing/: {outgoing:?}");
    assert!(
        checked.is_empty() && checked_hidden.is_empty(),
        "{context}: left in checked/: {checked:?} {checked_hidden:?}"
    );
    assert!(
        outgoing_hidden.is_empty(),
        "{context}: dotfiles in outgoing/: {outgoing_hidden:?}"
    );
    assert!(
        in_both.is_empty(),
        "{context}: in both sent/ and failed/: {in_both:?}"
    );
    assert!(lost.is_empty(), "{context}: lost: {lost:#?}");
    assert!(
        duplicated.is_empty(),
        "{context}: silently duplicated: {duplicated:#?}"
    );
    assert!(
        strays.is_empty(),
        "{context}: PDUs that match no file: {strays:#?}"
    );
    assert!(
        unflagged_failures.is_empty(),
        "{context}: failed without an unknown outcome: {unflagged_failures:#?}"
    );
    assert_eq!(
        sent.len() + failed.len(),
        N_FILES,
        "{context}: sent {sent:?} failed {failed:?}"
    );
    assert!(
        sent_temporary.is_empty() && failed_temporary.is_empty(),
        "{context}: temporary files left: {sent_temporary:?} {failed_temporary:?}"
    );
    assert!(
        bench.failed_starts.is_empty(),
        "{context}: the daemon failed to restart after a kill (stale modem output?): {:#?}",
        bench.failed_starts
    );
}
