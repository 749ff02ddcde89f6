//! Pieces of the knowledge-base pages: breadcrumbs, article lists, the error notice.

use api_types::ArticleSummary;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::ApiError,
    i18n::{I18n, use_i18n},
};

/// What went wrong, in the reader's language.
pub fn error_text(i18n: I18n, error: &ApiError) -> String {
    match error {
        ApiError::Network => i18n.t("error.network"),
        ApiError::Problem(p) => p
            .detail
            .as_ref()
            .map_or(p.title.clone(), |d| format!("{} {d}", p.title)),
        ApiError::Unexpected(_) => i18n.t("error.unexpected"),
    }
}

/// An error as an alert; a missing page (404) says so plainly.
#[component]
pub fn ErrorNotice(error: ApiError) -> impl IntoView {
    let i18n = use_i18n();
    if error.status() == Some(404) {
        view! { <Missing/> }.into_any()
    } else {
        view! { <p class="error" role="alert">{move || error_text(i18n, &error)}</p> }.into_any()
    }
}

/// The page asked for does not exist (or is not published).
#[component]
pub fn Missing() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page narrow">
            <h1>{move || i18n.t("notfound.title")}</h1>
            <p>{move || i18n.t("kb.missing")}</p>
            <p><A href="/">{move || i18n.t("notfound.home")}</A></p>
        </section>
    }
}

/// One link of a breadcrumb trail; the last one is the current page and has no `href`.
#[derive(Clone)]
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

/// "Home › Category › Article".
#[component]
pub fn Breadcrumbs(crumbs: Vec<Crumb>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav aria-label=move || i18n.t("kb.breadcrumbs")>
            <ol class="breadcrumbs">
                <li><A href="/">{move || i18n.t("nav.home")}</A></li>
                {crumbs.into_iter().map(|c| match c.href {
                    Some(href) => view! { <li><A href=href>{c.label}</A></li> }.into_any(),
                    None => view! { <li aria-current="page">{c.label}</li> }.into_any(),
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// A list of articles with their summaries.
#[component]
pub fn ArticleList(articles: Vec<ArticleSummary>) -> impl IntoView {
    view! {
        <ul class="plain-list article-list">
            {articles.into_iter().map(|a| view! {
                <li class="card">
                    <A href=format!("/kb/{}", a.slug) attr:class="article-link">{a.title}</A>
                    <p class="muted">{a.summary}</p>
                </li>
            }).collect_view()}
        </ul>
    }
}
