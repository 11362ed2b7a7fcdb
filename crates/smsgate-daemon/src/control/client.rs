//! The control socket's client: one request, its typed answer.

use std::path::Path;

use anyhow::{bail, Context};
use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::UnixStream;

use super::protocol::{read_line, Answer, LineError, Request};

/// Sends `request` on the socket at `path` and reads the answer, whose
/// result is a `T` (the table in [`super::protocol`] says which). An
/// error means the daemon could not be asked (no socket, nothing
/// listening, a broken answer).
pub async fn ask<T: DeserializeOwned>(path: &Path, request: &Request) -> anyhow::Result<Answer<T>> {
    let stream = UnixStream::connect(path)
        .await
        .with_context(|| format!("control socket {}", path.display()))?;
    let (reader, writer) = stream.into_split();
    exchange(BufReader::new(reader), writer, request)
        .await
        .with_context(|| format!("control socket {}", path.display()))
}

pub(crate) async fn exchange<T, R, W>(
    mut reader: R,
    mut writer: W,
    request: &Request,
) -> anyhow::Result<Answer<T>>
where
    T: DeserializeOwned,
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
    Answer::parse(&answer)
}
