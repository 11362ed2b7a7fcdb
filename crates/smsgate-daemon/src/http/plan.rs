//! `POST /api/v1/plan`: how a text would be sent (encoding, parts, room
//! left in the last part), planned by the same code that plans a spool
//! file for the scheduler: the console counts with the codec's rules,
//! never with its own copy of them.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use sms_pdu::{Alphabet, Body, UserData, MAX_OCTETS, MAX_SEPTETS};
use utoipa::ToSchema;

use crate::http::auth::authorize;
use crate::http::config::Scope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::submit::{self, Recipients, SendRequest};
use crate::http::AppState;

/// A number that any numbering plan takes, for a plan without `to`: the
/// recipient changes neither the encoding nor the parts, only the queue.
const PLACEHOLDER_NUMBER: &str = "+10000000000";

/// The body of `POST /api/v1/plan`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanRequest {
    pub(crate) text: String,
    /// The recipient, if known: it may choose the queue (its prefixes).
    #[serde(default)]
    pub(crate) to: Option<String>,
    #[serde(default)]
    pub(crate) queue: Option<String>,
    /// smstools3's 0-3.
    #[serde(default)]
    pub(crate) autosplit: Option<u8>,
}

/// The answer of `POST /api/v1/plan`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub(crate) struct PlanAnswer {
    /// `gsm7` or `ucs2`.
    pub(crate) encoding: String,
    /// How many SMS it takes.
    pub(crate) parts: usize,
    /// Room left in the last part: septets for `gsm7` (a character of the
    /// extension table takes two), UTF-16 units for `ucs2`.
    pub(crate) chars_left: usize,
    /// `[limits] max-parts`: a text over it is refused on submit.
    pub(crate) max_parts: u16,
}

/// Plans a text as a submit of it would be sent.
#[utoipa::path(
    post, path = "/api/v1/plan", tag = "messages",
    request_body = PlanRequest,
    responses(
        (status = 200, body = PlanAnswer),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "The text cannot be sent (a field is named)", body = ErrorBody),
    ),
    security(("bearer" = ["send"]))
)]
pub(crate) async fn plan_text(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<PlanAnswer>, ApiError> {
    authorize(&state.settings.tokens, &headers, Scope::Send)?;
    let request: PlanRequest = serde_json::from_slice(&body).map_err(|err| ApiError::invalid("body", err))?;
    let to = request
        .to
        .filter(|to| !to.trim().is_empty())
        .unwrap_or_else(|| PLACEHOLDER_NUMBER.to_owned());
    let send = SendRequest {
        to: Recipients::One(to.clone()),
        text: Some(request.text),
        queue: request.queue,
        autosplit: request.autosplit,
        ..SendRequest::default()
    };
    // Planning is CPU work on a short text; no file is read or written.
    let config = &state.config;
    let bytes = submit::render_unchecked(config, &send, &to, "plan")?;
    let plan = submit::plan_file(config, &bytes)?;
    let last = plan
        .pdus
        .last()
        .ok_or_else(|| ApiError::invalid("text", "planned into no part"))?;
    let sms_pdu::Tpdu::Submit(submit) = &last.tpdu else {
        return Err(ApiError::invalid("text", "not planned as an SMS-SUBMIT"));
    };
    let encoding = submit.dcs.alphabet();
    Ok(Json(PlanAnswer {
        encoding: encoding.name().to_owned(),
        parts: plan.pdus.len(),
        chars_left: room_left(encoding, &submit.user_data),
        max_parts: config.limits.max_parts,
    }))
}

/// The room `user_data`'s part has left after its header and body, in
/// the units of `alphabet`.
fn room_left(alphabet: Alphabet, user_data: &UserData) -> usize {
    let header_octets = user_data.header.as_ref().map_or(0, |header| header.encoded_len());
    match (&user_data.body, alphabet) {
        (Body::Septets(septets), _) => {
            // The header takes whole septets: it is padded to a septet
            // boundary (23.040 9.2.3.24).
            let header_septets = (header_octets * 8).div_ceil(7);
            MAX_SEPTETS.saturating_sub(header_septets + septets.len())
        }
        (Body::Octets(octets), Alphabet::Ucs2) => MAX_OCTETS.saturating_sub(header_octets + octets.len()) / 2,
        (Body::Octets(octets), _) => MAX_OCTETS.saturating_sub(header_octets + octets.len()),
    }
}

#[cfg(test)]
mod tests {
    use sms_pdu::UserDataHeader;

    use super::*;

    #[test]
    fn room_is_counted_after_the_header() {
        let plain = UserData {
            header: None,
            body: Body::Septets(vec![0; 150]),
        };
        assert_eq!(room_left(Alphabet::Gsm7, &plain), 10);
        let concatenated = UserData {
            header: Some(UserDataHeader::concat8(1, 2, 2)),
            body: Body::Septets(vec![0; 100]),
        };
        // 6 header octets are 7 septets: 153 per part.
        assert_eq!(room_left(Alphabet::Gsm7, &concatenated), 53);
        let ucs2 = UserData {
            header: Some(UserDataHeader::concat8(1, 2, 2)),
            body: Body::Octets(vec![0; 20]),
        };
        assert_eq!(room_left(Alphabet::Ucs2, &ucs2), 57);
    }
}
