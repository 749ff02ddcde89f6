//! One module per route.

pub mod article;
pub mod category;
pub mod dashboard;
pub mod home;
pub mod kb_analytics;
pub mod kb_editor;
pub mod kb_history;
pub mod kb_settings;
pub mod login;
pub mod mail_links;
pub mod not_found;
pub mod password;
pub mod staff;
pub mod staff_kb;
pub mod ticket;
pub mod ticket_new;
pub mod tickets;
