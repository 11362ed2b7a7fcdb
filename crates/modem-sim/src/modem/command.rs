//! The AT command line (ITU-T V.250 5.2-5.4): what follows `AT` split into
//! basic commands (`E0`, `Z`, `&F`), extended ones (`+CMGS=29`, `^CVOICE=?`)
//! and the dial string, with their parameters.
//!
//! A whole line is parsed before any command runs, so a syntax error at the
//! end answers `ERROR` without having half-applied the line.

/// One command of a line, its name upper-cased (`+CMEE`, `E`, `&F`, `D`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) name: String,
    pub(crate) kind: Kind,
}

/// The four forms of a command (V.250 5.4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `+CGMI`, `Z`.
    Exec,
    /// `+CREG?`.
    Read,
    /// `+CREG=?`.
    Test,
    /// `+CREG=2`, `E1` (the digits of a basic command), `D<dial string>`.
    Set(Vec<Param>),
}

/// One parameter of a set command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    /// Left out: `+CMGD=1,` or `+CSCA=,145`.
    Omitted,
    /// A quoted string, without its quotes and with `\HH` escapes resolved.
    Quoted(String),
    /// Anything else, usually a number, as written.
    Bare(String),
}

/// A line that is not V.250 syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError;

/// Characters that start an extended command: `+` for the standard ones,
/// the others for vendor commands (`$TSSPCSW`, `^CVOICE`, `*ECAM`), which
/// parse fine and then answer `ERROR` as unknown.
const EXTENDED_PREFIXES: &[u8] = b"+$^%*#!@_";

/// Parses the bytes after `AT` (without the final CR).
pub(crate) fn parse_line(body: &[u8]) -> Result<Vec<Command>, SyntaxError> {
    let body = without_spaces(body);
    let mut cursor = Cursor { bytes: &body, pos: 0 };
    let mut commands = Vec::new();
    loop {
        let Some(byte) = cursor.peek() else {
            return Ok(commands);
        };
        match byte.to_ascii_uppercase() {
            b';' => cursor.pos += 1,
            // The dial command takes the rest of the line, `;` included
            // (a trailing `;` makes it a voice call).
            b'D' => {
                let dial = latin1(&body[cursor.pos + 1..]);
                commands.push(Command {
                    name: "D".to_owned(),
                    kind: Kind::Set(vec![Param::Quoted(dial)]),
                });
                return Ok(commands);
            }
            b'S' => commands.push(cursor.s_register()?),
            b'&' => {
                cursor.pos += 1;
                let letter = cursor.next().filter(u8::is_ascii_alphabetic).ok_or(SyntaxError)?;
                commands.push(cursor.basic(format!("&{}", letter.to_ascii_uppercase() as char)));
            }
            letter if letter.is_ascii_alphabetic() => {
                cursor.pos += 1;
                commands.push(cursor.basic((letter as char).to_string()));
            }
            prefix if EXTENDED_PREFIXES.contains(&prefix) => {
                commands.push(cursor.extended()?);
                match cursor.peek() {
                    None => {}
                    Some(b';') => cursor.pos += 1,
                    Some(_) => return Err(SyntaxError),
                }
            }
            _ => return Err(SyntaxError),
        }
    }
}

/// V.250 5.2.1: spaces are ignored everywhere but in strings, so
/// `AT + CMEE = 1` is `AT+CMEE=1`.
fn without_spaces(body: &[u8]) -> Vec<u8> {
    let mut in_string = false;
    let mut compact = Vec::with_capacity(body.len());
    for &byte in body {
        if byte == b'"' {
            in_string = !in_string;
        }
        if byte != b' ' || in_string {
            compact.push(byte);
        }
    }
    compact
}

/// Bytes as characters, one per byte: lines may hold any byte, and Latin-1
/// keeps every one of them without a decoding error.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&byte| char::from(byte)).collect()
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    fn digits(&mut self) -> &[u8] {
        let start = self.pos;
        while self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// A basic command's optional number: `E1` is `E` set to 1, `Z` is an
    /// action.
    fn basic(&mut self, name: String) -> Command {
        let digits = self.digits();
        let kind = if digits.is_empty() {
            Kind::Exec
        } else {
            Kind::Set(vec![Param::Bare(latin1(digits))])
        };
        Command { name, kind }
    }

    /// `S<n>=<value>` or `S<n>?`.
    fn s_register(&mut self) -> Result<Command, SyntaxError> {
        self.pos += 1;
        let number = latin1(self.digits());
        if number.is_empty() {
            return Err(SyntaxError);
        }
        let name = format!("S{number}");
        let kind = match self.next() {
            Some(b'?') => Kind::Read,
            Some(b'=') if self.peek() == Some(b'?') => {
                self.pos += 1;
                Kind::Test
            }
            Some(b'=') => Kind::Set(vec![Param::Bare(latin1(self.digits()))]),
            _ => return Err(SyntaxError),
        };
        Ok(Command { name, kind })
    }

    fn extended(&mut self) -> Result<Command, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        while self
            .peek()
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || b"!%-./:_".contains(&byte))
        {
            self.pos += 1;
        }
        if self.pos == start + 1 {
            return Err(SyntaxError);
        }
        let name = latin1(&self.bytes[start..self.pos]).to_ascii_uppercase();
        let kind = match self.peek() {
            Some(b'?') => {
                self.pos += 1;
                Kind::Read
            }
            Some(b'=') => {
                self.pos += 1;
                if self.peek() == Some(b'?') {
                    self.pos += 1;
                    Kind::Test
                } else {
                    Kind::Set(self.params()?)
                }
            }
            _ => Kind::Exec,
        };
        Ok(Command { name, kind })
    }

    /// Comma-separated parameters up to an unquoted `;` or the end.
    fn params(&mut self) -> Result<Vec<Param>, SyntaxError> {
        let mut params = Vec::new();
        loop {
            let param = if self.peek() == Some(b'"') {
                self.pos += 1;
                Param::Quoted(self.quoted()?)
            } else {
                let start = self.pos;
                while self.peek().is_some_and(|byte| byte != b',' && byte != b';') {
                    self.pos += 1;
                }
                match latin1(&self.bytes[start..self.pos]) {
                    bare if bare.is_empty() => Param::Omitted,
                    bare => Param::Bare(bare),
                }
            };
            params.push(param);
            match self.peek() {
                Some(b',') => self.pos += 1,
                None | Some(b';') => return Ok(params),
                Some(_) => return Err(SyntaxError),
            }
        }
    }

    /// The rest of a quoted string; V.250 5.4.2.2 writes any byte as `\HH`.
    fn quoted(&mut self) -> Result<String, SyntaxError> {
        let mut text = Vec::new();
        loop {
            match self.next().ok_or(SyntaxError)? {
                b'"' => return Ok(latin1(&text)),
                b'\\' => {
                    let escaped = self
                        .bytes
                        .get(self.pos..self.pos + 2)
                        .and_then(|pair| std::str::from_utf8(pair).ok())
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok());
                    match escaped {
                        Some(byte) => {
                            text.push(byte);
                            self.pos += 2;
                        }
                        None => text.push(b'\\'),
                    }
                }
                byte => text.push(byte),
            }
        }
    }
}

/// Typed access to the parameters of a set command; a parameter that is
/// there but of the wrong form is an error, a missing one is `None`.
pub(crate) struct Args<'a>(pub(crate) &'a [Param]);

/// A parameter of the wrong form or out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadParam;

impl<'a> Args<'a> {
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// A number (`29`, `"29"` tolerated).
    pub(crate) fn number(&self, idx: usize) -> Result<Option<u32>, BadParam> {
        match self.0.get(idx) {
            None | Some(Param::Omitted) => Ok(None),
            Some(Param::Bare(text) | Param::Quoted(text)) => {
                text.trim().parse().map(Some).map_err(|_| BadParam)
            }
        }
    }

    /// A number within `range`.
    pub(crate) fn number_in(
        &self,
        idx: usize,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<Option<u32>, BadParam> {
        match self.number(idx)? {
            Some(value) if !range.contains(&value) => Err(BadParam),
            value => Ok(value),
        }
    }

    /// A string; unquoted ones are tolerated, as most modems do.
    pub(crate) fn string(&self, idx: usize) -> Option<&'a str> {
        match self.0.get(idx)? {
            Param::Omitted => None,
            Param::Bare(text) | Param::Quoted(text) => Some(text),
        }
    }

    /// Whether the parameter was written as a quoted string.
    pub(crate) fn is_quoted(&self, idx: usize) -> bool {
        matches!(self.0.get(idx), Some(Param::Quoted(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<Command>, SyntaxError> {
        parse_line(line.as_bytes())
    }

    fn set(name: &str, params: Vec<Param>) -> Command {
        Command {
            name: name.to_owned(),
            kind: Kind::Set(params),
        }
    }

    fn bare(text: &str) -> Param {
        Param::Bare(text.to_owned())
    }

    #[test]
    fn smsd_chain() {
        assert_eq!(
            parse("+CMEE=1;+CREG=2"),
            Ok(vec![set("+CMEE", vec![bare("1")]), set("+CREG", vec![bare("2")])])
        );
    }

    #[test]
    fn basic_commands_run_together_and_mix_with_extended_ones() {
        let commands = parse("E0V1+cmee=1;&F").unwrap();
        let names: Vec<&str> = commands.iter().map(|command| command.name.as_str()).collect();
        assert_eq!(names, ["E", "V", "+CMEE", "&F"]);
        assert_eq!(commands[0].kind, Kind::Set(vec![bare("0")]));
        assert_eq!(parse("Z").unwrap()[0].kind, Kind::Exec);
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse(" + CMEE = 1 ; E 0"), parse("+CMEE=1;E0"));
        assert_eq!(
            parse(r#"+CUSD=1, " a b ""#).unwrap()[0],
            set("+CUSD", vec![bare("1"), Param::Quoted(" a b ".to_owned())])
        );
    }

    #[test]
    fn forms_of_extended_commands() {
        assert_eq!(parse("+CPIN?").unwrap()[0].kind, Kind::Read);
        assert_eq!(parse("+CNMI=?").unwrap()[0].kind, Kind::Test);
        assert_eq!(parse("+CGMI").unwrap()[0].kind, Kind::Exec);
        assert_eq!(parse("$TSSPCSW=?").unwrap()[0].name, "$TSSPCSW");
        assert_eq!(parse("^CVOICE=?").unwrap()[0].name, "^CVOICE");
    }

    #[test]
    fn parameters() {
        assert_eq!(
            parse(r#"+CUSD=1,"002A0031003000300023",15"#).unwrap()[0],
            set(
                "+CUSD",
                vec![
                    bare("1"),
                    Param::Quoted("002A0031003000300023".to_owned()),
                    bare("15")
                ]
            )
        );
        assert_eq!(
            parse(r#"+CPMS="SM", "SM" ;+CMGD=1,"#).unwrap(),
            vec![
                set(
                    "+CPMS",
                    vec![Param::Quoted("SM".to_owned()), Param::Quoted("SM".to_owned())]
                ),
                set("+CMGD", vec![bare("1"), Param::Omitted]),
            ]
        );
        assert_eq!(
            parse(r#"+CUSD=1,"a;b\22c\zz""#).unwrap()[0],
            set("+CUSD", vec![bare("1"), Param::Quoted("a;b\"c\\zz".to_owned())])
        );
    }

    #[test]
    fn dial_takes_the_rest_of_the_line() {
        assert_eq!(
            parse("D+4917212345678;").unwrap(),
            vec![set("D", vec![Param::Quoted("+4917212345678;".to_owned())])]
        );
    }

    #[test]
    fn syntax_errors() {
        for line in [
            r#"+CUSD=1,"open"#,
            "+",
            "+CMEE?x",
            "1",
            "S",
            "S0",
            "&",
            r#"+CPMS="SM"x"#,
        ] {
            assert_eq!(parse(line), Err(SyntaxError), "{line:?}");
        }
    }

    #[test]
    fn args() {
        let params = [
            bare("29"),
            Param::Omitted,
            Param::Quoted("SM".to_owned()),
            bare("x"),
        ];
        let args = Args(&params);
        assert_eq!(args.number(0), Ok(Some(29)));
        assert_eq!(args.number(1), Ok(None));
        assert_eq!(args.number(9), Ok(None));
        assert_eq!(args.number(3), Err(BadParam));
        assert_eq!(args.number_in(0, 0..=2), Err(BadParam));
        assert_eq!(args.string(2), Some("SM"));
        assert!(args.is_quoted(2));
        assert_eq!(args.len(), 4);
    }
}
