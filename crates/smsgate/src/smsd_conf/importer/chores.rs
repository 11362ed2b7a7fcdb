//! smsd's per-modem chores around sending, carried to `[modems.NAME]`
//! (`daemon_config/modem_tasks.rs`, `daemon_config/sim_limits.rs`):
//! `message_limit`/`message_count_clear`, `max_continuous_sending`,
//! `receive_before_send`, `check_network`, `hangup_incoming_call`,
//! `phonecalls`, `regular_run*`. Apart from `importer.rs` so that these
//! keys read on their own.

use super::{Importer, Table};
use crate::smsd_conf::values::{self, toml_list, toml_string};
use crate::smsd_conf::{Entry, Reason, SmsdConfError};

/// The modem settings handled here.
pub(super) fn is_chore(key: &str) -> bool {
    matches!(
        key,
        "message_limit"
            | "message_count_clear"
            | "max_continuous_sending"
            | "receive_before_send"
            | "check_network"
            | "hangup_incoming_call"
            | "phonecalls"
            | "phonecalls_purge"
            | "phonecalls_error_max"
    ) || key.starts_with("regular_run")
}

/// The global settings smsd applies to every modem that does not set its
/// own, handled here.
pub(super) fn is_global_chore(key: &str) -> bool {
    matches!(
        key,
        "max_continuous_sending" | "receive_before_send" | "hangup_incoming_call"
    )
}

impl Importer {
    /// A global chore: a default for every modem.
    pub(super) fn global_chore(&mut self, entry: &Entry) -> Result<(), SmsdConfError> {
        let (key, value) = match entry.key.as_str() {
            "max_continuous_sending" => ("max-continuous-sending-s", self.number(entry)?.to_string()),
            "receive_before_send" => ("receive-before-send", values::yes_no(entry)?.to_string()),
            _ => ("hangup-incoming-call", values::yes_no(entry)?.to_string()),
        };
        self.modem_globals.push((key, value));
        self.carry(None, entry, format!("modems.*.{key}"));
        Ok(())
    }

    /// One chore of modem `name`, from `section`; `find` tells the other
    /// settings of the modem, which some of these depend on.
    pub(super) fn modem_chore(
        &mut self,
        name: &str,
        section: Option<&str>,
        entry: &Entry,
        find: &dyn Fn(&str) -> Option<String>,
        modem: &mut Table,
    ) -> Result<(), SmsdConfError> {
        let target = |key: &str| format!("modems.{}.{key}", values::toml_key(name));
        let value = values::with_modem_name(&entry.value, name);
        let regular_run_on = find("regular_run_interval")
            .and_then(|interval| values::atoi(&interval).map(|(number, _)| number))
            .is_none_or(|interval| interval > 0);
        let put = |importer: &mut Importer, modem: &mut Table, key: &'static str, toml: String| {
            modem.push((key, toml));
            importer.carry(section, entry, target(key));
        };
        match entry.key.as_str() {
            "message_limit" => {
                let number = self.number(entry)?;
                if number == 0 {
                    self.carry(section, entry, "no limit, as in smsd");
                } else {
                    put(self, modem, "limits.per-period", number.to_string());
                }
            }
            "message_count_clear" => {
                let number = self.number(entry)?;
                let limited = find("message_limit")
                    .and_then(|limit| values::atoi(&limit).map(|(number, _)| number))
                    .is_some_and(|limit| limit > 0);
                if !limited || number == 0 {
                    let reason = "has no effect without message_limit, in smsd too";
                    self.leave_out(section, entry, Reason::Why(reason.to_owned()));
                } else {
                    put(self, modem, "limits.period-min", number.to_string());
                }
            }
            "max_continuous_sending" => {
                let number = self.number(entry)?;
                put(self, modem, "max-continuous-sending-s", number.to_string());
            }
            "receive_before_send" => put(
                self,
                modem,
                "receive-before-send",
                values::yes_no(entry)?.to_string(),
            ),
            "hangup_incoming_call" => put(
                self,
                modem,
                "hangup-incoming-call",
                values::yes_no(entry)?.to_string(),
            ),
            "check_network" => {
                // smsd: 0 never, 1 always, 2 only before sending; smsgate
                // checks only before sending, the one place it decides.
                let number = self.number(entry)?;
                put(self, modem, "check-network", (number != 0).to_string());
            }
            "phonecalls" if value.eq_ignore_ascii_case("clip") || value.trim() == "2" => {
                put(self, modem, "phonecalls", "true".to_owned());
            }
            "phonecalls" if values::yes_no(entry)? => {
                let feature =
                    "phonecalls = yes (missed calls read from the modem's phonebook; smsgate handles \
                               them as they ring, as with phonecalls = clip)";
                self.leave_out(section, entry, Reason::NotYet(feature.to_owned()));
            }
            "phonecalls" => self.carry(section, entry, "smsd's default, and smsgate's behaviour"),
            "phonecalls_purge" | "phonecalls_error_max" => {
                let reason = "only for phonecalls = yes (the phonebook), which smsgate does not read";
                self.leave_out(section, entry, Reason::Why(reason.to_owned()));
            }
            "regular_run" | "regular_run_post_run" if !regular_run_on => {
                let reason = "has no effect with regular_run_interval = 0, in smsd too";
                self.leave_out(section, entry, Reason::Why(reason.to_owned()));
            }
            "regular_run" => put(self, modem, "regular-run.program", toml_string(&value)),
            "regular_run_post_run" => put(self, modem, "regular-run.post-run", toml_string(&value)),
            "regular_run_cmd" => {
                // smsd collects every regular_run_cmd, in order.
                let mut commands: Vec<String> = Vec::new();
                if let Some(at) = modem.iter().position(|(key, _)| *key == "regular-run.commands") {
                    let (_, earlier) = modem.remove(at);
                    commands = toml::from_str::<toml::Table>(&format!("commands = {earlier}"))
                        .ok()
                        .and_then(|table| table.get("commands").and_then(|list| list.as_array()).cloned())
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|command| command.as_str().map(str::to_owned))
                        .collect();
                }
                commands.push(value.clone());
                put(self, modem, "regular-run.commands", toml_list(&commands));
            }
            "regular_run_interval" => {
                let number = self.number(entry)?;
                if number == 0 {
                    self.carry(section, entry, "nothing is run, as in smsd");
                } else {
                    put(self, modem, "regular-run.interval-s", number.to_string());
                }
            }
            "regular_run_statfile" => put(self, modem, "regular-run.statfile", toml_string(&value)),
            "regular_run_keep_open" => {
                let reason = "smsgate keeps the port open and queues the commands between sends";
                self.leave_out(section, entry, Reason::Why(reason.to_owned()));
            }
            "regular_run_logfile" | "regular_run_loglevel" => {
                self.leave_out(section, entry, Reason::Why(super::keys::LOGGING.to_owned()));
            }
            _ => {
                let feature = "regular_run_cmdfile (commands read from a file a regular_run program writes)";
                self.leave_out(section, entry, Reason::NotYet(feature.to_owned()));
            }
        }
        Ok(())
    }
}
