//! The re-plug policy on a fake clock: when rounds are due, which ports
//! they may probe, and how the pauses grow.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::*;

fn path(text: &str) -> PathBuf {
    PathBuf::from(text)
}

/// `(path, device)` pairs of ports a glob found, each its own device.
fn found(paths: &[&str]) -> Vec<(PathBuf, PathBuf)> {
    paths.iter().map(|p| (path(p), path(p))).collect()
}

fn bound(pairs: &[(&str, &str)]) -> Bindings {
    Bindings {
        bound: pairs
            .iter()
            .map(|(name, p)| ((*name).to_owned(), path(p)))
            .collect(),
        unbound: BTreeMap::new(),
    }
}

#[test]
fn nothing_is_probed_while_no_modem_is_lost() {
    let lost = Lost::default();
    let now = Instant::now();
    assert_eq!(lost.next_due(), None);
    assert_eq!(lost.round(now, &found(&["/dev/ttyUSB0"]), &[]), None);
}

#[test]
fn a_lost_modem_is_probed_for_at_once_then_after_growing_pauses_until_found() {
    let start = Instant::now();
    let mut lost = Lost::default();
    lost.lose("gsm-a", start);
    let ports = found(&["/dev/ttyUSB0", "/dev/ttyUSB1"]);
    let round = lost.round(start, &ports, &[]).expect("due at once");
    assert_eq!(round.modems, ["gsm-a".to_owned()].into());
    assert_eq!(round.ports, [path("/dev/ttyUSB0"), path("/dev/ttyUSB1")]);
    // Not found: the pauses double, up to the longest.
    let mut now = start;
    let mut pauses = Vec::new();
    for _ in 0..9 {
        lost.after_round(now, &Bindings::default());
        let due = lost.next_due().unwrap();
        pauses.push(due - now);
        assert_eq!(lost.round(due - Duration::from_millis(1), &ports, &[]), None);
        assert!(lost.round(due, &ports, &[]).is_some());
        now = due;
    }
    let ms: Vec<u128> = pauses.iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    // Found: no more rounds.
    lost.after_round(now, &bound(&[("gsm-a", "/dev/ttyUSB1")]));
    assert!(!lost.is_lost("gsm-a"));
    assert_eq!(lost.next_due(), None);
}

#[test]
fn a_round_skips_the_ports_of_modems_that_are_not_lost() {
    let now = Instant::now();
    let mut lost = Lost::default();
    lost.lose("gsm-a", now);
    let configured: BTreeMap<String, PathBuf> = [
        ("gsm-a".to_owned(), path("/dev/ttyUSB0")),
        ("gsm-b".to_owned(), path("/dev/ttyUSB1")),
        ("by-path".to_owned(), path("/dev/ttyUSB3")),
    ]
    .into();
    let in_use = ports_in_use(&configured, &lost);
    assert_eq!(in_use, [path("/dev/ttyUSB3"), path("/dev/ttyUSB1")]);
    let ports = found(&["/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyUSB2", "/dev/ttyUSB3"]);
    let round = lost.round(now, &ports, &in_use).unwrap();
    // Its own old port may come back with it; the others' are untouched.
    assert_eq!(round.ports, [path("/dev/ttyUSB0"), path("/dev/ttyUSB2")]);
}

#[test]
fn modems_lost_together_are_probed_in_one_round_and_each_keeps_its_pause() {
    let start = Instant::now();
    let mut lost = Lost::default();
    lost.lose("gsm-a", start);
    lost.after_round(start, &Bindings::default());
    // gsm-b is lost later: the next round is due at once, for both.
    let later = start + Duration::from_millis(100);
    lost.lose("gsm-b", later);
    // A second report of gsm-a's loss does not hurry its probes.
    lost.lose("gsm-a", later);
    assert_eq!(lost.next_due(), Some(later));
    let round = lost.round(later, &found(&["/dev/ttyUSB0"]), &[]).unwrap();
    assert_eq!(round.modems, ["gsm-a".to_owned(), "gsm-b".to_owned()].into());
    // Only gsm-b is found; gsm-a waits its second, longer pause.
    lost.after_round(later, &bound(&[("gsm-b", "/dev/ttyUSB0")]));
    assert_eq!(lost.names().collect::<Vec<_>>(), ["gsm-a"]);
    assert_eq!(lost.next_due(), Some(later + Duration::from_secs(1)));
    // Removed by a reload: no longer looked for.
    lost.forget("gsm-a");
    assert_eq!(lost.next_due(), None);
}
