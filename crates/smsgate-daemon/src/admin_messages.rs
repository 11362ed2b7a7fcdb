//! smsd's administrative messages (`admin_to`): short texts the daemon
//! itself sends to an administrator's number, straight through a modem
//! (no spool file), as smstools3 3.1.21 does:
//!
//! - a handler fails (the eventhandler, a modem's regular_run): the modem that
//!   ran it sends `Smsd3: MODEM, problem with eventhandler, result N`; one
//!   the daemon ran for no modem (a file refused before any modem took it,
//!   smsd's main process) is sent by `admin-message-modem` as
//!   `Sms3: mainprocess, problem with eventhandler, result N` (smsd's
//!   spelling). Only the first failure after a success (or the start) is
//!   sent; while it keeps failing the failures are only logged, with a
//!   count. Each process (each modem, and the daemon) has one such state
//!   for all its handlers, as smsd's has;
//! - a modem reaches its `message_limit`: `Smsd3: MODEM: Message limit N
//!   is reached.` (the per-SIM limits' `per-period`, through
//!   [`AdminMessages::limit_alarm`]).
//!
//! The number is the modem's `admin-to`, else `[spool] admin-to`. Each
//! sending modem counts what it sent: with `admin-message-limit`, once
//! that many went out, further ones are dropped (logged) until
//! `admin-message-count-clear-min` after the first of them.
//!
//! The policy is [`AdminCore`], fed the time; [`AdminMessages`] is its
//! shell, which sends through the modems' handles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use modem::ModemHandle;
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use sms_pdu::Address;
use tokio_util::task::TaskTracker;

use crate::daemon_config::DaemonConfig;
use crate::sim_limits::Limit;

/// Which process ran a handler: a modem's, or the daemon's own (smsd's
/// main process).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Process {
    Modem(String),
    Main,
}

/// A handler's end, as smsd's `exec_system` sees it: 0 is success, any
/// other value (an exit status; -1 for one that could not run, was
/// killed or timed out) a failure.
pub(crate) type HandlerResult = i32;

/// An administrative message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AdminMessage {
    /// The modem that sends it.
    pub modem: String,
    pub to: String,
    pub text: String,
}

/// What the policy decided, for the shell to do and log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing to say (a success, or no `admin-to` for it).
    Nothing,
    /// Send it (log: "Sending an administrative message").
    Send(AdminMessage),
    /// The handler still fails; this is failure number `count` in a row
    /// (log only: smsd's "ALERT (continues, N)").
    Continues { count: u32, alert: String },
    /// The sending modem is at its `admin-message-limit` (log only).
    Limited { modem: String, text: String },
}

/// The settings the policy needs, by modem.
#[derive(Clone, Debug, Default)]
pub(crate) struct AdminSettings {
    /// `[spool] admin-to`.
    pub global_to: Option<String>,
    /// The modem that sends the daemon's own messages (configured, or the
    /// default smsd picks).
    pub main_modem: Option<String>,
    pub modems: HashMap<String, ModemAdminSettings>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct ModemAdminSettings {
    pub to: Option<String>,
    pub limit: u32,
    pub count_clear: Option<Duration>,
    /// Its `limits.per-period`: smsd's `message_limit`.
    pub message_limit: Option<u32>,
}

impl AdminSettings {
    pub(crate) fn from_config(config: &DaemonConfig) -> AdminSettings {
        let global_to = config.features.admin.to.clone();
        let modems: HashMap<String, ModemAdminSettings> = config
            .modems
            .iter()
            .map(|(name, settings)| {
                let admin = &settings.features.admin;
                let modem = ModemAdminSettings {
                    to: admin.to.clone(),
                    limit: admin.limit,
                    count_clear: admin.count_clear,
                    message_limit: settings.sim_limits.per_period,
                };
                (name.clone(), modem)
            })
            .collect();
        // smsd: by default the first modem that sends and has a number.
        let main_modem = config.features.admin.modem.clone().or_else(|| {
            config
                .modems
                .iter()
                .find(|(_, settings)| {
                    settings.send && (settings.features.admin.to.is_some() || global_to.is_some())
                })
                .map(|(name, _)| name.clone())
        });
        AdminSettings {
            global_to,
            main_modem,
            modems,
        }
    }

    fn to(&self, modem: &str) -> Option<&String> {
        self.modems
            .get(modem)
            .and_then(|settings| settings.to.as_ref())
            .or(self.global_to.as_ref())
    }
}

/// A process's handlers: smsd's `last_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HandlerState {
    /// Succeeded last, or not run yet, or the last alert could not be
    /// delivered: the next failure is sent.
    Quiet,
    /// Failing, this many times in a row; the first was sent.
    Failing(u32),
}

/// A sending modem's count of administrative messages.
#[derive(Clone, Copy, Debug)]
struct Count {
    sent: u32,
    since: Instant,
}

/// The policy: see the module docs.
#[derive(Debug)]
pub(crate) struct AdminCore {
    settings: AdminSettings,
    handlers: HashMap<Process, HandlerState>,
    counts: HashMap<String, Count>,
}

impl AdminCore {
    pub(crate) fn new(settings: AdminSettings) -> AdminCore {
        AdminCore {
            settings,
            handlers: HashMap::new(),
            counts: HashMap::new(),
        }
    }

    /// Handler `what` (`eventhandler`, `regular_run (modem)`, ...) that
    /// `process` ran ended with `result`.
    pub(crate) fn handler_finished(
        &mut self,
        process: &Process,
        what: &str,
        result: HandlerResult,
        now: Instant,
    ) -> Decision {
        let state = self
            .handlers
            .entry(process.clone())
            .or_insert(HandlerState::Quiet);
        if result == 0 {
            *state = HandlerState::Quiet;
            return Decision::Nothing;
        }
        let alert = format!("problem with {what}, result {result}");
        if let HandlerState::Failing(count) = state {
            *count += 1;
            return Decision::Continues { count: *count, alert };
        }
        *state = HandlerState::Failing(1);
        let (modem, text) = match process {
            Process::Modem(modem) => (modem.clone(), format!("Smsd3: {modem}, {alert}")),
            Process::Main => match &self.settings.main_modem {
                Some(modem) => (modem.clone(), format!("Sms3: mainprocess, {alert}")),
                None => return Decision::Nothing,
            },
        };
        self.admit(&modem, text, now)
    }

    /// Modem `modem` has just sent its `limit`th message.
    pub(crate) fn message_limit_reached(&mut self, modem: &str, limit: u32, now: Instant) -> Decision {
        let text = format!("Smsd3: {modem}: Message limit {limit} is reached.");
        self.admit(modem, text, now)
    }

    /// The message could not be sent (the modem is down): as smsd after a
    /// delivery timeout, the next failure of `process`'s handlers is sent
    /// again.
    pub(crate) fn not_delivered(&mut self, process: &Process) {
        self.handlers.insert(process.clone(), HandlerState::Quiet);
    }

    /// `text` from `modem` to its number, if it has one and is under its
    /// limit (smsd's `send_admin_message`).
    fn admit(&mut self, modem: &str, text: String, now: Instant) -> Decision {
        let Some(to) = self.settings.to(modem).cloned() else {
            return Decision::Nothing;
        };
        let (limit, count_clear) = self
            .settings
            .modems
            .get(modem)
            .map_or((0, None), |settings| (settings.limit, settings.count_clear));
        let count = self
            .counts
            .entry(modem.to_owned())
            .or_insert(Count { sent: 0, since: now });
        if let Some(clear) = count_clear {
            if now >= count.since + clear {
                if count.sent > 0 {
                    tracing::info!(target: "smsgate", "modem {modem}: alert limit counter cleared, it was {}", count.sent);
                }
                *count = Count { sent: 0, since: now };
            }
        }
        if limit > 0 && count.sent >= limit {
            return Decision::Limited {
                modem: modem.to_owned(),
                text,
            };
        }
        if count.sent == 0 {
            count.since = now;
        }
        count.sent += 1;
        Decision::Send(AdminMessage {
            modem: modem.to_owned(),
            to,
            text,
        })
    }
}

/// The shell: logs the policy's decisions and sends its messages through
/// the modems' handles, without waiting (the tasks are tracked, so that a
/// stopping daemon waits for them).
#[derive(Clone, Debug)]
pub(crate) struct AdminMessages {
    core: Arc<Mutex<AdminCore>>,
    handles: Arc<Mutex<HashMap<String, ModemHandle>>>,
    tasks: TaskTracker,
}

impl AdminMessages {
    pub(crate) fn new(config: &DaemonConfig, tasks: TaskTracker) -> AdminMessages {
        AdminMessages {
            core: Arc::new(Mutex::new(AdminCore::new(AdminSettings::from_config(config)))),
            handles: Arc::default(),
            tasks,
        }
    }

    /// Modem `name`'s handle, to send its messages through.
    pub(crate) fn add_modem(&self, name: &str, handle: &ModemHandle) {
        if let Ok(mut handles) = self.handles.lock() {
            handles.insert(name.to_owned(), handle.clone());
        }
    }

    /// Waits for the messages being sent.
    pub(crate) async fn flush(&self) {
        self.tasks.close();
        self.tasks.wait().await;
        self.tasks.reopen();
    }

    /// See [`AdminCore::handler_finished`]; `modem` is the modem the
    /// handler ran for, none for the daemon's own.
    pub(crate) fn handler_finished(&self, modem: Option<&str>, what: &str, result: HandlerResult) {
        let process = modem.map_or(Process::Main, |modem| Process::Modem(modem.to_owned()));
        let decision = match self.core.lock() {
            Ok(mut core) => core.handler_finished(&process, what, result, Instant::now()),
            Err(_) => return,
        };
        if result != 0 {
            if let Decision::Continues { count, alert } = &decision {
                tracing::info!(target: "smsgate", "ALERT (continues, {count}): {alert}");
            } else {
                tracing::error!(target: "smsgate", "ALERT: problem with {what}, result {result}");
            }
        }
        self.act(decision, Some(process));
    }

    /// The per-SIM limits raised `alarm` for `modem`: when it says its
    /// `per-period` (smsd's `message_limit`) was reached, the
    /// administrative message goes.
    pub(crate) fn limit_alarm(&self, modem: &str, alarm: &str) {
        let limit = self.core.lock().ok().and_then(|core| {
            let settings = core.settings.modems.get(modem)?;
            settings.message_limit
        });
        if let Some(limit) = limit.filter(|&limit| is_message_limit(alarm, limit)) {
            self.message_limit_reached(modem, limit);
        }
    }

    /// See [`AdminCore::message_limit_reached`].
    pub(crate) fn message_limit_reached(&self, modem: &str, limit: u32) {
        let decision = match self.core.lock() {
            Ok(mut core) => core.message_limit_reached(modem, limit, Instant::now()),
            Err(_) => return,
        };
        self.act(decision, None);
    }

    fn act(&self, decision: Decision, process: Option<Process>) {
        let message = match decision {
            Decision::Send(message) => message,
            Decision::Limited { modem, text } => {
                tracing::info!(target: "smsgate", "modem {modem}: alert limit reached, did not send: {text}");
                return;
            }
            Decision::Nothing | Decision::Continues { .. } => return,
        };
        let handle = self
            .handles
            .lock()
            .ok()
            .and_then(|handles| handles.get(&message.modem).cloned());
        let core = Arc::clone(&self.core);
        self.tasks.spawn(async move {
            let modem = &message.modem;
            tracing::info!(target: "smsgate", "modem {modem}: sending an administrative message to {}: {}", message.to, message.text);
            let result = match handle {
                None => Err(format!("modem {modem} is not open")),
                Some(handle) => send(&handle, &message).await,
            };
            if let Err(err) = result {
                tracing::error!(target: "smsgate", "modem {modem}: administrative message to {} not sent: {err}", message.to);
                if let (Some(process), Ok(mut core)) = (process, core.lock()) {
                    core.not_delivered(&process);
                }
            }
        });
    }
}

/// Whether the per-SIM limits' alarm text says `per-period` `limit` was
/// reached (sim_limits.rs words it from [`Limit`]'s display).
fn is_message_limit(alarm: &str, limit: u32) -> bool {
    alarm.starts_with(&format!("reached {} ", Limit::Period(limit)))
}

async fn send(handle: &ModemHandle, message: &AdminMessage) -> Result<(), String> {
    // smsd's numbers are international without the `+`.
    let number = if message.to.starts_with('+') {
        message.to.clone()
    } else {
        format!("+{}", message.to)
    };
    let destination = Address::parse_phone(&number).map_err(|err| err.to_string())?;
    handle
        .send_sms(
            &OutgoingMessage::to(destination),
            &message.text,
            &SplitOptions::default(),
        )
        .await
        .map(|_| ())
        .map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests;
