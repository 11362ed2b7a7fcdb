//! What a received message's decoded parts say: its text, its missing
//! parts, its alphabet, and the `incoming/` file they make.

use super::*;

/// The `incoming/` file for the parts of a message.
pub(super) fn render_message(
    format: IncomingFormat,
    decoded: &[(u8, Result<Decoded<Pdu>, String>)],
    parts: &[(u8, String)],
    received_by: &ReceivedBy,
) -> Vec<u8> {
    // `decoded` is `parts` decoded, in the same order.
    let message_parts: Vec<MessagePart<'_>> = decoded
        .iter()
        .zip(parts)
        .filter_map(|((_, decoded), (_, hex))| {
            let part = decoded.as_ref().ok().and_then(MessagePart::of)?;
            Some(part.with_pdu(hex))
        })
        .collect();
    if !message_parts.is_empty() {
        return format.render_incoming(&message_parts, received_by);
    }
    // Only a PDU that does not decode comes here: it is written with the
    // codec's reason and its octets, so that nothing is lost.
    let pdu = parts.first().map(|(_, hex)| hex.as_str()).unwrap_or_default();
    match crate::part_store::hex_to_bytes(pdu).map(|bytes| Pdu::decode(&bytes)) {
        Some(Err(err)) => format.render_undecodable(pdu, &err, received_by),
        _ => format.render_incoming(&[], received_by),
    }
}

/// How auto-erase orders stored messages: by the service centre's time
/// stamp in UTC (its time zone and century read), oldest first; a message
/// without a readable one after all that have one (by index then).
pub(super) fn erase_order(stamp: Option<&sms_pdu::Timestamp>) -> (bool, i64) {
    let utc = stamp
        .filter(|stamp| stamp.is_plausible())
        .and_then(|stamp| chrono::DateTime::parse_from_rfc3339(&stamp.to_rfc3339()).ok())
        .map(|time| time.timestamp());
    match utc {
        Some(seconds) => (false, seconds),
        None => (true, 0),
    }
}

/// The sender, the whole text and the service centre's time stamp (of
/// the first part) of a received message, if it is text.
pub(super) fn text_of(
    decoded: &[(u8, Result<Decoded<Pdu>, String>)],
) -> Option<(sms_pdu::Address, String, String)> {
    let mut sender = None;
    let mut scts = None;
    let mut text = String::new();
    for (_, decoded) in decoded {
        let Ok(Decoded {
            value: Pdu {
                tpdu: Tpdu::Deliver(deliver),
                ..
            },
            ..
        }) = decoded
        else {
            return None;
        };
        text.push_str(&deliver.user_data.text(deliver.dcs)?.0);
        sender.get_or_insert_with(|| deliver.originator.clone());
        scts.get_or_insert_with(|| deliver.scts.to_rfc3339());
    }
    Some((sender?, text, scts?))
}

/// The delivers of a received message.
pub(super) fn delivers(
    decoded: &[(u8, Result<Decoded<Pdu>, String>)],
) -> impl Iterator<Item = &sms_pdu::Deliver> {
    decoded.iter().filter_map(|(_, decoded)| match decoded {
        Ok(Decoded {
            value: Pdu {
                tpdu: Tpdu::Deliver(deliver),
                ..
            },
            ..
        }) => Some(deliver),
        _ => None,
    })
}

/// The parts of a concatenated message that are not here.
pub(super) fn missing_parts(decoded: &[(u8, Result<Decoded<Pdu>, String>)]) -> Vec<u8> {
    let concat = |deliver: &sms_pdu::Deliver| {
        deliver
            .user_data
            .header
            .as_ref()
            .and_then(|header| header.concat())
    };
    let Some(total) = delivers(decoded).find_map(|deliver| concat(deliver).map(|concat| concat.total)) else {
        return Vec::new();
    };
    let present: Vec<u8> = delivers(decoded)
        .filter_map(|deliver| concat(deliver).map(|concat| concat.seq))
        .collect();
    (1..=total).filter(|seq| !present.contains(seq)).collect()
}

/// Whether the text is UCS2 (its `Length:` counts UTF-8 octets, or code
/// units when it is written raw).
pub(super) fn is_ucs2(decoded: &[(u8, Result<Decoded<Pdu>, String>)]) -> bool {
    delivers(decoded)
        .next()
        .is_some_and(|deliver| deliver.dcs.alphabet() == sms_pdu::Alphabet::Ucs2)
}
