//! The active announcements, on every page: incidents stand out, each with its start (and its planned end,
//! for a maintenance window) in the reader's zone.

use std::time::Duration;

use api_types::{Announcement, AnnouncementKind};
use leptos::prelude::*;

use crate::{api, i18n::use_i18n, time};

/// How often a page that stays open looks for new announcements.
const REFRESH: Duration = Duration::from_secs(60);

#[component]
pub fn AnnouncementBanner() -> impl IntoView {
    let i18n = use_i18n();
    let tick = RwSignal::new(0u32);
    if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH) {
        on_cleanup(move || handle.clear());
    }
    let list = LocalResource::new(move || {
        tick.track();
        let locale = i18n.locale.get();
        async move { api::announcements(locale).await.unwrap_or_default() }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let items = list.await;
                (!items.is_empty()).then(|| view! {
                    <section class="announcements" aria-label=move || i18n.t("announcements.label")>
                        <div class="container">
                            {items.into_iter().map(|a| view! { <AnnouncementItem a=a/> }).collect_view()}
                        </div>
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
fn AnnouncementItem(a: Announcement) -> impl IntoView {
    let i18n = use_i18n();
    let (class, key) = match a.kind {
        AnnouncementKind::Incident => ("announcement incident", "announcements.incident"),
        AnnouncementKind::Maintenance => ("announcement maintenance", "announcements.maintenance"),
        AnnouncementKind::Info => ("announcement info", "announcements.info"),
    };
    let starts = a.starts_at;
    view! {
        <article class=class>
            <p class="announcement-head">
                <span class="announcement-kind">{move || i18n.t(key)}</span>
                " "
                <strong>{a.title.clone()}</strong>
                " · "
                <span>
                    {move || i18n.t("announcements.since")} " "
                    <time datetime=time::iso(starts)>{move || time::date_time(starts, i18n.locale.get())}</time>
                </span>
                {a.ends_at.map(|ends| view! {
                    " · "
                    <span>
                        {move || i18n.t("announcements.until")} " "
                        <time datetime=time::iso(ends)>{move || time::date_time(ends, i18n.locale.get())}</time>
                    </span>
                })}
            </p>
            <div class="announcement-body" inner_html=a.body_html.clone()></div>
        </article>
    }
}
