//! `[[webhooks]]`: where events are POSTed.
//!
//! ```toml
//! [[webhooks]]
//! url = "https://hooks.example.org/sms"      # http:// or https:// (rustls)
//! events = ["sent", "failed", "received", "report"]   # default: all
//! secret-file = "/etc/smsgate/webhook.secret" # HMAC-SHA256 key for X-Smsgate-Signature
//! retry-initial-s = 1                          # the first pause after a failed delivery
//! retry-max-s = 300                            # pauses double up to this
//! timeout-s = 10                               # one attempt's limit
//! ca-file = "/etc/smsgate/hooks-ca.pem"        # https: trusted besides the system's roots
//! ```
//!
//! An https:// URL is checked against the system's roots (through
//! rustls-platform-verifier: the CA bundle of the distribution) and the
//! certificates of `ca-file`, if any (a private CA, a self-signed
//! receiver).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::daemon_config::Checker;

/// The event kinds a webhook may ask for (daemon/events.rs names them).
pub(crate) const KINDS: [&str; 5] = ["sent", "failed", "received", "report", "modem"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawWebhook {
    url: String,
    events: Option<Vec<String>>,
    secret_file: Option<PathBuf>,
    retry_initial_s: Option<u64>,
    retry_max_s: Option<u64>,
    timeout_s: Option<u64>,
    ca_file: Option<PathBuf>,
}

/// One `[[webhooks]]`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WebhookSettings {
    pub(crate) url: String,
    pub(crate) events: Vec<String>,
    /// The key of the signature; none: no `X-Smsgate-Signature`.
    pub(crate) secret: Option<Vec<u8>>,
    pub(crate) retry_initial: Duration,
    pub(crate) retry_max: Duration,
    pub(crate) timeout: Duration,
    /// PEM certificates trusted for an https:// URL besides the system's
    /// roots (a private CA, a self-signed receiver).
    pub(crate) ca_file: Option<PathBuf>,
}

impl Checker<'_> {
    pub(crate) fn webhooks(&mut self, raw: Vec<Spanned<RawWebhook>>) -> Vec<WebhookSettings> {
        let mut hooks = Vec::new();
        for (index, raw) in raw.into_iter().enumerate() {
            let offset = raw.span().start;
            let raw = raw.into_inner();
            let key = |field: &str| format!("webhooks[{index}].{field}");
            let parsed = reqwest::Url::parse(&raw.url);
            match &parsed {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
                Ok(_) => self.problem(offset, &key("url"), "not an http:// or https:// URL with a host"),
                Err(err) => self.problem(offset, &key("url"), &format!("{:?}: {err}", raw.url)),
            }
            if let Some(file) = &raw.ca_file {
                if parsed.as_ref().is_ok_and(|url| url.scheme() != "https") {
                    self.problem(offset, &key("ca-file"), "is for an https:// url");
                }
                if let Err(err) = certificates_of(file) {
                    self.problem(offset, &key("ca-file"), &err);
                }
            }
            let events = raw
                .events
                .unwrap_or_else(|| KINDS.iter().map(|kind| (*kind).to_owned()).collect());
            for event in &events {
                if !KINDS.contains(&event.as_str()) {
                    let message = format!("{event:?} is not one of {}", KINDS.join(", "));
                    self.problem(offset, &key("events"), &message);
                }
            }
            let secret = raw
                .secret_file
                .as_ref()
                .and_then(|file| match std::fs::read(file) {
                    Ok(bytes) => {
                        let secret = String::from_utf8_lossy(&bytes).trim().as_bytes().to_vec();
                        if secret.is_empty() {
                            self.problem(
                                offset,
                                &key("secret-file"),
                                &format!("{} is empty", file.display()),
                            );
                        }
                        Some(secret)
                    }
                    Err(err) => {
                        let message = format!("cannot read {}: {err}", file.display());
                        self.problem(offset, &key("secret-file"), &message);
                        None
                    }
                });
            let retry_initial = Duration::from_secs(raw.retry_initial_s.unwrap_or(1).max(1));
            let retry_max = Duration::from_secs(raw.retry_max_s.unwrap_or(300)).max(retry_initial);
            hooks.push(WebhookSettings {
                url: raw.url,
                events,
                secret,
                retry_initial,
                retry_max,
                timeout: Duration::from_secs(raw.timeout_s.unwrap_or(10).max(1)),
                ca_file: raw.ca_file,
            });
        }
        hooks
    }
}

/// The PEM certificates of `file`; the error says what is wrong with it.
pub(crate) fn certificates_of(file: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    let bytes = std::fs::read(file).map_err(|err| format!("cannot read {}: {err}", file.display()))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&bytes)
        .map_err(|err| format!("{}: not PEM certificates: {err}", file.display()))?;
    if certificates.is_empty() {
        return Err(format!("{}: no PEM certificate in it", file.display()));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::daemon_config::DaemonConfig;

    fn refusal(hooks: &str) -> String {
        let text = format!("[ports.a]\ndevice = \"/dev/ttyUSB0\"\n{hooks}");
        format!(
            "{:#}",
            DaemonConfig::parse(&text, Path::new("smsgate.toml")).unwrap_err()
        )
    }

    #[test]
    fn https_is_taken_and_a_ca_file_must_hold_certificates_for_an_https_url() {
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("not.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let text =
            "[ports.a]\ndevice = \"/dev/ttyUSB0\"\n[[webhooks]]\nurl = \"https://hooks.example.org/sms\"\n";
        let config = DaemonConfig::parse(text, Path::new("smsgate.toml")).unwrap();
        assert_eq!(config.webhooks[0].url, "https://hooks.example.org/sms");

        let missing = refusal("[[webhooks]]\nurl = \"https://h/\"\nca-file = \"/no/such.pem\"\n");
        assert!(missing.contains("webhooks[0].ca-file"), "{missing}");
        assert!(missing.contains("/no/such.pem"), "{missing}");
        let hooks = format!(
            "[[webhooks]]\nurl = \"http://h/\"\nca-file = {:?}\n",
            not_pem.display().to_string()
        );
        let wrong = refusal(&hooks);
        assert!(wrong.contains("is for an https:// url"), "{wrong}");
        assert!(wrong.contains("no PEM certificate"), "{wrong}");
        let ftp = refusal("[[webhooks]]\nurl = \"ftp://h/\"\n");
        assert!(ftp.contains("not an http:// or https:// URL"), "{ftp}");
    }
}
