//! `smsgate check-config`: the configuration read as every command reads
//! it, summed up, or every problem in it.

use std::io::Write as _;
use std::path::Path;

use smsgate_daemon::config::ConfigFile;

/// `smsgate check-config`: reads `path` as every command does and says
/// what it holds, or fails with every problem.
pub(crate) fn check(path: &Path) -> anyhow::Result<()> {
    let config = ConfigFile::load(path)?.settings;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{}: ok: {} port(s), {} modem(s), {} queue(s), SMS commands {}",
        path.display(),
        config.ports.len(),
        config.modems.len(),
        config.queues.len(),
        match &config.sms_commands {
            Some(commands) => format!("on ({} script(s))", commands.scripts.len()),
            None => "off".to_owned(),
        }
    )?;
    Ok(())
}
