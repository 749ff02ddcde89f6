//! Pieces shared by the pages.

pub mod announcements;
pub mod attachments;
pub mod footer;
pub mod guard;
pub mod header;
pub mod kb;
pub mod page_shell;
pub mod rating;
pub mod settled;
#[cfg(feature = "staff")]
pub mod staff_kb_nav;
pub mod table;
