//! An article's revisions: who saved what and when, a diff between any two, and restore.
//!
//! Nothing is ever lost here: restoring an old revision saves its text as a new revision, so the one it
//! replaces stays in the list too.

use api_types::{Article, DiffLine, DiffOp, RevisionDiff, RevisionSummary};
use leptos::{html, prelude::*};
use leptos_router::{components::A, hooks::use_params_map};

use crate::{
    api::{self, ApiError},
    components::table::TableScroll,
    components::{
        guard::RequireUser,
        kb::{ErrorNotice, error_text},
        staff_kb_nav::StaffKbNav,
    },
    i18n::use_i18n,
    pages::kb_editor::{status_key, status_tag},
    time,
};

/// Unchanged lines shown around each change; longer unchanged stretches are folded.
const CONTEXT: usize = 3;

/// `/staff/kb/articles/:slug/history`, for staff only.
#[component]
pub fn ArticleHistory() -> impl IntoView {
    view! {
        <RequireUser staff=true>
            <HistoryLoader/>
        </RequireUser>
    }
}

#[component]
fn HistoryLoader() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let slug = Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()));
    let article = LocalResource::new(move || {
        let slug = slug.get();
        let locale = i18n.locale.get_untracked();
        async move { api::article(locale, &slug, None).await }
    });
    view! {
        <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
            {move || Suspend::new(async move {
                match article.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(a) => view! { <HistoryView article=a/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HistoryView(article: Article) -> impl IntoView {
    let i18n = use_i18n();
    let id = article.id;
    let title = RwSignal::new(article.title.clone());
    let restore = Action::new_local(move |revision: &i64| {
        let revision = *revision;
        let locale = i18n.locale.get_untracked();
        async move {
            api::restore_revision(locale, id, revision)
                .await
                .map(|a| (revision, a))
        }
    });
    Effect::new(move |_| {
        if let Some(Ok((_, a))) = restore.value().get() {
            title.set(a.title);
        }
    });
    // Reloaded after each restore: the restored text is the newest revision.
    let revisions = LocalResource::new(move || {
        restore.version().get();
        let locale = i18n.locale.get_untracked();
        async move { api::revisions(locale, id).await }
    });
    let confirming = RwSignal::new(None::<i64>);
    view! {
        <section class="page kbh">
            <StaffKbNav/>
            <p><A href=format!("/staff/kb/articles/{}", article.slug)>{move || i18n.t("kbh.back")}</A></p>
            <h1>{move || i18n.tf("kbh.heading", &[("title", &title.get())])}</h1>
            <p class="kbh-status" role="status">
                {move || restore.value().get().and_then(Result::ok).map(|(from, a)| i18n.tf("kbh.restored", &[
                    ("from", &from.to_string()),
                    ("to", &a.revision.to_string()),
                ]))}
            </p>
            {move || restore.value().get().and_then(Result::err).map(|e| view! {
                <p class="error" role="alert">{move || i18n.t("kbh.restore_failed")} " " {error_text(i18n, &e)}</p>
            })}
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match revisions.await {
                        Err(e) => view! {
                            <p class="error" role="alert">{move || i18n.t("kbh.load_failed")} " " {error_text(i18n, &e)}</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <RevisionTable list=list.clone() restore=restore confirming=confirming/>
                            <Compare id=id list=list/>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// "Revision 3 — 23/11/2026 14:30:05 — Carla", for the compare selects.
fn revision_label(i18n: crate::i18n::I18n, r: &RevisionSummary) -> String {
    let who = r
        .author
        .as_ref()
        .map_or_else(|| i18n.t("kbh.system"), |a| a.name.clone());
    format!(
        "{} — {} — {who}",
        i18n.tf("kbh.revision_n", &[("n", &r.revision.to_string())]),
        time::date_time_exact(r.created_at, i18n.locale.get())
    )
}

/// The revisions, newest first, with "Restore" on each older one.
#[component]
fn RevisionTable(
    list: Vec<RevisionSummary>,
    restore: Action<i64, Result<(i64, Article), ApiError>>,
    /// The revision whose restore waits for a confirmation.
    confirming: RwSignal<Option<i64>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let latest = list.first().map(|r| r.revision);
    let rows = list
        .into_iter()
        .map(|r| {
            let n = r.revision;
            let at = r.created_at;
            let tag = status_tag(r.status);
            let author = r.author.map(|a| a.name);
            let current = Some(n) == latest;
            view! {
                <tr class:kbh-current=current>
                    <th scope="row">
                        {n}
                        {current.then(|| view! { " " <span class="badge">{move || i18n.t("kbh.current")}</span> })}
                    </th>
                    <td>{r.title}</td>
                    <td>{match author {
                        Some(name) => name.into_any(),
                        None => view! { <span class="muted">{move || i18n.t("kbh.system")}</span> }.into_any(),
                    }}</td>
                    <td><time datetime=time::iso(at)>{move || time::date_time_exact(at, i18n.locale.get())}</time></td>
                    <td>{move || i18n.t(status_key(tag))}</td>
                    <td>{(!current).then(|| view! { <RestoreControl revision=n restore=restore confirming=confirming/> })}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2 id="kbh-list-title">{move || i18n.t("kbh.list_title")}</h2>
        <TableScroll label=Signal::derive(move || i18n.t("kbh.list_title"))>
            <table class="kbh-table" aria-labelledby="kbh-list-title">
                <thead>
                    <tr>
                        <th scope="col">{move || i18n.t("kbh.col_revision")}</th>
                        <th scope="col">{move || i18n.t("kbh.col_title")}</th>
                        <th scope="col">{move || i18n.t("kbh.col_author")}</th>
                        <th scope="col">{move || i18n.t("kbh.col_when")}</th>
                        <th scope="col">{move || i18n.t("kbh.col_status")}</th>
                        <th scope="col"><span class="visually-hidden">{move || i18n.t("kbh.col_actions")}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </TableScroll>
    }
}

/// "Restore", then "Restore revision N? … Yes / Cancel".
#[component]
fn RestoreControl(
    revision: i64,
    restore: Action<i64, Result<(i64, Article), ApiError>>,
    confirming: RwSignal<Option<i64>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let n = revision.to_string();
    let confirm_ref = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if confirming.get() == Some(revision)
            && let Some(button) = confirm_ref.get()
        {
            let _ = button.focus();
        }
    });
    move || {
        let n = n.clone();
        if confirming.get() == Some(revision) {
            let question_id = format!("kbh-confirm-{revision}");
            let labelled_by = question_id.clone();
            view! {
                <div class="kbh-confirm" role="group" aria-labelledby=labelled_by>
                    <p id=question_id>{move || i18n.tf("kbh.restore_question", &[("n", &n)])}</p>
                    <button type="button" class="primary" node_ref=confirm_ref disabled=move || restore.pending().get()
                        on:click=move |_| {
                            confirming.set(None);
                            restore.dispatch(revision);
                        }>{move || i18n.t("kbh.restore_confirm")}</button>
                    " "
                    <button type="button" on:click=move |_| confirming.set(None)>{move || i18n.t("kbh.cancel")}</button>
                </div>
            }
            .into_any()
        } else {
            view! {
                <button type="button" disabled=move || restore.pending().get()
                    on:click=move |_| confirming.set(Some(revision))>
                    {move || i18n.t("kbh.restore")}
                    <span class="visually-hidden">{move || format!(" {}", i18n.tf("kbh.revision_n", &[("n", &n)]).to_lowercase())}</span>
                </button>
            }
            .into_any()
        }
    }
}

/// Two selects ("From", "To") and what changed between them.
#[component]
fn Compare(id: i64, list: Vec<RevisionSummary>) -> impl IntoView {
    let i18n = use_i18n();
    let latest = list.first().map_or(1, |r| r.revision);
    let previous = list.get(1).map_or(latest, |r| r.revision);
    let from = RwSignal::new(previous);
    let to = RwSignal::new(latest);
    let diff = LocalResource::new(move || {
        let (a, b) = (from.get(), to.get());
        let locale = i18n.locale.get_untracked();
        async move { api::revision_diff(locale, id, a, b).await }
    });
    let list = StoredValue::new(list);
    let options = move |selected: RwSignal<i64>| {
        move || {
            list.with_value(|l| {
                l.iter()
                    .map(|r| {
                        let n = r.revision;
                        let label = revision_label(i18n, r);
                        view! { <option value=n.to_string() prop:selected=move || selected.get() == n>{label}</option> }
                    })
                    .collect_view()
            })
        }
    };
    let pick = move |target: RwSignal<i64>| {
        move |ev: leptos::ev::Event| {
            if let Ok(n) = event_target_value(&ev).parse() {
                target.set(n);
            }
        }
    };
    view! {
        <section class="kbh-compare" aria-labelledby="kbh-compare-title">
            <h2 id="kbh-compare-title">{move || i18n.t("kbh.compare_title")}</h2>
            <div class="field-row">
                <div class="field">
                    <label for="kbh-from">{move || i18n.t("kbh.from")}</label>
                    <select id="kbh-from" on:change=pick(from)>{options(from)}</select>
                </div>
                <div class="field">
                    <label for="kbh-to">{move || i18n.t("kbh.to")}</label>
                    <select id="kbh-to" on:change=pick(to)>{options(to)}</select>
                </div>
            </div>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match diff.await {
                        Ok(d) => view! { <DiffView diff=d/> }.into_any(),
                        Err(e) => view! {
                            <p class="error" role="alert">{move || i18n.t("kbh.diff_failed")} " " {error_text(i18n, &e)}</p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What a diff shows: a line, or a fold of unchanged lines.
#[derive(Debug, PartialEq)]
enum Shown<'a> {
    Line(&'a DiffLine),
    /// So many unchanged lines, folded.
    Folded(usize),
}

/// The changed lines with `context` unchanged lines around each change; longer unchanged stretches folded.
fn with_context(lines: &[DiffLine], context: usize) -> Vec<Shown<'_>> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.op != DiffOp::Equal)
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= context);
    let mut shown = Vec::new();
    let mut folded = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.op != DiffOp::Equal || near(i) {
            match folded {
                0 => {}
                // Folding a single line hides nothing worth the space.
                1 => shown.push(Shown::Line(&lines[i - 1])),
                n => shown.push(Shown::Folded(n)),
            }
            folded = 0;
            shown.push(Shown::Line(line));
        } else {
            folded += 1;
        }
    }
    match folded {
        0 => {}
        1 => shown.push(Shown::Line(&lines[lines.len() - 1])),
        n => shown.push(Shown::Folded(n)),
    }
    shown
}

#[component]
fn DiffView(diff: RevisionDiff) -> impl IntoView {
    let i18n = use_i18n();
    let added = diff.lines.iter().filter(|l| l.op == DiffOp::Insert).count();
    let removed = diff.lines.iter().filter(|l| l.op == DiffOp::Delete).count();
    let title_changed = diff.title_from != diff.title_to;
    let summary = {
        let (from, to) = (diff.from.to_string(), diff.to.to_string());
        move || {
            i18n.tf(
                "kbh.diff_summary",
                &[
                    ("from", &from),
                    ("to", &to),
                    ("added", &added.to_string()),
                    ("removed", &removed.to_string()),
                ],
            )
        }
    };
    let title = title_changed.then(|| {
        view! {
            <p class="kbh-title-change">
                <strong>{move || i18n.t("kbh.title_changed")}</strong> " "
                <del><span class="visually-hidden">{move || i18n.t("kbh.removed")} " "</span>{diff.title_from.clone()}</del>
                " → "
                <ins><span class="visually-hidden">{move || i18n.t("kbh.added")} " "</span>{diff.title_to.clone()}</ins>
            </p>
        }
    });
    let body = if added == 0 && removed == 0 {
        view! { <p class="muted">{move || i18n.t("kbh.body_same")}</p> }.into_any()
    } else {
        view! { <DiffLines lines=diff.lines/> }.into_any()
    };
    view! {
        <p class="kbh-diff-summary" aria-live="polite">{summary}</p>
        {title}
        {body}
    }
}

/// A body's changed lines, highlighted and named for screen readers, with a little unchanged context
/// around each change and longer unchanged stretches folded. Also the editor's conflict dialog's.
#[component]
pub fn DiffLines(lines: Vec<DiffLine>) -> impl IntoView {
    let i18n = use_i18n();
    let shown = with_context(&lines, CONTEXT)
        .into_iter()
        .map(|s| match s {
            Shown::Folded(n) => view! {
                <div class="kbh-fold">{move || i18n.tf("kbh.folded", &[("count", &n.to_string())])}</div>
            }
            .into_any(),
            Shown::Line(l) => {
                let text = l.text.clone();
                match l.op {
                    DiffOp::Equal => view! { <div class="kbh-line">{text}</div> }.into_any(),
                    DiffOp::Insert => view! {
                        <ins class="kbh-line">
                            <span class="kbh-sign" aria-hidden="true">"+"</span>
                            <span class="visually-hidden">{move || i18n.t("kbh.added")} " "</span>
                            {text}
                        </ins>
                    }
                    .into_any(),
                    DiffOp::Delete => view! {
                        <del class="kbh-line">
                            <span class="kbh-sign" aria-hidden="true">"−"</span>
                            <span class="visually-hidden">{move || i18n.t("kbh.removed")} " "</span>
                            {text}
                        </del>
                    }
                    .into_any(),
                }
            }
        })
        .collect_view();
    view! { <div class="kbh-diff">{shown}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(op: DiffOp, text: &str) -> DiffLine {
        DiffLine {
            op,
            text: text.into(),
        }
    }

    #[test]
    fn long_unchanged_stretches_are_folded_around_the_changes() {
        let mut lines: Vec<DiffLine> = (0..10)
            .map(|i| line(DiffOp::Equal, &i.to_string()))
            .collect();
        lines.insert(5, line(DiffOp::Insert, "new"));
        let shown = with_context(&lines, 2);
        assert_eq!(shown[0], Shown::Folded(3));
        assert_eq!(shown[1], Shown::Line(&lines[3]));
        assert_eq!(shown[3], Shown::Line(&lines[5]));
        assert_eq!(shown.last(), Some(&Shown::Folded(3)));
        assert_eq!(shown.len(), 7);
    }

    #[test]
    fn a_single_unchanged_line_is_shown_rather_than_folded() {
        let lines = vec![
            line(DiffOp::Equal, "a"),
            line(DiffOp::Equal, "b"),
            line(DiffOp::Delete, "c"),
        ];
        let shown = with_context(&lines, 1);
        assert_eq!(
            shown,
            vec![
                Shown::Line(&lines[0]),
                Shown::Line(&lines[1]),
                Shown::Line(&lines[2])
            ]
        );
    }
}
