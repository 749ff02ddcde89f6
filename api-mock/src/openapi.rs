//! The OpenAPI document, generated from the route handlers' annotations.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Support portal API", version = "1", description = "The REST API of the self-service support portal. See shared/api-contract.md."),
    servers((url = "/api/v1")),
    paths(crate::metrics::scrape, crate::sitemap::sitemap, crate::sitemap::robots),
    components(schemas(api_types::Problem, api_types::FieldError))
)]
pub struct ApiDoc;

/// The router of `/api/v1` and the OpenAPI document that describes exactly its routes.
pub fn split() -> (axum::Router<crate::AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::routes::api())
        .split_for_parts();
    declare_errors(&mut doc);
    (router, doc)
}

/// The refusals every operation may answer, declared once here rather than on each handler: errors are
/// `application/problem+json`; any path or query value of the wrong type is a 400; an operation that
/// answers 403 also answers 401 without a session; a mutating request may be too large (413), not JSON
/// (415) or invalid (422); and the few operations with brakes answer 429 and 503 with `Retry-After`.
fn declare_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{
        ContentBuilder, Ref, RefOr,
        response::{Response, ResponseBuilder},
    };
    let problem = |description: &str| -> RefOr<Response> {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            (false, &mut item.get),
            (true, &mut item.post),
            (true, &mut item.put),
            (true, &mut item.patch),
            (true, &mut item.delete),
        ];
        for (mutating, operation) in operations {
            let Some(operation) = operation else { continue };
            let responses = &mut operation.responses.responses;
            for (code, response) in responses.iter_mut() {
                if let RefOr::T(r) = response
                    && (code.starts_with('4') || code.starts_with('5'))
                    && let Some(content) = r.content.shift_remove("application/json")
                {
                    r.content.insert("application/problem+json".into(), content);
                }
            }
            let mut add = |code: &str, description: &str| {
                responses
                    .entry(code.to_string())
                    .or_insert_with(|| problem(description));
            };
            add(
                "400",
                "Malformed: a path or query value of the wrong type, or a body that is not the JSON expected",
            );
            if operation_needs_session(path, mutating) {
                add("401", "Not signed in");
            }
            if mutating {
                add("413", "The body is over 1 MiB");
                add(
                    "415",
                    "Not `Content-Type: application/json` (required even without a body)",
                );
                add("422", "Invalid fields");
            }
            let braked = matches!(
                path.as_str(),
                "/auth/login" | "/me/password" | "/kb/articles/{slug}/feedback"
            );
            if braked && mutating {
                add("429", "Too many attempts; see `Retry-After`");
            }
            if matches!(path.as_str(), "/auth/login" | "/me/password" | "/kb/search") {
                add(
                    "503",
                    "Busy (every password-verification slot taken) or the search over its time budget; see `Retry-After`",
                );
            }
        }
    }
}

/// Whether an operation needs a session, from what its handler declares (a 401 or a 403).
fn operation_needs_session(path: &str, _mutating: bool) -> bool {
    // Public and session-optional operations.
    !matches!(
        path,
        "/auth/login"
            | "/auth/logout"
            | "/auth/session"
            | "/announcements"
            | "/kb/categories"
            | "/kb/search"
            | "/kb/searches"
            | "/kb/articles/{slug}/feedback"
    )
}
