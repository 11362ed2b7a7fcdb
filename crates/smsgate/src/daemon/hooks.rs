//! smstools3's eventhandler, called with its exact argument vectors:
//!
//! - `eventhandler SENT FILE MESSAGE_ID` after a message went out (FILE
//!   in `sent/`; MESSAGE_ID is the last part's `+CMGS` reference, as smsd
//!   passes; every part's is in the file's `Message_id:` lines);
//! - `eventhandler FAILED FILE` after a message was given up (FILE in
//!   `failed/`).
//!
//! The handler runs as a process (no shell parses the arguments, so a file
//! name with spaces stays one argument), with stdin closed, and is waited
//! for with a timeout after which it is killed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// How long a handler may run before it is killed.
pub(crate) const HANDLER_TIMEOUT: Duration = Duration::from_secs(60);

/// The eventhandler's arguments for a sent file.
pub(crate) fn sent_args(file: &Path, message_ids: &[u8]) -> Vec<OsString> {
    let mut args = vec![OsString::from("SENT"), file.as_os_str().to_owned()];
    if let Some(last) = message_ids.last() {
        args.push(last.to_string().into());
    }
    args
}

/// The eventhandler's arguments for a failed file.
pub(crate) fn failed_args(file: &Path) -> Vec<OsString> {
    vec![OsString::from("FAILED"), file.as_os_str().to_owned()]
}

/// Runs `program` with `args` and waits for it, at most `timeout`. Its
/// failure is logged: a broken hook must not stop the daemon.
pub(crate) async fn run(program: PathBuf, args: Vec<OsString>, timeout: Duration) {
    let mut command = tokio::process::Command::new(&program);
    command.args(&args).stdin(Stdio::null()).kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            tracing::error!(target: "smsgate", "eventhandler {}: cannot run: {err}", program.display());
            return;
        }
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => {}
        Ok(Ok(status)) => {
            tracing::warn!(target: "smsgate", "eventhandler {} {args:?}: {status}", program.display());
        }
        Ok(Err(err)) => {
            tracing::error!(target: "smsgate", "eventhandler {}: {err}", program.display());
        }
        Err(_) => {
            tracing::error!(
                target: "smsgate",
                "eventhandler {} {args:?}: still running after {} s, killed",
                program.display(),
                timeout.as_secs()
            );
            let _ = child.kill().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_vectors_are_smstools3s() {
        let file = Path::new("/var/spool/sms/sent/my file");
        assert_eq!(
            sent_args(file, &[3, 4]),
            ["SENT", "/var/spool/sms/sent/my file", "4"]
        );
        assert_eq!(failed_args(file), ["FAILED", "/var/spool/sms/sent/my file"]);
    }
}
