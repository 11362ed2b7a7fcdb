//! The text of a `Voicecall: yes` file: `TONE:`, an optional `TIME: n`, an
//! optional repeat count, and comma-separated DTMF tones.

/// One DTMF tone smstools3 can play: `0`-`9`, `*`, `#`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DtmfTone(char);

impl DtmfTone {
    /// The tone for `ch`, if it is one of `0-9 * #`.
    pub fn new(ch: char) -> Option<DtmfTone> {
        (ch.is_ascii_digit() || ch == '*' || ch == '#').then_some(DtmfTone(ch))
    }

    /// The character, as `AT+VTS` takes it.
    pub fn as_char(self) -> char {
        self.0
    }
}

/// What to do on a voice call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voicecall {
    /// How many times to play the tones (smstools3's default is 3).
    pub repeat: u8,
    /// Hang up after this many seconds if nobody answers (`TIME:`).
    pub time: Option<u32>,
    /// The tones; empty means the driver's default tones.
    pub tones: Vec<DtmfTone>,
}

/// smstools3 plays the tones three times unless told otherwise.
pub(crate) const DEFAULT_REPEAT: u8 = 3;

impl Voicecall {
    /// Reads the text of a voice call file, e.g. `TONE: TIME: 15 2 #`.
    pub fn parse(text: &str) -> Result<Voicecall, String> {
        let Some(rest) = text.trim_start().strip_prefix("TONE:") else {
            return Err("the text must start with TONE:".to_owned());
        };
        let mut tokens: Vec<&str> = rest.split_whitespace().collect();
        let mut time = None;
        let mut repeat = None;
        // TIME: and the repeat count come before the tones, in any order.
        loop {
            match tokens.first() {
                Some(&"TIME:") => {
                    let value = tokens.get(1).ok_or("TIME: needs a number of seconds")?;
                    time = Some(
                        value
                            .parse::<u32>()
                            .map_err(|_| format!("TIME: {value:?} is not a number of seconds"))?,
                    );
                    tokens.drain(..2);
                }
                Some(token)
                    if repeat.is_none() && tokens.len() > 1 && token.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    repeat = Some(
                        token
                            .parse::<u8>()
                            .ok()
                            .filter(|&count| count > 0)
                            .ok_or_else(|| format!("repeat count {token:?} is not 1-255"))?,
                    );
                    tokens.remove(0);
                }
                _ => break,
            }
        }
        let list = tokens.concat();
        let mut tones = Vec::new();
        if !list.is_empty() {
            for item in list.split(',') {
                let mut chars = item.chars();
                match (chars.next().and_then(DtmfTone::new), chars.next()) {
                    (Some(tone), None) => tones.push(tone),
                    _ => return Err(format!("{item:?} is not a tone (0-9, *, #, separated by commas)")),
                }
            }
        }
        Ok(Voicecall {
            repeat: repeat.unwrap_or(DEFAULT_REPEAT),
            time,
            tones,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tones(text: &str) -> String {
        Voicecall::parse(text)
            .unwrap()
            .tones
            .iter()
            .map(|t| t.as_char())
            .collect()
    }

    /// Seed: "this plays all digits, and it's repeated 3 times which is the default".
    #[test]
    fn all_digits_default_repeat() {
        let call = Voicecall::parse("TONE:   1,2,3,4,5,6,7,8,9,0\n").unwrap();
        assert_eq!(call.repeat, 3);
        assert_eq!(call.time, None);
        assert_eq!(tones("TONE:   1,2,3,4,5,6,7,8,9,0"), "1234567890");
    }

    /// Seed: "this plays three #'s, and it's repeated 5 times".
    #[test]
    fn repeat_count() {
        let call = Voicecall::parse("TONE:   5   #,#,#").unwrap();
        assert_eq!(call.repeat, 5);
        assert_eq!(tones("TONE:   5   #,#,#"), "###");
    }

    /// Seed: `TONE:   TIME:   15   2   #`.
    #[test]
    fn time_then_repeat() {
        let call = Voicecall::parse("TONE:   TIME:   15   2   #").unwrap();
        assert_eq!(call.time, Some(15));
        assert_eq!(call.repeat, 2);
        assert_eq!(tones("TONE:   TIME:   15   2   #"), "#");
    }

    #[test]
    fn bare_tone_keyword_plays_the_default_tones() {
        let call = Voicecall::parse("TONE:").unwrap();
        assert!(call.tones.is_empty());
        assert_eq!(call.repeat, 3);
    }

    #[test]
    fn single_tone_is_not_a_count() {
        let call = Voicecall::parse("TONE: 5").unwrap();
        assert_eq!(call.repeat, 3);
        assert_eq!(tones("TONE: 5"), "5");
    }

    #[test]
    fn spaces_after_commas() {
        assert_eq!(tones("TONE: 2 1, 2, *"), "12*");
    }

    #[test]
    fn errors() {
        assert_eq!(
            Voicecall::parse("hello").unwrap_err(),
            "the text must start with TONE:"
        );
        assert!(Voicecall::parse("TONE: 1,A")
            .unwrap_err()
            .contains("\"A\" is not a tone"));
        assert!(Voicecall::parse("TONE: 12,3").is_err());
        assert!(Voicecall::parse("TONE: TIME:").is_err());
        assert!(Voicecall::parse("TONE: TIME: x #").is_err());
        assert!(Voicecall::parse("TONE: 0 #").is_err());
        assert!(Voicecall::parse("TONE: 300 #").is_err());
    }
}
