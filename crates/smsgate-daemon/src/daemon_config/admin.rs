//! smsd's administrative messages (`admin_to`): `[spool] admin-to`,
//! `admin-message-modem` and `[modems.NAME] admin-to`,
//! `admin-message-limit`, `admin-message-count-clear-min`. Apart from
//! `daemon_config.rs` so that these rules read on their own; the
//! behaviour is `admin_messages.rs`'s.

use std::collections::BTreeMap;
use std::time::Duration;

use toml::Spanned;

use super::{Checker, ModemSettings};

/// `[spool] admin-to` and `admin-message-modem`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpoolAdmin {
    /// smsd's global `admin_to`: the number administrative messages go to
    /// when a modem has no `admin-to` of its own.
    pub to: Option<String>,
    /// smsd's `adminmessage_device`: the modem that sends the daemon's own
    /// (smsd's main process's) administrative messages; by default the
    /// first modem, by name, that sends and has a number to send them to.
    pub modem: Option<String>,
}

/// A modem's `admin-to`, `admin-message-limit` and
/// `admin-message-count-clear-min`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModemAdmin {
    /// Overrides `[spool] admin-to` for the messages this modem sends.
    pub to: Option<String>,
    /// smsd's `adminmessage_limit`: at most this many administrative
    /// messages from this modem (0: no limit) ...
    pub limit: u32,
    /// ... until the count is cleared this long after its first message
    /// (smsd's `adminmessage_count_clear`, minutes; none: until restart).
    pub count_clear: Option<Duration>,
}

impl Checker<'_> {
    pub(super) fn spool_admin(
        &mut self,
        to: Option<Spanned<String>>,
        modem: Option<Spanned<String>>,
    ) -> SpoolAdmin {
        SpoolAdmin {
            to: to.and_then(|to| self.admin_number(to, "spool.admin-to")),
            modem: modem.map(Spanned::into_inner),
        }
    }

    pub(super) fn modem_admin(
        &mut self,
        modem: &str,
        to: Option<&Spanned<String>>,
        limit: Option<u32>,
        count_clear_min: Option<&Spanned<u64>>,
    ) -> ModemAdmin {
        let to = to.and_then(|to| self.admin_number(to.clone(), &format!("modems.{modem}.admin-to")));
        let count_clear = count_clear_min.and_then(|minutes| {
            if *minutes.get_ref() == 0 {
                let key = format!("modems.{modem}.admin-message-count-clear-min");
                let message = "must be at least 1; leave it out to keep the count until a restart";
                self.problem(minutes.span().start, &key, message);
                return None;
            }
            Some(Duration::from_secs(minutes.get_ref().saturating_mul(60)))
        });
        ModemAdmin {
            to,
            limit: limit.unwrap_or(0),
            count_clear,
        }
    }

    /// `admin-message-modem` names a configured modem that sends.
    pub(super) fn check_admin_modem(
        &mut self,
        modem: Option<&Spanned<String>>,
        modems: &BTreeMap<String, ModemSettings>,
    ) {
        let Some(modem) = modem else { return };
        let message = match modems.get(modem.get_ref()) {
            None => format!("no [modems.{}]", modem.get_ref()),
            Some(settings) if !settings.send => {
                format!(
                    "modem {} has `send = false`; it cannot send them",
                    modem.get_ref()
                )
            }
            Some(_) => return,
        };
        self.problem(modem.span().start, "spool.admin-message-modem", &message);
    }

    fn admin_number(&mut self, number: Spanned<String>, key: &str) -> Option<String> {
        let text = number.get_ref().trim();
        let digits = text.strip_prefix('+').unwrap_or(text);
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            self.problem(
                number.span().start,
                key,
                "is a number: digits, optionally after `+`",
            );
            return None;
        }
        Some(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::daemon_config::DaemonConfig;

    fn parse(spool: &str, modem: &str) -> anyhow::Result<DaemonConfig> {
        let text = format!(
            "[spool]\n{spool}\n[ports.gsm1]\ndevice = \"/dev/ttyUSB0\"\n[ports.gsm2]\ndevice = \"/dev/ttyUSB1\"\n\
             [modems.gsm1]\n{modem}\n[modems.gsm2]\nsend = false\n"
        );
        DaemonConfig::parse(&text, Path::new("smsgate.toml"))
    }

    #[test]
    fn the_settings_are_read() {
        let config = parse(
            "admin-to = \"+37120000000\"\nadmin-message-modem = \"gsm1\"",
            "admin-to = \"37129999999\"\nadmin-message-limit = 3\nadmin-message-count-clear-min = 15",
        )
        .unwrap();
        assert_eq!(
            config.features.admin,
            SpoolAdmin {
                to: Some("+37120000000".to_owned()),
                modem: Some("gsm1".to_owned())
            }
        );
        assert_eq!(
            config.modems["gsm1"].features.admin,
            ModemAdmin {
                to: Some("37129999999".to_owned()),
                limit: 3,
                count_clear: Some(Duration::from_secs(15 * 60)),
            }
        );
        assert_eq!(config.modems["gsm2"].features.admin, ModemAdmin::default());
    }

    #[test]
    fn mistakes_are_named() {
        let error = |spool: &str, modem: &str| format!("{:#}", parse(spool, modem).unwrap_err());
        let text = error("admin-to = \"the boss\"", "");
        assert!(text.contains("line 2: spool.admin-to: is a number"), "{text}");
        let text = error("admin-message-modem = \"gsm9\"", "");
        assert!(
            text.contains("spool.admin-message-modem: no [modems.gsm9]"),
            "{text}"
        );
        let text = error("admin-message-modem = \"gsm2\"", "");
        assert!(text.contains("modem gsm2 has `send = false`"), "{text}");
        let text = error("", "admin-message-count-clear-min = 0");
        assert!(
            text.contains("modems.gsm1.admin-message-count-clear-min: must be at least 1"),
            "{text}"
        );
    }
}
