//! `smsgate import-smsd-conf FILE`: reads an smstools3 `smsd.conf` and
//! prints the equivalent TOML (the mapping is `smsd_conf.rs`).

use std::io::Write as _;

use anyhow::{anyhow, Context};

use crate::cli::ImportSmsdConfArgs;
use crate::smsd_conf;

/// Runs the command.
pub(crate) fn run(args: &ImportSmsdConfArgs) -> anyhow::Result<()> {
    let path = &args.file;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let located = |err: smsd_conf::SmsdConfError| anyhow!("{}: {err}", path.display());
    let conf = smsd_conf::parse(&text).map_err(located)?;
    let import = smsd_conf::import(&conf, path).map_err(located)?;
    // The output must load as it is; a failure here is a bug in the
    // mapping or a problem smsd.conf hid (a queue no modem serves), and
    // the user should see the TOML to fix it.
    let checked = smsd_conf::check_import(&import.toml);
    std::io::stdout().write_all(import.toml.as_bytes())?;
    checked.context("the imported configuration does not load")?;
    if !import.unhonoured.is_empty() {
        let not_yet = import
            .unhonoured
            .iter()
            .filter(|listed| matches!(listed.reason, smsd_conf::Reason::NotYet(_)))
            .count();
        let not_yet = match not_yet {
            0 => String::new(),
            n => format!(" ({n} of them for features smsgate does not have yet)"),
        };
        eprintln!(
            "{} setting(s) of {} not carried over{not_yet}: see the summary at the top",
            import.unhonoured.len(),
            path.display()
        );
    }
    Ok(())
}
