//! The grammar of a command message, RouterOS's `/tool sms` syntax:
//!
//! ```text
//! :cmd SECRET script NAME [[ VAR[=VAL] ] ... ]
//! ```
//!
//! Words are separated by whitespace (any Unicode whitespace, newlines
//! too). SECRET, NAME and VAL are either bare (everything up to the next
//! whitespace; a `"` inside is an error, a `\` is an ordinary character)
//! or quoted (`"a a"`, in which `\"` is a quote and `\\` a backslash; any
//! other `\` stays as it is). A closing quote is followed by whitespace or
//! the end. VAR is a safe environment name, `[A-Za-z_][A-Za-z0-9_]*`, at
//! most [`MAX_VARIABLE_NAME_LEN`] characters; it may be given without a
//! value (`var`), or with one (`var=a`, `var="a a"`, `var=""` for an
//! empty one). Decisions the seed leaves open:
//!
//! - Whitespace around the message is ignored; `:cmd` and `script` are
//!   matched in any case (phones capitalise words), the secret, the name
//!   and the variables are case-sensitive.
//! - `:cmd` must be followed by whitespace or the end: `:cmdx` is an
//!   ordinary message, not a malformed command.
//! - The seed's wrong forms: no secret and `var=`, `var= a` are syntax
//!   errors. `var=a a` is refused as ambiguous: a bare variable may not
//!   follow an unquoted value, because it may be the rest of the value.
//!   `script mans skripts` is well-formed (script `mans`, variable
//!   `skripts`) and is refused later, as no script is called `mans`.
//! - A variable given twice is an error, as is an invalid name.
//!
//! Errors say where (the character, counted from 1 in the text as given)
//! and why, and never quote the message: it may hold the secret.

use std::fmt;

/// The longest variable name accepted.
pub const MAX_VARIABLE_NAME_LEN: usize = 64;

/// A well-formed command message.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// SECRET, as given (compare it with `Authorizer::check`).
    pub secret: String,
    /// NAME: the script to run.
    pub script: String,
    /// The variables, in the order given; names are unique.
    pub variables: Vec<Variable>,
}

/// One `VAR` or `VAR=VAL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// A safe environment name: `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    /// None for a bare `VAR`.
    pub value: Option<String>,
}

/// Why a message that starts with `:cmd` is not a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("character {column}: {kind}")]
pub struct ParseError {
    /// The character (counted from 1, in the text as given) where the
    /// problem is; one past the last character for a message cut short.
    pub column: usize,
    pub kind: ParseErrorKind,
}

/// The reasons a command is malformed. None of them carries text of the
/// message, so that an error can be logged without the secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("no secret after `:cmd`")]
    MissingSecret,
    #[error("the secret is empty")]
    EmptySecret,
    #[error("`script` expected after the secret, found the end")]
    MissingScriptKeyword,
    #[error("`script` expected after the secret (a secret with spaces is quoted)")]
    ExpectedScriptKeyword,
    #[error("no script name after `script`")]
    MissingScriptName,
    #[error("the script name is empty")]
    EmptyScriptName,
    #[error("the quote opened here is never closed")]
    UnterminatedQuote,
    #[error("a closing quote is followed by a space or the end")]
    TextAfterQuote,
    #[error("a quote inside an unquoted word (quote the whole word)")]
    QuoteInsideWord,
    #[error("a variable name is a letter or `_`, then letters, digits or `_`, at most 64")]
    InvalidVariableName,
    #[error("nothing after `=`: give a value (quoted if it has spaces: var=\"a a\") or leave out the `=`")]
    MissingValue,
    #[error(
        "a bare variable after an unquoted value: if the value has spaces, quote it \
         (var=\"a a\"); otherwise give bare variables first"
    )]
    AmbiguousValue,
    #[error("variable {name} is given twice")]
    DuplicateVariable { name: String },
}

/// Reads a received message: `Ok(None)` if it is not a command (it does
/// not start with `:cmd`), the command if it is one, and where and why it
/// is malformed otherwise.
pub fn parse(text: &str) -> Result<Option<Command>, ParseError> {
    let mut cursor = Cursor { text, pos: 0 };
    cursor.skip_whitespace();
    let rest = &text[cursor.pos..];
    let is_command = rest
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(":cmd"))
        && rest[4..].chars().next().is_none_or(char::is_whitespace);
    if !is_command {
        return Ok(None);
    }
    cursor.pos += 4;
    cursor.skip_whitespace();
    if cursor.at_end() {
        return Err(cursor.error(ParseErrorKind::MissingSecret));
    }
    let secret = cursor.word()?;
    if secret.text.is_empty() {
        return Err(cursor.error_at(secret.start, ParseErrorKind::EmptySecret));
    }
    cursor.skip_whitespace();
    if cursor.at_end() {
        return Err(cursor.error(ParseErrorKind::MissingScriptKeyword));
    }
    let keyword = cursor.word()?;
    if keyword.quoted || !keyword.text.eq_ignore_ascii_case("script") {
        return Err(cursor.error_at(keyword.start, ParseErrorKind::ExpectedScriptKeyword));
    }
    cursor.skip_whitespace();
    if cursor.at_end() {
        return Err(cursor.error(ParseErrorKind::MissingScriptName));
    }
    let script = cursor.word()?;
    if script.text.is_empty() {
        return Err(cursor.error_at(script.start, ParseErrorKind::EmptyScriptName));
    }
    let mut variables: Vec<Variable> = Vec::new();
    let mut after_unquoted_value = false;
    loop {
        cursor.skip_whitespace();
        if cursor.at_end() {
            break;
        }
        let start = cursor.pos;
        let name = cursor.variable_name()?;
        let value = if cursor.peek() == Some('=') {
            cursor.pos += 1;
            if cursor.peek().is_none_or(char::is_whitespace) {
                return Err(cursor.error_at(cursor.pos - 1, ParseErrorKind::MissingValue));
            }
            let value = cursor.word()?;
            after_unquoted_value = !value.quoted;
            Some(value.text)
        } else {
            if after_unquoted_value {
                return Err(cursor.error_at(start, ParseErrorKind::AmbiguousValue));
            }
            None
        };
        if variables.iter().any(|variable| variable.name == name) {
            return Err(cursor.error_at(start, ParseErrorKind::DuplicateVariable { name }));
        }
        variables.push(Variable { name, value });
    }
    Ok(Some(Command {
        secret: secret.text,
        script: script.text,
        variables,
    }))
}

impl Command {
    /// The message that says this command, in canonical form: single
    /// spaces, `:cmd` and `script` in lower case, words quoted only where
    /// needed. [`parse`] reads it back to the same command.
    pub fn to_text(&self) -> String {
        let mut text = String::from(":cmd ");
        push_word(&mut text, &self.secret, false);
        text.push_str(" script ");
        push_word(&mut text, &self.script, false);
        for (variable_idx, variable) in self.variables.iter().enumerate() {
            text.push(' ');
            text.push_str(&variable.name);
            if let Some(value) = &variable.value {
                text.push('=');
                // An unquoted value before a bare variable would read as
                // ambiguous.
                let bare_follows = self
                    .variables
                    .get(variable_idx + 1)
                    .is_some_and(|next| next.value.is_none());
                push_word(&mut text, value, bare_follows);
            }
        }
        text
    }
}

/// The secret is left out, so that a command can be logged.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("secret", &"<hidden>")
            .field("script", &self.script)
            .field("variables", &self.variables)
            .finish()
    }
}

fn push_word(text: &mut String, word: &str, force_quotes: bool) {
    let needs_quotes = force_quotes || word.is_empty() || word.chars().any(|c| c == '"' || c.is_whitespace());
    if !needs_quotes {
        text.push_str(word);
        return;
    }
    text.push('"');
    for c in word.chars() {
        if c == '"' || c == '\\' {
            text.push('\\');
        }
        text.push(c);
    }
    text.push('"');
}

struct Word {
    text: String,
    quoted: bool,
    /// Byte offset of its first character.
    start: usize,
}

/// A position in the message, as a byte offset that is always on a
/// character boundary.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn skip_whitespace(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        self.error_at(self.pos, kind)
    }

    fn error_at(&self, byte_offset: usize, kind: ParseErrorKind) -> ParseError {
        let before = self.text.get(..byte_offset).unwrap_or(self.text);
        ParseError {
            column: before.chars().count() + 1,
            kind,
        }
    }

    /// A bare or quoted word, starting at a non-whitespace character.
    fn word(&mut self) -> Result<Word, ParseError> {
        let start = self.pos;
        if self.peek() == Some('"') {
            return self.quoted_word(start);
        }
        let mut text = String::new();
        while let Some(c) = self.peek().filter(|c| !c.is_whitespace()) {
            if c == '"' {
                return Err(self.error(ParseErrorKind::QuoteInsideWord));
            }
            text.push(c);
            self.pos += c.len_utf8();
        }
        Ok(Word {
            text,
            quoted: false,
            start,
        })
    }

    fn quoted_word(&mut self, start: usize) -> Result<Word, ParseError> {
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error_at(start, ParseErrorKind::UnterminatedQuote));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => break,
                '\\' => match self.peek() {
                    Some(escaped @ ('"' | '\\')) => {
                        text.push(escaped);
                        self.pos += 1;
                    }
                    _ => text.push('\\'),
                },
                _ => text.push(c),
            }
        }
        if self.peek().is_some_and(|c| !c.is_whitespace()) {
            return Err(self.error(ParseErrorKind::TextAfterQuote));
        }
        Ok(Word {
            text,
            quoted: true,
            start,
        })
    }

    /// VAR, up to `=`, whitespace or the end, checked.
    fn variable_name(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        while let Some(c) = self.peek().filter(|&c| c != '=' && !c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
        let name = &self.text[start..self.pos];
        if !is_variable_name(name) {
            return Err(self.error_at(start, ParseErrorKind::InvalidVariableName));
        }
        Ok(name.to_owned())
    }
}

/// Whether `name` is a safe environment variable name.
pub fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let Some(first) = bytes.next() else {
        return false;
    };
    name.len() <= MAX_VARIABLE_NAME_LEN
        && (first.is_ascii_alphabetic() || first == b'_')
        && bytes.all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn command(secret: &str, script: &str, variables: &[(&str, Option<&str>)]) -> Command {
        Command {
            secret: secret.to_owned(),
            script: script.to_owned(),
            variables: variables
                .iter()
                .map(|(name, value)| Variable {
                    name: (*name).to_owned(),
                    value: value.map(str::to_owned),
                })
                .collect(),
        }
    }

    fn error(text: &str) -> (usize, ParseErrorKind) {
        let err = parse(text).expect_err(text);
        (err.column, err.kind)
    }

    /// The seed's "Right" examples (RouterOS manual, /tool sms, Syntax).
    #[test]
    fn seed_right_forms() {
        let cases: [(&str, Command); 5] = [
            (
                ":cmd slepens script mans_skripts",
                command("slepens", "mans_skripts", &[]),
            ),
            (
                ":cmd slepens script \"mans skripts\"",
                command("slepens", "mans skripts", &[]),
            ),
            (
                ":cmd slepens script mans_skripts var",
                command("slepens", "mans_skripts", &[("var", None)]),
            ),
            (
                ":cmd slepens script mans_skripts var=a",
                command("slepens", "mans_skripts", &[("var", Some("a"))]),
            ),
            (
                ":cmd slepens script mans_skripts var=\"a a\"",
                command("slepens", "mans_skripts", &[("var", Some("a a"))]),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Ok(Some(expected)), "{text}");
        }
    }

    /// The seed's "Wrong" examples. The second is well-formed: the name
    /// is `mans`, which the runner does not find (see its tests).
    #[test]
    fn seed_wrong_forms() {
        assert_eq!(
            error(":cmd script mans_skripts"),
            (13, ParseErrorKind::ExpectedScriptKeyword)
        );
        assert_eq!(
            parse(":cmd slepens script mans skripts"),
            Ok(Some(command("slepens", "mans", &[("skripts", None)])))
        );
        assert_eq!(
            error(":cmd slepens script mans_skripts var="),
            (37, ParseErrorKind::MissingValue)
        );
        assert_eq!(
            error(":cmd slepens script mans_skripts var= a"),
            (37, ParseErrorKind::MissingValue)
        );
        assert_eq!(
            error(":cmd slepens script mans_skripts var=a a"),
            (40, ParseErrorKind::AmbiguousValue)
        );
    }

    #[test]
    fn ordinary_messages_are_not_commands() {
        for text in [
            "",
            "   ",
            "hello",
            "cmd slepens script x",
            ":cmdslepens script x",
            ":cm",
            "x :cmd slepens script x",
            ":cmd\u{301} s script x",
            "\u{feff}:cmd s script x",
        ] {
            assert_eq!(parse(text), Ok(None), "{text:?}");
        }
    }

    #[test]
    fn whitespace_and_case() {
        let expected = Some(command("Slepens", "Mans", &[("Var", Some("A"))]));
        assert_eq!(
            parse("  \n:CMD\tSlepens  Script\r\nMans   Var=A \n "),
            Ok(expected.clone())
        );
        assert_eq!(parse(":Cmd Slepens SCRIPT Mans Var=A"), Ok(expected));
        // No-break space and ideographic space are whitespace too.
        assert_eq!(
            parse(":cmd\u{a0}s\u{3000}script x"),
            Ok(Some(command("s", "x", &[])))
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(
            parse(r#":cmd "my secret" script "a \"b\" \\ c\d" v="" w="x=y z" u=é€😀"#),
            Ok(Some(command(
                "my secret",
                r#"a "b" \ c\d"#,
                &[("v", Some("")), ("w", Some("x=y z")), ("u", Some("é€😀"))]
            )))
        );
        // Bare words keep backslashes and `=`.
        assert_eq!(
            parse(r":cmd s\ script x v=a\b=c"),
            Ok(Some(command(r"s\", "x", &[("v", Some(r"a\b=c"))])))
        );
        // Newlines inside quotes are part of the value.
        assert_eq!(
            parse(":cmd s script x v=\"a\nb\""),
            Ok(Some(command("s", "x", &[("v", Some("a\nb"))])))
        );
        // A bare variable after a quoted value is not ambiguous.
        assert_eq!(
            parse(":cmd s script x v=\"a\" w"),
            Ok(Some(command("s", "x", &[("v", Some("a")), ("w", None)])))
        );
        assert_eq!(
            parse(":cmd s script x w v=a u=b"),
            Ok(Some(command(
                "s",
                "x",
                &[("w", None), ("v", Some("a")), ("u", Some("b"))]
            )))
        );
    }

    #[test]
    fn malformed_commands_say_where_and_why() {
        use ParseErrorKind::*;
        let cases: &[(&str, usize, ParseErrorKind)] = &[
            (":cmd", 5, MissingSecret),
            ("  :cmd   ", 10, MissingSecret),
            (":cmd \"\" script x", 6, EmptySecret),
            (":cmd s", 7, MissingScriptKeyword),
            (":cmd s \"script\" x", 8, ExpectedScriptKeyword),
            (":cmd my secret script x", 9, ExpectedScriptKeyword),
            (":cmd s script", 14, MissingScriptName),
            (":cmd s script \"\"", 15, EmptyScriptName),
            (":cmd \"s script x", 6, UnterminatedQuote),
            (":cmd s script \"x\\\"", 15, UnterminatedQuote),
            (":cmd \"s\"x script x", 9, TextAfterQuote),
            (":cmd s script x v=\"a\"b", 22, TextAfterQuote),
            (":cmd s\"t script x", 7, QuoteInsideWord),
            (":cmd s script x v=a\"b\"", 20, QuoteInsideWord),
            (":cmd s script x 1v=a", 17, InvalidVariableName),
            (":cmd s script x =a", 17, InvalidVariableName),
            (":cmd s script x v-w=a", 17, InvalidVariableName),
            (":cmd s script x \"v\"=a", 17, InvalidVariableName),
            (":cmd s script x vé=a", 17, InvalidVariableName),
            (":cmd s script x PATH$(id)=a", 17, InvalidVariableName),
            (":cmd é script x v=", 18, MissingValue),
            (":cmd s script x v=a w", 21, AmbiguousValue),
        ];
        for (text, column, kind) in cases {
            assert_eq!(error(text), (*column, kind.clone()), "{text:?}");
        }
        assert_eq!(
            error(":cmd s script x v=a w=b v=c"),
            (25, DuplicateVariable { name: "v".to_owned() })
        );
        assert_eq!(
            error(":cmd s script x v w=\"b\" v=c"),
            (25, DuplicateVariable { name: "v".to_owned() })
        );
    }

    #[test]
    fn variable_names() {
        for name in ["a", "_", "var", "A_1", "_x9", &"v".repeat(MAX_VARIABLE_NAME_LEN)] {
            assert!(is_variable_name(name), "{name}");
        }
        for name in ["", "1a", "a-b", "a.b", "a b", "é", "a=", "$a", &"v".repeat(65)] {
            assert!(!is_variable_name(name), "{name}");
        }
    }

    #[test]
    fn errors_never_quote_the_message() {
        let err = parse(":cmd hunter2 scrpt x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let command = parse(":cmd hunter2 script x").unwrap().unwrap();
        assert!(!format!("{command:?}").contains("hunter2"));
    }

    #[test]
    fn canonical_text() {
        let command = command(
            "a b",
            "x",
            &[
                ("v", Some("1")),
                ("w", None),
                ("u", Some("")),
                ("t", Some("q\"\\")),
            ],
        );
        assert_eq!(command.to_text(), r#":cmd "a b" script x v="1" w u="" t="q\"\\""#);
    }

    fn variable_strategy() -> impl Strategy<Value = Variable> {
        (
            "[A-Za-z_][A-Za-z0-9_]{0,8}",
            proptest::option::of(any::<String>()),
        )
            .prop_map(|(name, value)| Variable { name, value })
    }

    proptest! {
        #[test]
        fn canonical_text_round_trips(
            secret in any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
            script in any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
            variables in proptest::collection::vec(variable_strategy(), 0..6),
        ) {
            let mut unique: Vec<Variable> = Vec::new();
            for variable in variables {
                if !unique.iter().any(|seen| seen.name == variable.name) {
                    unique.push(variable);
                }
            }
            let command = Command { secret, script, variables: unique };
            prop_assert_eq!(parse(&command.to_text()), Ok(Some(command)));
        }

        #[test]
        fn any_text_parses_without_panic(text in any::<String>()) {
            check_text(&text)?;
        }

        #[test]
        fn command_like_text_parses_without_panic(
            text in "[ \t\n]{0,2}:[cC][mM][dD]( |\"|\\\\|=|[a-z_]{1,3}|script|é|\u{a0}){0,12}"
        ) {
            check_text(&text)?;
        }
    }

    /// What parses is canonical again; an error points inside the text.
    fn check_text(text: &str) -> Result<(), TestCaseError> {
        match parse(text) {
            Ok(Some(command)) => {
                prop_assert_eq!(parse(&command.to_text()), Ok(Some(command)));
            }
            Ok(None) => {}
            Err(err) => {
                prop_assert!(err.column >= 1 && err.column <= text.chars().count() + 1);
            }
        }
        Ok(())
    }
}
