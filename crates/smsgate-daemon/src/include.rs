//! `Include:` confined to `[spool] include-dir`: the [`IncludeResolver`]
//! the daemon parses outgoing files with.
//!
//! A spool file is written by whoever may write to `outgoing/`, and the
//! daemon may read more than they may (the SIM's PIN in the config, other
//! users' messages), so an `Include:` must not become a way to mail any
//! file of the machine to a phone. The rules:
//!
//! - no `include-dir`: every `Include:` is refused;
//! - a relative name is taken under `include-dir`, an absolute one as is;
//! - the path is canonicalised (every symlink and `..` resolved) and must
//!   then lie under the canonical `include-dir`: a `..` or a symlink that
//!   leads out, or an absolute path elsewhere, is refused;
//! - it must be a regular file (not a FIFO or a device, which could block
//!   or never end), opened without following a final symlink, and at most
//!   [`MAX_INCLUDE_BYTES`] long.
//!
//! A name that leads anywhere but to an entry under `include-dir`, be it
//! there or not, gets one answer, "not found under include-dir", so
//! that `Include:` cannot be used to learn which files exist elsewhere,
//! nor where a symlink points.
//!
//! Each refusal is a reason that the spool parser puts into the file's
//! `Fail_reason:` (`Include: "../x" refused: ...`).

use std::fs::File;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Component, Path, PathBuf};

use spool::{IncludeError, IncludeResolver};

/// The largest file an `Include:` may read: a message is at most 255
/// parts of 153 characters, so anything near this is a mistake.
pub(crate) const MAX_INCLUDE_BYTES: u64 = 64 * 1024;

/// Reads `Include:` files from one directory only.
#[derive(Clone, Debug)]
pub(crate) struct ConfinedIncludes {
    dir: Option<PathBuf>,
}

impl ConfinedIncludes {
    /// `dir` is `[spool] include-dir`.
    pub(crate) fn new(dir: Option<PathBuf>) -> ConfinedIncludes {
        ConfinedIncludes { dir }
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, String> {
        let Some(dir) = &self.dir else {
            return Err("Include is not enabled (set [spool] include-dir to allow it)".to_owned());
        };
        let root = dir
            .canonicalize()
            .map_err(|err| format!("include-dir {}: {err}", dir.display()))?;
        // Missing, outside, or behind a directory the daemon may not
        // search: the same answer (see the module docs).
        let not_found = || format!("not found under include-dir {}", dir.display());
        let path = dir.join(name).canonicalize().map_err(|_| not_found())?;
        if !path.starts_with(&root) {
            return Err(not_found());
        }
        read_regular_file(&path)
    }
}

impl IncludeResolver for ConfinedIncludes {
    fn resolve(&mut self, name: &str) -> Result<Vec<u8>, IncludeError> {
        self.read(name).map_err(|reason| match self.missing(name) {
            true => IncludeError::NotFound(reason),
            false => IncludeError::Refused(reason),
        })
    }
}

impl ConfinedIncludes {
    /// Whether `name` names nothing at all (not even a dangling symlink):
    /// smsd then sends the message without it, and so does smsgate.
    /// Only with an include-dir: without one every `Include:` is refused.
    ///
    /// Only a plain relative name whose directory lies under include-dir
    /// can be missing: for anything that leads out, sending without it
    /// (rather than failing) would tell which files exist elsewhere.
    fn missing(&self, name: &str) -> bool {
        let Some(dir) = &self.dir else {
            return false;
        };
        let relative = Path::new(name);
        let plain = relative
            .components()
            .all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
        if !plain {
            return false;
        }
        let path = dir.join(relative);
        let inside = match (dir.canonicalize(), path.parent().map(Path::canonicalize)) {
            (Ok(root), Some(Ok(parent))) => parent.starts_with(root),
            _ => false,
        };
        inside
            && matches!(std::fs::symlink_metadata(&path),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Reads `path`, which must be a regular file, not through a symlink,
/// and not too long.
fn read_regular_file(path: &Path) -> Result<Vec<u8>, String> {
    let file = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    let metadata = file
        .metadata()
        .map_err(|err| format!("{}: {err}", path.display()))?;
    if !metadata.is_file() {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if metadata.len() > MAX_INCLUDE_BYTES {
        return Err(format!(
            "{} has {} bytes, more than {MAX_INCLUDE_BYTES}",
            path.display(),
            metadata.len()
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_INCLUDE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    /// `base/include/` with `greeting` in it, and `base/secret` outside.
    fn layout() -> (tempfile::TempDir, ConfinedIncludes) {
        let base = tempfile::tempdir().unwrap();
        let include = base.path().join("include");
        fs::create_dir_all(include.join("sub")).unwrap();
        fs::write(include.join("greeting"), "\nhello\n").unwrap();
        fs::write(include.join("sub/part"), "Flash: yes\n").unwrap();
        fs::write(base.path().join("secret"), "sim-pin = 1234\n").unwrap();
        (base, ConfinedIncludes::new(Some(include)))
    }

    #[test]
    fn files_under_include_dir_are_read() {
        let (base, includes) = layout();
        assert_eq!(includes.read("greeting").unwrap(), b"\nhello\n");
        assert_eq!(includes.read("sub/part").unwrap(), b"Flash: yes\n");
        assert_eq!(includes.read("sub/../greeting").unwrap(), b"\nhello\n");
        let absolute = base.path().join("include/greeting");
        assert_eq!(includes.read(absolute.to_str().unwrap()).unwrap(), b"\nhello\n");
        // A symlink that stays inside is fine.
        symlink("greeting", base.path().join("include/alias")).unwrap();
        assert_eq!(includes.read("alias").unwrap(), b"\nhello\n");
    }

    /// smsd sends a message whose `Include:` names no file; a file that
    /// may not be read still fails it.
    #[test]
    fn a_missing_file_is_not_found_a_forbidden_one_refused() {
        let (base, mut includes) = layout();
        assert!(matches!(
            includes.resolve("nothing-here"),
            Err(IncludeError::NotFound(_))
        ));
        assert!(matches!(
            includes.resolve("../secret"),
            Err(IncludeError::Refused(_))
        ));
        // A missing file outside is refused like an existing one, or the
        // answer would tell which files exist there.
        for outside in ["../no-such-file", "../secret", "/no-such-file", "sub/../../x"] {
            assert!(
                matches!(includes.resolve(outside), Err(IncludeError::Refused(_))),
                "{outside}"
            );
        }
        symlink("nowhere", base.path().join("include/dangling")).unwrap();
        assert!(matches!(
            includes.resolve("dangling"),
            Err(IncludeError::Refused(_))
        ));
        assert!(matches!(
            ConfinedIncludes::new(None).resolve("nothing-here"),
            Err(IncludeError::Refused(_))
        ));
    }

    #[test]
    fn without_include_dir_every_include_is_refused() {
        let includes = ConfinedIncludes::new(None);
        let reason = includes.read("greeting").unwrap_err();
        assert_eq!(
            reason,
            "Include is not enabled (set [spool] include-dir to allow it)"
        );
    }

    #[test]
    fn dot_dot_out_of_the_directory_is_refused() {
        let (base, includes) = layout();
        let expected = format!(
            "not found under include-dir {}",
            base.path().join("include").display()
        );
        assert_eq!(includes.read("../secret").unwrap_err(), expected);
        assert_eq!(includes.read("sub/../../secret").unwrap_err(), expected);
    }

    #[test]
    fn absolute_paths_elsewhere_are_refused() {
        let (base, includes) = layout();
        let expected = format!(
            "not found under include-dir {}",
            base.path().join("include").display()
        );
        let secret = base.path().join("secret");
        assert_eq!(includes.read(secret.to_str().unwrap()).unwrap_err(), expected);
        assert_eq!(includes.read("/etc/passwd").unwrap_err(), expected);
    }

    #[test]
    fn symlinks_leading_out_are_refused() {
        let (base, includes) = layout();
        symlink(base.path().join("secret"), base.path().join("include/escape")).unwrap();
        symlink(base.path(), base.path().join("include/up")).unwrap();
        let expected = format!(
            "not found under include-dir {}",
            base.path().join("include").display()
        );
        for name in ["escape", "up/secret"] {
            assert_eq!(includes.read(name).unwrap_err(), expected, "{name}");
        }
    }

    #[test]
    fn missing_files_directories_and_fifos_are_refused() {
        let (base, includes) = layout();
        let reason = includes.read("nothing").unwrap_err();
        assert!(reason.starts_with("not found under include-dir"), "{reason}");
        let reason = includes.read("sub").unwrap_err();
        assert!(reason.ends_with("sub is not a regular file"), "{reason}");
        nix::unistd::mkfifo(
            &base.path().join("include/fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        let reason = includes.read("fifo").unwrap_err();
        assert!(reason.ends_with("fifo is not a regular file"), "{reason}");
        fs::write(
            base.path().join("include/big"),
            vec![b'x'; MAX_INCLUDE_BYTES as usize + 1],
        )
        .unwrap();
        let reason = includes.read("big").unwrap_err();
        assert!(reason.contains("more than 65536"), "{reason}");
    }

    /// Whether a file exists outside `include-dir`, or where a symlink in
    /// it points, must not show in the answer.
    #[test]
    fn every_path_outside_gets_one_answer() {
        let (base, includes) = layout();
        let private = base.path().join("private");
        fs::create_dir(&private).unwrap();
        fs::write(private.join("there"), "x").unwrap();
        symlink(private.join("there"), base.path().join("include/to-there")).unwrap();
        symlink(private.join("missing"), base.path().join("include/to-missing")).unwrap();
        let outside = [
            "../secret".to_owned(),
            "../no-such-file".to_owned(),
            "../private/there".to_owned(),
            "../private/missing".to_owned(),
            "../no-such-dir/x".to_owned(),
            private.join("there").display().to_string(),
            private.join("missing").display().to_string(),
            "to-there".to_owned(),
            "to-missing".to_owned(),
            "nothing-inside".to_owned(),
        ];
        let answers: Vec<String> = outside
            .iter()
            .map(|name| includes.read(name).unwrap_err())
            .collect();
        let expected = format!(
            "not found under include-dir {}",
            base.path().join("include").display()
        );
        for (name, answer) in outside.iter().zip(&answers) {
            assert_eq!(*answer, expected, "{name}");
        }
    }

    #[test]
    fn a_missing_include_dir_is_named() {
        let includes = ConfinedIncludes::new(Some(PathBuf::from("/nonexistent/include")));
        let reason = includes.read("x").unwrap_err();
        assert!(
            reason.starts_with("include-dir /nonexistent/include: "),
            "{reason}"
        );
    }
}
