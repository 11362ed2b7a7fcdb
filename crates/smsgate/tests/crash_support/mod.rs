//! What the crash tests (`crash.rs`, send side; `crash_receive.rs`,
//! receive side) share: the seeded random source, and a bench with the
//! in-process simulator, a spool and the real `smsgate run`, which is
//! killed and restarted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use modem_sim::sim::SimConfig;

#[allow(dead_code)] // Each crash test uses a part of the integration tests' bench.
#[path = "../integration/spool_bench.rs"]
pub(crate) mod spool_bench;

use spool_bench::Setup;
pub(crate) use spool_bench::{header_values, SpoolBench as Bench};

/// How long any one wait may take.
const PATIENCE: Duration = Duration::from_secs(20);

/// The run's seed: `SMSGATE_CRASH_SEED` when set (a replay), else the
/// clock; printed so that a failing run can be replayed.
pub(crate) fn seed(test: &str) -> u64 {
    let seed = std::env::var("SMSGATE_CRASH_SEED")
        .ok()
        .filter(|seed| !seed.is_empty())
        .map(|seed| seed.parse::<u64>().expect("SMSGATE_CRASH_SEED is a number"))
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64);
    println!("{test} seed: {seed} (replay with SMSGATE_CRASH_SEED={seed})");
    seed
}

/// xorshift64*: enough randomness for kill points, no dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `low..high`.
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}

/// `n_modems` simulated modems (`configure_sim` may change them), each
/// a `[modems.modemN]` with `modem_keys`, and the spool directories
/// `spool_dirs` made; a daemon that exits before it is ready is started
/// again, and the start counted in [`Bench::failed_starts`].
pub(crate) fn bench(
    n_modems: usize,
    modem_keys: &str,
    spool_dirs: &[&str],
    configure_sim: impl FnOnce(&mut SimConfig) + 'static,
) -> Bench {
    Bench::build(Setup {
        n_modems,
        modem_keys: &vec![modem_keys; n_modems],
        rest: "\n[limits]\nretry-interval-s = 1\n",
        spool_dirs,
        patience: PATIENCE,
        retry_failed_starts: true,
        sim: Box::new(configure_sim),
        ..Setup::default()
    })
}
