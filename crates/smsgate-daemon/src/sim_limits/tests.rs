//! The counting policy on a fake clock: day and month rollover at the
//! configured reset, the minute window, smsd's period, reservations given
//! back.

use chrono::{NaiveDate, NaiveTime};

use super::{Counts, Limit, Now, SimLimits};

fn at(date: &str, time: &str) -> Now {
    let local = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .expect("date")
        .and_time(NaiveTime::parse_from_str(time, "%H:%M:%S").expect("time"));
    // The tests' "unix" time runs with the local one (a UTC zone).
    Now {
        local,
        unix: local.and_utc().timestamp(),
    }
}

fn later(now: Now, seconds: i64) -> Now {
    Now {
        local: now.local + chrono::Duration::seconds(seconds),
        unix: now.unix + seconds,
    }
}

#[test]
fn a_day_limit_blocks_at_the_cap_and_resets_at_the_reset_time() {
    let limits = SimLimits {
        per_day: Some(3),
        reset_time: NaiveTime::from_hms_opt(6, 0, 0).expect("time"),
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    let morning = at("2026-03-10", "07:00:00");
    assert_eq!(counts.reserve(&limits, morning, 2), None);
    assert_eq!(counts.blocking(&limits, morning, 1), None);
    assert_eq!(
        counts.blocking(&limits, morning, 2),
        Some(Limit::Day(3)),
        "2 more would be 4"
    );
    assert_eq!(
        counts.reserve(&limits, morning, 1),
        Some(Limit::Day(3)),
        "reaching it is reported"
    );
    assert_eq!(counts.blocking(&limits, morning, 1), Some(Limit::Day(3)));
    // Midnight is not the reset: 05:59 next day is still the same counting day.
    assert_eq!(
        counts.blocking(&limits, at("2026-03-11", "05:59:59"), 1),
        Some(Limit::Day(3))
    );
    assert_eq!(
        counts.resets_at(&limits, Limit::Day(3)),
        Some(at("2026-03-11", "06:00:00").local)
    );
    assert_eq!(counts.blocking(&limits, at("2026-03-11", "06:00:00"), 1), None);
}

#[test]
fn a_month_limit_resets_on_the_reset_day_across_a_year_end() {
    let limits = SimLimits {
        per_month: Some(2),
        reset_day: 15,
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    counts.reserve(&limits, at("2026-12-20", "10:00:00"), 2);
    assert_eq!(
        counts.blocking(&limits, at("2027-01-14", "23:59:59"), 1),
        Some(Limit::Month(2))
    );
    assert_eq!(
        counts.resets_at(&limits, Limit::Month(2)),
        Some(at("2027-01-15", "00:00:00").local)
    );
    assert_eq!(counts.blocking(&limits, at("2027-01-15", "00:00:00"), 2), None);
    // Before the reset day, the month began in the previous one.
    let mut early = Counts::default();
    early.reserve(&limits, at("2027-03-02", "10:00:00"), 2);
    assert_eq!(early.month, NaiveDate::from_ymd_opt(2027, 2, 15));
}

#[test]
fn the_minute_rate_is_a_sliding_window() {
    let limits = SimLimits {
        max_per_minute: Some(2),
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    let start = at("2026-03-10", "12:00:00");
    counts.reserve(&limits, start, 1);
    counts.reserve(&limits, later(start, 30), 1);
    assert_eq!(
        counts.blocking(&limits, later(start, 59), 1),
        Some(Limit::Minute(2))
    );
    assert_eq!(
        counts.clears_at_unix(&limits, Limit::Minute(2)),
        Some(start.unix + 60)
    );
    // The first one leaves the window at 60 s; the second is still in it.
    assert_eq!(counts.blocking(&limits, later(start, 60), 1), None);
    assert_eq!(
        counts.blocking(&limits, later(start, 60), 2),
        Some(Limit::Minute(2))
    );
    assert_eq!(counts.blocking(&limits, later(start, 90), 2), None);
}

#[test]
fn a_message_longer_than_the_rate_goes_when_the_window_is_empty() {
    let limits = SimLimits {
        max_per_minute: Some(2),
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    let start = at("2026-03-10", "12:00:00");
    assert_eq!(counts.blocking(&limits, start, 5), None);
    counts.reserve(&limits, start, 5);
    assert_eq!(
        counts.blocking(&limits, later(start, 59), 1),
        Some(Limit::Minute(2))
    );
}

#[test]
fn smsds_period_clears_a_period_after_its_first_message() {
    let limits = SimLimits {
        per_period: Some(2),
        period_s: Some(600),
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    let start = at("2026-03-10", "12:00:00");
    counts.reserve(&limits, start, 1);
    assert_eq!(
        counts.reserve(&limits, later(start, 300), 1),
        Some(Limit::Period(2))
    );
    assert_eq!(
        counts.blocking(&limits, later(start, 599), 1),
        Some(Limit::Period(2))
    );
    assert_eq!(
        counts.clears_at_unix(&limits, Limit::Period(2)),
        Some(start.unix + 600)
    );
    assert_eq!(counts.blocking(&limits, later(start, 600), 2), None);
    // The next period begins with the next message, not at the clear.
    counts.reserve(&limits, later(start, 900), 1);
    assert_eq!(counts.period_start, Some(start.unix + 900));
}

#[test]
fn a_period_without_clear_never_clears() {
    let limits = SimLimits {
        per_period: Some(1),
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    let start = at("2026-03-10", "12:00:00");
    counts.reserve(&limits, start, 1);
    assert_eq!(
        counts.blocking(&limits, later(start, 86400 * 40), 1),
        Some(Limit::Period(1))
    );
}

#[test]
fn parts_given_back_leave_the_counts_as_if_never_reserved() {
    let limits = SimLimits {
        per_day: Some(10),
        per_month: Some(10),
        max_per_minute: Some(10),
        per_period: Some(10),
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    let start = at("2026-03-10", "12:00:00");
    counts.reserve(&limits, start, 1);
    let mut expected = counts.clone();
    let second = later(start, 5);
    counts.reserve(&limits, second, 3);
    counts.release(&limits, second, 3);
    expected.roll(&limits, second);
    assert_eq!(counts, expected);
}

#[test]
fn parts_given_back_after_a_reset_are_not_taken_from_the_new_count() {
    let limits = SimLimits {
        per_day: Some(10),
        ..SimLimits::default()
    };
    let mut counts = Counts::default();
    let evening = at("2026-03-10", "23:59:59");
    counts.reserve(&limits, evening, 3);
    counts.reserve(&limits, at("2026-03-11", "00:00:01"), 2);
    counts.release(&limits, evening, 3);
    assert_eq!(counts.day_count, 2);
}
