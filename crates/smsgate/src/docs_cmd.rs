//! `smsgate completions SHELL` and `smsgate man DIR`: the shell
//! completions and the man pages, made from the command line's own
//! definition ([`crate::cli::Cli`]) so that they never drift from it.
//! The .deb's build (scripts/build-deb) runs both and installs the files.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

/// Prints the completion script for `args.shell` on stdout.
pub(crate) fn completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "smsgate", &mut script);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&script)?;
    stdout.flush()?;
    Ok(())
}

/// Writes `smsgate.1` and one page per subcommand (`smsgate-send.1`,
/// `smsgate-sim-ctl.1`, ...) into `args.dir`, creating it if need be, and
/// lists the files written on stdout.
pub(crate) fn man(args: &ManArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("creating {}", args.dir.display()))?;
    clap_mangen::generate_to(Cli::command(), &args.dir)
        .with_context(|| format!("writing the man pages into {}", args.dir.display()))?;
    let mut pages: Vec<String> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("listing {}", args.dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| Path::new(name).extension().is_some_and(|ext| ext == "1"))
        .collect();
    pages.sort();
    let mut stdout = std::io::stdout().lock();
    for page in pages {
        writeln!(stdout, "{}", args.dir.join(page).display())?;
    }
    Ok(())
}
