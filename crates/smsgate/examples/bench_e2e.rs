//! End-to-end benchmark of `smsgate run` against smstools3's `smsd` on the
//! in-process simulator with zero air time; run through
//! `scripts/bench-e2e`, never by the test suite.
//!
//! Two measures, for smsgate, smsd with its defaults (`delaytime` 10) and
//! smsd "fast" (`delaytime = 1`, `delaytime_mainprocess = 1`):
//!
//! - pickup latency: a file is renamed into `outgoing/`, and the clock
//!   stops when the simulator's network has its PDU (the `AT+CMGS` PDU was
//!   typed: `SimHandle::submitted` grows, polled every millisecond). One
//!   file at a time, each after the previous one reached `sent/`, with a
//!   random pause in between so that polling daemons are met at every phase
//!   of their loop;
//! - drain: N files renamed into `outgoing/` at once, with the daemon
//!   running and warmed up; the clock stops when the network has N PDUs.
//!   Reported as messages per second, so that a smaller N for smsd (about
//!   one message a second per modem: 10,000 files would take hours) is
//!   comparable.
//!
//! Nothing is added to the simulator: it runs in this process and its
//! handle is polled.
//!
//! Resource figures of the daemon process (peak RSS with a huge file
//! dropped in, RSS after a drain, CPU and RSS with many idle modems) are
//! in [`resources`], run when their flags are given.

// A crate root looks for modules beside it, not in a folder of its name.
#[path = "bench_e2e/resources.rs"]
mod resources;

use std::fs;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Which gateway, and how it is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gateway {
    Smsgate,
    SmsdDefault,
    SmsdFast,
}

impl Gateway {
    fn label(self) -> &'static str {
        match self {
            Gateway::Smsgate => "smsgate",
            Gateway::SmsdDefault => "smsd (defaults, delaytime 10)",
            Gateway::SmsdFast => "smsd (delaytime 1, delaytime_mainprocess 1)",
        }
    }
}

#[derive(Clone)]
struct Options {
    smsgate: PathBuf,
    smsd: PathBuf,
    latency_smsgate: usize,
    latency_smsd: usize,
    drain_smsgate: usize,
    drain_smsd: usize,
    drain_modems: Vec<usize>,
    skip_smsd_default: bool,
    seed: u64,
    /// With air time: every modem answers this late (smsgate only).
    air_time_ms: u64,
    drain_air: usize,
    /// Resource runs (0: not run).
    rss_big_file_mib: u64,
    rss_big_file_small: usize,
    rss_after_drain: usize,
    rss_drain_modems: usize,
    rss_settle_s: u64,
    idle_modems: usize,
    idle_settle_s: u64,
    idle_seconds: u64,
    /// Lines added to every idle modem's `[modems.NAME]`, such as
    /// `receive = true` or `polling = true`.
    idle_settings: Vec<String>,
    /// Appended to every `[modems.NAME]` of smsgate's configuration.
    modem_settings: String,
    /// Only the resource runs: no latency, no drain.
    resources_only: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_e2e --smsgate BIN [--smsd /usr/sbin/smsd] [--latency-n N] [--latency-n-smsd N]\n\
         \x20      [--drain-n N] [--drain-n-smsd N] [--modems 1,8] [--skip-smsd-default] [--seed N]\n\
         \x20      [--air-time-ms MS] [--drain-n-air N]\n\
         \x20      [--rss-big-file-mb MIB [--rss-big-file-small N]]\n\
         \x20      [--rss-after-drain N [--rss-drain-modems M] [--rss-settle-s S]]\n\
         \x20      [--idle-modems M [--idle-settle-s S] [--idle-seconds S] [--idle-setting 'receive = true']...]\n\
         \x20      [--resources-only]"
    );
    std::process::exit(2)
}

fn parse_options() -> anyhow::Result<Options> {
    let mut options = Options {
        smsgate: PathBuf::new(),
        smsd: PathBuf::from("/usr/sbin/smsd"),
        latency_smsgate: 200,
        latency_smsd: 20,
        drain_smsgate: 10_000,
        drain_smsd: 200,
        drain_modems: vec![1, 8],
        skip_smsd_default: false,
        seed: 1,
        air_time_ms: 0,
        drain_air: 400,
        rss_big_file_mib: 0,
        rss_big_file_small: 100,
        rss_after_drain: 0,
        rss_drain_modems: 1,
        rss_settle_s: 5,
        idle_modems: 0,
        idle_settle_s: 30,
        idle_seconds: 60,
        idle_settings: Vec::new(),
        modem_settings: String::new(),
        resources_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--smsgate" => options.smsgate = value().into(),
            "--smsd" => options.smsd = value().into(),
            "--latency-n" => options.latency_smsgate = value().parse()?,
            "--latency-n-smsd" => options.latency_smsd = value().parse()?,
            "--drain-n" => options.drain_smsgate = value().parse()?,
            "--drain-n-smsd" => options.drain_smsd = value().parse()?,
            "--modems" => {
                options.drain_modems = value().split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            "--skip-smsd-default" => options.skip_smsd_default = true,
            "--seed" => options.seed = value().parse()?,
            "--air-time-ms" => options.air_time_ms = value().parse()?,
            "--drain-n-air" => options.drain_air = value().parse()?,
            "--rss-big-file-mb" => options.rss_big_file_mib = value().parse()?,
            "--rss-big-file-small" => options.rss_big_file_small = value().parse()?,
            "--rss-after-drain" => options.rss_after_drain = value().parse()?,
            "--rss-drain-modems" => options.rss_drain_modems = value().parse()?,
            "--rss-settle-s" => options.rss_settle_s = value().parse()?,
            "--idle-modems" => options.idle_modems = value().parse()?,
            "--idle-settle-s" => options.idle_settle_s = value().parse()?,
            "--idle-seconds" => options.idle_seconds = value().parse()?,
            "--idle-setting" => options.idle_settings.push(value()),
            "--resources-only" => options.resources_only = true,
            _ => usage(),
        }
    }
    if options.smsgate.as_os_str().is_empty() {
        usage();
    }
    Ok(options)
}

/// xorshift64*, for the pauses between latency samples.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// One gateway on a fresh simulator and spool.
struct Rig {
    runtime: tokio::runtime::Runtime,
    sim: Option<SimHandle>,
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    n_modems: usize,
}

impl Rig {
    fn start(options: &Options, gateway: Gateway, n_modems: usize) -> anyhow::Result<Rig> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let dir = tempfile::tempdir()?;
        let sim = runtime.block_on(Simulator::start(SimConfig::new(n_modems, dir.path().join("dev"))))?;
        let mut rig = Rig {
            runtime,
            sim: Some(sim),
            dir,
            daemon: None,
            n_modems,
        };
        for sub in ["outgoing", "checked", "sent", "failed", "incoming", "report"] {
            fs::create_dir_all(rig.spool(sub))?;
        }
        let log = fs::File::create(rig.dir.path().join("daemon.err"))?;
        let mut command = match gateway {
            Gateway::Smsgate => {
                let config = rig.smsgate_config(&options.modem_settings)?;
                let mut command = Command::new(&options.smsgate);
                command
                    .arg("run")
                    .arg("--config")
                    .arg(config)
                    .env("RUST_LOG", "smsgate=info");
                command
            }
            Gateway::SmsdDefault | Gateway::SmsdFast => {
                let config = rig.smsd_config(gateway == Gateway::SmsdFast)?;
                let mut command = Command::new(&options.smsd);
                command.arg("-t").arg("-c").arg(config);
                command
            }
        };
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        rig.daemon = Some(
            command
                .spawn()
                .with_context(|| format!("starting {}", gateway.label()))?,
        );
        // Warm-up: one message through every modem's first send.
        rig.drop_files("warmup", 1)?;
        rig.wait_submitted(1, Duration::from_secs(60))?;
        rig.wait_sent(1, Duration::from_secs(30))?;
        Ok(rig)
    }

    fn daemon_pid(&self) -> u32 {
        self.daemon.as_ref().map_or(0, Child::id)
    }

    fn spool(&self, sub: &str) -> PathBuf {
        self.dir.path().join("spool").join(sub)
    }

    fn device(&self, index: usize) -> String {
        self.dir
            .path()
            .join("dev")
            .join(format!("modem{index}"))
            .display()
            .to_string()
    }

    fn smsgate_config(&self, modem_settings: &str) -> anyhow::Result<PathBuf> {
        fs::create_dir_all(self.dir.path().join("lock"))?;
        let mut config = format!(
            "lock-dir = {:?}\n\n[spool]\nbase = {:?}\n",
            self.dir.path().join("lock").display().to_string(),
            self.spool("").display().to_string()
        );
        for index in 0..self.n_modems {
            config.push_str(&format!(
                "\n[ports.modem{index}]\ndevice = {:?}\n\n[modems.modem{index}]\n{modem_settings}",
                self.device(index)
            ));
        }
        let path = self.dir.path().join("smsgate.toml");
        fs::write(&path, config)?;
        Ok(path)
    }

    fn smsd_config(&self, fast: bool) -> anyhow::Result<PathBuf> {
        let path = |name: &str| self.dir.path().join(name).display().to_string();
        let spool = |name: &str| self.spool(name).display().to_string();
        let devices: Vec<String> = (0..self.n_modems).map(|index| format!("GSM{index}")).collect();
        let mut config = format!(
            "devices = {}\nlogfile = {}\nloglevel = 5\ninfofile = {}\npidfile = {}\n\
             outgoing = {}\nchecked = {}\nfailed = {}\nincoming = {}\nsent = {}\nreport = {}\n",
            devices.join(","),
            path("smsd.log"),
            path("smsd.working"),
            path("smsd.pid"),
            spool("outgoing"),
            spool("checked"),
            spool("failed"),
            spool("incoming"),
            spool("sent"),
            spool("report"),
        );
        if fast {
            config.push_str("delaytime = 1\ndelaytime_mainprocess = 1\n");
        }
        for (index, name) in devices.iter().enumerate() {
            config.push_str(&format!(
                "\n[{name}]\ndevice = {}\nincoming = no\nmode = new\nbaudrate = 115200\n",
                self.device(index)
            ));
        }
        let config_path = self.dir.path().join("smsd.conf");
        fs::write(&config_path, config)?;
        Ok(config_path)
    }

    /// Writes `n` files as dotfiles, then renames them all into
    /// `outgoing/`; returns the instant just before the first rename.
    fn drop_files(&self, prefix: &str, n: usize) -> anyhow::Result<Instant> {
        let outgoing = self.spool("outgoing");
        for index in 0..n {
            let body = format!("To: 4915100{:06}\n\nbench {prefix} {index}\n", index % 1_000_000);
            fs::write(outgoing.join(format!(".{prefix}{index}")), body)?;
        }
        let started = Instant::now();
        for index in 0..n {
            fs::rename(
                outgoing.join(format!(".{prefix}{index}")),
                outgoing.join(format!("{prefix}{index}")),
            )?;
        }
        Ok(started)
    }

    /// How many PDUs the network has from all modems.
    fn n_submitted(&self) -> anyhow::Result<usize> {
        let sim = self.sim.as_ref().unwrap();
        let mut total = 0;
        for index in 0..self.n_modems {
            total += self.runtime.block_on(sim.submitted_count(index))?;
        }
        Ok(total)
    }

    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.daemon.as_mut().unwrap().try_wait()? {
            bail!("the gateway exited ({status}): {}", self.logs());
        }
        Ok(())
    }

    fn logs(&self) -> String {
        let mut text = String::new();
        for name in ["daemon.err", "smsd.log"] {
            let log = fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            text.push_str(&format!(
                "\n--- {name}\n{}",
                lines[lines.len().saturating_sub(20)..].join("\n")
            ));
        }
        text
    }

    /// Waits until the network has `n` PDUs in all; polls every `poll`.
    fn wait_submitted_every(
        &mut self,
        n: usize,
        patience: Duration,
        poll: Duration,
    ) -> anyhow::Result<Instant> {
        let deadline = Instant::now() + patience;
        loop {
            if self.n_submitted()? >= n {
                return Ok(Instant::now());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                bail!("timed out waiting for {n} PDUs: {}", self.logs());
            }
            std::thread::sleep(poll);
        }
    }

    fn wait_submitted(&mut self, n: usize, patience: Duration) -> anyhow::Result<Instant> {
        self.wait_submitted_every(n, patience, Duration::from_millis(1))
    }

    fn wait_sent(&mut self, n: usize, patience: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + patience;
        loop {
            let sent = fs::read_dir(self.spool("sent"))?
                .filter(|entry| {
                    entry
                        .as_ref()
                        .is_ok_and(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
                })
                .count();
            if sent >= n {
                return Ok(());
            }
            self.check_alive()?;
            if Instant::now() > deadline {
                bail!("timed out waiting for {n} files in sent/: {}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let group = Pid::from_raw(-i32::try_from(child.id()).unwrap_or(i32::MAX));
            let _ = kill(group, Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = kill(group, Signal::SIGKILL);
            let _ = child.wait();
        }
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// Latency samples, one file at a time.
fn latency(options: &Options, gateway: Gateway, n: usize, rng: &mut Rng) -> anyhow::Result<Vec<Duration>> {
    let mut rig = Rig::start(options, gateway, 1)?;
    let max_pause = if gateway == Gateway::Smsgate { 50 } else { 1000 };
    let mut samples = Vec::with_capacity(n);
    for index in 0..n {
        std::thread::sleep(Duration::from_millis(rng.below(max_pause)));
        let started = rig.drop_files(&format!("lat{index}-"), 1)?;
        let arrived = rig.wait_submitted(index + 2, Duration::from_secs(60))?;
        samples.push(arrived - started);
        rig.wait_sent(index + 2, Duration::from_secs(30))?;
        eprint!("\r  {}: latency {}/{n}", gateway.label(), index + 1);
    }
    eprintln!();
    Ok(samples)
}

/// Messages per second draining `n` files through `n_modems` modems.
fn drain(
    options: &Options,
    gateway: Gateway,
    n: usize,
    n_modems: usize,
    air_time_ms: u64,
) -> anyhow::Result<(Duration, f64)> {
    let mut rig = Rig::start(options, gateway, n_modems)?;
    if air_time_ms > 0 {
        let sim = rig.sim.as_ref().unwrap();
        for index in 0..n_modems {
            rig.runtime
                .block_on(sim.fault(index, modem_sim::Fault::Delay { ms: air_time_ms }))?;
        }
    }
    let started = rig.drop_files("drain", n)?;
    let patience = Duration::from_secs(3600);
    let done = rig.wait_submitted_every(n + 1, patience, Duration::from_millis(20))?;
    let took = done - started;
    rig.wait_sent(n + 1, Duration::from_secs(120))?;
    eprintln!(
        "  {}: drained {n} through {n_modems} modem(s) in {took:.2?}",
        gateway.label()
    );
    Ok((took, n as f64 / took.as_secs_f64()))
}

fn percentile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn main() -> anyhow::Result<()> {
    let options = parse_options()?;
    let mut rng = Rng(options.seed.max(1));
    let started = Instant::now();
    let mut gateways = vec![Gateway::Smsgate, Gateway::SmsdFast];
    if !options.skip_smsd_default {
        gateways.push(Gateway::SmsdDefault);
    }
    if options.resources_only {
        gateways.clear();
    }

    let mut latencies = Vec::new();
    for &gateway in &gateways {
        let n = if gateway == Gateway::Smsgate {
            options.latency_smsgate
        } else {
            options.latency_smsd
        };
        if n == 0 {
            continue;
        }
        let samples = latency(&options, gateway, n, &mut rng)?;
        let (p50, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
        eprintln!("  {}: latency p50 {} p99 {}", gateway.label(), ms(p50), ms(p99));
        latencies.push((gateway, n, p50, p99));
    }

    let mut drains = Vec::new();
    for &gateway in &[Gateway::Smsgate, Gateway::SmsdFast] {
        let n = if gateway == Gateway::Smsgate {
            options.drain_smsgate
        } else {
            options.drain_smsd
        };
        if n == 0 || options.resources_only {
            continue;
        }
        for &n_modems in &options.drain_modems {
            let (took, rate) = drain(&options, gateway, n, n_modems, 0)?;
            drains.push((gateway, n_modems, n, took, rate));
        }
    }
    // With air time, the modems should be the limit: N modems send N
    // times what one does.
    let mut air_drains = Vec::new();
    if options.air_time_ms > 0 && !options.resources_only {
        for &n_modems in &options.drain_modems {
            let (took, rate) = drain(
                &options,
                Gateway::Smsgate,
                options.drain_air,
                n_modems,
                options.air_time_ms,
            )?;
            air_drains.push((n_modems, took, rate));
        }
    }

    let mut figures = Vec::new();
    if options.rss_big_file_mib > 0 {
        figures.extend(resources::big_file(
            &options,
            options.rss_big_file_mib,
            options.rss_big_file_small,
        )?);
    }
    if options.rss_after_drain > 0 {
        figures.extend(resources::after_drain(
            &options,
            options.rss_after_drain,
            options.rss_drain_modems,
            Duration::from_secs(options.rss_settle_s),
        )?);
    }
    if options.idle_modems > 0 {
        figures.extend(resources::idle(
            &options,
            options.idle_modems,
            Duration::from_secs(options.idle_settle_s),
            Duration::from_secs(options.idle_seconds),
        )?);
    }
    resources::print_table(&figures);

    if !latencies.is_empty() {
        println!("\n## Pickup latency (rename into outgoing/ until the PDU reaches the simulator)\n");
        println!("| gateway | n | p50 | p99 |");
        println!("|---|---:|---:|---:|");
        for (gateway, n, p50, p99) in &latencies {
            println!("| {} | {n} | {} | {} |", gateway.label(), ms(*p50), ms(*p99));
        }
    }
    if !drains.is_empty() {
        println!("\n## Drain (N files at once, zero air time)\n");
        println!("| gateway | modems | N | time | messages/s |");
        println!("|---|---:|---:|---:|---:|");
        for (gateway, n_modems, n, took, rate) in &drains {
            println!(
                "| {} | {n_modems} | {n} | {took:.2?} | {rate:.1} |",
                gateway.label()
            );
        }
    }
    if !air_drains.is_empty() {
        println!(
            "\n## Drain with air time (smsgate, every modem answers {} ms late, N = {})\n",
            options.air_time_ms, options.drain_air
        );
        println!("| modems | time | messages/s | per modem | scaling vs 1 modem |");
        println!("|---:|---:|---:|---:|---:|");
        let single = air_drains.iter().find(|entry| entry.0 == 1).map(|entry| entry.2);
        for (n_modems, took, rate) in &air_drains {
            let scaling = single.map_or_else(|| "-".to_owned(), |single| format!("{:.2}x", rate / single));
            println!(
                "| {n_modems} | {took:.2?} | {rate:.1} | {:.1} | {scaling} |",
                rate / *n_modems as f64
            );
        }
    }
    if latencies.len() > 1 || drains.iter().any(|entry| entry.0 != Gateway::Smsgate) {
        println!("\n## Ratios (smsd / smsgate latency; smsgate / smsd throughput)\n");
    }
    let smsgate_latency = latencies.iter().find(|entry| entry.0 == Gateway::Smsgate);
    for (gateway, _, p50, p99) in latencies.iter().filter(|entry| entry.0 != Gateway::Smsgate) {
        if let Some((_, _, base50, base99)) = smsgate_latency {
            println!(
                "- latency, {}: p50 {:.0}x, p99 {:.0}x slower than smsgate",
                gateway.label(),
                p50.as_secs_f64() / base50.as_secs_f64(),
                p99.as_secs_f64() / base99.as_secs_f64()
            );
        }
    }
    for &n_modems in &options.drain_modems {
        let rate = |wanted: Gateway| {
            drains
                .iter()
                .find(|entry| entry.0 == wanted && entry.1 == n_modems)
                .map(|entry| entry.4)
        };
        if let (Some(ours), Some(theirs)) = (rate(Gateway::Smsgate), rate(Gateway::SmsdFast)) {
            println!(
                "- drain through {n_modems} modem(s): smsgate {ours:.1} msg/s, smsd (fast) {theirs:.1} msg/s: {:.0}x",
                ours / theirs
            );
        }
    }
    println!("\ntotal benchmark time: {:.0?}", started.elapsed());
    Ok(())
}
