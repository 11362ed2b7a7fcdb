//! smsd's per-modem chores around sending, each a `[modems.NAME]` key:
//! registration checked and the storage read before each send, a pause
//! in a long run of sends, incoming calls hung up (and written to
//! `phonecalls/`), and scheduled commands (`[modems.NAME.regular-run]`).
//!
//! ```toml
//! [modems.gsm1]
//! check-network = true             # AT+CREG? before each send; not registered: not sent, retried (smsd's check_network)
//! receive-before-send = true       # read the storage before each send (smsd's receive_before_send)
//! max-continuous-sending-s = 300   # after this long sending, the storage is read before the next (smsd's max_continuous_sending)
//! hangup-incoming-call = true      # RING: AT+CHUP (smsd's hangup_incoming_call)
//! phonecalls = true                # +CLIP: hung up, a file in phonecalls/, eventhandler CALL FILE (smsd's phonecalls = clip)
//!
//! [modems.gsm1.regular-run]        # smsd's regular_run* for a modem
//! interval-s = 300                 # regular_run_interval
//! program = "/usr/local/bin/balance"  # run as PROGRAM PRE_RUN STATFILE (regular_run)
//! post-run = "/usr/local/bin/balance" # then POST_RUN STATFILE, before the commands (regular_run_post_run)
//! commands = ["AT+CUSD=1,\"*100#\",15"]  # regular_run_cmd: each written to the modem, answers to the statfile
//! statfile = "/var/spool/sms/stats/gsm1.balance"  # regular_run_statfile
//! ```

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::Checker;

/// See the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModemTasks {
    pub check_network: bool,
    pub receive_before_send: bool,
    pub max_continuous_sending: Option<Duration>,
    pub hangup_incoming_call: bool,
    pub phonecalls: bool,
    pub regular_run: Option<RegularRun>,
}

/// `[modems.NAME.regular-run]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegularRun {
    pub interval: Duration,
    pub program: Option<PathBuf>,
    /// smsd's `regular_run_post_run`.
    pub post_run: Option<PathBuf>,
    pub commands: Vec<String>,
    pub statfile: Option<PathBuf>,
}

/// smsd's default `regular_run_interval`.
pub const DEFAULT_REGULAR_RUN_INTERVAL: Duration = Duration::from_secs(300);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRegularRun {
    interval_s: Option<Spanned<u64>>,
    program: Option<PathBuf>,
    post_run: Option<PathBuf>,
    #[serde(default)]
    commands: Vec<Spanned<String>>,
    statfile: Option<PathBuf>,
}

/// The keys as read.
#[derive(Debug, Default)]
pub(super) struct RawModemTasks<'a> {
    pub(super) check_network: Option<bool>,
    pub(super) receive_before_send: Option<bool>,
    pub(super) max_continuous_sending_s: Option<&'a Spanned<u64>>,
    pub(super) hangup_incoming_call: Option<bool>,
    pub(super) phonecalls: Option<bool>,
    pub(super) regular_run: Option<&'a Spanned<RawRegularRun>>,
}

impl Checker<'_> {
    pub(super) fn modem_tasks(&mut self, raw: RawModemTasks<'_>, key: &dyn Fn(&str) -> String) -> ModemTasks {
        let max_continuous_sending = raw.max_continuous_sending_s.and_then(|seconds| {
            // smsd: 0 turns the pause off.
            (*seconds.get_ref() > 0).then(|| Duration::from_secs(*seconds.get_ref()))
        });
        let regular_run = raw.regular_run.map(|run| {
            let span = run.span().start;
            let run = run.get_ref();
            let interval = match &run.interval_s {
                None => DEFAULT_REGULAR_RUN_INTERVAL,
                Some(seconds) => {
                    if *seconds.get_ref() == 0 {
                        self.problem(
                            seconds.span().start,
                            &key("regular-run.interval-s"),
                            "must be at least 1 (leave the section out to run nothing)",
                        );
                    }
                    Duration::from_secs(*seconds.get_ref())
                }
            };
            if run.program.is_none() && run.post_run.is_none() && run.commands.is_empty() {
                self.problem(
                    span,
                    &key("regular-run"),
                    "has neither `program`, `post-run` nor `commands`: nothing to run",
                );
            }
            for command in &run.commands {
                if command.get_ref().contains(['\r', '\n']) || command.get_ref().trim().is_empty() {
                    self.problem(
                        command.span().start,
                        &key("regular-run.commands"),
                        "each command is one non-empty line",
                    );
                }
            }
            RegularRun {
                interval,
                program: run.program.clone(),
                post_run: run.post_run.clone(),
                commands: run
                    .commands
                    .iter()
                    .map(|command| command.get_ref().clone())
                    .collect(),
                statfile: run.statfile.clone(),
            }
        });
        let phonecalls = raw.phonecalls.unwrap_or(false);
        ModemTasks {
            check_network: raw.check_network.unwrap_or(false),
            receive_before_send: raw.receive_before_send.unwrap_or(false),
            max_continuous_sending,
            // smsd: phonecalls = clip hangs up whatever hangup_incoming_call says.
            hangup_incoming_call: raw.hangup_incoming_call.unwrap_or(false) || phonecalls,
            phonecalls,
            regular_run,
        }
    }
}
