//! The control socket's server: binds the socket (mode 0600: whoever can
//! talk to it can send SMS as the daemon), serves each client's request
//! lines, and does each request with the daemon's own [`ModemHandle`]s,
//! whose queue puts them between the daemon's sends.

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use modem::ModemHandle;
use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::protocol::{read_line, refused, AnswerLine, LineError, Refusal, Request, MAX_LINE};
use super::registry::ModemRegistry;
use super::send::{SendError, SendSms};
use super::views::{self, MessageView, SendView, StatusView, UssdView};

/// `sun_path` holds 108 bytes, the final NUL included.
const MAX_SOCKET_PATH: usize = 107;

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
pub(crate) async fn serve_connection<R, W>(
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
                (refused(Refusal::BadRequest, &message), false)
            }
            Err(LineError::NotUtf8) => {
                let message = format!("request line {line_number}: not UTF-8");
                (refused(Refusal::BadRequest, &message), true)
            }
            Err(LineError::Io(err)) => {
                tracing::debug!(target: "smsgate", "control connection: {err}");
                return;
            }
        };
        let mut bytes = answer.into_bytes();
        bytes.push(b'\n');
        if writer.write_all(&bytes).await.is_err() || !go_on {
            return;
        }
    }
}

/// The answer line to one request line.
async fn answer(registry: &ModemRegistry, line: &str) -> String {
    let request = match Request::parse(line) {
        Ok(request) => request,
        Err(message) => return refused(Refusal::BadRequest, &message),
    };
    if let Some(line) = super::ops_server::answer(registry, &request).await {
        return line;
    }
    let Some((port, device)) = request.target() else {
        return AnswerLine::done(None, registry.list()).to_line();
    };
    let (name, modem) = match registry.find(port, device) {
        Ok(found) => found,
        Err(message) => return refused(Refusal::UnknownModem, &message),
    };
    let handle = &modem.handle;
    // The daemon empties the storage of a modem it receives for: its
    // inbox is what it wrote.
    // `--sms-storage` asks for that storage itself.
    match (&modem.received, request) {
        (
            _,
            Request::Modems
            | Request::Reload
            | Request::ModemControl { .. }
            | Request::LogLevel { .. }
            | Request::Resend { .. }
            | Request::DaemonStatus,
        ) => AnswerLine::done(None, registry.list()).to_line(),
        (Some(received), Request::Inbox { storage: None, .. }) => reply(&name, Ok(received.list(&name))),
        (Some(received), Request::Remove { index, .. }) => {
            let removed = match received.remove(&name, index) {
                Ok(Some(removed)) => Ok(removed),
                Ok(None) => Err((Refusal::NoMessage, format!("no message at index {index}"))),
                Err(err) => Err((Refusal::Modem, format!("removing message {index}: {err}"))),
            };
            reply(&name, removed)
        }
        (
            _,
            Request::Send {
                number,
                text,
                smsc,
                class,
                status_report_request,
                ..
            },
        ) => reply(
            &name,
            send(
                handle,
                &number,
                &text,
                smsc.as_deref(),
                class,
                status_report_request,
            )
            .await,
        ),
        (_, Request::Inbox { storage, .. }) => {
            let listed = handle.list_messages(storage.map(Into::into)).await;
            reply(
                &name,
                listed
                    .map(|messages| messages.iter().map(MessageView::new).collect::<Vec<_>>())
                    .map_err(modem_error),
            )
        }
        (_, Request::Remove { index, .. }) => {
            // The modem's storage indexes are 16 bits at most.
            let removed = match u32::try_from(index) {
                Ok(index) => views::remove_message(handle, index).await,
                Err(_) => Ok(None),
            };
            let removed = match removed {
                Ok(Some(removed)) => Ok(removed),
                Ok(None) => Err((Refusal::NoMessage, format!("no message at index {index}"))),
                Err(err) => Err(modem_error(err)),
            };
            reply(&name, removed)
        }
        (_, Request::Ussd { code, .. }) => {
            let mut answer = handle.ussd(&code).await.map_err(modem_error).map(|answer| {
                if let Some(text) = &answer.text {
                    // RouterOS's `gsm,info USSD: ...`.
                    tracing::info!(target: "smsgate", "{}: USSD: {text}", handle.port());
                }
                UssdView::new(&answer)
            });
            // The modem's `eventhandler-ussd` may rewrite the text; what it
            // gives is answered and remembered.
            if let (Ok(UssdView { text: Some(text), .. }), Some(handler)) = (&mut answer, &modem.ussd_handler)
            {
                *text = handler.run(&name, &code, text).await;
            }
            if let Some(text) = answer.as_ref().ok().and_then(|answer| answer.text.clone()) {
                registry.set_last_ussd(&name, text);
            }
            reply(&name, answer)
        }
        (
            _,
            Request::AtChat {
                command,
                timeout_ms,
                wait_ms,
                ..
            },
        ) => {
            let reply_view = views::at_chat_and_wait(
                handle,
                &command,
                timeout_ms.map(Duration::from_millis),
                Duration::from_millis(wait_ms.unwrap_or(0)),
            )
            .await
            .map_err(modem_error);
            if let Some(text) = reply_view
                .as_ref()
                .ok()
                .and_then(|reply_view| views::urc::last_ussd(&reply_view.unsolicited))
            {
                registry.set_last_ussd(&name, text);
            }
            reply(&name, reply_view)
        }
        (_, Request::Status { .. }) => {
            let status = handle.status().await;
            reply(
                &name,
                status
                    .map(|status| StatusView::new(handle.port(), &status))
                    .map_err(modem_error),
            )
        }
    }
}

/// The answer line for what modem `name` did.
fn reply<T: Serialize>(name: &str, performed: Result<T, (Refusal, String)>) -> String {
    match performed {
        Ok(result) => AnswerLine::done(Some(name), result).to_line(),
        Err((kind, message)) => refused(kind, &format!("modem {name}: {message}")),
    }
}

fn modem_error(err: modem::ModemError) -> (Refusal, String) {
    (Refusal::Modem, err.to_string())
}

/// `send` with `handle`: everything that can be checked without the modem
/// is, first.
async fn send(
    handle: &ModemHandle,
    number: &str,
    text: &str,
    smsc: Option<&str>,
    class: Option<u8>,
    status_report_request: bool,
) -> Result<SendView, (Refusal, String)> {
    let bad = |message: String| (Refusal::BadRequest, message);
    let SendSms { message, options } =
        SendSms::build(number, smsc, class, status_report_request).map_err(|err| match err {
            SendError::Number(err) => bad(format!("number: {err}")),
            SendError::Smsc(err) => bad(format!("smsc: {err}")),
            SendError::Class(class) => bad(format!("class: {class} is not 0-3")),
        })?;
    message
        .text_pdus(text, &options)
        .map_err(|err| bad(format!("text: {err}")))?;
    let references = handle
        .send_sms(&message, text, &options)
        .await
        .map_err(modem_error)?;
    Ok(SendView::new(&references))
}
