//! `[sms-commands]` and `[scripts.NAME]`: RouterOS's `:cmd` commands by
//! SMS (`/tool sms` `secret`, `allowed-number`; `/system script`).
//!
//! ```toml
//! [sms-commands]
//! secret = "slepens"                  # required; `:cmd slepens script NAME ...`
//! allowed-numbers = ["+371 2000 0000"] # required; with the country code
//!                                     # (RouterOS's `allowed-number = "+371..."` too)
//! reply = true                        # send the script's output back; default false
//! max-failures = 3                    # wrong secrets from a number within
//! failure-window-s = 600              # this window lock it out (a right secret
//! lockout-s = 3600                    # in between does not reset the count) for this long
//! duplicate-window-s = 3600           # the same SMS (sender, SMSC time stamp, text)
//!                                     # again within this is not run again
//! max-running = 4                     # scripts at once; more wait, in order
//! max-waiting = 16                    # waiting beyond this: refused
//!
//! [scripts.backup]                    # `:cmd slepens script backup dest=usb`
//! program = "/usr/local/bin/backup"   # an absolute path; run without a shell
//! args = ["--quiet"]                  # fixed; the SMS's variables go to the environment
//! timeout-s = 60                      # killed (with its process group) after
//! ```
//!
//! Without `[sms-commands]`, a `:cmd` message is an ordinary message; a
//! `[scripts.NAME]` without it is an error, as it could never run, and so
//! is `[sms-commands]` when no modem has `receive = true`.
//!
//! Failures, lockouts, recent commands and the waiting ones are kept in
//! `<spool base>/smsgate.commands.json` across restarts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use sms_command::{InternationalNumber, RateLimit, RecentCommands};
use toml::Spanned;

use super::{Checker, ModemSettings};

/// A script's default `timeout-s`.
pub const DEFAULT_SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// `max-running`'s default.
pub const DEFAULT_MAX_RUNNING: usize = 4;

/// `max-waiting`'s default.
pub const DEFAULT_MAX_WAITING: usize = 16;

/// The largest `max-running` and `max-waiting`: the waiting commands are
/// saved whole at every change, so the file stays small.
const MAX_QUEUE_BOUND: u64 = 1000;

/// `[sms-commands]` and its `[scripts.NAME]`, checked.
#[derive(Clone)]
pub struct SmsCommands {
    /// Never empty; never printed (see the `Debug` impl).
    pub secret: String,
    /// Never empty.
    pub allowed_numbers: Vec<InternationalNumber>,
    /// Whether a script's standard output goes back to the sender.
    pub reply: bool,
    pub rate_limit: RateLimit,
    /// The same SMS again within this does not run again.
    pub duplicate_window: Duration,
    /// Scripts running at once (at least 1).
    pub max_running: usize,
    /// Commands waiting for a free slot, beyond which one is refused.
    pub max_waiting: usize,
    pub scripts: BTreeMap<String, Script>,
}

/// One `[scripts.NAME]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// An absolute path.
    pub program: PathBuf,
    pub args: Vec<String>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmsCommands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsCommands")
            .field("secret", &"<hidden>")
            .field("allowed_numbers", &self.allowed_numbers)
            .field("reply", &self.reply)
            .field("rate_limit", &self.rate_limit)
            .field("duplicate_window", &self.duplicate_window)
            .field("max_running", &self.max_running)
            .field("max_waiting", &self.max_waiting)
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
    /// RouterOS's spelling: one number, or a list.
    allowed_number: Option<Spanned<OneOrMore>>,
    #[serde(default)]
    reply: bool,
    max_failures: Option<Spanned<u32>>,
    failure_window_s: Option<Spanned<u64>>,
    lockout_s: Option<Spanned<u64>>,
    duplicate_window_s: Option<Spanned<u64>>,
    max_running: Option<Spanned<u64>>,
    max_waiting: Option<Spanned<u64>>,
}

/// A string, or a list of strings.
#[derive(Debug)]
pub(super) struct OneOrMore(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMore {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OneOrMore;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number as a string, or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<OneOrMore, E> {
                Ok(OneOrMore(vec![value.to_owned()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMore, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element::<String>()? {
                    values.push(value);
                }
                Ok(OneOrMore(values))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
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
    /// Checks both sections; none without `[sms-commands]`. `modems`: a
    /// command can only arrive at one that receives.
    pub(super) fn sms_commands(
        &mut self,
        raw: Option<Spanned<RawSmsCommands>>,
        raw_scripts: BTreeMap<Spanned<String>, RawScript>,
        modems: &BTreeMap<String, ModemSettings>,
    ) -> Option<SmsCommands> {
        let scripts = self.scripts(raw_scripts, raw.is_some());
        let raw = raw?;
        let section_offset = raw.span().start;
        if !modems.values().any(|modem| modem.receive) {
            let message = "no modem has `receive = true`: no command could ever arrive \
                           (add it to the [modems.NAME] that gets the commands)";
            self.problem(section_offset, "sms-commands", message);
        }
        let mut raw = raw.into_inner();
        if let Some(numbers) = raw.allowed_number.take() {
            let span = numbers.span();
            if !raw.allowed_numbers.is_empty() {
                let message = "give allowed-numbers or RouterOS's allowed-number, not both";
                self.problem(span.start, "sms-commands.allowed-number", message);
            }
            raw.allowed_numbers.extend(
                numbers
                    .into_inner()
                    .0
                    .into_iter()
                    .map(|number| Spanned::new(span.clone(), number)),
            );
        }
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
        let duplicate_window = at_least_one(
            self,
            raw.duplicate_window_s,
            "sms-commands.duplicate-window-s",
            RecentCommands::DEFAULT_WINDOW.as_secs(),
        );
        let mut bounded = |value: Option<Spanned<u64>>, key: &str, default: usize| {
            let Some(value) = value else {
                return default;
            };
            let number = *value.get_ref();
            if !(1..=MAX_QUEUE_BOUND).contains(&number) {
                let message = format!("must be 1 to {MAX_QUEUE_BOUND}");
                self.problem(value.span().start, key, &message);
            }
            usize::try_from(number).unwrap_or(usize::MAX)
        };
        let max_running = bounded(raw.max_running, "sms-commands.max-running", DEFAULT_MAX_RUNNING);
        let max_waiting = bounded(raw.max_waiting, "sms-commands.max-waiting", DEFAULT_MAX_WAITING);
        Some(SmsCommands {
            secret,
            allowed_numbers,
            reply: raw.reply,
            rate_limit: RateLimit {
                max_failures: u32::try_from(max_failures).unwrap_or(u32::MAX),
                window: Duration::from_secs(window),
                lockout: Duration::from_secs(lockout),
            },
            duplicate_window: Duration::from_secs(duplicate_window),
            max_running,
            max_waiting,
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

    /// `text` with a receiving modem after it (so that line numbers stay).
    fn parse(text: &str) -> anyhow::Result<DaemonConfig> {
        DaemonConfig::parse(&format!("{text}\n{RECEIVING}"), Path::new("smsgate.toml"))
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    /// A receiving modem, then the section.
    const RECEIVING: &str = "[ports.p]\ndevice = \"/dev/null\"\n[modems.p]\nreceive = true\n";
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
        assert_eq!(commands.duplicate_window, Duration::from_secs(3600));
        assert_eq!(commands.max_running, 4);
        assert_eq!(commands.max_waiting, 16);
        assert!(commands.scripts.is_empty());
        assert!(!format!("{commands:?}").contains("slepens"));
    }

    // Every key, one assertion each.
    #[test]
    fn every_key() {
        let text = "[sms-commands]\nsecret = \"a b\"\n\
                    allowed-numbers = [\"+371 2000-0000\", \"0049 172 1234567\"]\n\
                    reply = true\nmax-failures = 5\nfailure-window-s = 60\nlockout-s = 120\n\
                    duplicate-window-s = 30\nmax-running = 2\nmax-waiting = 3\n\n\
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
        assert_eq!(commands.duplicate_window, Duration::from_secs(30));
        assert_eq!(commands.max_running, 2);
        assert_eq!(commands.max_waiting, 3);
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
        let text = format!(
            "{MINIMAL}max-failures = 0\nfailure-window-s = 0\nlockout-s = 0\nduplicate-window-s = 0\n\
             max-running = 0\nmax-waiting = 1001\n"
        );
        assert_eq!(
            error(&text),
            "smsgate.toml: line 4: sms-commands.max-failures: must be at least 1\n\
             smsgate.toml: line 5: sms-commands.failure-window-s: must be at least 1\n\
             smsgate.toml: line 6: sms-commands.lockout-s: must be at least 1\n\
             smsgate.toml: line 7: sms-commands.duplicate-window-s: must be at least 1\n\
             smsgate.toml: line 8: sms-commands.max-running: must be 1 to 1000\n\
             smsgate.toml: line 9: sms-commands.max-waiting: must be 1 to 1000"
        );
    }

    /// Issue 10.8: commands that could never arrive are a mistake.
    #[test]
    fn commands_need_a_receiving_modem() {
        let without = |modems: &str| {
            let text = format!("{modems}{MINIMAL}");
            format!(
                "{:#}",
                DaemonConfig::parse(&text, Path::new("smsgate.toml")).unwrap_err()
            )
        };
        let expected = "smsgate.toml: line 1: sms-commands: no modem has `receive = true`: no command could \
                        ever arrive (add it to the [modems.NAME] that gets the commands)";
        assert_eq!(without(""), expected);
        let sending_only = "[ports.p]\ndevice = \"/dev/null\"\n[modems.p]\n";
        assert_eq!(without(sending_only), expected.replace("line 1", "line 4"));
        // RouterOS's `receive-enabled` spelling counts.
        let routeros = "[ports.p]\ndevice = \"/dev/null\"\n[modems.p]\nreceive-enabled = true\n";
        assert!(DaemonConfig::parse(&format!("{routeros}{MINIMAL}"), Path::new("smsgate.toml")).is_ok());
    }

    /// Issue 10.8: RouterOS's `allowed-number`, one number or a list.
    #[test]
    fn routeros_allowed_number_is_accepted() {
        let numbers = |text: &str| parse(text).unwrap().sms_commands.unwrap().allowed_numbers;
        let one = "[sms-commands]\nsecret = \"s\"\nallowed-number = \"+37120000000\"\n";
        assert_eq!(
            numbers(one),
            [InternationalNumber::parse("+37120000000").unwrap()]
        );
        let list = "[sms-commands]\nsecret = \"s\"\nallowed-number = [\"+37120000000\", \"+37120000001\"]\n";
        assert_eq!(numbers(list).len(), 2);
        assert_eq!(
            error("[sms-commands]\nsecret = \"s\"\nallowed-number = \"20000000\"\n"),
            "smsgate.toml: line 3: sms-commands.allowed-numbers: \"20000000\": no country code: write the \
             number with `+` (or `00`) and its country code, like +37120000000"
        );
        assert_eq!(
            error(&format!("{MINIMAL}allowed-number = \"+37120000001\"\n")),
            "smsgate.toml: line 4: sms-commands.allowed-number: give allowed-numbers or RouterOS's \
             allowed-number, not both"
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
        let err = error(&format!("{MINIMAL}allowed-numbrs = [\"+37120000000\"]\n"));
        assert!(
            err.starts_with("smsgate.toml: line 4: unknown key \"allowed-numbrs\" in [sms-commands]"),
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
