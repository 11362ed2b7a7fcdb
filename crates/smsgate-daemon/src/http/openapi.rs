//! `GET /api/v1/openapi.json`: the OpenAPI document, generated from the
//! handlers' annotations and the request and answer types (utoipa), so it
//! cannot drift from them; a test checks every route of the router is in
//! it with its methods.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::{admin, inbox, messages, modems, plan, resend, stream, system};

#[derive(OpenApi)]
#[openapi(
    info(title = "smsgate HTTP API", description = "Send and follow SMS through smsgate's spool and modems."),
    paths(
        messages::post_message,
        messages::list_messages,
        messages::get_message,
        messages::delete_message,
        resend::resend,
        plan::plan_text,
        inbox::list_inbox,
        inbox::get_inbox,
        inbox::delete_inbox,
        modems::list_modems,
        modems::ussd,
        modems::unblock,
        stream::events,
        system::healthz,
        system::readyz,
        system::metrics,
        openapi_json,
        admin::reload,
        admin::log_level,
        admin::resend_failed,
        admin::suspend,
        admin::resume,
        admin::reopen,
        admin::status,
    ),
    components(schemas(
        crate::http::error::ErrorBody,
        crate::events::DaemonEvent,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The routes of `router()` as its source declares them: (path,
    /// method) for every `.route("PATH", get(..).delete(..))`, its own and
    /// those of the admin routes it merges.
    fn routes_of_the_router() -> BTreeSet<(String, String)> {
        let source = include_str!("mod.rs");
        let body = &source[source.find("pub(crate) fn router(").unwrap()..];
        let body = &body[..body.find(".fallback(").unwrap()];
        assert!(body.contains(".merge(admin::routes())"));
        let admin = include_str!("admin.rs");
        let admin = &admin[admin.find("pub(crate) fn routes(").unwrap()..];
        let admin = &admin[..admin.find("\n}\n").unwrap()];
        let mut routes = BTreeSet::new();
        for chunk in body
            .split(".route(")
            .chain(admin.split(".route(").skip(1))
            .skip(1)
        {
            let path = chunk.split('"').nth(1).unwrap();
            for method in ["get", "post", "put", "patch", "delete"] {
                if chunk.contains(&format!("{method}(")) {
                    routes.insert((path.to_owned(), method.to_owned()));
                }
            }
        }
        routes
    }

    #[test]
    fn the_document_has_every_route_and_no_other() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.insert((path.clone(), method.clone()));
            }
        }
        let routes = routes_of_the_router();
        assert!(routes.len() >= 10, "{routes:?}");
        assert_eq!(documented, routes);
    }

    #[test]
    fn every_schema_a_route_names_is_in_the_document() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                schemas.contains_key(name),
                "{name} is referred to and not defined"
            );
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }
}
