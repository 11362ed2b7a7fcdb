//! Helpers for the shell tests: a serial client that opens a simulated
//! port the way smsd or gammu open `/dev/ttyUSB0`, with a timeout on every
//! read so that a failing test reports what it saw instead of hanging.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg, Termios};

/// Long enough for a loaded two-core CI machine, short enough that a test
/// that fails does not look hung.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);

/// A client on a serial device (a PTY slave, through its symlink). Bytes
/// read past what a call asked for stay for the next call, so a URC that
/// arrives right behind an `OK` is not lost.
pub(crate) struct SerialClient {
    file: File,
    pending: Vec<u8>,
}

impl SerialClient {
    /// Opens `path` read-write without making it the controlling terminal,
    /// as serial clients do.
    pub(crate) fn open(path: &Path) -> io::Result<SerialClient> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(OFlag::O_NOCTTY.bits())
            .open(path)?;
        Ok(SerialClient {
            file,
            pending: Vec::new(),
        })
    }

    /// Writes all of `bytes`.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    /// Everything that arrives until the line is quiet for `wait`.
    pub(crate) fn read_for(&mut self, wait: Duration) -> io::Result<Vec<u8>> {
        let mut received = std::mem::take(&mut self.pending);
        while let Some(chunk) = self.read_chunk(wait)? {
            if chunk.is_empty() {
                break;
            }
            received.extend_from_slice(&chunk);
        }
        Ok(received)
    }

    /// Reads until `needle` and returns everything up to and including it.
    /// Fails with what was received if `needle` does not come within
    /// [`TIMEOUT`].
    pub(crate) fn read_until(&mut self, needle: &str) -> Result<String, String> {
        self.read_to(needle, |bytes| {
            find(bytes, needle.as_bytes()).map(|at| at + needle.len())
        })
    }

    /// Sends an AT command line (CR added) and returns the response up to
    /// and including the final result code (`OK`, `ERROR`, `+CMS ERROR`,
    /// `+CME ERROR`) or the `> ` prompt.
    pub(crate) fn command(&mut self, line: &str) -> Result<String, String> {
        self.write(format!("{line}\r").as_bytes())
            .map_err(|err| format!("write {line:?}: {err}"))?;
        self.read_final(line)
    }

    /// Reads up to the first final result code or prompt; `context` names
    /// the command in errors.
    pub(crate) fn read_final(&mut self, context: &str) -> Result<String, String> {
        self.read_to(context, final_end)
    }

    /// Reads until `end` finds where the wanted bytes end, returns them and
    /// keeps the rest.
    fn read_to(&mut self, context: &str, end: impl Fn(&[u8]) -> Option<usize>) -> Result<String, String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            if let Some(end_at) = end(&self.pending) {
                let rest = self.pending.split_off(end_at);
                let wanted = std::mem::replace(&mut self.pending, rest);
                return Ok(String::from_utf8_lossy(&wanted).into_owned());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.read_chunk(left) {
                Ok(Some(chunk)) if !chunk.is_empty() => self.pending.extend_from_slice(&chunk),
                Ok(Some(_)) => return Err(format!("{context}: end of file; got {text:?}")),
                Ok(None) => return Err(format!("{context}: timed out; got {text:?}")),
                Err(err) => return Err(format!("{context}: {err}; got {text:?}")),
            }
        }
    }

    /// The terminal settings of the line.
    pub(crate) fn termios(&self) -> Termios {
        tcgetattr(self.file.as_fd()).unwrap()
    }

    /// Changes the terminal settings, as clients do on open.
    pub(crate) fn set_termios(&self, termios: &Termios) {
        tcsetattr(self.file.as_fd(), SetArg::TCSANOW, termios).unwrap();
    }

    /// Turns echo and canonical mode on, as a client restoring a cooked
    /// terminal on close would leave it.
    pub(crate) fn make_cooked(&self) {
        let mut termios = self.termios();
        termios.local_flags |= LocalFlags::ECHO | LocalFlags::ICANON | LocalFlags::ISIG;
        self.set_termios(&termios);
    }

    /// One read: `Ok(None)` if nothing came within `wait`, `Ok(Some(empty))`
    /// at end of file.
    fn read_chunk(&mut self, wait: Duration) -> io::Result<Option<Vec<u8>>> {
        let millis = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
        let n_ready = poll(&mut fds, PollTimeout::from(millis)).map_err(io::Error::from)?;
        if n_ready == 0 {
            return Ok(None);
        }
        let mut buf = [0u8; 4096];
        let n_read = self.file.read(&mut buf)?;
        Ok(Some(buf[..n_read].to_vec()))
    }
}

/// Where the first final result code or prompt in `bytes` ends.
fn final_end(bytes: &[u8]) -> Option<usize> {
    let mut ends = Vec::new();
    for result in [&b"\r\nOK\r\n"[..], b"\r\nERROR\r\n", b"> "] {
        ends.extend(find(bytes, result).map(|at| at + result.len()));
    }
    for result in [b"+CMS ERROR:", b"+CME ERROR:"] {
        if let Some(at) = find(bytes, result) {
            ends.extend(find(&bytes[at..], b"\r\n").map(|line_end| at + line_end + 2));
        }
    }
    ends.into_iter().min()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Sends one HTTP/1.1 request to `addr` and returns the status code and
/// the body (a plain client: `Connection: close`, the body read to the
/// end, chunked transfer decoded).
pub(crate) fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .lines()
        .any(|line| line.eq_ignore_ascii_case("transfer-encoding: chunked"));
    (status, if chunked { dechunk(body) } else { body.to_owned() })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
