//! The support portal: a Leptos single-page app talking to `portal-api`.

pub mod api;
pub mod app;
pub mod components;
pub mod drafts;
pub mod i18n;
pub mod pages;
pub mod prerender;
pub mod session;
pub mod time;
pub mod timers;
