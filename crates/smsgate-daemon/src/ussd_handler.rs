//! smsd's `eventhandler_ussd`: after a USSD answer, the modem's handler
//! runs as `HANDLER USSD FILE MODEM CHARSET COMMAND`, FILE holding the
//! answer; the handler may rewrite or delete it, and when FILE is still
//! there its first line is the answer from then on (what is returned and
//! remembered as `last-ussd`), as smsd does. smsgate has decoded the
//! answer already, so FILE is UTF-8 and CHARSET is `UTF-8` (smsd passes
//! the modem's character set, in which it leaves the answer).
//!
//! FILE is a temporary file of the spool base (mode 0600), removed after;
//! the handler is killed at `[handlers] timeout-s`, and then the answer
//! stays as the modem gave it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::hooks;
use crate::spool_dir;

/// The charset smsgate passes: answers are decoded before the handler.
pub(crate) const CHARSET: &str = "UTF-8";

/// A modem's `eventhandler-ussd` and where its files go.
#[derive(Clone, Debug)]
pub(crate) struct UssdHandler {
    pub(crate) program: PathBuf,
    /// The spool base: the answer's temporary file goes there.
    pub(crate) dir: PathBuf,
    pub(crate) timeout: Duration,
}

impl UssdHandler {
    /// Runs the handler on `answer` to `code` from modem `modem`; returns
    /// the answer from then on.
    pub(crate) async fn run(&self, modem: &str, code: &str, answer: &str) -> String {
        let file = self.dir.join(format!(".ussd.{modem}.{}", std::process::id()));
        let written = spool_dir::create_file(&file, 0o600).and_then(|mut handle| {
            use std::io::Write as _;
            handle.write_all(answer.as_bytes())?;
            handle.write_all(b"\n")
        });
        if let Err(err) = written {
            tracing::error!(target: "smsgate", "modem {modem}: eventhandler-ussd not run: cannot write {}: {err}", file.display());
            return answer.to_owned();
        }
        let args: Vec<OsString> = vec![
            "USSD".into(),
            file.clone().into_os_string(),
            modem.into(),
            CHARSET.into(),
            code.into(),
        ];
        hooks::run(self.program.clone(), args, self.timeout).await;
        let rewritten = match std::fs::read(&file) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                text.lines()
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('\r')
                    .to_owned()
            }
            // Deleted by the handler: the answer stays.
            Err(_) => answer.to_owned(),
        };
        let _ = std::fs::remove_file(&file);
        if rewritten != answer {
            tracing::info!(target: "smsgate", "modem {modem}: USSD answer from eventhandler-ussd: {rewritten}");
        }
        rewritten
    }
}
