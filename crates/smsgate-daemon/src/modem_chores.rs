//! smsd's per-modem chores besides sending and receiving messages, one
//! task each, started with the modem:
//!
//! - incoming calls (`calls.rs`): `hangup-incoming-call` ends a call at
//!   its `RING` (`AT+CHUP`, `ATH` if refused); `phonecalls` (smsd's
//!   `phonecalls = clip`) turns on `+CLIP`, ends the call at its `+CLIP`
//!   and writes it to `phonecalls/` as smsd does, then runs
//!   `eventhandler CALL FILE`;
//! - `[modems.NAME.regular-run]` (`regular_run.rs`): smsd's regular_run
//!   for a modem, at its interval.
//!
//! Their commands go through the modem's [`ModemHandle`], so they queue
//! between sends and reads, as smsd does them between its own tasks.

use std::path::PathBuf;
use std::time::Duration;

use modem::{Identity, ModemHandle};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::daemon_config::DaemonConfig;
use crate::hooks::Alarms;

mod calls;
mod regular_run;

/// What the modem's driver must do at every set-up for these chores:
/// `AT+CLIP=1` for `phonecalls` (smsd's pre-init string then carries
/// `+CLIP=1`).
pub(crate) fn adjust_driver(
    driver: &mut modem::Config,
    tasks: &crate::daemon_config::modem_tasks::ModemTasks,
) {
    if tasks.phonecalls {
        driver.init.push("AT+CLIP=1".to_owned());
    }
}

/// What a chore task needs of the daemon.
#[derive(Clone, Debug)]
pub(crate) struct ChoreContext {
    pub(crate) modem: String,
    pub(crate) handle: ModemHandle,
    pub(crate) identity: Identity,
    pub(crate) alarms: Alarms,
    pub(crate) eventhandler: Option<PathBuf>,
    pub(crate) handler_timeout: Duration,
    pub(crate) file_mode: u32,
    pub(crate) dir_mode: u32,
}

/// Starts modem `name`'s chores on `tasks`, until `shutdown`.
pub(crate) fn spawn(
    config: &DaemonConfig,
    name: &str,
    handle: &ModemHandle,
    identity: &Identity,
    alarms: &Alarms,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) {
    let Some(settings) = config.modems.get(name) else {
        return;
    };
    let context = ChoreContext {
        modem: name.to_owned(),
        handle: handle.clone(),
        identity: identity.clone(),
        alarms: alarms.clone(),
        eventhandler: config.handlers.eventhandler.clone(),
        handler_timeout: config.handlers.timeout,
        file_mode: config.modes.file,
        dir_mode: config.modes.dir,
    };
    let chores = &settings.tasks;
    if chores.hangup_incoming_call || chores.phonecalls {
        let calls = calls::CallChore {
            context: context.clone(),
            phonecalls: chores.phonecalls.then(|| config.spool.phonecalls.clone()),
            handlers: tasks.clone(),
            events: handle.subscribe(),
        };
        tasks.spawn(calls.run(shutdown.clone()));
    }
    if let Some(run) = &chores.regular_run {
        tasks.spawn(regular_run::run(
            context,
            run.clone(),
            tasks.clone(),
            shutdown.clone(),
        ));
    }
}
