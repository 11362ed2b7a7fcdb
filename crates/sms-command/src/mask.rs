//! Where the secret is in a message that starts with `:cmd`, whether or
//! not the rest parses, so that it can be masked before the message is
//! written anywhere (`incoming/`, an eventhandler, `inbox`).
//!
//! The token in the secret's position is found the way [`crate::parse`]
//! reads words, but forgivingly: a quoted token runs to its closing quote
//! (`\"` and `\\` escaped) or, unterminated, to the end of the message; a
//! bare token runs to the next whitespace, quotes and all. Anything glued
//! to a closing quote (`"sec"ret`, a syntax error) is part of the token
//! too. Nothing here compares with the configured secret: a wrong secret,
//! a stranger's guess and a secret the message spells differently are
//! all hidden alike.

use std::ops::Range;

/// The byte range of the token in the secret's position, quotes
/// included, if `text` starts (after whitespace) with `:cmd` in any case
/// followed by whitespace; `None` for any other text, and for a bare
/// `:cmd`.
pub fn secret_span(text: &str) -> Option<Range<usize>> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    let is_command = rest
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(":cmd"))
        && rest[4..].chars().next().is_some_and(char::is_whitespace);
    if !is_command {
        return None;
    }
    let after_keyword = start + 4;
    let token_start =
        after_keyword + (text[after_keyword..].len() - text[after_keyword..].trim_start().len());
    if token_start >= text.len() {
        return None;
    }
    let mut chars = text[token_start..].char_indices().peekable();
    let mut end = text.len();
    if text[token_start..].starts_with('"') {
        chars.next();
        let mut closed = false;
        while let Some((offset, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next_if(|&(_, next)| next == '"' || next == '\\');
                }
                '"' => {
                    closed = true;
                    end = token_start + offset + 1;
                    break;
                }
                _ => {}
            }
        }
        if !closed {
            return Some(token_start..text.len());
        }
        // Glued to the closing quote: still the same token.
        let glued = text[end..]
            .find(char::is_whitespace)
            .map_or(text.len(), |at| end + at);
        return Some(token_start..glued);
    }
    for (offset, c) in chars {
        if c.is_whitespace() {
            end = token_start + offset;
            break;
        }
    }
    Some(token_start..end)
}

/// `text` with the token in the secret's position replaced by one `*` per
/// character (see [`secret_span`]); other text as it is.
pub fn mask_secret(text: &str) -> String {
    match secret_span(text) {
        Some(span) => {
            let stars = "*".repeat(text[span.clone()].chars().count());
            format!("{}{stars}{}", &text[..span.start], &text[span.end..])
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_token_in_the_secret_position_is_masked_whatever_follows() {
        let cases = [
            (":cmd slepens script x", ":cmd ******* script x"),
            (
                "  :CMD slepens script x v=slepens",
                "  :CMD ******* script x v=slepens",
            ),
            // The seed's wrong forms.
            (":cmd slepens", ":cmd *******"),
            (":cmd slepens script", ":cmd ******* script"),
            (":cmd slepens script x var=", ":cmd ******* script x var="),
            (":cmd slepens script x var= a", ":cmd ******* script x var= a"),
            (":cmd slepens script x var=a a", ":cmd ******* script x var=a a"),
            (
                ":cmd slepens script mans skripts",
                ":cmd ******* script mans skripts",
            ),
            // Unterminated quotes, elsewhere and in the secret.
            (":cmd slepens script x v=\"open", ":cmd ******* script x v=\"open"),
            (":cmd \"slepens script x", ":cmd *****************"),
            // NUL in a name, a duplicate variable.
            (":cmd slepens script x a\0b=1", ":cmd ******* script x a\0b=1"),
            (":cmd slepens script x a=1 a=2", ":cmd ******* script x a=1 a=2"),
            // Not ASCII: one star per character.
            (":cmd slepenš script x", ":cmd ******* script x"),
            // Quoted, with an escaped quote, as the seed allows.
            (":cmd \"sec\\\"ret\" script x", ":cmd ********** script x"),
            (":cmd \"a b\" script x", ":cmd ***** script x"),
            // A quote inside a bare word, text glued to a closing quote.
            (":cmd sec\"ret script x", ":cmd ******* script x"),
            (":cmd \"sec\"ret script x", ":cmd ******** script x"),
            // Any whitespace after `:cmd`, newlines too.
            (":cmd\n\tslepens\nscript x", ":cmd\n\t*******\nscript x"),
        ];
        for (text, masked) in cases {
            assert_eq!(mask_secret(text), masked, "{text:?}");
        }
    }

    #[test]
    fn other_texts_are_left_alone() {
        for text in [
            "hello",
            "",
            ":cmd",
            ":cmd   ",
            ":cmdx slepens script x",
            "cmd slepens",
            "x :cmd slepens",
        ] {
            assert_eq!(secret_span(text), None, "{text:?}");
            assert_eq!(mask_secret(text), text);
        }
    }

    proptest! {
        /// Whatever parses has its secret masked: the parsed secret is not
        /// in what is left outside the span, and the span is on character
        /// boundaries.
        #[test]
        fn every_parsed_secret_is_inside_the_span(
            text in "[ \t\n]{0,2}:[cC][mM][dD]( |\"|\\\\|=|[a-z_]{1,3}|script|é|š|\u{a0}){0,12}"
        ) {
            if let Some(span) = secret_span(&text) {
                prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                prop_assert!(span.start < span.end);
                if let Ok(Some(command)) = crate::parse(&text) {
                    // The token alone, read as a secret, is that secret.
                    let alone = format!(":cmd {} script x", &text[span.clone()]);
                    let reread = crate::parse(&alone).ok().flatten().map(|command| command.secret);
                    prop_assert_eq!(reread, Some(command.secret));
                }
            } else {
                prop_assert!(!matches!(crate::parse(&text), Ok(Some(_))));
            }
        }

        #[test]
        fn any_text_is_masked_without_panic(text in any::<String>()) {
            let masked = mask_secret(&text);
            prop_assert_eq!(masked.chars().count(), text.chars().count());
        }
    }
}
