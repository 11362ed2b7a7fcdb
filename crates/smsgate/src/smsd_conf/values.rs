//! smsd's values, read as smsd 3.1.21 reads them (`smsd_cfg.c`,
//! `extras.c`), each checked against the real binary: what smsd accepts is
//! accepted, what it refuses is refused with the line and smsd's rule.

use super::{Entry, SmsdConfError};

fn error(entry: &Entry, message: String) -> SmsdConfError {
    SmsdConfError {
        line: entry.line,
        message: format!("{}: {message}", entry.key),
    }
}

/// smsd's `yesno_check`: the first character decides, `1`, `y`, `t` (any
/// case) or `on`/`On` is yes, `0`, `n`, `f` or `of`/`Of` is no. So `Yes`,
/// `TRUE`, `on` and `1` are yes, `no`, `False`, `off` and `0` are no (and
/// so are `nope` and `yess`, as in smsd); `OFF`, `2` and `enabled` are
/// refused, as smsd refuses them.
pub(super) fn yes_no(entry: &Entry) -> Result<bool, SmsdConfError> {
    match yes_no_value(&entry.value) {
        Some(value) => Ok(value),
        None => Err(error(
            entry,
            format!(
                "{:?} is not yes or no (smsd reads yes/true/on/1 and no/false/off/0 by their first letters)",
                entry.value
            ),
        )),
    }
}

fn yes_no_value(value: &str) -> Option<bool> {
    let bytes = value.as_bytes();
    let first = bytes.first().copied();
    let second = bytes.get(1).copied();
    match (first, second) {
        (Some(b'1' | b'y' | b'Y' | b't' | b'T'), _) | (Some(b'o' | b'O'), Some(b'n')) => Some(true),
        (Some(b'0' | b'n' | b'N' | b'f' | b'F'), _) | (Some(b'o' | b'O'), Some(b'f')) => Some(false),
        _ => None,
    }
}

/// A modem's `report`: yes/no, or (since 3.1.16) `disabled`, which smsd
/// reads as any leading part of the word, empty included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Report {
    Yes,
    No,
    /// No report, even for a file that asks for one with `Report: yes`.
    Disabled,
}

pub(super) fn report(entry: &Entry) -> Result<Report, SmsdConfError> {
    match yes_no_value(&entry.value) {
        Some(true) => Ok(Report::Yes),
        Some(false) => Ok(Report::No),
        None if "disabled".starts_with(&entry.value.to_ascii_lowercase()) => Ok(Report::Disabled),
        None => Err(error(
            entry,
            format!(
                "{:?} is not yes, no or disabled (smsd reads yes/true/on/1 and no/false/off/0 by their first letters)",
                entry.value
            ),
        )),
    }
}

/// A modem's `incoming`: `high`, a number (anything but 0 receives), or
/// yes/no.
pub(super) fn incoming(entry: &Entry) -> Result<bool, SmsdConfError> {
    if entry.value.eq_ignore_ascii_case("high") {
        return Ok(true);
    }
    match atoi(&entry.value) {
        Some((number, _)) if number != 0 => Ok(true),
        _ => yes_no(entry),
    }
}

/// A log or alarm level, as smsd's `set_level`: a number from 1 (C's
/// `atoi`, so `6abc` is 6), or a word containing DEBUG (7), INFO (6),
/// NOTICE (5), WARNING (4), ERROR (3) or CRITICAL (2), any case: `info`,
/// `LOG_INFO`, `LOG_WARNING`. smsd refuses the syslog abbreviations
/// `LOG_ERR`, `LOG_CRIT`, `LOG_WARN` (they contain none of those words),
/// and so does this.
pub(super) fn level(entry: &Entry) -> Result<u32, SmsdConfError> {
    if let Some((number, _)) = atoi(&entry.value) {
        if number >= 1 {
            return u32::try_from(number)
                .map_err(|_| error(entry, format!("{:?} is too large", entry.value)));
        }
    }
    let upper = entry.value.to_ascii_uppercase();
    let named = [
        ("DEBUG", 7),
        ("INFO", 6),
        ("NOTICE", 5),
        ("WARNING", 4),
        ("ERROR", 3),
        ("CRITICAL", 2),
    ];
    named
        .iter()
        .find(|(word, _)| upper.contains(word))
        .map(|(_, level)| *level)
        .ok_or_else(|| {
            error(
                entry,
                format!(
                    "{:?} is not a level smsd accepts (smsd refuses it too): give a number from 1, or a word \
                     containing DEBUG, INFO, NOTICE, WARNING, ERROR or CRITICAL (LOG_ERROR, warning)",
                    entry.value
                ),
            )
        })
}

/// C's `atoi` without its silent 0: leading blanks, an optional sign, the
/// digits; the number and whatever follows it. None without a digit.
pub(super) fn atoi(value: &str) -> Option<(i64, &str)> {
    let trimmed = value.trim_start();
    let (negative, unsigned) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let digits = unsigned.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let number: i64 = unsigned[..digits].parse().ok()?;
    Some((if negative { -number } else { number }, &unsigned[digits..]))
}

/// A whole number as smsd reads it (`atoi`): `3600 # an hour` is 3600, as
/// comments after a value are part of it since smsd 3.1.5. The text after
/// the number, if any, is returned so that the summary can say it was
/// ignored. A value without a leading number, which smsd reads as 0, is
/// refused: a silent 0 would turn a typo into a setting.
pub(super) fn number(entry: &Entry) -> Result<(u64, Option<String>), SmsdConfError> {
    match atoi(&entry.value) {
        Some((number, rest)) if number >= 0 => {
            let rest = rest.trim();
            Ok((number.unsigned_abs(), (!rest.is_empty()).then(|| rest.to_owned())))
        }
        _ => Err(error(
            entry,
            format!(
                "{:?} is not a whole number (smsd would read it as 0)",
                entry.value
            ),
        )),
    }
}

/// `devices`: names separated by commas, any of which may be a range
/// `PREFIX* FIRST-LAST` (since 3.1.12; several, mixed with plain names,
/// since 3.1.19), so `GSM* 1-3, MODEM` is GSM1, GSM2, GSM3, MODEM. The
/// numbers are read with `atoi`: `GSM* 01-03` is GSM1 to GSM3, as smsd
/// names them.
pub(super) fn devices(entry: &Entry) -> Result<Vec<String>, SmsdConfError> {
    let mut names = Vec::new();
    for item in list(&entry.value) {
        let Some((prefix, range)) = item.split_once('*') else {
            if item == "default" || item == "ALL" {
                return Err(error(
                    entry,
                    format!("{item:?} is reserved and cannot name a modem (smsd refuses it too)"),
                ));
            }
            names.push(item);
            continue;
        };
        let bad_range = || {
            error(
                entry,
                format!("{item:?} is not a range like `GSM* 1-3` (a prefix, `*`, the first and last number)"),
            )
        };
        let (first, rest) = atoi(range).ok_or_else(bad_range)?;
        let last = rest
            .find('-')
            .and_then(|dash| atoi(&rest[dash + 1..]))
            .map(|(last, _)| last)
            .ok_or_else(bad_range)?;
        if first < 0 || first > last {
            return Err(error(
                entry,
                format!("{item:?} names no modem: {first} is after {last}"),
            ));
        }
        names.extend((first..=last).map(|number| format!("{prefix}{number}")));
    }
    if names.is_empty() {
        return Err(error(entry, "names no modem (smsd refuses that too)".to_owned()));
    }
    for (index, name) in names.iter().enumerate() {
        if names[..index].contains(name) {
            return Err(error(entry, format!("names modem {name} twice")));
        }
    }
    Ok(names)
}

/// The group section that applies to modem `name` (since 3.1.19): its
/// name up to the first digit, then `*`; `DNA331`'s is `[DNA*]`, `MODEM`'s
/// `[MODEM*]`; a name starting with a digit has none.
pub(super) fn group_of(name: &str) -> Option<String> {
    let first_digit = name.find(|c: char| c.is_ascii_digit());
    match first_digit {
        Some(0) => None,
        Some(at) => Some(format!("{}*", &name[..at])),
        None => Some(format!("{name}*")),
    }
}

/// smsd's `modemname` keyword (device, queues, eventhandler and others):
/// its first occurrence is the modem's name.
pub(super) fn with_modem_name(value: &str, modem: &str) -> String {
    value.replacen("modemname", modem, 1)
}

/// A modem's `device`: a path, or `@host:port` for a network modem (since
/// 3.1.7), which is smsgate's `tcp://host:port`.
pub(super) fn device(entry: &Entry, value: &str) -> Result<String, SmsdConfError> {
    let Some(address) = value.strip_prefix('@') else {
        if value.is_empty() {
            return Err(error(entry, "is empty".to_owned()));
        }
        return Ok(value.to_owned());
    };
    let valid = address.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !port.is_empty() && port.parse::<u16>().is_ok_and(|port| port != 0)
    });
    if !valid {
        return Err(error(
            entry,
            format!("{value:?} is not a network modem address `@host:port`"),
        ));
    }
    Ok(format!("tcp://{address}"))
}

/// A comma-separated list, items trimmed, empty ones dropped.
pub(super) fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// smsd's validity: a number 0-255 or a period like "2 days".
pub(super) fn validity(value: &str) -> String {
    match value.parse::<u64>() {
        Ok(number) => number.to_string(),
        Err(_) => toml_string(value),
    }
}

pub(super) fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

pub(super) fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", items.join(", "))
}

/// A key, bare if TOML allows it.
pub(super) fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if bare {
        name.to_owned()
    } else {
        toml_string(name)
    }
}
