//! Per-SIM sending limits (`[modems.NAME.limits]`), pure: how many SMS a
//! modem's SIM may still send, fed the time, never reading a clock.
//!
//! Operators cap the SMS a SIM sends per day or month, and a burst faster
//! than some rate gets a SIM barred. A modem whose SIM is at a limit takes
//! no new message (the others serving its queues take over) until its
//! count resets:
//!
//! - `per-day`: reset every day at `reset-time` (local time, default
//!   00:00);
//! - `per-month`: reset on `reset-day` (1-28, default 1) at `reset-time`;
//! - `max-per-minute`: at most this many in any 60 seconds (a sliding
//!   window);
//! - `per-period`/`period-min`: smsd's `message_limit` and
//!   `message_count_clear`: the count clears `period-min` minutes after
//!   the first message counted since the last clear (smsd's exact rule);
//!   without `period-min` it never clears while the daemon runs and starts
//!   from zero at each start, as smsd's does.
//!
//! Counted are SMS (parts, which operators bill), not files; a message of
//! N parts is taken only by a modem that may still send all N (a rate of
//! fewer than N a minute admits it when the window is empty, or it would
//! never go).
//!
//! Parts are counted when their send is handed to a modem (reserved) and
//! the parts that surely did not go out are given back after: a crash in
//! between leaves them counted, an over-count, never an under-count. The
//! shell ([`book`]) keeps [`Counts`] durable.

use chrono::{Datelike as _, Duration as Span, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

pub(crate) mod book;
pub(crate) mod gauges;

/// One modem's limits, as configured; `None`: no such limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimLimits {
    pub per_day: Option<u32>,
    pub per_month: Option<u32>,
    /// When the day's (and on `reset_day`, the month's) count resets.
    pub reset_time: NaiveTime,
    /// 1-28: the day of the month the month's count resets.
    pub reset_day: u32,
    pub max_per_minute: Option<u32>,
    /// smsd's `message_limit`.
    pub per_period: Option<u32>,
    /// smsd's `message_count_clear`, in seconds; `None`: never cleared.
    pub period_s: Option<i64>,
}

impl Default for SimLimits {
    fn default() -> SimLimits {
        SimLimits {
            per_day: None,
            per_month: None,
            reset_time: NaiveTime::MIN,
            reset_day: 1,
            max_per_minute: None,
            per_period: None,
            period_s: None,
        }
    }
}

impl SimLimits {
    /// Whether any limit is set (a modem without one keeps no counts).
    pub(crate) fn any(&self) -> bool {
        self.per_day.is_some()
            || self.per_month.is_some()
            || self.max_per_minute.is_some()
            || self.per_period.is_some()
    }
}

/// The moment, as the limits read it: local wall-clock time for the day
/// and month, seconds since the epoch for the rate and smsd's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Now {
    pub(crate) local: NaiveDateTime,
    pub(crate) unix: i64,
}

impl Now {
    /// The real time.
    pub(crate) fn real() -> Now {
        let local = chrono::Local::now();
        Now {
            local: local.naive_local(),
            unix: local.timestamp(),
        }
    }
}

/// A fixed moment for tests: noon on 10 March 2026.
#[cfg(test)]
pub(crate) fn test_noon() -> Now {
    let local = NaiveDate::from_ymd_opt(2026, 3, 10)
        .and_then(|date| date.and_hms_opt(12, 0, 0))
        .expect("time");
    Now {
        local,
        unix: local.and_utc().timestamp(),
    }
}

/// Which limit a modem is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    Day(u32),
    Month(u32),
    Minute(u32),
    Period(u32),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Day(n) => write!(f, "limits.per-day {n}"),
            Limit::Month(n) => write!(f, "limits.per-month {n}"),
            Limit::Minute(n) => write!(f, "limits.max-per-minute {n}"),
            Limit::Period(n) => write!(f, "limits.per-period {n}"),
        }
    }
}

/// One modem's counts, as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    /// The counting day (the date its `reset-time` began) and its count.
    pub(crate) day: Option<NaiveDate>,
    pub(crate) day_count: u32,
    /// The counting month (the date it began) and its count.
    pub(crate) month: Option<NaiveDate>,
    pub(crate) month_count: u32,
    /// When smsd's period began (its first message), and its count.
    pub(crate) period_start: Option<i64>,
    pub(crate) period_count: u32,
    /// When each SMS of the last minute was counted (oldest first).
    pub(crate) recent: Vec<i64>,
    /// In a modem's entry: the key of the SIM it last held (`sim:ICCID`),
    /// whose entry has the counts (`book.rs`); none in a SIM's entry and
    /// in that of a modem whose SIM is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sim: Option<String>,
}

/// The counting day `now` falls in: the date whose `reset_time` last
/// passed.
fn counting_day(limits: &SimLimits, now: NaiveDateTime) -> NaiveDate {
    (now - (limits.reset_time - NaiveTime::MIN)).date()
}

/// The counting month `now` falls in, by the date it began.
fn counting_month(limits: &SimLimits, now: NaiveDateTime) -> NaiveDate {
    let day = counting_day(limits, now);
    let reset_day = limits.reset_day.clamp(1, 28);
    let this_month = day.with_day(reset_day).unwrap_or(day);
    if day >= this_month {
        this_month
    } else {
        // Before this month's reset day: the month began in the previous one.
        let first = day.with_day(1).unwrap_or(day) - Span::days(1);
        first.with_day(reset_day).unwrap_or(first)
    }
}

impl Counts {
    /// Clears what has reset by `now`.
    fn roll(&mut self, limits: &SimLimits, now: Now) {
        let day = counting_day(limits, now.local);
        if self.day != Some(day) {
            self.day = Some(day);
            self.day_count = 0;
        }
        let month = counting_month(limits, now.local);
        if self.month != Some(month) {
            self.month = Some(month);
            self.month_count = 0;
        }
        if let (Some(period), Some(start)) = (limits.period_s, self.period_start) {
            if now.unix >= start + period {
                self.period_start = None;
                self.period_count = 0;
            }
        }
        self.recent.retain(|&at| at > now.unix - 60 && at <= now.unix);
    }

    /// The limit that keeps `parts` more SMS from going out now, if any.
    pub(crate) fn blocking(&self, limits: &SimLimits, now: Now, parts: u32) -> Option<Limit> {
        let mut counts = self.clone();
        counts.roll(limits, now);
        let over = |count: u32, cap: Option<u32>| cap.filter(|&cap| count.saturating_add(parts) > cap);
        if let Some(cap) = over(counts.day_count, limits.per_day) {
            return Some(Limit::Day(cap));
        }
        if let Some(cap) = over(counts.month_count, limits.per_month) {
            return Some(Limit::Month(cap));
        }
        if let Some(cap) = over(counts.period_count, limits.per_period) {
            return Some(Limit::Period(cap));
        }
        let in_minute = u32::try_from(counts.recent.len()).unwrap_or(u32::MAX);
        // A message longer than the rate goes when the window is empty.
        if let Some(cap) = over(in_minute, limits.max_per_minute).filter(|_| in_minute > 0) {
            return Some(Limit::Minute(cap));
        }
        None
    }

    /// Counts `parts` SMS handed to the modem at `now`. Returns the limit
    /// this reached (the count is now at it), for the alarm.
    pub(crate) fn reserve(&mut self, limits: &SimLimits, now: Now, parts: u32) -> Option<Limit> {
        self.roll(limits, now);
        self.day_count = self.day_count.saturating_add(parts);
        self.month_count = self.month_count.saturating_add(parts);
        if self.period_start.is_none() {
            self.period_start = Some(now.unix);
        }
        self.period_count = self.period_count.saturating_add(parts);
        self.recent.extend(std::iter::repeat_n(now.unix, parts as usize));
        let reached = |count: u32, cap: Option<u32>| cap.filter(|&cap| count >= cap);
        reached(self.day_count, limits.per_day)
            .map(Limit::Day)
            .or_else(|| reached(self.month_count, limits.per_month).map(Limit::Month))
            .or_else(|| reached(self.period_count, limits.per_period).map(Limit::Period))
    }

    /// Gives back `parts` of those reserved at `reserved_at` that surely
    /// did not go out.
    pub(crate) fn release(&mut self, limits: &SimLimits, reserved_at: Now, parts: u32) {
        // Only from the counts the reservation went into: a count reset
        // since then has nothing of it left.
        if self.day == Some(counting_day(limits, reserved_at.local)) {
            self.day_count = self.day_count.saturating_sub(parts);
        }
        if self.month == Some(counting_month(limits, reserved_at.local)) {
            self.month_count = self.month_count.saturating_sub(parts);
        }
        if self.period_start.is_some_and(|start| start <= reserved_at.unix) {
            self.period_count = self.period_count.saturating_sub(parts);
        }
        for _ in 0..parts {
            match self.recent.iter().rposition(|&at| at == reserved_at.unix) {
                Some(idx) => {
                    self.recent.remove(idx);
                }
                None => break,
            }
        }
    }

    /// When a modem blocked by `limit` may send again (local time for the
    /// day and month, for the log; `None` for limits counted in seconds).
    pub(crate) fn resets_at(&self, limits: &SimLimits, limit: Limit) -> Option<NaiveDateTime> {
        match limit {
            Limit::Day(_) => self
                .day
                .map(|day| (day + Span::days(1)).and_time(limits.reset_time)),
            Limit::Month(_) => self.month.map(|month| {
                let next = month.with_day(1).unwrap_or(month) + Span::days(32);
                next.with_day(limits.reset_day.clamp(1, 28))
                    .unwrap_or(next)
                    .and_time(limits.reset_time)
            }),
            Limit::Minute(_) | Limit::Period(_) => None,
        }
    }

    /// The unix time a limit counted in seconds clears, for the scheduler
    /// to wake up then.
    pub(crate) fn clears_at_unix(&self, limits: &SimLimits, limit: Limit) -> Option<i64> {
        match limit {
            Limit::Minute(_) => self.recent.first().map(|&at| at + 60),
            Limit::Period(_) => self
                .period_start
                .zip(limits.period_s)
                .map(|(start, period)| start + period),
            Limit::Day(_) | Limit::Month(_) => None,
        }
    }
}

#[cfg(test)]
mod tests;
