//! The limits as metrics (`smsgate_modem_limit_count{modem,period}`,
//! `smsgate_modem_limit_reached{modem,limit}`), read when `/metrics` is
//! scraped from the counts on disk (the truth, `book.rs`): a state, not an
//! event, like the queue depths.

use std::path::Path;

use super::{book, Counts, Now, SimLimits};
use crate::metrics::{LimitLabels, Metrics, PeriodLabels};

/// One configured limit of a modem, as it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LimitGauge {
    /// The config key: `per-day`, `per-month`, `max-per-minute`,
    /// `per-period`.
    pub(crate) limit: &'static str,
    /// What it counts over: `day`, `month`, `minute`, `period`.
    pub(crate) period: &'static str,
    /// SMS counted in the current period.
    pub(crate) count: u32,
    /// Whether the modem takes no more (count at or over the cap).
    pub(crate) reached: bool,
}

/// Each limit `limits` sets, with `counts` as they stand at `now` (counts
/// of a period that has reset read zero).
pub(crate) fn gauges(limits: &SimLimits, counts: &Counts, now: Now) -> Vec<LimitGauge> {
    let mut counts = counts.clone();
    counts.roll(limits, now);
    let in_minute = u32::try_from(counts.recent.len()).unwrap_or(u32::MAX);
    let mut gauges = Vec::new();
    let mut gauge = |limit, period, count: u32, cap: Option<u32>| {
        if let Some(cap) = cap {
            gauges.push(LimitGauge {
                limit,
                period,
                count,
                reached: count >= cap,
            });
        }
    };
    gauge("per-day", "day", counts.day_count, limits.per_day);
    gauge("per-month", "month", counts.month_count, limits.per_month);
    gauge("max-per-minute", "minute", in_minute, limits.max_per_minute);
    gauge("per-period", "period", counts.period_count, limits.per_period);
    gauges
}

/// Sets the limit gauges of `modems` (name and limits) from the counts in
/// `base`. Counts that cannot be read leave the gauges as they were (the
/// scheduler logs and alarms about that file).
pub(crate) fn set_metrics<'a>(
    metrics: &Metrics,
    base: &Path,
    modems: impl Iterator<Item = (&'a String, &'a SimLimits)>,
    now: Now,
) {
    let Ok(saved) = book::read(&base.join(book::FILE_NAME)) else {
        return;
    };
    for (modem, limits) in modems {
        // A modem whose SIM is known counts in its SIM's entry.
        let key = saved
            .get(modem)
            .and_then(|counts| counts.sim.as_ref())
            .unwrap_or(modem);
        let counts = saved.get(key).cloned().unwrap_or_default();
        for gauge in gauges(limits, &counts, now) {
            let count = PeriodLabels {
                modem: modem.clone(),
                period: gauge.period.to_owned(),
            };
            metrics
                .limit_count
                .get_or_create(&count)
                .set(i64::from(gauge.count));
            let reached = LimitLabels {
                modem: modem.clone(),
                limit: gauge.limit.to_owned(),
            };
            metrics
                .limit_reached
                .get_or_create(&reached)
                .set(i64::from(gauge.reached));
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime};

    use super::*;

    fn at(day: u32, hour: u32) -> Now {
        let local = NaiveDate::from_ymd_opt(2026, 3, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap();
        Now {
            local,
            unix: local.and_utc().timestamp(),
        }
    }

    #[test]
    fn each_limit_set_is_a_gauge_and_a_reset_period_reads_zero() {
        let limits = SimLimits {
            per_day: Some(2),
            per_month: Some(10),
            reset_time: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
            ..SimLimits::default()
        };
        let mut counts = Counts::default();
        counts.reserve(&limits, at(5, 12), 2);
        let names = |gauges: &[LimitGauge]| -> Vec<(&str, &str, u32, bool)> {
            gauges
                .iter()
                .map(|gauge| (gauge.limit, gauge.period, gauge.count, gauge.reached))
                .collect()
        };
        assert_eq!(
            names(&gauges(&limits, &counts, at(5, 13))),
            [("per-day", "day", 2, true), ("per-month", "month", 2, false)]
        );
        // Past the next reset-time the day counts from zero; the month not.
        assert_eq!(
            names(&gauges(&limits, &counts, at(6, 7))),
            [("per-day", "day", 0, false), ("per-month", "month", 2, false)]
        );
        assert_eq!(gauges(&SimLimits::default(), &counts, at(5, 13)), []);
    }

    #[test]
    fn the_gauges_are_rendered_from_the_counts_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let limits = SimLimits {
            per_day: Some(1),
            ..SimLimits::default()
        };
        let mut counts = Counts::default();
        counts.reserve(&limits, at(5, 12), 1);
        let saved = std::collections::BTreeMap::from([("gsm-a".to_owned(), counts)]);
        std::fs::write(
            dir.path().join(book::FILE_NAME),
            serde_json::to_vec(&saved).unwrap(),
        )
        .unwrap();
        let metrics = Metrics::default();
        let modems = [("gsm-a".to_owned(), limits.clone()), ("gsm-b".to_owned(), limits)];
        set_metrics(
            &metrics,
            dir.path(),
            modems.iter().map(|(name, limits)| (name, limits)),
            at(5, 13),
        );
        let text = metrics.render();
        for line in [
            "smsgate_modem_limit_reached{modem=\"gsm-a\",limit=\"per-day\"} 1",
            "smsgate_modem_limit_count{modem=\"gsm-a\",period=\"day\"} 1",
            "smsgate_modem_limit_reached{modem=\"gsm-b\",limit=\"per-day\"} 0",
            "smsgate_modem_limit_count{modem=\"gsm-b\",period=\"day\"} 0",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
