//! A cursor over PDU octets that remembers absolute offsets, so that every
//! error can say where it happened.

use crate::error::{DecodeError, DecodeErrorKind, FieldName};

#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the whole PDU.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0, base: 0 }
    }

    /// Absolute offset of the next octet.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn u8(&mut self, field: FieldName) -> Result<u8, DecodeError> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub(crate) fn take(&mut self, n: usize, field: FieldName) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.error(
                field,
                DecodeErrorKind::Truncated {
                    needed: n - self.remaining(),
                },
            ));
        }
        let slice = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    pub(crate) fn array<const N: usize>(&mut self, field: FieldName) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let slice = &self.buf[self.pos..];
        self.pos = self.buf.len();
        slice
    }

    /// A reader over the next `n` octets, keeping absolute offsets.
    pub(crate) fn sub(&mut self, n: usize, field: FieldName) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        let buf = self.take(n, field)?;
        Ok(Reader { buf, pos: 0, base })
    }

    pub(crate) fn error(&self, field: FieldName, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::at(self.offset(), field, kind)
    }
}
