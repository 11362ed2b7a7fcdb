//! The shell of [`super`]: lists the ports the globs find, asks each free
//! one its IMEI and ICCID, and binds the modems. A port is opened with
//! the modem driver itself, so it is locked as any port smsgate uses (the
//! UUCP lock file, `flock`, `TIOCEXCL`): one that another program holds is
//! refused by the lock and left alone, and none is opened twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modem::{ModemHandle, PortAddress};

use super::{bind, candidates, Answer, Bindings, Probe, Wanted};
use crate::config::{driver_config, PortSection};
use crate::daemon_config::DaemonConfig;

/// Every path the globs of `wanted` find (a glob in the last part only),
/// sorted, each with the device it resolves to.
pub fn find_ports(wanted: &BTreeMap<String, Wanted>) -> Vec<(PathBuf, PathBuf)> {
    let mut found = Vec::new();
    for glob in wanted.values().flat_map(|wanted| &wanted.globs) {
        let glob = Path::new(glob);
        let (Some(dir), Some(pattern)) = (glob.parent(), glob.file_name()) else {
            continue;
        };
        let pattern = pattern.to_string_lossy();
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if super::name_matches(&pattern, &name.to_string_lossy()) {
                let path = dir.join(&name);
                let device = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                found.push((path, device));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Asks the port at `path` for its identities, with `section`'s serial
/// settings and locks in `lock_dir`.
pub async fn probe(path: &Path, section: Option<&PortSection>, lock_dir: &Path) -> Probe {
    let address = PortAddress::Serial(path.to_path_buf());
    let config = driver_config(address, section, lock_dir.to_path_buf());
    let handle = match ModemHandle::open(config).await {
        Ok(handle) => handle,
        Err(err) => return Probe::Unavailable(err.to_string()),
    };
    let status = handle.status().await;
    handle.shutdown().await;
    match status {
        Ok(status) => Probe::Answered(Answer {
            imei: status.identity.imei,
            iccid: status.identity.iccid,
        }),
        Err(err) => Probe::Unavailable(err.to_string()),
    }
}

/// Binds the modems of `wanted`: probes, one after another, every port
/// the globs find except `in_use` (ports our running modems hold), and
/// applies [`bind`]. `sections` gives each modem's serial settings, by
/// modem name (the first found is used for a port any may be on).
pub async fn probe_and_bind(
    wanted: &BTreeMap<String, Wanted>,
    sections: &BTreeMap<String, PortSection>,
    in_use: &[PathBuf],
    lock_dir: &Path,
) -> Bindings {
    let found = find_ports(wanted);
    probe_ports(wanted, sections, candidates(&found, in_use), lock_dir, true).await
}

/// Probes `ports`, one after another, and binds the modems of `wanted` to
/// them ([`bind`]). What each port answered is logged at info level when
/// `verbose` (at start, at a reload), else at debug level (the rounds
/// that look for a lost modem every half minute).
pub async fn probe_ports(
    wanted: &BTreeMap<String, Wanted>,
    sections: &BTreeMap<String, PortSection>,
    ports: Vec<PathBuf>,
    lock_dir: &Path,
    verbose: bool,
) -> Bindings {
    let mut probes = Vec::new();
    for path in ports {
        let section = wanted
            .iter()
            .find(|(_, wanted)| wanted.may_be_at(&path))
            .and_then(|(name, _)| sections.get(name));
        let probe = probe(&path, section, lock_dir).await;
        let said = match &probe {
            Probe::Answered(answer) => format!(
                "IMEI {}, ICCID {}",
                answer.imei.as_deref().unwrap_or("unknown"),
                answer.iccid.as_deref().unwrap_or("unknown")
            ),
            Probe::Unavailable(why) => format!("not probed: {why}"),
        };
        match verbose {
            true => tracing::info!(target: "smsgate", "port {}: {said}", path.display()),
            false => tracing::debug!(target: "smsgate", "port {}: {said}", path.display()),
        }
        probes.push((path, probe));
    }
    bind(wanted, &probes)
}

/// At the daemon's start: binds every modem whose port is found by
/// identity or glob, and puts the bound port in its settings. A modem left
/// without a port is returned with why: it stays in `config` (its files
/// wait) and is not opened; the supervisor looks for it again
/// (`rebind.rs`). The ports of the other modems are never probed.
pub async fn bind_modems(config: &mut DaemonConfig, lock_dir: &Path) -> BTreeMap<String, String> {
    let mut wanted = BTreeMap::new();
    let mut sections = BTreeMap::new();
    let mut in_use = Vec::new();
    for (name, settings) in &config.modems {
        let section = config.ports.get(&settings.port);
        match section.and_then(|section| section.identity.clone()) {
            Some(identity) => {
                wanted.insert(name.clone(), identity);
                if let Some(section) = section {
                    sections.insert(name.clone(), section.clone());
                }
            }
            None => {
                if let PortAddress::Serial(path) = &settings.device {
                    in_use.push(path.clone());
                    if let Ok(device) = std::fs::canonicalize(path) {
                        in_use.push(device);
                    }
                }
            }
        }
    }
    if wanted.is_empty() {
        return BTreeMap::new();
    }
    let bindings = probe_and_bind(&wanted, &sections, &in_use, lock_dir).await;
    for (name, path) in &bindings.bound {
        if let Some(settings) = config.modems.get_mut(name) {
            tracing::info!(target: "smsgate", "modem {name} is on {}", path.display());
            settings.device = PortAddress::Serial(path.clone());
        }
    }
    bindings.unbound
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
