//! The control socket's answers to the live operations (`reload`,
//! `modem-control`, `log-level`, `resend`, `daemon-status`), done with
//! the daemon's [`crate::ops::DaemonOps`].

use super::protocol::{refused, AnswerLine, Refusal, Request};
use super::registry::ModemRegistry;
use crate::ops::{LogLevelView, ModemControlView};
use crate::resend::{parse_since, Selection};

/// The answer line to `request` if it is a live operation; `None` for
/// the modems' requests.
pub(crate) async fn answer(registry: &ModemRegistry, request: &Request) -> Option<String> {
    let is_op = matches!(
        request,
        Request::Reload
            | Request::ModemControl { .. }
            | Request::LogLevel { .. }
            | Request::Resend { .. }
            | Request::DaemonStatus
    );
    if !is_op {
        return None;
    }
    let Some(ops) = registry.ops() else {
        return Some(refused(Refusal::NotDone, "this daemon takes no live operations"));
    };
    let line = match request {
        Request::Reload => match ops.reload().await {
            Ok(diff) => AnswerLine::done(None, diff).to_line(),
            Err(err) => refused(Refusal::NotDone, &err),
        },
        Request::ModemControl { modem, action } => match ops.modem(modem, *action).await {
            Ok(done) => AnswerLine::done(
                Some(modem),
                ModemControlView {
                    modem: modem.clone(),
                    action: *action,
                    done,
                },
            )
            .to_line(),
            Err(err) if err.starts_with("no modem") => refused(Refusal::UnknownModem, &err),
            Err(err) => refused(Refusal::NotDone, &err),
        },
        Request::LogLevel { level } => match ops.set_log_level(level) {
            Ok(()) => {
                tracing::info!(target: "smsgate", "log level now {level}");
                AnswerLine::done(None, LogLevelView { level: level.clone() }).to_line()
            }
            Err(err) => refused(Refusal::NotDone, &format!("log level {level:?}: {err}")),
        },
        Request::Resend {
            file,
            all_failed,
            since,
        } => {
            let selection = match (file, all_failed, since) {
                (Some(file), false, None) => Selection::File(file.clone()),
                (None, true, since) => match since.as_deref().map(parse_since).transpose() {
                    Ok(since) => Selection::AllFailed { since },
                    Err(err) => return Some(refused(Refusal::BadRequest, &format!("{err:#}"))),
                },
                _ => {
                    let message = "resend: a file, or all_failed (with since, if wanted)";
                    return Some(refused(Refusal::BadRequest, message));
                }
            };
            AnswerLine::done(None, ops.resend(&selection)).to_line()
        }
        Request::DaemonStatus => AnswerLine::done(None, ops.status()).to_line(),
        _ => return None,
    };
    Some(line)
}
