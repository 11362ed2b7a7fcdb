//! `smsgate ctl`: a running daemon's live operations, through its
//! control socket (`smsgate_daemon::ops`): each subcommand is one typed
//! request, its answer printed as text or, with `--json`, as the JSON of
//! its result.

use std::path::PathBuf;

use anyhow::{anyhow, Context as _};
use serde::de::DeserializeOwned;
use serde::Serialize;
use smsgate_daemon::control::{self, Answer, Request};
use smsgate_daemon::daemon_config::DEFAULT_SPOOL_BASE;
use smsgate_daemon::ops::{LogLevelView, ModemControlView};
use smsgate_daemon::reload::ConfigDiff;
use smsgate_daemon::resend::ResendView;
use smsgate_daemon::status_board::DaemonStatusView;

use crate::cli::{DaemonCtl, DaemonCtlArgs};

/// The environment variable that names the control socket.
const CONTROL_ENV: &str = "SMSGATE_CONTROL";

/// `smsgate ctl ...`.
pub(crate) fn run(args: &DaemonCtlArgs) -> anyhow::Result<()> {
    let socket = socket(args)?;
    let runtime = crate::runtime::multi_thread()?;
    runtime.block_on(async {
        match &args.request {
            DaemonCtl::Reload => {
                let diff: ConfigDiff = ask(&socket, &Request::Reload).await?;
                print(args.json, &diff, || describe_diff(&diff))
            }
            DaemonCtl::Status => {
                let status: DaemonStatusView = ask(&socket, &Request::DaemonStatus).await?;
                print(args.json, &status, || status.render())
            }
            DaemonCtl::Modem { name, action } => {
                let request = Request::ModemControl {
                    modem: name.clone(),
                    action: *action,
                };
                let done: ModemControlView = ask(&socket, &request).await?;
                print(args.json, &done, || {
                    format!("modem {}: {}\n", done.modem, done.done)
                })
            }
            DaemonCtl::LogLevel { level } => {
                let request = Request::LogLevel { level: level.clone() };
                let done: LogLevelView = ask(&socket, &request).await?;
                print(args.json, &done, || format!("log level: {}\n", done.level))
            }
            DaemonCtl::Resend {
                file,
                all_failed,
                since,
            } => {
                let request = Request::Resend {
                    file: file.clone(),
                    all_failed: *all_failed,
                    since: since.clone(),
                };
                let view: ResendView = ask(&socket, &request).await?;
                print(args.json, &view, || {
                    let mut text = String::new();
                    for resent in &view.resent {
                        text.push_str(&format!(
                            "failed/{} -> outgoing/{} (a resend of {})\n",
                            resent.from, resent.to, resent.resend_of
                        ));
                    }
                    if view.resent.is_empty() && view.errors.is_empty() {
                        text.push_str("nothing to resend\n");
                    }
                    text
                })?;
                match view.errors.is_empty() {
                    true => Ok(()),
                    false => Err(anyhow!("not resent: {}", view.errors.join("; "))),
                }
            }
        }
    })
}

/// The socket: `--control`, else `SMSGATE_CONTROL`, else the config's.
fn socket(args: &DaemonCtlArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = &args.control {
        return Ok(path.clone());
    }
    if let Some(path) = std::env::var_os(CONTROL_ENV).filter(|path| !path.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let config = crate::config_path::optional(args.config.as_deref())
        .context("finding the control socket in the config (or give --control)")?;
    match config {
        Some(config) => config
            .settings
            .control_socket
            .ok_or_else(|| anyhow!("{}: [control] enabled = false", config.path.display())),
        None => Ok(PathBuf::from(DEFAULT_SPOOL_BASE).join("smsgate.sock")),
    }
}

async fn ask<T: DeserializeOwned>(socket: &std::path::Path, request: &Request) -> anyhow::Result<T> {
    match control::ask(socket, request).await? {
        Answer::Done(result) => Ok(result),
        Answer::Refused(_, error) => Err(anyhow!("{error}")),
    }
}

fn print<T: Serialize>(json: bool, result: &T, text: impl FnOnce() -> String) -> anyhow::Result<()> {
    use std::io::Write as _;
    let out = match json {
        true => format!("{}\n", serde_json::to_string_pretty(result)?),
        false => text(),
    };
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

fn describe_diff(diff: &ConfigDiff) -> String {
    if diff.is_empty() {
        return "reloaded: nothing changed\n".to_owned();
    }
    let mut text = String::from("reloaded:\n");
    let mut list = |what: &str, names: &[String]| {
        if !names.is_empty() {
            text.push_str(&format!("  {what}: {}\n", names.join(", ")));
        }
    };
    list("modems added", &diff.modems_added);
    list("modems removed", &diff.modems_removed);
    list("modems changed (reopened)", &diff.modems_changed);
    list("queues added", &diff.queues_added);
    list("queues removed", &diff.queues_removed);
    list("queues changed", &diff.queues_changed);
    if diff.handlers_changed {
        text.push_str("  handlers changed\n");
    }
    if diff.limits_changed {
        text.push_str("  limits changed\n");
    }
    text
}
