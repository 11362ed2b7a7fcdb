//! `[http]` and its `[[http.tokens]]`: where the HTTP API listens and who
//! may use it.
//!
//! ```toml
//! [http]
//! listen = "127.0.0.1:8080"        # absent: no HTTP API
//! metrics-token = false            # /metrics needs a token with scope read;
//!                                  # default: not on a loopback address, yes elsewhere
//!
//! [[http.tokens]]
//! name = "shop"                    # named in the log, never the token
//! token-file = "/etc/smsgate/shop.token"   # the token, alone in the file
//! scopes = ["send", "read"]        # send, read, admin
//!
//! [[http.tokens]]
//! name = "ops"
//! sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//! scopes = ["read", "admin"]
//! ```
//!
//! Only the SHA-256 of a token is kept in memory: a presented token is
//! hashed and the digests compared in constant time (auth.rs).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use toml::Spanned;

use crate::daemon_config::Checker;

/// `[http]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawHttp {
    listen: Spanned<String>,
    metrics_token: Option<bool>,
    #[serde(default)]
    tokens: Vec<Spanned<RawToken>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawToken {
    name: String,
    token_file: Option<PathBuf>,
    sha256: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

/// `[http]`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpSettings {
    pub(crate) listen: SocketAddr,
    /// Whether `GET /metrics` needs a token (scope `read`).
    pub(crate) metrics_token: bool,
    pub(crate) tokens: Vec<TokenSettings>,
}

/// One `[[http.tokens]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenSettings {
    pub(crate) name: String,
    /// SHA-256 of the token.
    pub(crate) digest: [u8; 32],
    pub(crate) scopes: Vec<Scope>,
}

/// What a token allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Submit messages.
    Send,
    /// Read messages, the inbox, the modems, the event stream.
    Read,
    /// Cancel others' work, delete received messages, unblock modems, USSD.
    Admin,
}

impl Scope {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scope::Send => "send",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }
}

/// SHA-256 of `token`.
pub(crate) fn digest_of(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

impl Checker<'_> {
    /// Checks `[http]`; none when it is absent (no HTTP API).
    pub(crate) fn http(&mut self, raw: Option<Spanned<RawHttp>>) -> Option<HttpSettings> {
        let raw = raw?.into_inner();
        let listen = match raw.listen.get_ref().parse::<SocketAddr>() {
            Ok(listen) => listen,
            Err(err) => {
                let message = format!(
                    "{:?} is not an address and port ({err}); e.g. \"127.0.0.1:8080\"",
                    raw.listen.get_ref()
                );
                self.problem(raw.listen.span().start, "http.listen", &message);
                SocketAddr::from(([127, 0, 0, 1], 0))
            }
        };
        let mut tokens: Vec<TokenSettings> = Vec::new();
        for token in raw.tokens {
            let offset = token.span().start;
            let token = token.into_inner();
            let key = |field: &str| format!("http.tokens.{}.{field}", token.name);
            if tokens.iter().any(|other| other.name == token.name) {
                self.problem(offset, &key("name"), "another token has this name");
            }
            let digest = match (&token.token_file, &token.sha256) {
                (Some(file), None) => match std::fs::read_to_string(file) {
                    Ok(text) if !text.trim().is_empty() => Some(digest_of(text.trim().as_bytes())),
                    Ok(_) => {
                        let message = format!("{} is empty", file.display());
                        self.problem(offset, &key("token-file"), &message);
                        None
                    }
                    Err(err) => {
                        let message = format!("cannot read {}: {err}", file.display());
                        self.problem(offset, &key("token-file"), &message);
                        None
                    }
                },
                (None, Some(hex_digest)) => match hex::decode(hex_digest.trim()) {
                    Ok(bytes) if bytes.len() == 32 => bytes.try_into().ok(),
                    _ => {
                        let message = format!("{hex_digest:?} is not 64 hex digits (a SHA-256)");
                        self.problem(offset, &key("sha256"), &message);
                        None
                    }
                },
                _ => {
                    self.problem(
                        offset,
                        &key("token-file"),
                        "give token-file or sha256, one of them",
                    );
                    None
                }
            };
            let mut scopes = Vec::new();
            for scope in &token.scopes {
                match scope.as_str() {
                    "send" => scopes.push(Scope::Send),
                    "read" => scopes.push(Scope::Read),
                    "admin" => scopes.push(Scope::Admin),
                    other => {
                        let message = format!("{other:?} is not a scope (send, read, admin)");
                        self.problem(offset, &key("scopes"), &message);
                    }
                }
            }
            if let Some(digest) = digest {
                tokens.push(TokenSettings {
                    name: token.name,
                    digest,
                    scopes,
                });
            }
        }
        Some(HttpSettings {
            metrics_token: raw.metrics_token.unwrap_or(!listen.ip().is_loopback()),
            listen,
            tokens,
        })
    }
}
