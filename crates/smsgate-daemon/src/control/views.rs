//! The answers of the modem commands (`send`, `inbox`, `ussd`, `at-chat`,
//! `status`) as JSON: built here from the driver's results, both by the
//! command line when it opens the modem itself and by the daemon's
//! control socket, so that the output does not depend on the way.

use anyhow::anyhow;
use modem::{AtReply, ModemError, ModemHandle, ModemStatus, UssdAnswer};
use serde_json::{json, Value};
use sms_pdu::Address;

mod listing;
pub mod urc;

pub use listing::{listed_timestamp, message_json, message_text, smstools_stamp_as_listed, RECEIVED};

/// Removes the message with a part at `index`: every part, so that no
/// orphaned part is left to show up alone. `None` if there is none;
/// else its sender and indexes, as `{"phone", "indexes"}`.
pub async fn remove_message(modem: &ModemHandle, index: u32) -> Result<Option<Value>, ModemError> {
    let messages = modem.list_messages(None).await?;
    let Some(message) = messages.iter().find(|message| message.indexes.contains(&index)) else {
        return Ok(None);
    };
    for &part_index in &message.indexes {
        modem.delete(part_index).await?;
    }
    Ok(Some(
        json!({ "phone": message.phone, "indexes": message.indexes }),
    ))
}

/// What `--json` prints for a USSD answer.
pub fn ussd_json(answer: &UssdAnswer) -> Value {
    let encoding = answer.encoding.map(|encoding| match encoding {
        at::parse::UssdEncoding::PackedGsm7Hex => "gsm7-packed-hex",
        at::parse::UssdEncoding::Ucs2Hex => "ucs2-hex",
        at::parse::UssdEncoding::Text | at::parse::UssdEncoding::Auto => "text",
    });
    json!({
        "status": answer.status.0,
        "status_text": answer.status.meaning(),
        "text": answer.text,
        "raw": answer.raw,
        "dcs": answer.dcs,
        "encoding": encoding,
    })
}

/// `at-chat` on `modem`: the command, then, if it succeeded, the
/// unsolicited codes that come within `wait` (a `+CUSD` ends the wait of
/// a command that starts a USSD session). The JSON both ways print from.
pub async fn at_chat_and_wait(
    modem: &ModemHandle,
    command: &str,
    timeout: Option<std::time::Duration>,
    wait: std::time::Duration,
) -> Result<Value, ModemError> {
    // Subscribed first: a code may come right behind the final result.
    let mut events = modem.subscribe();
    let reply = modem.at_chat(command, timeout).await?;
    let urcs = if reply.result.is_success() && !wait.is_zero() {
        urc::collect(&mut events, wait, urc::starts_ussd(command)).await
    } else {
        Vec::new()
    };
    Ok(at_reply_json(&reply, &urc::lines(modem.port(), &urcs)))
}

/// An `at-chat` answer: the lines (the command's, then any unclaimed),
/// the final result as the modem wrote it and as described, and the
/// unsolicited codes that came after it.
pub fn at_reply_json(reply: &AtReply, unsolicited: &[String]) -> Value {
    let lines: Vec<&String> = reply.lines.iter().chain(&reply.unclaimed).collect();
    json!({
        "lines": lines,
        "result": as_sent(&reply.result),
        "described": reply.result.to_string(),
        "success": reply.result.is_success(),
        "unsolicited": unsolicited,
    })
}

/// A final result as the modem wrote it: `at-chat` shows the modem's
/// words; the meaning of an error code goes into the error message.
pub fn as_sent(result: &at::FinalResult) -> String {
    let error = |family: &str, code: &at::ErrorCode| match (code.text(), code.code()) {
        (Some(text), _) => format!("{family}: {text}"),
        (None, Some(number)) => format!("{family}: {number}"),
        (None, None) => family.to_owned(),
    };
    match result {
        at::FinalResult::CmeError(code) => error("+CME ERROR", code),
        at::FinalResult::CmsError(code) => error("+CMS ERROR", code),
        other => other.to_string(),
    }
}

pub fn as_array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// A phone number by the seed's rules: `0123456789*# abc`, a leading `+`
/// for international.
pub fn phone_number(text: &str) -> anyhow::Result<Address> {
    Address::parse_phone(text).map_err(|err| match err {
        sms_pdu::EncodeError::BadAddress { reason, .. } => anyhow!(
            "{text:?}: {reason} (a phone number has the characters 0123456789*# abc, and a leading + \
             if it is international)"
        ),
        other => anyhow!("{text:?}: {other}"),
    })
}

/// A concatenation reference for a new message: phones join parts by
/// sender and reference, so two long messages sent one after the other
/// must not share one. The clock and the PID differ between runs.
pub fn fresh_reference() -> u8 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since_epoch| since_epoch.subsec_nanos());
    let mixed = nanos ^ std::process::id().rotate_left(16);
    let [a, b, c, d] = mixed.to_be_bytes();
    a ^ b ^ c ^ d
}

/// What `send --json` prints: the message reference of each part.
pub fn references_json(references: &[at::parse::MessageReference]) -> Value {
    let references: Vec<u8> = references.iter().map(|reference| reference.0).collect();
    json!({ "references": references })
}

pub fn status_json(port: &str, status: &ModemStatus) -> Value {
    let identity = &status.identity;
    json!({
        "port": port,
        "registration": status.registration.as_ref().map(|registration| json!({
            "status": registration.status.0,
            "meaning": registration.status.meaning(),
            "registered": registration.status.is_registered(),
        })),
        "operator": status.operator,
        "signal": status.signal.map(|signal| json!({
            "rssi": signal.rssi,
            "ber": signal.ber,
            "dbm": signal.dbm(),
            "bars": signal.bars(),
        })),
        "imei": identity.imei,
        "imsi": identity.imsi,
        "iccid": identity.iccid,
        "smsc": identity.smsc.as_ref().map(|smsc| smsc.number.clone()),
        "storage": status.storage.as_ref().map(|storage| json!({
            "memory": storage.name,
            "used": storage.used,
            "total": storage.total,
        })),
        "problems": status.problems,
    })
}

pub fn join_numbers<T: ToString>(numbers: &[T]) -> String {
    numbers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
