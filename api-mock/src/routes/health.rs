//! `GET /healthz`: 200 while the database answers, 503 otherwise; with the last good backup when the server
//! makes backups on a schedule (`stale` warns that it is too old, or that the last attempt failed), and on
//! PostgreSQL the state of its WAL archiving, which the operator's backups rest on.

use api_types::Health;
use axum::{Json, extract::State, http::StatusCode};

use crate::AppState;

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let last_backup = state.backups.last_backup(chrono::Utc::now());
    let wal_archiver = state.repo.wal_archiver().await;
    let up = wal_archiver.is_ok() && state.repo.ping().await;
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if up { "ok" } else { "unavailable" }.into(),
            last_backup,
            wal_archiver: wal_archiver.ok().flatten(),
        }),
    )
}
