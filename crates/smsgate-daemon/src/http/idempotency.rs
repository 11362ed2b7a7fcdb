//! `Idempotency-Key`: a retried `POST /api/v1/messages` answers what the
//! first one did instead of sending again.
//!
//! The first request's record (the request, its digest and the answer
//! with the ids) is made durable *before* its spool files become visible
//! (in the same group commit, crate::http::commit); a retry
//! finds it and writes whichever of those files is missing (a crash came
//! between the two), so either way every message of the answer exists
//! once. Keys are per token: two clients cannot meet on one. A key reused
//! with another body is refused (409).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::http::submit::{SendAnswer, SendRequest};

/// The longest key taken.
pub(crate) const MAX_KEY_LEN: usize = 255;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) request_sha256: String,
    pub(crate) request: SendRequest,
    pub(crate) answer: SendAnswer,
}

/// Where the records live.
pub(crate) fn dir(base: &Path) -> PathBuf {
    base.join("http").join("idempotency")
}

/// The record's file name for `key` of token `token`.
pub(crate) fn file_name(token: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(token.as_bytes());
    hasher.update([0]);
    hasher.update(key.as_bytes());
    hex::encode(hasher.finalize())
}

/// The digest that tells one request body from another.
pub(crate) fn request_digest(request: &SendRequest) -> String {
    let canonical = serde_json::to_vec(request).unwrap_or_default();
    hex::encode(Sha256::digest(&canonical))
}

pub(crate) fn load(dir: &Path, name: &str) -> std::io::Result<Option<Record>> {
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidData, err)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// The bytes of a record's file.
pub(crate) fn encode(record: &Record) -> std::io::Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(std::io::Error::other)
}

/// How many locks the keys share.
const KEY_LOCKS: usize = 64;

/// Locks by key (striped): a keyed request holds its key's lock from the
/// look-up of its record until its commit answered, so two retries
/// racing cannot both find no record; requests with other keys go on.
#[derive(Debug)]
pub(crate) struct KeyLocks(Vec<tokio::sync::Mutex<()>>);

impl Default for KeyLocks {
    fn default() -> Self {
        KeyLocks((0..KEY_LOCKS).map(|_| tokio::sync::Mutex::new(())).collect())
    }
}

impl KeyLocks {
    /// The lock of the record `name` (a hex digest).
    pub(crate) async fn lock(&self, name: &str) -> tokio::sync::MutexGuard<'_, ()> {
        let stripe = name.bytes().fold(0usize, |hash, byte| {
            hash.wrapping_mul(31).wrapping_add(usize::from(byte))
        });
        self.0[stripe % self.0.len()].lock().await
    }
}
