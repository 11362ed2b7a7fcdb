//! The headers of an outgoing file: each one read and checked, and the
//! body decoded as they say. Split from `outgoing.rs` for size.

use super::*;

/// The seed: "true, yes, on or 1 for positive values. All other words are
/// interpreted as negative."
pub(super) fn boolean(value: &str) -> bool {
    matches!(value.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1")
}

/// The headers of a file, as far as they could be read.
#[derive(Default)]
pub(super) struct Headers {
    pub(super) to: Option<Recipient>,
    pub(super) to_given: bool,
    pub(super) to_toa: Option<ToToa>,
    pub(super) from: Option<String>,
    pub(super) flash: bool,
    pub(super) flash_place: Option<Place>,
    pub(super) class: Option<MessageClass>,
    pub(super) class_place: Option<Place>,
    pub(super) reply_path: Option<bool>,
    pub(super) reject_duplicates: bool,
    pub(super) ping: bool,
    pub(super) ping_place: Option<Place>,
    pub(super) dcs: Option<u8>,
    pub(super) message_reference: Option<u8>,
    pub(super) text_is_pdu: bool,
    pub(super) retries: Option<u32>,
    pub(super) language: Option<u8>,
    pub(super) language_ext: Option<u8>,
    pub(super) language_place: Option<Place>,
    pub(super) alphabet: Option<FileAlphabet>,
    pub(super) udh: Option<bool>,
    pub(super) udh_place: Option<Place>,
    pub(super) udh_data: Option<UserDataHeader>,
    pub(super) udh_data_place: Option<Place>,
    pub(super) smsc: Option<Address>,
    pub(super) queue: Option<String>,
    pub(super) report: Option<bool>,
    pub(super) autosplit: Option<Autosplit>,
    pub(super) priority: Priority,
    pub(super) validity: Option<u8>,
    pub(super) voicecall: bool,
    pub(super) voicecall_place: Option<Place>,
    pub(super) hex: bool,
    pub(super) hex_place: Option<Place>,
    pub(super) replace: Option<u8>,
    pub(super) replace_place: Option<Place>,
    pub(super) includes: Vec<String>,
    pub(super) macros: Vec<Macro>,
    pub(super) macro_places: Vec<Place>,
    pub(super) system_message: Option<SystemMessage>,
    pub(super) unknown: Vec<UnknownLine>,
    pub(super) notices: Vec<String>,
}

/// Headers that set something of the PDU smsgate makes, so have nothing
/// to set in a ready-made one (`Text_is_pdu: yes`).
const SHAPES_THE_PDU: &[&str] = &[
    "To_TOA",
    "Language",
    "Language_ext",
    "Flash",
    "Class",
    "Reply_path",
    "Reject_duplicates",
    "Ping",
    "DCS_hex",
    "Message_reference",
    "Alphabet",
    "UDH",
    "UDH-DATA",
    "SMSC",
    "Report",
    "Autosplit",
    "Validity",
    "Voicecall",
    "Hex",
    "Replace",
    "System_message",
];

/// Headers that may be given more than once.
const REPEATABLE: &[&str] = &["Include", "Macro"];

impl Headers {
    pub(super) fn parse(lines: &[Line], problems: &mut Vec<Problem>) -> Headers {
        let mut headers = Headers::default();
        let mut seen: HashMap<&'static str, Place> = HashMap::new();
        for line in lines {
            let text = text_of(line.content());
            let known = text
                .split_once(':')
                .and_then(|(name, value)| Some((known_name(name)?, value.trim())));
            let Some((name, value)) = known else {
                if let Some(name) = text.split_once(':').and_then(|(name, _)| unhonoured_name(name)) {
                    problems.push(Problem {
                        place: Some(line.place.clone()),
                        header: Some(name),
                        message: "smsd honours this header, smsgate does not: the file is refused rather \
                                  than sent without it (docs/differences.md)"
                            .to_owned(),
                    });
                    continue;
                }
                headers.unknown.push(UnknownLine {
                    place: line.place.clone(),
                    text,
                });
                continue;
            };
            let mut problem = |message: String| {
                problems.push(Problem {
                    place: Some(line.place.clone()),
                    header: Some(name),
                    message,
                })
            };
            // Provider and Queue are one header under two names; Binary
            // is smsd's older way to say Alphabet.
            let key = match name {
                "Provider" => "Queue",
                "Binary" => "Alphabet",
                "UDH-DUMP" => "UDH-DATA",
                _ => name,
            };
            if !REPEATABLE.contains(&key) {
                if let Some(first) = seen.get(key) {
                    match key == name || name == "Provider" {
                        true => problem(format!("given twice (first on {first})")),
                        false => problem(format!("says what {key} says (first on {first}); give one")),
                    }
                    continue;
                }
                seen.insert(key, line.place.clone());
            }
            if let Err(message) = headers.set(name, value, &line.place) {
                problem(message);
            }
        }
        if headers.text_is_pdu {
            // The PDU is ready made: a header that would shape it has
            // nothing to do, and smsd ignores it; smsgate says so.
            let mut shaping: Vec<(&'static str, &Place)> = seen
                .iter()
                .filter(|(name, _)| SHAPES_THE_PDU.contains(name))
                .map(|(name, place)| (*name, place))
                .collect();
            shaping.extend(headers.macro_places.iter().map(|place| ("Macro", place)));
            for (name, place) in shaping {
                problems.push(Problem {
                    place: Some(place.clone()),
                    header: Some(name),
                    message: "has nothing to set with Text_is_pdu: yes, whose PDU is ready made".to_owned(),
                });
            }
        }
        headers
    }

    /// Reads one header's value.
    fn set(&mut self, name: &'static str, value: &str, place: &Place) -> Result<(), String> {
        match name {
            "To" => {
                self.to_given = true;
                self.to = Some(Recipient::parse(value)?);
            }
            "To_TOA" => {
                self.to_toa = Some(
                    ToToa::parse(value)
                        .ok_or_else(|| format!("{value:?} is not Unknown, International or National"))?,
                )
            }
            "From" => self.from = Some(value.to_owned()),
            "Flash" => {
                self.flash = boolean(value);
                self.flash_place = Some(place.clone());
            }
            "Binary" => {
                // smsd: yes is Alphabet: binary, anything else ISO.
                self.alphabet = Some(match boolean(value) {
                    true => FileAlphabet::Binary,
                    false => FileAlphabet::Iso,
                })
            }
            "Class" => {
                self.class = Some(match value {
                    "0" => MessageClass::Class0,
                    "1" => MessageClass::Class1,
                    "2" => MessageClass::Class2,
                    "3" => MessageClass::Class3,
                    _ => return Err(format!("{value:?} is not 0-3")),
                });
                self.class_place = Some(place.clone());
            }
            "Reply_path" => self.reply_path = Some(boolean(value)),
            "Reject_duplicates" => self.reject_duplicates = boolean(value),
            "Ping" => {
                self.ping = boolean(value);
                self.ping_place = Some(place.clone());
            }
            "DCS_hex" => {
                self.dcs = Some(
                    Some(value)
                        .filter(|hex| hex.len() == 2)
                        .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                        .ok_or_else(|| {
                            format!("{value:?} is not two hex digits (00-FF), as smsd wants it")
                        })?,
                )
            }
            "Text_is_pdu" => self.text_is_pdu = boolean(value),
            "Retries" => {
                self.retries = Some(
                    value
                        .parse::<u32>()
                        .map_err(|_| format!("{value:?} is not a count (0 or more)"))?,
                )
            }
            "Language" | "Language_ext" => {
                let id = language_id(value).ok_or_else(|| {
                    format!(
                        "{value:?} is no language: 0-13, or a name (basic, turkish, spanish, portuguese, bengali, \
                         gujarati, hindi, kannada, malayalam, oriya, punjabi, tamil, telugu, urdu)"
                    )
                })?;
                match name {
                    "Language" => self.language = Some(id),
                    _ => self.language_ext = Some(id),
                }
                self.language_place.get_or_insert_with(|| place.clone());
            }
            "Message_reference" => {
                self.message_reference = Some(
                    value
                        .parse::<u8>()
                        .map_err(|_| format!("{value:?} is not 0-255"))?,
                )
            }
            "Alphabet" => {
                self.alphabet = Some(FileAlphabet::parse(value).ok_or_else(|| {
                    format!("{value:?} is not ISO (Latin, Ansi), GSM, UCS2, UTF-8 or binary")
                })?)
            }
            "UDH" => {
                self.udh = Some(boolean(value));
                self.udh_place = Some(place.clone());
            }
            // smsd reads its older name UDH-DUMP the same way.
            "UDH-DATA" | "UDH-DUMP" => {
                self.udh_data = Some(parse_udh_data(value)?);
                self.udh_data_place = Some(place.clone());
            }
            "SMSC" => {
                let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                let digits = digits.strip_prefix('+').unwrap_or(&digits);
                self.smsc = Some(
                    Address::numeric(digits, TypeOfAddress::INTERNATIONAL)
                        .map_err(|_| format!("{value:?} is not a phone number"))?,
                );
            }
            "Provider" | "Queue" => self.queue = Some(value.to_owned()),
            "Report" => self.report = Some(boolean(value)),
            "Autosplit" => {
                self.autosplit = Some(
                    value
                        .parse::<u8>()
                        .ok()
                        .and_then(Autosplit::from_smstools)
                        .ok_or_else(|| format!("{value:?} is not 0-3"))?,
                )
            }
            "Priority" => {
                // smsd knows only High; any other word is normal priority.
                self.priority = match value.eq_ignore_ascii_case("high") {
                    true => Priority::High,
                    false => Priority::Normal,
                }
            }
            "Validity" => match smsd_validity(value) {
                Some(validity) => self.validity = Some(validity),
                // smsd ignores what it does not understand and sends with
                // the configured validity; so does smsgate, but says so.
                None => self.notices.push(format!(
                    "Validity: {value:?} is not understood (0-255, or a period like \"2 days\" or \
                     \"week\"), ignored"
                )),
            },
            "Voicecall" => {
                self.voicecall = boolean(value);
                self.voicecall_place = Some(place.clone());
            }
            "Hex" => {
                self.hex = boolean(value);
                self.hex_place = Some(place.clone());
            }
            "Replace" => {
                self.replace = Some(
                    value
                        .parse::<u8>()
                        .ok()
                        .filter(|code| (1..=7).contains(code))
                        .ok_or_else(|| format!("{value:?} is not 1-7"))?,
                );
                self.replace_place = Some(place.clone());
            }
            "Include" => {
                if matches!(place, Place::Included { .. }) {
                    return Err("an included file cannot include another".to_owned());
                }
                if value.is_empty() {
                    return Err("no file name".to_owned());
                }
                self.includes.push(value.to_owned());
            }
            "Macro" => {
                let (macro_name, macro_value) = value
                    .split_once('=')
                    .filter(|(macro_name, _)| !macro_name.is_empty())
                    .ok_or_else(|| format!("{value:?} is not name=value"))?;
                self.macro_places.push(place.clone());
                // A name defined again takes the later value, as in smsd.
                self.macros.retain(|earlier| earlier.name != macro_name);
                self.macros.push(Macro {
                    name: macro_name.to_owned(),
                    value: macro_value.to_owned(),
                });
            }
            "System_message" => {
                self.system_message = if value == "2" || value.eq_ignore_ascii_case("tosim") {
                    Some(SystemMessage::ToSim)
                } else if boolean(value) {
                    Some(SystemMessage::ShortMessageType0)
                } else {
                    None
                }
            }
            // known_name returns only the names above.
            _ => {}
        }
        Ok(())
    }

    /// Checks the headers against each other and decodes the body.
    pub(super) fn content(
        &self,
        body_lines: &[Line],
        body: &[u8],
        problems: &mut Vec<Problem>,
    ) -> Option<Content> {
        fn problem_at(
            problems: &mut Vec<Problem>,
            place: &Option<Place>,
            header: &'static str,
            message: &str,
        ) {
            problems.push(Problem {
                place: place.clone(),
                header: Some(header),
                message: message.to_owned(),
            })
        }
        let alphabet = self.alphabet.unwrap_or(FileAlphabet::Utf8);
        let binary = alphabet == FileAlphabet::Binary;
        if self.flash && self.class.is_some_and(|class| class != MessageClass::Class0) {
            problem_at(
                problems,
                &self.class_place.clone().or(self.flash_place.clone()),
                "Class",
                "Flash: yes is class 0, and Class: names another",
            );
        }
        if self.hex && !binary {
            problem_at(problems, &self.hex_place, "Hex", "yes needs Alphabet: binary");
        }
        if self.udh == Some(true) && self.udh_data.is_some() {
            problem_at(
                problems,
                &self.udh_place,
                "UDH",
                "yes says the body starts with a user data header, but UDH-DATA gives one",
            );
        }
        if (self.language.is_some() || self.language_ext.is_some())
            && (binary || alphabet == FileAlphabet::Ucs2 || self.voicecall || self.system_message.is_some())
        {
            problem_at(
                problems,
                &self.language_place,
                "Language",
                "national shift tables are for GSM 7-bit text; this message is not",
            );
        }
        if self.ping && (self.voicecall || self.system_message.is_some()) {
            problem_at(
                problems,
                &self.ping_place,
                "Ping",
                "a ping is a silent SMS; it cannot be a voice call or a system message",
            );
        }
        if let Some(system_message) = self.system_message {
            if self.udh_data.is_some() {
                problem_at(
                    problems,
                    &self.udh_data_place,
                    "UDH-DATA",
                    "a system message cannot have a user data header",
                );
            }
            if self.udh == Some(true) {
                problem_at(
                    problems,
                    &self.udh_place,
                    "UDH",
                    "a system message cannot have a user data header",
                );
            }
            if self.replace.is_some() {
                problem_at(
                    problems,
                    &self.replace_place,
                    "Replace",
                    "cannot be combined with System_message",
                );
            }
            if system_message == SystemMessage::ToSim && !binary {
                problem_at(problems, &None, "System_message", "ToSIM needs Alphabet: binary");
            }
        }
        let first_body_place = body_lines.first().map(|line| line.place.clone());
        if self.voicecall {
            let text = match alphabet {
                FileAlphabet::Utf8 => String::from_utf8_lossy(body).into_owned(),
                _ => text_of(body),
            };
            return match Voicecall::parse(&self.expand_text(text)) {
                Ok(voicecall) => Some(Content::Voicecall(voicecall)),
                Err(message) => {
                    problem_at(
                        problems,
                        &first_body_place.or(self.voicecall_place.clone()),
                        "Voicecall",
                        &message,
                    );
                    None
                }
            };
        }
        if binary || self.system_message.is_some() {
            if !self.hex {
                return Some(Content::Binary(self.expand_bytes(body)));
            }
            let expanded: Vec<Line> = body_lines
                .iter()
                .map(|line| Line {
                    place: line.place.clone(),
                    raw: self.expand_bytes(&line.raw),
                })
                .collect();
            return match parse_hex_lines(&expanded) {
                Ok(data) => Some(Content::Binary(data)),
                Err(hex_problems) => {
                    problems.extend(hex_problems);
                    None
                }
            };
        }
        let text = match alphabet {
            FileAlphabet::Iso => text_of_latin9(body),
            FileAlphabet::Gsm => {
                let mut bad = false;
                for line in body_lines {
                    if let Some(byte) = line.raw.iter().find(|&&byte| byte > 0x7F) {
                        bad = true;
                        problem_at(
                            problems,
                            &Some(line.place.clone()),
                            "Alphabet",
                            &format!("GSM: byte {byte:#04x} is not a GSM 7-bit code (0x00-0x7F)"),
                        );
                    }
                }
                if bad {
                    return None;
                }
                Gsm7Tables::DEFAULT.decode(body).0
            }
            FileAlphabet::Ucs2 => match decode_utf16be(body) {
                Ok(text) => text,
                Err(message) => {
                    problem_at(
                        problems,
                        &first_body_place,
                        "Alphabet",
                        &format!("UCS2: {message}"),
                    );
                    return None;
                }
            },
            FileAlphabet::Utf8 | FileAlphabet::Binary => {
                let mut bad = false;
                for line in body_lines {
                    if let Err(err) = std::str::from_utf8(&line.raw) {
                        bad = true;
                        problem_at(
                            problems,
                            &Some(line.place.clone()),
                            "Alphabet",
                            &format!(
                                "UTF-8: byte {} of the line is not UTF-8 (name the file's character set in Alphabet:)",
                                err.valid_up_to() + 1
                            ),
                        );
                    }
                }
                if bad {
                    return None;
                }
                String::from_utf8_lossy(body).into_owned()
            }
        };
        Some(Content::Text(self.expand_text(text)))
    }

    fn expand_text(&self, mut text: String) -> String {
        for macro_def in &self.macros {
            text = text.replace(&macro_def.name, &macro_def.value);
        }
        text
    }

    fn expand_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut bytes = bytes.to_vec();
        for macro_def in &self.macros {
            bytes = replace_bytes(&bytes, macro_def.name.as_bytes(), macro_def.value.as_bytes());
        }
        bytes
    }
}

/// The name of a header smsgate reads, as a static string.
fn known_name(name: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "To",
        "To_TOA",
        "From",
        "Flash",
        "Class",
        "Reply_path",
        "Reject_duplicates",
        "Ping",
        "DCS_hex",
        "Message_reference",
        "Text_is_pdu",
        "Retries",
        "Language",
        "Language_ext",
        "Binary",
        "Alphabet",
        "UDH",
        "UDH-DATA",
        "UDH-DUMP",
        "SMSC",
        "Provider",
        "Queue",
        "Report",
        "Autosplit",
        "Priority",
        "Validity",
        "Voicecall",
        "Hex",
        "Replace",
        "Include",
        "Macro",
        "System_message",
    ];
    NAMES.iter().copied().find(|known| *known == name)
}

/// The input headers of smsd 3.1.21 that smsgate does not honour (now only
/// smsd's `Smsd_debug:`, which makes it drop parts on purpose). A file with
/// one is refused, naming it: sent without it, the message could go out
/// other than its writer meant, as a `Ping: yes` once went out as a
/// visible SMS.
fn unhonoured_name(name: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &["Smsd_debug"];
    NAMES.iter().copied().find(|unhonoured| *unhonoured == name)
}

/// smsd's language values: a number 0-13, or the start of a name
/// (case-insensitive; `basic` is 0). `Bengali and Assemese` is Bengali.
fn language_id(value: &str) -> Option<u8> {
    if let Ok(id) = value.parse::<u8>() {
        return (id == 0 || NationalLanguage::from_id(id).is_some()).then_some(id);
    }
    let value = value.to_ascii_lowercase();
    if value.is_empty() {
        return None;
    }
    if "basic".starts_with(&value) {
        return Some(0);
    }
    if "assemese".starts_with(&value) || "assamese".starts_with(&value) {
        return Some(NationalLanguage::Bengali.id());
    }
    (1..=13)
        .filter_map(NationalLanguage::from_id)
        .find(|language| language.name().starts_with(&value))
        .map(NationalLanguage::id)
}

/// Reads a `UDH-DATA:` value: the header as hex, its length octet first,
/// e.g. `05 00 03 A7 02 01`.
fn parse_udh_data(value: &str) -> Result<UserDataHeader, String> {
    let mut bytes = Vec::new();
    hex_bytes(value.as_bytes(), &mut bytes)?;
    parse_udh(&bytes)
}
