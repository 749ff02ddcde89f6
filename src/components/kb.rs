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
        ApiError::Problem(p) => problem_text(&p.title, p.detail.as_deref()),
        ApiError::Unexpected(_) => i18n.t("error.unexpected"),
    }
}

/// A problem's title and detail as one text: "Muitas tentativas. Aguarde 15 minutos.", never
/// "Muitas tentativas Aguarde" (titles come without a final stop).
pub fn problem_text(title: &str, detail: Option<&str>) -> String {
    match detail.map(str::trim).filter(|d| !d.is_empty()) {
        None => title.to_string(),
        Some(d) if title.ends_with(['.', '!', '?', ':']) => format!("{title} {d}"),
        Some(d) => format!("{title}. {d}"),
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

/// The page asked for does not exist (or is not published, or not the reader's).
#[component]
pub fn Missing(
    /// The key of the text that says what is missing; an article or a category when absent.
    #[prop(optional)]
    text: Option<&'static str>,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = text.unwrap_or("kb.missing");
    view! {
        <section class="page narrow">
            <h1>{move || i18n.t("notfound.title")}</h1>
            <p>{move || i18n.t(text)}</p>
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

#[cfg(test)]
mod tests {
    use super::problem_text;

    #[test]
    fn a_title_and_its_detail_read_as_two_sentences() {
        assert_eq!(
            problem_text("Muitas tentativas", Some("Aguarde 15 minutos.")),
            "Muitas tentativas. Aguarde 15 minutos."
        );
        assert_eq!(
            problem_text("Conflito.", Some("Recarregue.")),
            "Conflito. Recarregue."
        );
        assert_eq!(problem_text("Não encontrado", None), "Não encontrado");
        assert_eq!(problem_text("Não encontrado", Some(" ")), "Não encontrado");
    }
}
