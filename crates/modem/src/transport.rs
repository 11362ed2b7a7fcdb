//! The byte pipe to a modem: a serial device (USB modems, the simulator's
//! pseudo-terminals) through `tokio-serial`, or a TCP connection to a
//! serial server such as ser2net (`tcp://host:port`).
//!
//! Opening a serial device also locks it: `tokio-serial` (serialport)
//! sets `TIOCEXCL` and takes an exclusive `flock`, and undoes `TIOCEXCL`
//! when the port is closed. A refusal from either means someone else has
//! the device; [`crate::lock`] then finds out who.
//!
//! Every byte written and read is logged at debug level under the tracing
//! targets `gsm::write` and `gsm::read` (RouterOS's `gsm,debug,write` and
//! `gsm,debug,read`).

use std::io;
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_serial::{DataBits, Parity, SerialPortBuilderExt, SerialStream, StopBits};

use crate::config::{Config, FlowControl, PortAddress};
use crate::error::ModemError;
use crate::lock;

/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one write may wait: a port with hardware flow control whose
/// modem never raises CTS would otherwise block forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// An open connection to a modem.
#[derive(Debug)]
pub(crate) enum Link {
    Serial(SerialStream),
    Tcp(TcpStream),
}

impl Link {
    /// Opens (and for a device, locks) the port of `config`.
    pub(crate) async fn open(config: &Config, port: &str) -> Result<Link, ModemError> {
        match &config.port {
            PortAddress::Serial(path) => open_serial(path, config, port),
            PortAddress::Tcp(address) => {
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address.as_str()))
                    .await
                    .map_err(|_| ModemError::Open {
                        port: port.to_owned(),
                        error: io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!("no connection within {} s", CONNECT_TIMEOUT.as_secs()),
                        ),
                    })?
                    .map_err(|error| ModemError::Open {
                        port: port.to_owned(),
                        error,
                    })?;
                // AT commands are small and each waits for its answer:
                // Nagle's delay would only slow every exchange down.
                let _ = stream.set_nodelay(true);
                Ok(Link::Tcp(stream))
            }
        }
    }

    /// Reads what the modem sent; `Ok(0)` is end of file.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Link::Serial(stream) => stream.read(buf).await,
            Link::Tcp(stream) => stream.read(buf).await,
        }
    }

    /// Writes all of `bytes`, or fails after [`WRITE_TIMEOUT`].
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let write = async {
            match self {
                Link::Serial(stream) => stream.write_all(bytes).await,
                Link::Tcp(stream) => stream.write_all(bytes).await,
            }
        };
        tokio::time::timeout(WRITE_TIMEOUT, write)
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("a write did not finish within {} s", WRITE_TIMEOUT.as_secs()),
                ))
            })
    }
}

fn open_serial(path: &Path, config: &Config, port: &str) -> Result<Link, ModemError> {
    let flow_control = match config.serial.flow_control {
        FlowControl::None => tokio_serial::FlowControl::None,
        FlowControl::Software => tokio_serial::FlowControl::Software,
        FlowControl::Hardware => tokio_serial::FlowControl::Hardware,
    };
    let opened = tokio_serial::new(path.to_string_lossy(), config.serial.baud_rate)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(flow_control)
        .open_native_async();
    match opened {
        Ok(stream) => Ok(Link::Serial(stream)),
        // serialport reports both a refused TIOCEXCL open (EBUSY) and a
        // refused flock as `NoDevice`.
        Err(err) if err.kind() == tokio_serial::ErrorKind::NoDevice => Err(ModemError::InUse {
            port: port.to_owned(),
            holders: lock::processes_with_open(path),
            lock_file: None,
        }),
        Err(err) => {
            let kind = match err.kind() {
                tokio_serial::ErrorKind::Io(kind) => kind,
                _ => io::ErrorKind::Other,
            };
            Err(ModemError::Open {
                port: port.to_owned(),
                error: io::Error::new(kind, err.description),
            })
        }
    }
}

/// Bytes as the debug log shows them: printable ASCII as is, the rest
/// escaped (`AT+CSQ\r`, `\r\nOK\r\n`, `\x1a`).
pub(crate) fn printable(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
