//! `Language:` and `Language_ext:`: GSM 7-bit text written with the
//! national tables the file names, as smsd 3.1.21 writes it: the
//! locking-shift table of `Language:` and the single-shift table of
//! `Language_ext:`, each left out (with its information element) when the
//! text is the same septets without it (real smsd sends a Turkish text
//! that needs no single shift with the locking-shift element alone,
//! differential corpus `59-language-turkish.sms`). The elements go in
//! smsd's order: concatenation, then locking shift (0x25), then single
//! shift (0x24).

use sms_pdu::split::Autosplit;
use sms_pdu::{Body, EncodeError, Gsm7Tables, InformationElement, UserData, UserDataHeader, MAX_SEPTETS};

/// The parts of `text` in `tables`, split by `autosplit` (`Numbered` is
/// `Plain`, as smsd does with shift tables: its numbers would cost
/// septets the tables' elements already take).
pub(super) fn national_parts(
    text: &str,
    named: Gsm7Tables,
    autosplit: Autosplit,
    reference: u16,
    extra: &[InformationElement],
) -> Result<Vec<UserData>, EncodeError> {
    let tables = needed_tables(text, named);
    let mut chars = Vec::new();
    for (position, ch) in text.chars().enumerate() {
        let mut buf = [0; 4];
        let septets = tables.encode(ch.encode_utf8(&mut buf)).map_err(|err| match err {
            EncodeError::Unrepresentable { ch, alphabet, .. } => EncodeError::Unrepresentable {
                ch,
                position,
                alphabet,
            },
            other => other,
        })?;
        chars.push(septets);
    }
    let mut table_elements = Vec::new();
    if let Some(locking) = tables.locking {
        table_elements.push(InformationElement::NationalLockingShift(locking.id()));
    }
    if let Some(single) = tables.single {
        table_elements.push(InformationElement::NationalSingleShift(single.id()));
    }
    table_elements.extend(extra.iter().cloned());
    let header = |concat: Option<(u8, u8)>| {
        let mut elements: Vec<InformationElement> = concat
            .map(|(total, seq)| InformationElement::Concat8 {
                reference: reference as u8,
                total,
                seq,
            })
            .into_iter()
            .collect();
        elements.extend(table_elements.iter().cloned());
        UserDataHeader { elements }
    };
    let room = |header: &UserDataHeader| MAX_SEPTETS - sms_pdu::septets::header_septets(header.encoded_len());
    let total: usize = chars.iter().map(Vec::len).sum();
    let single = header(None);
    if total <= room(&single) {
        return Ok(vec![user_data(single, chars.concat())]);
    }
    let concatenated = autosplit == Autosplit::Concatenated;
    let part_room = match autosplit {
        Autosplit::Off => {
            return Err(EncodeError::TooLong {
                len: total,
                max: room(&single),
                unit: "septets",
            })
        }
        Autosplit::Concatenated => room(&header(Some((1, 1)))),
        Autosplit::Plain | Autosplit::Numbered => room(&single),
    };
    // A character's septets (an escape and its code) stay in one part.
    let mut parts: Vec<Vec<u8>> = vec![Vec::new()];
    for septets in chars {
        if parts
            .last()
            .is_some_and(|part| part.len() + septets.len() > part_room)
        {
            parts.push(Vec::new());
        }
        parts.last_mut().expect("never empty").extend(septets);
    }
    let n_parts = u8::try_from(parts.len()).map_err(|_| EncodeError::TooManyParts(parts.len()))?;
    Ok(parts
        .into_iter()
        .enumerate()
        .map(|(index, septets)| {
            let concat = concatenated.then_some((n_parts, index as u8 + 1));
            user_data(header(concat), septets)
        })
        .collect())
}

/// `named` without a table the text does not need: one whose absence
/// leaves the same septets (or, for a text they cannot write, `named`).
fn needed_tables(text: &str, named: Gsm7Tables) -> Gsm7Tables {
    let Ok(septets) = named.encode(text) else {
        return named;
    };
    let same = |tables: Gsm7Tables| tables.encode(text).is_ok_and(|other| other == septets);
    let mut tables = named;
    if tables.single.is_some()
        && same(Gsm7Tables {
            single: None,
            ..tables
        })
    {
        tables.single = None;
    }
    if tables.locking.is_some()
        && same(Gsm7Tables {
            locking: None,
            ..tables
        })
    {
        tables.locking = None;
    }
    tables
}

fn user_data(header: UserDataHeader, septets: Vec<u8>) -> UserData {
    UserData {
        header: (!header.elements.is_empty()).then_some(header),
        body: Body::Septets(septets),
    }
}
