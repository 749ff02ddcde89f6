//! Knowledge-base settings: categories (create, rename, reorder) and search synonyms.

use api_types::{Category, NewCategory};
use leptos::{html, prelude::*};

use crate::{
    api::{self, ApiError, ApiResult},
    components::{guard::RequireUser, kb::error_text, staff_kb_nav::StaffKbNav},
    i18n::{I18n, use_i18n},
    pages::staff_kb::{ARTICLE_LOCALES, locale_name_key},
};

/// `/staff/kb/categories`, for staff only.
#[component]
pub fn KbSettings() -> impl IntoView {
    view! { <RequireUser staff=true><SettingsPage/></RequireUser> }
}

/// The category changes that move `items[from]` to `to` (a neighbour). Two categories with different
/// positions swap them; equal positions (which cannot express an order) renumber the list 1..n.
pub fn moves_for(items: &[Category], from: usize, to: usize) -> Vec<(i64, NewCategory)> {
    if from >= items.len() || to >= items.len() || from == to {
        return Vec::new();
    }
    let body = |c: &Category, position: i64| {
        (
            c.id,
            NewCategory {
                slug: None,
                name: c.name.clone(),
                description: c.description.clone(),
                locale: c.locale.clone(),
                position,
            },
        )
    };
    let (a, b) = (&items[from], &items[to]);
    if a.position != b.position {
        return vec![body(a, b.position), body(b, a.position)];
    }
    let mut order: Vec<&Category> = items.iter().collect();
    order.swap(from, to);
    order
        .into_iter()
        .enumerate()
        .filter(|(i, c)| c.position != *i as i64 + 1)
        .map(|(i, c)| body(c, i as i64 + 1))
        .collect()
}

/// The textarea's lines as groups of terms: one group a line, terms separated by commas, blank lines
/// skipped. Each group keeps its line number (from 1) so the server's messages can point at it.
pub fn parse_groups(text: &str) -> Vec<(usize, Vec<String>)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let terms: Vec<String> = line
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            (!terms.is_empty()).then_some((i + 1, terms))
        })
        .collect()
}

/// Groups as the textarea shows them.
pub fn format_groups(groups: &[Vec<String>]) -> String {
    groups
        .iter()
        .map(|g| g.join(", "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Moves the focus to an element (a re-rendered button), unless it is gone or disabled.
fn focus_id(id: &str) -> bool {
    use wasm_bindgen::JsCast;
    match document().get_element_by_id(id) {
        Some(el) if !el.has_attribute("disabled") => el
            .dyn_into::<web_sys::HtmlElement>()
            .is_ok_and(|el| el.focus().is_ok()),
        _ => false,
    }
}

/// The slug is made from the name: a taken one means a category with the same (or a very similar) name.
fn slug_taken(error: impl Fn() -> Option<String> + Send + Sync + 'static) -> impl IntoView {
    let i18n = use_i18n();
    move || error().map(|_| i18n.t("kbs.cat.slug_taken"))
}

/// A write's failure as one message, when no field shows it.
fn general_error(i18n: I18n, error: &ApiError) -> Option<String> {
    match error {
        ApiError::Problem(p) if !p.errors.is_empty() => None,
        e => Some(error_text(i18n, e)),
    }
}

#[component]
fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    // Bumped after every successful category change: both lists read it.
    let changed = RwSignal::new(0u32);
    let notice = RwSignal::new(String::new());
    view! {
        <section class="page kb-settings">
            <StaffKbNav/>
            <h1>{move || i18n.t("kbs.title")}</h1>
            <section class="settings-section" aria-labelledby="categories-title">
                <h2 id="categories-title">{move || i18n.t("kbs.cat.title")}</h2>
                <p class="hint">{move || i18n.t("kbs.cat.intro")}</p>
                <p class="live-notice" role="status">{move || notice.get()}</p>
                <div class="category-columns">
                    {ARTICLE_LOCALES.into_iter().map(|tag| view! {
                        <CategoryList tag=tag changed=changed notice=notice/>
                    }).collect_view()}
                </div>
                <NewCategoryForm changed=changed notice=notice/>
            </section>
            <Synonyms/>
        </section>
    }
}

/// The categories of one language, in their order, each with rename and move buttons.
#[component]
fn CategoryList(
    /// The language, `pt-BR` or `en`.
    tag: &'static str,
    /// Bumped after each successful change.
    changed: RwSignal<u32>,
    /// The live region's text.
    notice: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(move || {
        changed.get();
        let locale = i18n.locale.get();
        async move { api::categories_of(locale, tag).await }
    });
    // The button to focus once the list is drawn again after a change.
    let focus_after = StoredValue::new(None::<(String, String)>);
    let reorder = Action::new_local(
        move |(moves, name, position, count): &(Vec<(i64, NewCategory)>, String, usize, usize)| {
            let moves = moves.clone();
            let (name, position, count) = (name.clone(), position.to_string(), count.to_string());
            let locale = i18n.locale.get_untracked();
            async move {
                for (id, body) in &moves {
                    api::update_category(locale, *id, body).await?;
                }
                notice.set(i18n.tf(
                    "kbs.cat.moved",
                    &[("name", &name), ("position", &position), ("count", &count)],
                ));
                changed.update(|n| *n += 1);
                Ok::<_, ApiError>(())
            }
        },
    );
    let heading_id = format!("categories-{tag}");
    let labelled_by = heading_id.clone();
    view! {
        <section class="category-list" aria-labelledby=labelled_by>
            <h3 id=heading_id>{move || i18n.t(locale_name_key(tag))}</h3>
            {move || reorder.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="error" role="alert">{move || error_text(i18n, &e)}</p>
            })}
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <p class="error" role="alert">{move || error_text(i18n, &e)}</p> }.into_any(),
                        Ok(items) if items.is_empty() => view! {
                            <p class="muted">{move || i18n.t("kbs.cat.none")}</p>
                        }.into_any(),
                        Ok(items) => {
                            if let Some((first, second)) = focus_after.get_value() {
                                focus_after.set_value(None);
                                request_animation_frame(move || {
                                    if !focus_id(&first) {
                                        focus_id(&second);
                                    }
                                });
                            }
                            let count = items.len();
                            let rows = items.iter().enumerate().map(|(i, c)| {
                                let up = (i > 0).then(|| moves_for(&items, i, i - 1));
                                let down = (i + 1 < count).then(|| moves_for(&items, i, i + 1));
                                view! {
                                    <CategoryRow category=c.clone() up=up down=down index=i count=count
                                        reorder=reorder focus_after=focus_after changed=changed notice=notice/>
                                }
                            }).collect_view();
                            view! { <ol class="plain-list category-rows">{rows}</ol> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

type ReorderAction = Action<(Vec<(i64, NewCategory)>, String, usize, usize), ApiResult<()>>;

/// One category: its name, description and count, and the buttons that rename and move it.
#[component]
fn CategoryRow(
    category: Category,
    /// The changes that move it up one place (`None` when first).
    up: Option<Vec<(i64, NewCategory)>>,
    /// The changes that move it down one place (`None` when last).
    down: Option<Vec<(i64, NewCategory)>>,
    index: usize,
    count: usize,
    reorder: ReorderAction,
    focus_after: StoredValue<Option<(String, String)>>,
    changed: RwSignal<u32>,
    notice: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = category.id;
    let editing = RwSignal::new(false);
    let name = RwSignal::new(category.name.clone());
    let description = RwSignal::new(category.description.clone());
    let name_ref = NodeRef::<html::Input>::new();
    let rename_ref = NodeRef::<html::Button>::new();
    let current = category.clone();
    let rename = Action::new_local(move |body: &NewCategory| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move {
            let answer = api::update_category(locale, id, &body).await;
            if let Ok(saved) = &answer {
                notice.set(i18n.tf("kbs.cat.renamed", &[("name", &saved.name)]));
                focus_after.set_value(Some((format!("cat-{id}-rename"), String::new())));
                changed.update(|n| *n += 1);
            }
            answer
        }
    });
    Effect::new(move |_| {
        if editing.get()
            && let Some(input) = name_ref.get()
        {
            let _ = input.focus();
        }
    });
    let field_error = move |field: &'static str| {
        move || {
            rename
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field(field))
        }
    };
    let shown_name = category.name.clone();
    let label_name = StoredValue::new(category.name.clone());
    let move_button = move |dir: &'static str, moves: Option<Vec<(i64, NewCategory)>>| {
        let target = if dir == "up" {
            index.saturating_sub(1)
        } else {
            index + 1
        };
        let other = if dir == "up" { "down" } else { "up" };
        let disabled = moves.is_none();
        let key = if dir == "up" {
            "kbs.cat.up"
        } else {
            "kbs.cat.down"
        };
        view! {
            <button type="button" class="secondary" id=format!("cat-{id}-{dir}") disabled=disabled
                on:click=move |_| {
                    if let Some(moves) = moves.clone() {
                        focus_after.set_value(Some((format!("cat-{id}-{dir}"), format!("cat-{id}-{other}"))));
                        reorder.dispatch((moves, label_name.get_value(), target + 1, count));
                    }
                }>
                {move || i18n.t(key)}
                <span class="visually-hidden">{move || format!(" “{}”", label_name.get_value())}</span>
            </button>
        }
    };
    view! {
        <li class="card category-row">
            <div class="category-info">
                <strong class="category-name" lang=category.locale.clone()>{shown_name}</strong>
                {(!category.description.is_empty()).then(|| view! { <p class="muted" lang=category.locale.clone()>{category.description.clone()}</p> })}
                <p class="count">
                    {move || i18n.tf("kbs.cat.count", &[("count", &category.article_count.to_string())])}
                    " · "
                    <code>{category.slug.clone()}</code>
                </p>
            </div>
            <div class="category-actions">
                <button type="button" class="secondary" id=format!("cat-{id}-rename") node_ref=rename_ref
                    aria-expanded=move || if editing.get() { "true" } else { "false" }
                    aria-controls=format!("cat-{id}-form")
                    on:click=move |_| editing.update(|e| *e = !*e)>
                    {move || i18n.t("kbs.cat.rename")}
                    <span class="visually-hidden">{move || format!(" “{}”", label_name.get_value())}</span>
                </button>
                {move_button("up", up)}
                {move_button("down", down)}
            </div>
            <Show when=move || editing.get()>
                {
                    let current = current.clone();
                    view! {
                        <form class="form rename-form" id=format!("cat-{id}-form")
                            aria-label=move || i18n.tf("kbs.cat.rename_form", &[("name", &label_name.get_value())])
                            on:submit=move |ev| {
                                ev.prevent_default();
                                rename.dispatch(NewCategory {
                                    slug: None,
                                    name: name.get_untracked(),
                                    description: description.get_untracked(),
                                    locale: current.locale.clone(),
                                    position: current.position,
                                });
                            }>
                            {move || rename.value().get().and_then(|r| r.err()).and_then(|e| general_error(i18n, &e)).map(|e| view! {
                                <p class="error" role="alert">{e}</p>
                            })}
                            <div class="field">
                                <label for=format!("cat-{id}-name")>{move || i18n.t("kbs.cat.name")}</label>
                                <input id=format!("cat-{id}-name") type="text" required maxlength="100" node_ref=name_ref
                                    aria-describedby=format!("cat-{id}-name-error")
                                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                                <p id=format!("cat-{id}-name-error") class="field-error">
                                    {field_error("name")}{slug_taken(field_error("slug"))}
                                </p>
                            </div>
                            <div class="field">
                                <label for=format!("cat-{id}-description")>{move || i18n.t("kbs.cat.description")}</label>
                                <textarea id=format!("cat-{id}-description") rows="2" maxlength="500"
                                    aria-describedby=format!("cat-{id}-description-error")
                                    prop:value=description on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                                <p id=format!("cat-{id}-description-error") class="field-error">{field_error("description")}</p>
                            </div>
                            <div class="form-actions">
                                <button type="submit" class="primary" disabled=move || rename.pending().get()>
                                    {move || i18n.t("kbs.cat.save")}
                                </button>
                                <button type="button" class="secondary" on:click=move |_| {
                                    editing.set(false);
                                    if let Some(b) = rename_ref.get() {
                                        let _ = b.focus();
                                    }
                                }>{move || i18n.t("kbs.cat.cancel")}</button>
                            </div>
                        </form>
                    }
                }
            </Show>
        </li>
    }
}

/// A new category, at the end of its language's list.
#[component]
fn NewCategoryForm(changed: RwSignal<u32>, notice: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let locale_tag = RwSignal::new(
        if i18n.locale.get_untracked().tag() == "en" {
            "en"
        } else {
            "pt-BR"
        }
        .to_string(),
    );
    let create = Action::new_local(
        move |(name_v, description_v, tag): &(String, String, String)| {
            let (name_v, description_v, tag) = (name_v.clone(), description_v.clone(), tag.clone());
            let locale = i18n.locale.get_untracked();
            async move {
                // At the end: after the last position of the language as it is now.
                let last = api::categories_of(locale, &tag)
                    .await?
                    .iter()
                    .map(|c| c.position)
                    .max()
                    .unwrap_or(0);
                let created = api::create_category(
                    locale,
                    &NewCategory {
                        slug: None,
                        name: name_v,
                        description: description_v,
                        locale: tag,
                        position: last + 1,
                    },
                )
                .await?;
                notice.set(i18n.tf("kbs.cat.created", &[("name", &created.name)]));
                name.set(String::new());
                description.set(String::new());
                changed.update(|n| *n += 1);
                Ok::<_, ApiError>(created)
            }
        },
    );
    let field_error = move |field: &'static str| {
        move || {
            create
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field(field))
        }
    };
    view! {
        <form class="form new-category" aria-labelledby="new-category-title" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch((name.get_untracked(), description.get_untracked(), locale_tag.get_untracked()));
        }>
            <h3 id="new-category-title">{move || i18n.t("kbs.cat.new")}</h3>
            {move || create.value().get().and_then(|r| r.err()).and_then(|e| general_error(i18n, &e)).map(|e| view! {
                <p class="error" role="alert">{e}</p>
            })}
            <div class="field">
                <label for="new-category-name">{move || i18n.t("kbs.cat.name")}</label>
                <input id="new-category-name" type="text" required maxlength="100"
                    aria-describedby="new-category-name-error"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <p id="new-category-name-error" class="field-error">{field_error("name")}{slug_taken(field_error("slug"))}</p>
            </div>
            <div class="field">
                <label for="new-category-description">{move || i18n.t("kbs.cat.description")}</label>
                <textarea id="new-category-description" rows="2" maxlength="500"
                    aria-describedby="new-category-description-error"
                    prop:value=description on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                <p id="new-category-description-error" class="field-error">{field_error("description")}</p>
            </div>
            <div class="field">
                <label for="new-category-locale">{move || i18n.t("kbs.cat.locale")}</label>
                <select id="new-category-locale" aria-describedby="new-category-locale-hint new-category-locale-error"
                    on:change=move |ev| locale_tag.set(event_target_value(&ev))>
                    {ARTICLE_LOCALES.into_iter().map(|tag| view! {
                        <option value=tag prop:selected=move || locale_tag.get() == tag>{move || i18n.t(locale_name_key(tag))}</option>
                    }).collect_view()}
                </select>
                <p id="new-category-locale-hint" class="hint">{move || i18n.t("kbs.cat.position_hint")}</p>
                <p id="new-category-locale-error" class="field-error">{field_error("locale")}</p>
            </div>
            <div>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    {move || i18n.t("kbs.cat.create")}
                </button>
            </div>
        </form>
    }
}

/// The synonym groups: one group a line, terms separated by commas.
#[component]
fn Synonyms() -> impl IntoView {
    let i18n = use_i18n();
    let groups = LocalResource::new(move || {
        let locale = i18n.locale.get();
        async move { api::synonyms(locale).await }
    });
    view! {
        <section class="settings-section" aria-labelledby="synonyms-title">
            <h2 id="synonyms-title">{move || i18n.t("kbs.syn.title")}</h2>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match groups.await {
                        Err(e) => view! { <p class="error" role="alert">{move || error_text(i18n, &e)}</p> }.into_any(),
                        Ok(initial) => view! { <SynonymsForm initial=initial/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SynonymsForm(initial: Vec<Vec<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(format_groups(&initial));
    let saved = RwSignal::new(String::new());
    // The line of each group sent, to point the server's messages at it.
    let lines = StoredValue::new(Vec::<usize>::new());
    let save = Action::new_local(move |groups: &Vec<Vec<String>>| {
        let groups = groups.clone();
        let locale = i18n.locale.get_untracked();
        async move {
            let answer = api::save_synonyms(locale, &groups).await;
            if let Ok(cleaned) = &answer {
                text.set(format_groups(cleaned));
                saved.set(i18n.tf("kbs.syn.saved", &[("count", &cleaned.len().to_string())]));
            }
            answer
        }
    });
    let errors = move || -> Vec<String> {
        let Some(Err(e)) = save.value().get() else {
            return Vec::new();
        };
        match &e {
            ApiError::Problem(p) if !p.errors.is_empty() => p
                .errors
                .iter()
                .map(|f| {
                    let line = f
                        .field
                        .strip_prefix("groups[")
                        .and_then(|rest| rest.strip_suffix(']'))
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| lines.with_value(|l| l.get(i).copied()));
                    match line {
                        Some(line) => i18n.tf(
                            "kbs.syn.line_error",
                            &[("line", &line.to_string()), ("message", &f.message)],
                        ),
                        None => f.message.clone(),
                    }
                })
                .collect(),
            e => vec![error_text(i18n, e)],
        }
    };
    let rows = move || {
        (text.with(|t| t.lines().count()) + 2)
            .clamp(6, 30)
            .to_string()
    };
    view! {
        <form class="form synonyms-form" aria-labelledby="synonyms-title" on:submit=move |ev| {
            ev.prevent_default();
            let parsed = parse_groups(&text.get_untracked());
            lines.set_value(parsed.iter().map(|(line, _)| *line).collect());
            saved.set(String::new());
            save.dispatch(parsed.into_iter().map(|(_, g)| g).collect());
        }>
            <div class="field">
                <label for="synonyms">{move || i18n.t("kbs.syn.label")}</label>
                <p id="synonyms-hint" class="hint">{move || i18n.t("kbs.syn.hint")}</p>
                <textarea id="synonyms" class="synonyms" rows=rows spellcheck="false"
                    aria-describedby="synonyms-hint synonyms-errors"
                    aria-invalid=move || if errors().is_empty() { "false" } else { "true" }
                    prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <div id="synonyms-errors">
                    {move || {
                        let list = errors();
                        (!list.is_empty()).then(|| view! {
                            <div class="error" role="alert">
                                <p>{move || i18n.t("kbs.syn.refused")}</p>
                                <ul>{list.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                            </div>
                        })
                    }}
                </div>
            </div>
            <p class="live-notice" role="status">{move || saved.get()}</p>
            <div>
                <button type="submit" class="primary" disabled=move || save.pending().get()>
                    {move || i18n.t("kbs.syn.save")}
                </button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: i64, position: i64) -> Category {
        Category {
            id,
            slug: format!("c{id}"),
            name: format!("C{id}"),
            description: String::new(),
            locale: "pt-BR".into(),
            position,
            article_count: 0,
        }
    }

    #[test]
    fn distinct_positions_swap() {
        let items = [cat(1, 1), cat(2, 2), cat(3, 3)];
        let moves = moves_for(&items, 2, 1);
        let got: Vec<(i64, i64)> = moves.iter().map(|(id, b)| (*id, b.position)).collect();
        assert_eq!(got, vec![(3, 2), (2, 3)]);
        assert!(moves.iter().all(|(_, b)| b.slug.is_none()));
    }

    #[test]
    fn equal_positions_renumber() {
        let items = [cat(1, 1), cat(2, 2), cat(3, 2)];
        let got: Vec<(i64, i64)> = moves_for(&items, 1, 2)
            .iter()
            .map(|(id, b)| (*id, b.position))
            .collect();
        // New order 1, 3, 2: only the ones whose position changes are sent.
        assert_eq!(got, vec![(2, 3)]);
        assert!(moves_for(&items, 0, 5).is_empty());
    }

    #[test]
    fn groups_are_lines_of_comma_separated_terms() {
        let parsed = parse_groups("pdv, caixa\n\n  nfe ,nf-e, ,\nsolo\n");
        assert_eq!(
            parsed,
            vec![
                (1, vec!["pdv".to_string(), "caixa".to_string()]),
                (3, vec!["nfe".to_string(), "nf-e".to_string()]),
                (4, vec!["solo".to_string()]),
            ]
        );
        assert_eq!(
            format_groups(&[vec!["a".into(), "b".into()], vec!["c".into(), "d".into()]]),
            "a, b\nc, d"
        );
    }
}
