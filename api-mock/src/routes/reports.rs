//! Staff reports: `GET /reports/kpis`, the service indicators of a period for the dashboard. Storage
//! gives the facts (`repo::reports`), `crate::kpi` does the arithmetic.

use api_types::{Kpis, Problem};
use axum::extract::State;
use chrono::{DateTime, Utc};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    auth::Staff,
    db::now_ms,
    error::{Invalid, Result, Validator},
    extract::{Json, NoStore, Query},
    kpi,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(kpis))
}

const DAY_MS: i64 = 24 * 3600 * 1000;
/// The default period: the last 30 days.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest period a report covers.
pub const MAX_DAYS: i64 = 366;
/// How many escalated tickets the report lists.
pub const ESCALATED_MAX: i64 = 50;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PeriodQuery {
    /// RFC 3339; the default is 30 days before `to`.
    #[param(value_type = Option<super::QueryTime>, inline)]
    from: Option<String>,
    /// RFC 3339, exclusive; the default is now.
    #[param(value_type = Option<super::QueryTime>, inline)]
    to: Option<String>,
}

fn parse_time(v: &mut Validator, field: &str, value: Option<&str>) -> Option<i64> {
    let value = value.map(str::trim).filter(|s| !s.is_empty())?;
    match DateTime::parse_from_rfc3339(value) {
        Ok(t) => Some(t.with_timezone(&Utc).timestamp_millis()),
        Err(_) => {
            v.add(
                field,
                Invalid::Custom {
                    pt: "Use data e hora no formato RFC 3339, como 2026-11-23T10:15:00Z.".into(),
                    en: "Use a date and time in RFC 3339, like 2026-11-23T10:15:00Z.".into(),
                },
            );
            None
        }
    }
}

/// The period `[from, to)` asked for, checked: `from` before `to`, at most 366 days.
fn period(q: &PeriodQuery, now: i64) -> Result<(i64, i64)> {
    let mut v = Validator::new();
    let from = parse_time(&mut v, "from", q.from.as_deref());
    let to = parse_time(&mut v, "to", q.to.as_deref());
    v.finish()?;
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - DEFAULT_DAYS * DAY_MS);
    let mut v = Validator::new();
    if from >= to {
        v.add("to", Invalid::EndsBeforeStart);
    } else if to - from > MAX_DAYS * DAY_MS {
        v.add(
            "from",
            Invalid::Custom {
                pt: format!("Escolha um período de no máximo {MAX_DAYS} dias."),
                en: format!("Choose a period of at most {MAX_DAYS} days."),
            },
        );
    }
    v.finish()?;
    Ok((from, to))
}

#[utoipa::path(get, path = "/reports/kpis", tag = "reports", params(PeriodQuery),
    responses((status = 200, body = Kpis, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn kpis(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<PeriodQuery>,
) -> Result<NoStore<Json<Kpis>>> {
    let now = now_ms();
    let (from, to) = period(&q, now)?;
    let repo = &state.repo;
    let facts = kpi::Facts {
        from,
        to,
        now,
        open_now: repo.open_ticket_count().await?.max(0) as u64,
        tickets: repo.kpi_tickets(from, to).await?,
        ratings: repo.kpi_ratings(from, to).await?,
        agents: repo.kpi_agents().await?,
    };
    let mut report = kpi::report(&facts, &state.config.sla);
    report.escalated = repo.escalated_tickets(ESCALATED_MAX).await?;
    Ok(NoStore(Json(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: Option<&str>, to: Option<&str>) -> PeriodQuery {
        PeriodQuery {
            from: from.map(Into::into),
            to: to.map(Into::into),
        }
    }

    #[test]
    fn periods_default_to_the_last_30_days_and_are_checked() {
        let now = 1_800_000_000_000;
        assert_eq!(
            period(&q(None, None), now).unwrap(),
            (now - 30 * DAY_MS, now)
        );
        let (from, to) = period(
            &q(
                Some("2026-11-01T00:00:00-03:00"),
                Some("2026-11-02T00:00:00Z"),
            ),
            now,
        )
        .unwrap();
        assert_eq!(to - from, 21 * 3600 * 1000);
        assert!(
            period(
                &q(Some("2026-11-02T00:00:00Z"), Some("2026-11-02T00:00:00Z")),
                now
            )
            .is_err()
        );
        assert!(
            period(
                &q(Some("2025-01-01T00:00:00Z"), Some("2026-01-03T00:00:00Z")),
                now
            )
            .is_err()
        );
        assert!(
            period(
                &q(Some("2025-01-01T00:00:00Z"), Some("2026-01-02T00:00:00Z")),
                now
            )
            .is_ok()
        );
        assert!(period(&q(Some("yesterday"), None), now).is_err());
    }
}
