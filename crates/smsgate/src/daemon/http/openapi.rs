//! `GET /api/v1/openapi.json`: the OpenAPI document, generated from the
//! handlers' annotations and the request and answer types (utoipa), so it
//! cannot drift from them; a test checks every route of the router is in
//! it with its methods.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::daemon::http::{messages, modems, stream, system};

#[derive(OpenApi)]
#[openapi(
    info(title = "smsgate HTTP API", description = "Send and follow SMS through smsgate's spool and modems."),
    paths(
        messages::post_message,
        messages::list_messages,
        messages::get_message,
        messages::delete_message,
        modems::list_modems,
        modems::ussd,
        stream::events,
        system::healthz,
        system::readyz,
        system::metrics,
        openapi_json,
    ),
    components(schemas(
        crate::daemon::http::error::ErrorBody,
        crate::daemon::events::DaemonEvent,
    )),
    modifiers(&BearerAuth),
)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
