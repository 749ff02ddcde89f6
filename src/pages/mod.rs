//! One module per route.

pub mod article;
pub mod category;
pub mod dashboard;
pub mod home;
pub mod login;
pub mod not_found;
pub mod password;
pub mod staff;
pub mod ticket;
pub mod ticket_new;
pub mod tickets;
