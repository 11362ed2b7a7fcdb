//! Modems found by identity (issue 14): USB modems renumber (`ttyUSB2`
//! becomes `ttyUSB5` after a re-plug) and multi-port modems expose several
//! ttys, so a modem may be configured by what it is rather than where it
//! is: its IMEI (`AT+CGSN`), its SIM's ICCID (`AT+CCID`), and/or a glob of
//! the ports it may be on (`/dev/serial/by-id/*`).
//!
//! This module is the policy, without I/O: which ports to probe
//! ([`candidates`]) and, from their answers, which port each modem gets
//! ([`bind`]). `port_identity/probe.rs` is the shell that asks the ports.
//! A modem whose port goes away while the daemon runs is looked for again
//! (`replug.rs` the policy, `rebind.rs` the shell).
//!
//! The rules:
//!
//! - a port that a running modem holds, or that another program holds
//!   (the probe finds it locked and says so), is never disturbed: it is
//!   not probed, and so never bound;
//! - a modem with an IMEI and/or ICCID gets a port, among those its glob
//!   matches (any candidate without a glob), whose answers match every
//!   identity it names; IMEI and ICCID are compared by their digits (some
//!   modems pad an ICCID with `F`, quote it or prefix it);
//! - a modem exposing several ports answers the same on each: the first
//!   by path is taken (deterministic across restarts);
//! - modems named by identity are bound first; a modem with only a glob
//!   then gets the first port its glob matches that answered as a modem
//!   and that no other modem got;
//! - a port goes to one modem only; two modems that name the same identity
//!   are a configuration mistake (checked when the config is read); here
//!   the second finds no port left.

mod config;
mod probe;
mod rebind;
pub mod replug;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use config::{is_glob, DEFAULT_GLOBS};
pub use probe::{bind_modems, find_ports, probe, probe_and_bind, probe_ports};
pub(crate) use rebind::{keep_bindings, Rebinder};

/// What a configured modem is known by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub imei: Option<String>,
    pub iccid: Option<String>,
    /// Globs of the paths it may be on (`*` and `?` in the last part);
    /// none: any candidate.
    pub globs: Vec<String>,
}

impl Wanted {
    fn names_identity(&self) -> bool {
        self.imei.is_some() || self.iccid.is_some()
    }

    /// Whether `path` may be this modem's, by its globs.
    pub fn may_be_at(&self, path: &Path) -> bool {
        self.globs.is_empty() || self.globs.iter().any(|glob| path_matches(glob, path))
    }

    fn matches(&self, answer: &Answer) -> bool {
        let same = |wanted: &Option<String>, answered: &Option<String>| match wanted {
            None => true,
            Some(wanted) => answered
                .as_deref()
                .is_some_and(|answered| digits(answered) == digits(wanted) && !digits(wanted).is_empty()),
        };
        same(&self.imei, &answer.imei) && same(&self.iccid, &answer.iccid)
    }
}

/// What a probed port said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// It answered `AT+CGSN` and `AT+CCID` (either may have failed: none).
    Answered(Answer),
    /// It could not be asked: held by another program, not a modem, no
    /// answer. The reason is for the log.
    Unavailable(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    pub imei: Option<String>,
    pub iccid: Option<String>,
}

/// The result of [`bind`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    /// Modem name to its port.
    pub bound: BTreeMap<String, PathBuf>,
    /// Modems left without a port, with why.
    pub unbound: BTreeMap<String, String>,
}

/// The ports to probe: every path the globs found, minus those in use (by
/// a running modem of ours), each real device once (a `by-id` link and
/// the `ttyUSB` it points to are one port: the first name found is kept).
/// `found` pairs each path with the device it resolves to.
pub fn candidates(found: &[(PathBuf, PathBuf)], in_use: &[PathBuf]) -> Vec<PathBuf> {
    let in_use: BTreeSet<&PathBuf> = in_use.iter().collect();
    let mut seen = BTreeSet::new();
    let mut candidates = Vec::new();
    for (path, device) in found {
        if in_use.contains(path) || in_use.contains(device) {
            continue;
        }
        if seen.insert(device.clone()) {
            candidates.push(path.clone());
        }
    }
    candidates
}

/// Binds each modem of `wanted` to a port from `probes` (in the order the
/// ports were listed; see the module docs for the rules).
pub fn bind(wanted: &BTreeMap<String, Wanted>, probes: &[(PathBuf, Probe)]) -> Bindings {
    let mut answered: Vec<(&PathBuf, &Answer)> = probes
        .iter()
        .filter_map(|(path, probe)| match probe {
            Probe::Answered(answer) => Some((path, answer)),
            Probe::Unavailable(_) => None,
        })
        .collect();
    answered.sort_by(|a, b| a.0.cmp(b.0));
    let mut taken: BTreeSet<&PathBuf> = BTreeSet::new();
    let mut bindings = Bindings::default();
    let by_identity = wanted.iter().filter(|(_, wanted)| wanted.names_identity());
    let by_glob = wanted.iter().filter(|(_, wanted)| !wanted.names_identity());
    for (name, wanted) in by_identity.chain(by_glob) {
        let port = answered
            .iter()
            .find(|(path, answer)| !taken.contains(path) && wanted.may_be_at(path) && wanted.matches(answer));
        match port {
            Some((path, _)) => {
                taken.insert(path);
                bindings.bound.insert(name.clone(), (*path).clone());
            }
            None => {
                bindings.unbound.insert(name.clone(), why_unbound(wanted));
            }
        }
    }
    bindings
}

fn why_unbound(wanted: &Wanted) -> String {
    let mut identity = Vec::new();
    if let Some(imei) = &wanted.imei {
        identity.push(format!("IMEI {imei}"));
    }
    if let Some(iccid) = &wanted.iccid {
        identity.push(format!("ICCID {iccid}"));
    }
    let place = match wanted.globs.is_empty() {
        true => "on any port probed".to_owned(),
        false => format!("on the ports {} match", wanted.globs.join(", ")),
    };
    match identity.is_empty() {
        true => format!("no free modem {place}"),
        false => format!("no modem with {} {place}", identity.join(" and ")),
    }
}

/// The digits of an IMEI or ICCID answer (`+CCID: "8949...F"` gives
/// `8949...`).
fn digits(text: &str) -> String {
    let text = text.rsplit(':').next().unwrap_or(text);
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `path` matches `glob`: the parts before the last must be equal;
/// the last may use `*` (any run) and `?` (any one character).
pub fn path_matches(glob: &str, path: &Path) -> bool {
    let glob = Path::new(glob);
    let (Some(glob_name), Some(name)) = (glob.file_name(), path.file_name()) else {
        return false;
    };
    glob.parent() == path.parent() && name_matches(&glob_name.to_string_lossy(), &name.to_string_lossy())
}

/// `*` and `?` matching of one file name.
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests;
