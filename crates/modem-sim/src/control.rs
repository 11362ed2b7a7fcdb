//! The control API: HTTP/JSON on loopback, for tests and scripts in any
//! language to drive a running simulator (`smsgate sim ctl` is one
//! client). Each endpoint is one [`SimClient`] operation; the routes and
//! bodies are listed in the crate README.
//!
//! Request bodies are read field by field rather than through serde
//! derive, so that every error names the field it is about (`{"error":
//! "encoding: expected auto, gsm7 or ucs2, got \"utf8\""}`), and unknown
//! fields are refused rather than ignored: a misspelt `parts_ordr` would
//! otherwise silently deliver all parts in order.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::sim::{Injection, ModemInfo, SimClient, SimError, SubmittedMessage};
use crate::{CallRecord, ExternalMessage, Fault, Storage, StoredMessage, TextEncoding};
use sms_pdu::{ConcatInfo, Pdu, Tpdu};

/// The routes, for serving on a listener of your own.
pub fn router(client: SimClient) -> Router {
    Router::new()
        .route("/modems", get(modems))
        .route("/modems/{index}", get(modem))
        .route("/modems/{index}/inject", post(inject))
        .route("/modems/{index}/status-report", post(status_report))
        .route("/modems/{index}/submitted", get(submitted))
        .route("/modems/{index}/messages", get(messages))
        .route("/modems/{index}/calls", get(calls))
        .route("/modems/{index}/call", post(incoming_call))
        .route("/modems/{index}/ussd", put(ussd))
        .route("/modems/{index}/fault", post(fault))
        .route("/modems/{index}/replug", post(replug))
        .route("/external", get(external))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint; see GET /modems") })
        .with_state(client)
}

/// Serves the API on `listener` until `token` fires.
pub(crate) async fn serve(listener: TcpListener, client: SimClient, token: CancellationToken) {
    // Errors here are accept failures the server retries itself, or the
    // end of the listener at shutdown; either way there is no one to tell.
    let _ = axum::serve(listener, router(client))
        .with_graceful_shutdown(token.cancelled_owned())
        .await;
}

/// An error response: `{"error": "..."}` with a status code.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn bad(field: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
    }
}

impl From<SimError> for ApiError {
    fn from(err: SimError) -> ApiError {
        let status = match err {
            SimError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            SimError::NoModem(_) => StatusCode::NOT_FOUND,
            SimError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            SimError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": self.message }))).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// `{"ok": true}`, for operations with nothing else to say.
#[derive(Serialize)]
struct Done {
    ok: bool,
}

const DONE: Done = Done { ok: true };

#[derive(Serialize)]
struct ModemJson {
    index: usize,
    name: String,
    msisdn: String,
    imei: String,
    imsi: String,
    iccid: String,
    /// The symlink.
    path: String,
    /// The PTY behind it; null while unplugged.
    pts: Option<String>,
    tcp: Option<String>,
    sm: StoreJson,
    me: StoreJson,
    registered: bool,
}

#[derive(Serialize)]
struct StoreJson {
    used: usize,
    capacity: usize,
}

impl From<ModemInfo> for ModemJson {
    fn from(info: ModemInfo) -> ModemJson {
        ModemJson {
            index: info.index,
            name: info.config.name,
            msisdn: info.config.msisdn,
            imei: info.config.imei,
            imsi: info.config.imsi,
            iccid: info.config.iccid,
            path: info.path.display().to_string(),
            pts: info.pts.map(|pts| pts.display().to_string()),
            tcp: info.tcp.map(|addr| addr.to_string()),
            sm: StoreJson {
                used: info.sm.0,
                capacity: info.sm.1,
            },
            me: StoreJson {
                used: info.me.0,
                capacity: info.me.1,
            },
            registered: info.registered,
        }
    }
}

#[derive(Serialize)]
struct SubmittedJson {
    mr: u8,
    pdu: String,
    to: Option<String>,
    text: Option<String>,
    status_report_request: Option<bool>,
    /// The concatenation header of one part of a longer message; null for
    /// a message in one part.
    concat: Option<ConcatJson>,
    submitted_at: String,
    /// Why the PDU did not decode.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `{"reference": 7, "sequence": 1, "total": 3}`.
#[derive(Serialize)]
struct ConcatJson {
    reference: u16,
    sequence: u8,
    total: u8,
}

impl From<ConcatInfo> for ConcatJson {
    fn from(concat: ConcatInfo) -> ConcatJson {
        ConcatJson {
            reference: concat.reference,
            sequence: concat.seq,
            total: concat.total,
        }
    }
}

/// A message in a modem's memory, decoded as far as it goes.
#[derive(Serialize, Default)]
struct StoredJson {
    mem: &'static str,
    index: usize,
    /// `REC UNREAD`, `REC READ`, `STO UNSENT` or `STO SENT`.
    stat: &'static str,
    /// As `AT+CMGR` shows it, SMSC address first.
    pdu: String,
    /// `deliver`, `status-report` or `submit`; null when it does not
    /// decode.
    #[serde(rename = "type")]
    kind: Option<&'static str>,
    /// The sender of a message.
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    /// The destination of a submit, the recipient a report is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    concat: Option<ConcatJson>,
    /// The TP-MR a report is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    mr: Option<u8>,
    /// TP-ST of a report.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u8>,
    /// Why the PDU did not decode.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl StoredJson {
    fn new(mem: Storage, index: usize, message: &StoredMessage) -> StoredJson {
        let mut json = StoredJson {
            mem: mem.name(),
            index,
            stat: message.stat.text(),
            pdu: sms_pdu::encode_hex(&message.pdu),
            ..StoredJson::default()
        };
        let tpdu = match Pdu::decode(&message.pdu) {
            Ok(decoded) => decoded.value.tpdu,
            Err(err) => {
                json.error = Some(err.to_string());
                return json;
            }
        };
        match tpdu {
            Tpdu::Deliver(deliver) => {
                json.kind = Some("deliver");
                json.from = Some(deliver.originator.to_string());
                json.text = deliver.text();
                json.concat = deliver
                    .user_data
                    .header
                    .as_ref()
                    .and_then(|header| header.concat())
                    .map(ConcatJson::from);
            }
            Tpdu::Submit(submit) => {
                json.kind = Some("submit");
                json.to = Some(submit.destination.to_string());
                json.text = submit.text();
                json.concat = submit
                    .user_data
                    .header
                    .as_ref()
                    .and_then(|header| header.concat())
                    .map(ConcatJson::from);
            }
            Tpdu::StatusReport(report) => {
                json.kind = Some("status-report");
                json.to = Some(report.recipient.to_string());
                json.mr = Some(report.message_reference);
                json.status = Some(report.status.0);
            }
        }
        json
    }
}

impl From<SubmittedMessage> for SubmittedJson {
    fn from(message: SubmittedMessage) -> SubmittedJson {
        let (to, text, status_report_request, concat, error) = match message.summary {
            Ok(summary) => (
                Some(summary.destination.to_string()),
                summary.text,
                Some(summary.status_report_request),
                summary.concat.map(ConcatJson::from),
                None,
            ),
            Err(err) => (None, None, None, None, Some(err)),
        };
        SubmittedJson {
            mr: message.mr,
            pdu: sms_pdu::encode_hex(&message.pdu),
            to,
            text,
            status_report_request,
            concat,
            submitted_at: message.submitted_at.to_string(),
            error,
        }
    }
}

#[derive(Serialize)]
struct ExternalJson {
    /// The index of the sending modem.
    from: usize,
    from_msisdn: String,
    mr: u8,
    pdu: String,
    to: String,
    text: Option<String>,
    status_report_request: bool,
    submitted_at: String,
}

impl From<ExternalMessage> for ExternalJson {
    fn from(message: ExternalMessage) -> ExternalJson {
        ExternalJson {
            from: message.from.0,
            from_msisdn: message.from_msisdn,
            mr: message.mr,
            pdu: sms_pdu::encode_hex(&message.pdu),
            to: message.summary.destination.to_string(),
            text: message.summary.text,
            status_report_request: message.summary.status_report_request,
            submitted_at: message.submitted_at.to_string(),
        }
    }
}

#[derive(Serialize)]
struct CallJson {
    number: String,
    result: &'static str,
    answered: bool,
    tones: String,
    hung_up: bool,
}

impl From<CallRecord> for CallJson {
    fn from(call: CallRecord) -> CallJson {
        CallJson {
            number: call.number,
            result: call.result,
            answered: call.answered,
            tones: call.tones,
            hung_up: call.hung_up,
        }
    }
}

#[derive(Serialize)]
struct InjectedJson {
    parts: usize,
}

async fn modems(State(client): State<SimClient>) -> Json<Vec<ModemJson>> {
    Json(client.modems().await.into_iter().map(ModemJson::from).collect())
}

async fn modem(State(client): State<SimClient>, Path(index): Path<String>) -> ApiResult<ModemJson> {
    Ok(Json(client.modem(modem_index(&index)?).await?.into()))
}

async fn inject(
    State(client): State<SimClient>,
    Path(index): Path<String>,
    body: Bytes,
) -> ApiResult<InjectedJson> {
    let index = modem_index(&index)?;
    let body = Body::parse(
        &body,
        &["from", "text", "pdu", "encoding", "class0", "parts_order"],
    )?;
    let injection = match (body.string("text")?, body.string("pdu")?) {
        (Some(text), None) => Injection::Text {
            from: body
                .string("from")?
                .ok_or_else(|| ApiError::bad("from", "missing: who sends the text"))?,
            text,
            encoding: match body.string("encoding")?.as_deref() {
                None | Some("auto") => TextEncoding::Auto,
                Some("gsm7") => TextEncoding::Gsm7,
                Some("ucs2") => TextEncoding::Ucs2,
                Some(other) => {
                    return Err(ApiError::bad(
                        "encoding",
                        format!("expected auto, gsm7 or ucs2, got {other:?}"),
                    ))
                }
            },
            class0: body.bool("class0")?.unwrap_or(false),
            parts_order: body.uint_list("parts_order")?,
        },
        (None, Some(pdu)) => {
            for field in ["encoding", "class0", "parts_order"] {
                if body.has(field) {
                    return Err(ApiError::bad(field, "applies to \"text\", not to \"pdu\""));
                }
            }
            Injection::Pdu(sms_pdu::decode_hex(&pdu).map_err(|err| ApiError::bad("pdu", err))?)
        }
        (Some(_), Some(_)) => return Err(ApiError::bad("text", "give \"text\" or \"pdu\", not both")),
        (None, None) => return Err(ApiError::bad("text", "missing: give \"text\" or \"pdu\"")),
    };
    let parts = client.inject(index, injection).await?;
    Ok(Json(InjectedJson { parts }))
}

async fn status_report(
    State(client): State<SimClient>,
    Path(index): Path<String>,
    body: Bytes,
) -> ApiResult<Done> {
    let index = modem_index(&index)?;
    let body = Body::parse(&body, &["mr", "status", "to"])?;
    let mr = body
        .byte("mr")?
        .ok_or_else(|| ApiError::bad("mr", "missing: the +CMGS reference to report on"))?;
    let status = body.byte("status")?.unwrap_or(0);
    client
        .status_report(index, mr, status, body.string("to")?)
        .await?;
    Ok(Json(DONE))
}

async fn submitted(
    State(client): State<SimClient>,
    Path(index): Path<String>,
) -> ApiResult<Vec<SubmittedJson>> {
    let messages = client.submitted(modem_index(&index)?).await?;
    Ok(Json(messages.into_iter().map(SubmittedJson::from).collect()))
}

async fn messages(State(client): State<SimClient>, Path(index): Path<String>) -> ApiResult<Vec<StoredJson>> {
    let stores = client.stores(modem_index(&index)?).await?;
    let mut listed = Vec::new();
    for mem in [Storage::Sm, Storage::Me] {
        for (slot, message) in stores.get(mem).iter() {
            listed.push(StoredJson::new(mem, slot, message));
        }
    }
    Ok(Json(listed))
}

async fn calls(State(client): State<SimClient>, Path(index): Path<String>) -> ApiResult<Vec<CallJson>> {
    let calls = client.calls(modem_index(&index)?).await?;
    Ok(Json(calls.into_iter().map(CallJson::from).collect()))
}

/// `{"from": "+37120000000"}`: a call rings on the modem; `rang` false
/// when it could not (no network, a call already).
async fn incoming_call(
    State(client): State<SimClient>,
    Path(index): Path<String>,
    body: Bytes,
) -> ApiResult<serde_json::Value> {
    let index = modem_index(&index)?;
    let body = Body::parse(&body, &["from"])?;
    let from = body
        .string("from")?
        .ok_or_else(|| ApiError::bad("from", "missing: the caller's number"))?;
    let rang = client.incoming_call(index, &from).await?;
    Ok(Json(serde_json::json!({ "rang": rang })))
}

async fn external(State(client): State<SimClient>) -> ApiResult<Vec<ExternalJson>> {
    Ok(Json(
        client
            .external()
            .await?
            .into_iter()
            .map(ExternalJson::from)
            .collect(),
    ))
}

async fn ussd(State(client): State<SimClient>, Path(index): Path<String>, body: Bytes) -> ApiResult<Done> {
    let index = modem_index(&index)?;
    let body = Body::parse(&body, &["code", "answer", "raw", "dcs"])?;
    let code = body
        .string("code")?
        .ok_or_else(|| ApiError::bad("code", "missing: the USSD code, e.g. *100#"))?;
    match (body.string("answer")?, body.string("raw")?) {
        (Some(answer), None) => {
            if body.has("dcs") {
                return Err(ApiError::bad("dcs", "applies to \"raw\", not to \"answer\""));
            }
            client.set_ussd(index, &code, &answer).await?;
        }
        (None, Some(raw)) => {
            // Hex octets, as modems print encoded USSD (RouterOS's
            // EBB79B1E0685E9ECF4BADE9E03, packed GSM 7-bit).
            if raw.is_empty() || raw.len() % 2 != 0 || !raw.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                return Err(ApiError::bad("raw", format!("expected hex octets, got {raw:?}")));
            }
            let dcs = body.byte("dcs")?.ok_or_else(|| {
                ApiError::bad(
                    "dcs",
                    "missing: the data coding scheme of \"raw\" (15: GSM 7-bit)",
                )
            })?;
            client.set_ussd_raw(index, &code, &raw, dcs).await?;
        }
        (Some(_), Some(_)) => return Err(ApiError::bad("answer", "give \"answer\" or \"raw\", not both")),
        (None, None) => {
            return Err(ApiError::bad(
                "answer",
                "missing: the network's answer (\"answer\", or \"raw\" hex with \"dcs\")",
            ))
        }
    }
    Ok(Json(DONE))
}

/// The values of `"kind"`, in the order of [`Fault`].
const FAULT_KINDS: &str = "delay, silence, garbage, cms-error, cme-error, prompt-error, hang, sim-removed, \
                           pin-required, sim-full, no-network, unplug, unplug-on-send, call-busy, \
                           call-unanswered, clear";

async fn fault(State(client): State<SimClient>, Path(index): Path<String>, body: Bytes) -> ApiResult<Done> {
    let index = modem_index(&index)?;
    let body = Body::parse(&body, &["kind", "code", "count", "ms"])?;
    let kind = body
        .string("kind")?
        .ok_or_else(|| ApiError::bad("kind", format!("missing: one of {FAULT_KINDS}")))?;
    let (fault, fields): (Fault, &[&str]) = match kind.as_str() {
        "delay" => (
            Fault::Delay {
                ms: body.required_uint("ms", u64::MAX)?,
            },
            &["ms"],
        ),
        "silence" => (Fault::Silence, &[]),
        "garbage" => (Fault::Garbage, &[]),
        "cms-error" => (
            Fault::CmsError {
                code: body.code()?,
                count: body.count()?,
            },
            &["code", "count"],
        ),
        "cme-error" => (
            Fault::CmeError {
                code: body.code()?,
                count: body.count()?,
            },
            &["code", "count"],
        ),
        "prompt-error" => (Fault::PromptError { count: body.count()? }, &["count"]),
        "hang" => (Fault::Hang, &[]),
        "sim-removed" => (Fault::SimRemoved, &[]),
        "pin-required" => (Fault::PinRequired, &[]),
        "sim-full" => (Fault::SimFull, &[]),
        "no-network" => (Fault::NoNetwork, &[]),
        "unplug" => (Fault::Unplug, &[]),
        "unplug-on-send" => (Fault::UnplugOnSend, &[]),
        "call-busy" => (Fault::CallBusy, &[]),
        "call-unanswered" => (Fault::CallUnanswered, &[]),
        "clear" => (Fault::Clear, &[]),
        other => {
            return Err(ApiError::bad(
                "kind",
                format!("expected one of {FAULT_KINDS}, got {other:?}"),
            ))
        }
    };
    for field in ["code", "count", "ms"] {
        if body.has(field) && !fields.contains(&field) {
            return Err(ApiError::bad(field, format!("does not apply to kind {kind:?}")));
        }
    }
    client.fault(index, fault).await?;
    Ok(Json(DONE))
}

async fn replug(State(client): State<SimClient>, Path(index): Path<String>) -> ApiResult<Done> {
    client.replug(modem_index(&index)?).await?;
    Ok(Json(DONE))
}

fn modem_index(text: &str) -> Result<usize, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad("index", format!("{text:?} is not a modem number")))
}

/// A JSON object body, read field by field.
struct Body {
    fields: Map<String, Value>,
}

impl Body {
    /// Parses `bytes` as an object with no fields but `allowed`. An empty
    /// body is an empty object.
    fn parse(bytes: &[u8], allowed: &[&str]) -> Result<Body, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body { fields: Map::new() });
        }
        let fields = match serde_json::from_slice(bytes) {
            Ok(Value::Object(fields)) => fields,
            Ok(_) => return Err(ApiError::bad("body", "expected a JSON object")),
            Err(err) => return Err(ApiError::bad("body", format!("not JSON: {err}"))),
        };
        if let Some(unknown) = fields.keys().find(|name| !allowed.contains(&name.as_str())) {
            return Err(ApiError::bad(
                unknown,
                format!("unknown field; expected {}", allowed.join(", ")),
            ));
        }
        Ok(Body { fields })
    }

    fn has(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|value| !value.is_null())
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|value| !value.is_null())
    }

    fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(ApiError::bad(name, format!("expected a string, got {other}"))),
        }
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(ApiError::bad(
                name,
                format!("expected true or false, got {other}"),
            )),
        }
    }

    fn uint(&self, name: &str, max: u64) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => match value.as_u64() {
                Some(number) if number <= max => Ok(Some(number)),
                _ => Err(ApiError::bad(
                    name,
                    format!("expected a whole number from 0 to {max}, got {value}"),
                )),
            },
        }
    }

    fn required_uint(&self, name: &str, max: u64) -> Result<u64, ApiError> {
        self.uint(name, max)?
            .ok_or_else(|| ApiError::bad(name, "missing"))
    }

    fn byte(&self, name: &str) -> Result<Option<u8>, ApiError> {
        Ok(self.uint(name, u64::from(u8::MAX))?.map(|number| number as u8))
    }

    /// `"code"` of a `+CMS`/`+CME ERROR` fault.
    fn code(&self) -> Result<u16, ApiError> {
        Ok(self.required_uint("code", u64::from(u16::MAX))? as u16)
    }

    /// `"count"` of a fault that affects the next sends: 1 unless given.
    fn count(&self) -> Result<u32, ApiError> {
        Ok(self
            .uint("count", u64::from(u32::MAX))?
            .map_or(1, |count| count as u32))
    }

    fn uint_list(&self, name: &str) -> Result<Option<Vec<usize>>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let bad = || {
            ApiError::bad(
                name,
                format!("expected a list of part numbers like [3, 1, 2], got {value}"),
            )
        };
        let items = value.as_array().ok_or_else(bad)?;
        items
            .iter()
            .map(|item| {
                item.as_u64()
                    .and_then(|number| usize::try_from(number).ok())
                    .ok_or_else(bad)
            })
            .collect::<Result<Vec<usize>, ApiError>>()
            .map(Some)
    }
}
