//! The body of a `Hex: yes` binary file: bytes as hex pairs, comments,
//! `STRING:`, `INLINESTRING:` and `LENGTH` markers (smstools3 >= 3.0).

use crate::error::{Place, Problem};
use crate::lines::Line;

/// Starts a comment line, or the rest of a line after its bytes.
const COMMENT_CHARS: &[u8] = b"/'#:";
/// WBXML's inline string token, put before an `INLINESTRING:` text.
const INLINE_STRING_TOKEN: u8 = 0x03;

/// Reads the hex body of a binary message. Every bad line is reported.
pub(crate) fn parse_hex_lines(lines: &[Line]) -> Result<Vec<u8>, Vec<Problem>> {
    let mut data = Vec::new();
    let mut problems = Vec::new();
    // The offset of the count byte and the place of the LENGTH that opened it.
    let mut open_length: Option<(usize, Place)> = None;
    let problem = |place: &Place, message: String| Problem {
        place: Some(place.clone()),
        header: None,
        message,
    };
    for line in lines {
        let content = line.content();
        let text = content.trim_ascii_start();
        if text.is_empty() || COMMENT_CHARS.contains(&text[0]) {
            continue;
        }
        if let Some(string) = text.strip_prefix(b"INLINESTRING:") {
            data.push(INLINE_STRING_TOKEN);
            data.extend_from_slice(string);
            data.push(0x00);
        } else if let Some(string) = text.strip_prefix(b"STRING:") {
            data.extend_from_slice(string);
        } else if let Some(rest) = text.strip_prefix(b"LENGTH") {
            let rest = rest.trim_ascii_start();
            if !rest.is_empty() && !COMMENT_CHARS.contains(&rest[0]) {
                problems.push(problem(
                    &line.place,
                    format!(
                        "Hex: {:?} after LENGTH is neither a comment nor nothing",
                        String::from_utf8_lossy(rest)
                    ),
                ));
                continue;
            }
            match open_length.take() {
                None => {
                    open_length = Some((data.len(), line.place.clone()));
                    data.push(0);
                }
                Some((count_idx, _)) => {
                    let count = data.len() - count_idx - 1;
                    match u8::try_from(count) {
                        Ok(count) => data[count_idx] = count,
                        Err(_) => problems.push(problem(
                            &line.place,
                            format!("Hex: LENGTH counted {count} bytes, at most 255 fit its byte"),
                        )),
                    }
                }
            }
        } else if let Err(message) = hex_bytes(text, &mut data) {
            problems.push(problem(&line.place, message));
        }
    }
    if let Some((_, place)) = open_length {
        problems.push(problem(
            &place,
            "Hex: LENGTH is never closed by a second LENGTH".to_owned(),
        ));
    }
    match problems.is_empty() {
        true => Ok(data),
        false => Err(problems),
    }
}

/// Hex pairs (spaces between them optional) up to the end of the line or a
/// comment character.
pub(crate) fn hex_bytes(text: &[u8], data: &mut Vec<u8>) -> Result<(), String> {
    let mut idx = 0;
    while idx < text.len() {
        let byte = text[idx];
        if byte.is_ascii_whitespace() {
            idx += 1;
            continue;
        }
        if COMMENT_CHARS.contains(&byte) {
            break;
        }
        let pair = text.get(idx..idx + 2).and_then(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            Some((high * 16 + low) as u8)
        });
        match pair {
            Some(value) => {
                data.push(value);
                idx += 2;
            }
            None => {
                let word_end = text[idx..]
                    .iter()
                    .position(u8::is_ascii_whitespace)
                    .map_or(text.len(), |end| idx + end);
                return Err(format!(
                    "Hex: {:?} is not a hex byte (two hex digits), a comment (/ ' # :), STRING:, INLINESTRING: or LENGTH",
                    String::from_utf8_lossy(&text[idx..word_end])
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::split_lines;

    fn parse(text: &str) -> Result<Vec<u8>, Vec<String>> {
        parse_hex_lines(&split_lines(text.as_bytes(), Place::Line))
            .map_err(|problems| problems.iter().map(Problem::to_string).collect())
    }

    #[test]
    fn pairs_with_and_without_spaces() {
        assert_eq!(
            parse("06 05\n0B84\t23f0\n").unwrap(),
            [6, 5, 0x0B, 0x84, 0x23, 0xF0]
        );
    }

    #[test]
    fn comment_lines_and_trailing_comments() {
        let text = "// a\n' b\n# c\n: d\n\n01 : one\n02 // two\n03 # three\n04 ' four\n";
        assert_eq!(parse(text).unwrap(), [1, 2, 3, 4]);
    }

    #[test]
    fn string_keeps_the_text_verbatim() {
        assert_eq!(parse("STRING:a b \n").unwrap(), b"a b ");
    }

    #[test]
    fn inlinestring_adds_token_and_terminator() {
        assert_eq!(parse("INLINESTRING:ab").unwrap(), [0x03, b'a', b'b', 0x00]);
    }

    #[test]
    fn length_counts_the_bytes_between() {
        assert_eq!(
            parse("01\nLENGTH\nAA BB\nSTRING:cd\nLENGTH\nFF").unwrap(),
            [0x01, 0x04, 0xAA, 0xBB, b'c', b'd', 0xFF]
        );
        // Two pairs in a row.
        assert_eq!(
            parse("LENGTH\nLENGTH\nLENGTH\n01\nLENGTH").unwrap(),
            [0x00, 0x01, 0x01]
        );
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse("01\n0G\n1\nLENGTH x\n").unwrap_err(),
            vec![
                "line 2: Hex: \"0G\" is not a hex byte (two hex digits), a comment (/ ' # :), STRING:, INLINESTRING: or LENGTH",
                "line 3: Hex: \"1\" is not a hex byte (two hex digits), a comment (/ ' # :), STRING:, INLINESTRING: or LENGTH",
                "line 4: Hex: \"x\" after LENGTH is neither a comment nor nothing",
            ]
        );
        assert_eq!(
            parse("\nLENGTH\n").unwrap_err(),
            vec!["line 2: Hex: LENGTH is never closed by a second LENGTH"]
        );
        let long = format!("LENGTH\n{}\nLENGTH\n", "00 ".repeat(256));
        assert_eq!(
            parse(&long).unwrap_err(),
            vec!["line 3: Hex: LENGTH counted 256 bytes, at most 255 fit its byte"]
        );
    }
}
