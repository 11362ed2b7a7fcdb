//! Splitting a text into the user data of one or more SMS-SUBMITs.
//!
//! [`split_text`] picks the cheapest encoding (fewest parts): GSM 7-bit with
//! the default tables, GSM 7-bit with a national language shift table pair
//! when the caller allows some, or UCS2. It then fills parts greedily,
//! never separating an escape septet from the septet it escapes, nor the two
//! halves of a UTF-16 surrogate pair. The four smstools3 `Autosplit:` modes
//! decide what a part carries to be put together again.

use crate::dcs::Alphabet;
use crate::error::EncodeError;
use crate::gsm7::{Gsm7Code, Gsm7Tables, NationalLanguage, ESCAPE_SEPTET};
use crate::septets;
use crate::udh::{InformationElement, UserDataHeader};
use crate::user_data::{encode_ucs2, Body, UserData, MAX_OCTETS, MAX_SEPTETS};

/// Which alphabet to write a text in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AlphabetChoice {
    /// The one that needs the fewest parts (GSM 7-bit on a tie).
    #[default]
    Auto,
    /// GSM 7-bit (with national tables if allowed); an error if a
    /// character has no code.
    Gsm7,
    /// UCS2.
    Ucs2,
}

/// smstools3's `Autosplit:` modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Autosplit {
    /// 0: no splitting; a text too long for one message is an error.
    Off,
    /// 1: split into independent messages, no numbering.
    Plain,
    /// 2: split, each part starting with its number, like `1/3 `.
    Numbered,
    /// 3: split with a concatenation header, so phones join the parts.
    #[default]
    Concatenated,
}

impl Autosplit {
    /// The mode for smstools3's number 0-3.
    pub fn from_smstools(mode: u8) -> Option<Autosplit> {
        Some(match mode {
            0 => Autosplit::Off,
            1 => Autosplit::Plain,
            2 => Autosplit::Numbered,
            3 => Autosplit::Concatenated,
            _ => return None,
        })
    }
}

/// How to split.
#[derive(Clone, Debug, Default)]
pub struct SplitOptions {
    /// The alphabet.
    pub alphabet: AlphabetChoice,
    /// National languages whose shift tables may be used (none by default:
    /// not every phone has them).
    pub national_languages: Vec<NationalLanguage>,
    /// Use only the single-shift tables of those languages, never their
    /// locking-shift tables (some phones have only the former).
    pub single_shift_only: bool,
    /// The splitting mode.
    pub autosplit: Autosplit,
    /// The concatenation reference, shared by all parts of one message.
    pub reference: u16,
    /// Whether to use the 16-bit reference element (IEI 0x08) rather than
    /// the usual 8-bit one (IEI 0x00, which takes `reference` modulo 256).
    pub wide_reference: bool,
    /// More elements every part carries, such as application ports.
    pub extra_elements: Vec<InformationElement>,
}

/// A text split into parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitText {
    /// The alphabet chosen.
    pub alphabet: Alphabet,
    /// The GSM 7-bit tables chosen (default for UCS2).
    pub tables: Gsm7Tables,
    /// The user data of each part, in order.
    pub parts: Vec<UserData>,
}

/// Splits `text` for sending.
pub fn split_text(text: &str, options: &SplitOptions) -> Result<SplitText, EncodeError> {
    let mut best: Option<(Candidate, usize)> = None;
    let mut first_error = None;
    for candidate in candidates(text, options) {
        match plan(text, &candidate, options) {
            Ok(boundaries) => {
                let n_parts = boundaries.len();
                // Candidates come cheapest-header first, so only a strict
                // improvement replaces the best so far.
                if best.as_ref().is_none_or(|(_, best_parts)| n_parts < *best_parts) {
                    let single = n_parts == 1;
                    best = Some((candidate, n_parts));
                    // Nothing beats one part with the default tables.
                    if single && candidate.is_plain_gsm7() {
                        break;
                    }
                }
            }
            // Report why the text can't be sent at all: "too long" from a
            // candidate that could write every character says more than
            // "character X has no code" from one that could not.
            Err(err) => match (&first_error, &err) {
                (None, _) | (Some(EncodeError::Unrepresentable { .. }), EncodeError::TooLong { .. }) => {
                    first_error = Some(err)
                }
                (Some(EncodeError::Unrepresentable { .. }), EncodeError::TooManyParts(_)) => {
                    first_error = Some(err)
                }
                _ => {}
            },
        }
    }
    let Some((candidate, _)) = best else {
        return Err(first_error.unwrap_or(EncodeError::TooManyParts(0)));
    };
    let boundaries = plan(text, &candidate, options)?;
    Ok(build(text, &candidate, &boundaries, options))
}

/// Splits 8-bit data: 140 octets in one message, 134 per part with an 8-bit
/// concatenation reference. `Numbered` acts as `Plain`: there is no text to
/// number.
pub fn split_data(data: &[u8], options: &SplitOptions) -> Result<Vec<UserData>, EncodeError> {
    let base_header = header_octets(&options.extra_elements);
    let single_room = MAX_OCTETS.saturating_sub(base_header);
    if data.len() <= single_room {
        return Ok(vec![UserData {
            header: header(options.extra_elements.clone()),
            body: Body::Octets(data.to_vec()),
        }]);
    }
    let concatenated = options.autosplit == Autosplit::Concatenated;
    let room = match options.autosplit {
        Autosplit::Off => {
            return Err(EncodeError::TooLong {
                len: data.len() + base_header,
                max: MAX_OCTETS,
                unit: "octets",
            })
        }
        Autosplit::Concatenated => {
            MAX_OCTETS.saturating_sub(header_octets(&with_concat(options, &options.extra_elements)))
        }
        Autosplit::Plain | Autosplit::Numbered => single_room,
    };
    if room == 0 {
        return Err(EncodeError::HeaderTooLong(base_header));
    }
    let chunks: Vec<&[u8]> = data.chunks(room).collect();
    let total = check_part_count(chunks.len())?;
    Ok(chunks
        .iter()
        .enumerate()
        .map(|(part_idx, chunk)| {
            let mut elements = Vec::new();
            if concatenated {
                elements.push(concat_element(options, total, part_idx as u8 + 1));
            }
            elements.extend(options.extra_elements.iter().cloned());
            UserData {
                header: header(elements),
                body: Body::Octets(chunk.to_vec()),
            }
        })
        .collect())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Candidate {
    Gsm7(Gsm7Tables),
    Ucs2,
}

impl Candidate {
    fn is_plain_gsm7(&self) -> bool {
        *self == Candidate::Gsm7(Gsm7Tables::DEFAULT)
    }

    /// Room in one message, in the unit of the candidate's alphabet, after
    /// a header of `header_octets` octets.
    fn room(&self, header_octets: usize) -> usize {
        match self {
            Candidate::Gsm7(_) if header_octets == 0 => MAX_SEPTETS,
            Candidate::Gsm7(_) => MAX_SEPTETS.saturating_sub(septets::header_septets(header_octets)),
            Candidate::Ucs2 => MAX_OCTETS.saturating_sub(header_octets),
        }
    }

    /// Cost of a character in septets or octets; `None` if it has no code.
    fn cost(&self, ch: char) -> Option<usize> {
        match self {
            Candidate::Gsm7(tables) => tables.code(ch).map(Gsm7Code::septets),
            Candidate::Ucs2 => Some(ch.len_utf16() * 2),
        }
    }

    fn elements(&self) -> Vec<InformationElement> {
        match self {
            Candidate::Gsm7(tables) => UserDataHeader::for_tables(*tables),
            Candidate::Ucs2 => Vec::new(),
        }
    }
}

/// The encodings to try, cheapest header first.
fn candidates(text: &str, options: &SplitOptions) -> Vec<Candidate> {
    let mut list = Vec::new();
    if options.alphabet != AlphabetChoice::Ucs2 {
        list.push(Candidate::Gsm7(Gsm7Tables::DEFAULT));
        // National tables cost header room: only worth trying when the
        // default tables can't write the text or need several parts.
        let default_fits_one = Gsm7Tables::DEFAULT
            .septet_count(text)
            .is_ok_and(|count| count <= MAX_SEPTETS);
        if !default_fits_one && !options.national_languages.is_empty() {
            let languages = &options.national_languages;
            for &single in languages {
                list.push(Candidate::Gsm7(Gsm7Tables {
                    locking: None,
                    single: Some(single),
                }));
            }
            let lockings = languages
                .iter()
                .filter(|language| language.has_locking_shift() && !options.single_shift_only);
            for &locking in lockings {
                list.push(Candidate::Gsm7(Gsm7Tables {
                    locking: Some(locking),
                    single: None,
                }));
                for &single in languages {
                    list.push(Candidate::Gsm7(Gsm7Tables {
                        locking: Some(locking),
                        single: Some(single),
                    }));
                }
            }
        }
    }
    if options.alphabet != AlphabetChoice::Gsm7 {
        list.push(Candidate::Ucs2);
    }
    list
}

/// Where each part ends (character indices, exclusive), or why the text
/// can't be written this way.
fn plan(text: &str, candidate: &Candidate, options: &SplitOptions) -> Result<Vec<usize>, EncodeError> {
    let mut costs = Vec::with_capacity(text.len());
    for (position, ch) in text.chars().enumerate() {
        let cost = candidate.cost(ch).ok_or(EncodeError::Unrepresentable {
            ch,
            position,
            alphabet: match candidate {
                Candidate::Gsm7(_) => "the GSM 7-bit alphabet",
                Candidate::Ucs2 => "UCS2",
            },
        })?;
        costs.push(cost);
    }
    let total: usize = costs.iter().sum();
    let mut base_elements = candidate.elements();
    base_elements.extend(options.extra_elements.iter().cloned());
    let base_header = header_octets(&base_elements);
    let single_room = candidate.room(base_header);
    if total <= single_room {
        return Ok(vec![costs.len()]);
    }
    let boundaries = match options.autosplit {
        Autosplit::Off => {
            let (len, max, unit) = match candidate {
                Candidate::Gsm7(_) => (total, single_room, "septets"),
                Candidate::Ucs2 => (total, single_room, "octets"),
            };
            return Err(EncodeError::TooLong { len, max, unit });
        }
        Autosplit::Plain => fill(&costs, |_| single_room),
        Autosplit::Concatenated => {
            let room = candidate.room(header_octets(&with_concat(options, &base_elements)));
            fill(&costs, |_| room)
        }
        Autosplit::Numbered => {
            // The prefix "i/n " takes room that depends on n: iterate until
            // the count of parts is stable (it grows at most a few times).
            let mut n_parts = 2;
            let mut boundaries = Vec::new();
            for _ in 0..8 {
                let prefix_cost = |part_idx: usize| -> usize {
                    let prefix = format!("{}/{} ", part_idx + 1, n_parts);
                    prefix.chars().map(|ch| candidate.cost(ch).unwrap_or(2)).sum()
                };
                boundaries = fill(&costs, |part_idx| {
                    single_room.saturating_sub(prefix_cost(part_idx))
                });
                if boundaries.len() == n_parts {
                    break;
                }
                n_parts = boundaries.len();
            }
            boundaries
        }
    };
    check_part_count(boundaries.len())?;
    if boundaries.contains(&usize::MAX) {
        return Err(EncodeError::HeaderTooLong(base_header));
    }
    Ok(boundaries)
}

/// Greedy filling: part `i` takes characters while their costs fit in
/// `room(i)`. A part that can't take even one character marks the result
/// with `usize::MAX`.
fn fill(costs: &[usize], room: impl Fn(usize) -> usize) -> Vec<usize> {
    let mut boundaries = Vec::new();
    let mut used = 0;
    let mut part_room = room(0);
    for (char_idx, &cost) in costs.iter().enumerate() {
        if used + cost > part_room {
            if used == 0 {
                return vec![usize::MAX];
            }
            boundaries.push(char_idx);
            used = 0;
            part_room = room(boundaries.len());
            if cost > part_room {
                return vec![usize::MAX];
            }
        }
        used += cost;
    }
    boundaries.push(costs.len());
    boundaries
}

fn build(text: &str, candidate: &Candidate, boundaries: &[usize], options: &SplitOptions) -> SplitText {
    let chars: Vec<char> = text.chars().collect();
    let n_parts = boundaries.len();
    let multipart = n_parts > 1;
    let mut parts = Vec::with_capacity(n_parts);
    let mut start = 0;
    for (part_idx, &end) in boundaries.iter().enumerate() {
        let mut part_text: String = chars[start..end].iter().collect();
        if multipart && options.autosplit == Autosplit::Numbered {
            part_text.insert_str(0, &format!("{}/{} ", part_idx + 1, n_parts));
        }
        let mut elements = Vec::new();
        if multipart && options.autosplit == Autosplit::Concatenated {
            elements.push(concat_element(options, n_parts as u8, part_idx as u8 + 1));
        }
        elements.extend(candidate.elements());
        elements.extend(options.extra_elements.iter().cloned());
        let body = match candidate {
            Candidate::Gsm7(tables) => Body::Septets(encode_gsm7_lossless(tables, &part_text)),
            Candidate::Ucs2 => Body::Octets(encode_ucs2(&part_text)),
        };
        parts.push(UserData {
            header: header(elements),
            body,
        });
        start = end;
    }
    let (alphabet, tables) = match candidate {
        Candidate::Gsm7(tables) => (Alphabet::Gsm7, *tables),
        Candidate::Ucs2 => (Alphabet::Ucs2, Gsm7Tables::DEFAULT),
    };
    SplitText {
        alphabet,
        tables,
        parts,
    }
}

/// Encodes text that `plan` already found representable.
fn encode_gsm7_lossless(tables: &Gsm7Tables, text: &str) -> Vec<u8> {
    let mut septet_values = Vec::with_capacity(text.len());
    for ch in text.chars() {
        match tables.code(ch) {
            Some(Gsm7Code::Main(septet)) => septet_values.push(septet),
            Some(Gsm7Code::Shifted(septet)) => septet_values.extend([ESCAPE_SEPTET, septet]),
            // The numbering prefix uses digits, '/' and space, which every
            // table has; anything else was rejected by `plan`.
            None => septet_values.push(0x20),
        }
    }
    septet_values
}

fn header(elements: Vec<InformationElement>) -> Option<UserDataHeader> {
    (!elements.is_empty()).then_some(UserDataHeader { elements })
}

fn header_octets(elements: &[InformationElement]) -> usize {
    if elements.is_empty() {
        0
    } else {
        UserDataHeader {
            elements: elements.to_vec(),
        }
        .encoded_len()
    }
}

/// `elements` with a concatenation element in front, to measure a part's
/// header.
fn with_concat(options: &SplitOptions, elements: &[InformationElement]) -> Vec<InformationElement> {
    let mut all = vec![concat_element(options, 1, 1)];
    all.extend_from_slice(elements);
    all
}

fn concat_element(options: &SplitOptions, total: u8, seq: u8) -> InformationElement {
    if options.wide_reference {
        InformationElement::Concat16 {
            reference: options.reference,
            total,
            seq,
        }
    } else {
        InformationElement::Concat8 {
            reference: options.reference as u8,
            total,
            seq,
        }
    }
}

fn check_part_count(n_parts: usize) -> Result<u8, EncodeError> {
    u8::try_from(n_parts).map_err(|_| EncodeError::TooManyParts(n_parts))
}

#[cfg(test)]
mod tests;
