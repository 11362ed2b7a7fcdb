//! The async runtime of the long-running commands (`run`, `demo`, `sim`).

use anyhow::Context as _;

/// Two worker threads: the daemon and the simulator are I/O-bound, and the
/// machines they run on in CI have two cores.
pub(crate) fn multi_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
