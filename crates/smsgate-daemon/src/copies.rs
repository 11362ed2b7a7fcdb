//! smsd's `incoming_copy`, `sent_copy`, `failed_copy` and `report_copy`:
//! once a file is durable in its spool directory, a second copy of the
//! same bytes goes to the copy directory, under the same name (smsd gives
//! it a new unique name with `keep_filename = no`; smsgate keeps the
//! name, so the two are found together), with the same mode, written as
//! durably (temporary name, fsync, rename, fsync of the directory).
//!
//! The copy comes after the file: a copy never exists without its file.
//! A copy that cannot be written does not undo or hold up the file (it is
//! in its place, the message is done); it is logged and raised as an
//! error alarm, naming both. With `eventhandler_use_copy` the eventhandler
//! is given the copy, or the file when the copy could not be written.

use std::path::{Path, PathBuf};

use crate::hooks::{Alarms, Severity};
use crate::spool_dir;

/// Writes the copy of `file` (whose bytes are `bytes`) into `copy_dir`;
/// returns the copy's path, `None` when there is no copy directory or
/// the copy failed (logged and alarmed as `process`).
pub(crate) fn copy_finished(
    copy_dir: Option<&Path>,
    file: &Path,
    bytes: &[u8],
    mode: u32,
    alarms: &Alarms,
    process: &str,
) -> Option<PathBuf> {
    let copy_dir = copy_dir?;
    let name = file.file_name()?.to_string_lossy().into_owned();
    match spool_dir::write_durably(copy_dir, &name, bytes, mode) {
        Ok(copy) => Some(copy),
        Err(err) => {
            let text = format!(
                "{}: cannot write its copy to {}: {err} (the file itself is in place)",
                file.display(),
                copy_dir.display()
            );
            tracing::error!(target: "smsgate", "{text}");
            alarms.raise(Severity::Error, process, &text);
            None
        }
    }
}

/// The file the eventhandler is given: the copy with
/// `eventhandler_use_copy`, when there is one, else the file.
pub(crate) fn for_eventhandler(file: PathBuf, copy: Option<PathBuf>, use_copy: bool) -> PathBuf {
    match (use_copy, copy) {
        (true, Some(copy)) => copy,
        _ => file,
    }
}
