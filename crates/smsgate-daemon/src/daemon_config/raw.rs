//! The raw shape of `smsgate.toml` as serde reads it, before the
//! checkers in the parent module turn it into a [`DaemonConfig`].

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawDaemonConfig {
    pub(super) lock_dir: Option<PathBuf>,
    #[serde(default)]
    pub(super) ports: BTreeMap<Spanned<String>, RawPort>,
    #[serde(default)]
    pub(super) spool: RawSpool,
    #[serde(default)]
    pub(super) modems: BTreeMap<Spanned<String>, RawModem>,
    #[serde(default)]
    pub(super) queues: BTreeMap<Spanned<String>, RawQueue>,
    #[serde(default)]
    pub(super) handlers: RawHandlers,
    #[serde(default)]
    pub(super) limits: RawLimits,
    #[serde(default)]
    pub(super) numbering: RawNumbering,
    #[serde(default)]
    pub(super) control: RawControl,
    #[serde(default)]
    pub(super) status: crate::status_file::RawStatus,
    pub(super) sms_commands: Option<Spanned<commands::RawSmsCommands>>,
    #[serde(default)]
    pub(super) scripts: BTreeMap<Spanned<String>, commands::RawScript>,
    pub(super) http: Option<Spanned<crate::http::config::RawHttp>>,
    #[serde(default)]
    pub(super) webhooks: Vec<Spanned<crate::webhooks::config::RawWebhook>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawControl {
    pub(super) socket: Option<PathBuf>,
    pub(super) enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSpool {
    pub(super) base: Option<PathBuf>,
    pub(super) outgoing: Option<Spanned<PathBuf>>,
    pub(super) checked: Option<Spanned<PathBuf>>,
    pub(super) failed: Option<Spanned<PathBuf>>,
    pub(super) incoming: Option<Spanned<PathBuf>>,
    pub(super) report: Option<Spanned<PathBuf>>,
    pub(super) sent: Option<Spanned<PathBuf>>,
    pub(super) saved: Option<Spanned<PathBuf>>,
    pub(super) phonecalls: Option<Spanned<PathBuf>>,
    pub(super) unknown_outcome: Option<Spanned<String>>,
    pub(super) include_dir: Option<Spanned<PathBuf>>,
    // Intake and file modes (intake.rs, spool_dir.rs).
    pub(super) max_outgoing_bytes: Option<Spanned<u64>>,
    pub(super) trust_outgoing: Option<bool>,
    pub(super) file_mode: Option<Spanned<String>>,
    pub(super) dir_mode: Option<Spanned<String>>,
    // How received files are written, and sent/ files' PDU lines.
    pub(super) incoming_charset: Option<Spanned<String>>,
    pub(super) store_received_pdu: Option<Spanned<i64>>,
    pub(super) store_sent_pdu: Option<Spanned<i64>>,
    // National tables tried before UCS2 (spool::PlanDefaults::national_tables).
    pub(super) national_tables: Option<Spanned<Vec<String>>>,
    // smstools3's production settings (daemon_config/smsd_features.rs).
    pub(super) blacklist: Option<Spanned<PathBuf>>,
    pub(super) whitelist: Option<Spanned<PathBuf>>,
    pub(super) incoming_copy: Option<Spanned<PathBuf>>,
    pub(super) sent_copy: Option<Spanned<PathBuf>>,
    pub(super) failed_copy: Option<Spanned<PathBuf>>,
    pub(super) report_copy: Option<Spanned<PathBuf>>,
    pub(super) eventhandler_use_copy: Option<bool>,
    pub(super) keep_filename: Option<bool>,
    pub(super) store_original_filename: Option<bool>,
    // smsd's administrative messages (daemon_config/admin.rs).
    pub(super) admin_to: Option<Spanned<String>>,
    pub(super) admin_message_modem: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawModem {
    pub(super) port: Option<Spanned<String>>,
    pub(super) channel: Option<Spanned<usize>>,
    #[serde(default)]
    pub(super) queues: Vec<Spanned<String>>,
    /// RouterOS calls it `receive-enabled`.
    #[serde(default, alias = "receive-enabled")]
    pub(super) receive: bool,
    #[serde(default)]
    pub(super) polling: bool,
    #[serde(default)]
    pub(super) auto_erase: bool,
    pub(super) send: Option<Spanned<bool>>,
    pub(super) send_retries: Option<u32>,
    pub(super) block_after: Option<Spanned<u32>>,
    pub(super) block_time_s: Option<u64>,
    #[serde(default)]
    pub(super) report: bool,
    pub(super) autosplit: Option<Spanned<u8>>,
    pub(super) validity: Option<Spanned<RawValidity>>,
    pub(super) smsc: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) smsc_pdu: bool,
    pub(super) text_is_pdu_key: Option<String>,
    // smstools3's per-modem settings (daemon_config/smsd_features.rs).
    pub(super) eventhandler: Option<Spanned<PathBuf>>,
    pub(super) eventhandler_ussd: Option<Spanned<PathBuf>>,
    pub(super) number: Option<Spanned<String>>,
    pub(super) description: Option<Spanned<String>>,
    pub(super) limits: Option<sim_limits::RawSimLimits>,
    pub(super) check_network: Option<bool>,
    pub(super) receive_before_send: Option<bool>,
    pub(super) max_continuous_sending_s: Option<Spanned<u64>>,
    pub(super) hangup_incoming_call: Option<bool>,
    pub(super) phonecalls: Option<bool>,
    pub(super) regular_run: Option<Spanned<modem_tasks::RawRegularRun>>,
    // smsd's administrative messages (daemon_config/admin.rs).
    pub(super) admin_to: Option<Spanned<String>>,
    pub(super) admin_message_limit: Option<u32>,
    pub(super) admin_message_count_clear_min: Option<Spanned<u64>>,
}

/// `validity = 167` or `validity = "2 days"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawValidity {
    Relative(i64),
    Period(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawQueue {
    pub(super) prefixes: Vec<Spanned<String>>,
    pub(super) directory: Option<Spanned<PathBuf>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawHandlers {
    pub(super) eventhandler: Option<PathBuf>,
    pub(super) checkhandler: Option<PathBuf>,
    pub(super) alarmhandler: Option<PathBuf>,
    pub(super) alarm_level: Option<Spanned<u8>>,
    pub(super) timeout_s: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawLimits {
    pub(super) retry_interval_s: Option<Spanned<u64>>,
    pub(super) send_retries: Option<u32>,
    pub(super) block_after: Option<Spanned<u32>>,
    pub(super) block_time_s: Option<u64>,
    pub(super) incomplete_after_s: Option<Spanned<u64>>,
    pub(super) max_parts: Option<Spanned<u16>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawNumbering {
    #[serde(default)]
    pub(super) international_prefixes: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) national_prefixes: Vec<Spanned<String>>,
}
