//! The `[limits]` section's checks (retries, blocking, waiting for
//! parts, `max-parts`), apart from `daemon_config.rs` so that each
//! section's rules read on their own.

use std::time::Duration;

use toml::Spanned;

use super::{Checker, Limits, RawLimits};

impl Checker<'_> {
    pub(super) fn limits(&mut self, raw: RawLimits) -> Limits {
        let retry_interval = match raw.retry_interval_s {
            None => Limits::DEFAULT.retry_interval,
            Some(seconds) => {
                if *seconds.get_ref() == 0 {
                    self.problem(
                        seconds.span().start,
                        "limits.retry-interval-s",
                        "must be at least 1: a modem error would be retried at once, in a loop",
                    );
                }
                Duration::from_secs(*seconds.get_ref())
            }
        };
        let incomplete_after = match raw.incomplete_after_s {
            None => Limits::DEFAULT.incomplete_after,
            Some(seconds) => {
                if *seconds.get_ref() == 0 {
                    self.problem(
                        seconds.span().start,
                        "limits.incomplete-after-s",
                        "must be at least 1: every part of a long message would be delivered on its own",
                    );
                }
                Duration::from_secs(*seconds.get_ref())
            }
        };
        let max_parts = match raw.max_parts {
            None => Limits::DEFAULT.max_parts,
            Some(max_parts) => {
                if !(1..=255).contains(max_parts.get_ref()) {
                    self.problem(
                        max_parts.span().start,
                        "limits.max-parts",
                        "is 1 to 255 (a concatenated message has at most 255 parts)",
                    );
                }
                *max_parts.get_ref()
            }
        };
        Limits {
            retry_interval,
            incomplete_after,
            max_parts,
            send_retries: raw.send_retries.unwrap_or(Limits::DEFAULT.send_retries),
            block_after: raw
                .block_after
                .map_or(Limits::DEFAULT.block_after, |block_after| {
                    self.block_after(&block_after, "limits.block-after")
                }),
            block_time: raw
                .block_time_s
                .map_or(Limits::DEFAULT.block_time, Duration::from_secs),
        }
    }

    pub(super) fn block_after(&mut self, block_after: &Spanned<u32>, key: &str) -> u32 {
        if *block_after.get_ref() == 0 {
            let message = "must be at least 1 (failures in a row before the modem is blocked)";
            self.problem(block_after.span().start, key, message);
        }
        *block_after.get_ref()
    }
}
