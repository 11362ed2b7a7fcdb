//! Re-plug while running, the shell of [`super::replug`]: a modem
//! configured by identity whose port goes away is taken out (its files
//! stay queued, as for any modem that stops), the ports are probed for it
//! with [`Lost`]'s pauses, and it is opened again on the port whose
//! answers match, under its own name: its queues, its counts (kept by
//! modem name, `sim_limits/`) and its `sent/` headers follow it to the new
//! path.
//!
//! The driver would reopen the path it was given, and after a re-plug
//! that path may be another modem's: the modem is therefore closed at the
//! first report of its port's loss, before its driver could reopen it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use modem::{ModemEvent, ModemHandle, PortAddress};
use tokio::sync::mpsc;

use super::replug::{ports_in_use, Lost};
use super::{find_ports, probe_ports, Wanted};
use crate::hooks::Severity;
use crate::{Supervisor, DEFAULT_LOCK_DIR};

/// A modem's port went away: its name, which watch saw it, and why.
#[derive(Debug)]
pub(crate) struct PortLost {
    name: String,
    watch: u64,
    cause: String,
}

/// What the supervisor's loop woke up for.
#[derive(Debug)]
pub(crate) enum Wake {
    Lost(PortLost),
    Round,
}

/// The supervisor's state for modems found by identity.
#[derive(Debug)]
pub(crate) struct Rebinder {
    pub(crate) lost: Lost,
    tx: mpsc::UnboundedSender<PortLost>,
    rx: mpsc::UnboundedReceiver<PortLost>,
    /// The current watch of each modem's port: a report from the watch of
    /// a handle closed since (a reload, a reopen) is stale.
    watches: HashMap<String, u64>,
    next_watch: u64,
}

impl Default for Rebinder {
    fn default() -> Rebinder {
        let (tx, rx) = mpsc::unbounded_channel();
        Rebinder {
            lost: Lost::default(),
            tx,
            rx,
            watches: HashMap::new(),
            next_watch: 0,
        }
    }
}

impl Rebinder {
    /// Until a port is reported lost or a probe round is due.
    pub(crate) async fn next(&mut self) -> Wake {
        let due = self.lost.next_due().map(tokio::time::Instant::from_std);
        let round = async {
            match due {
                Some(due) => tokio::time::sleep_until(due).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some(lost) = self.rx.recv() => Wake::Lost(lost),
            () = round => Wake::Round,
        }
    }
}

impl Supervisor {
    /// Watches the port of modem `name` if it is configured by identity:
    /// its driver's report that the port went away makes it lost.
    pub(crate) fn watch_identity_port(&mut self, name: &str, handle: &ModemHandle) {
        if self.wanted(name).is_none() {
            return;
        }
        let rebinder = &mut self.identity;
        rebinder.next_watch += 1;
        let watch = rebinder.next_watch;
        rebinder.watches.insert(name.to_owned(), watch);
        let mut events = handle.subscribe();
        let tx = rebinder.tx.clone();
        let shutdown = self.shutdown.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    () = shutdown.cancelled() => return,
                    event = events.recv() => event,
                };
                match event {
                    Ok(ModemEvent::Disconnected { cause }) => {
                        let _ = tx.send(PortLost { name, watch, cause });
                        return;
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    pub(crate) async fn on_identity(&mut self, wake: Wake) {
        match wake {
            Wake::Lost(lost) => self.port_lost(lost).await,
            Wake::Round => self.probe_round().await,
        }
    }

    /// Modem `lost.name`'s port went away: closed, and looked for.
    async fn port_lost(&mut self, lost: PortLost) {
        if self.identity.watches.get(&lost.name) != Some(&lost.watch) || self.wanted(&lost.name).is_none() {
            return;
        }
        self.identity.watches.remove(&lost.name);
        let name = lost.name;
        let port = match self.config.modems.get(&name).map(|settings| &settings.device) {
            Some(device) => device.to_string(),
            None => return,
        };
        let text = format!(
            "its port {port} went away ({}); its files wait while the ports are probed for its identity",
            lost.cause
        );
        tracing::warn!(target: "smsgate", "modem {name}: {text}");
        self.alarms.raise(Severity::Warning, &name, &text);
        self.close_modem(&name, false).await;
        self.identity.lost.lose(&name, Instant::now());
    }

    /// Modems configured by identity that a reload added or changed: looked
    /// for at once (a round now) rather than opened at their glob.
    pub(crate) async fn bind_reloaded(&mut self, names: &[String]) -> Vec<String> {
        let by_identity: Vec<String> = names
            .iter()
            .filter(|name| self.wanted(name).is_some())
            .cloned()
            .collect();
        if by_identity.is_empty() {
            return Vec::new();
        }
        let now = Instant::now();
        for name in &by_identity {
            // Changed: its old loss (and pause) is forgotten.
            self.identity.lost.forget(name);
            self.identity.lost.lose(name, now);
        }
        self.probe_round().await;
        by_identity
    }

    /// Modems a reload removed: no longer looked for.
    pub(crate) fn forget_identity(&mut self, name: &str) {
        self.identity.lost.forget(name);
        self.identity.watches.remove(name);
    }

    /// Probes for the lost modems, if a round is due, and opens those
    /// found on their new ports.
    async fn probe_round(&mut self) {
        let names: Vec<String> = self.identity.lost.names().cloned().collect();
        let mut wanted = BTreeMap::new();
        let mut sections = BTreeMap::new();
        for name in names {
            match self.wanted(&name) {
                Some((identity, section)) => {
                    wanted.insert(name.clone(), identity);
                    sections.insert(name, section);
                }
                // Removed, or no longer by identity.
                None => self.identity.lost.forget(&name),
            }
        }
        let found = find_ports(&wanted);
        let mut held: Vec<(String, PathBuf)> = Vec::new();
        for (name, settings) in &self.config.modems {
            if let PortAddress::Serial(path) = &settings.device {
                held.push((name.clone(), path.clone()));
                if let Ok(device) = std::fs::canonicalize(path) {
                    held.push((name.clone(), device));
                }
            }
        }
        let in_use = ports_in_use(held.iter().map(|(name, path)| (name, path)), &self.identity.lost);
        let Some(round) = self.identity.lost.round(Instant::now(), &found, &in_use) else {
            return;
        };
        let lock_dir = self
            .config
            .lock_dir
            .clone()
            .unwrap_or_else(|| DEFAULT_LOCK_DIR.into());
        let bindings = probe_ports(&wanted, &sections, round.ports, &lock_dir, false).await;
        self.identity.lost.after_round(Instant::now(), &bindings);
        for (name, path) in bindings.bound {
            let Some(settings) = self.config.modems.get_mut(&name) else {
                continue;
            };
            tracing::info!(target: "smsgate", "modem {name} is on {} now", path.display());
            settings.device = PortAddress::Serial(path);
            self.open_modem(&name).await;
        }
    }

    /// Modem `name`'s identity and port settings, if it is configured by
    /// identity.
    fn wanted(&self, name: &str) -> Option<(Wanted, crate::config::PortSection)> {
        let settings = self.config.modems.get(name)?;
        let section = self.config.ports.get(&settings.port)?;
        Some((section.identity.clone()?, section.clone()))
    }
}

/// The bound ports of a reloaded config's modems whose identity and port
/// settings did not change: kept, so that a reload neither sees them
/// changed nor opens them at their glob.
pub(crate) fn keep_bindings(
    old: &crate::daemon_config::DaemonConfig,
    new: &mut crate::daemon_config::DaemonConfig,
) {
    for (name, settings) in &mut new.modems {
        let Some(before) = old.modems.get(name) else {
            continue;
        };
        let section = new.ports.get(&settings.port);
        if section.is_some_and(|section| section.identity.is_some()) && section == old.ports.get(&before.port)
        {
            settings.device = before.device.clone();
        }
    }
}
