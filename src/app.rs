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
        article::ArticlePage,
        category::CategoryPage,
        dashboard::Dashboard,
        home::Home,
        kb_analytics::KbAnalyticsPage,
        kb_editor::ArticleEditor,
        kb_history::ArticleHistory,
        kb_settings::KbSettings,
        login::Login,
        mail_links::{ForgotPassword, ResetPassword, SignInLink},
        not_found::NotFound,
        password::ChangePassword,
        staff::StaffHome,
        staff_kb::StaffArticles,
        ticket::TicketPage,
        ticket_new::NewTicketPage,
        tickets::TicketsPage,
    },
    session::provide_session,
};

#[component]
pub fn App() -> impl IntoView {
    let i18n = provide_i18n();
    provide_session(i18n);
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
                    <Route path=path!("/staff") view=StaffHome/>
                    <Route path=path!("/staff/dashboard") view=Dashboard/>
                    <Route path=path!("/staff/kb") view=StaffArticles/>
                    <Route path=path!("/staff/kb/new") view=ArticleEditor/>
                    <Route path=path!("/staff/kb/articles/:slug") view=ArticleEditor/>
                    <Route path=path!("/staff/kb/articles/:slug/history") view=ArticleHistory/>
                    <Route path=path!("/staff/kb/categories") view=KbSettings/>
                    <Route path=path!("/staff/kb/analytics") view=KbAnalyticsPage/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
