//! The smstools3 production settings of `[spool]` and `[modems.NAME]`:
//! recipient lists (`blacklist`, `whitelist`), copies of finished files
//! (`incoming-copy`, `sent-copy`, `failed-copy`, `report-copy`,
//! `eventhandler-use-copy`), names in `sent/` and `failed/`
//! (`keep-filename`, `store-original-filename`), and a modem's own
//! `eventhandler`, `eventhandler-ussd`, `number` and `description`. Apart
//! from `daemon_config.rs` so that these rules read on their own.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::admin::{ModemAdmin, SpoolAdmin};
use super::{Checker, RawSpool};

/// See the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpoolFeatures {
    /// smsd's `blacklist`: numbers (prefixes) no message is sent to.
    pub blacklist: Option<PathBuf>,
    /// smsd's `whitelist`: when set, only these numbers get messages.
    pub whitelist: Option<PathBuf>,
    pub copies: Copies,
    /// smsd's `keep_filename`: false gives every file in `sent/` and
    /// `failed/` a name of its own (`MODEM.xxxxxx`, `smsd.xxxxxx`).
    pub keep_filename: bool,
    /// smsd's `store_original_filename`: with `keep_filename = false`, the
    /// file's first name goes into an `Original_filename:` line.
    pub store_original_filename: bool,
    /// smsd's `admin_to` and `adminmessage_device`.
    pub admin: SpoolAdmin,
}

impl Default for SpoolFeatures {
    fn default() -> SpoolFeatures {
        SpoolFeatures {
            blacklist: None,
            whitelist: None,
            copies: Copies::default(),
            keep_filename: true,
            store_original_filename: true,
            admin: SpoolAdmin::default(),
        }
    }
}

impl SpoolFeatures {
    /// The `Original_filename:` value for a file first named `name`.
    pub fn original_filename(&self, name: &str) -> Option<String> {
        (!self.keep_filename && self.store_original_filename).then(|| name.to_owned())
    }
}

/// smsd's `*_copy` directories: a second copy of each finished file,
/// written as durably and with the same mode as the first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copies {
    pub incoming: Option<PathBuf>,
    pub sent: Option<PathBuf>,
    pub failed: Option<PathBuf>,
    pub report: Option<PathBuf>,
    /// The eventhandler is given the copy rather than the file.
    pub eventhandler_use_copy: bool,
}

impl Copies {
    /// Every copy directory set.
    pub fn dirs(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.incoming, &self.sent, &self.failed, &self.report]
            .into_iter()
            .flatten()
    }
}

/// A modem's smstools3 production settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModemFeatures {
    /// Its own eventhandler, run instead of `[handlers] eventhandler` for
    /// its messages.
    pub eventhandler: Option<PathBuf>,
    /// Run with every USSD answer: `USSD FILE MODEM CHARSET COMMAND`.
    pub eventhandler_ussd: Option<PathBuf>,
    /// The SIM's number, written to `sent/` files as `Number:`.
    pub number: Option<String>,
    /// Written to `sent/` files as `Description:`.
    pub description: Option<String>,
    /// Its `admin-to` and administrative message limit.
    pub admin: ModemAdmin,
}

impl Checker<'_> {
    pub(super) fn spool_features(&mut self, raw: &mut RawSpool) -> SpoolFeatures {
        let mut absolute = |path: Option<Spanned<PathBuf>>, key: &str| {
            let path = path?;
            if !path.get_ref().is_absolute() {
                let message = format!(
                    "{} is relative; give an absolute path (the daemon's working directory is no anchor)",
                    path.get_ref().display()
                );
                self.problem(path.span().start, key, &message);
            }
            Some(path.into_inner())
        };
        let blacklist = absolute(raw.blacklist.take(), "spool.blacklist");
        let whitelist = absolute(raw.whitelist.take(), "spool.whitelist");
        let copies = Copies {
            incoming: absolute(raw.incoming_copy.take(), "spool.incoming-copy"),
            sent: absolute(raw.sent_copy.take(), "spool.sent-copy"),
            failed: absolute(raw.failed_copy.take(), "spool.failed-copy"),
            report: absolute(raw.report_copy.take(), "spool.report-copy"),
            eventhandler_use_copy: raw.eventhandler_use_copy.unwrap_or(false),
        };
        SpoolFeatures {
            blacklist,
            whitelist,
            copies,
            keep_filename: raw.keep_filename.unwrap_or(true),
            store_original_filename: raw.store_original_filename.unwrap_or(true),
            admin: self.spool_admin(raw.admin_to.take(), raw.admin_message_modem.take()),
        }
    }

    /// A modem's `eventhandler`, `eventhandler-ussd`, `number`,
    /// `description`; smsd's `modemname` in a handler's path is the
    /// modem's name.
    pub(super) fn modem_features(
        &mut self,
        modem: &str,
        eventhandler: Option<&Spanned<PathBuf>>,
        eventhandler_ussd: Option<&Spanned<PathBuf>>,
        number: Option<&Spanned<String>>,
        description: Option<&Spanned<String>>,
    ) -> ModemFeatures {
        let mut handler = |path: Option<&Spanned<PathBuf>>, key: &str| {
            let path = path?;
            let named = path.get_ref().to_string_lossy().replace("modemname", modem);
            if named.is_empty() {
                let message = "is empty; leave it out to use [handlers] eventhandler";
                self.problem(path.span().start, &format!("modems.{modem}.{key}"), message);
            }
            Some(Path::new(&named).to_path_buf())
        };
        let eventhandler = handler(eventhandler, "eventhandler");
        let eventhandler_ussd = handler(eventhandler_ussd, "eventhandler-ussd");
        let mut one_line = |value: Option<&Spanned<String>>, key: &str| {
            let value = value?;
            if value.get_ref().chars().any(char::is_control) {
                let message = "must be one line of text (it becomes a header line)";
                self.problem(value.span().start, &format!("modems.{modem}.{key}"), message);
            }
            Some(value.get_ref().trim().to_owned()).filter(|value| !value.is_empty())
        };
        ModemFeatures {
            eventhandler,
            eventhandler_ussd,
            number: one_line(number, "number"),
            description: one_line(description, "description"),
            admin: ModemAdmin::default(),
        }
    }
}
