//! Which configuration file a command reads when `--config` is not given:
//! `./smsgate.toml` if there is one (a checkout, a test, a user trying
//! things), else the packaged `/etc/smsgate/smsgate.toml` (a machine
//! where the .deb is installed). A file found this way is named on
//! stderr, once per run, so that nobody wonders which one was read.

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::bail;

use smsgate_daemon::config::{ConfigFile, DEFAULT_PATH};

/// The packaged configuration (a conffile of the .deb).
pub(crate) const SYSTEM_PATH: &str = "/etc/smsgate/smsgate.toml";

/// Where a command's configuration comes from.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// `--config FILE`.
    Given(PathBuf),
    /// Looked for and found: `./smsgate.toml` or the system file.
    Found(PathBuf),
    /// Neither file exists.
    None,
}

impl Source {
    /// The file, if there is one.
    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Source::Given(path) | Source::Found(path) => Some(path),
            Source::None => None,
        }
    }
}

/// The configuration's source: `explicit`, else the first of
/// `candidates` that is a file.
pub(crate) fn locate(explicit: Option<&Path>, candidates: &[&Path]) -> Source {
    if let Some(path) = explicit {
        return Source::Given(path.to_path_buf());
    }
    candidates
        .iter()
        .find(|candidate| candidate.is_file())
        .map_or(Source::None, |path| Source::Found(path.to_path_buf()))
}

/// [`locate`] over `./smsgate.toml`, then [`SYSTEM_PATH`]; a file found
/// (not given) is named on stderr.
pub(crate) fn resolve(explicit: Option<&Path>) -> Source {
    let source = locate(explicit, &[Path::new(DEFAULT_PATH), Path::new(SYSTEM_PATH)]);
    if let Source::Found(path) = &source {
        announce(path);
    }
    source
}

/// The configuration file every command without a port of its own needs
/// (`run`, `check-config`, `settings`): `explicit` or one found.
pub(crate) fn required(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    match resolve(explicit) {
        Source::Given(path) | Source::Found(path) => Ok(path),
        Source::None => bail!(
            "no configuration file: neither ./{DEFAULT_PATH} nor {SYSTEM_PATH} exists; give one with --config FILE"
        ),
    }
}

/// For the modem commands, which work without one: the configuration
/// read whole, if there is one.
pub(crate) fn optional(explicit: Option<&Path>) -> anyhow::Result<Option<ConfigFile>> {
    match resolve(explicit).path() {
        Some(path) => ConfigFile::load(path).map(Some),
        None => Ok(None),
    }
}

/// Says on stderr which file was read; a command that reads it several
/// times says it once.
fn announce(path: &Path) {
    static ANNOUNCED: Once = Once::new();
    ANNOUNCED.call_once(|| eprintln!("smsgate: reading the configuration {}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_beats_found_and_the_first_file_found_wins() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("smsgate.toml");
        let system = dir.path().join("etc-smsgate.toml");
        let missing = dir.path().join("missing.toml");
        assert_eq!(locate(None, &[&local, &system]), Source::None);
        std::fs::write(&system, "").unwrap();
        assert_eq!(locate(None, &[&local, &system]), Source::Found(system.clone()));
        std::fs::write(&local, "").unwrap();
        assert_eq!(locate(None, &[&local, &system]), Source::Found(local.clone()));
        // Given, it is used even when it does not exist (reading it then
        // fails, naming it), never replaced by another file.
        assert_eq!(
            locate(Some(&missing), &[&local, &system]),
            Source::Given(missing.clone())
        );
    }

    #[test]
    fn a_directory_named_like_the_file_is_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("smsgate.toml");
        std::fs::create_dir(&local).unwrap();
        assert_eq!(locate(None, &[&local]), Source::None);
    }
}
