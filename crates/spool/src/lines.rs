//! A spool file as lines: the header lines up to the first empty line, and
//! the body after it, kept byte for byte.

use crate::error::Place;

/// One line of a file, with the place it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) place: Place,
    /// The line with its ending (`\n` or `\r\n`), if it has one.
    pub(crate) raw: Vec<u8>,
}

impl Line {
    /// The line without its ending.
    pub(crate) fn content(&self) -> &[u8] {
        let without_lf = self.raw.strip_suffix(b"\n").unwrap_or(&self.raw);
        without_lf.strip_suffix(b"\r").unwrap_or(without_lf)
    }
}

/// The lines of `bytes`, each keeping its ending.
pub(crate) fn split_lines(bytes: &[u8], place: impl Fn(usize) -> Place) -> Vec<Line> {
    bytes
        .split_inclusive(|&byte| byte == b'\n')
        .enumerate()
        .map(|(line_idx, raw)| Line {
            place: place(line_idx + 1),
            raw: raw.to_vec(),
        })
        .collect()
}

/// Where the header ends in a file's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The byte offset of the empty line that ends the header, if any.
    pub(crate) separator: Option<usize>,
    /// The byte offset where the body starts (the end of the file when
    /// there is no empty line: all of it is header).
    pub(crate) body_start: usize,
    /// Whether the first line ends in `\r\n`.
    pub(crate) crlf: bool,
}

/// Finds the empty line that ends the header of `bytes`. A line holding
/// only `\r` is empty too, so CRLF files work.
pub(crate) fn layout(bytes: &[u8]) -> Layout {
    let mut offset = 0;
    let crlf = bytes
        .iter()
        .position(|&byte| byte == b'\n')
        .is_some_and(|lf| lf > 0 && bytes[lf - 1] == b'\r');
    for raw in bytes.split_inclusive(|&byte| byte == b'\n') {
        if raw == b"\n" || raw == b"\r\n" || raw == b"\r" {
            return Layout {
                separator: Some(offset),
                body_start: offset + raw.len(),
                crlf,
            };
        }
        offset += raw.len();
    }
    Layout {
        separator: None,
        body_start: bytes.len(),
        crlf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_ends_at_the_first_empty_line() {
        let file = b"To: 1\n\nbody\n\nmore";
        let layout = layout(file);
        assert_eq!(layout.separator, Some(6));
        assert_eq!(&file[layout.body_start..], b"body\n\nmore");
        assert!(!layout.crlf);
    }

    #[test]
    fn crlf_files() {
        let file = b"To: 1\r\n\r\nbody\r\n";
        let layout = layout(file);
        assert_eq!(layout.separator, Some(7));
        assert_eq!(&file[layout.body_start..], b"body\r\n");
        assert!(layout.crlf);
    }

    #[test]
    fn no_empty_line_means_no_body() {
        let layout = layout(b"To: 1\nFlash: yes");
        assert_eq!(layout.separator, None);
        assert_eq!(layout.body_start, 16);
    }

    #[test]
    fn content_drops_the_ending() {
        let lines = split_lines(b"a\r\nb\nc", Place::Line);
        let contents: Vec<&[u8]> = lines.iter().map(Line::content).collect();
        assert_eq!(contents, vec![&b"a"[..], b"b", b"c"]);
        assert_eq!(lines[2].place, Place::Line(3));
    }
}
