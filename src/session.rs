//! Who is signed in: loaded once from `GET /me`, changed by sign-in and sign-out.

use api_types::User;
use leptos::prelude::*;

use crate::{api, i18n::I18n};

#[derive(Clone, Copy)]
pub struct Session {
    /// `None` until the first answer of `/me`; then `Some(None)` when nobody is signed in.
    pub user: RwSignal<Option<Option<User>>>,
    /// Signed in by a notification's one-click link: this ticket only, the password for anything else.
    pub ticket_only: RwSignal<Option<i64>>,
    /// Why the link in the address did not sign in (used or expired), to show on the sign-in page.
    pub link_error: RwSignal<Option<String>>,
}

impl Session {
    pub fn current(&self) -> Option<User> {
        self.user.get().flatten()
    }

    pub fn is_staff(&self) -> bool {
        self.current().is_some_and(|u| u.role.is_staff())
    }

    pub fn known(&self) -> bool {
        self.user.get().is_some()
    }

    /// Takes `user` as signed in (by a password, a reset or a link) and goes to `next`. Staff work in the
    /// staff build of the app, which the server serves to a staff session: the client build, which has
    /// no staff page, loads `next` as a new page to get it. Answers whether the page is being replaced.
    pub fn signed_in(&self, user: User, ticket_only: Option<i64>, next: &str) -> bool {
        let reload = user.role.is_staff() && !STAFF_BUILD;
        self.ticket_only.set(ticket_only);
        self.link_error.set(None);
        self.user.set(Some(Some(user)));
        if reload && let Some(window) = web_sys::window() {
            return window.location().assign(next).is_ok();
        }
        false
    }
}

/// Whether this is the staff build of the app (`--features staff`): every page. The client build, the
/// one the server gives to everyone else, leaves the staff pages and controls out.
pub const STAFF_BUILD: bool = cfg!(feature = "staff");

pub fn provide_session(i18n: I18n) -> Session {
    let session = Session {
        user: RwSignal::new(None),
        ticket_only: RwSignal::new(None),
        link_error: RwSignal::new(None),
    };
    let locale = i18n.locale.get_untracked();
    leptos::task::spawn_local(async move {
        // `?link=` from a notification e-mail: used once, then taken out of the address (and history).
        if let Some(token) = take_link_param() {
            match api::use_link(locale, &token).await {
                Ok(info) => {
                    match info.user {
                        Some(user) => {
                            let here = web_sys::window()
                                .and_then(|w| w.location().href().ok())
                                .unwrap_or_else(|| "/".into());
                            session.signed_in(user, info.ticket_only, &here);
                        }
                        None => session.user.set(Some(None)),
                    }
                    return;
                }
                Err(e) => session.link_error.set(Some(
                    e.field("token")
                        .unwrap_or_else(|| i18n.t("login.link_failed")),
                )),
            }
        }
        let info = api::session(locale).await.ok();
        session
            .ticket_only
            .set(info.as_ref().and_then(|s| s.ticket_only));
        session.user.set(Some(info.and_then(|s| s.user)));
    });
    provide_context(session);
    session
}

/// The `link` parameter of the page's address, removed from it.
fn take_link_param() -> Option<String> {
    let window = web_sys::window()?;
    let url = web_sys::Url::new(&window.location().href().ok()?).ok()?;
    let params = url.search_params();
    let token = params.get("link").filter(|t| !t.is_empty())?;
    params.delete("link");
    url.set_search(&params.to_string().as_string().unwrap_or_default());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
    Some(token)
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
