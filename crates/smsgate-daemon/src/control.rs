//! The daemon's control socket: how `smsgate send`, `inbox`, `ussd`,
//! `at-chat` and `status` reach a modem while the daemon holds its port.
//!
//! A Unix-domain socket (`[control] socket`, default `base/smsgate.sock`),
//! mode 0600: whoever can talk to it can send SMS as the daemon. The
//! protocol is one JSON object per line each way. A request names its
//! operation in `op` and its modem in `port` (a modem name, a port name or
//! a device, as `smsgate send PORT` takes it; `device` is the client's own
//! resolution of PORT, if it has one):
//!
//! ```text
//! {"op":"send","port":"gsm1","number":"+4917200000","text":"hi","class":0,"status_report_request":true}
//! {"op":"inbox","port":"gsm1"}        {"op":"remove","port":"gsm1","index":3}
//! {"op":"ussd","port":"gsm1","code":"*100#"}
//! {"op":"at-chat","port":"gsm1","command":"AT+CSQ","timeout_ms":2000}
//! {"op":"status","port":"gsm1"}       {"op":"modems"}
//! ```
//!
//! The answer is `{"ok":true,"modem":NAME,"result":...}`, where the result
//! is the JSON that the command's `--json` prints (so that the client's
//! output is the same whichever way it went), or `{"ok":false,"kind":...,
//! "error":...}`. Requests go through the daemon's own [`ModemHandle`]s,
//! whose queue puts them between the daemon's sends.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use modem::{ModemHandle, PortAddress, SmsStorage};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sms_pdu::outgoing::OutgoingMessage;
use sms_pdu::split::SplitOptions;
use sms_pdu::MessageClass;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _,
    BufReader,
};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::inbox::ReceivedDirs;
use crate::ussd_handler::UssdHandler;

pub mod views;

/// The longest request or answer line, newline excluded. A text of any
/// length fits many times over; a client that sends more is cut off, with
/// an error, rather than growing the daemon's memory.
pub const MAX_LINE: usize = 1 << 20;

/// `sun_path` holds 108 bytes, the final NUL included.
const MAX_SOCKET_PATH: usize = 107;

/// One request line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// The modems the daemon serves.
    Modems,
    /// `smsgate send`.
    Send {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        number: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        smsc: Option<String>,
        /// TP-DCS message class 0-3; 0 is "flash".
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<u8>,
        #[serde(default = "yes")]
        status_report_request: bool,
    },
    /// `smsgate inbox`: every message.
    Inbox {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        storage: Option<Storage>,
    },
    /// `smsgate inbox --remove INDEX`: the message with a part there, all
    /// its parts.
    Remove {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        /// A storage index, or the number of a daemon's received file
        /// (`inbox.rs`).
        index: u64,
    },
    /// `smsgate ussd`.
    Ussd {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        code: String,
    },
    /// `smsgate at-chat`.
    AtChat {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
        command: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
        /// How long to wait for unsolicited codes after a successful
        /// final result; none: not at all.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wait_ms: Option<u64>,
    },
    /// `smsgate status`.
    Status {
        port: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
    },
}

fn yes() -> bool {
    true
}

/// `sim` or `modem`, as `--sms-storage` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    Sim,
    Modem,
}

impl Request {
    /// Sets `device`: the client's resolution of `port`.
    pub fn set_device(&mut self, resolved: String) {
        match self {
            Request::Modems => {}
            Request::Send { device, .. }
            | Request::Inbox { device, .. }
            | Request::Remove { device, .. }
            | Request::Ussd { device, .. }
            | Request::AtChat { device, .. }
            | Request::Status { device, .. } => *device = Some(resolved),
        }
    }

    /// Parses one request line; the error names what is wrong with it.
    pub fn parse(line: &str) -> Result<Request, String> {
        serde_json::from_str(line).map_err(|err| format!("not a request: {err}"))
    }

    /// The modem asked for: `port` and `device`, if the request names one.
    fn target(&self) -> Option<(&str, Option<&str>)> {
        match self {
            Request::Modems => None,
            Request::Send { port, device, .. }
            | Request::Inbox { port, device, .. }
            | Request::Remove { port, device, .. }
            | Request::Ussd { port, device, .. }
            | Request::AtChat { port, device, .. }
            | Request::Status { port, device } => Some((port, device.as_deref())),
        }
    }
}

/// Why a request was not done, as the answer's `kind` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The line is not a request, or a value in it is wrong.
    BadRequest,
    /// No modem of the daemon is the one named.
    UnknownModem,
    /// `remove`: no message at that index.
    NoMessage,
    /// The modem answered with an error, or did not answer.
    Modem,
}

impl Refusal {
    pub fn name(self) -> &'static str {
        match self {
            Refusal::BadRequest => "bad-request",
            Refusal::UnknownModem => "unknown-modem",
            Refusal::NoMessage => "no-message",
            Refusal::Modem => "modem",
        }
    }

    fn from_name(name: &str) -> Option<Refusal> {
        [
            Refusal::BadRequest,
            Refusal::UnknownModem,
            Refusal::NoMessage,
            Refusal::Modem,
        ]
        .into_iter()
        .find(|refusal| refusal.name() == name)
    }
}

/// The daemon's modems by name, for the control socket: filled as each
/// modem's driver is started (also one still trying to open its port),
/// emptied when the daemon stops.
#[derive(Clone, Debug, Default)]
pub struct ModemRegistry {
    modems: Arc<Mutex<BTreeMap<String, Registered>>>,
}

#[derive(Clone, Debug)]
struct Registered {
    handle: ModemHandle,
    /// The `[ports.NAME]` it uses.
    port: String,
    device: PortAddress,
    /// When the daemon receives for it: where, and so its inbox.
    received: Option<ReceivedDirs>,
    /// The text of the last USSD answer it got through this socket
    /// (RouterOS's `last-ussd`).
    last_ussd: Option<String>,
    /// Its `eventhandler-ussd`.
    ussd_handler: Option<UssdHandler>,
}

impl ModemRegistry {
    /// Adds modem `name`, or replaces its handle (a restarted driver).
    pub(crate) fn register(
        &self,
        name: &str,
        port: &str,
        device: &PortAddress,
        handle: &ModemHandle,
        received: Option<ReceivedDirs>,
    ) {
        if let Ok(mut modems) = self.modems.lock() {
            // A restarted driver keeps what the modem last heard.
            let last_ussd = modems.get(name).and_then(|modem| modem.last_ussd.clone());
            let ussd_handler = modems.get(name).and_then(|modem| modem.ussd_handler.clone());
            let registered = Registered {
                handle: handle.clone(),
                port: port.to_owned(),
                device: device.clone(),
                received,
                last_ussd,
                ussd_handler,
            };
            modems.insert(name.to_owned(), registered);
        }
    }

    /// Sets modem `name`'s `eventhandler-ussd`.
    pub(crate) fn set_ussd_handler(&self, name: &str, handler: Option<UssdHandler>) {
        if let Ok(mut modems) = self.modems.lock() {
            if let Some(modem) = modems.get_mut(name) {
                modem.ussd_handler = handler;
            }
        }
    }

    /// Remembers `text` as modem `name`'s last USSD answer.
    fn set_last_ussd(&self, name: &str, text: String) {
        if let Ok(mut modems) = self.modems.lock() {
            if let Some(modem) = modems.get_mut(name) {
                modem.last_ussd = Some(text);
            }
        }
    }

    /// Every modem's name and handle, by name (the HTTP API's modem list).
    pub(crate) fn handles(&self) -> Vec<(String, ModemHandle)> {
        let Ok(modems) = self.modems.lock() else {
            return Vec::new();
        };
        modems
            .iter()
            .map(|(name, modem)| (name.clone(), modem.handle.clone()))
            .collect()
    }

    /// Forgets every modem, dropping the handles kept here.
    pub fn clear(&self) {
        if let Ok(mut modems) = self.modems.lock() {
            modems.clear();
        }
    }

    /// The modem that `port` and `device` name. A `device` is the client's
    /// resolution of `port` by its config file (`--channel` included): it
    /// alone decides. Else `port` is a modem name, a device, or the port
    /// name of one modem alone.
    fn find(&self, port: &str, device: Option<&str>) -> Result<(String, Registered), String> {
        let modems = self
            .modems
            .lock()
            .map_err(|_| "the modem registry is poisoned".to_owned())?;
        let by_device = |text: &str| {
            let wanted: PortAddress = text.parse().ok()?;
            modems
                .iter()
                .find(|(_, modem)| same_device(&wanted, &modem.device))
        };
        let found = match device {
            Some(device) => by_device(device),
            None => modems
                .get_key_value(port)
                .or_else(|| by_device(port))
                .or_else(|| {
                    let mut on_port = modems.iter().filter(|(_, modem)| modem.port == port);
                    match (on_port.next(), on_port.next()) {
                        (Some(only), None) => Some(only),
                        _ => None,
                    }
                }),
        };
        match found {
            Some((name, modem)) => Ok((name.clone(), modem.clone())),
            None => {
                let known: Vec<String> = modems
                    .iter()
                    .map(|(name, modem)| format!("{name} (port {}, {})", modem.port, modem.device))
                    .collect();
                Err(format!(
                    "no modem {port:?} in this daemon (modems: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }

    fn list(&self) -> Value {
        let Ok(modems) = self.modems.lock() else {
            return json!([]);
        };
        modems
            .iter()
            .map(|(name, modem)| {
                let mut listed = json!({
                    "name": name,
                    "port": modem.port,
                    "device": modem.device.to_string(),
                });
                if let Some(text) = &modem.last_ussd {
                    listed["last_ussd"] = json!(text);
                }
                listed
            })
            .collect()
    }
}

/// The same device, also when one of the two paths is a symlink to it
/// (the simulator's `DIR/modemN`, udev's `/dev/serial/by-id/...`).
fn same_device(a: &PortAddress, b: &PortAddress) -> bool {
    match (a, b) {
        (PortAddress::Serial(a), PortAddress::Serial(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
        }
        _ => a == b,
    }
}

/// The control socket, bound and ready to be served.
#[derive(Debug)]
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    /// The socket file's inode: at shutdown it is removed only if it is
    /// still this one.
    inode: (u64, u64),
}

impl ControlSocket {
    /// Binds `path`, replacing a stale socket (a killed daemon's: nothing
    /// answers on it). Refuses a path that is not a socket, or on which
    /// another daemon answers. Must be called in a tokio runtime.
    pub fn bind(path: &Path) -> anyhow::Result<ControlSocket> {
        let key = || format!("[control] socket {}", path.display());
        if path.as_os_str().len() > MAX_SOCKET_PATH {
            bail!(
                "{}: the path is {} bytes, a Unix socket's at most {MAX_SOCKET_PATH}; set a shorter one",
                key(),
                path.as_os_str().len()
            );
        }
        match std::fs::symlink_metadata(path) {
            Err(err) if err.kind() == ErrorKind::NotFound => {}
            Err(err) => return Err(anyhow!("{}: {err}", key())),
            Ok(metadata) if !metadata.file_type().is_socket() => {
                bail!(
                    "{}: exists and is not a socket; remove it or set another path",
                    key()
                )
            }
            Ok(_) => match std::os::unix::net::UnixStream::connect(path) {
                Ok(_) => bail!("{}: another daemon answers on it", key()),
                Err(_) => {
                    tracing::info!(target: "smsgate", "{}: replacing a stale socket", key());
                    std::fs::remove_file(path).with_context(key)?;
                }
            },
        }
        // Bound under a temporary name and renamed once it is 0600, so
        // that the real path is never open to others, whatever the umask.
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(format!(".{}.tmp", std::process::id()));
        let temporary = PathBuf::from(temporary);
        let _ = std::fs::remove_file(&temporary);
        let listener = UnixListener::bind(&temporary).with_context(key)?;
        let ready = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
            .and_then(|()| std::fs::rename(&temporary, path))
            .and_then(|()| std::fs::symlink_metadata(path));
        match ready {
            Ok(metadata) => Ok(ControlSocket {
                listener,
                path: path.to_path_buf(),
                inode: (metadata.dev(), metadata.ino()),
            }),
            Err(err) => {
                let _ = std::fs::remove_file(&temporary);
                Err(anyhow!("{}: {err}", key()))
            }
        }
    }

    /// Answers requests until `shutdown` fires, then waits for the
    /// requests in progress and removes the socket.
    pub async fn serve(self, registry: ModemRegistry, shutdown: CancellationToken) {
        tracing::info!(target: "smsgate", "control socket {}", self.path.display());
        let connections = TaskTracker::new();
        loop {
            let accepted = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = self.listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, _)) => {
                    let (reader, writer) = stream.into_split();
                    connections.spawn(serve_connection(
                        BufReader::new(reader),
                        writer,
                        registry.clone(),
                        shutdown.clone(),
                    ));
                }
                Err(err) => {
                    // Out of file descriptors, most likely: a pause, not
                    // a busy loop.
                    tracing::warn!(target: "smsgate", "control socket {}: {err}", self.path.display());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        connections.close();
        connections.wait().await;
    }
}

impl Drop for ControlSocket {
    /// Removes the socket file, unless another daemon has replaced it.
    fn drop(&mut self) {
        let still_ours = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|metadata| (metadata.dev(), metadata.ino()) == self.inode);
        if still_ours {
            if let Err(err) = std::fs::remove_file(&self.path) {
                tracing::warn!(target: "smsgate", "removing {}: {err}", self.path.display());
            }
        }
    }
}

/// One client: request lines in, answer lines out, until it hangs up, the
/// daemon stops, or a line is too long.
async fn serve_connection<R, W>(
    mut reader: R,
    mut writer: W,
    registry: ModemRegistry,
    shutdown: CancellationToken,
) where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut line_number = 0_u64;
    loop {
        let line = tokio::select! {
            _ = shutdown.cancelled() => return,
            line = read_line(&mut reader) => line,
        };
        line_number += 1;
        let (answer, go_on) = match line {
            Ok(None) => return,
            Ok(Some(line)) if line.trim().is_empty() => continue,
            Ok(Some(line)) => (answer(&registry, &line).await, true),
            Err(LineError::TooLong) => {
                let message = format!("request line {line_number}: longer than {MAX_LINE} bytes");
                (refusal(Refusal::BadRequest, &message), false)
            }
            Err(LineError::NotUtf8) => {
                let message = format!("request line {line_number}: not UTF-8");
                (refusal(Refusal::BadRequest, &message), true)
            }
            Err(LineError::Io(err)) => {
                tracing::debug!(target: "smsgate", "control connection: {err}");
                return;
            }
        };
        let mut bytes = answer.to_string().into_bytes();
        bytes.push(b'\n');
        if writer.write_all(&bytes).await.is_err() || !go_on {
            return;
        }
    }
}

#[derive(Debug)]
enum LineError {
    TooLong,
    NotUtf8,
    Io(std::io::Error),
}

/// One line, without its newline; `None` at the end of input.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Option<String>, LineError> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
    let n_read = (&mut *reader)
        .take(limit)
        .read_until(b'\n', &mut bytes)
        .await
        .map_err(LineError::Io)?;
    if n_read == 0 {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    } else if bytes.len() > MAX_LINE {
        return Err(LineError::TooLong);
    }
    String::from_utf8(bytes).map(Some).map_err(|_| LineError::NotUtf8)
}

fn refusal(refusal: Refusal, message: &str) -> Value {
    json!({ "ok": false, "kind": refusal.name(), "error": message })
}

/// The answer to one request line.
async fn answer(registry: &ModemRegistry, line: &str) -> Value {
    let request = match Request::parse(line) {
        Ok(request) => request,
        Err(message) => return refusal(Refusal::BadRequest, &message),
    };
    let Some((port, device)) = request.target() else {
        return json!({ "ok": true, "result": registry.list() });
    };
    let (name, modem) = match registry.find(port, device) {
        Ok(found) => found,
        Err(message) => return refusal(Refusal::UnknownModem, &message),
    };
    let is_ussd = match &request {
        Request::Ussd { .. } => UssdKind::Request,
        Request::AtChat { .. } => UssdKind::AtChat,
        _ => UssdKind::None,
    };
    // The daemon empties the storage of a modem it receives for: its
    // inbox is what it wrote.
    // `--sms-storage` asks for that storage itself.
    let ussd_code = match &request {
        Request::Ussd { code, .. } => Some(code.clone()),
        _ => None,
    };
    let performed = match (&modem.received, request) {
        (Some(received), Request::Inbox { storage: None, .. }) => Ok(Value::Array(received.list(&name))),
        (Some(received), Request::Remove { index, .. }) => match received.remove(&name, index) {
            Ok(Some(removed)) => Ok(removed),
            Ok(None) => Err((Refusal::NoMessage, format!("no message at index {index}"))),
            Err(err) => Err((Refusal::Modem, format!("removing message {index}: {err}"))),
        },
        (_, request) => perform(&modem.handle, request).await,
    };
    let mut performed = performed;
    if let (Ok(result), Some(handler), Some(code)) = (&mut performed, &modem.ussd_handler, &ussd_code) {
        if let Some(text) = result["text"].as_str().map(str::to_owned) {
            result["text"] = json!(handler.run(&name, code, &text).await);
        }
    }
    if let Ok(result) = &performed {
        let ussd = match is_ussd {
            UssdKind::Request => result["text"].as_str().map(str::to_owned),
            UssdKind::AtChat => views::urc::last_ussd(as_slice(&result["unsolicited"])),
            UssdKind::None => None,
        };
        if let Some(text) = ussd {
            registry.set_last_ussd(&name, text);
        }
    }
    match performed {
        Ok(result) => json!({ "ok": true, "modem": name, "result": result }),
        Err((kind, message)) => refusal(kind, &format!("modem {name}: {message}")),
    }
}

/// Which requests may bring a USSD answer to remember (`last-ussd`).
enum UssdKind {
    Request,
    AtChat,
    None,
}

fn as_slice(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// Does `request` with `handle`; the result is what the command's `--json`
/// prints.
async fn perform(handle: &ModemHandle, request: Request) -> Result<Value, (Refusal, String)> {
    let modem_error = |err: modem::ModemError| (Refusal::Modem, err.to_string());
    let bad = |message: String| (Refusal::BadRequest, message);
    match request {
        Request::Modems => Ok(Value::Null),
        Request::Send {
            number,
            text,
            smsc,
            class,
            status_report_request,
            ..
        } => {
            let destination = views::phone_number(&number).map_err(|err| bad(format!("number: {err}")))?;
            let smsc = smsc
                .as_deref()
                .map(views::phone_number)
                .transpose()
                .map_err(|err| bad(format!("smsc: {err}")))?;
            let class = match class {
                None => None,
                Some(0) => Some(MessageClass::Class0),
                Some(1) => Some(MessageClass::Class1),
                Some(2) => Some(MessageClass::Class2),
                Some(3) => Some(MessageClass::Class3),
                Some(other) => return Err(bad(format!("class: {other} is not 0-3"))),
            };
            let message = OutgoingMessage {
                smsc,
                class,
                status_report_request,
                ..OutgoingMessage::to(destination)
            };
            let options = SplitOptions {
                reference: u16::from(views::fresh_reference()),
                ..SplitOptions::default()
            };
            message
                .text_pdus(&text, &options)
                .map_err(|err| bad(format!("text: {err}")))?;
            let references = handle
                .send_sms(&message, &text, &options)
                .await
                .map_err(modem_error)?;
            Ok(views::references_json(&references))
        }
        Request::Inbox { storage, .. } => {
            let storage = storage.map(|storage| match storage {
                Storage::Sim => SmsStorage::Sim,
                Storage::Modem => SmsStorage::Modem,
            });
            let messages = handle.list_messages(storage).await.map_err(modem_error)?;
            Ok(messages.iter().map(views::message_json).collect())
        }
        Request::Remove { index, .. } => match remove_stored(handle, index).await {
            Ok(Some(removed)) => Ok(removed),
            Ok(None) => Err((Refusal::NoMessage, format!("no message at index {index}"))),
            Err(err) => Err(modem_error(err)),
        },
        Request::Ussd { code, .. } => {
            let answer = handle.ussd(&code).await.map_err(modem_error)?;
            if let Some(text) = &answer.text {
                // RouterOS's `gsm,info USSD: ...`.
                tracing::info!(target: "smsgate", "{}: USSD: {text}", handle.port());
            }
            Ok(views::ussd_json(&answer))
        }
        Request::AtChat {
            command,
            timeout_ms,
            wait_ms,
            ..
        } => views::at_chat_and_wait(
            handle,
            &command,
            timeout_ms.map(Duration::from_millis),
            Duration::from_millis(wait_ms.unwrap_or(0)),
        )
        .await
        .map_err(modem_error),
        Request::Status { .. } => {
            let status = handle.status().await.map_err(modem_error)?;
            Ok(views::status_json(handle.port(), &status))
        }
    }
}

/// `remove` in the modem's storage, whose indexes are 16 bits at most.
async fn remove_stored(handle: &ModemHandle, index: u64) -> Result<Option<Value>, modem::ModemError> {
    match u32::try_from(index) {
        Ok(index) => views::remove_message(handle, index).await,
        Err(_) => Ok(None),
    }
}

/// What the daemon said to a client's request.
#[derive(Debug)]
pub enum Answer {
    /// Done: the result.
    Done(Value),
    /// Not done, and why.
    Refused(Refusal, String),
}

/// Sends `request` on the socket at `path` and reads the answer. An error
/// means the daemon could not be asked (no socket, nothing listening, a
/// broken answer).
pub async fn ask(path: &Path, request: &Request) -> anyhow::Result<Answer> {
    let stream = UnixStream::connect(path)
        .await
        .with_context(|| format!("control socket {}", path.display()))?;
    let (reader, writer) = stream.into_split();
    exchange(BufReader::new(reader), writer, request)
        .await
        .with_context(|| format!("control socket {}", path.display()))
}

async fn exchange<R, W>(mut reader: R, mut writer: W, request: &Request) -> anyhow::Result<Answer>
where
    R: AsyncBufRead + AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut line = serde_json::to_vec(request)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    let answer = match read_line(&mut reader).await {
        Ok(Some(answer)) => answer,
        Ok(None) => bail!("the daemon hung up without an answer"),
        Err(LineError::Io(err)) => return Err(err.into()),
        Err(err) => bail!("a broken answer ({err:?})"),
    };
    let answer: Value =
        serde_json::from_str(&answer).map_err(|err| anyhow!("an answer that is not JSON: {err}"))?;
    if answer["ok"] == Value::Bool(true) {
        return Ok(Answer::Done(answer["result"].clone()));
    }
    let kind = answer["kind"].as_str().and_then(Refusal::from_name);
    match (kind, answer["error"].as_str()) {
        (Some(kind), Some(error)) => Ok(Answer::Refused(kind, error.to_owned())),
        _ => bail!("an answer neither ok nor a known error: {answer}"),
    }
}

#[cfg(test)]
mod tests;
