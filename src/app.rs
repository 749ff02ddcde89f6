//! The app's shell: contexts, routes, header, announcements and footer around every page.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::{
    components::{
        announcements::AnnouncementBanner, footer::Footer, header::Header, page_shell::PageShell,
    },
    i18n::provide_i18n,
    pages::{
        account::NotificationsPage,
        article::ArticlePage,
        category::CategoryPage,
        home::Home,
        login::Login,
        mail_links::{AcceptInvitation, ForgotPassword, ResetPassword, SignInLink},
        not_found::NotFound,
        password::ChangePassword,
        ticket::TicketPage,
        ticket_new::NewTicketPage,
        tickets::TicketsPage,
    },
    session::provide_session,
};

#[component]
pub fn App() -> impl IntoView {
    let i18n = provide_i18n();
    let session = provide_session(i18n);
    // The page is shown once the header can be drawn as it will stay (see `.app-pending` in the styles).
    Effect::new(move |_| {
        if session.known()
            && let Some(root) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
        {
            // (`app-pending` is the only class of <html>.)
            let _ = root.remove_attribute("class");
        }
    });
    view! {
        <Router>
            <PageShell/>
            <a class="skip-link" href="#main">{move || i18n.t("nav.skip")}</a>
            <Header/>
            <AnnouncementBanner/>
            <main id="main" class="container" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/kb/c/:slug") view=CategoryPage/>
                    <Route path=path!("/kb/:slug") view=ArticlePage/>
                    <Route path=path!("/tickets") view=TicketsPage/>
                    <Route path=path!("/tickets/new") view=NewTicketPage/>
                    <Route path=path!("/tickets/:id") view=TicketPage/>
                    <Route path=path!("/login") view=Login/>
                    <Route path=path!("/login/forgot") view=ForgotPassword/>
                    <Route path=path!("/login/link") view=SignInLink/>
                    <Route path=path!("/account/reset") view=ResetPassword/>
                    <Route path=path!("/account/password") view=ChangePassword/>
                    <Route path=path!("/account/invite") view=AcceptInvitation/>
                    <Route path=path!("/account/notifications") view=NotificationsPage/>
                    <StaffRoutes/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}

/// The staff pages, in the staff build.
#[cfg(feature = "staff")]
#[component(transparent)]
fn StaffRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    use leptos_router::components::{Outlet, ParentRoute};

    use crate::pages::{
        dashboard::Dashboard, inbound::InboundReviewPage, kb_analytics::KbAnalyticsPage,
        kb_editor::ArticleEditor, kb_history::ArticleHistory, kb_settings::KbSettings,
        staff::StaffHome, staff_kb::StaffArticles, users::UsersPage,
    };
    view! {
        <ParentRoute path=path!("/staff") view=Outlet>
            <Route path=path!("") view=StaffHome/>
            <Route path=path!("dashboard") view=Dashboard/>
            <Route path=path!("inbound") view=InboundReviewPage/>
            <Route path=path!("kb") view=StaffArticles/>
            <Route path=path!("kb/new") view=ArticleEditor/>
            <Route path=path!("kb/articles/:slug") view=ArticleEditor/>
            <Route path=path!("kb/articles/:slug/history") view=ArticleHistory/>
            <Route path=path!("kb/categories") view=KbSettings/>
            <Route path=path!("kb/analytics") view=KbAnalyticsPage/>
            <Route path=path!("users") view=UsersPage/>
        </ParentRoute>
    }
    .into_inner()
}

/// In the client build, every staff address is one page: sign-in for nobody, "not for you" for a
/// client, and for staff (whom the server gives the staff build, so only when it has none) a link that
/// loads the page anew.
#[cfg(not(feature = "staff"))]
#[component(transparent)]
fn StaffRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! { <Route path=path!("/staff/*any") view=StaffElsewhere/> }.into_inner()
}

#[cfg(not(feature = "staff"))]
#[component]
fn StaffElsewhere() -> impl IntoView {
    use crate::{components::guard::RequireUser, i18n::use_i18n};
    let i18n = use_i18n();
    let location = leptos_router::hooks::use_location();
    view! {
        <RequireUser staff=true>
            <section class="page narrow">
                <h1>{move || i18n.t("staff_build.title")}</h1>
                <p>{move || i18n.t("staff_build.text")}</p>
                <p><a href=move || location.pathname.get() rel="external" class="button-link primary">
                    {move || i18n.t("staff_build.reload")}
                </a></p>
            </section>
        </RequireUser>
    }
}
