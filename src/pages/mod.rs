//! One module per route. The staff pages are in the staff build only (`--features staff`).

pub mod article;
pub mod category;
#[cfg(feature = "staff")]
pub mod dashboard;
pub mod home;
#[cfg(feature = "staff")]
pub mod inbound;
#[cfg(feature = "staff")]
pub mod kb_analytics;
#[cfg(feature = "staff")]
pub mod kb_editor;
#[cfg(feature = "staff")]
pub mod kb_history;
#[cfg(feature = "staff")]
pub mod kb_settings;
pub mod login;
pub mod mail_links;
pub mod not_found;
pub mod password;
#[cfg(feature = "staff")]
pub mod staff;
#[cfg(feature = "staff")]
pub mod staff_kb;
pub mod ticket;
pub mod ticket_new;
pub mod tickets;
