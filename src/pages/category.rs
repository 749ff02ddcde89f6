//! A category of the knowledge base: its description and its published articles.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    api,
    components::kb::{ArticleList, Breadcrumbs, Crumb, ErrorNotice, Missing},
    i18n::use_i18n,
};

#[component]
pub fn CategoryPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()));
    let page = LocalResource::new(move || {
        let slug = slug.get();
        let locale = i18n.locale.get();
        async move {
            let categories = api::categories(locale).await?;
            let articles = api::articles(locale, Some(&slug), false, 100).await?;
            Ok::<_, api::ApiError>((categories.into_iter().find(|c| c.slug == slug), articles))
        }
    });
    // The server's copy of the page gives way once this one has its answer (see `prerender`).
    Effect::new(move |_| {
        if page.get().is_some() {
            crate::prerender::reveal_soon();
        }
    });
    view! {
        <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok((None, _)) => view! { <Missing/> }.into_any(),
                    Ok((Some(category), articles)) => view! {
                        <Breadcrumbs crumbs=vec![Crumb { label: category.name.clone(), href: None }]/>
                        <section class="page">
                            <h1>{category.name}</h1>
                            <p class="lead">{category.description}</p>
                            {if articles.items.is_empty() {
                                view! { <p>{move || i18n.t("kb.category_empty")}</p> }.into_any()
                            } else {
                                view! { <ArticleList articles=articles.items/> }.into_any()
                            }}
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
