//! `[sms-commands]` and `[scripts.NAME]`: RouterOS's `:cmd` commands by
//! SMS (`/tool sms` `secret`, `allowed-number`; `/system script`).
//!
//! ```toml
//! [sms-commands]
//! secret = "slepens"                  # required; `:cmd slepens script NAME ...`
//! allowed-numbers = ["+371 2000 0000"] # required; with the country code
//! reply = true                        # send the script's output back; default false
//! max-failures = 3                    # wrong secrets from a number within
//! failure-window-s = 600              # this window lock it out
//! lockout-s = 3600                    # for this long
//!
//! [scripts.backup]                    # `:cmd slepens script backup dest=usb`
//! program = "/usr/local/bin/backup"   # an absolute path; run without a shell
//! args = ["--quiet"]                  # fixed; the SMS's variables go to the environment
//! timeout-s = 60                      # killed (with its process group) after
//! ```
//!
//! Without `[sms-commands]`, a `:cmd` message is an ordinary message; a
//! `[scripts.NAME]` without it is an error, as it could never run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use sms_command::{InternationalNumber, RateLimit};
use toml::Spanned;

use super::Checker;

/// A script's default `timeout-s`.
pub(crate) const DEFAULT_SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// `[sms-commands]` and its `[scripts.NAME]`, checked.
#[derive(Clone)]
pub(crate) struct SmsCommands {
    /// Never empty; never printed (see the `Debug` impl).
    pub(crate) secret: String,
    /// Never empty.
    pub(crate) allowed_numbers: Vec<InternationalNumber>,
    /// Whether a script's standard output goes back to the sender.
    pub(crate) reply: bool,
    pub(crate) rate_limit: RateLimit,
    pub(crate) scripts: BTreeMap<String, Script>,
}

/// One `[scripts.NAME]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Script {
    /// An absolute path.
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) timeout: Duration,
}

impl std::fmt::Debug for SmsCommands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsCommands")
            .field("secret", &"<hidden>")
            .field("allowed_numbers", &self.allowed_numbers)
            .field("reply", &self.reply)
            .field("rate_limit", &self.rate_limit)
            .field("scripts", &self.scripts)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSmsCommands {
    secret: Option<Spanned<String>>,
    #[serde(default)]
    allowed_numbers: Vec<Spanned<String>>,
    #[serde(default)]
    reply: bool,
    max_failures: Option<Spanned<u32>>,
    failure_window_s: Option<Spanned<u64>>,
    lockout_s: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawScript {
    program: Spanned<PathBuf>,
    #[serde(default)]
    args: Vec<String>,
    timeout_s: Option<Spanned<u64>>,
}

impl Checker<'_> {
    /// Checks both sections; none without `[sms-commands]`.
    pub(super) fn sms_commands(
        &mut self,
        raw: Option<Spanned<RawSmsCommands>>,
        raw_scripts: BTreeMap<Spanned<String>, RawScript>,
    ) -> Option<SmsCommands> {
        let scripts = self.scripts(raw_scripts, raw.is_some());
        let raw = raw?;
        let section_offset = raw.span().start;
        let raw = raw.into_inner();
        let secret = match raw.secret {
            None => {
                let message = "missing: commands need a secret (`secret = \"...\"`)";
                self.problem(section_offset, "sms-commands.secret", message);
                String::new()
            }
            Some(secret) => {
                if secret.get_ref().is_empty() {
                    self.problem(secret.span().start, "sms-commands.secret", "is empty");
                }
                secret.into_inner()
            }
        };
        if raw.allowed_numbers.is_empty() {
            let message = "missing or empty: give the numbers that may run commands, like [\"+37120000000\"]";
            self.problem(section_offset, "sms-commands.allowed-numbers", message);
        }
        let mut allowed_numbers = Vec::new();
        for number in &raw.allowed_numbers {
            match InternationalNumber::parse(number.get_ref()) {
                Ok(parsed) => allowed_numbers.push(parsed),
                Err(err) => {
                    let message = format!("{:?}: {err}", number.get_ref());
                    self.problem(number.span().start, "sms-commands.allowed-numbers", &message);
                }
            }
        }
        let at_least_one = |checker: &mut Self, value: Option<Spanned<u64>>, key: &str, default: u64| {
            let Some(value) = value else {
                return default;
            };
            if *value.get_ref() == 0 {
                checker.problem(value.span().start, key, "must be at least 1");
            }
            *value.get_ref()
        };
        let max_failures = at_least_one(
            self,
            raw.max_failures
                .map(|value| Spanned::new(value.span(), u64::from(*value.get_ref()))),
            "sms-commands.max-failures",
            u64::from(RateLimit::DEFAULT.max_failures),
        );
        let window = at_least_one(
            self,
            raw.failure_window_s,
            "sms-commands.failure-window-s",
            RateLimit::DEFAULT.window.as_secs(),
        );
        let lockout = at_least_one(
            self,
            raw.lockout_s,
            "sms-commands.lockout-s",
            RateLimit::DEFAULT.lockout.as_secs(),
        );
        Some(SmsCommands {
            secret,
            allowed_numbers,
            reply: raw.reply,
            rate_limit: RateLimit {
                max_failures: u32::try_from(max_failures).unwrap_or(u32::MAX),
                window: Duration::from_secs(window),
                lockout: Duration::from_secs(lockout),
            },
            scripts,
        })
    }

    fn scripts(
        &mut self,
        raw_scripts: BTreeMap<Spanned<String>, RawScript>,
        commands_enabled: bool,
    ) -> BTreeMap<String, Script> {
        let mut scripts = BTreeMap::new();
        for (name, raw_script) in raw_scripts {
            let key = |field: &str| format!("scripts.{}{field}", name.get_ref());
            if !commands_enabled {
                let message = "no [sms-commands] section (with the secret and allowed numbers): \
                               this script could never run";
                self.problem(name.span().start, &key(""), message);
            }
            if name.get_ref().is_empty() {
                self.problem(name.span().start, "scripts", "a script name is empty");
            }
            let program = raw_script.program;
            if !program.get_ref().is_absolute() {
                let message = format!(
                    "{} is relative; give an absolute path (no PATH lookup for commands by SMS)",
                    program.get_ref().display()
                );
                self.problem(program.span().start, &key(".program"), &message);
            }
            let timeout = match raw_script.timeout_s {
                None => DEFAULT_SCRIPT_TIMEOUT,
                Some(seconds) => {
                    if *seconds.get_ref() == 0 {
                        let message = "must be at least 1 (seconds the script may run before it is killed)";
                        self.problem(seconds.span().start, &key(".timeout-s"), message);
                    }
                    Duration::from_secs(*seconds.get_ref())
                }
            };
            scripts.insert(
                name.into_inner(),
                Script {
                    program: program.into_inner(),
                    args: raw_script.args,
                    timeout,
                },
            );
        }
        scripts
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::DaemonConfig;
    use super::*;

    fn parse(text: &str) -> anyhow::Result<DaemonConfig> {
        DaemonConfig::parse(text, Path::new("smsgate.toml"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    const MINIMAL: &str = "[sms-commands]\nsecret = \"slepens\"\nallowed-numbers = [\"+37120000000\"]\n";

    #[test]
    fn absent_by_default() {
        assert!(parse("").unwrap().sms_commands.is_none());
    }

    #[test]
    fn minimal_section_and_defaults() {
        let commands = parse(MINIMAL).unwrap().sms_commands.unwrap();
        assert_eq!(commands.secret, "slepens");
        assert_eq!(
            commands.allowed_numbers,
            [InternationalNumber::parse("+37120000000").unwrap()]
        );
        assert!(!commands.reply);
        assert_eq!(commands.rate_limit, RateLimit::DEFAULT);
        assert!(commands.scripts.is_empty());
        assert!(!format!("{commands:?}").contains("slepens"));
    }

    // Every key, one assertion each.
    #[test]
    fn every_key() {
        let text = "[sms-commands]\nsecret = \"a b\"\n\
                    allowed-numbers = [\"+371 2000-0000\", \"0049 172 1234567\"]\n\
                    reply = true\nmax-failures = 5\nfailure-window-s = 60\nlockout-s = 120\n\n\
                    [scripts.\"mans skripts\"]\nprogram = \"/bin/echo\"\nargs = [\"a b\", \"$(x)\"]\ntimeout-s = 7\n\n\
                    [scripts.other]\nprogram = \"/bin/true\"\n";
        let commands = parse(text).unwrap().sms_commands.unwrap();
        assert_eq!(commands.secret, "a b");
        assert_eq!(
            commands.allowed_numbers,
            [
                InternationalNumber::parse("+37120000000").unwrap(),
                InternationalNumber::parse("+491721234567").unwrap()
            ]
        );
        assert!(commands.reply);
        assert_eq!(commands.rate_limit.max_failures, 5);
        assert_eq!(commands.rate_limit.window, Duration::from_secs(60));
        assert_eq!(commands.rate_limit.lockout, Duration::from_secs(120));
        assert_eq!(
            commands.scripts["mans skripts"],
            Script {
                program: PathBuf::from("/bin/echo"),
                args: vec!["a b".to_owned(), "$(x)".to_owned()],
                timeout: Duration::from_secs(7),
            }
        );
        assert_eq!(commands.scripts["other"].timeout, DEFAULT_SCRIPT_TIMEOUT);
        assert!(commands.scripts["other"].args.is_empty());
    }

    #[test]
    fn secret_and_numbers_are_required() {
        assert_eq!(
            error("\n[sms-commands]\nallowed-numbers = [\"+37120000000\"]\n"),
            "smsgate.toml: line 2: sms-commands.secret: missing: commands need a secret (`secret = \"...\"`)"
        );
        assert_eq!(
            error("[sms-commands]\nsecret = \"\"\nallowed-numbers = [\"+37120000000\"]\n"),
            "smsgate.toml: line 2: sms-commands.secret: is empty"
        );
        assert_eq!(
            error("[sms-commands]\nsecret = \"s\"\n"),
            "smsgate.toml: line 1: sms-commands.allowed-numbers: missing or empty: give the numbers \
             that may run commands, like [\"+37120000000\"]"
        );
    }

    #[test]
    fn numbers_need_the_country_code() {
        let text = "[sms-commands]\nsecret = \"s\"\nallowed-numbers = [\n  \"+37120000000\",\n  \"20000000\",\n  \"+371 2000x\",\n]\n";
        assert_eq!(
            error(text),
            "smsgate.toml: line 5: sms-commands.allowed-numbers: \"20000000\": no country code: write the \
             number with `+` (or `00`) and its country code, like +37120000000\n\
             smsgate.toml: line 6: sms-commands.allowed-numbers: \"+371 2000x\": 'x' is not allowed in a \
             number (digits, spaces, `-`, `.`, `/`, `(`, `)`)"
        );
    }

    #[test]
    fn limits_are_at_least_one() {
        let text = format!("{MINIMAL}max-failures = 0\nfailure-window-s = 0\nlockout-s = 0\n");
        assert_eq!(
            error(&text),
            "smsgate.toml: line 4: sms-commands.max-failures: must be at least 1\n\
             smsgate.toml: line 5: sms-commands.failure-window-s: must be at least 1\n\
             smsgate.toml: line 6: sms-commands.lockout-s: must be at least 1"
        );
    }

    #[test]
    fn scripts_are_absolute_and_time_limited() {
        let text = format!(
            "{MINIMAL}\n[scripts.a]\nprogram = \"backup.sh\"\n\n[scripts.b]\nprogram = \"/bin/b\"\ntimeout-s = 0\n"
        );
        assert_eq!(
            error(&text),
            "smsgate.toml: line 6: scripts.a.program: backup.sh is relative; give an absolute path \
             (no PATH lookup for commands by SMS)\n\
             smsgate.toml: line 10: scripts.b.timeout-s: must be at least 1 (seconds the script may run \
             before it is killed)"
        );
        assert_eq!(
            error(&format!("{MINIMAL}[scripts.a]\nargs = []\n")),
            "smsgate.toml: line 4: missing field `program` in [scripts.a]"
        );
    }

    #[test]
    fn scripts_without_the_section_are_refused() {
        assert_eq!(
            error("[scripts.a]\nprogram = \"/bin/a\"\n"),
            "smsgate.toml: line 1: scripts.a: no [sms-commands] section (with the secret and allowed \
             numbers): this script could never run"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = error(&format!("{MINIMAL}allowed-number = \"+37120000000\"\n"));
        assert!(
            err.starts_with("smsgate.toml: line 4: unknown key \"allowed-number\" in [sms-commands]"),
            "{err}"
        );
        let err = error(&format!(
            "{MINIMAL}[scripts.a]\nprogram = \"/bin/a\"\nshell = true\n"
        ));
        assert!(
            err.starts_with("smsgate.toml: line 6: unknown key \"shell\" in [scripts.a]"),
            "{err}"
        );
    }
}
