//! The smsd.conf settings smsgate does not carry over, each with its
//! reason: either smsgate does the thing its own way (or it has no
//! meaning there), or smsgate does not have the feature yet.

use super::Reason;

pub(super) const LOGGING: &str = "smsgate logs to stderr through tracing; choose what with RUST_LOG";
pub(super) const NO_POLLING: &str = "smsgate picks up new files at once (inotify), it does not poll";
pub(super) const PROCESS: &str =
    "smsgate writes no pid or info file and does not switch users; use the service manager";
pub(super) const RECEIVE_FORMAT: &str =
    "smsgate joins long messages (as smsd with internal_combine = yes) and decodes Unicode text \
     exactly when it writes UTF-8 ([spool] incoming-charset, for every modem)";
pub(super) const MEMORY: &str = "smsgate reads the modem's storage its own way (AT+CPMS, AT+CMGL)";
pub(super) const VOICECALL: &str = "voice calls are not configurable in smsgate yet";
pub(super) const NOT_SUPPORTED: &str = "not supported by smsgate";
pub(super) const SHELL: &str = "smsgate runs handlers as programs, without a shell";
pub(super) const SOCKET: &str = "smsgate reconnects a lost network modem on its own schedule";
pub(super) const NOT_NETWORK: &str =
    "has no effect: the device is not a network modem (@host:port), in smsd too";
pub(super) const NO_TELNET_LOGIN: &str = "has no effect without telnet_login, in smsd too";

/// Features smsgate does not have yet, as the summary names them.
pub(super) const TELNET: &str =
    "Telnet login and module selection on network modems (smsgate speaks raw TCP: set the serial server to raw mode)";

/// Why a global setting the importer does not map is left out.
pub(super) fn global(key: &str) -> Reason {
    let not_yet = |feature: &str| Reason::NotYet(feature.to_owned());
    let why = |reason: &str| Reason::Why(reason.to_owned());
    match key {
        "delaytime" | "delaytime_mainprocess" | "sleeptime_mainprocess" | "delaytime_random_start" => {
            why(NO_POLLING)
        }
        "logfile"
        | "loglevel"
        | "logtime_ms"
        | "logtime_us"
        | "logtime_format"
        | "log_single_lines"
        | "smart_logging"
        | "log_unmodified"
        | "log_read_from_modem"
        | "log_charconv"
        | "log_read_timing"
        | "log_response_time"
        | "enable_smsd_debug" => why(LOGGING),
        "pidfile" | "infofile" | "user" | "group" | "umask" | "os_cygwin" | "terminal"
        | "use_linux_ps_trick" => why(PROCESS),
        "internal_combine" | "internal_combine_binary" => why(RECEIVE_FORMAT),
        "shell" | "shell_test" | "executable_check" => why(SHELL),
        "mypath" => why("has no effect, in smsd 3.1 either"),
        "regular_run" | "regular_run_interval" => not_yet(
            "a global regular_run (a program smsd's main process runs; smsgate runs regular_run per modem)",
        ),
        "date_filename" | "date_filename_format" => not_yet("date_filename (a date in received file names)"),
        _ => why(NOT_SUPPORTED),
    }
}

/// Why a modem setting smsgate does not map is left out.
pub(super) fn modem(key: &str) -> Reason {
    let why = |reason: &str| Reason::Why(reason.to_owned());
    match key {
        "memory_start"
        | "check_memory_method"
        | "primary_memory"
        | "secondary_memory"
        | "secondary_memory_max"
        | "cmgl_value" => why(MEMORY),
        key if key.starts_with("voicecall") => why(VOICECALL),
        "logfile" | "loglevel" | "loglevel_lac_ci" | "log_not_registered_after" => why(LOGGING),
        "socket_connection_retries"
        | "socket_connection_errorsleeptime"
        | "socket_connection_alarm_after" => why(SOCKET),
        "internal_combine" | "internal_combine_binary" | "decode_unicode_text" => why(RECEIVE_FORMAT),
        _ => why(NOT_SUPPORTED),
    }
}
