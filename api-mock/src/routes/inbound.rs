//! The staff's review list of e-mail in: mails to the support address from addresses no account has,
//! accepted (the sender becomes a client of an organization and the mail their ticket) or discarded.
//! Nothing from an unknown sender reaches an organization without a person deciding it.

use api_types::{AcceptInbound, InboundReview, InboundReviewStatus, Page, Problem};
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState, Result,
    auth::Staff,
    extract::{Json, Path, Query},
    inbound,
    routes::Paging,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(accept))
        .routes(routes!(discard))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReviewQuery {
    /// Only these; all by default (pending first, newest first).
    status: Option<InboundReviewStatus>,
    /// From 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<u32>,
    /// 1 to 100 (20 by default); outside that, 422.
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
}

#[utoipa::path(get, path = "/inbound/review", tag = "inbound", params(ReviewQuery),
    responses((status = 200, body = Page<InboundReview>), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<Page<InboundReview>>> {
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    paging.check()?;
    let (items, total) = state
        .repo
        .inbound_reviews(q.status, i64::from(paging.per_page()), paging.offset())
        .await?;
    Ok(Json(Page {
        items,
        total: total as u64,
        page: paging.page(),
        per_page: paging.per_page(),
    }))
}

#[utoipa::path(post, path = "/inbound/review/{id}/accept", tag = "inbound", request_body = AcceptInbound,
    params(("id" = i64, Path, description = "Review entry id")),
    responses((status = 200, body = InboundReview, description = "Accepted: `ticket_id` is the new ticket"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Already accepted or discarded, or the address is staff's"),
        (status = 422, body = Problem)))]
async fn accept(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Path(id): Path<i64>,
    Json(body): Json<AcceptInbound>,
) -> Result<Json<InboundReview>> {
    Ok(Json(
        inbound::accept_review(&state, &staff.user, id, &body).await?,
    ))
}

#[utoipa::path(post, path = "/inbound/review/{id}/discard", tag = "inbound",
    params(("id" = i64, Path, description = "Review entry id")),
    responses((status = 200, body = InboundReview), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Already accepted or discarded")))]
async fn discard(
    State(state): State<AppState>,
    Staff(staff): Staff,
    Path(id): Path<i64>,
) -> Result<Json<InboundReview>> {
    Ok(Json(
        inbound::discard_review(&state, &staff.user, id).await?,
    ))
}
