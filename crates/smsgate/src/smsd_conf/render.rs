//! The imported TOML, after its summary: what was carried over and where
//! to, what smsgate does not have yet, what was left out and why, and
//! where smsgate's defaults differ from smsd's, so that a migrating user
//! sees the consequences before starting it.

use std::fmt::Write as _;
use std::path::Path;

use super::importer::{Importer, Table};
use super::values::{toml_key, toml_list, toml_string};
use super::Reason;

impl Importer {
    pub(super) fn render(&self, source: &Path) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# smsgate configuration imported from {}", source.display());
        let _ = writeln!(
            out,
            "# by `smsgate import-smsd-conf`. Read this summary before starting smsgate."
        );
        self.summary(&mut out);
        let mut spool = vec![("base", toml_string(&self.spool_base))];
        for (key, dir, _) in &self.spool {
            if Path::new(dir) != Path::new(&self.spool_base).join(key) {
                spool.push((*key, toml_string(dir)));
            }
        }
        spool.extend(self.spool_settings.iter().cloned());
        table(&mut out, "spool", &spool);
        table(&mut out, "handlers", &self.handlers);
        table(&mut out, "limits", &self.limits);
        table(&mut out, "numbering", &self.numbering);
        table(&mut out, "status", &self.status);
        for (name, port) in &self.ports {
            table(&mut out, &format!("ports.{}", toml_key(name)), port);
        }
        for (name, modem) in &self.modems {
            table(&mut out, &format!("modems.{}", toml_key(name)), modem);
        }
        let mut queue_names: Vec<&String> = self.queue_dirs.iter().map(|(name, _)| name).collect();
        for (name, _) in &self.queue_prefixes {
            if !queue_names.contains(&name) {
                queue_names.push(name);
            }
        }
        for name in queue_names {
            let prefixes = self
                .queue_prefixes
                .iter()
                .find(|(queue, _)| queue == name)
                .map(|(_, prefixes)| prefixes.clone())
                .unwrap_or_default();
            let mut queue = vec![("prefixes", toml_list(&prefixes))];
            if let Some((_, dir)) = self.queue_dirs.iter().find(|(queue, _)| queue == name) {
                queue.push(("directory", toml_string(dir)));
            }
            table(&mut out, &format!("queues.{}", toml_key(name)), &queue);
        }
        out
    }

    fn summary(&self, out: &mut String) {
        let mut carried: Vec<_> = self.carried.iter().collect();
        carried.sort_by_key(|carried| carried.line);
        if !carried.is_empty() {
            let _ = writeln!(out, "#\n# Carried over:");
            for carried in carried {
                let section = carried
                    .section
                    .as_ref()
                    .map(|section| format!("[{section}] "))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "#   line {}: {section}{} = {} -> {}",
                    carried.line,
                    carried.key,
                    carried.value,
                    carried.to.join(", ")
                );
            }
        }
        let mut not_yet: Vec<_> = self
            .unhonoured
            .iter()
            .filter(|listed| matches!(listed.reason, Reason::NotYet(_)))
            .collect();
        not_yet.sort_by_key(|listed| listed.line);
        if !not_yet.is_empty() {
            let _ = writeln!(
                out,
                "#\n# Not carried yet (smsgate does not have the feature yet):"
            );
            for listed in not_yet {
                let _ = writeln!(out, "#   {listed}");
            }
        }
        let mut left_out: Vec<_> = self
            .unhonoured
            .iter()
            .filter(|listed| matches!(listed.reason, Reason::Why(_)))
            .collect();
        left_out.sort_by_key(|listed| listed.line);
        if left_out.is_empty() {
            let _ = writeln!(out, "#\n# Nothing else was left out.");
        } else {
            let _ = writeln!(out, "#\n# Not carried over:");
            for listed in left_out {
                let _ = writeln!(out, "#   {listed}");
            }
        }
        if !self.differences.is_empty() {
            let _ = writeln!(out, "#\n# Differences from smsd:");
            for difference in &self.differences {
                let _ = writeln!(out, "#   {difference}");
            }
        }
    }
}

/// Writes `[name]` and its entries; nothing if there are none, unless the
/// table's presence means something (a modem).
fn table(out: &mut String, name: &str, entries: &Table) {
    if entries.is_empty() && !name.starts_with("modems.") {
        return;
    }
    let _ = writeln!(out, "\n[{name}]");
    for (key, value) in entries {
        let _ = writeln!(out, "{key} = {value}");
    }
}
