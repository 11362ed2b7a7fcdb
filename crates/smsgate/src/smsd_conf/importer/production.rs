//! smsd's production settings (issue 12.24, part A): recipient lists,
//! copies of finished files, names in `sent/` and `failed/`, and a
//! modem's own handlers, number and description. Apart from the main
//! mapping so that each group of features reads, and changes, on its own.

use super::super::values::{self, toml_string};
use super::super::{Entry, SmsdConfError};
use super::{Importer, Table};

impl Importer {
    /// Maps a global setting of this group; false when it is not one.
    pub(super) fn production_global(&mut self, entry: &Entry) -> Result<bool, SmsdConfError> {
        let value = entry.value.as_str();
        let key = match entry.key.as_str() {
            "blacklist" => "blacklist",
            "whitelist" => "whitelist",
            "incoming_copy" => "incoming-copy",
            "sent_copy" => "sent-copy",
            "failed_copy" => "failed-copy",
            "report_copy" => "report-copy",
            key @ ("eventhandler_use_copy" | "keep_filename" | "store_original_filename") => {
                let toml_key = match key {
                    "eventhandler_use_copy" => "eventhandler-use-copy",
                    "keep_filename" => "keep-filename",
                    _ => "store-original-filename",
                };
                let yes = values::yes_no(entry)?;
                self.spool_settings.push((toml_key, yes.to_string()));
                self.carry(None, entry, format!("spool.{toml_key}"));
                return Ok(true);
            }
            _ => return Ok(false),
        };
        // An empty value is smsd's "not in use".
        self.spool_string_setting(entry, key, value);
        Ok(true)
    }

    /// Maps a modem setting of this group into `modem`, modem `name`'s
    /// table; false when it is not one.
    pub(super) fn production_modem(
        &mut self,
        section: Option<&str>,
        entry: &Entry,
        name: &str,
        modem: &mut Table,
    ) -> Result<bool, SmsdConfError> {
        let value = entry.value.as_str();
        let toml = match entry.key.as_str() {
            "eventhandler" => "eventhandler",
            "eventhandler_ussd" => "eventhandler-ussd",
            "number" => "number",
            "description" => "description",
            _ => return Ok(false),
        };
        // smsd 3.1.16+: `modemname` in a handler's path is the modem's name.
        let value = match toml.starts_with("eventhandler") {
            true => values::with_modem_name(value, name),
            false => value.to_owned(),
        };
        if toml == "eventhandler" && Some(&value) == self.global_eventhandler.as_ref() {
            self.carry(section, entry, "the same as the global eventhandler");
        } else {
            let value = (!value.is_empty()).then(|| toml_string(&value));
            self.modem_setting(section, entry, (name, modem), toml, value);
        }
        Ok(true)
    }
}
