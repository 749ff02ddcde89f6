//! Search analytics: searches that found nothing, articles that did not help, top queries, deflection.
//! The period lives in the URL (`?days=7|30|90`).

use api_types::{ArticleStats, KbAnalytics, QueryCount, UnhelpfulArticle, ZeroResultQuery};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api::{self, enc},
    components::table::TableScroll,
    components::{guard::RequireUser, kb::error_text, staff_kb_nav::StaffKbNav},
    i18n::{Locale, use_i18n},
    pages::dashboard::percent_text,
    time,
};

/// The periods offered, in days.
const PERIODS: [u32; 3] = [7, 30, 90];
const DEFAULT_DAYS: u32 = 30;
/// Most viewed articles shown.
const MOST_VIEWED: usize = 20;

/// `/staff/kb/analytics`, for staff only.
#[component]
pub fn KbAnalyticsPage() -> impl IntoView {
    view! { <RequireUser staff=true><AnalyticsView/></RequireUser> }
}

/// The editor's address for a new article about a query nobody found an answer to.
pub fn new_article_href(query: &str, locale: Locale) -> String {
    format!(
        "/staff/kb/new?title={}&locale={}",
        enc(query),
        enc(locale.tag())
    )
}

fn editor_href(slug: &str) -> String {
    format!("/staff/kb/articles/{}", enc(slug))
}

#[component]
fn AnalyticsView() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let navigate = use_navigate();
    let days = Memo::new(move |_| {
        query.with(|q| {
            q.get("days")
                .and_then(|d| d.parse::<u32>().ok())
                .filter(|d| PERIODS.contains(d))
                .unwrap_or(DEFAULT_DAYS)
        })
    });
    let report = LocalResource::new(move || {
        let d = days.get();
        let locale = i18n.locale.get();
        async move { api::kb_analytics(locale, d).await }
    });
    view! {
        <section class="page kb-analytics">
            <StaffKbNav/>
            <h1>{move || i18n.t("kba.title")}</h1>
            <div class="filters">
                <div class="field">
                    <label for="analytics-days">{move || i18n.t("kba.period")}</label>
                    <select id="analytics-days" on:change=move |ev| {
                        let d = event_target_value(&ev);
                        navigate(
                            &format!("/staff/kb/analytics?days={}", enc(&d)),
                            NavigateOptions { scroll: false, ..Default::default() },
                        );
                    }>
                        {PERIODS.into_iter().map(|d| view! {
                            <option value=d.to_string() prop:selected=move || days.get() == d>
                                {move || i18n.tf("kba.days", &[("days", &d.to_string())])}
                            </option>
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Err(e) => view! { <p class="error" role="alert">{move || error_text(i18n, &e)}</p> }.into_any(),
                        Ok(r) => view! { <Report r=r/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Report(r: KbAnalytics) -> impl IntoView {
    let i18n = use_i18n();
    let searches = r.searches.to_string();
    let deflection = r.deflection_percent;
    let period = r.days.to_string();
    let mut most_viewed = r.articles;
    most_viewed.truncate(MOST_VIEWED);
    view! {
        <p class="muted" aria-live="polite">{move || i18n.tf("kba.covering", &[("days", &period)])}</p>
        <ul class="plain-list browse" aria-label=move || i18n.t("kba.tiles")>
            <li class="kpi-tile">
                <span class="kpi-label">{move || i18n.t("kba.searches")}</span>
                <span class="kpi-value">{searches}</span>
            </li>
            <li class="kpi-tile">
                <span class="kpi-label">{move || i18n.t("kba.deflection")}</span>
                <span class="kpi-value">{move || percent_text(deflection, i18n.locale.get())}</span>
                <span class="kpi-note">{move || i18n.t("kba.deflection_note")}</span>
            </li>
        </ul>
        <ZeroResults items=r.zero_result_queries/>
        <Unhelpful items=r.unhelpful/>
        <TopQueries items=r.top_queries/>
        <MostViewed items=most_viewed/>
    }
}

#[component]
fn ZeroResults(items: Vec<ZeroResultQuery>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="dashboard-section" aria-labelledby="zero-title">
            <h2 id="zero-title">{move || i18n.t("kba.zero.title")}</h2>
            <p class="hint">{move || i18n.t("kba.zero.intro")}</p>
            {if items.is_empty() {
                view! { <p class="muted">{move || i18n.t("kba.zero.none")}</p> }.into_any()
            } else {
                view! {
                    <TableScroll label=Signal::derive(move || i18n.t("kba.zero.title"))>
                        <table class="data-table">
                            <caption class="visually-hidden">{move || i18n.t("kba.zero.title")}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{move || i18n.t("kba.col_query")}</th>
                                    <th scope="col" class="num">{move || i18n.t("kba.col_count")}</th>
                                    <th scope="col">{move || i18n.t("kba.col_last_seen")}</th>
                                    <th scope="col">{move || i18n.t("kba.col_action")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {items.into_iter().map(|z| {
                                    let last = z.last_seen;
                                    let query = StoredValue::new(z.query.clone());
                                    view! {
                                        <tr>
                                            <th scope="row">{z.query}</th>
                                            <td class="num">{z.count}</td>
                                            <td>
                                                <time datetime=time::iso(last)>
                                                    {move || time::date_time_exact(last, i18n.locale.get())}
                                                </time>
                                            </td>
                                            <td>
                                                <A href=move || new_article_href(&query.get_value(), i18n.locale.get())>
                                                    {move || i18n.t("kba.zero.write")}
                                                    <span class="visually-hidden">{move || format!(": “{}”", query.get_value())}</span>
                                                </A>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </TableScroll>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Unhelpful(items: Vec<UnhelpfulArticle>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="dashboard-section" aria-labelledby="unhelpful-title">
            <h2 id="unhelpful-title">{move || i18n.t("kba.unhelpful.title")}</h2>
            {if items.is_empty() {
                view! { <p class="muted">{move || i18n.t("kba.unhelpful.none")}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list unhelpful-list">
                        {items.into_iter().map(|a| {
                            let (yes, no) = (a.helpful_yes.to_string(), a.helpful_no.to_string());
                            let has_comments = !a.comments.is_empty();
                            view! {
                                <li class="card unhelpful">
                                    <h3 class="unhelpful-title">
                                        <A href=editor_href(&a.slug)>{a.title}</A>
                                    </h3>
                                    <p class="count">{move || i18n.tf("kba.votes", &[("yes", &yes), ("no", &no)])}</p>
                                    {if has_comments {
                                        view! {
                                            <ul class="comments">
                                                {a.comments.into_iter().map(|c| {
                                                    let at = c.created_at;
                                                    view! {
                                                        <li>
                                                            <q class="comment">{c.comment}</q>
                                                            " "
                                                            <time class="muted" datetime=time::iso(at)>
                                                                {move || time::date_time_exact(at, i18n.locale.get())}
                                                            </time>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    } else {
                                        view! { <p class="muted">{move || i18n.t("kba.unhelpful.no_comments")}</p> }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn TopQueries(items: Vec<QueryCount>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="dashboard-section" aria-labelledby="top-title">
            <h2 id="top-title">{move || i18n.t("kba.top.title")}</h2>
            {if items.is_empty() {
                view! { <p class="muted">{move || i18n.t("kba.top.none")}</p> }.into_any()
            } else {
                view! {
                    <TableScroll label=Signal::derive(move || i18n.t("kba.top.title"))>
                        <table class="data-table">
                            <caption class="visually-hidden">{move || i18n.t("kba.top.title")}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{move || i18n.t("kba.col_query")}</th>
                                    <th scope="col" class="num">{move || i18n.t("kba.col_count")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {items.into_iter().map(|q| view! {
                                    <tr>
                                        <th scope="row">{q.query}</th>
                                        <td class="num">{q.count}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </TableScroll>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn MostViewed(items: Vec<ArticleStats>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="dashboard-section" aria-labelledby="viewed-title">
            <h2 id="viewed-title">{move || i18n.t("kba.viewed.title")}</h2>
            {if items.is_empty() {
                view! { <p class="muted">{move || i18n.t("kba.viewed.none")}</p> }.into_any()
            } else {
                view! {
                    <TableScroll label=Signal::derive(move || i18n.t("kba.viewed.title"))>
                        <table class="data-table">
                            <caption class="visually-hidden">{move || i18n.t("kba.viewed.title")}</caption>
                            <thead>
                                <tr>
                                    <th scope="col">{move || i18n.t("kba.col_article")}</th>
                                    <th scope="col" class="num">{move || i18n.t("kba.col_views")}</th>
                                    <th scope="col" class="num">{move || i18n.t("kba.col_yes")}</th>
                                    <th scope="col" class="num">{move || i18n.t("kba.col_no")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {items.into_iter().map(|a| view! {
                                    <tr>
                                        <th scope="row"><A href=editor_href(&a.slug)>{a.title}</A></th>
                                        <td class="num">{a.views}</td>
                                        <td class="num">{a.helpful_yes}</td>
                                        <td class="num">{a.helpful_no}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </TableScroll>
                }.into_any()
            }}
        </section>
    }
}
