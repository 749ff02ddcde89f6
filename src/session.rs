//! Who is signed in: loaded once from `GET /me`, changed by sign-in and sign-out.

use api_types::User;
use leptos::prelude::*;

use crate::{api, i18n::I18n};

#[derive(Clone, Copy)]
pub struct Session {
    /// `None` until the first answer of `/me`; then `Some(None)` when nobody is signed in.
    pub user: RwSignal<Option<Option<User>>>,
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
}

pub fn provide_session(i18n: I18n) -> Session {
    let session = Session {
        user: RwSignal::new(None),
    };
    let locale = i18n.locale.get_untracked();
    leptos::task::spawn_local(async move {
        let user = api::session(locale).await.ok().and_then(|s| s.user);
        session.user.set(Some(user));
    });
    provide_context(session);
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
