//! The OpenAPI document, generated from the route handlers' annotations.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Support portal API", version = "1", description = "The REST API of the self-service support portal. See shared/api-contract.md."),
    servers((url = "/api/v1")),
    paths(crate::metrics::scrape),
    components(schemas(api_types::Problem, api_types::FieldError))
)]
pub struct ApiDoc;

/// The router of `/api/v1` and the OpenAPI document that describes exactly its routes.
pub fn split() -> (axum::Router<crate::AppState>, utoipa::openapi::OpenApi) {
    utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::routes::api())
        .split_for_parts()
}
