//! Counts kept per SIM: they follow a SIM that moves to another modem.

use std::collections::BTreeMap;

use super::{Admission, LimitBook, FILE_NAME};
use crate::sim_limits::{test_noon as noon, SimLimits};

/// gsm-a and gsm-b may each send `n` a day.
fn per_day(n: u32) -> BTreeMap<String, SimLimits> {
    let limits = SimLimits {
        per_day: Some(n),
        ..SimLimits::default()
    };
    BTreeMap::from([("gsm-a".to_owned(), limits.clone()), ("gsm-b".to_owned(), limits)])
}

fn refused(book: &mut LimitBook, modem: &str) -> bool {
    matches!(book.admits(modem, 1, noon()), Admission::Refuse(_))
}

#[test]
fn a_sim_moved_to_another_modem_takes_its_count_along() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut book = LimitBook::open(dir.path(), 0o600, per_day(2));
    book.set_sim("gsm-a", Some("+CCID: \"8949000000000000001F\""));
    book.set_sim("gsm-b", Some("8949000000000000002"));
    book.reserve("gsm-a", 2, noon()).expect("reserve");
    assert!(refused(&mut book, "gsm-a"));
    // The SIMs swap modems: the count is the SIM's.
    book.set_sim("gsm-a", Some("8949000000000000002"));
    book.set_sim("gsm-b", Some("8949000000000000001"));
    assert!(!refused(&mut book, "gsm-a"));
    assert!(refused(&mut book, "gsm-b"));
    // And after a restart, before the modems say which SIM they hold: the
    // SIM each last held.
    let mut again = LimitBook::open(dir.path(), 0o600, per_day(2));
    assert!(!refused(&mut again, "gsm-a"));
    assert!(refused(&mut again, "gsm-b"));
    // Releases go back into the entry the parts were counted in, even if
    // the SIM changed in between.
    let (reservation, _) = again.reserve("gsm-a", 1, noon()).expect("reserve");
    again.set_sim("gsm-a", Some("8949000000000000003"));
    again.release("gsm-a", reservation.expect("limited"), 1);
    again.set_sim("gsm-a", Some("8949000000000000002"));
    assert_eq!(again.counts("gsm-a").map(|counts| counts.day_count), Some(0));
}

#[test]
fn counts_kept_by_name_become_the_sims_when_it_is_known_and_unknown_keeps_the_last() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file of before SIMs were known: counted by modem name.
    std::fs::write(
        dir.path().join(FILE_NAME),
        br#"{"gsm-a": {"day": "2026-03-10", "day_count": 2, "month": "2026-03-01", "month_count": 2,
            "period_start": null, "period_count": 0, "recent": []}}"#,
    )
    .expect("write");
    let mut book = LimitBook::open(dir.path(), 0o600, per_day(2));
    assert!(refused(&mut book, "gsm-a"));
    book.set_sim("gsm-a", Some("8949000000000000001"));
    assert!(refused(&mut book, "gsm-a"), "the name's count is its SIM's now");
    // A modem that cannot tell its SIM keeps the one it last held.
    book.set_sim("gsm-a", None);
    book.set_sim("gsm-a", Some("ERROR"));
    assert!(refused(&mut book, "gsm-a"));
    // Another SIM in it: a fresh count; the first SIM's count stays its own.
    book.set_sim("gsm-a", Some("8949000000000000009"));
    assert!(!refused(&mut book, "gsm-a"));
    book.set_sim("gsm-b", Some("8949000000000000001"));
    assert!(refused(&mut book, "gsm-b"));
}
