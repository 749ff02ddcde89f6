//! The satisfaction rating of a resolved or closed ticket, by its requester: five choices as a radio
//! group with text labels, an optional comment, an explicit submit button (nothing is saved by merely
//! opening a page), a thank-you, and changing it while the server allows (7 days).

use api_types::{NewRating, TicketRating};
use leptos::prelude::*;

use crate::{
    api::{self, ApiError},
    i18n::use_i18n,
    time,
};

/// The label of each score, worst first.
const SCORES: [(u8, &str); 5] = [
    (1, "rating.score.1"),
    (2, "rating.score.2"),
    (3, "rating.score.3"),
    (4, "rating.score.4"),
    (5, "rating.score.5"),
];

/// The rating form of one ticket. Mount it on a `resolved` or `closed` ticket whose reader is the
/// requester (the server refuses anyone else: 403).
#[component]
pub fn RatingForm(
    /// The ticket to rate.
    ticket_id: i64,
    /// The ticket's current rating (`Ticket.rating`): `None` shows the form, `Some` a summary with
    /// "change your rating" while `changeable_until` is ahead.
    #[prop(into)]
    rating: Signal<Option<TicketRating>>,
    /// Called with the rating the server saved, e.g. to refetch the ticket.
    #[prop(into, optional)]
    on_saved: Option<Callback<TicketRating>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let score = RwSignal::new(None::<u8>);
    let comment = RwSignal::new(String::new());
    let editing = RwSignal::new(false);
    let missing_score = RwSignal::new(false);
    let save = Action::new_local(move |body: &NewRating| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::rate_ticket(locale, ticket_id, &body).await }
    });
    // The newest of what the page passed and what was just saved.
    let current = Memo::new(move |_| {
        let saved = save.value().get().and_then(|r| r.ok());
        match (rating.get(), saved) {
            (Some(a), Some(b)) => Some(if a.updated_at > b.updated_at { a } else { b }),
            (a, b) => a.or(b),
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            editing.set(false);
            if let Some(cb) = on_saved {
                cb.run(saved);
            }
        }
    });
    let start_editing = move |_| {
        if let Some(r) = current.get_untracked() {
            score.set(Some(r.score));
            comment.set(r.comment.unwrap_or_default());
        }
        editing.set(true);
    };
    let error = move || {
        save.value().get().and_then(|r| r.err()).map(|e| match e {
            ApiError::Network => i18n.t("error.network"),
            ApiError::Problem(p) => p
                .errors
                .first()
                .map(|f| f.message.clone())
                .or(p.detail)
                .unwrap_or(p.title),
            ApiError::Unexpected(_) => i18n.t("error.unexpected"),
        })
    };
    let name = format!("rating-{ticket_id}");
    let comment_id = format!("rating-comment-{ticket_id}");
    let heading_id = format!("rating-title-{ticket_id}");
    let labelled_by = heading_id.clone();

    let form = move || {
        let name = name.clone();
        let comment_id = comment_id.clone();
        view! {
            <form class="rating-form" on:submit=move |ev| {
                ev.prevent_default();
                let Some(s) = score.get_untracked() else {
                    missing_score.set(true);
                    return;
                };
                missing_score.set(false);
                let text = comment.get_untracked();
                let text = text.trim();
                save.dispatch(NewRating {
                    score: i64::from(s),
                    comment: (!text.is_empty()).then(|| text.to_string()),
                });
            }>
                <fieldset class="rating-choices">
                    <legend>{move || i18n.t("rating.question")}</legend>
                    {SCORES.into_iter().map(|(value, key)| {
                        let id = format!("{name}-{value}");
                        view! {
                            <span class=format!("rating-choice score-{value}")>
                                <input type="radio" id=id.clone() name=name.clone() value=value.to_string()
                                    prop:checked=move || score.get() == Some(value)
                                    on:change=move |_| { score.set(Some(value)); missing_score.set(false); }/>
                                <label for=id>{move || i18n.t(key)}</label>
                            </span>
                        }
                    }).collect_view()}
                </fieldset>
                {move || missing_score.get().then(|| view! {
                    <p class="field-error" role="alert">{move || i18n.t("rating.choose")}</p>
                })}
                <div class="field">
                    <label for=comment_id.clone()>{move || i18n.t("rating.comment")}</label>
                    <textarea id=comment_id rows="3" maxlength="2000" prop:value=comment
                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                </div>
                {move || error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="rating-actions">
                    <button type="submit" class="primary" disabled=move || save.pending().get()>
                        {move || if current.get().is_some() { i18n.t("rating.save_change") } else { i18n.t("rating.submit") }}
                    </button>
                    <Show when=move || current.get().is_some()>
                        <button type="button" class="secondary" on:click=move |_| editing.set(false)>
                            {move || i18n.t("rating.cancel")}
                        </button>
                    </Show>
                </div>
            </form>
        }
    };

    view! {
        <section class="rating" aria-labelledby=labelled_by>
            <h2 id=heading_id>{move || i18n.t("rating.title")}</h2>
            {move || match current.get() {
                Some(r) if !editing.get() => {
                    let until = r.changeable_until;
                    let label = SCORES.iter().find(|(v, _)| *v == r.score).map(|(_, k)| *k).unwrap_or("rating.score.3");
                    let just_saved = save.value().get().is_some_and(|v| v.is_ok());
                    view! {
                        <div class="rating-summary">
                            <p class="success" role="status">
                                {move || if just_saved { i18n.t("rating.thanks") } else { i18n.t("rating.given") }}
                            </p>
                            <p>
                                {move || i18n.t("rating.your_score")} " "
                                <strong>{move || i18n.t(label)}</strong>
                            </p>
                            {r.comment.clone().map(|c| view! { <blockquote class="rating-comment">{c}</blockquote> })}
                            {(until > time::now()).then(|| view! {
                                <button type="button" class="secondary" on:click=start_editing>
                                    {move || i18n.tf("rating.change_until", &[("date", &time::date_time(until, i18n.locale.get()))])}
                                </button>
                            })}
                        </div>
                    }.into_any()
                }
                _ => form().into_any(),
            }}
        </section>
    }
}
