//! Running `smsgate` as a child process, in the style of ripgrep's
//! `TestCommand`: build the command, run it, and get its output only if it
//! exited as the test expects; otherwise fail with everything it printed.

use std::fmt::Write as _;
use std::process::{Command, Output};

/// A command line for the `smsgate` binary under test.
#[derive(Debug)]
pub(crate) struct TestCommand {
    cmd: Command,
}

/// What a command printed.
#[derive(Debug)]
pub(crate) struct Printed {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl TestCommand {
    /// `smsgate` with these arguments.
    pub(crate) fn new<I, S>(args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_smsgate"));
        cmd.args(args);
        TestCommand { cmd }
    }

    /// Adds arguments.
    pub(crate) fn args<I, S>(&mut self, args: I) -> &mut TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Runs the command in `dir`.
    pub(crate) fn current_dir(&mut self, dir: &std::path::Path) -> &mut TestCommand {
        self.cmd.current_dir(dir);
        self
    }

    /// Runs the command, requires exit status 0 and returns its stdout.
    pub(crate) fn stdout(&mut self) -> String {
        self.expect_status(0).stdout
    }

    /// Runs the command, requires exit status 0 and parses its stdout as
    /// JSON.
    pub(crate) fn json(&mut self) -> serde_json::Value {
        let stdout = self.stdout();
        parse_json(&stdout)
    }

    /// Runs the command and requires exit status `code`.
    pub(crate) fn expect_status(&mut self, code: i32) -> Printed {
        let output = self.output();
        if output.status.code() != Some(code) {
            panic!(
                "{}",
                self.report(&format!("expected exit status {code}"), &output)
            );
        }
        Printed {
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    fn output(&mut self) -> Output {
        self.cmd
            .output()
            .unwrap_or_else(|err| panic!("could not run {:?}: {err}", self.cmd))
    }

    fn report(&self, problem: &str, output: &Output) -> String {
        let mut report = String::new();
        let _ = writeln!(report, "\n{problem}, got {}", output.status);
        let _ = writeln!(report, "\ncommand: {:?}", self.cmd);
        let _ = writeln!(report, "\nstdout:\n{}", String::from_utf8_lossy(&output.stdout));
        let _ = writeln!(report, "\nstderr:\n{}", String::from_utf8_lossy(&output.stderr));
        report
    }
}

/// Parses JSON printed by `smsgate`, failing with the text if it isn't.
pub(crate) fn parse_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("not JSON ({err}):\n{text}"))
}

/// The hex PDUs of `pdu encode` output, one per line, after checking each
/// line's AT+CMGS length against the PDU it goes with.
pub(crate) fn encoded_pdus(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(|line| {
            let (length, hex) = line
                .split_once(' ')
                .unwrap_or_else(|| panic!("not `LENGTH HEX`: {line:?}"));
            let length: usize = length
                .parse()
                .unwrap_or_else(|_| panic!("bad length in {line:?}"));
            // The length counts the TPDU only: everything after the SMSC
            // address, whose first octet is its own length.
            let smsc_octets = 1 + usize::from_str_radix(&hex[..2], 16).unwrap();
            assert_eq!(length, hex.len() / 2 - smsc_octets, "AT+CMGS length of {line:?}");
            hex.to_owned()
        })
        .collect()
}
