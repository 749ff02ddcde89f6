//! The home page: one search box over the knowledge base, results as the reader types, the categories and
//! the most viewed articles. The query lives in the URL (`/?q=`), so a search can be shared and Back works.
//! Only the query the reader settles on is recorded for the analytics (see `components::settled`).

use std::time::Duration;

use api_types::{SearchHit, SearchResults};
use leptos::{ev, html, prelude::*, task::spawn_local};
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api::{self, ApiError, enc},
    components::{
        kb::{ArticleList, error_text},
        settled::{SettledSearch, plain_click},
    },
    i18n::use_i18n,
    session::use_session,
    timers::Debounce,
};

/// Typing pauses this long before a search is sent.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// Hits shown as the reader types.
const LIMIT: u32 = 8;
/// Hits per page of "see all results" (`/?q=...&all=1&page=N`).
const PAGE_SIZE: u32 = 20;

/// The address of an article reached from a search, so the analytics can tell which searches answered.
fn hit_href(slug: &str, search_id: Option<i64>) -> String {
    match search_id {
        Some(id) => format!("/kb/{slug}?search_id={id}"),
        None => format!("/kb/{slug}"),
    }
}

/// The address of a new ticket about a search that found nothing.
fn ticket_href(query: &str, search_id: Option<i64>) -> String {
    let mut href = format!("/tickets/new?subject={}", enc(query));
    if let Some(id) = search_id {
        href.push_str(&format!("&search_id={id}"));
    }
    href
}

/// Opens `href(search_id)` once `query` is recorded: a result opened is a search the reader settled on.
fn open_settled(
    settled: SettledSearch,
    locale: crate::i18n::Locale,
    query: String,
    href: impl Fn(Option<i64>) -> String + 'static,
    navigate: impl Fn(&str, NavigateOptions) + 'static,
) {
    spawn_local(async move {
        let id = settled.record(locale, query).await;
        // The reader may have gone elsewhere while the answer came.
        if settled.alive() {
            navigate(&href(id), Default::default());
        }
    });
}

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let query_map = use_query_map();
    let navigate = use_navigate();
    let url_query = Memo::new(move |_| query_map.with(|q| q.get("q").unwrap_or_default()));
    // `all=1`: every result, a page at a time, instead of the first few.
    let paging = Memo::new(move |_| {
        query_map.with(|q| {
            let all = q.get("all").is_some_and(|v| v == "1");
            let page = q
                .get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| (1..=20).contains(p))
                .unwrap_or(1);
            all.then_some(page)
        })
    });
    let text = RwSignal::new(url_query.get_untracked());
    let active = RwSignal::new(None::<usize>);
    let timer = Debounce::new();
    let settled = SettledSearch::new();
    let input_ref = NodeRef::<html::Input>::new();

    // Back and Forward change the URL: the box follows.
    Effect::new(move |_| {
        let q = url_query.get();
        if text.get_untracked() != q {
            text.set(q.clone());
        }
        active.set(None);
        // A query that stays a while is the one the reader settled on (a shared link included).
        settled.settle_later(i18n.locale.get_untracked(), q);
    });
    Effect::new(move |_| {
        if let Some(input) = input_ref.get() {
            let _ = input.focus();
        }
    });

    let results = LocalResource::new(move || {
        let q = url_query.get();
        let locale = i18n.locale.get();
        let (limit, page) = paging.get().map_or((LIMIT, 1), |p| (PAGE_SIZE, p));
        async move {
            if q.trim().is_empty() {
                None
            } else {
                Some(api::search(locale, &q, limit, page).await)
            }
        }
    });
    // The hits currently shown, for the keyboard.
    let hits = move || -> Vec<SearchHit> {
        results
            .get()
            .flatten()
            .and_then(|r| r.ok())
            .map(|r| r.items)
            .unwrap_or_default()
    };

    let go_to_query = {
        let navigate = navigate.clone();
        move |value: String| {
            let Some(current) = url_query.try_get_untracked() else {
                return;
            };
            let first = current.is_empty();
            let path = if value.trim().is_empty() {
                "/".to_string()
            } else {
                format!("/?q={}", enc(&value))
            };
            // The first query makes a history entry (Back returns to the empty page); refinements replace it.
            navigate(
                &path,
                NavigateOptions {
                    replace: !first,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    };
    let on_input = {
        let go_to_query = go_to_query.clone();
        let timer = timer.clone();
        move |ev: ev::Event| {
            let value = event_target_value(&ev);
            text.set(value.clone());
            active.set(None);
            let go_to_query = go_to_query.clone();
            timer.schedule(move || go_to_query(value), DEBOUNCE);
        }
    };
    let on_keydown = {
        let navigate = navigate.clone();
        let go_to_query = go_to_query.clone();
        move |ev: ev::KeyboardEvent| {
            let count = hits().len();
            match ev.key().as_str() {
                "ArrowDown" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % count)));
                }
                "ArrowUp" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = Some(a.map_or(count - 1, |i| (i + count - 1) % count)));
                }
                "Enter" => {
                    ev.prevent_default();
                    let locale = i18n.locale.get_untracked();
                    if let Some(hit) = active.get_untracked().and_then(|i| hits().get(i).cloned()) {
                        let navigate = navigate.clone();
                        open_settled(
                            settled,
                            locale,
                            url_query.get_untracked(),
                            move |id| hit_href(&hit.slug, id),
                            navigate,
                        );
                    } else {
                        // Search now, without waiting for the pause: the reader settled on it.
                        timer.cancel();
                        go_to_query(text.get_untracked());
                        settled.settle(locale, text.get_untracked());
                    }
                }
                "Escape" => {
                    ev.prevent_default();
                    if active.get_untracked().is_some() {
                        active.set(None);
                    } else {
                        text.set(String::new());
                        go_to_query(String::new());
                    }
                }
                _ => {}
            }
        }
    };
    let has_query = move || !url_query.get().trim().is_empty();
    let expanded = move || has_query() && !hits().is_empty();
    let active_id = move || active.get().map(|i| format!("kb-hit-{i}"));

    view! {
        <section class="hero">
            <h1>{move || i18n.t("home.title")}</h1>
            <p class="lead">{move || i18n.t("home.lead")}</p>
            {move || session.current().map(|user| {
                let staff = user.role.is_staff();
                view! {
                    <p>{i18n.tf("home.welcome", &[("name", &user.name)])}</p>
                    {(!staff).then(|| view! {
                        <p class="hero-actions">
                            <a href="/tickets/new" class="button-link primary">{move || i18n.t("tickets.new")}</a>
                        </p>
                    })}
                }
            })}
            <form role="search" class="search-form" on:submit=|ev| ev.prevent_default()>
                <label for="kb-search" class="search-label">{move || i18n.t("kb.search_label")}</label>
                <input id="kb-search" type="search" class="search-input" autocomplete="off" spellcheck="false"
                    role="combobox" aria-autocomplete="list" aria-controls="kb-hits"
                    aria-expanded=move || expanded().to_string()
                    aria-activedescendant=active_id
                    aria-describedby="kb-search-hint"
                    placeholder=move || i18n.t("kb.search_placeholder")
                    node_ref=input_ref prop:value=text on:input=on_input on:keydown=on_keydown
                    on:blur=move |_| settled.settle(i18n.locale.get_untracked(), text.get_untracked())/>
                <p id="kb-search-hint" class="hint">{move || i18n.t("kb.search_hint")}</p>
            </form>
        </section>
        <p class="visually-hidden" role="status" aria-live="polite">
            {move || match results.get().flatten() {
                Some(Ok(r)) => i18n.tf("kb.result_count", &[("count", &r.total.to_string())]),
                _ => String::new(),
            }}
        </p>
        <Show when=has_query fallback=move || view! { <Browse/> }>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        None => ().into_any(),
                        Some(Err(e)) => results_error(i18n, e).into_any(),
                        Some(Ok(r)) if r.items.is_empty() => view! { <NoResults results=r settled=settled/> }.into_any(),
                        Some(Ok(r)) => view! { <Hits results=r active=active paging=paging.get_untracked() settled=settled/> }.into_any(),
                    }
                })}
            </Transition>
        </Show>
    }
}

fn results_error(i18n: crate::i18n::I18n, error: ApiError) -> impl IntoView {
    // A query the server refuses (too long) is the reader's to fix; say what the server said.
    view! { <p class="error" role="alert">{error_text(i18n, &error)}</p> }
}

/// The hits, as a listbox the arrow keys move through; then how many there are in all, and the way to them.
#[component]
fn Hits(
    results: SearchResults,
    active: RwSignal<Option<usize>>,
    /// `Some(page)` on the "all results" pages; `None` for the first hits as the reader types.
    paging: Option<u32>,
    /// Records the search when a hit is opened.
    settled: SettledSearch,
) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let total = results.total;
    let shown = results.items.len() as u64;
    let q = enc(&results.query);
    let all_href = |page: u32| format!("/?q={q}&all=1&page={page}");
    let more = match paging {
        None => (total > shown).then(|| {
            let href = all_href(1);
            let count = total.to_string();
            view! {
                <p class="see-all"><a href=href>{move || i18n.tf("kb.see_all", &[("count", &count)])}</a></p>
            }
            .into_any()
        }),
        Some(page) => {
            let pages = total.div_ceil(u64::from(PAGE_SIZE)).clamp(1, 20) as u32;
            let prev = (page > 1).then(|| all_href(page - 1));
            let next = (page < pages).then(|| all_href(page + 1));
            let (page_text, pages_text) = (page.to_string(), pages.to_string());
            Some(
                view! {
                    <nav class="pager" aria-label=move || i18n.t("kb.pages")>
                        {prev.map(|h| view! { <a href=h>{move || i18n.t("kb.prev")}</a> })}
                        <span>{move || i18n.tf("kb.result_page", &[("page", &page_text), ("pages", &pages_text)])}</span>
                        {next.map(|h| view! { <a href=h>{move || i18n.t("kb.next")}</a> })}
                    </nav>
                }
                .into_any(),
            )
        }
    };
    let count = total.to_string();
    let other_locale = (!results.locale.is_empty()
        && results.locale != i18n.locale.get_untracked().tag())
    .then_some(());
    let query = results.query.clone();
    view! {
        <section class="results" aria-labelledby="kb-results-title">
            <h2 id="kb-results-title">{move || i18n.t("kb.results")}</h2>
            <p class="muted">{move || i18n.tf("kb.result_count", &[("count", &count)])}</p>
            {other_locale.map(|_| view! { <p class="hint">{move || i18n.t("kb.other_locale")}</p> })}
            <div id="kb-hits" role="listbox" class="hits" aria-labelledby="kb-results-title">
                {results.items.into_iter().enumerate().map(|(i, hit)| {
                    let slug = hit.slug.clone();
                    let href = {
                        let (slug, query) = (slug.clone(), query.clone());
                        move || hit_href(&slug, settled.id_for(&query))
                    };
                    let on_click = {
                        let (query, navigate) = (query.clone(), navigate.clone());
                        move |ev: ev::MouseEvent| {
                            if plain_click(&ev) && settled.id_for(&query).is_none() {
                                ev.prevent_default();
                                let slug = slug.clone();
                                open_settled(settled, i18n.locale.get_untracked(), query.clone(), move |id| hit_href(&slug, id), navigate.clone());
                            }
                        }
                    };
                    view! {
                        <a href=href id=format!("kb-hit-{i}") role="option" class="hit" on:click=on_click
                            aria-selected=move || (active.get() == Some(i)).to_string()>
                            <span class="hit-title">{hit.title}</span>
                            <span class="hit-snippet" inner_html=hit.snippet></span>
                        </a>
                    }
                }).collect_view()}
            </div>
            {more}
        </section>
    }
}

/// Nothing matched: say so, suggest what else to try, and offer a ticket with the question already in it.
#[component]
fn NoResults(
    results: SearchResults,
    /// Records the search when the reader turns it into a ticket.
    settled: SettledSearch,
) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let query = results.query.clone();
    let ticket = {
        let query = query.clone();
        move || ticket_href(&query, settled.id_for(&query))
    };
    let on_click = {
        let query = query.clone();
        move |ev: ev::MouseEvent| {
            if plain_click(&ev) && settled.id_for(&query).is_none() {
                ev.prevent_default();
                let q = query.clone();
                open_settled(
                    settled,
                    i18n.locale.get_untracked(),
                    query.clone(),
                    move |id| ticket_href(&q, id),
                    navigate.clone(),
                );
            }
        }
    };
    view! {
        <section class="no-results" aria-labelledby="kb-none-title">
            <h2 id="kb-none-title">{move || i18n.tf("kb.none_title", &[("query", &query)])}</h2>
            <ul>
                <li>{move || i18n.t("kb.none_tip_spelling")}</li>
                <li>{move || i18n.t("kb.none_tip_words")}</li>
                <li>{move || i18n.t("kb.none_tip_browse")}</li>
            </ul>
            <p>{move || i18n.t("kb.none_ticket_text")}</p>
            <p><a href=ticket class="button-link primary" on:click=on_click>{move || i18n.t("kb.none_ticket")}</a></p>
        </section>
        <Browse/>
    }
}

/// Categories with their article counts, and the most viewed articles.
#[component]
fn Browse() -> impl IntoView {
    let i18n = use_i18n();
    let categories = LocalResource::new(move || {
        let locale = i18n.locale.get();
        async move { api::categories(locale).await }
    });
    let popular = LocalResource::new(move || {
        let locale = i18n.locale.get();
        async move { api::articles(locale, None, true, 6).await }
    });
    // The server's copy of the home page gives way once both lists are here (see `prerender`).
    Effect::new(move |_| {
        if categories.get().is_some() && popular.get().is_some() {
            crate::prerender::reveal_soon();
        }
    });
    view! {
        <div class="browse">
            <section aria-labelledby="kb-categories-title">
                <h2 id="kb-categories-title">{move || i18n.t("kb.categories")}</h2>
                <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                    {move || Suspend::new(async move {
                        match categories.await {
                            Err(e) => view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="category-grid plain-list">
                                    {list.into_iter().filter(|c| c.article_count > 0).map(|c| {
                                        let count = c.article_count.to_string();
                                        view! {
                                            <li class="card">
                                                <A href=format!("/kb/c/{}", c.slug) attr:class="category-link">{c.name}</A>
                                                <p class="muted">{c.description}</p>
                                                <p class="count">{move || i18n.tf("kb.article_count", &[("count", &count)])}</p>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section aria-labelledby="kb-popular-title">
                <h2 id="kb-popular-title">{move || i18n.t("kb.popular")}</h2>
                <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                    {move || Suspend::new(async move {
                        match popular.await {
                            Err(e) => view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any(),
                            Ok(page) => view! { <ArticleList articles=page.items/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}
