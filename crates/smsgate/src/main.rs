//! The `smsgate` command: parses the command line, runs one subcommand, and
//! turns the outcome into an exit status.
//!
//! The work lives in the modules (and in the library crates below them);
//! this file is the one place that decides exit statuses:
//!
//! - 0: success, or stdout was closed early (see [`exit_status`]);
//! - 1: the input could not be decoded or encoded, or a command failed;
//! - 2: a usage error, reported by clap before anything runs.

mod check_cmd;
mod cli;
mod config_path;
mod ctl_cmd;
mod decoded;
mod demo;
mod docs_cmd;
mod import_cmd;
mod logging;
mod modem_cmd;
mod multipart;
mod pdu_cmd;
mod pdu_dump;
mod pdu_json;
mod run_cmd;
mod runtime;
mod settings_cmd;
mod sim_cmd;
mod smsd_conf;

use std::io;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// jemalloc rather than glibc's malloc: see [`run_cmd`] and
/// docs/benchmarks.md ("Fourth run").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // On a usage error clap prints the problem and the usage, and exits
    // with status 2.
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit_status(&err),
    }
}

/// Runs the subcommand.
fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Pdu(command) => pdu_cmd::run(command),
        Command::Sim(args) => sim_cmd::run(args),
        Command::Modem(command) => modem_cmd::run(command),
        Command::ImportSmsdConf(args) => import_cmd::run(args),
        Command::Run(args) => run_cmd::run(&config_path::required(args.config.as_deref())?),
        Command::Ctl(args) => ctl_cmd::run(args),
        Command::CheckConfig(args) => check_cmd::check(&config_path::required(args.config.as_deref())?),
        Command::Settings(args) => settings_cmd::run(args),
        Command::Demo(args) => demo::run(&args.dir, args.http),
        Command::Completions(args) => docs_cmd::completions(args),
        Command::Man(args) => docs_cmd::man(args),
    }
}

/// Reports an error and gives the exit status for it.
fn exit_status(err: &anyhow::Error) -> ExitCode {
    // A reader that closes the pipe early (`smsgate pdu decode ... | head`)
    // has seen all it wants; like other Unix tools, say nothing and count
    // it as success.
    let broken_pipe = err
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io_err| io_err.kind() == io::ErrorKind::BrokenPipe);
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {err:#}");
    ExitCode::from(1)
}
