//! The staff dashboard (`/staff/dashboard`): the service indicators of a period, the satisfaction trend
//! and the first-response distribution drawn as SVG, a sortable per-agent table and the escalated tickets.
//! `?wall=1` is the wall-screen mode for a TV: full screen, large figures, high contrast, refreshed every
//! minute by one interval that never lets requests pile up. The period lives in the URL
//! (`?period=7d`, `?period=custom&from=2026-11-01&to=2026-11-30`), so a reload or a shared link keeps it.

use std::time::Duration;

use api_types::{AgentKpis, CsatDay, EscalatedTicket, HistogramBucket, Kpis};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api::{self, ApiError},
    components::guard::RequireUser,
    components::table::TableScroll,
    i18n::{Locale, use_i18n},
    time,
};

/// How often the figures refresh themselves.
const REFRESH: Duration = Duration::from_secs(60);
/// A request still unanswered after this long no longer holds the next refresh back.
const STUCK_MS: f64 = 2.0 * 60_000.0;
const DAY_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// `/staff/dashboard`, for staff only.
#[component]
pub fn Dashboard() -> impl IntoView {
    view! { <RequireUser staff=true><DashboardView/></RequireUser> }
}

/// The period the figures cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Today,
    Week,
    Month,
    Custom,
}

impl Period {
    fn tag(self) -> &'static str {
        match self {
            Period::Today => "today",
            Period::Week => "7d",
            Period::Month => "30d",
            Period::Custom => "custom",
        }
    }

    fn from_tag(tag: &str) -> Option<Period> {
        [Period::Today, Period::Week, Period::Month, Period::Custom]
            .into_iter()
            .find(|p| p.tag() == tag)
    }

    fn label(self) -> &'static str {
        match self {
            Period::Today => "dashboard.period.today",
            Period::Week => "dashboard.period.7d",
            Period::Month => "dashboard.period.30d",
            Period::Custom => "dashboard.period.custom",
        }
    }
}

fn from_ms(ms: f64) -> Option<DateTime<Utc>> {
    (!ms.is_nan())
        .then(|| DateTime::from_timestamp_millis(ms as i64))
        .flatten()
}

/// Local midnight of a `YYYY-MM-DD` date input, in the browser's time zone.
fn local_midnight(date: &str) -> Option<DateTime<Utc>> {
    if date.len() != 10 {
        return None;
    }
    from_ms(js_sys::Date::new(&format!("{date}T00:00").into()).get_time())
}

/// `[from, to)` of a period as of now; a custom period runs from the first day's midnight to the end of
/// the last day. `None` when the custom dates are missing or reversed.
fn bounds(period: Period, from: &str, to: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let now_ms = js_sys::Date::now();
    let now = from_ms(now_ms)?;
    match period {
        Period::Today => {
            let midnight = js_sys::Date::new(&now_ms.into());
            midnight.set_hours(0);
            midnight.set_minutes(0);
            midnight.set_seconds(0);
            midnight.set_milliseconds(0);
            let start = from_ms(midnight.get_time())?;
            // Just after midnight, still a valid (tiny) period.
            Some((start, now.max(start + chrono::Duration::seconds(1))))
        }
        Period::Week => Some((from_ms(now_ms - 7.0 * DAY_MS)?, now)),
        Period::Month => Some((from_ms(now_ms - 30.0 * DAY_MS)?, now)),
        Period::Custom => {
            let start = local_midnight(from)?;
            let last = js_sys::Date::new(&format!("{to}T00:00").into());
            last.set_date(last.get_date() + 1);
            let end = if to.len() == 10 {
                from_ms(last.get_time())?
            } else {
                return None;
            };
            (start < end).then_some((start, end))
        }
    }
}

/// Whether a custom period ends before it starts (both dates given, `YYYY-MM-DD` compares as text).
fn reversed(from: &str, to: &str) -> bool {
    from.len() == 10 && to.len() == 10 && from > to
}

/// The dashboard's address for a period, in the wall mode or not.
fn dashboard_href(wall: bool, period: Period, from: &str, to: &str) -> String {
    let mut href = String::from("/staff/dashboard?");
    if wall {
        href.push_str("wall=1&");
    }
    href.push_str(&format!("period={}", period.tag()));
    if period == Period::Custom {
        href.push_str(&format!("&from={}&to={}", api::enc(from), api::enc(to)));
    }
    href
}

/// Business minutes as "45 min" or "3 h 20 min", with no-break spaces: a number never wraps away from its unit.
fn minutes_text(minutes: Option<f64>) -> String {
    match minutes {
        None => "—".into(),
        Some(m) => {
            let m = m.round() as i64;
            if m < 60 {
                format!("{m}\u{a0}min")
            } else if m % 60 == 0 {
                format!("{}\u{a0}h", m / 60)
            } else {
                format!("{}\u{a0}h {}\u{a0}min", m / 60, m % 60)
            }
        }
    }
}

/// A number in the reader's language (decimal comma in Portuguese).
fn number_text(value: Option<f64>, locale: Locale) -> String {
    match value {
        None => "—".into(),
        Some(v) => js_sys::Number::from(v)
            .to_locale_string(locale.tag())
            .into(),
    }
}

/// A percentage in the reader's language ("—" when there is none); "82 %" with a no-break space, so the sign
/// never wraps to the next line.
pub fn percent_text(value: Option<f64>, locale: Locale) -> String {
    match value {
        None => "—".into(),
        Some(_) => format!("{}\u{a0}%", number_text(value, locale)),
    }
}

#[component]
fn DashboardView() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let wall = Memo::new(move |_| query.with(|q| q.get("wall").is_some_and(|w| w == "1")));
    let initial = query.with_untracked(|q| {
        (
            q.get("period")
                .and_then(|p| Period::from_tag(&p))
                .unwrap_or(Period::Month),
            q.get("from").unwrap_or_default(),
            q.get("to").unwrap_or_default(),
        )
    });
    let period = RwSignal::new(initial.0);
    // The custom dates being typed, and the ones applied.
    let from_input = RwSignal::new(initial.1.clone());
    let to_input = RwSignal::new(initial.2.clone());
    let custom = RwSignal::new((initial.1, initial.2));
    // Best satisfaction first until someone sorts otherwise.
    let sort = RwSignal::new((Column::Csat, false));

    // One interval for the component's whole life, cleared with it. A tick refetches only when the previous
    // request has answered (or is stuck), so a slow server never gets a pile of requests.
    let in_flight = StoredValue::new(None::<f64>);
    let report = LocalResource::new(move || {
        let p = period.get();
        let (from, to) = custom.get();
        let locale = i18n.locale.get();
        async move {
            let (from, to) = bounds(p, &from, &to)?;
            in_flight.set_value(Some(js_sys::Date::now()));
            let answer = api::kpis(locale, from, to).await;
            in_flight.set_value(None);
            Some((answer, time::now()))
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let idle = in_flight
                .get_value()
                .is_none_or(|started| js_sys::Date::now() - started > STUCK_MS);
            if idle {
                report.refetch();
            }
        },
        REFRESH,
    ) {
        on_cleanup(move || handle.clear());
    }

    let wall_href = move || custom.with(|(from, to)| dashboard_href(true, period.get(), from, to));
    let exit_href = move || custom.with(|(from, to)| dashboard_href(false, period.get(), from, to));
    // The period chosen goes into the address (replacing it: choosing is not a page of history).
    let navigate = use_navigate();
    Effect::new(move |_| {
        let href =
            custom.with(|(from, to)| dashboard_href(wall.get_untracked(), period.get(), from, to));
        let current = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        if href.split_once('?').map(|(_, q)| format!("?{q}")) != Some(current) {
            navigate(
                &href,
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    });
    let range_reversed =
        move || period.get() == Period::Custom && custom.with(|(from, to)| reversed(from, to));

    view! {
        <section class=move || if wall.get() { "page dashboard wall" } else { "page dashboard" }
            aria-labelledby="dashboard-title">
            <div class="dashboard-head">
                <h1 id="dashboard-title">{move || i18n.t("dashboard.title")}</h1>
                {move || if wall.get() {
                    view! { <A href=exit_href attr:class="button-link">{move || i18n.t("dashboard.wall_exit")}</A> }.into_any()
                } else {
                    view! { <A href=wall_href attr:class="button-link">{move || i18n.t("dashboard.wall")}</A> }.into_any()
                }}
            </div>
            <Show when=move || !wall.get()>
                <form class="period-form" on:submit=move |ev| {
                    ev.prevent_default();
                    custom.set((from_input.get_untracked(), to_input.get_untracked()));
                }>
                    <fieldset class="period">
                        <legend>{move || i18n.t("dashboard.period")}</legend>
                        {[Period::Today, Period::Week, Period::Month, Period::Custom].into_iter().map(|p| {
                            let id = format!("period-{}", p.tag());
                            view! {
                                <span class="period-choice">
                                    <input type="radio" name="period" id=id.clone() value=p.tag()
                                        prop:checked=move || period.get() == p
                                        on:change=move |_| period.set(p)/>
                                    <label for=id>{move || i18n.t(p.label())}</label>
                                </span>
                            }
                        }).collect_view()}
                    </fieldset>
                    <Show when=move || period.get() == Period::Custom>
                        <div class="field-row">
                            <div class="field">
                                <label for="period-from">{move || i18n.t("dashboard.from")}</label>
                                <input id="period-from" type="date" required prop:value=from_input
                                    on:input=move |ev| from_input.set(event_target_value(&ev))/>
                            </div>
                            <div class="field">
                                <label for="period-to">{move || i18n.t("dashboard.to")}</label>
                                <input id="period-to" type="date" required prop:value=to_input
                                    aria-invalid=move || range_reversed().to_string()
                                    aria-describedby="period-error"
                                    on:input=move |ev| to_input.set(event_target_value(&ev))/>
                            </div>
                            <button type="submit" class="primary">{move || i18n.t("dashboard.apply")}</button>
                        </div>
                        <p id="period-error" class="field-error" role="alert">
                            {move || range_reversed().then(|| i18n.t("dashboard.reversed"))}
                        </p>
                    </Show>
                </form>
            </Show>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        // A reversed period is said right under its dates.
                        None if range_reversed() => ().into_any(),
                        None => view! {
                            <p class="muted">{move || i18n.t("dashboard.choose_dates")}</p>
                        }.into_any(),
                        Some((Err(e), _)) => {
                            let message = match e {
                                ApiError::Network => i18n.t("error.network"),
                                ApiError::Problem(p) => p.errors.first().map(|f| f.message.clone())
                                    .or(p.detail).unwrap_or(p.title),
                                ApiError::Unexpected(_) => i18n.t("error.unexpected"),
                            };
                            view! { <p class="error" role="alert">{message}</p> }.into_any()
                        }
                        Some((Ok(k), at)) => view! { <Report k=k refreshed=at sort=sort/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The figures of one answer.
#[component]
fn Report(
    k: Kpis,
    /// When this answer arrived.
    refreshed: DateTime<Utc>,
    /// The agent table's sort.
    sort: RwSignal<(Column, bool)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let (from, to) = (k.from, k.to);
    let locale = move || i18n.locale.get();
    let fr = k.first_response_minutes.clone();
    let res = k.resolution_minutes.clone();
    let csat = k.csat.clone();
    let tiles: Vec<(&'static str, String, Option<String>)> = vec![
        ("dashboard.kpi.opened", k.tickets_opened.to_string(), None),
        (
            "dashboard.kpi.resolved",
            k.tickets_resolved.to_string(),
            None,
        ),
        ("dashboard.kpi.open_now", k.open_now.to_string(), None),
        ("dashboard.kpi.breaches", k.sla_breaches.to_string(), None),
        (
            "dashboard.kpi.first_response",
            minutes_text(fr.median),
            Some(format!("p90 {}", minutes_text(fr.p90))),
        ),
        (
            "dashboard.kpi.resolution",
            minutes_text(res.median),
            Some(format!("p90 {}", minutes_text(res.p90))),
        ),
    ];
    view! {
        <p class="dashboard-meta" aria-live="polite">
            <span>
                {move || i18n.t("dashboard.covering")} " "
                <time datetime=time::iso(from)>{move || time::date_time(from, locale())}</time>
                " – "
                <time datetime=time::iso(to)>{move || time::date_time(to, locale())}</time>
            </span>
            " · "
            <span class="refreshed">
                {move || i18n.t("dashboard.refreshed")} " "
                <time datetime=time::iso(refreshed)>{move || time::date_time_exact(refreshed, locale())}</time>
            </span>
        </p>
        <ul class="kpi-tiles" aria-label=move || i18n.t("dashboard.kpis")>
            {tiles.into_iter().map(|(key, value, note)| view! {
                <li class="kpi-tile">
                    <span class="kpi-label">{move || i18n.t(key)}</span>
                    <span class="kpi-value">{value}</span>
                    {note.map(|n| view! { <span class="kpi-note">{n}</span> })}
                </li>
            }).collect_view()}
            <li class="kpi-tile">
                <span class="kpi-label">{move || i18n.t("dashboard.kpi.csat")}</span>
                <span class="kpi-value">{move || number_text(csat.average, locale())}</span>
                <span class="kpi-note">
                    {move || i18n.tf("dashboard.kpi.csat_note", &[
                        ("n", &csat.responses.to_string()),
                        ("percent", &percent_text(csat.satisfied_percent, locale())),
                    ])}
                </span>
            </li>
        </ul>
        <div class="charts">
            <TrendChart days=k.csat_trend.clone()/>
            <HistogramChart buckets=k.first_response_histogram.clone()/>
        </div>
        <AgentTable rows=k.by_agent.clone() sort=sort/>
        <EscalatedList items=k.escalated.clone()/>
    }
}

const CHART_W: f64 = 600.0;
const CHART_H: f64 = 220.0;
const PAD_L: f64 = 36.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 14.0;
const PAD_B: f64 = 30.0;

/// The average score per day as a line over a 1–5 scale; days without ratings leave the line to the next.
#[component]
fn TrendChart(days: Vec<CsatDay>) -> impl IntoView {
    let i18n = use_i18n();
    let n = days.len().max(1);
    let step = (CHART_W - PAD_L - PAD_R) / (n.saturating_sub(1).max(1)) as f64;
    let x = move |i: usize| {
        if n == 1 {
            PAD_L + (CHART_W - PAD_L - PAD_R) / 2.0
        } else {
            PAD_L + i as f64 * step
        }
    };
    let y = |score: f64| PAD_T + (5.0 - score) / 4.0 * (CHART_H - PAD_T - PAD_B);
    let points: Vec<(usize, f64, &CsatDay)> = days
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.average.map(|a| (i, a, d)))
        .collect();
    let line = points
        .iter()
        .map(|(i, a, _)| format!("{:.1},{:.1}", x(*i), y(*a)))
        .collect::<Vec<_>>()
        .join(" ");
    let rated_days = points.len();
    let responses: u64 = days.iter().map(|d| d.responses).sum();
    let first = days.first().map(|d| d.date.format("%d/%m").to_string());
    let last = days.last().map(|d| d.date.format("%d/%m").to_string());
    let dots: Vec<(f64, f64, String)> = points
        .iter()
        .map(|(i, a, d)| {
            (
                x(*i),
                y(*a),
                format!("{}: {:.2} ({})", d.date.format("%d/%m"), a, d.responses),
            )
        })
        .collect();
    view! {
        <figure class="chart" tabindex="0">
            <figcaption id="trend-caption">{move || i18n.t("dashboard.trend")}</figcaption>
            <svg class="chart-svg" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img"
                aria-labelledby="trend-title trend-desc">
                <title id="trend-title">{move || i18n.t("dashboard.trend")}</title>
                <desc id="trend-desc">
                    {move || i18n.tf("dashboard.trend_desc", &[
                        ("days", &rated_days.to_string()),
                        ("n", &responses.to_string()),
                    ])}
                </desc>
                {(1..=5).map(|s| {
                    let yy = y(f64::from(s));
                    view! {
                        <g class="grid">
                            <line x1=PAD_L x2=CHART_W - PAD_R y1=yy y2=yy/>
                            <text x=PAD_L - 8.0 y=yy + 4.0 text-anchor="end">{s}</text>
                        </g>
                    }
                }).collect_view()}
                <polyline class="trend-line" points=line fill="none"/>
                {dots.into_iter().map(|(cx, cy, label)| view! {
                    <g class="trend-point">
                        <title>{label}</title>
                        <circle cx=cx cy=cy r="4"/>
                    </g>
                }).collect_view()}
                <g class="axis">
                    <text x=PAD_L y=CHART_H - 8.0 text-anchor="start">{first}</text>
                    <text x=CHART_W - PAD_R y=CHART_H - 8.0 text-anchor="end">{last}</text>
                </g>
            </svg>
        </figure>
    }
}

/// How many first responses fell in each time bucket, as bars.
#[component]
fn HistogramChart(buckets: Vec<HistogramBucket>) -> impl IntoView {
    let i18n = use_i18n();
    let n = buckets.len().max(1);
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64;
    let slot = (CHART_W - PAD_L - PAD_R) / n as f64;
    let plot_h = CHART_H - PAD_T - PAD_B;
    let previous: Vec<Option<u32>> = std::iter::once(None)
        .chain(buckets.iter().map(|b| b.upper_minutes))
        .collect();
    let bars: Vec<(f64, f64, f64, String, u64)> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let label = match (b.upper_minutes, previous[i]) {
                (Some(u), _) => format!("≤ {}", minutes_text(Some(f64::from(u)))),
                (None, Some(p)) => format!("> {}", minutes_text(Some(f64::from(p)))),
                (None, None) => "—".into(),
            };
            let h = b.count as f64 / max * plot_h;
            (
                PAD_L + i as f64 * slot,
                PAD_T + plot_h - h,
                h,
                label,
                b.count,
            )
        })
        .collect();
    let summary = bars
        .iter()
        .map(|(.., label, count)| format!("{label}: {count}"))
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <figure class="chart" tabindex="0">
            <figcaption>{move || i18n.t("dashboard.histogram")}</figcaption>
            <svg class="chart-svg" viewBox=format!("0 0 {CHART_W} {CHART_H}") role="img"
                aria-labelledby="histogram-title histogram-desc">
                <title id="histogram-title">{move || i18n.t("dashboard.histogram")}</title>
                <desc id="histogram-desc">{summary}</desc>
                <line class="baseline" x1=PAD_L x2=CHART_W - PAD_R y1=PAD_T + plot_h y2=PAD_T + plot_h/>
                {bars.into_iter().map(|(bx, by, h, label, count)| view! {
                    <g class="bar">
                        <title>{format!("{label}: {count}")}</title>
                        <rect x=bx + 4.0 y=by width=(slot - 8.0).max(1.0) height=h.max(0.0)/>
                        <text class="bar-count" x=bx + slot / 2.0 y=by - 3.0 text-anchor="middle">{count}</text>
                        <text class="bar-label" x=bx + slot / 2.0 y=CHART_H - 8.0 text-anchor="middle">{label}</text>
                    </g>
                }).collect_view()}
            </svg>
        </figure>
    }
}

/// A column of the agent table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Agent,
    Resolved,
    Csat,
    Responses,
    FirstResponse,
}

impl Column {
    const ALL: [Column; 5] = [
        Column::Agent,
        Column::Resolved,
        Column::Csat,
        Column::Responses,
        Column::FirstResponse,
    ];

    fn label(self) -> &'static str {
        match self {
            Column::Agent => "dashboard.agents.agent",
            Column::Resolved => "dashboard.agents.resolved",
            Column::Csat => "dashboard.agents.csat",
            Column::Responses => "dashboard.agents.responses",
            Column::FirstResponse => "dashboard.agents.first_response",
        }
    }
}

/// Sorts by a column; empty figures go last either way.
fn sort_agents(rows: &mut [AgentKpis], column: Column, ascending: bool) {
    use std::cmp::Ordering;
    let number = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => {
            let o = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
            if ascending { o } else { o.reverse() }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    rows.sort_by(|a, b| {
        let o = match column {
            Column::Agent => {
                let o = a
                    .agent
                    .name
                    .to_lowercase()
                    .cmp(&b.agent.name.to_lowercase());
                if ascending { o } else { o.reverse() }
            }
            Column::Resolved => number(Some(a.resolved as f64), Some(b.resolved as f64)),
            Column::Csat => number(a.csat_average, b.csat_average),
            Column::Responses => {
                number(Some(a.csat_responses as f64), Some(b.csat_responses as f64))
            }
            Column::FirstResponse => number(
                a.first_response_median_minutes,
                b.first_response_median_minutes,
            ),
        };
        o.then_with(|| a.agent.name.cmp(&b.agent.name))
    });
}

#[component]
fn AgentTable(
    rows: Vec<AgentKpis>,
    /// (column, ascending), owned by the page so that it outlives each refresh.
    sort: RwSignal<(Column, bool)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let sorted = move || {
        let (column, ascending) = sort.get();
        let mut rows = rows.clone();
        sort_agents(&mut rows, column, ascending);
        rows
    };
    view! {
        <section class="dashboard-section" aria-labelledby="agents-title">
            <h2 id="agents-title">{move || i18n.t("dashboard.agents")}</h2>
            <TableScroll label=Signal::derive(move || i18n.t("dashboard.agents"))>
                <table class="agents">
                    <thead>
                        <tr>
                            {Column::ALL.into_iter().map(|c| {
                                let aria = move || match sort.get() {
                                    (col, true) if col == c => "ascending",
                                    (col, false) if col == c => "descending",
                                    _ => "none",
                                };
                                view! {
                                    <th scope="col" aria-sort=aria>
                                        <button type="button" class="sort" on:click=move |_| {
                                            sort.update(|(col, asc)| {
                                                if *col == c {
                                                    *asc = !*asc;
                                                } else {
                                                    *col = c;
                                                    // Names A→Z; figures largest first.
                                                    *asc = c == Column::Agent;
                                                }
                                            });
                                        }>
                                            {move || i18n.t(c.label())}
                                            <span class="sort-mark" aria-hidden="true">
                                                {move || match aria() {
                                                    "ascending" => " ▲",
                                                    "descending" => " ▼",
                                                    _ => "",
                                                }}
                                            </span>
                                        </button>
                                    </th>
                                }
                            }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>
                        {move || sorted().into_iter().map(|r| {
                            let average = r.csat_average;
                            view! {
                                <tr>
                                    <th scope="row">{r.agent.name.clone()}</th>
                                    <td>{r.resolved}</td>
                                    <td>{move || number_text(average, i18n.locale.get())}</td>
                                    <td>{r.csat_responses}</td>
                                    <td>{minutes_text(r.first_response_median_minutes)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </TableScroll>
        </section>
    }
}

#[component]
fn EscalatedList(items: Vec<EscalatedTicket>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="dashboard-section" aria-labelledby="escalated-title">
            <h2 id="escalated-title">{move || i18n.t("dashboard.escalated")}</h2>
            {if items.is_empty() {
                view! { <p class="muted">{move || i18n.t("dashboard.escalated_none")}</p> }.into_any()
            } else {
                view! {
                    <ul class="escalated-list">
                        {items.into_iter().map(|t| {
                            let org = t.requester.organization.as_ref().map(|o| format!(" ({})", o.name));
                            let score = t.score;
                            view! {
                                <li class="escalated-item">
                                    <A href=format!("/tickets/{}", t.id)>{format!("#{} {}", t.id, t.subject)}</A>
                                    <span class="escalated-who">
                                        {t.requester.name.clone()}{org}
                                        {t.assignee.as_ref().map(|a| format!(" → {}", a.name))}
                                    </span>
                                    {score.map(|s| view! {
                                        <span class="score-badge">
                                            {move || i18n.tf("dashboard.score", &[("score", &s.to_string())])}
                                        </span>
                                    })}
                                    {t.comment.clone().map(|c| view! { <q class="escalated-comment">{c}</q> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
