//! `Idempotency-Key`: a retried `POST /api/v1/messages` answers what the
//! first one did instead of sending again.
//!
//! The first request's record (the request, its digest and the answer
//! with the ids) is written durably *before* its spool files; a retry
//! finds it and writes whichever of those files is missing (a crash came
//! between the two), so either way every message of the answer exists
//! once. Keys are per token: two clients cannot meet on one. A key reused
//! with another body is refused (409).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::http::submit::{SendAnswer, SendRequest};
use crate::spool_dir;

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

pub(crate) fn store(dir: &Path, name: &str, record: &Record, mode: u32) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let bytes = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    spool_dir::write_durably(dir, name, &bytes, mode).map(drop)
}
