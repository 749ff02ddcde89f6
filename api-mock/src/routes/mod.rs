//! The API's routes, one module per feature, each with its own `router()`.

pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod attachments;
pub mod health;
pub mod inbound;
pub mod kb;
pub mod links;
pub mod reports;
pub mod tickets;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Every route under `/api/v1`, with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(admin::router())
        .merge(announcements::router())
        .merge(attachments::router())
        .merge(inbound::router())
        .merge(kb::router())
        .merge(links::router())
        .merge(reports::router())
        .merge(tickets::router())
}

/// A time in a query string, for the OpenAPI document: RFC 3339, or empty for "not given" (as a form
/// sends an empty field); anything else answers 422.
pub struct QueryTime;

impl utoipa::PartialSchema for QueryTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{
            ObjectBuilder, OneOfBuilder,
            schema::{KnownFormat, SchemaFormat, Type},
        };
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(0)),
            )
            .into()
    }
}

impl utoipa::ToSchema for QueryTime {}

/// `?page=&per_page=`, within the contract's bounds (see `check`).
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl Paging {
    /// Refuses a page below 1 or a page size outside 1..=100 (422), as the OpenAPI document bounds them.
    pub fn check(&self) -> crate::Result<()> {
        let mut v = crate::error::Validator::new();
        if self.page.is_some_and(|p| !(1..=1_000_000).contains(&p)) {
            v.add("page", range(1, 1_000_000));
        }
        if self.per_page.is_some_and(|n| !(1..=100).contains(&n)) {
            v.add("per_page", range(1, 100));
        }
        v.finish()
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }
    pub fn per_page(&self) -> u32 {
        self.per_page.unwrap_or(20).clamp(1, 100)
    }
    pub fn offset(&self) -> i64 {
        i64::from(self.page() - 1) * i64::from(self.per_page())
    }
}

fn range(min: u32, max: u32) -> crate::error::Invalid {
    crate::error::Invalid::Custom {
        pt: format!("Use um número de {min} a {max}."),
        en: format!("Use a number from {min} to {max}."),
    }
}
