//! A modem's optional TCP port, like ser2net: a client that connects talks
//! to the modem exactly as over its PTY, one client at a time.
//!
//! A second connection while one is active is closed at once, as ser2net
//! closes it when the port is in use: two clients interleaving AT commands
//! on one modem would only confuse each other. A client that goes away
//! frees the port for the next.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long a write may wait on a client that does not read before the
/// client is dropped; the modem must not stall for one stuck peer.
const STALLED_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long to wait before accepting again after `accept` failed (out of
/// file descriptors, say), so a persistent failure does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// A listening TCP port with at most one client.
#[derive(Debug)]
pub struct TcpPort {
    listener: TcpListener,
    local_addr: SocketAddr,
    client: Option<TcpStream>,
}

impl TcpPort {
    /// Listens on `addr` (port 0 picks a free port; see
    /// [`TcpPort::local_addr`]).
    pub async fn bind(addr: SocketAddr) -> io::Result<TcpPort> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(TcpPort {
            listener,
            local_addr,
            client: None,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether a client is connected.
    pub fn has_client(&self) -> bool {
        self.client.is_some()
    }

    /// Waits for bytes from the client, accepting one first if there is
    /// none, and returns how many were read (never 0: a client that closes
    /// or fails is dropped and the port waits for the next one).
    ///
    /// Cancel-safe: the state changes only after an operation completed, so
    /// this can sit in a `select!`.
    pub async fn read(&mut self, buf: &mut [u8]) -> usize {
        loop {
            let accepted = match &mut self.client {
                None => self.listener.accept().await,
                Some(client) => {
                    tokio::select! {
                        read = client.read(buf) => match read {
                            Ok(0) | Err(_) => {
                                self.client = None;
                                continue;
                            }
                            Ok(n_read) => return n_read,
                        },
                        accepted = self.listener.accept() => accepted,
                    }
                }
            };
            match accepted {
                // The port is in use: the newcomer is closed by the drop.
                Ok((_stream, _peer)) if self.client.is_some() => {}
                Ok((stream, _peer)) => {
                    // AT exchanges are small and latency-bound.
                    let _ = stream.set_nodelay(true);
                    self.client = Some(stream);
                }
                Err(_) => tokio::time::sleep(ACCEPT_RETRY_DELAY).await,
            }
        }
    }

    /// Writes `bytes` to the client, if there is one; otherwise they are
    /// lost, as on a serial line nobody listens to. A client that fails or
    /// does not take the bytes within two seconds is dropped.
    pub async fn write_all(&mut self, bytes: &[u8]) {
        let Some(client) = &mut self.client else { return };
        match tokio::time::timeout(STALLED_WRITE_TIMEOUT, client.write_all(bytes)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => self.client = None,
        }
    }

    /// Drops the client, if any (the modem was unplugged). The port keeps
    /// listening.
    pub fn disconnect(&mut self) {
        self.client = None;
    }
}
