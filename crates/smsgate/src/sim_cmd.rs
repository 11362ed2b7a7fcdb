//! `smsgate sim` and `smsgate sim ctl`: the modem simulator on the command
//! line, and a small client for its control API.
//!
//! `sim` runs `modem_sim`'s simulator until Ctrl-C or SIGTERM. `sim ctl`
//! turns its arguments into one control API request and prints the JSON
//! answer. Its HTTP client is a few lines over `std::net::TcpStream`
//! rather than a crate: it talks to one loopback server, one request per
//! connection (`Connection: close`), so it needs neither TLS, pooling nor
//! redirects.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::ValueEnum;
use modem_sim::sim::{SimConfig, SimHandle, Simulator};
use serde_json::{json, Value};

use crate::cli::{CtlArgs, CtlInjectArgs, CtlRequest, InjectEncoding, SimArgs, SimCommand, SimRunArgs};

/// How long `sim ctl` waits for the simulator. Every request is answered
/// at once, so this only bounds a simulator that hangs.
const CTL_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `smsgate sim ...`.
pub(crate) fn run(args: &SimArgs) -> anyhow::Result<()> {
    match &args.command {
        None => run_simulator(&args.run),
        Some(SimCommand::Ctl(ctl)) => run_ctl(ctl),
    }
}

fn run_simulator(args: &SimRunArgs) -> anyhow::Result<()> {
    let mut config = SimConfig::new(
        usize::from(args.modems),
        args.dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("smsgate-sim")),
    );
    config.tcp = args.tcp;
    config.control = Some(args.control);
    config.air_time = Duration::from_millis(args.air_time_ms);
    let runtime = crate::runtime::multi_thread()?;
    runtime.block_on(async {
        let sim = Simulator::start(config).await?;
        print_modems(&sim).await?;
        wait_for_signal().await?;
        sim.shutdown().await;
        Ok(())
    })
}

/// Prints one line per modem and the control address, for people and for
/// scripts that wait for the `control` line.
async fn print_modems(sim: &SimHandle) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for info in sim.modems().await {
        let pts = info
            .pts
            .map_or_else(|| "(unplugged)".to_owned(), |pts| pts.display().to_string());
        write!(
            stdout,
            "{}  {} -> {}  +{}",
            info.config.name,
            info.path.display(),
            pts,
            info.config.msisdn
        )?;
        if let Some(tcp) = info.tcp {
            write!(stdout, "  tcp {tcp}")?;
        }
        writeln!(stdout)?;
    }
    if let Some(control) = sim.control_addr() {
        writeln!(stdout, "control http://{control}")?;
    }
    stdout.flush()
}

async fn wait_for_signal() -> io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}

fn run_ctl(args: &CtlArgs) -> anyhow::Result<()> {
    let (method, path, body) = ctl_request(&args.request);
    let (status, answer) = http_request(args.control, method, &path, body.as_ref())
        .with_context(|| format!("control API at {}", args.control))?;
    let answer: Value = serde_json::from_str(&answer).with_context(|| {
        format!(
            "control API at {} answered {status} with {answer:?}",
            args.control
        )
    })?;
    if !(200..300).contains(&status) {
        let message = answer["error"]
            .as_str()
            .map_or_else(|| answer.to_string(), str::to_owned);
        bail!("{method} {path}: {message}");
    }
    // Formatted first, so that a closed stdout fails as an io::Error, which
    // main treats as the reader having seen enough.
    let text = serde_json::to_string_pretty(&answer)?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}

/// The method, path and body of a `sim ctl` request.
fn ctl_request(request: &CtlRequest) -> (&'static str, String, Option<Value>) {
    match request {
        CtlRequest::Modems => ("GET", "/modems".to_owned(), None),
        CtlRequest::Inject(inject) => (
            "POST",
            format!("/modems/{}/inject", inject.index),
            Some(inject_body(inject)),
        ),
        CtlRequest::StatusReport {
            index,
            mr,
            status,
            to,
        } => {
            let mut body = json!({ "mr": mr, "status": status });
            if let Some(to) = to {
                body["to"] = json!(to);
            }
            ("POST", format!("/modems/{index}/status-report"), Some(body))
        }
        CtlRequest::Submitted { index } => ("GET", format!("/modems/{index}/submitted"), None),
        CtlRequest::Calls { index } => ("GET", format!("/modems/{index}/calls"), None),
        CtlRequest::Call { index, from } => (
            "POST",
            format!("/modems/{index}/call"),
            Some(json!({ "from": from })),
        ),
        CtlRequest::External => ("GET", "/external".to_owned(), None),
        CtlRequest::Ussd {
            index,
            code,
            answer,
            raw_hex,
            dcs,
        } => {
            // clap lets through an answer or a raw answer with its DCS;
            // the API checks the hex and names what is wrong.
            let body = match (answer, raw_hex) {
                (Some(answer), _) => json!({ "code": code, "answer": answer }),
                (None, raw) => json!({ "code": code, "raw": raw, "dcs": dcs }),
            };
            ("PUT", format!("/modems/{index}/ussd"), Some(body))
        }
        CtlRequest::Messages { index } => ("GET", format!("/modems/{index}/messages"), None),
        CtlRequest::Fault {
            index,
            kind,
            code,
            count,
            ms,
        } => {
            let name = kind
                .to_possible_value()
                .map(|value| value.get_name().to_owned())
                .unwrap_or_default();
            let mut body = json!({ "kind": name });
            // Only what was given: the API refuses fields a kind does not
            // take, and says which.
            for (field, value) in [
                ("code", code.map(u64::from)),
                ("count", count.map(u64::from)),
                ("ms", *ms),
            ] {
                if let Some(value) = value {
                    body[field] = json!(value);
                }
            }
            ("POST", format!("/modems/{index}/fault"), Some(body))
        }
        CtlRequest::Replug { index } => ("POST", format!("/modems/{index}/replug"), None),
    }
}

fn inject_body(inject: &CtlInjectArgs) -> Value {
    let mut body = json!({});
    if let Some(from) = &inject.from {
        body["from"] = json!(from);
    }
    if let Some(pdu) = &inject.pdu {
        body["pdu"] = json!(pdu);
        return body;
    }
    body["text"] = json!(inject.text);
    body["encoding"] = json!(match inject.encoding {
        InjectEncoding::Auto => "auto",
        InjectEncoding::Gsm7 => "gsm7",
        InjectEncoding::Ucs2 => "ucs2",
    });
    body["class0"] = json!(inject.class0);
    if let Some(parts_order) = &inject.parts_order {
        body["parts_order"] = json!(parts_order);
    }
    body
}

/// One HTTP/1.1 request; returns the status code and the body.
fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, String)> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream =
        TcpStream::connect_timeout(&addr, CTL_TIMEOUT).context("connecting (is `smsgate sim` running?)")?;
    stream.set_read_timeout(Some(CTL_TIMEOUT))?;
    stream.set_write_timeout(Some(CTL_TIMEOUT))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()?;
    // The server closes the connection after the answer, so the answer is
    // everything up to the end.
    let mut response = Vec::new();
    stream.read_to_end(&mut response).context("reading the answer")?;
    parse_response(&response)
}

/// Splits an HTTP/1.1 response into its status code and body, undoing a
/// chunked transfer encoding.
fn parse_response(response: &[u8]) -> anyhow::Result<(u16, String)> {
    let response = String::from_utf8_lossy(response);
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        bail!("not an HTTP response: {response:?}");
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("no status code in {head:?}"))?;
    let chunked = head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let body = if chunked { dechunk(body)? } else { body.to_owned() };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    loop {
        let (size_line, rest) = body.split_once("\r\n").context("chunked body ends early")?;
        // A chunk size may carry extensions after `;`.
        let size_text = size_line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size_text, 16).with_context(|| format!("bad chunk size {size_text:?}"))?;
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).context("chunk shorter than its size")?;
        out.push_str(chunk);
        body = rest.get(size + 2..).context("chunk without its CRLF")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]";
        assert_eq!(parse_response(plain).unwrap(), (200, "[]".to_owned()));
        let chunked = b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3;x=y\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), (400, "{\"a\":1}".to_owned()));
        assert!(parse_response(b"garbage").is_err());
    }

    /// The CLI as a user types it.
    fn ctl_args(args: &[&str]) -> Result<CtlRequest, clap::Error> {
        use clap::Parser;
        let argv = ["smsgate", "sim", "ctl"].iter().chain(args);
        match crate::cli::Cli::try_parse_from(argv)?.command {
            crate::cli::Command::Sim(crate::cli::SimArgs {
                command: Some(SimCommand::Ctl(ctl)),
                ..
            }) => Ok(ctl.request),
            other => panic!("not sim ctl: {other:?}"),
        }
    }

    #[test]
    fn ussd_answers_as_text_or_raw_hex() {
        let request = ctl_args(&["ussd", "0", "--code", "*100#", "--answer", "10 EUR"]).unwrap();
        let (method, path, body) = ctl_request(&request);
        assert_eq!((method, path.as_str()), ("PUT", "/modems/0/ussd"));
        assert_eq!(body.unwrap(), json!({"code": "*100#", "answer": "10 EUR"}));
        let raw = [
            "ussd",
            "1",
            "--code",
            "*245#",
            "--raw-hex",
            "EBB79B1E0685E9ECF4BADE9E03",
            "--dcs",
            "15",
        ];
        let (_, path, body) = ctl_request(&ctl_args(&raw).unwrap());
        assert_eq!(path, "/modems/1/ussd");
        assert_eq!(
            body.unwrap(),
            json!({"code": "*245#", "raw": "EBB79B1E0685E9ECF4BADE9E03", "dcs": 15})
        );
        // One form or the other, and raw needs its DCS.
        for bad in [
            &["ussd", "0", "--code", "*1#"][..],
            &["ussd", "0", "--code", "*1#", "--raw-hex", "EB"],
            &["ussd", "0", "--code", "*1#", "--dcs", "15", "--answer", "x"],
            &[
                "ussd",
                "0",
                "--code",
                "*1#",
                "--answer",
                "x",
                "--raw-hex",
                "EB",
                "--dcs",
                "15",
            ],
        ] {
            assert!(ctl_args(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn messages_lists_a_modems_memories() {
        let (method, path, body) = ctl_request(&ctl_args(&["messages", "2"]).unwrap());
        assert_eq!((method, path.as_str(), body), ("GET", "/modems/2/messages", None));
    }

    #[test]
    fn fault_requests_carry_only_given_fields() {
        let (method, path, body) = ctl_request(&CtlRequest::Fault {
            index: 1,
            kind: crate::cli::FaultKind::CmsError,
            code: Some(38),
            count: None,
            ms: None,
        });
        assert_eq!((method, path.as_str()), ("POST", "/modems/1/fault"));
        assert_eq!(body.unwrap(), json!({"kind": "cms-error", "code": 38}));
    }
}
