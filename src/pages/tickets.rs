//! "My tickets" for clients (active, resolved, all; managers can see the whole organization's), and the
//! queue for staff (unassigned, mine, breaching a target, escalated, by priority; sorted by due time).
//! The filters live in the URL, so Back and a shared link keep them.

use api_types::{TicketStatus, TicketSummary};
use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    api::{self, TicketQuery, enc},
    components::table::TableScroll,
    components::{guard::RequireUser, kb::error_text},
    i18n::use_i18n,
    pages::ticket_new::priority_tag,
    session::use_session,
    time,
};

pub fn status_tag(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::Open => "open",
        TicketStatus::Pending => "pending",
        TicketStatus::Resolved => "resolved",
        TicketStatus::Closed => "closed",
    }
}

/// The i18n key of a ticket status as its reader sees it. `pending` waits for the client: a client reads
/// "waiting for your reply", staff read "waiting for the client" (never "waiting for you").
pub fn status_key(tag: &str, staff: bool) -> String {
    if staff && tag == "pending" {
        "status.pending_staff".into()
    } else {
        format!("status.{tag}")
    }
}

/// The list's filters from the URL's query.
fn query_from(map: &leptos_router::params::ParamsMap, staff: bool) -> TicketQuery {
    let get = |k: &str| map.get(k).filter(|v| !v.is_empty());
    TicketQuery {
        status: get("status").unwrap_or_else(|| "active".into()),
        q: get("q").unwrap_or_default(),
        page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        scope: get("scope"),
        assignee: get("assignee"),
        organization: get("organization"),
        priority: get("priority"),
        breaching: get("breaching").is_some_and(|v| v == "true"),
        escalated: get("escalated").is_some_and(|v| v == "true"),
        sort_due: staff,
    }
}

fn href_for(q: &TicketQuery) -> String {
    let mut s = format!("/tickets?status={}", enc(&q.status));
    if !q.q.is_empty() {
        s.push_str(&format!("&q={}", enc(&q.q)));
    }
    if q.page > 1 {
        s.push_str(&format!("&page={}", q.page));
    }
    for (name, value) in [
        ("scope", &q.scope),
        ("assignee", &q.assignee),
        ("organization", &q.organization),
        ("priority", &q.priority),
    ] {
        if let Some(v) = value {
            s.push_str(&format!("&{name}={}", enc(v)));
        }
    }
    if q.breaching {
        s.push_str("&breaching=true");
    }
    if q.escalated {
        s.push_str("&escalated=true");
    }
    s
}

#[component]
pub fn TicketsPage() -> impl IntoView {
    view! {
        <RequireUser>
            <TicketList/>
        </RequireUser>
    }
}

#[component]
fn TicketList() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    // Constant false in the client build: the staff-only views below are left out of it.
    let staff = crate::session::STAFF_BUILD && session.is_staff();
    let manager = session
        .current()
        .is_some_and(|u| u.org_role == Some(api_types::OrgRole::Manager));
    let query_map = use_query_map();
    let navigate = use_navigate();
    let filters = Memo::new(move |_| query_map.with(|m| query_from(m, staff)));
    let search_text = RwSignal::new(filters.get_untracked().q);
    let list = LocalResource::new(move || {
        let q = filters.get();
        let locale = i18n.locale.get();
        async move { api::tickets(locale, &q).await }
    });
    let go = move |q: TicketQuery| {
        navigate(
            &href_for(&q),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        )
    };
    let tab = move |status: &'static str, key: &'static str| {
        let mut q = filters.get_untracked();
        q.status = status.into();
        q.page = 1;
        let href = href_for(&q);
        // A plain link (the router still takes the click): `<A>` would mark every tab current, since they all
        // share the path `/tickets` and differ only in the query.
        view! {
            <a href=href aria-current=move || (filters.get().status == status).then_some("page")>
                {move || i18n.t(key)}
            </a>
        }
    };
    let title = if staff {
        "tickets.queue_title"
    } else {
        "tickets.title"
    };

    view! {
        <section class="page tickets">
            <div class="page-head">
                <h1>{move || i18n.t(title)}</h1>
                <A href="/tickets/new" attr:class="button-link primary">{move || i18n.t("tickets.new")}</A>
            </div>
            <nav class="tabs" aria-label=move || i18n.t("tickets.filter_status")>
                {tab("active", "tickets.tab_active")}
                {tab("resolved", "tickets.tab_resolved")}
                {tab("all", "tickets.tab_all")}
            </nav>
            <form role="search" class="filters" on:submit={
                let go = go.clone();
                move |ev| {
                    ev.prevent_default();
                    let mut q = filters.get_untracked();
                    q.q = search_text.get_untracked();
                    q.page = 1;
                    go(q);
                }
            }>
                <div class="field">
                    <label for="tickets-q">{move || i18n.t("tickets.search")}</label>
                    <input id="tickets-q" type="search" prop:value=search_text
                        on:input=move |ev| search_text.set(event_target_value(&ev))/>
                </div>
                <button type="submit">{move || i18n.t("tickets.search_button")}</button>
                {manager.then(|| {
                    let go = go.clone();
                    view! {
                        <div class="field">
                            <label for="tickets-scope">{move || i18n.t("tickets.scope")}</label>
                            <select id="tickets-scope" on:change=move |ev| {
                                let mut q = filters.get_untracked();
                                q.scope = Some(event_target_value(&ev)).filter(|v| v == "mine");
                                q.page = 1;
                                go(q);
                            }>
                                <option value="organization" selected=move || filters.get().scope.is_none()>{move || i18n.t("tickets.scope_org")}</option>
                                <option value="mine" selected=move || filters.get().scope.is_some()>{move || i18n.t("tickets.scope_mine")}</option>
                            </select>
                        </div>
                    }
                })}
                {staff.then(|| view! { <StaffFilters filters=filters go=go.clone()/> })}
            </form>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any(),
                        Ok(page) if page.items.is_empty() => view! {
                            <p role="status">{move || i18n.t("tickets.empty")}</p>
                        }.into_any(),
                        Ok(page) => {
                            let q = filters.get_untracked();
                            let pages = page.total.div_ceil(u64::from(page.per_page.max(1))) as u32;
                            let prev = (q.page > 1).then(|| href_for(&TicketQuery { page: q.page - 1, ..q.clone() }));
                            let next = (q.page < pages).then(|| href_for(&TicketQuery { page: q.page + 1, ..q.clone() }));
                            let total = page.total.to_string();
                            view! {
                                <p role="status" class="muted">{move || i18n.tf("tickets.count", &[("count", &total)])}</p>
                                <TicketTable items=page.items staff=staff/>
                                <nav class="pager" aria-label=move || i18n.t("tickets.pages")>
                                    {prev.map(|h| view! { <a href=h>{move || i18n.t("tickets.prev")}</a> })}
                                    {next.map(|h| view! { <a href=h>{move || i18n.t("tickets.next")}</a> })}
                                </nav>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The client build has no staff filters (`staff` is never true there).
#[cfg(not(feature = "staff"))]
#[component]
fn StaffFilters<F>(filters: Memo<TicketQuery>, go: F) -> impl IntoView
where
    F: Fn(TicketQuery) + Clone + Send + Sync + 'static,
{
    let _ = (filters, go);
}

#[cfg(feature = "staff")]
#[component]
fn StaffFilters<F>(filters: Memo<TicketQuery>, go: F) -> impl IntoView
where
    F: Fn(TicketQuery) + Clone + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let set = {
        let go = go.clone();
        move |change: &dyn Fn(&mut TicketQuery)| {
            let mut q = filters.get_untracked();
            change(&mut q);
            q.page = 1;
            go(q);
        }
    };
    let set2 = set.clone();
    let set3 = set.clone();
    let set4 = set.clone();
    let set5 = set.clone();
    // Whom and which organization to filter by: the staff and the organizations, asked once.
    let choices = LocalResource::new(move || {
        let l = i18n.locale.get_untracked();
        async move {
            let agents = api::agents(l).await.unwrap_or_default();
            let organizations = api::organizations(l).await.unwrap_or_default();
            (agents, organizations)
        }
    });
    let is = move |field: fn(&TicketQuery) -> &Option<String>, value: String| {
        filters.with(|q| field(q).as_deref() == Some(value.as_str()))
    };
    view! {
        <div class="field">
            <label for="tickets-assignee">{move || i18n.t("tickets.assignee")}</label>
            <select id="tickets-assignee" on:change=move |ev| {
                let v = event_target_value(&ev);
                set(&|q| q.assignee = Some(v.clone()).filter(|v| !v.is_empty()));
            }>
                <option value="" selected=move || filters.get().assignee.is_none()>{move || i18n.t("tickets.assignee_any")}</option>
                <option value="me" selected=move || filters.get().assignee.as_deref() == Some("me")>{move || i18n.t("tickets.assignee_me")}</option>
                <option value="none" selected=move || filters.get().assignee.as_deref() == Some("none")>{move || i18n.t("tickets.assignee_none")}</option>
                {move || choices.get().map(|(agents, _)| agents).unwrap_or_default().into_iter().map(|a| {
                    let id = a.id.to_string();
                    let value = id.clone();
                    view! { <option value=id selected=move || is(|q| &q.assignee, value.clone())>{a.name}</option> }
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="tickets-organization">{move || i18n.t("tickets.organization")}</label>
            <select id="tickets-organization" on:change=move |ev| {
                let v = event_target_value(&ev);
                set5(&|q| q.organization = Some(v.clone()).filter(|v| !v.is_empty()));
            }>
                <option value="" selected=move || filters.get().organization.is_none()>{move || i18n.t("tickets.organization_any")}</option>
                {move || choices.get().map(|(_, orgs)| orgs).unwrap_or_default().into_iter().map(|o| {
                    let id = o.id.to_string();
                    let value = id.clone();
                    view! { <option value=id selected=move || is(|q| &q.organization, value.clone())>{o.name}</option> }
                }).collect_view()}
            </select>
        </div>
        <div class="field">
            <label for="tickets-priority">{move || i18n.t("ticket.priority")}</label>
            <select id="tickets-priority" on:change=move |ev| {
                let v = event_target_value(&ev);
                set2(&|q| q.priority = Some(v.clone()).filter(|v| !v.is_empty()));
            }>
                <option value="" selected=move || filters.get().priority.is_none()>{move || i18n.t("tickets.priority_any")}</option>
                {["urgent", "high", "normal", "low"].into_iter().map(|p| view! {
                    <option value=p selected=move || filters.get().priority.as_deref() == Some(p)>{move || i18n.t(&format!("priority.{p}"))}</option>
                }).collect_view()}
            </select>
        </div>
        <div class="check">
            <input id="tickets-breaching" type="checkbox" prop:checked=move || filters.get().breaching
                on:change=move |ev| { let on = event_target_checked(&ev); set3(&|q| q.breaching = on); }/>
            <label for="tickets-breaching">{move || i18n.t("tickets.breaching")}</label>
        </div>
        <div class="check">
            <input id="tickets-escalated" type="checkbox" prop:checked=move || filters.get().escalated
                on:change=move |ev| { let on = event_target_checked(&ev); set4(&|q| q.escalated = on); }/>
            <label for="tickets-escalated">{move || i18n.t("tickets.escalated")}</label>
        </div>
    }
}

#[component]
fn TicketTable(items: Vec<TicketSummary>, staff: bool) -> impl IntoView {
    let i18n = use_i18n();
    let now = time::now();
    view! {
        <TableScroll label=Signal::derive(move || i18n.t("tickets.title"))>
        <table class="ticket-table">
            <caption class="visually-hidden">{move || i18n.t("tickets.title")}</caption>
            <thead>
                <tr>
                    <th scope="col">{move || i18n.t("tickets.col_subject")}</th>
                    <th scope="col">{move || i18n.t("tickets.col_status")}</th>
                    <th scope="col">{move || i18n.t("ticket.priority")}</th>
                    {staff.then(|| view! { <th scope="col">{move || i18n.t("tickets.col_requester")}</th> })}
                    {staff.then(|| view! { <th scope="col">{move || i18n.t("tickets.col_assignee")}</th> })}
                    {staff.then(|| view! { <th scope="col">{move || i18n.t("tickets.col_due")}</th> })}
                    <th scope="col">{move || i18n.t("tickets.col_updated")}</th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|t| {
                    let status = status_tag(t.status);
                    let priority = priority_tag(t.priority);
                    let updated = t.updated_at;
                    let due = t.due_at;
                    let assignee = t.assignee.as_ref().map(|a| a.name.clone());
                    let requester = t.requester.organization.as_ref().map_or(t.requester.name.clone(), |o| format!("{} ({})", t.requester.name, o.name));
                    view! {
                        <tr class:escalated=t.escalated>
                            <td>
                                <A href=format!("/tickets/{}", t.id)>{format!("#{} · {}", t.id, t.subject)}</A>
                                {t.escalated.then(|| view! { " " <span class="badge warn">{move || i18n.t("tickets.escalated_badge")}</span> })}
                                {t.awaiting_rating.then(|| view! { " " <span class="badge">{move || i18n.t("tickets.awaiting_rating")}</span> })}
                            </td>
                            <td><span class=format!("status status-{status}")>{move || i18n.t(&status_key(status, staff))}</span></td>
                            <td>{move || i18n.t(&format!("priority.{priority}"))}</td>
                            {staff.then(|| view! { <td>{requester}</td> })}
                            {staff.then(|| view! {
                                <td>{match assignee {
                                    Some(name) => view! { <span>{name}</span> }.into_any(),
                                    None => view! { <span class="muted">{move || i18n.t("ticket.unassigned")}</span> }.into_any(),
                                }}</td>
                            })}
                            {staff.then(|| view! {
                                <td>{due.map(|d| view! {
                                    <time datetime=time::iso(d) class:overdue=d < now>
                                        {move || time::relative(d, now, i18n.locale.get())}
                                    </time>
                                })}</td>
                            })}
                            <td>
                                <time datetime=time::iso(updated) title=move || time::date_time_exact(updated, i18n.locale.get())>
                                    {move || time::date_time(updated, i18n.locale.get())}
                                </time>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </TableScroll>
    }
}
