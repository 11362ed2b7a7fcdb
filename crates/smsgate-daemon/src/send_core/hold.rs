//! What a spool file asks of its sending beyond smstools3's headers: a
//! modem (`X-Smsgate-Modem: NAME`) and a time before which it is not
//! sent (`X-Smsgate-Send-At: RFC 3339`). smstools3 has neither (its
//! `Queue:` chooses among the modems serving a queue, and a file is sent
//! when it is found): the HTTP API's `modem` and `send_at` write these
//! headers, and any application may. Read by the shell at intake, pure;
//! honoured by [`crate::send_core::SendPolicy`] (a held message is not
//! handed out before its time, a pinned one only to its modem).

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// Pins a message to one modem (by its `[modems.NAME]`).
pub(crate) const MODEM_HEADER: &str = "X-Smsgate-Modem";
/// Holds a message until this time (RFC 3339).
pub(crate) const SEND_AT_HEADER: &str = "X-Smsgate-Send-At";

/// A message's hold, as the policy takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Hold {
    /// Only this modem sends it.
    pub(crate) modem: Option<String>,
    /// Not handed to a modem before this moment (the policy's clock).
    pub(crate) not_before: Option<Instant>,
}

/// What a modem name stands for in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModemKind {
    Sends,
    ReceivesOnly,
    Unknown,
}

/// `X-Smsgate-Send-At`'s value as a time; the error says what is wrong.
pub(crate) fn parse_send_at(text: &str) -> Result<SystemTime, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|time| SystemTime::from(time.with_timezone(&Utc)))
        .map_err(|err| format!("{text:?} is no RFC 3339 time (2026-12-24T18:00:00+01:00): {err}"))
}

/// The modem `name` may pin a message to; the error says why not.
pub(crate) fn check_modem(name: &str, kind: ModemKind) -> Result<(), String> {
    match kind {
        ModemKind::Sends => Ok(()),
        ModemKind::ReceivesOnly => Err(format!("modem {name} does not send (send = false)")),
        ModemKind::Unknown => Err(format!("no [modems.{name}]")),
    }
}

/// The hold `bytes`' headers ask for, at wall time `wall_now` which is
/// the policy's `now`. A time in the past holds nothing (sent now). The
/// error names the header: the file goes to `failed/` with it.
pub(crate) fn of_file(
    bytes: &[u8],
    modem_kind: impl Fn(&str) -> ModemKind,
    wall_now: SystemTime,
    now: Instant,
) -> Result<Hold, String> {
    let mut hold = Hold::default();
    if let Some(name) = header(bytes, MODEM_HEADER) {
        check_modem(&name, modem_kind(&name)).map_err(|why| format!("{MODEM_HEADER}: {why}"))?;
        hold.modem = Some(name);
    }
    if let Some(text) = header(bytes, SEND_AT_HEADER) {
        let at = parse_send_at(&text).map_err(|why| format!("{SEND_AT_HEADER}: {why}"))?;
        hold.not_before = at
            .duration_since(wall_now)
            .ok()
            .filter(|wait| !wait.is_zero())
            .map(|wait| now + wait);
    }
    Ok(hold)
}

/// The first value of header `name` (any case) in the header block of
/// `bytes`, trimmed.
pub(crate) fn header(bytes: &[u8], name: &str) -> Option<String> {
    bytes
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let line = std::str::from_utf8(line).ok()?;
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn kinds(name: &str) -> ModemKind {
        match name {
            "gsm1" => ModemKind::Sends,
            "rx" => ModemKind::ReceivesOnly,
            _ => ModemKind::Unknown,
        }
    }

    #[test]
    fn a_file_without_the_headers_is_not_held() {
        let now = Instant::now();
        let hold = of_file(
            b"To: 1\n\nhi X-Smsgate-Modem: gsm1\n",
            kinds,
            SystemTime::now(),
            now,
        );
        assert_eq!(hold, Ok(Hold::default()));
    }

    #[test]
    fn send_at_is_a_moment_of_the_policys_clock_and_the_past_is_now() {
        let now = Instant::now();
        let wall = DateTime::parse_from_rfc3339("2026-12-24T12:00:00Z")
            .unwrap()
            .into();
        let bytes = b"To: 1\nx-smsgate-send-at: 2026-12-24T13:00:30+01:00\n\nhi\n";
        let hold = of_file(bytes, kinds, wall, now).unwrap();
        assert_eq!(hold.not_before, Some(now + Duration::from_secs(30)));
        let past = b"To: 1\nX-Smsgate-Send-At: 2026-12-24T11:00:00Z\n\nhi\n";
        assert_eq!(of_file(past, kinds, wall, now).unwrap().not_before, None);
        let bad = b"To: 1\nX-Smsgate-Send-At: tomorrow\n\nhi\n";
        assert!(of_file(bad, kinds, wall, now)
            .unwrap_err()
            .starts_with(SEND_AT_HEADER));
    }

    #[test]
    fn the_modem_must_be_a_sending_one() {
        let now = Instant::now();
        let wall = SystemTime::now();
        let pinned = of_file(b"To: 1\nX-Smsgate-Modem: gsm1\n\nhi\n", kinds, wall, now).unwrap();
        assert_eq!(pinned.modem.as_deref(), Some("gsm1"));
        let refused = of_file(b"To: 1\nX-Smsgate-Modem: rx\n\nhi\n", kinds, wall, now).unwrap_err();
        assert!(refused.contains("does not send"), "{refused}");
        let unknown = of_file(b"To: 1\nX-Smsgate-Modem: nope\n\nhi\n", kinds, wall, now).unwrap_err();
        assert!(unknown.contains("no [modems.nope]"), "{unknown}");
    }
}
