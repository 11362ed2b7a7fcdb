//! Logging set-up for the long-running commands (`run`, `demo`): the
//! daemon's notes on stderr at `default` level unless `RUST_LOG` says
//! otherwise.

use std::io::IsTerminal as _;

/// Installs the subscriber; a second call does nothing.
pub(crate) fn init(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
