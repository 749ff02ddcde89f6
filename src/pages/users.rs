//! The admin's people page: every account (filtered by role), invitations by e-mail (the invited user
//! chooses a password from the link), disabling and re-enabling, a client's role in the organization, and
//! new organizations.

use api_types::{NewInvitation, NewOrganization, OrgRole, Organization, Role, User, UserChange};
use leptos::prelude::*;

use crate::{
    api,
    components::{guard::RequireUser, kb::error_text},
    i18n::use_i18n,
    session::use_session,
};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <RequireUser staff=true><AdminOnly/></RequireUser> }
}

#[component]
fn AdminOnly() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    move || {
        if session.current().is_some_and(|u| u.role == Role::Admin) {
            view! { <People/> }.into_any()
        } else {
            view! {
                <section class="page narrow">
                    <h1>{move || i18n.t("forbidden.title")}</h1>
                    <p>{move || i18n.t("users.admins_only")}</p>
                </section>
            }
            .into_any()
        }
    }
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Client => "users.role_client",
        Role::Agent => "role.agent",
        Role::Admin => "role.admin",
    }
}

#[component]
fn People() -> impl IntoView {
    let i18n = use_i18n();
    let filter = RwSignal::new(String::new());
    // Bumped after each change, to ask for the lists again.
    let version = RwSignal::new(0_u32);
    let users = LocalResource::new(move || {
        let role = filter.get();
        version.track();
        let locale = i18n.locale.get_untracked();
        async move { api::users(locale, &role).await }
    });
    let organizations = LocalResource::new(move || {
        version.track();
        let locale = i18n.locale.get_untracked();
        async move { api::organizations(locale).await.unwrap_or_default() }
    });
    let notice = RwSignal::new(None::<String>);
    view! {
        <section class="page">
            <h1>{move || i18n.t("users.title")}</h1>
            <div role="status">{move || notice.get().map(|n| view! { <p class="success">{n}</p> })}</div>
            <div class="field-row">
                <InviteForm organizations=organizations notice=notice version=version/>
                <OrganizationForm notice=notice version=version/>
            </div>
            <h2>{move || i18n.t("users.list")}</h2>
            <div class="field">
                <label for="users-role">{move || i18n.t("users.filter_role")}</label>
                <select id="users-role" on:change=move |ev| filter.set(event_target_value(&ev))>
                    <option value="">{move || i18n.t("users.all")}</option>
                    {[Role::Client, Role::Agent, Role::Admin].into_iter().map(|r| view! {
                        <option value=api::role_tag(r)>{move || i18n.t(role_key(r))}</option>
                    }).collect_view()}
                </select>
            </div>
            <Transition fallback=move || view! { <p class="muted">{move || i18n.t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <p class="error" role="alert">{error_text(i18n, &e)}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-scroll">
                                <table class="data-table">
                                    <caption class="visually-hidden">{move || i18n.t("users.list")}</caption>
                                    <thead><tr>
                                        <th scope="col">{move || i18n.t("users.name")}</th>
                                        <th scope="col">{move || i18n.t("users.email")}</th>
                                        <th scope="col">{move || i18n.t("users.role")}</th>
                                        <th scope="col">{move || i18n.t("users.organization")}</th>
                                        <th scope="col">{move || i18n.t("users.state")}</th>
                                        <th scope="col">{move || i18n.t("users.actions")}</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|u| view! { <UserRow user=u notice=notice version=version/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UserRow(user: User, notice: RwSignal<Option<String>>, version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let id = user.id;
    let me = session.current().is_some_and(|u| u.id == id);
    let change = Action::new_local(move |body: &Option<UserChange>| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move {
            match body {
                Some(body) => api::update_user(locale, id, &body).await,
                None => api::resend_invitation(locale, id).await,
            }
        }
    });
    let name = user.name.clone();
    Effect::new(move |_| {
        if let Some(Ok(u)) = change.value().get() {
            let key = if u.disabled {
                "users.disabled_done"
            } else if u.invited {
                "users.invited_done"
            } else {
                "users.saved"
            };
            notice.set(Some(i18n.tf(key, &[("name", &name)])));
            version.update(|v| *v += 1);
        }
    });
    let failed = move || {
        change
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(i18n, &e))
    };
    let state_key = if user.disabled {
        "users.state_disabled"
    } else if user.invited {
        "users.state_invited"
    } else {
        "users.state_active"
    };
    let disabled = user.disabled;
    let org_role = user.org_role;
    let label = user.name.clone();
    view! {
        <tr>
            <td>{user.name.clone()}</td>
            <td>{user.email.clone()}</td>
            <td>{move || i18n.t(role_key(user.role))}</td>
            <td>
                {user.organization.clone().map(|o| o.name)}
                {org_role.map(|r| {
                    let label = label.clone();
                    view! {
                        <label class="visually-hidden" for=format!("user-{id}-org-role")>
                            {move || i18n.tf("users.org_role_of", &[("name", &label)])}
                        </label>
                        <select id=format!("user-{id}-org-role") disabled=move || change.pending().get()
                            on:change=move |ev| {
                                let role = if event_target_value(&ev) == "manager" { OrgRole::Manager } else { OrgRole::Member };
                                change.dispatch(Some(UserChange { org_role: Some(role), ..Default::default() }));
                            }>
                            <option value="member" selected=r == OrgRole::Member>{move || i18n.t("users.member")}</option>
                            <option value="manager" selected=r == OrgRole::Manager>{move || i18n.t("users.manager")}</option>
                        </select>
                    }
                })}
            </td>
            <td>{move || i18n.t(state_key)}</td>
            <td>
                <div class="actions">
                    {user.invited.then(|| {
                        let name = user.name.clone();
                        view! {
                            <button type="button" class="secondary" disabled=move || change.pending().get()
                                aria-label=move || i18n.tf("users.resend_of", &[("name", &name)])
                                on:click=move |_| { change.dispatch(None); }>
                                {move || i18n.t("users.resend")}
                            </button>
                        }
                    })}
                    {(!me).then(|| {
                        let name = user.name.clone();
                        view! {
                            <button type="button" class="secondary" disabled=move || change.pending().get()
                                aria-label=move || i18n.tf(if disabled { "users.enable_of" } else { "users.disable_of" }, &[("name", &name)])
                                on:click=move |_| {
                                    change.dispatch(Some(UserChange { disabled: Some(!disabled), ..Default::default() }));
                                }>
                                {move || i18n.t(if disabled { "users.enable" } else { "users.disable" })}
                            </button>
                        }
                    })}
                </div>
                {move || failed().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </td>
        </tr>
    }
}

#[component]
fn InviteForm(
    organizations: LocalResource<Vec<Organization>>,
    notice: RwSignal<Option<String>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Client);
    let organization = RwSignal::new(String::new());
    let manager = RwSignal::new(false);
    let locale_choice = RwSignal::new("pt-BR".to_string());
    let invite = Action::new_local(move |body: &NewInvitation| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::invite(locale, &body).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(u)) = invite.value().get() {
            notice.set(Some(i18n.tf("users.invite_sent", &[("email", &u.email)])));
            name.set(String::new());
            email.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    let failed = move || invite.value().get().and_then(|r| r.err());
    let field = move |f: &'static str| move || failed().and_then(|e| e.field(f));
    let general = move || {
        failed()
            .filter(|e| {
                !["name", "email", "organization_id", "role"]
                    .iter()
                    .any(|f| e.field(f).is_some())
            })
            .map(|e| error_text(i18n, &e))
    };
    let client = move || role.get() == Role::Client;
    view! {
        <form class="form card" on:submit=move |ev| {
            ev.prevent_default();
            let is_client = role.get_untracked() == Role::Client;
            invite.dispatch(NewInvitation {
                name: name.get_untracked().trim().to_string(),
                email: email.get_untracked().trim().to_string(),
                role: role.get_untracked(),
                organization_id: if is_client { organization.get_untracked().parse().ok() } else { None },
                org_role: is_client.then(|| if manager.get_untracked() { OrgRole::Manager } else { OrgRole::Member }),
                locale: Some(locale_choice.get_untracked()),
            });
        }>
            <h2>{move || i18n.t("users.invite_title")}</h2>
            <p class="hint">{move || i18n.t("users.invite_hint")}</p>
            {move || general().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="field">
                <label for="invite-name">{move || i18n.t("users.name")}</label>
                <input id="invite-name" type="text" required maxlength="120" autocomplete="off"
                    aria-describedby="invite-name-error"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <p id="invite-name-error" class="field-error">{field("name")}</p>
            </div>
            <div class="field">
                <label for="invite-email">{move || i18n.t("users.email")}</label>
                <input id="invite-email" type="email" required maxlength="254" autocomplete="off"
                    aria-describedby="invite-email-error"
                    prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                <p id="invite-email-error" class="field-error">{field("email")}</p>
            </div>
            <div class="field">
                <label for="invite-role">{move || i18n.t("users.role")}</label>
                <select id="invite-role" on:change=move |ev| {
                    role.set(match event_target_value(&ev).as_str() {
                        "agent" => Role::Agent,
                        "admin" => Role::Admin,
                        _ => Role::Client,
                    });
                }>
                    {[Role::Client, Role::Agent, Role::Admin].into_iter().map(|r| view! {
                        <option value=api::role_tag(r) selected=move || role.get() == r>{move || i18n.t(role_key(r))}</option>
                    }).collect_view()}
                </select>
            </div>
            <Show when=client>
                <div class="field">
                    <label for="invite-org">{move || i18n.t("users.organization")}</label>
                    <select id="invite-org" required aria-describedby="invite-org-error"
                        on:change=move |ev| organization.set(event_target_value(&ev))>
                        <option value="">{move || i18n.t("users.organization_choose")}</option>
                        {move || organizations.get().unwrap_or_default().into_iter().map(|o| {
                            let value = o.id.to_string();
                            let selected = organization.get_untracked() == value;
                            view! { <option value=value selected=selected>{o.name}</option> }
                        }).collect_view()}
                    </select>
                    <p id="invite-org-error" class="field-error">{field("organization_id")}</p>
                </div>
                <div class="check">
                    <input id="invite-manager" type="checkbox" prop:checked=manager
                        on:change=move |ev| manager.set(event_target_checked(&ev))/>
                    <label for="invite-manager">{move || i18n.t("users.invite_manager")}</label>
                </div>
            </Show>
            <div class="field">
                <label for="invite-locale">{move || i18n.t("users.language")}</label>
                <select id="invite-locale" on:change=move |ev| locale_choice.set(event_target_value(&ev))>
                    <option value="pt-BR" lang="pt-BR">"Português (Brasil)"</option>
                    <option value="en" lang="en">"English"</option>
                </select>
            </div>
            <button type="submit" class="primary" disabled=move || invite.pending().get()>
                {move || i18n.t("users.invite")}
            </button>
        </form>
    }
}

#[component]
fn OrganizationForm(notice: RwSignal<Option<String>>, version: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let create = Action::new_local(move |body: &NewOrganization| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::create_organization(locale, &body).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(o)) = create.value().get() {
            notice.set(Some(
                i18n.tf("users.organization_created", &[("name", &o.name)]),
            ));
            name.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    let failed = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.field("name").unwrap_or_else(|| error_text(i18n, &e)))
    };
    view! {
        <form class="form card" on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(NewOrganization { name: name.get_untracked().trim().to_string() });
        }>
            <h2>{move || i18n.t("users.organization_title")}</h2>
            <div class="field">
                <label for="org-name">{move || i18n.t("users.organization_name")}</label>
                <input id="org-name" type="text" required maxlength="120" autocomplete="off"
                    aria-describedby="org-name-error"
                    prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <p id="org-name-error" class="field-error">{failed}</p>
            </div>
            <button type="submit" class="primary" disabled=move || create.pending().get()>
                {move || i18n.t("users.organization_create")}
            </button>
        </form>
    }
}

/// "Cliente novo?" on a ticket logged by phone: staff add the caller as a client of an organization (an
/// invitation goes to them to choose a password) and the ticket is theirs. Not a form of its own: it
/// sits inside the ticket's form, so Enter adds the client instead of sending the ticket.
#[component]
pub fn AddClient(clients: LocalResource<Vec<User>>, requester: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let organization = RwSignal::new(String::new());
    let organizations = LocalResource::new(move || {
        let locale = i18n.locale.get_untracked();
        async move { api::organizations(locale).await.unwrap_or_default() }
    });
    let add = Action::new_local(move |body: &NewInvitation| {
        let body = body.clone();
        let locale = i18n.locale.get_untracked();
        async move { api::invite(locale, &body).await }
    });
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(u)) = add.value().get() {
            requester.set(u.id.to_string());
            clients.refetch();
            name.set(String::new());
            email.set(String::new());
            open.set(false);
        }
    });
    let failed = move || add.value().get().and_then(|r| r.err());
    let field = move |f: &'static str| move || failed().and_then(|e| e.field(f));
    let general = move || {
        failed()
            .filter(|e| {
                !["name", "email", "organization_id"]
                    .iter()
                    .any(|f| e.field(f).is_some())
            })
            .map(|e| error_text(i18n, &e))
    };
    let submit = move || {
        if add.pending().get_untracked() {
            return;
        }
        add.dispatch(NewInvitation {
            name: name.get_untracked().trim().to_string(),
            email: email.get_untracked().trim().to_string(),
            role: Role::Client,
            organization_id: organization.get_untracked().parse().ok(),
            org_role: Some(OrgRole::Member),
            locale: None,
        });
    };
    let enter = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            submit();
        }
    };
    view! {
        <div class="add-client">
            <button type="button" class="secondary" aria-expanded=move || open.get().to_string()
                aria-controls="add-client-panel" on:click=move |_| open.update(|o| *o = !*o)>
                {move || i18n.t("users.add_client")}
            </button>
            <Show when=move || open.get()>
            <div id="add-client-panel" role="group" aria-labelledby="add-client-title" class="form card">
                <p id="add-client-title" class="hint">{move || i18n.t("users.add_client_hint")}</p>
                {move || general().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="field-row">
                    <div class="field">
                        <label for="add-client-name">{move || i18n.t("users.name")}</label>
                        <input id="add-client-name" type="text" maxlength="120" autocomplete="off"
                            aria-describedby="add-client-name-error" on:keydown=enter
                            prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                        <p id="add-client-name-error" class="field-error">{field("name")}</p>
                    </div>
                    <div class="field">
                        <label for="add-client-email">{move || i18n.t("users.email")}</label>
                        <input id="add-client-email" type="email" maxlength="254" autocomplete="off"
                            aria-describedby="add-client-email-error" on:keydown=enter
                            prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                        <p id="add-client-email-error" class="field-error">{field("email")}</p>
                    </div>
                    <div class="field">
                        <label for="add-client-org">{move || i18n.t("users.organization")}</label>
                        <select id="add-client-org" aria-describedby="add-client-org-error"
                            on:change=move |ev| organization.set(event_target_value(&ev))>
                            <option value="">{move || i18n.t("users.organization_choose")}</option>
                            {move || organizations.get().unwrap_or_default().into_iter().map(|o| view! {
                                <option value=o.id.to_string()>{o.name}</option>
                            }).collect_view()}
                        </select>
                        <p id="add-client-org-error" class="field-error">{field("organization_id")}</p>
                    </div>
                </div>
                <button type="button" class="secondary" disabled=move || add.pending().get() on:click=move |_| submit()>
                    {move || i18n.t("users.add_client_submit")}
                </button>
            </div>
            </Show>
        </div>
    }
}
