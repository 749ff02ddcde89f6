//! Staff views of the server's own care: the verified backups (schedule, last attempt, every snapshot).

use api_types::{BackupOverview, Problem};
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{AppState, Error, Result, auth::Staff, extract::Json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(backups))
}

#[utoipa::path(get, path = "/admin/backups", tag = "admin",
    responses((status = 200, body = BackupOverview), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn backups(State(state): State<AppState>, _staff: Staff) -> Result<Json<BackupOverview>> {
    let backups = state.backups.clone();
    // The manifest is read from disk: keep that off the async workers.
    tokio::task::spawn_blocking(move || backups.overview(chrono::Utc::now()))
        .await
        .map(Json)
        .map_err(|e| Error::Internal(e.to_string()))
}
