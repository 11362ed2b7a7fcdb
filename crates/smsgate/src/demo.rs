//! `smsgate demo`: smsgate without hardware. Starts the simulator (two
//! virtual modems) and the daemon on them in this process, with the spool,
//! the modems' links, the lock files and the generated config under one
//! directory; sends a message from modem0 to modem1 through the spool and
//! shows the `sent/` file, what modem1 received into `incoming/` and the
//! status report that came back to modem0; then keeps running
//! until SIGINT or SIGTERM and says where to drop files and what to try.
//!
//! The daemon also serves the HTTP API and the web console on `--http`
//! (loopback, a free port by default) with a fresh token in
//! `DIR/api-token` (mode 0600), and the demo prints the URL, the token and
//! a curl command that sends a message.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::run_cmd::cancel_on_signal;
use smsgate_daemon::daemon_config::DaemonConfig;
use smsgate_daemon::Daemon;

/// The demo message's file name in `outgoing/`.
const DEMO_FILE: &str = "demo-hello";

/// How long the first message may take before the demo gives up.
const PATIENCE: Duration = Duration::from_secs(30);

/// Runs the demo in `dir` until a signal.
pub(crate) fn run(dir: &Path, http: SocketAddr) -> anyhow::Result<()> {
    crate::logging::init("warn");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .with_context(|| format!("resolving {}", dir.display()))?;
    let runtime = crate::runtime::multi_thread()?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let signals = tokio::spawn(cancel_on_signal(shutdown.clone()));
        let mut sim_config = SimConfig::new(2, dir.join("dev"));
        sim_config.control = Some(([127, 0, 0, 1], 0).into());
        let sim = Simulator::start(sim_config)
            .await
            .context("starting the simulator")?;
        let result = demo(&dir, http, &sim, &shutdown).await;
        signals.abort();
        sim.shutdown().await;
        result
    })
}

async fn demo(
    dir: &Path,
    http: SocketAddr,
    sim: &SimHandle,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let token = write_token(&dir.join(TOKEN_FILE))?;
    let config_path = write_config(dir, http)?;
    let config = DaemonConfig::load(&config_path)?;
    let spool = config.spool.clone();
    let daemon = Daemon::start(config, shutdown.clone()).await?;
    let outcome = show_one_message(dir, sim, &spool.outgoing, &spool.sent, shutdown).await;
    if outcome.is_ok() {
        print_instructions(dir, sim, &config_path);
        if let Some(address) = daemon.http_addr() {
            print_http(dir, address, &token, sim).await;
        }
        shutdown.cancelled().await;
        println!("stopping");
    } else {
        shutdown.cancel();
    }
    let stopped = daemon.join().await;
    outcome.and(stopped)
}

/// The demo's API token's file in DIR.
const TOKEN_FILE: &str = "api-token";

/// A fresh random token (32 bytes from the kernel, hex) in `path`, only
/// for its owner (0600, also when the file was there before).
fn write_token(path: &Path) -> anyhow::Result<String> {
    let mut random = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut source| source.read_exact(&mut random))
        .context("reading /dev/urandom for the API token")?;
    let token: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        // `mode` applies only to a new file.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(format!("{token}\n").as_bytes())?;
        file.sync_all()
    };
    write().with_context(|| format!("writing {}", path.display()))?;
    Ok(token)
}

/// The demo's config: the two simulated modems on the default queue, and
/// the HTTP API on `http` with the token of DIR/api-token.
fn write_config(dir: &Path, http: SocketAddr) -> anyhow::Result<PathBuf> {
    let lock_dir = dir.join("lock");
    std::fs::create_dir_all(&lock_dir).with_context(|| format!("creating {}", lock_dir.display()))?;
    let mut text = format!(
        "# Written by `smsgate demo`; `smsgate run --config {}` reads it too.\n\
         lock-dir = {:?}\n\n[spool]\nbase = {:?}\n\n[limits]\nretry-interval-s = 1\n",
        dir.join("smsgate.toml").display(),
        lock_dir.display().to_string(),
        dir.display().to_string()
    );
    for index in 0..2 {
        let device = dir.join("dev").join(format!("modem{index}"));
        let _ = write!(
            text,
            "\n[ports.modem{index}]\ndevice = {:?}\n\n[modems.modem{index}]\nreceive = true\n",
            device.display().to_string()
        );
    }
    let _ = write!(
        text,
        "\n[http]\nlisten = \"{http}\"\n\n[[http.tokens]]\nname = \"demo\"\ntoken-file = {:?}\n\
         scopes = [\"send\", \"read\", \"admin\"]\n",
        dir.join(TOKEN_FILE).display().to_string()
    );
    let path = dir.join("smsgate.toml");
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Drops a message for modem1 into `outgoing/`, waits until it is in
/// `sent/` and at modem1, and shows both.
async fn show_one_message(
    dir: &Path,
    sim: &SimHandle,
    outgoing: &Path,
    sent_dir: &Path,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let receiver = sim.modem(1).await?;
    let text = format!(
        "To: {}\nReport: yes\n\nHello from smsgate! Grüße, €5 😀\n",
        receiver.config.msisdn
    );
    let sent_path = sent_dir.join(DEMO_FILE);
    // A leftover of an earlier run would look like this run's result.
    let _ = std::fs::remove_file(&sent_path);
    // Written under a dotfile name and renamed, so that the daemon never
    // sees half a file.
    let temporary = outgoing.join(format!(".{DEMO_FILE}"));
    std::fs::write(&temporary, &text).with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, outgoing.join(DEMO_FILE))?;
    println!(
        "smsgate demo in {}\n\ndropped {}/{DEMO_FILE}:\n\n{}",
        dir.display(),
        outgoing.display(),
        indent(&text)
    );
    let deadline = Instant::now() + PATIENCE;
    while !sent_path.exists() {
        if Instant::now() >= deadline || shutdown.is_cancelled() {
            bail!(
                "the message did not reach {} within {} s",
                sent_dir.display(),
                PATIENCE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent_file = std::fs::read_to_string(&sent_path)?;
    println!("sent: {}\n\n{}", sent_path.display(), indent(&sent_file));
    // modem1 receives it into incoming/, and modem0 the status report
    // into report/.
    let base = sent_dir.parent().unwrap_or(dir);
    let incoming = wait_for_received(&base.join("incoming"), "modem1.", deadline, shutdown).await?;
    println!(
        "received by modem1: {}\n\n{}",
        incoming.0.display(),
        indent(&incoming.1)
    );
    let report = wait_for_received(&base.join("report"), "modem0.", deadline, shutdown).await?;
    println!(
        "status report to modem0: {}\n\n{}",
        report.0.display(),
        indent(&report.1)
    );
    let sent_file = std::fs::read_to_string(&sent_path)?;
    println!("and the sent file now records it:\n\n{}", indent(&sent_file));
    println!();
    Ok(())
}

/// The first file in `dir` whose name starts with `prefix`, once there is
/// one: its path and text.
async fn wait_for_received(
    dir: &Path,
    prefix: &str,
    deadline: Instant,
    shutdown: &CancellationToken,
) -> anyhow::Result<(std::path::PathBuf, String)> {
    loop {
        let found = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries.filter_map(Result::ok).find(|entry| {
                entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| name.starts_with(prefix))
            })
        });
        if let Some(entry) = found {
            let text = std::fs::read_to_string(entry.path())?;
            return Ok((entry.path(), text));
        }
        if Instant::now() >= deadline || shutdown.is_cancelled() {
            bail!(
                "nothing arrived in {} within {} s",
                dir.display(),
                PATIENCE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn print_instructions(dir: &Path, sim: &SimHandle, config_path: &Path) {
    let control = sim
        .control_addr()
        .map_or_else(|| "(none)".to_owned(), |control| control.to_string());
    println!(
        "smsgate is running (stop it with Ctrl-C). Try:\n\n\
         \x20 # send: drop a file into outgoing/ (write it elsewhere or as a .dotfile, then rename)\n\
         \x20 printf 'To: 4917200000000\\n\\nHi modem0\\n' > {dir}/.msg && mv {dir}/.msg {dir}/outgoing/msg1\n\
         \x20 ls {dir}/sent {dir}/failed; cat {dir}/sent/msg1\n\n\
         \x20 # receive: a message from outside the network arrives in incoming/\n\
         \x20 smsgate sim ctl --control {control} inject 1 --from +37120000000 --text 'Hello modem1'\n\
         \x20 ls {dir}/incoming {dir}/report\n\n\
         \x20 # the RouterOS-style commands go through the running daemon (its control socket)\n\
         \x20 smsgate inbox modem1 --config {config}\n\
         \x20 smsgate send modem0 --config {config} 4917200000001 --message 'Hi from the command line'\n\
         \x20 smsgate status modem0 --config {config}\n\n\
         \x20 # the virtual network, through the simulator's control API\n\
         \x20 smsgate sim ctl --control {control} modems\n\
         \x20 smsgate sim ctl --control {control} submitted 0\n\
         \x20 smsgate sim ctl --control {control} fault 0 cms-error --code 38 --count 1\n\n\
         The config is {config}; the journal is {dir}/smsgate.journal.",
        dir = dir.display(),
        config = config_path.display(),
    );
}

/// The console's URL, the token and a curl command that sends a message
/// to modem1.
async fn print_http(dir: &Path, address: SocketAddr, token: &str, sim: &SimHandle) {
    let to = match sim.modem(1).await {
        Ok(modem) => modem.config.msisdn,
        Err(_) => "4917200000001".to_owned(),
    };
    println!(
        "\nThe HTTP API and the web console:\n\n\
         \x20 console: http://{address}/\n\
         \x20 token:   {token}   (in {dir}/{TOKEN_FILE})\n\n\
         \x20 # send a message over HTTP\n\
         \x20 curl -sS -H \"Authorization: Bearer $(cat {dir}/{TOKEN_FILE})\" -H 'Content-Type: application/json' \\\n\
         \x20      -d '{{\"to\": \"+{to}\", \"text\": \"Hello over HTTP\"}}' http://{address}/api/v1/messages\n\
         \x20 # and follow it\n\
         \x20 curl -sS -H \"Authorization: Bearer $(cat {dir}/{TOKEN_FILE})\" http://{address}/api/v1/messages\n",
        dir = dir.display(),
    );
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}\n")).collect()
}
