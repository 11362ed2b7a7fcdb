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

use crate::daemon::inbox::ReceivedDirs;
use crate::modem_cmd;

/// The longest request or answer line, newline excluded. A text of any
/// length fits many times over; a client that sends more is cut off, with
/// an error, rather than growing the daemon's memory.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// `sun_path` holds 108 bytes, the final NUL included.
const MAX_SOCKET_PATH: usize = 107;

/// One request line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) enum Request {
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
pub(crate) enum Storage {
    Sim,
    Modem,
}

impl Request {
    /// Sets `device`: the client's resolution of `port`.
    pub(crate) fn set_device(&mut self, resolved: String) {
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
    pub(crate) fn parse(line: &str) -> Result<Request, String> {
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
pub(crate) enum Refusal {
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
    pub(crate) fn name(self) -> &'static str {
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
pub(crate) struct ModemRegistry {
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
            let registered = Registered {
                handle: handle.clone(),
                port: port.to_owned(),
                device: device.clone(),
                received,
                last_ussd,
            };
            modems.insert(name.to_owned(), registered);
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

    /// Forgets every modem, dropping the handles kept here.
    pub(crate) fn clear(&self) {
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
pub(crate) struct ControlSocket {
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
    pub(crate) fn bind(path: &Path) -> anyhow::Result<ControlSocket> {
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
    pub(crate) async fn serve(self, registry: ModemRegistry, shutdown: CancellationToken) {
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
    let performed = match (&modem.received, request) {
        (Some(received), Request::Inbox { storage: None, .. }) => Ok(Value::Array(received.list(&name))),
        (Some(received), Request::Remove { index, .. }) => match received.remove(&name, index) {
            Ok(Some(removed)) => Ok(removed),
            Ok(None) => Err((Refusal::NoMessage, format!("no message at index {index}"))),
            Err(err) => Err((Refusal::Modem, format!("removing message {index}: {err}"))),
        },
        (_, request) => perform(&modem.handle, request).await,
    };
    if let Ok(result) = &performed {
        let ussd = match is_ussd {
            UssdKind::Request => result["text"].as_str().map(str::to_owned),
            UssdKind::AtChat => modem_cmd::urc::last_ussd(as_slice(&result["unsolicited"])),
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
            let destination =
                modem_cmd::phone_number(&number).map_err(|err| bad(format!("number: {err}")))?;
            let smsc = smsc
                .as_deref()
                .map(modem_cmd::phone_number)
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
                reference: u16::from(modem_cmd::fresh_reference()),
                ..SplitOptions::default()
            };
            message
                .text_pdus(&text, &options)
                .map_err(|err| bad(format!("text: {err}")))?;
            let references = handle
                .send_sms(&message, &text, &options)
                .await
                .map_err(modem_error)?;
            Ok(modem_cmd::references_json(&references))
        }
        Request::Inbox { storage, .. } => {
            let storage = storage.map(|storage| match storage {
                Storage::Sim => SmsStorage::Sim,
                Storage::Modem => SmsStorage::Modem,
            });
            let messages = handle.list_messages(storage).await.map_err(modem_error)?;
            Ok(messages.iter().map(modem_cmd::message_json).collect())
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
            Ok(modem_cmd::ussd_json(&answer))
        }
        Request::AtChat {
            command,
            timeout_ms,
            wait_ms,
            ..
        } => modem_cmd::at_chat_and_wait(
            handle,
            &command,
            timeout_ms.map(Duration::from_millis),
            Duration::from_millis(wait_ms.unwrap_or(0)),
        )
        .await
        .map_err(modem_error),
        Request::Status { .. } => {
            let status = handle.status().await.map_err(modem_error)?;
            Ok(modem_cmd::status_json(handle.port(), &status))
        }
    }
}

/// `remove` in the modem's storage, whose indexes are 16 bits at most.
async fn remove_stored(handle: &ModemHandle, index: u64) -> Result<Option<Value>, modem::ModemError> {
    match u32::try_from(index) {
        Ok(index) => modem_cmd::remove_message(handle, index).await,
        Err(_) => Ok(None),
    }
}

/// What the daemon said to a client's request.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Done: the result.
    Done(Value),
    /// Not done, and why.
    Refused(Refusal, String),
}

/// Sends `request` on the socket at `path` and reads the answer. An error
/// means the daemon could not be asked (no socket, nothing listening, a
/// broken answer).
pub(crate) async fn ask(path: &Path, request: &Request) -> anyhow::Result<Answer> {
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
mod tests {
    use super::*;

    #[test]
    fn requests_parse_with_defaults() {
        let request = Request::parse(r#"{"op":"send","port":"gsm1","number":"+4917200000","text":"hi"}"#);
        assert_eq!(
            request,
            Ok(Request::Send {
                port: "gsm1".to_owned(),
                device: None,
                number: "+4917200000".to_owned(),
                text: "hi".to_owned(),
                smsc: None,
                class: None,
                status_report_request: true,
            })
        );
        let request = Request::parse(r#"{"op":"at-chat","port":"/dev/x","command":"AT","timeout_ms":500}"#);
        assert_eq!(
            request,
            Ok(Request::AtChat {
                port: "/dev/x".to_owned(),
                device: None,
                command: "AT".to_owned(),
                timeout_ms: Some(500),
                wait_ms: None,
            })
        );
        assert_eq!(Request::parse(r#"{"op":"modems"}"#), Ok(Request::Modems));
        assert_eq!(
            Request::parse(r#"{"op":"inbox","port":"a","storage":"modem"}"#),
            Ok(Request::Inbox {
                port: "a".to_owned(),
                device: None,
                storage: Some(Storage::Modem),
            })
        );
    }

    #[test]
    fn requests_round_trip_through_their_json() {
        let requests = [
            Request::Modems,
            Request::Send {
                port: "gsm1".to_owned(),
                device: Some("/dev/ttyUSB0".to_owned()),
                number: "123".to_owned(),
                text: "two\nlines".to_owned(),
                smsc: Some("+49".to_owned()),
                class: Some(0),
                status_report_request: false,
            },
            Request::Remove {
                port: "gsm1".to_owned(),
                device: None,
                index: 7,
            },
            Request::Ussd {
                port: "gsm1".to_owned(),
                device: None,
                code: "*100#".to_owned(),
            },
            Request::Status {
                port: "gsm1".to_owned(),
                device: None,
            },
        ];
        for request in requests {
            let line = serde_json::to_string(&request).unwrap();
            assert!(!line.contains('\n'), "{line}");
            assert_eq!(Request::parse(&line), Ok(request));
        }
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        let cases = [
            (
                "{\"op\":\"send\",\"port\":\"a\",\"text\":\"hi\"}",
                "missing field `number`",
            ),
            ("{\"op\":\"reboot\"}", "unknown variant `reboot`"),
            ("{\"port\":\"a\"}", "missing field `op`"),
            (
                "{\"op\":\"status\",\"port\":\"a\",\"colour\":1}",
                "unknown field `colour`",
            ),
            (
                "{\"op\":\"remove\",\"port\":\"a\",\"index\":-1}",
                "invalid value: integer `-1`",
            ),
            ("send a 123 hi", "expected value"),
            ("{\"op\":\"status\"", "EOF"),
        ];
        for (line, expected) in cases {
            let err = Request::parse(line).unwrap_err();
            assert!(err.starts_with("not a request: "), "{line}: {err}");
            assert!(err.contains(expected), "{line}: {err:?} lacks {expected:?}");
        }
    }

    fn registry_with(modems: &[(&str, &str, &str)]) -> (tokio::runtime::Runtime, ModemRegistry) {
        // A handle needs a runtime; its driver only tries to open a
        // device that does not exist, in the background.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let registry = ModemRegistry::default();
        for (name, port, device) in modems {
            let device: PortAddress = device.parse().unwrap();
            let mut config = modem::Config::new(device.clone());
            config.lock_dir = Some(std::env::temp_dir());
            let (handle, _) = runtime.block_on(ModemHandle::open_or_retry(config));
            registry.register(name, port, &device, &handle, None);
        }
        (runtime, registry)
    }

    #[test]
    fn modems_are_found_by_device_name_or_port() {
        let (runtime, registry) = registry_with(&[
            ("a", "usb1", "/nonexistent/smsgate-test/ttyA"),
            ("b", "lte", "/nonexistent/smsgate-test/ttyB"),
            ("c", "lte", "/nonexistent/smsgate-test/ttyC"),
        ]);
        let found = |port: &str, device: Option<&str>| registry.find(port, device).map(|(name, _)| name);
        assert_eq!(found("a", None), Ok("a".to_owned()));
        assert_eq!(found("usb1", None), Ok("a".to_owned()));
        assert_eq!(found("/nonexistent/smsgate-test/ttyC", None), Ok("c".to_owned()));
        // The client's resolution of a name decides alone.
        assert_eq!(
            found("lte", Some("/nonexistent/smsgate-test/ttyB")),
            Ok("b".to_owned())
        );
        assert!(found("a", Some("/nonexistent/smsgate-test/ttyD")).is_err());
        assert_eq!(
            found("lte", None),
            Err(
                "no modem \"lte\" in this daemon (modems: a (port usb1, /nonexistent/smsgate-test/ttyA), \
                 b (port lte, /nonexistent/smsgate-test/ttyB), c (port lte, /nonexistent/smsgate-test/ttyC))"
                    .to_owned()
            )
        );
        registry.clear();
        assert_eq!(
            found("a", None),
            Err("no modem \"a\" in this daemon (modems: none)".to_owned())
        );
        drop(runtime);
    }

    /// Runs `lines` through a connection and returns the answers.
    fn converse(input: &[u8]) -> Vec<Value> {
        let (runtime, registry) = registry_with(&[("a", "usb1", "/nonexistent/smsgate-test/ttyA")]);
        let mut output = Vec::new();
        runtime.block_on(serve_connection(
            input,
            &mut output,
            registry,
            CancellationToken::new(),
        ));
        String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    #[test]
    fn every_request_line_gets_an_answer() {
        let answers = converse(
            b"{\"op\":\"modems\"}\n\nnonsense\n\xff\xfe\n{\"op\":\"status\",\"port\":\"zz\"}\n\
              {\"op\":\"send\",\"port\":\"a\",\"number\":\"12-3\",\"text\":\"hi\"}\n\
              {\"op\":\"send\",\"port\":\"a\",\"number\":\"123\",\"text\":\"hi\",\"class\":4}\n\
              {\"op\":\"status\",\"port\":\"a\"}",
        );
        assert_eq!(
            answers[0],
            json!({"ok": true, "result": [
                {"name": "a", "port": "usb1", "device": "/nonexistent/smsgate-test/ttyA"}
            ]})
        );
        let refusals: Vec<(&str, &str)> = answers[1..]
            .iter()
            .map(|answer| {
                assert_eq!(answer["ok"], false, "{answer}");
                (
                    answer["kind"].as_str().unwrap(),
                    answer["error"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(refusals.len(), 6, "{answers:?}");
        assert_eq!(refusals[0].0, "bad-request");
        assert!(
            refusals[0].1.starts_with("not a request: expected"),
            "{}",
            refusals[0].1
        );
        assert_eq!(refusals[1], ("bad-request", "request line 4: not UTF-8"));
        assert_eq!(refusals[2].0, "unknown-modem");
        assert!(refusals[2]
            .1
            .starts_with("no modem \"zz\" in this daemon (modems: a "));
        assert_eq!(refusals[3].0, "bad-request");
        assert!(
            refusals[3].1.starts_with("modem a: number: \"12-3\": "),
            "{}",
            refusals[3].1
        );
        assert_eq!(refusals[4], ("bad-request", "modem a: class: 4 is not 0-3"));
        // The modem's port does not exist: its driver refuses at once.
        assert_eq!(refusals[5].0, "modem");
        assert!(refusals[5].1.starts_with("modem a: "), "{}", refusals[5].1);
    }

    #[test]
    fn a_line_too_long_is_answered_then_the_connection_closed() {
        let mut input = vec![b'x'; MAX_LINE + 1];
        input.extend_from_slice(b"\n{\"op\":\"modems\"}\n");
        let answers = converse(&input);
        assert_eq!(
            answers,
            [json!({
                "ok": false,
                "kind": "bad-request",
                "error": format!("request line 1: longer than {MAX_LINE} bytes"),
            })]
        );
        // Exactly the limit is fine.
        let mut input = vec![b' '; MAX_LINE];
        input.extend_from_slice(b"\n{\"op\":\"modems\"}\n");
        let answers = converse(&input);
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0]["ok"], true);
    }

    #[test]
    fn the_client_reads_answers_and_refusals() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let ask = |answer: &str| {
            let mut written = Vec::new();
            let result = runtime.block_on(exchange(answer.as_bytes(), &mut written, &Request::Modems));
            assert_eq!(written, b"{\"op\":\"modems\"}\n");
            result
        };
        assert!(matches!(
            ask("{\"ok\":true,\"result\":[1]}\n").unwrap(),
            Answer::Done(value) if value == json!([1])
        ));
        assert!(matches!(
            ask("{\"ok\":false,\"kind\":\"no-message\",\"error\":\"none\"}\n").unwrap(),
            Answer::Refused(Refusal::NoMessage, error) if error == "none"
        ));
        assert!(ask("").unwrap_err().to_string().contains("hung up"));
        assert!(ask("{\"ok\":false}\n")
            .unwrap_err()
            .to_string()
            .contains("neither ok"));
    }

    #[test]
    fn control_section_of_the_config() {
        let parse = |text: &str| crate::daemon_config::DaemonConfig::parse(text, Path::new("smsgate.toml"));
        let config = parse("[spool]\nbase = \"/srv/sms\"\n").unwrap();
        assert_eq!(
            config.control_socket,
            Some(PathBuf::from("/srv/sms/smsgate.sock"))
        );
        let config = parse("[control]\nsocket = \"/run/sms.sock\"\n").unwrap();
        assert_eq!(config.control_socket, Some(PathBuf::from("/run/sms.sock")));
        let config = parse("[control]\nenabled = false\n").unwrap();
        assert_eq!(config.control_socket, None);
        let err = parse("[control]\nsockett = \"/x\"\n").unwrap_err().to_string();
        assert!(
            err.starts_with("smsgate.toml: line 2: unknown key \"sockett\" in [control]"),
            "{err}"
        );
    }
}
