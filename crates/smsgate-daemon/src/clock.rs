//! The daemon's reading of the clock, in the forms the spool files and
//! its own records use.

use std::time::SystemTime;

use chrono::{DateTime, Datelike as _, Local, TimeZone as _, Timelike as _};
use spool::SpoolTime;

/// Now, as `Sent:` and `Failed:` write it (local time).
pub(crate) fn now() -> SpoolTime {
    spool_time(Local::now())
}

/// `unix` seconds since the epoch as local time, as `Received:` writes it.
pub(crate) fn at_unix(unix: u64) -> SpoolTime {
    let local = Local
        .timestamp_opt(i64::try_from(unix).unwrap_or(0), 0)
        .single()
        .unwrap_or_else(Local::now);
    spool_time(local)
}

/// Seconds since the epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Nanoseconds since the epoch: unique enough for a file name.
pub(crate) fn unix_now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos())
}

fn spool_time(local: DateTime<Local>) -> SpoolTime {
    SpoolTime {
        year: local.year().clamp(0, 9999) as u16,
        month: local.month() as u8,
        day: local.day() as u8,
        hour: local.hour() as u8,
        minute: local.minute() as u8,
        second: local.second() as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moment_reads_back_as_the_same_local_time() {
        let unix = 1_795_000_000; // 2026-11-18 in UTC
        let local = Local.timestamp_opt(unix, 0).single().unwrap();
        let time = at_unix(unix as u64);
        assert_eq!(
            (
                time.year,
                time.month,
                time.day,
                time.hour,
                time.minute,
                time.second
            ),
            (
                local.year() as u16,
                local.month() as u8,
                local.day() as u8,
                local.hour() as u8,
                local.minute() as u8,
                local.second() as u8
            )
        );
        assert!(unix_now() > 1_700_000_000);
    }
}
