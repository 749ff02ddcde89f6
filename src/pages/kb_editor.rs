//! The article editor: a Markdown body with the server's preview, a draft kept in the browser, and a dialog when someone else saved first.
//!
//! Every keystroke keeps the whole form and the revision the edit started from in `localStorage`
//! (`kb-draft:new`, `kb-draft:<id>`), so a reload, a crash, an expired session or a lost connection loses
//! nothing. A save that started from an old revision is refused by the server (409): the editor then shows
//! both versions and lets the person choose, so two editors never silently overwrite each other.

use std::time::Duration;

use api_types::{Article, ArticleChange, ArticleStatus, DiffLine, DiffOp, NewArticle};
use chrono::{DateTime, Utc};
use js_sys::{Date, Object, Reflect};
use leptos::{html, prelude::*};
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_location, use_navigate, use_params_map, use_query_map},
};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use crate::{
    api::{self, ApiError},
    components::{
        guard::{self, RequireUser, login_url},
        kb::{ErrorNotice, error_text},
        staff_kb_nav::StaffKbNav,
    },
    drafts,
    i18n::{I18n, Locale, use_i18n},
    pages::kb_history::DiffLines,
    time,
    timers::Debounce,
};

/// The preview follows the text this long after the last keystroke.
const PREVIEW_DEBOUNCE: Duration = Duration::from_millis(300);
/// The draft of an article that does not exist yet.
const NEW_DRAFT_KEY: &str = "kb-draft:new";
/// The fields the server may refuse, each shown beside its own field.
const FIELDS: [&str; 5] = ["title", "body_md", "category_id", "locale", "tags"];

fn draft_key(id: Option<i64>) -> String {
    id.map_or_else(|| NEW_DRAFT_KEY.to_string(), |id| format!("kb-draft:{id}"))
}

/// `draft`, `published`, `archived`.
pub fn status_tag(status: ArticleStatus) -> &'static str {
    match status {
        ArticleStatus::Draft => "draft",
        ArticleStatus::Published => "published",
        ArticleStatus::Archived => "archived",
    }
}

/// The i18n key of an article's status.
pub fn status_key(tag: &str) -> &'static str {
    match tag {
        "published" => "kbe.status_published",
        "archived" => "kbe.status_archived",
        _ => "kbe.status_draft",
    }
}

/// Just the time of day, to the second ("14:30:05"), in the reader's zone.
pub fn time_of_day(at: DateTime<Utc>, locale: Locale) -> String {
    let options = Object::new();
    let _ = Reflect::set(&options, &"timeStyle".into(), &"medium".into());
    Date::new(&JsValue::from_f64(at.timestamp_millis() as f64))
        .to_locale_string(locale.tag(), &options)
        .into()
}

/// Focuses `button` once the page has been updated: while the modal dialog is still open, nothing outside
/// it can take the focus.
fn focus_soon(button: NodeRef<html::Button>) {
    set_timeout(
        move || {
            if let Some(Some(b)) = button.try_get_untracked() {
                let _ = b.focus();
            }
        },
        Duration::ZERO,
    );
}

/// Everything the form holds, as text: what a draft keeps and what a save sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Content {
    title: String,
    /// The article's language (`pt-BR`, `en`).
    locale: String,
    /// The category's id as the select holds it; empty while none is chosen.
    category: String,
    /// Comma-separated.
    tags: String,
    body_md: String,
}

impl Content {
    fn of(a: &Article) -> Self {
        Self {
            title: a.title.clone(),
            locale: a.locale.clone(),
            category: a.category.id.to_string(),
            tags: a.tags.join(", "),
            body_md: a.body_md.clone(),
        }
    }
}

/// Tags from what was typed: comma-separated, trimmed, the empty ones dropped.
fn tag_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

/// What `localStorage` keeps for one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ArticleDraft {
    content: Content,
    /// The revision the edit started from; `None` for a new article.
    revision: Option<i64>,
    saved_at: DateTime<Utc>,
}

/// The form's fields, one signal each.
#[derive(Clone, Copy)]
struct Form {
    title: RwSignal<String>,
    locale: RwSignal<String>,
    category: RwSignal<String>,
    tags: RwSignal<String>,
    body: RwSignal<String>,
}

impl Form {
    fn new(c: &Content) -> Self {
        Self {
            title: RwSignal::new(c.title.clone()),
            locale: RwSignal::new(c.locale.clone()),
            category: RwSignal::new(c.category.clone()),
            tags: RwSignal::new(c.tags.clone()),
            body: RwSignal::new(c.body_md.clone()),
        }
    }

    /// The whole form (tracked).
    fn get(&self) -> Content {
        Content {
            title: self.title.get(),
            locale: self.locale.get(),
            category: self.category.get(),
            tags: self.tags.get(),
            body_md: self.body.get(),
        }
    }

    fn get_untracked(&self) -> Content {
        Content {
            title: self.title.get_untracked(),
            locale: self.locale.get_untracked(),
            category: self.category.get_untracked(),
            tags: self.tags.get_untracked(),
            body_md: self.body.get_untracked(),
        }
    }

    fn set(&self, c: &Content) {
        self.title.set(c.title.clone());
        self.locale.set(c.locale.clone());
        self.category.set(c.category.clone());
        self.tags.set(c.tags.clone());
        self.body.set(c.body_md.clone());
    }
}

/// Someone else saved first: the article as it is now, who saved it and when.
#[derive(Debug, Clone, PartialEq)]
struct Conflict {
    current: Article,
    /// The body's lines from theirs to mine.
    changes: Vec<DiffLine>,
    author: Option<String>,
    at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
enum Failure {
    Api(ApiError),
    Conflict(Box<Conflict>),
}

/// What the last action did, for the status line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Done {
    /// Saved as this revision, at this time.
    Saved(i64, DateTime<Utc>),
    Archived,
}

/// One save: what the form held, the status chosen with the button, and for an existing article its id and
/// the revision the edit started from.
#[derive(Debug, Clone)]
struct SaveRequest {
    content: Content,
    status: ArticleStatus,
    target: Option<(i64, i64)>,
}

async fn save_article(
    locale: Locale,
    req: &SaveRequest,
    translation_of: Option<i64>,
) -> Result<Article, Failure> {
    let c = &req.content;
    let category_id = c.category.parse().unwrap_or_default();
    let status = Some(req.status);
    let Some((id, revision)) = req.target else {
        let body = NewArticle {
            title: c.title.clone(),
            body_md: c.body_md.clone(),
            category_id,
            locale: c.locale.clone(),
            tags: tag_list(&c.tags),
            status,
            translation_of,
        };
        return api::create_article(locale, &body)
            .await
            .map_err(Failure::Api);
    };
    let body = ArticleChange {
        title: c.title.clone(),
        body_md: c.body_md.clone(),
        category_id,
        locale: c.locale.clone(),
        tags: tag_list(&c.tags),
        status,
        translation_of,
        revision,
    };
    match api::update_article(locale, id, &body).await {
        Ok(a) => Ok(a),
        Err(ApiError::Problem(p)) if p.status == 409 && p.current.is_some() => {
            let mut p = *p;
            let Some(current) = p.current.take().map(|c| *c) else {
                return Err(Failure::Api(ApiError::Problem(Box::new(p))));
            };
            let changes = p.changes.unwrap_or_default();
            // The article does not say who saved it; its revision does.
            let saved = api::revision(locale, id, current.revision).await.ok();
            Err(Failure::Conflict(Box::new(Conflict {
                author: saved
                    .as_ref()
                    .and_then(|r| r.author.as_ref().map(|a| a.name.clone())),
                at: saved.map_or(current.updated_at, |r| r.created_at),
                current,
                changes,
            })))
        }
        Err(e) => Err(Failure::Api(e)),
    }
}

/// A link to write the article in the other language, when it has no translation yet.
fn translate_href(article: &Article) -> Option<(String, &'static str)> {
    let (other, key) = if article.locale == "en" {
        ("pt-BR", "kbe.translate_pt")
    } else {
        ("en", "kbe.translate_en")
    };
    let translated = article.translations.iter().any(|t| t.locale == other);
    (!translated).then(|| {
        (
            format!(
                "/staff/kb/new?locale={other}&translation_of={}&title={}",
                article.id,
                api::enc(&article.title)
            ),
            key,
        )
    })
}

/// The article as the server has it, and the id of its translation: an edit must send that link back,
/// or the save would drop it.
#[derive(Debug, Clone)]
struct Loaded {
    article: Article,
    translation_of: Option<i64>,
}

async fn load(locale: Locale, slug: &str) -> Result<Loaded, ApiError> {
    let article = api::article(locale, slug, None).await?;
    let other = article
        .translations
        .iter()
        .find(|t| t.locale != article.locale && t.slug != article.slug)
        .map(|t| t.slug.clone());
    let translation_of = match other {
        None => None,
        Some(slug) => match api::article(locale, &slug, None).await {
            Ok(t) => Some(t.id),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(e),
        },
    };
    Ok(Loaded {
        article,
        translation_of,
    })
}

/// `/staff/kb/new` and `/staff/kb/articles/:slug`, for staff only.
#[component]
pub fn ArticleEditor() -> impl IntoView {
    view! {
        <RequireUser staff=true>
            <EditorLoader/>
        </RequireUser>
    }
}

#[component]
fn EditorLoader() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.with(|p| p.get("slug")));
    move || match slug.get() {
        None => view! { <EditorForm loaded=None/> }.into_any(),
        Some(slug) => view! { <EditExisting slug=slug/> }.into_any(),
    }
}

#[component]
fn EditExisting(slug: String) -> impl IntoView {
    let i18n = use_i18n();
    let loaded = LocalResource::new(move || {
        let slug = slug.clone();
        let locale = i18n.locale.get_untracked();
        async move { load(locale, &slug).await }
    });
    view! {
        <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
            {move || Suspend::new(async move {
                match loaded.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(l) => view! { <EditorForm loaded=Some(l)/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A new article starts from the query (`?title=&locale=&category=`), for instance a search that found nothing
/// (`translation_of` is read by the form).
fn prefill(i18n: I18n, q: &leptos_router::params::ParamsMap) -> (Content, Option<String>) {
    let locale = q
        .get("locale")
        .and_then(|l| Locale::from_tag(&l))
        .unwrap_or_else(|| i18n.locale.get_untracked());
    let (category, category_slug) = match q.get("category").filter(|c| !c.trim().is_empty()) {
        Some(c) if c.parse::<i64>().is_ok() => (c, None),
        other => (String::new(), other),
    };
    let content = Content {
        title: q
            .get("title")
            .unwrap_or_default()
            .trim()
            .chars()
            .take(200)
            .collect(),
        locale: locale.tag().to_string(),
        category,
        tags: String::new(),
        body_md: String::new(),
    };
    (content, category_slug)
}

#[component]
fn EditorForm(loaded: Option<Loaded>) -> impl IntoView {
    let i18n = use_i18n();
    let navigate = use_navigate();
    let location = use_location();
    let query = use_query_map();
    // An edit sends the existing link back; a new article may start as a translation (`?translation_of=`).
    let translation_of = match &loaded {
        Some(l) => l.translation_of,
        None => query.with_untracked(|q| q.get("translation_of").and_then(|t| t.parse().ok())),
    };
    let server = RwSignal::new(loaded.map(|l| l.article));
    let id = server.with_untracked(|a| a.as_ref().map(|a| a.id));
    let key = StoredValue::new(draft_key(id));

    // What the form holds when nothing has been typed: the server's copy, or the query's prefill.
    let (start, category_slug) = match server.get_untracked() {
        Some(a) => (Content::of(&a), None),
        None => query.with_untracked(|q| prefill(i18n, q)),
    };
    let server_revision = server.with_untracked(|a| a.as_ref().map(|a| a.revision));
    let pristine = StoredValue::new(start.clone());
    let stored: Option<ArticleDraft> = key.with_value(|k| drafts::load(k));
    let restored = stored.filter(|d| d.content != start);
    if restored.is_none() {
        key.with_value(|k| drafts::clear(k));
    }
    let form = Form::new(restored.as_ref().map_or(&start, |d| &d.content));
    let base = RwSignal::new(
        restored
            .as_ref()
            .map_or(server_revision, |d| d.revision.or(server_revision)),
    );
    // When a draft was brought back: when it was saved, and whether the server has a newer revision since.
    let notice = RwSignal::new(restored.as_ref().map(|d| {
        (
            d.saved_at,
            d.revision.is_some() && d.revision != server_revision,
        )
    }));
    let conflict = RwSignal::new(None::<Conflict>);
    let saved = RwSignal::new(None::<Done>);
    let category_missing = RwSignal::new(false);
    // Set once a new article exists: its `new` draft must not come back.
    let done = StoredValue::new(false);

    // Every keystroke is kept in this browser, with the revision it started from; a form that matches the
    // server's copy needs no draft.
    let last_kept = StoredValue::new(
        restored
            .as_ref()
            .map(|d| (d.content.clone(), d.revision.or(server_revision))),
    );
    Effect::new(move |_| {
        let content = form.get();
        let revision = base.get();
        let unchanged = server.with(|a| match a {
            Some(a) => revision == Some(a.revision) && content == Content::of(a),
            None => pristine.with_value(|p| *p == content),
        });
        if done.get_value() {
            return;
        }
        if unchanged {
            key.with_value(|k| drafts::clear(k));
            last_kept.set_value(None);
        } else if last_kept.with_value(|l| l.as_ref() != Some(&(content.clone(), revision))) {
            let draft = ArticleDraft {
                content: content.clone(),
                revision,
                saved_at: time::now(),
            };
            key.with_value(|k| drafts::save(k, &draft));
            last_kept.set_value(Some((content, revision)));
        }
    });

    // The categories of the article's language (not the reader's).
    let categories = LocalResource::new(move || {
        let tag = form.locale.get();
        let locale = i18n.locale.get_untracked();
        async move { api::categories_of(locale, &tag).await }
    });
    // `?category=<slug>`: chosen once the language's categories are known.
    let category_slug = StoredValue::new(category_slug);
    Effect::new(move |_| {
        let Some(Ok(list)) = categories.get() else {
            return;
        };
        let Some(slug) = category_slug.get_value() else {
            return;
        };
        category_slug.set_value(None);
        if let Some(c) = list.iter().find(|c| c.slug == slug)
            && form.category.get_untracked().is_empty()
        {
            let id = c.id.to_string();
            pristine.update_value(|p| {
                if p.category.is_empty() {
                    p.category = id.clone();
                }
            });
            form.category.set(id);
        }
    });

    let save = Action::new_local(move |req: &SaveRequest| {
        let req = req.clone();
        let locale = i18n.locale.get_untracked();
        async move {
            let outcome = save_article(locale, &req, translation_of).await;
            (req.content, outcome)
        }
    });
    let save_ref = NodeRef::<html::Button>::new();
    let category_ref = NodeRef::<html::Select>::new();
    // The status the last save asked for: "Keep my version" in the conflict dialog asks for it again.
    let chosen = RwSignal::new(ArticleStatus::Draft);
    let submit = move |status: ArticleStatus| {
        if save.pending().get_untracked() {
            return;
        }
        chosen.set(status);
        let content = form.get_untracked();
        if content.category.parse::<i64>().is_err() {
            category_missing.set(true);
            if let Some(select) = category_ref.get_untracked() {
                let _ = select.focus();
            }
            return;
        }
        category_missing.set(false);
        let target = server
            .with_untracked(|a| a.as_ref().map(|a| a.id))
            .map(|id| (id, base.get_untracked().unwrap_or_default()));
        save.dispatch(SaveRequest {
            content,
            status,
            target,
        });
    };
    Effect::new(move |_| {
        let Some((sent, outcome)) = save.value().get() else {
            return;
        };
        match outcome {
            Ok(article) if id.is_none() => {
                done.set_value(true);
                drafts::clear(NEW_DRAFT_KEY);
                navigate(
                    &format!("/staff/kb/articles/{}", article.slug),
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
            Ok(article) => {
                // What was typed while the save was on its way stays in the form (and in the draft).
                if form.get_untracked() == sent {
                    form.set(&Content::of(&article));
                }
                base.set(Some(article.revision));
                notice.set(None);
                saved.set(Some(Done::Saved(article.revision, time::now())));
                server.set(Some(article));
            }
            Err(Failure::Conflict(c)) => {
                saved.set(None);
                conflict.set(Some(*c));
            }
            Err(Failure::Api(_)) => saved.set(None),
        }
    });
    let failure = Memo::new(move |_| {
        save.value().with(|v| match v {
            Some((_, Err(Failure::Api(e)))) => Some(e.clone()),
            _ => None,
        })
    });
    let field_error = move |name: &'static str| {
        move || {
            if name == "category_id" && category_missing.get() {
                return Some(i18n.t("kbe.category_required"));
            }
            failure.with(|f| f.as_ref().and_then(|e| e.field(name)))
        }
    };
    let invalid = move |name: &'static str| move || field_error(name)().is_some().to_string();

    // The preview: the server renders it exactly as it will be published. One request at a time; while one
    // is on its way, only the latest text waits for the next.
    let preview = Action::new_local(move |md: &String| {
        let md = md.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::article_preview(locale, &md).await }
    });
    let waiting = StoredValue::new(None::<String>);
    let ask_preview = move |md: String| {
        if preview.pending().get_untracked() {
            waiting.set_value(Some(md));
        } else {
            preview.dispatch(md);
        }
    };
    Effect::new(move |_| {
        if !preview.pending().get()
            && let Some(md) = waiting.get_value()
        {
            waiting.set_value(None);
            preview.dispatch(md);
        }
    });
    let timer = Debounce::new();
    Effect::new(move |first: Option<()>| {
        let md = form.body.get();
        if first.is_none() {
            timer.cancel();
            ask_preview(md);
        } else {
            timer.schedule(move || ask_preview(md), PREVIEW_DEBOUNCE);
        }
    });

    let discard = move |_| {
        match server.get_untracked() {
            Some(a) => {
                form.set(&Content::of(&a));
                base.set(Some(a.revision));
            }
            None => form.set(&pristine.get_value()),
        }
        notice.set(None);
    };
    let keep_mine = Callback::new(move |()| {
        if let Some(c) = conflict.get_untracked() {
            base.set(Some(c.current.revision));
            conflict.set(None);
            submit(chosen.get_untracked());
        }
    });
    let use_saved = Callback::new(move |()| {
        if let Some(c) = conflict.get_untracked() {
            form.set(&Content::of(&c.current));
            base.set(Some(c.current.revision));
            notice.set(None);
            server.set(Some(c.current));
            conflict.set(None);
            focus_soon(save_ref);
        }
    });
    let back_to_editing = Callback::new(move |()| {
        if conflict.get_untracked().is_some() {
            conflict.set(None);
        }
        focus_soon(save_ref);
    });

    let on_archived = Callback::new(move |a: Article| {
        // Archiving only changed the status: an edit that was up to date stays up to date.
        let up_to_date =
            base.get_untracked() == server.with_untracked(|s| s.as_ref().map(|s| s.revision));
        if up_to_date {
            base.set(Some(a.revision));
        }
        saved.set(Some(Done::Archived));
        server.set(Some(a));
    });

    let heading = move || match server.with(|a| a.as_ref().map(|a| a.title.clone())) {
        Some(title) => i18n.tf("kbe.edit_heading", &[("title", &title)]),
        None => i18n.t("kbe.new_heading"),
    };
    let server_status = move || server.with(|a| a.as_ref().map(|a| a.status));
    // Two buttons say what a save does: the first (also Enter's) keeps the article where it stands, the
    // second moves it (publishes a draft or an archived article, takes a published one off the air).
    let buttons = move || match server_status() {
        Some(ArticleStatus::Published) => [
            ("kbe.save_published", ArticleStatus::Published),
            ("kbe.unpublish", ArticleStatus::Draft),
        ],
        Some(ArticleStatus::Archived) => [
            ("kbe.save_archived", ArticleStatus::Archived),
            ("kbe.publish", ArticleStatus::Published),
        ],
        _ => [
            ("kbe.save_draft", ArticleStatus::Draft),
            ("kbe.publish", ArticleStatus::Published),
        ],
    };
    let buttons_hint = move || {
        i18n.t(match server_status() {
            Some(ArticleStatus::Published) => "kbe.status_hint_published",
            Some(ArticleStatus::Archived) => "kbe.status_hint_archived",
            _ => "kbe.status_hint_draft",
        })
    };
    let button_label = move |key: &'static str, status: ArticleStatus| {
        if save.pending().get() && chosen.get() == status {
            i18n.t("kbe.saving")
        } else {
            i18n.t(key)
        }
    };
    let here = move || guard::here(&location);

    view! {
        <section class="page kbe">
            <StaffKbNav/>
            <h1>{heading}</h1>
            {move || server.get().map(|a| view! { <ArticleLinks article=a on_archived=on_archived/> })}
            {move || notice.get().map(|(at, stale)| view! {
                <div class="kbe-notice" role="status">
                    <p>{move || i18n.tf("kbe.draft_restored", &[("time", &time::date_time_exact(at, i18n.locale.get()))])}</p>
                    {stale.then(|| view! { <p>{move || i18n.t("kbe.draft_stale")}</p> })}
                    <button type="button" on:click=discard>{move || i18n.t("kbe.discard_draft")}</button>
                </div>
            })}
            <p class="kbe-saved" role="status">
                {move || saved.get().map(|done| match done {
                    Done::Saved(revision, at) => i18n.tf("kbe.saved", &[
                        ("time", &time_of_day(at, i18n.locale.get())),
                        ("revision", &revision.to_string()),
                    ]),
                    Done::Archived => i18n.t("kbe.archived"),
                })}
            </p>
            {move || failure.get().map(|e| view! {
                <SaveError error=e here=here() retry=Callback::new(move |()| submit(chosen.get_untracked()))/>
            })}
            <div class="kbe-layout">
                <form class="form kbe-form" novalidate on:submit=move |ev| { ev.prevent_default(); submit(buttons()[0].1); }>
                    <div class="field">
                        <label for="kbe-title">{move || i18n.t("kbe.title")}</label>
                        <input id="kbe-title" type="text" maxlength="200" required
                            aria-describedby="kbe-title-error" aria-invalid=invalid("title")
                            prop:value=form.title on:input=move |ev| form.title.set(event_target_value(&ev))/>
                        <p id="kbe-title-error" class="field-error">{field_error("title")}</p>
                    </div>
                    <div class="field-row">
                        <div class="field">
                            <label for="kbe-locale">{move || i18n.t("kbe.locale")}</label>
                            <select id="kbe-locale" aria-describedby="kbe-locale-error" aria-invalid=invalid("locale")
                                on:change=move |ev| {
                                    // Categories belong to one language: the choice starts over.
                                    form.category.set(String::new());
                                    form.locale.set(event_target_value(&ev));
                                }>
                                {Locale::ALL.into_iter().map(|l| view! {
                                    <option value=l.tag() lang=l.tag() prop:selected=move || form.locale.get() == l.tag()>
                                        {format!("{} ({})", l.native_name(), l.tag())}
                                    </option>
                                }).collect_view()}
                            </select>
                            <p id="kbe-locale-error" class="field-error">{field_error("locale")}</p>
                        </div>
                        <div class="field">
                            <label for="kbe-category">{move || i18n.t("kbe.category")}</label>
                            <select id="kbe-category" node_ref=category_ref required
                                aria-describedby="kbe-category-error" aria-invalid=invalid("category_id")
                                on:change=move |ev| {
                                    category_missing.set(false);
                                    form.category.set(event_target_value(&ev));
                                }>
                                <option value="" prop:selected=move || form.category.get().is_empty()>
                                    {move || i18n.t("kbe.category_choose")}
                                </option>
                                {move || categories.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|c| {
                                    let id = c.id.to_string();
                                    let selected = id.clone();
                                    view! { <option value=id prop:selected=move || form.category.get() == selected>{c.name}</option> }
                                }).collect_view()}
                            </select>
                            <p id="kbe-category-error" class="field-error">
                                {field_error("category_id")}
                                {move || categories.get().and_then(Result::err).map(|e| format!("{} {}", i18n.t("kbe.categories_failed"), error_text(i18n, &e)))}
                            </p>
                        </div>
                    </div>
                    <div class="field">
                        <label for="kbe-tags">{move || i18n.t("kbe.tags")}</label>
                        <input id="kbe-tags" type="text" aria-describedby="kbe-tags-hint kbe-tags-error"
                            aria-invalid=invalid("tags")
                            prop:value=form.tags on:input=move |ev| form.tags.set(event_target_value(&ev))/>
                        <p id="kbe-tags-hint" class="hint">{move || i18n.t("kbe.tags_hint")}</p>
                        <p id="kbe-tags-error" class="field-error">{field_error("tags")}</p>
                    </div>
                    <div class="field">
                        <label for="kbe-body">{move || i18n.t("kbe.body")}</label>
                        <textarea id="kbe-body" class="kbe-body" rows="20" required
                            aria-describedby="kbe-body-hint kbe-body-error" aria-invalid=invalid("body_md")
                            prop:value=form.body on:input=move |ev| form.body.set(event_target_value(&ev))></textarea>
                        <p id="kbe-body-hint" class="hint">{move || i18n.t("kbe.body_hint")}</p>
                        <p id="kbe-body-error" class="field-error">{field_error("body_md")}</p>
                    </div>
                    <InsertImage body=form.body/>
                    <div class="kbe-actions">
                        <button type="submit" class="primary" node_ref=save_ref disabled=move || save.pending().get()
                            aria-describedby="kbe-buttons-hint">
                            {move || { let (key, status) = buttons()[0]; button_label(key, status) }}
                        </button>
                        <button type="button" disabled=move || save.pending().get() aria-describedby="kbe-buttons-hint"
                            on:click=move |_| submit(buttons()[1].1)>
                            {move || { let (key, status) = buttons()[1]; button_label(key, status) }}
                        </button>
                    </div>
                    <p id="kbe-buttons-hint" class="hint">{buttons_hint}</p>
                    <p class="hint">{move || i18n.t("kbe.draft_hint")}</p>
                </form>
                <section class="kbe-preview card" aria-labelledby="kbe-preview-title"
                    aria-busy=move || preview.pending().get().to_string()>
                    <h2 id="kbe-preview-title">{move || i18n.t("kbe.preview")}</h2>
                    {move || match preview.value().get() {
                        None => view! { <p class="muted">{move || i18n.t("common.loading")}</p> }.into_any(),
                        Some(Ok(p)) if p.html.trim().is_empty() => view! { <p class="muted">{move || i18n.t("kbe.preview_empty")}</p> }.into_any(),
                        Some(Ok(p)) => view! { <div class="article-body" inner_html=p.html></div> }.into_any(),
                        Some(Err(e)) => view! {
                            <p class="error" role="alert">{move || i18n.t("kbe.preview_failed")} " " {error_text(i18n, &e)}</p>
                        }.into_any(),
                    }}
                </section>
            </div>
            {move || conflict.get().map(|c| view! {
                <ConflictDialog conflict=c mine=form.get_untracked()
                    on_keep=keep_mine on_use_saved=use_saved on_back=back_to_editing/>
            })}
        </section>
    }
}

/// Why a save failed, and what to do: the text is kept in this browser whatever happened.
#[component]
fn SaveError(error: ApiError, here: String, retry: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let status = error.status();
    let text = {
        let error = error.clone();
        move || match &error {
            ApiError::Network => i18n.t("kbe.offline"),
            e if e.status() == Some(401) => i18n.t("kbe.session_expired"),
            e if e.status() == Some(422) => i18n.t("kbe.invalid"),
            e => format!("{} {}", error_text(i18n, e), i18n.t("kbe.kept")),
        }
    };
    // Refusals of fields that have no place in the form (the translation link, for instance).
    let other_fields: Vec<String> = match &error {
        ApiError::Problem(p) => p
            .errors
            .iter()
            .filter(|e| !FIELDS.contains(&e.field.as_str()))
            .map(|e| e.message.clone())
            .collect(),
        _ => Vec::new(),
    };
    let login = (status == Some(401)).then(|| {
        view! { <a href=login_url(&here)>{move || i18n.t("kbe.sign_in_again")}</a> }
    });
    let retry = matches!(error, ApiError::Network | ApiError::Unexpected(_)).then(|| {
        view! { <button type="button" on:click=move |_| retry.run(())>{move || i18n.t("kbe.retry")}</button> }
    });
    view! {
        <div class="error kbe-error" role="alert">
            <p>{text}</p>
            {(!other_fields.is_empty()).then(|| view! {
                <ul>{other_fields.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            })}
            {login}
            {retry}
        </div>
    }
}

/// Links of an existing article (its history, its public page) and archiving it.
#[component]
fn ArticleLinks(
    article: Article,
    /// Called with the article as it is after archiving (a new revision).
    on_archived: Callback<Article>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = article.id;
    let slug = article.slug.clone();
    let published = article.status == ArticleStatus::Published;
    let archived = article.status == ArticleStatus::Archived;
    let (status, revision) = (article.status, article.revision);
    let confirming = RwSignal::new(false);
    let archive = Action::new_local(move |_: &()| {
        let slug = slug.clone();
        let locale = i18n.locale.get_untracked();
        async move {
            api::archive_article(locale, id).await?;
            api::article(locale, &slug, None).await
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(a)) = archive.value().get() {
            on_archived.run(a);
        }
    });
    let confirm_ref = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if confirming.get()
            && let Some(button) = confirm_ref.get()
        {
            let _ = button.focus();
        }
    });
    view! {
        <div class="kbe-links">
            <span class="kbe-state" role="status">
                {move || i18n.tf("kbe.state", &[
                    ("status", &i18n.t(status_key(status_tag(status)))),
                    ("revision", &revision.to_string()),
                ])}
            </span>
            <A href=format!("/staff/kb/articles/{}/history", article.slug)>{move || i18n.t("kbe.history")}</A>
            {published.then(|| view! {
                <A href=format!("/kb/{}", article.slug)>{move || i18n.t("kbe.public_page")}</A>
            })}
            {translate_href(&article).map(|(href, key)| view! { <A href=href>{move || i18n.t(key)}</A> })}
            {(!archived).then(|| view! {
                <button type="button" on:click=move |_| confirming.set(true)
                    aria-expanded=move || confirming.get().to_string()>{move || i18n.t("kbe.archive")}</button>
            })}
        </div>
        {move || confirming.get().then(|| view! {
            <div class="kbe-confirm card" role="group" aria-labelledby="kbe-archive-question">
                <p id="kbe-archive-question">{move || i18n.t("kbe.archive_question")}</p>
                <div class="kbe-actions">
                    <button type="button" class="primary" node_ref=confirm_ref disabled=move || archive.pending().get()
                        on:click=move |_| { archive.dispatch(()); }>{move || i18n.t("kbe.archive_confirm")}</button>
                    <button type="button" on:click=move |_| confirming.set(false)>{move || i18n.t("kbe.cancel")}</button>
                </div>
                {move || archive.value().get().and_then(Result::err).map(|e| view! {
                    <p class="error" role="alert">{error_text(i18n, &e)}</p>
                })}
            </div>
        })}
    }
}

/// "Someone else saved this article while you were editing": both versions side by side, and a choice.
#[component]
fn ConflictDialog(
    conflict: Conflict,
    /// The text in the form when the save was refused.
    mine: Content,
    /// Save mine over theirs (theirs stays in the history).
    on_keep: Callback<()>,
    /// Replace the form with theirs.
    on_use_saved: Callback<()>,
    /// Close and keep editing; the next save asks again.
    on_back: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let dialog_ref = NodeRef::<html::Dialog>::new();
    let heading_ref = NodeRef::<html::H2>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog_ref.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
            if let Some(h) = heading_ref.get_untracked() {
                let _ = h.focus();
            }
        }
    });
    let current = conflict.current;
    let revision = current.revision.to_string();
    let at = conflict.at;
    let author = conflict.author;
    let theirs_heading = move || {
        let who = author.clone().unwrap_or_else(|| i18n.t("kbe.system"));
        i18n.tf(
            "kbe.conflict_theirs",
            &[
                ("revision", &revision),
                ("author", &who),
                ("time", &time_of_day(at, i18n.locale.get())),
            ],
        )
    };
    let changes = conflict.changes;
    let same_body = changes.iter().all(|l| l.op == DiffOp::Equal);
    let title_changed = mine.title != current.title;
    // Tab and Shift+Tab go round the dialog's own controls: the page behind is not reachable.
    let trap_focus = move |ev: web_sys::KeyboardEvent| {
        if ev.key() != "Tab" {
            return;
        }
        let Some(dialog) = dialog_ref.get_untracked() else {
            return;
        };
        let Ok(list) =
            dialog.query_selector_all("button, summary, a[href], [tabindex]:not([tabindex='-1'])")
        else {
            return;
        };
        let (Some(first), Some(last)) = (list.item(0), list.item(list.length().saturating_sub(1)))
        else {
            return;
        };
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .map(web_sys::Node::from);
        let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
        let to = if ev.shift_key() && (!inside || active.as_ref() == Some(&first)) {
            Some(last)
        } else if !ev.shift_key() && (!inside || active.as_ref() == Some(&last)) {
            Some(first)
        } else {
            None
        };
        if let Some(el) =
            to.and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(n).ok())
        {
            ev.prevent_default();
            let _ = el.focus();
        }
    };
    view! {
        <dialog class="kbe-dialog" node_ref=dialog_ref aria-modal="true"
            aria-labelledby="kbe-conflict-title" aria-describedby="kbe-conflict-intro"
            on:keydown=trap_focus
            on:close=move |_| on_back.run(())>
            <h2 id="kbe-conflict-title" tabindex="-1" node_ref=heading_ref>{move || i18n.t("kbe.conflict_title")}</h2>
            <p id="kbe-conflict-intro">{move || i18n.t("kbe.conflict_intro")}</p>
            <p><time datetime=time::iso(at)>{theirs_heading}</time></p>
            <div class="kbe-actions">
                <button type="button" class="primary" on:click=move |_| on_keep.run(())>{move || i18n.t("kbe.keep_mine")}</button>
                <button type="button" on:click=move |_| on_use_saved.run(())>{move || i18n.t("kbe.use_saved")}</button>
                <button type="button" on:click=move |_| on_back.run(())>{move || i18n.t("kbe.back_to_editing")}</button>
            </div>
            <p class="hint">{move || i18n.t("kbe.conflict_hint")}</p>
            <section class="kbe-changes" aria-labelledby="kbe-changes-title">
                <h3 id="kbe-changes-title">{move || i18n.t("kbe.conflict_changes")}</h3>
                {title_changed.then(|| {
                    let (theirs, mine) = (current.title.clone(), mine.title.clone());
                    view! {
                        <p class="kbh-title-change">
                            <strong>{move || i18n.t("kbh.title_changed")}</strong> " "
                            <del><span class="visually-hidden">{move || i18n.t("kbh.removed")} " "</span>{theirs}</del>
                            " → "
                            <ins><span class="visually-hidden">{move || i18n.t("kbh.added")} " "</span>{mine}</ins>
                        </p>
                    }
                })}
                {if same_body {
                    view! { <p class="muted">{move || i18n.t("kbh.body_same")}</p> }.into_any()
                } else {
                    view! { <DiffLines lines=changes/> }.into_any()
                }}
            </section>
            <details class="kbe-versions-whole">
                <summary>{move || i18n.t("kbe.conflict_whole")}</summary>
                <div class="kbe-versions">
                    <section class="kbe-version" aria-labelledby="kbe-mine-title">
                        <h3 id="kbe-mine-title">{move || i18n.t("kbe.conflict_mine")}</h3>
                        <p class="kbe-version-title"><strong>{move || i18n.t("kbe.title")} ": "</strong>{mine.title}</p>
                        <pre class="kbe-md">{mine.body_md}</pre>
                    </section>
                    <section class="kbe-version" aria-labelledby="kbe-theirs-title">
                        <h3 id="kbe-theirs-title">{move || i18n.t("kbe.conflict_saved")}</h3>
                        <p class="kbe-version-title"><strong>{move || i18n.t("kbe.title")} ": "</strong>{current.title}</p>
                        <pre class="kbe-md">{current.body_md}</pre>
                    </section>
                </div>
            </details>
        </dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_on_commas_and_trimmed() {
        assert_eq!(
            tag_list(" nfc-e, certificado ,, pdv "),
            vec!["nfc-e", "certificado", "pdv"]
        );
        assert!(tag_list(" , ").is_empty());
    }

    #[test]
    fn drafts_are_kept_per_article() {
        assert_eq!(draft_key(None), "kb-draft:new");
        assert_eq!(draft_key(Some(42)), "kb-draft:42");
    }

    #[test]
    fn statuses_have_their_own_words() {
        for (s, key) in [
            (ArticleStatus::Draft, "kbe.status_draft"),
            (ArticleStatus::Published, "kbe.status_published"),
            (ArticleStatus::Archived, "kbe.status_archived"),
        ] {
            assert_eq!(status_key(status_tag(s)), key);
        }
    }
}

/// "Insert an image": uploads a picture (a screenshot of the step) and puts its Markdown,
/// `![name](/api/v1/attachments/ID)`, at the end of the body. The server gives the image to the article
/// when the article is saved, and shows it to everyone once the article is published.
#[component]
fn InsertImage(body: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    // What the last upload did: `None` idle, `Some(Ok(name))` inserted, `Some(Err(text))` failed.
    let status = RwSignal::new(None::<Result<String, String>>);
    let sending = RwSignal::new(false);
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let locale = i18n.locale.get_untracked();
        sending.set(true);
        status.set(None);
        leptos::task::spawn_local(async move {
            let name = file.name();
            let done = api::upload_attachment(locale, &file, &name, |_| {}).await;
            sending.try_set(false);
            match done {
                Ok(a) if a.inline => {
                    let alt = name
                        .rsplit_once('.')
                        .map_or(name.as_str(), |(stem, _)| stem)
                        .replace(['[', ']'], "");
                    body.try_update(|b| {
                        let sep = if b.is_empty() || b.ends_with("\n\n") {
                            ""
                        } else if b.ends_with('\n') {
                            "\n"
                        } else {
                            "\n\n"
                        };
                        b.push_str(&format!("{sep}![{alt}]({})\n", a.url));
                    });
                    status.try_set(Some(Ok(name)));
                }
                Ok(_) => {
                    status.try_set(Some(Err(i18n.t("kbe.image_not_image"))));
                }
                Err(e) => {
                    status.try_set(Some(Err(error_text(i18n, &e))));
                }
            }
        });
    };
    view! {
        <div class="field">
            <label for="kbe-image">{move || i18n.t("kbe.image")}</label>
            <input id="kbe-image" type="file" accept="image/png,image/jpeg,image/gif,image/webp"
                aria-describedby="kbe-image-status" disabled=move || sending.get() on:change=on_change/>
            <p id="kbe-image-status" class="hint" aria-live="polite">
                {move || match status.get() {
                    _ if sending.get() => i18n.t("kbe.image_sending"),
                    Some(Ok(name)) => format!("{} {name}", i18n.t("kbe.image_inserted")),
                    Some(Err(text)) => text,
                    None => i18n.t("kbe.image_hint"),
                }}
            </p>
        </div>
    }
}
