//! smsd's administrative messages (issue 12.24, `admin_to`): the global
//! `admin_to` and `adminmessage_device`, and a modem's `admin_to`,
//! `adminmessage_limit` and `adminmessage_count_clear` (minutes). Apart
//! from the main mapping so that each group of features reads on its own.

use super::super::values::{self, toml_string};
use super::super::{Entry, SmsdConfError};
use super::{Importer, Table};

impl Importer {
    /// Maps a global setting of this group; false when it is not one.
    pub(super) fn admin_global(&mut self, entry: &Entry) -> Result<bool, SmsdConfError> {
        let key = match entry.key.as_str() {
            "admin_to" => "admin-to",
            "adminmessage_device" => "admin-message-modem",
            _ => return Ok(false),
        };
        // An empty value is smsd's "not in use" (and, for the device, its
        // default: the first modem that sends and has a number).
        self.spool_string_setting(entry, key, entry.value.trim());
        Ok(true)
    }

    /// Maps a modem setting of this group into `modem`, modem `name`'s
    /// table; false when it is not one.
    pub(super) fn admin_modem(
        &mut self,
        section: Option<&str>,
        entry: &Entry,
        name: &str,
        modem: &mut Table,
    ) -> Result<bool, SmsdConfError> {
        let (toml, value) = match entry.key.as_str() {
            "admin_to" => ("admin-to", toml_string(entry.value.trim())),
            key @ ("adminmessage_limit" | "adminmessage_count_clear") => {
                let (number, _) = values::number(entry)?;
                let toml = match key {
                    "adminmessage_limit" => "admin-message-limit",
                    _ => "admin-message-count-clear-min",
                };
                // 0 is smsd's "not in use".
                if number == 0 {
                    self.carry(section, entry, "not in use, as in smsd");
                    return Ok(true);
                }
                (toml, number.to_string())
            }
            _ => return Ok(false),
        };
        let value = (value != "\"\"").then_some(value);
        self.modem_setting(section, entry, (name, modem), toml, value);
        Ok(true)
    }
}
