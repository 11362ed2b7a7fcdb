//! smsd's `blacklist` and `whitelist`: files of number prefixes, read at
//! every message (so that they can be edited while the daemon runs), as
//! smsd 3.1.21 reads them (`blacklist.c`, `whitelist.c`; checked against
//! the binary by the differential test):
//!
//! - one prefix a line; `#` starts a comment; blanks around it are cut;
//! - a number matches a prefix when it starts with it; a short number
//!   (`s1234`) also when the part after its `s` does, so `s` alone
//!   matches every short number and `123` matches `s1234`;
//! - the blacklist wins: a number in both gets nothing;
//! - in the whitelist, `[NAME]` makes the lines after it send through
//!   queue NAME (unless the file says `Queue:`/`Provider:`), `[]` ends
//!   that.
//!
//! The refusals carry smsd's `Fail_reason:` texts.

use std::path::Path;

/// smsd's `Fail_reason:` for a number in the blacklist.
pub(crate) const BLACKLISTED: &str = "Destination is blacklisted";
/// smsd's `Fail_reason:` for a number not in the whitelist.
pub(crate) const NOT_WHITELISTED: &str = "Destination is not whitelisted";

/// What the lists say of one number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It may get messages, through the whitelist's queue if one is named.
    Allowed { queue: Option<String> },
    /// Refused, with smsd's reason.
    Refused(&'static str),
}

/// The lists' verdict on `number` (digits, `s` before a short number's):
/// `Err` names a list that cannot be read.
pub(crate) fn check(
    blacklist: Option<&Path>,
    whitelist: Option<&Path>,
    number: &str,
) -> Result<Verdict, String> {
    let read = |path: &Path, what: &str| {
        std::fs::read(path).map_err(|err| format!("the {what} {} cannot be read: {err}", path.display()))
    };
    if let Some(path) = blacklist {
        if matching_line(&read(path, "blacklist")?, number).is_some() {
            return Ok(Verdict::Refused(BLACKLISTED));
        }
    }
    let Some(path) = whitelist else {
        return Ok(Verdict::Allowed { queue: None });
    };
    Ok(match matching_line(&read(path, "whitelist")?, number) {
        Some(queue) => Verdict::Allowed { queue },
        None => Verdict::Refused(NOT_WHITELISTED),
    })
}

/// The queue in force at the first line of `list` that `number` matches
/// (`Some(None)` for none), or `None` when no line matches.
pub(crate) fn matching_line(list: &[u8], number: &str) -> Option<Option<String>> {
    let mut queue: Option<String> = None;
    for line in list.split(|&byte| byte == b'\n') {
        let line = String::from_utf8_lossy(line);
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            let name = name.trim();
            queue = (!name.is_empty()).then(|| name.to_owned());
            continue;
        }
        let short_tail = number.strip_prefix('s');
        if number.starts_with(line) || short_tail.is_some_and(|tail| tail.starts_with(line)) {
            return Some(queue);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists of smsd's documentation (blacklist.html) and a real
    /// run of smsd 3.1.21.
    #[test]
    fn prefixes_comments_and_short_numbers_match_as_in_smsd() {
        let blacklist = b"491721234567 # Michael Testman\n 44 # Do not allow any number in UK\ns123\n";
        assert_eq!(matching_line(blacklist, "491721234567"), Some(None));
        assert_eq!(matching_line(blacklist, "4412345"), Some(None));
        assert_eq!(
            matching_line(blacklist, "s1234"),
            Some(None),
            "s123 is a prefix of s1234"
        );
        assert_eq!(
            matching_line(blacklist, "s4412"),
            Some(None),
            "44 matches after the s"
        );
        assert_eq!(
            matching_line(blacklist, "1234"),
            None,
            "s123 matches only short numbers"
        );
        assert_eq!(
            matching_line(blacklist, "49172123456"),
            None,
            "shorter than the entry"
        );
        assert_eq!(matching_line(b"# only a comment\n\n   \n", "49"), None);
    }

    #[test]
    fn whitelist_sections_name_the_queue() {
        let whitelist = b"491721234567\n[QUEUE1]\n44 # UK\ns8\n[QUEUE2]\ns\n[]\n491722222222\n";
        assert_eq!(matching_line(whitelist, "491721234567"), Some(None));
        assert_eq!(matching_line(whitelist, "4420"), Some(Some("QUEUE1".to_owned())));
        assert_eq!(matching_line(whitelist, "s812"), Some(Some("QUEUE1".to_owned())));
        assert_eq!(matching_line(whitelist, "s912"), Some(Some("QUEUE2".to_owned())));
        assert_eq!(matching_line(whitelist, "491722222222"), Some(None));
        assert_eq!(matching_line(whitelist, "3712"), None);
    }

    #[test]
    fn the_blacklist_wins_and_an_unreadable_list_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let black = dir.path().join("black");
        let white = dir.path().join("white");
        std::fs::write(&black, "4917\n").unwrap();
        std::fs::write(&white, "49\n").unwrap();
        let verdict = |number: &str| check(Some(&black), Some(&white), number).unwrap();
        assert_eq!(verdict("4917200"), Verdict::Refused(BLACKLISTED));
        assert_eq!(verdict("4916200"), Verdict::Allowed { queue: None });
        assert_eq!(verdict("3716200"), Verdict::Refused(NOT_WHITELISTED));
        assert_eq!(check(None, None, "1"), Ok(Verdict::Allowed { queue: None }));
        let missing = dir.path().join("missing");
        let err = check(Some(&missing), None, "1").unwrap_err();
        assert!(
            err.starts_with(&format!("the blacklist {} cannot be read", missing.display())),
            "{err}"
        );
    }
}
