//! The staff area's home: announcements of incidents, maintenance and news for every client.

use api_types::{AnnouncementKind, AnnouncementText, NewAnnouncement};
use leptos::prelude::*;

use crate::{
    api::{self, ApiError},
    components::guard::RequireUser,
    i18n::use_i18n,
    time,
};

#[component]
pub fn StaffHome() -> impl IntoView {
    view! { <RequireUser staff=true><Announcements/></RequireUser> }
}

/// `datetime-local` gives local wall time; the browser knows the offset.
fn local_input_to_utc(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if value.is_empty() {
        return None;
    }
    let ms = js_sys::Date::new(&value.into()).get_time();
    (!ms.is_nan())
        .then(|| chrono::DateTime::from_timestamp_millis(ms as i64))
        .flatten()
}

/// One announcement from the form's two languages. Portuguese is the text for every reader and English a
/// translation; a text written in one language only is shown to every reader.
fn announcement(
    kind: AnnouncementKind,
    [title, body, title_en, body_en]: [String; 4],
    starts_at: Option<chrono::DateTime<chrono::Utc>>,
    ends_at: Option<chrono::DateTime<chrono::Utc>>,
) -> NewAnnouncement {
    let has = |t: &str, b: &str| !t.trim().is_empty() || !b.trim().is_empty();
    let (title, body_md, translations) = match (has(&title, &body), has(&title_en, &body_en)) {
        (false, true) => (title_en, body_en, Vec::new()),
        (true, true) => (
            title,
            body,
            vec![AnnouncementText {
                locale: "en".into(),
                title: title_en,
                body_md: body_en,
            }],
        ),
        _ => (title, body, Vec::new()),
    };
    NewAnnouncement {
        kind,
        title,
        body_md,
        starts_at,
        ends_at,
        locale: None,
        translations,
    }
}

#[component]
fn Announcements() -> impl IntoView {
    let i18n = use_i18n();
    let kind = RwSignal::new("incident".to_string());
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let title_en = RwSignal::new(String::new());
    let body_en = RwSignal::new(String::new());
    let starts = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());

    let create = Action::new_local(move |new: &NewAnnouncement| {
        let new = new.clone();
        let l = i18n.locale.get_untracked();
        async move { api::create_announcement(l, &new).await }
    });
    let end = Action::new_local(move |id: &i64| {
        let id = *id;
        let l = i18n.locale.get_untracked();
        async move { api::end_announcement(l, id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            for field in [title, body, title_en, body_en, starts, ends] {
                field.set(String::new());
            }
        }
    });
    let list = LocalResource::new(move || {
        create.version().get();
        end.version().get();
        let l = i18n.locale.get();
        async move { api::all_announcements(l).await }
    });
    let field_error = move |name: &'static str| {
        move || {
            create
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field(name))
        }
    };
    let general_error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| match e {
                ApiError::Network => Some(i18n.t("error.network")),
                ApiError::Problem(p) if p.errors.is_empty() => Some(p.title),
                _ => None,
            })
    };

    view! {
        <section class="page">
            <h1>{move || i18n.t("staff.title")}</h1>
            <h2>{move || i18n.t("staff.ann.new")}</h2>
            <form class="form" on:submit=move |ev| {
                ev.prevent_default();
                let kind = match kind.get_untracked().as_str() {
                    "maintenance" => AnnouncementKind::Maintenance,
                    "info" => AnnouncementKind::Info,
                    _ => AnnouncementKind::Incident,
                };
                create.dispatch(announcement(
                    kind,
                    [title, body, title_en, body_en].map(|f| f.get_untracked()),
                    local_input_to_utc(&starts.get_untracked()),
                    local_input_to_utc(&ends.get_untracked()),
                ));
            }>
                {move || general_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="field-row">
                    <div class="field">
                        <label for="ann-kind">{move || i18n.t("staff.ann.kind")}</label>
                        <select id="ann-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                            <option value="incident">{move || i18n.t("announcements.incident")}</option>
                            <option value="maintenance">{move || i18n.t("announcements.maintenance")}</option>
                            <option value="info">{move || i18n.t("announcements.info")}</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="ann-starts">{move || i18n.t("staff.ann.starts")}</label>
                        <input id="ann-starts" type="datetime-local" aria-describedby="ann-starts-error"
                            prop:value=starts on:input=move |ev| starts.set(event_target_value(&ev))/>
                        <p id="ann-starts-error" class="field-error">{field_error("starts_at")}</p>
                    </div>
                    <div class="field">
                        <label for="ann-ends">{move || i18n.t("staff.ann.ends")}</label>
                        <input id="ann-ends" type="datetime-local" aria-describedby="ann-ends-error"
                            prop:value=ends on:input=move |ev| ends.set(event_target_value(&ev))/>
                        <p id="ann-ends-error" class="field-error">{field_error("ends_at")}</p>
                    </div>
                </div>
                <p class="muted">{move || i18n.t("staff.ann.languages_hint")}</p>
                <div class="field-row">
                    <fieldset class="field-group">
                        <legend>"Português"</legend>
                        <div class="field">
                            <label for="ann-title">{move || i18n.t("staff.ann.title_pt")}</label>
                            <input id="ann-title" type="text" maxlength="160" aria-describedby="ann-title-error"
                                prop:value=title on:input=move |ev| title.set(event_target_value(&ev))/>
                            <p id="ann-title-error" class="field-error">{field_error("title")}</p>
                        </div>
                        <div class="field">
                            <label for="ann-body">{move || i18n.t("staff.ann.body_pt")}</label>
                            <textarea id="ann-body" rows="4" aria-describedby="ann-body-error"
                                prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                            <p id="ann-body-error" class="field-error">{field_error("body_md")}</p>
                        </div>
                    </fieldset>
                    <fieldset class="field-group">
                        <legend>"English"</legend>
                        <div class="field">
                            <label for="ann-title-en">{move || i18n.t("staff.ann.title_en")}</label>
                            <input id="ann-title-en" type="text" maxlength="160" lang="en" aria-describedby="ann-title-en-error"
                                prop:value=title_en on:input=move |ev| title_en.set(event_target_value(&ev))/>
                            <p id="ann-title-en-error" class="field-error">{field_error("translations[0].title")}</p>
                        </div>
                        <div class="field">
                            <label for="ann-body-en">{move || i18n.t("staff.ann.body_en")}</label>
                            <textarea id="ann-body-en" rows="4" lang="en" aria-describedby="ann-body-en-error"
                                prop:value=body_en on:input=move |ev| body_en.set(event_target_value(&ev))></textarea>
                            <p id="ann-body-en-error" class="field-error">{field_error("translations[0].body_md")}</p>
                        </div>
                    </fieldset>
                </div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    {move || i18n.t("staff.ann.publish")}
                </button>
            </form>

            <h2>{move || i18n.t("staff.ann.list")}</h2>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(_) => view! { <p class="error" role="alert">{move || i18n.t("error.unexpected")}</p> }.into_any(),
                        Ok(items) if items.is_empty() => view! { <p class="muted">{move || i18n.t("staff.ann.none")}</p> }.into_any(),
                        Ok(items) => view! {
                            <ul class="plain-list">
                                {items.into_iter().map(|a| {
                                    let starts = a.starts_at;
                                    let active = a.ends_at.is_none_or(|e| e > time::now());
                                    let id = a.id;
                                    view! {
                                        <li class="card">
                                            <strong>{a.title.clone()}</strong>
                                            " · "
                                            <time datetime=time::iso(starts)>{move || time::date_time(starts, i18n.locale.get())}</time>
                                            {a.ends_at.map(|e| view! {
                                                " → " <time datetime=time::iso(e)>{move || time::date_time(e, i18n.locale.get())}</time>
                                            })}
                                            {active.then(|| view! {
                                                " "
                                                <button type="button" class="secondary" on:click=move |_| { end.dispatch(id); }>
                                                    {move || i18n.t("staff.ann.end")}
                                                </button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
