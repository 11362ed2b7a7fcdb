//! `[modems.NAME.limits]`: per-SIM sending limits (see
//! [`crate::sim_limits`]), checked apart from `daemon_config.rs`
//! so that the section's rules read on their own.
//!
//! ```toml
//! [modems.gsm1.limits]
//! per-day = 500          # SMS (parts) a day
//! per-month = 10000
//! reset-time = "00:00"   # local time the day's count resets (and the month's, on reset-day)
//! reset-day = 1          # 1-28
//! max-per-minute = 10    # in any 60 seconds
//! per-period = 100       # smsd's message_limit ...
//! period-min = 60        # ... and message_count_clear
//! ```

use chrono::NaiveTime;
use serde::Deserialize;
use toml::Spanned;

use super::Checker;
use crate::sim_limits::SimLimits;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSimLimits {
    per_day: Option<Spanned<u32>>,
    per_month: Option<Spanned<u32>>,
    reset_time: Option<Spanned<String>>,
    reset_day: Option<Spanned<u32>>,
    max_per_minute: Option<Spanned<u32>>,
    per_period: Option<Spanned<u32>>,
    period_min: Option<Spanned<u64>>,
}

impl Checker<'_> {
    pub(super) fn sim_limits(
        &mut self,
        raw: Option<&RawSimLimits>,
        key: &dyn Fn(&str) -> String,
    ) -> SimLimits {
        let Some(raw) = raw else {
            return SimLimits::default();
        };
        let mut limits = SimLimits::default();
        let cap = |checker: &mut Self, value: &Option<Spanned<u32>>, name: &str| {
            value.as_ref().map(|value| {
                if *value.get_ref() == 0 {
                    checker.problem(
                        value.span().start,
                        &key(&format!("limits.{name}")),
                        "must be at least 1 (leave it out for no limit; a modem that must not send has `send = false`)",
                    );
                }
                *value.get_ref()
            })
        };
        limits.per_day = cap(self, &raw.per_day, "per-day");
        limits.per_month = cap(self, &raw.per_month, "per-month");
        limits.max_per_minute = cap(self, &raw.max_per_minute, "max-per-minute");
        limits.per_period = cap(self, &raw.per_period, "per-period");
        if let Some(time) = &raw.reset_time {
            match NaiveTime::parse_from_str(time.get_ref(), "%H:%M") {
                Ok(parsed) => limits.reset_time = parsed,
                Err(_) => self.problem(
                    time.span().start,
                    &key("limits.reset-time"),
                    &format!(
                        "{:?} is not a time of day as HH:MM (24 hours, local time)",
                        time.get_ref()
                    ),
                ),
            }
        }
        if let Some(day) = &raw.reset_day {
            if !(1..=28).contains(day.get_ref()) {
                self.problem(
                    day.span().start,
                    &key("limits.reset-day"),
                    "is a day of the month, 1-28 (every month has it)",
                );
            }
            limits.reset_day = *day.get_ref();
        }
        if let Some(minutes) = &raw.period_min {
            if *minutes.get_ref() == 0 {
                self.problem(
                    minutes.span().start,
                    &key("limits.period-min"),
                    "must be at least 1 (minutes)",
                );
            }
            if raw.per_period.is_none() {
                self.problem(
                    minutes.span().start,
                    &key("limits.period-min"),
                    "clears the count of `per-period`, which is not set",
                );
            }
            limits.period_s = i64::try_from(minutes.get_ref().saturating_mul(60)).ok();
        }
        limits
    }
}
