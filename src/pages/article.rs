//! An article of the knowledge base: breadcrumbs, the text rendered on the server, its last update in the
//! reader's zone, the translation, related articles, and "Was this helpful?".

use api_types::{Article, NewFeedback};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map, hooks::use_query_map};

use crate::{
    api,
    components::kb::{ArticleList, Breadcrumbs, Crumb, ErrorNotice, error_text},
    i18n::{Locale, local_storage, use_i18n},
    time,
};

#[component]
pub fn ArticlePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let slug = Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()));
    let search_id = Memo::new(move |_| query.with(|q| q.get("search_id")?.parse::<i64>().ok()));
    let article = LocalResource::new(move || {
        let slug = slug.get();
        let search_id = search_id.get_untracked();
        let locale = i18n.locale.get_untracked();
        async move { api::article(locale, &slug, search_id).await }
    });
    // The server's copy of the page gives way once this one has its answer (see `prerender`).
    Effect::new(move |_| {
        if article.get().is_some() {
            crate::prerender::reveal_soon();
        }
    });
    view! {
        <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
            {move || Suspend::new(async move {
                match article.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(a) => view! { <ArticleView article=a search_id=search_id.get_untracked()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ArticleView(article: Article, search_id: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let updated = article.updated_at;
    let lang = article.locale.clone();
    let crumbs = vec![
        Crumb {
            label: article.category.name.clone(),
            href: Some(format!("/kb/c/{}", article.category.slug)),
        },
        Crumb {
            label: article.title.clone(),
            href: None,
        },
    ];
    let translations = article
        .translations
        .iter()
        .filter(|t| t.locale != article.locale)
        .filter_map(|t| Locale::from_tag(&t.locale).map(|l| (l, t.slug.clone())))
        .map(|(l, slug)| {
            let key = match l {
                Locale::PtBr => "kb.read_in_pt",
                Locale::En => "kb.read_in_en",
            };
            view! {
                <p class="translation">
                    <A href=format!("/kb/{slug}") attr:hreflang=l.tag() attr:lang=l.tag()>{i18n.t(key)}</A>
                </p>
            }
        })
        .collect_view();
    let related = (!article.related.is_empty()).then(|| {
        let list = article.related.clone();
        view! {
            <section class="related" aria-labelledby="kb-related-title">
                <h2 id="kb-related-title">{move || i18n.t("kb.related")}</h2>
                <ArticleList articles=list/>
            </section>
        }
    });
    view! {
        <Breadcrumbs crumbs=crumbs/>
        <article class="page article" lang=lang>
            <h1>{article.title.clone()}</h1>
            <p class="muted article-meta">
                {move || i18n.t("kb.updated")} " "
                <time datetime=time::iso(updated)>{move || time::date_time(updated, i18n.locale.get())}</time>
            </p>
            {translations}
            <div class="article-body" inner_html=article.body_html.clone()></div>
        </article>
        <Feedback slug=article.slug.clone() article_id=article.id search_id=search_id title=article.title.clone()/>
        {related}
    }
}

fn vote_key(article_id: i64) -> String {
    format!("portal.vote.{article_id}")
}

/// "Was this helpful?": yes or no, then an optional comment, then thanks; after a "no", the way to a
/// ticket about it. The vote can be changed.
#[component]
fn Feedback(
    slug: String,
    article_id: i64,
    search_id: Option<i64>,
    /// The article's title, the subject of a ticket opened from a "no".
    title: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let ticket_href = {
        let subject = i18n.tf("kb.unhelpful_subject", &[("title", &title)]);
        let mut href = format!("/tickets/new?subject={}", crate::api::enc(&subject));
        if let Some(id) = search_id {
            href.push_str(&format!("&search_id={id}"));
        }
        href
    };
    let remembered = local_storage()
        .and_then(|s| s.get_item(&vote_key(article_id)).ok().flatten())
        .map(|v| v == "yes");
    let vote = RwSignal::new(remembered);
    let comment = RwSignal::new(String::new());
    let commented = RwSignal::new(false);
    let send = Action::new_local(move |body: &NewFeedback| {
        let body = body.clone();
        let slug = slug.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::feedback(locale, &slug, &body).await.map(|_| body) }
    });
    Effect::new(move |_| {
        if let Some(Ok(body)) = send.value().get() {
            vote.set(Some(body.helpful));
            if let Some(s) = local_storage() {
                let _ = s.set_item(
                    &vote_key(article_id),
                    if body.helpful { "yes" } else { "no" },
                );
            }
            if body.comment.is_some() {
                commented.set(true);
            }
        }
    });
    let give = move |helpful: bool, with_comment: Option<String>| {
        send.dispatch(NewFeedback {
            helpful,
            comment: with_comment,
            search_id,
            visitor: crate::drafts::visitor_id(),
        });
    };
    let error = move || {
        send.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> })
    };
    view! {
        <section class="feedback card" aria-labelledby="kb-feedback-title">
            <h2 id="kb-feedback-title">{move || i18n.t("kb.helpful_question")}</h2>
            <div class="feedback-buttons">
                <button type="button" aria-pressed=move || (vote.get() == Some(true)).to_string()
                    disabled=move || send.pending().get() on:click=move |_| give(true, None)>
                    {move || i18n.t("kb.helpful_yes")}
                </button>
                <button type="button" aria-pressed=move || (vote.get() == Some(false)).to_string()
                    disabled=move || send.pending().get() on:click=move |_| give(false, None)>
                    {move || i18n.t("kb.helpful_no")}
                </button>
            </div>
            {error}
            <div role="status">
                {move || vote.get().map(|_| view! { <p class="success">{move || i18n.t("kb.thanks")}</p> })}
            </div>
            {move || (vote.get().is_some() && !commented.get()).then(|| view! {
                <form class="form" on:submit=move |ev| {
                    ev.prevent_default();
                    let text = comment.get_untracked().trim().to_string();
                    if let Some(helpful) = vote.get_untracked() && !text.is_empty() {
                        give(helpful, Some(text));
                    }
                }>
                    <div class="field">
                        <label for="kb-feedback-comment">{move || i18n.t("kb.comment_label")}</label>
                        <textarea id="kb-feedback-comment" rows="3" maxlength="2000"
                            prop:value=comment on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    </div>
                    <button type="submit" disabled=move || send.pending().get()>{move || i18n.t("kb.comment_send")}</button>
                </form>
            })}
            {move || commented.get().then(|| view! { <p>{move || i18n.t("kb.comment_thanks")}</p> })}
            {move || (vote.get() == Some(false)).then(|| {
                let href = ticket_href.clone();
                view! {
                    <div class="unhelpful-ticket">
                        <p>{move || i18n.t("kb.unhelpful_ticket_text")}</p>
                        <p><A href=href attr:class="button-link primary">{move || i18n.t("kb.none_ticket")}</A></p>
                    </div>
                }
            })}
        </section>
    }
}
