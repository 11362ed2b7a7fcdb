//! Putting the PDUs given to `pdu decode` together as the parts of one
//! concatenated message, with the codec's [`Reassembler`].
//!
//! The command line has no timeouts: whatever parts are given are all there
//! will be, so a missing part, a PDU that is no part at all, or parts of two
//! messages each make the result incomplete, and each is reported.

use std::collections::{BTreeSet, HashMap};

use sms_pdu::reassembly::{MessageKey, Outcome, Reassembler};

use crate::decoded::{DecodedPdu, Payload};

/// The outcome of putting the PDUs together.
#[derive(Debug)]
pub(crate) struct Reassembled {
    /// The joined payload, when the PDUs are one complete message.
    pub(crate) payload: Option<Payload>,
    /// Why the PDUs are not one complete message, when they aren't.
    pub(crate) problem: Option<String>,
    /// What was odd but did not matter, such as a repeated part.
    pub(crate) warnings: Vec<String>,
}

/// Reassembles `pdus`, given in any order. PDUs are named in messages by
/// their position from 1, as on the command line.
pub(crate) fn reassemble(pdus: &[DecodedPdu]) -> Reassembled {
    let mut reassembler = Reassembler::new();
    let mut seen: HashMap<(MessageKey, u8), usize> = HashMap::new();
    let mut keys = BTreeSet::new();
    let mut complete = None;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for (pdu_idx, pdu) in pdus.iter().enumerate() {
        let pdu_number = pdu_idx + 1;
        let Some((key, seq)) = pdu.concat_part() else {
            problems.push(format!(
                "PDU {pdu_number} is not part of a concatenated message (no concatenation element)"
            ));
            continue;
        };
        // Checked here rather than by the reassembler's `Duplicate`, which
        // can't see a copy that comes after the message was complete.
        if let Some(&first_idx) = seen.get(&(key.clone(), seq)) {
            let differs = if pdus[first_idx].payload == pdu.payload {
                ""
            } else {
                " although its content differs"
            };
            warnings.push(format!(
                "PDU {pdu_number} repeats part {seq} (PDU {}){differs}, ignored",
                first_idx + 1
            ));
            continue;
        }
        match reassembler.push(key.clone(), seq, pdu_idx) {
            Outcome::Invalid(_) => {
                problems.push(format!(
                    "PDU {pdu_number} says it is part {seq} of {}, which is not a valid part number",
                    key.total
                ));
                continue;
            }
            Outcome::Complete(part_idxs) => complete = Some(part_idxs),
            // `seen` has caught every repeat already.
            Outcome::Pending { .. } | Outcome::Duplicate(_) => {}
        }
        keys.insert(key.clone());
        seen.insert((key, seq), pdu_idx);
    }
    if keys.len() > 1 {
        let described: Vec<String> = keys.iter().map(describe_key).collect();
        problems.push(format!(
            "the PDUs are parts of {} different messages: {}",
            keys.len(),
            described.join("; ")
        ));
    }
    let mut pending: Vec<(&MessageKey, Vec<u8>)> = reassembler.pending().collect();
    pending.sort();
    for (key, held) in pending {
        let missing: Vec<String> = (1..=key.total)
            .filter(|seq| !held.contains(seq))
            .map(|seq| seq.to_string())
            .collect();
        let plural = if missing.len() == 1 { "" } else { "s" };
        problems.push(format!(
            "{} is missing part{plural} {}",
            describe_key(key),
            missing.join(", ")
        ));
    }
    let payload = match complete {
        Some(part_idxs) if problems.is_empty() => match join(pdus, &part_idxs) {
            Ok(payload) => Some(payload),
            Err(problem) => {
                problems.push(problem);
                None
            }
        },
        _ => None,
    };
    Reassembled {
        payload,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
        warnings,
    }
}

fn describe_key(key: &MessageKey) -> String {
    let width = if key.wide_reference { 16 } else { 8 };
    format!(
        "the message with {width}-bit reference {} of {} parts ({})",
        key.reference, key.total, key.originator
    )
}

/// Joins the parts' payloads in order: all text, or all data.
fn join(pdus: &[DecodedPdu], part_idxs: &[usize]) -> Result<Payload, String> {
    let mut text = String::new();
    let mut data = Vec::new();
    let (mut n_text, mut n_data) = (0, 0);
    // UCS2 parts are read from their code units together, so that an
    // emoji whose surrogate pair a sender cut in two is one character.
    let user_data: Vec<_> = part_idxs
        .iter()
        .filter_map(|&pdu_idx| pdus[pdu_idx].tpdu.user_data())
        .collect();
    let mut joined_texts = match user_data.len() == part_idxs.len() {
        true => sms_pdu::parts_texts(&user_data).into_iter(),
        false => Vec::new().into_iter(),
    };
    for &pdu_idx in part_idxs {
        let joined_text = joined_texts.next().flatten();
        match &pdus[pdu_idx].payload {
            Some(Payload::Text(part)) => {
                text.push_str(joined_text.as_ref().map_or(part, |(joined, _)| joined));
                n_text += 1;
            }
            Some(Payload::Data(part)) => {
                data.extend_from_slice(part);
                n_data += 1;
            }
            None => {}
        }
    }
    match (n_text, n_data) {
        (_, 0) => Ok(Payload::Text(text)),
        (0, _) => Ok(Payload::Data(data)),
        _ => Err(format!(
            "the parts mix text ({n_text} parts) and 8-bit data ({n_data} parts)"
        )),
    }
}
