//! smsd's `keep_filename = no`: every file moved to `sent/` or `failed/`
//! gets a name of its own, `PREFIX.xxxxxx` (six letters and digits, as
//! smsd's `mkstemp` makes them), PREFIX being the modem's name, or `smsd`
//! for a file refused before any modem had it (as smsd's main spooler
//! names it), so a file of a name used before never replaces the earlier
//! one and a name with spaces does not reach the eventhandler.
//!
//! The six characters come from the message's id, not from chance, so a
//! restart finds the file a message was finished into (the journal knows
//! the id, not the new name): the candidates are tried in order, and one
//! already used by another message is passed over.

use std::path::Path;

/// How many names a message may try before the last is reused.
const CANDIDATES: u64 = 8;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The prefix of a refused file's name: smsd's main spooler's.
pub(crate) const MAIN_SPOOLER: &str = "smsd";

/// The names message `id` may get with `prefix`, in the order they are
/// tried.
pub(crate) fn candidates(prefix: &str, id: &str) -> Vec<String> {
    (0..CANDIDATES)
        .map(|attempt| format!("{prefix}.{}", suffix(id, attempt)))
        .collect()
}

/// The first candidate in `dir` that is free or already carries message
/// `id` (`carries_id`), else the last.
pub(crate) fn pick(dir: &Path, prefix: &str, id: &str, carries_id: impl Fn(&Path) -> bool) -> String {
    let names = candidates(prefix, id);
    names
        .iter()
        .find(|name| {
            let path = dir.join(name);
            std::fs::symlink_metadata(&path).is_err() || carries_id(&path)
        })
        .or(names.last())
        .cloned()
        .unwrap_or_else(|| format!("{prefix}.{}", suffix(id, 0)))
}

/// Six characters of `ALPHABET` from an FNV-1a hash of the id and the
/// attempt.
fn suffix(id: &str, attempt: u64) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes().chain(attempt.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (0..6)
        .map(|_| {
            let char = ALPHABET[(hash % 62) as usize];
            hash /= 62;
            char as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_prefix_dot_six_characters_and_stable_per_id() {
        let names = candidates("GSM1", "0000000000000001abcdef");
        assert_eq!(names.len(), 8);
        for name in &names {
            let (prefix, suffix) = name.split_once('.').unwrap();
            assert_eq!(prefix, "GSM1");
            assert_eq!(suffix.len(), 6);
            assert!(suffix.bytes().all(|byte| byte.is_ascii_alphanumeric()), "{name}");
        }
        assert_eq!(names, candidates("GSM1", "0000000000000001abcdef"));
        assert_ne!(names[0], candidates("GSM1", "0000000000000002abcdef")[0]);
    }

    #[test]
    fn a_name_used_by_another_message_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let names = candidates("smsd", "id-1");
        std::fs::write(dir.path().join(&names[0]), "someone else's").unwrap();
        assert_eq!(pick(dir.path(), "smsd", "id-1", |_| false), names[1]);
        // Its own file (a restart finishing it again) is its name.
        assert_eq!(pick(dir.path(), "smsd", "id-1", |_| true), names[0]);
    }
}
