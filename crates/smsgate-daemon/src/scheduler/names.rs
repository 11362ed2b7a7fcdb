//! The names finished files get in `sent/` and `failed/`: the outgoing
//! file's own (smsd's `keep_filename = yes`, the default), or one of
//! their own (`[spool] keep-filename = false`, see
//! [`finished_names`](crate::finished_names)), and where a
//! restart looks for a message's finished file.

use std::path::PathBuf;

use crate::finished_names::{self, MAIN_SPOOLER};

use super::watch::carries_id;
use super::Scheduler;

impl Scheduler {
    /// The name message `id`, first named `name`, gets in `sent/` when
    /// `modem` sends it.
    pub(super) fn sent_name(&self, name: &str, modem: &str, id: &str) -> String {
        self.finished_name(&self.config.spool.sent, name, modem, id)
    }

    /// The name a file gets in `failed/`: given up by `modem`, or refused
    /// before any modem had it (smsd's `smsd.xxxxxx`). A file never
    /// journalled (`id` none) gets a name from a new id.
    pub(super) fn failed_name(&self, name: &str, modem: Option<&str>, id: Option<&str>) -> String {
        let id = id.map_or_else(crate::journal::new_message_id, str::to_owned);
        let prefix = modem.unwrap_or(MAIN_SPOOLER);
        self.finished_name(&self.config.spool.failed, name, prefix, &id)
    }

    fn finished_name(&self, dir: &std::path::Path, name: &str, prefix: &str, id: &str) -> String {
        if self.config.features.keep_filename {
            return name.to_owned();
        }
        let limit = self.config.max_outgoing_bytes.saturating_add(64 * 1024);
        finished_names::pick(dir, prefix, id, |path| carries_id(path, id, limit))
    }

    /// Where message `id`, first named `name`, may have been finished
    /// into: `sent/name` and `failed/name`, and with `keep-filename =
    /// false` every name it could have been given there.
    pub(super) fn finished_names(&self, name: &str, id: &str) -> Vec<PathBuf> {
        let (sent, failed) = (&self.config.spool.sent, &self.config.spool.failed);
        let mut paths = vec![sent.join(name), failed.join(name)];
        if !self.config.features.keep_filename {
            for prefix in self
                .modems
                .iter()
                .map(|slot| slot.name.as_str())
                .chain([MAIN_SPOOLER])
            {
                for candidate in finished_names::candidates(prefix, id) {
                    paths.push(sent.join(&candidate));
                    paths.push(failed.join(&candidate));
                }
            }
        }
        paths
    }
}
