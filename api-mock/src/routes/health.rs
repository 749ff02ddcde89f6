//! `GET /healthz`: 200 while the database answers, 503 otherwise; with the last good backup when the server
//! makes backups on a schedule (`stale` warns that it is too old, or that the last attempt failed).

use api_types::Health;
use axum::{Json, extract::State, http::StatusCode};

use crate::AppState;

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let last_backup = state.backups.last_backup(chrono::Utc::now());
    if state.repo.ping().await {
        (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
                last_backup,
            }),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable".into(),
                last_backup,
            }),
        )
    }
}
