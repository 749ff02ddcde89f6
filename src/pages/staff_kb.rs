//! The staff article list: filters by status, category, language and helpfulness, and a title search.
//! Every filter lives in the URL, so a shared link, Back and a reload keep them.

use api_types::{ArticleSummary, Category};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api::{self, ArticleQuery, enc},
    components::table::TableScroll,
    components::{guard::RequireUser, kb::error_text, staff_kb_nav::StaffKbNav},
    i18n::use_i18n,
    pages::kb_editor::status_tag,
    time,
};

/// The article languages, as tags.
pub const ARTICLE_LOCALES: [&str; 2] = ["pt-BR", "en"];

/// The i18n key of a language's name (`pt-BR`, `en`).
pub fn locale_name_key(tag: &str) -> &'static str {
    if tag == "en" {
        "kbn.lang.en"
    } else {
        "kbn.lang.pt-BR"
    }
}

/// The list's filters from the URL's query; unknown values fall back to "all".
fn query_from(map: &leptos_router::params::ParamsMap) -> ArticleQuery {
    let get = |k: &str| map.get(k).filter(|v| !v.is_empty());
    ArticleQuery {
        status: get("status")
            .filter(|s| ["draft", "published", "archived"].contains(&s.as_str()))
            .unwrap_or_else(|| "all".into()),
        category: get("category"),
        locale: get("locale").filter(|l| ARTICLE_LOCALES.contains(&l.as_str())),
        helpfulness: get("helpfulness").filter(|h| h == "low" || h == "high"),
        q: get("q").unwrap_or_default(),
        page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
    }
}

/// The page's own address for a set of filters.
fn href_for(q: &ArticleQuery) -> String {
    let mut s = format!("/staff/kb?status={}", enc(&q.status));
    for (name, value) in [
        ("locale", &q.locale),
        ("category", &q.category),
        ("helpfulness", &q.helpfulness),
    ] {
        if let Some(v) = value {
            s.push_str(&format!("&{name}={}", enc(v)));
        }
    }
    if !q.q.trim().is_empty() {
        s.push_str(&format!("&q={}", enc(q.q.trim())));
    }
    if q.page > 1 {
        s.push_str(&format!("&page={}", q.page));
    }
    s
}

/// `/staff/kb`, for staff only.
#[component]
pub fn StaffArticles() -> impl IntoView {
    view! { <RequireUser staff=true><ArticleListPage/></RequireUser> }
}

#[component]
fn ArticleListPage() -> impl IntoView {
    let i18n = use_i18n();
    let query_map = use_query_map();
    let navigate = use_navigate();
    let filters = Memo::new(move |_| query_map.with(query_from));
    let search_text = RwSignal::new(filters.get_untracked().q);
    // Back and Forward change the URL: the box follows.
    Effect::new(move |_| {
        let q = filters.get().q;
        if search_text.get_untracked() != q {
            search_text.set(q);
        }
    });
    let list = LocalResource::new(move || {
        let q = filters.get();
        let locale = i18n.locale.get();
        async move { api::staff_articles(locale, &q).await }
    });
    let go = move |q: ArticleQuery| {
        navigate(
            &href_for(&q),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        )
    };
    let set = {
        let go = go.clone();
        move |change: &dyn Fn(&mut ArticleQuery)| {
            let mut q = filters.get_untracked();
            change(&mut q);
            q.page = 1;
            go(q);
        }
    };

    view! {
        <section class="page staff-kb">
            <StaffKbNav/>
            <div class="page-head">
                <h1>{move || i18n.t("kbs.list.title")}</h1>
                <A href="/staff/kb/new" attr:class="button-link primary">{move || i18n.t("kbs.list.new")}</A>
            </div>
            <form role="search" class="filters" aria-label=move || i18n.t("kbs.list.filters")
                on:submit={
                    let set = set.clone();
                    move |ev| {
                        ev.prevent_default();
                        let text = search_text.get_untracked();
                        set(&|q| q.q = text.clone());
                    }
                }>
                <div class="field">
                    <label for="kb-status">{move || i18n.t("kbs.list.status")}</label>
                    <select id="kb-status" on:change={
                        let set = set.clone();
                        move |ev| {
                            let v = event_target_value(&ev);
                            set(&|q| q.status = v.clone());
                        }
                    }>
                        {["all", "draft", "published", "archived"].into_iter().map(|s| view! {
                            <option value=s prop:selected=move || filters.get().status == s>
                                {move || i18n.t(&format!("kbs.status.{s}"))}
                            </option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="kb-locale">{move || i18n.t("kbs.list.locale")}</label>
                    <select id="kb-locale" on:change={
                        let set = set.clone();
                        move |ev| {
                            let v = Some(event_target_value(&ev)).filter(|v| !v.is_empty());
                            // A category belongs to one language: it would hide every article of the other.
                            set(&|q| {
                                q.locale = v.clone();
                                q.category = None;
                            });
                        }
                    }>
                        <option value="" prop:selected=move || filters.get().locale.is_none()>
                            {move || i18n.t("kbs.list.locale_all")}
                        </option>
                        {ARTICLE_LOCALES.into_iter().map(|tag| view! {
                            <option value=tag prop:selected=move || filters.get().locale.as_deref() == Some(tag)>
                                {move || i18n.t(locale_name_key(tag))}
                            </option>
                        }).collect_view()}
                    </select>
                </div>
                <CategoryFilter filters=filters set=set.clone()/>
                <div class="field">
                    <label for="kb-helpfulness">{move || i18n.t("kbs.list.helpfulness")}</label>
                    <select id="kb-helpfulness" on:change={
                        let set = set.clone();
                        move |ev| {
                            let v = Some(event_target_value(&ev)).filter(|v| !v.is_empty());
                            set(&|q| q.helpfulness = v.clone());
                        }
                    }>
                        <option value="" prop:selected=move || filters.get().helpfulness.is_none()>
                            {move || i18n.t("kbs.list.helpfulness_all")}
                        </option>
                        <option value="low" prop:selected=move || filters.get().helpfulness.as_deref() == Some("low")>
                            {move || i18n.t("kbs.list.helpfulness_low")}
                        </option>
                        <option value="high" prop:selected=move || filters.get().helpfulness.as_deref() == Some("high")>
                            {move || i18n.t("kbs.list.helpfulness_high")}
                        </option>
                    </select>
                </div>
                <div class="field">
                    <label for="kb-q">{move || i18n.t("kbs.list.search")}</label>
                    <input id="kb-q" type="search" prop:value=search_text
                        on:input=move |ev| search_text.set(event_target_value(&ev))/>
                </div>
                <button type="submit">{move || i18n.t("kbs.list.search_button")}</button>
            </form>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <p class="error" role="alert">{move || error_text(i18n, &e)}</p> }.into_any(),
                        Ok(page) if page.items.is_empty() => view! {
                            <p role="status" class="empty">{move || i18n.t("kbs.list.empty")}</p>
                        }.into_any(),
                        Ok(page) => {
                            let q = filters.get_untracked();
                            let pages = page.total.div_ceil(u64::from(page.per_page.max(1))) as u32;
                            let prev = (q.page > 1).then(|| href_for(&ArticleQuery { page: q.page - 1, ..q.clone() }));
                            let next = (q.page < pages).then(|| href_for(&ArticleQuery { page: q.page + 1, ..q.clone() }));
                            let total = page.total.to_string();
                            let current = q.page.to_string();
                            let pages_text = pages.to_string();
                            view! {
                                <p role="status" class="muted">{move || i18n.tf("kbs.list.count", &[("count", &total)])}</p>
                                <ArticleTable items=page.items/>
                                {(pages > 1).then(|| view! {
                                    <nav class="pager" aria-label=move || i18n.t("kbs.list.pages")>
                                        {prev.map(|h| view! { <a href=h>{move || i18n.t("kbs.list.prev")}</a> })}
                                        <span>{move || i18n.tf("kbs.list.page_of", &[("page", &current), ("pages", &pages_text)])}</span>
                                        {next.map(|h| view! { <a href=h>{move || i18n.t("kbs.list.next")}</a> })}
                                    </nav>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The categories of the chosen language, or of both when none is chosen, by slug.
#[component]
fn CategoryFilter<F>(filters: Memo<ArticleQuery>, set: F) -> impl IntoView
where
    F: Fn(&dyn Fn(&mut ArticleQuery)) + Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let chosen_locale = Memo::new(move |_| filters.get().locale);
    let categories = LocalResource::new(move || {
        let only = chosen_locale.get();
        let locale = i18n.locale.get();
        async move {
            let tags: Vec<&str> = match only.as_deref() {
                Some(tag) => vec![if tag == "en" { "en" } else { "pt-BR" }],
                None => ARTICLE_LOCALES.to_vec(),
            };
            let mut all: Vec<Category> = Vec::new();
            for tag in tags {
                all.extend(api::categories_of(locale, tag).await?);
            }
            Ok::<_, api::ApiError>((only.is_none(), all))
        }
    });
    view! {
        <div class="field">
            <label for="kb-category">{move || i18n.t("kbs.list.category")}</label>
            <select id="kb-category" on:change=move |ev| {
                let v = Some(event_target_value(&ev)).filter(|v| !v.is_empty());
                set(&|q| q.category = v.clone());
            }>
                <option value="" prop:selected=move || filters.get().category.is_none()>
                    {move || i18n.t("kbs.list.category_all")}
                </option>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match categories.await {
                            Ok((both, items)) => items.into_iter().map(|c| {
                                let slug = c.slug.clone();
                                let label = if both { format!("{} ({})", c.name, c.locale) } else { c.name.clone() };
                                view! {
                                    <option value=c.slug prop:selected=move || filters.get().category.as_deref() == Some(slug.as_str())>
                                        {label}
                                    </option>
                                }
                            }).collect_view().into_any(),
                            // The list still works without them; the error says why the choice is short.
                            Err(_) => view! {
                                <option value="" disabled=true>{move || i18n.t("kbs.list.category_error")}</option>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </select>
        </div>
    }
}

#[component]
fn ArticleTable(items: Vec<ArticleSummary>) -> impl IntoView {
    let i18n = use_i18n();
    let now = time::now();
    view! {
        <TableScroll label=Signal::derive(move || i18n.t("kbs.list.caption"))>
            <table class="data-table kb-articles">
                <caption class="visually-hidden">{move || i18n.t("kbs.list.caption")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{move || i18n.t("kbs.list.col_title")}</th>
                        <th scope="col">{move || i18n.t("kbs.list.col_status")}</th>
                        <th scope="col">{move || i18n.t("kbs.list.col_locale")}</th>
                        <th scope="col">{move || i18n.t("kbs.list.col_category")}</th>
                        <th scope="col">{move || i18n.t("kbs.list.col_updated")}</th>
                        <th scope="col" class="num">{move || i18n.t("kbs.list.col_views")}</th>
                        <th scope="col" class="num">{move || i18n.t("kbs.list.col_votes")}</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|a| {
                        let status = a.status.map(status_tag);
                        let updated = a.updated_at;
                        let locale_key = locale_name_key(&a.locale);
                        let (yes, no) = (a.helpful_yes.to_string(), a.helpful_no.to_string());
                        view! {
                            <tr>
                                <th scope="row" lang=a.locale.clone()>
                                    <A href=format!("/staff/kb/articles/{}", enc(&a.slug))>{a.title}</A>
                                </th>
                                <td>{status.map(|s| view! {
                                    <span class=format!("badge kb-status kb-status-{s}")>{move || i18n.t(&format!("kbs.status.{s}"))}</span>
                                })}</td>
                                <td>{move || i18n.t(locale_key)}</td>
                                <td lang=a.locale.clone()>{a.category.name}</td>
                                <td class="nowrap">
                                    <time datetime=time::iso(updated) title=move || time::date_time_exact(updated, i18n.locale.get())>
                                        {move || time::ago(updated, now, i18n.locale.get())}
                                    </time>
                                </td>
                                <td class="num">{a.views}</td>
                                <td class="num">{move || i18n.tf("kbs.list.votes", &[("yes", &yes), ("no", &no)])}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </TableScroll>
    }
}
