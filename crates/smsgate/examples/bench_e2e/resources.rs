//! Resource figures of the daemon process (issue 11), read from
//! `/proc/PID/status` (`VmHWM`: peak resident set; `VmRSS`: now) and
//! `/proc/PID/stat` (`utime + stime`: CPU time of all its threads). Only
//! the daemon is measured: the simulator runs in this process, so its
//! own cost never appears in the figures (it is reported beside them).
//!
//! CPU is taken as CPU time, not wall time, so that other load on the
//! machine (builds, other benchmarks) does not change the figure much.

use std::fs;
use std::io::Write as _;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use super::{Gateway, Options, Rig};

/// `sysconf(_SC_CLK_TCK)`, the unit of `utime` and `stime`: 100 on every
/// Linux architecture (USER_HZ is fixed by the kernel ABI).
const TICKS_PER_SECOND: f64 = 100.0;

/// The memory of a process, in KiB.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    /// `VmRSS`: resident now.
    pub(crate) rss_kib: u64,
    /// `VmHWM`: the peak resident set since the process started.
    pub(crate) peak_kib: u64,
}

pub(crate) fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("no {name} in /proc/{pid}/status"))?;
        let value = line[name.len()..].trim().trim_end_matches("kB").trim();
        value
            .parse()
            .with_context(|| format!("{name} in /proc/{pid}/status: {value:?}"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// CPU time (user + system, all threads) of a process so far.
pub(crate) fn cpu_time(pid: &str) -> anyhow::Result<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces;
    // the fields after the last ')' start with field 3 (state).
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("/proc/{pid}/stat has no ')'"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15, so 11 and 12 here.
    let ticks = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .with_context(|| format!("/proc/{pid}/stat is short"))?
            .parse()
            .with_context(|| format!("/proc/{pid}/stat field {}", index + 3))
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(total as f64 / TICKS_PER_SECOND))
}

pub(crate) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// One line of the resource table.
pub(crate) struct Figure {
    pub(crate) what: String,
    pub(crate) goal: &'static str,
    pub(crate) measured: String,
}

/// A file of `mib` MiB (a valid header, then text) dropped into
/// `outgoing/` first, then `small` ordinary files behind it: the daemon
/// must refuse the big one by its size without reading it, and send the
/// small ones. Peak RSS is the figure.
pub(crate) fn big_file(options: &Options, mib_size: u64, small: usize) -> anyhow::Result<Vec<Figure>> {
    let mut rig = Rig::start(options, Gateway::Smsgate, 1)?;
    let pid = rig.daemon_pid();
    let before = memory(pid)?;
    let outgoing = rig.spool("outgoing");
    {
        // Written in chunks: the benchmark itself needs no 100 MB buffer.
        let mut file = fs::File::create(outgoing.join(".big"))?;
        file.write_all(b"To: 491510000000\n\n")?;
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..mib_size {
            file.write_all(&chunk)?;
        }
        file.sync_all()?;
    }
    fs::rename(outgoing.join(".big"), outgoing.join("big"))?;
    let started = Instant::now();
    rig.drop_files("small", small)?;
    rig.wait_submitted_every(small + 1, Duration::from_secs(1800), Duration::from_millis(20))?;
    let took = started.elapsed();
    let big_in = ["failed", "outgoing", "checked", "sent"]
        .into_iter()
        .find(|sub| rig.spool(sub).join("big").exists())
        .unwrap_or("nowhere");
    rig.check_alive()?;
    let after = memory(pid)?;
    eprintln!(
        "  big file: {mib_size} MiB + {small} small files; small ones sent after {took:.2?}; the big one is in {big_in}/; \
         RSS before {}, peak {}, now {}",
        mib(before.rss_kib),
        mib(after.peak_kib),
        mib(after.rss_kib)
    );
    Ok(vec![Figure {
        what: format!(
            "peak RSS, {mib_size} MiB file dropped into outgoing/ with {small} small files behind it"
        ),
        goal: "< 64 MB",
        measured: format!(
            "{} (RSS {} before; {small} small files sent in {took:.1?}; big file in {big_in}/)",
            mib(after.peak_kib),
            mib(before.rss_kib)
        ),
    }])
}

/// `n` files drained through `n_modems`, then `settle` of nothing to do:
/// the resident set then (and its peak during the drain).
pub(crate) fn after_drain(
    options: &Options,
    n: usize,
    n_modems: usize,
    settle: Duration,
) -> anyhow::Result<Vec<Figure>> {
    let mut rig = Rig::start(options, Gateway::Smsgate, n_modems)?;
    let pid = rig.daemon_pid();
    let before = memory(pid)?;
    rig.drop_files("drain", n)?;
    rig.wait_submitted_every(n + 1, Duration::from_secs(3600), Duration::from_millis(20))?;
    rig.wait_sent(n + 1, Duration::from_secs(300))?;
    let drained = memory(pid)?;
    let settle_end = Instant::now() + settle;
    while Instant::now() < settle_end {
        std::thread::sleep(Duration::from_millis(200));
        rig.check_alive()?;
    }
    let settled = memory(pid)?;
    eprintln!(
        "  after drain: {n} files through {n_modems} modem(s); RSS before {}, peak {}, right after {}, after {settle:?} idle {}",
        mib(before.rss_kib),
        mib(settled.peak_kib),
        mib(drained.rss_kib),
        mib(settled.rss_kib)
    );
    Ok(vec![
        Figure {
            what: format!("RSS {settle:?} after {n} sends through {n_modems} modem(s)"),
            goal: "< 32 MB",
            measured: format!(
                "{} (right after the last: {}; before: {})",
                mib(settled.rss_kib),
                mib(drained.rss_kib),
                mib(before.rss_kib)
            ),
        },
        Figure {
            what: format!("peak RSS during the {n}-file drain"),
            goal: "-",
            measured: mib(settled.peak_kib),
        },
    ])
}

/// `n_modems` modems with nothing to do: after `settle` (the modems set
/// up), CPU time and RSS over `window`.
pub(crate) fn idle(
    options: &Options,
    n_modems: usize,
    settle: Duration,
    window: Duration,
) -> anyhow::Result<Vec<Figure>> {
    if window.is_zero() {
        bail!("--idle-seconds must be at least 1");
    }
    let mut options = options.clone();
    let mut how = "idle".to_owned();
    for setting in &options.idle_settings {
        options.modem_settings.push_str(&format!("{setting}\n"));
        how.push_str(&format!(", {setting}"));
    }
    let rig_started = Instant::now();
    let mut rig = Rig::start(&options, Gateway::Smsgate, n_modems)?;
    let pid = rig.daemon_pid();
    let pid_text = pid.to_string();
    // Settling, second by second, so that a start-up that takes longer
    // than `settle` shows in the log.
    let mut last = cpu_time(&pid_text)?;
    let settle_end = Instant::now() + settle;
    while Instant::now() < settle_end {
        std::thread::sleep(Duration::from_secs(1));
        rig.check_alive()?;
        let now = cpu_time(&pid_text)?;
        eprint!(
            "\r  idle: settling, daemon CPU {:>8.1?} in the last second ",
            now - last
        );
        last = now;
    }
    eprintln!();
    let daemon_start = cpu_time(&pid_text)?;
    let own_start = cpu_time("self")?;
    let wall_start = Instant::now();
    while wall_start.elapsed() < window {
        std::thread::sleep(Duration::from_millis(500));
        rig.check_alive()?;
    }
    let wall = wall_start.elapsed();
    let daemon_cpu = cpu_time(&pid_text)? - daemon_start;
    let own_cpu = cpu_time("self")? - own_start;
    let memory = memory(pid)?;
    let open_ports = open_terminals(pid)?;
    if open_ports < n_modems {
        bail!(
            "the daemon has {open_ports} terminals open, not {n_modems}: {}",
            rig.logs()
        );
    }
    let share = daemon_cpu.as_secs_f64() / wall.as_secs_f64() * 100.0;
    let own_share = own_cpu.as_secs_f64() / wall.as_secs_f64() * 100.0;
    eprintln!(
        "  idle: {n_modems} modems ({open_ports} terminals open), {:.0?} after the start: daemon CPU {daemon_cpu:.2?} in {wall:.1?} ({share:.2}% of a core), \
         RSS {}, peak {}; simulator and benchmark {own_cpu:.2?} ({own_share:.2}%)",
        rig_started.elapsed() - wall,
        mib(memory.rss_kib),
        mib(memory.peak_kib)
    );
    Ok(vec![
        Figure {
            what: format!("CPU, {n_modems} modems {how} ({window:.0?} window, CPU time)"),
            goal: "< 1% of a core",
            measured: format!("{share:.2}% ({daemon_cpu:.2?} CPU in {wall:.1?})"),
        },
        Figure {
            what: format!("RSS, {n_modems} modems {how}"),
            goal: "< 64 MB",
            measured: format!("{} (peak {})", mib(memory.rss_kib), mib(memory.peak_kib)),
        },
        Figure {
            what: format!("for scale: the in-process simulator of {n_modems} modems (not the daemon)"),
            goal: "-",
            measured: format!("{own_share:.2}% of a core"),
        },
    ])
}

/// How many pseudo-terminals the process has open: one per modem it set
/// up, so that an idle figure is known to include every modem.
fn open_terminals(pid: u32) -> anyhow::Result<usize> {
    let mut count = 0;
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let target = fs::read_link(entry?.path()).unwrap_or_default();
        if target.starts_with("/dev/pts/") {
            count += 1;
        }
    }
    Ok(count)
}

pub(crate) fn print_table(figures: &[Figure]) {
    if figures.is_empty() {
        return;
    }
    println!("\n## Resources of the daemon process (/proc/PID/status, /proc/PID/stat)\n");
    println!("| figure | goal | measured |");
    println!("|---|---|---|");
    for figure in figures {
        println!("| {} | {} | {} |", figure.what, figure.goal, figure.measured);
    }
}
