//! The API's routes, one module per feature, each with its own `router()`.

pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod health;
pub mod kb;
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
        .merge(kb::router())
        .merge(reports::router())
        .merge(tickets::router())
}

/// `?page=&per_page=`, clamped to the contract's bounds.
#[derive(Debug, Clone, Copy, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl Paging {
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
