//! The search a reader settled on. Results follow every pause in typing, but the analytics count only the
//! query the reader ended with: when they open a result, leave the field or stop typing for a while. The
//! server counts one reader's repeats of a query once, so Back, a reload or a second visit to a `?q=`
//! link adds nothing.

use std::time::Duration;

use api_types::NewSearch;
use leptos::{prelude::*, task::spawn_local};

use crate::{api, drafts::visitor_id, i18n::Locale};

/// A pause this long in typing means the reader settled on what the box says.
pub const SETTLE_AFTER: Duration = Duration::from_millis(1500);

/// The query last recorded on this page, and its `search_id` (`None` for staff: never recorded).
#[derive(Clone, Copy)]
pub struct SettledSearch {
    last: RwSignal<Option<(String, Option<i64>)>>,
    timer: StoredValue<Option<TimeoutHandle>>,
}

impl SettledSearch {
    /// A recorder that lives as long as the page that makes it; its timer ends with the page.
    pub fn new() -> Self {
        let this = Self {
            last: RwSignal::new(None),
            timer: StoredValue::new(None),
        };
        on_cleanup(move || this.cancel());
        this
    }

    /// The `search_id` of `query` once it is recorded (reactive).
    pub fn id_for(&self, query: &str) -> Option<i64> {
        let query = query.trim();
        self.last
            .try_with(|l| {
                l.as_ref()
                    .filter(|(q, _)| q == query)
                    .and_then(|(_, id)| *id)
            })
            .flatten()
    }

    fn known(&self, query: &str) -> Option<Option<i64>> {
        self.last
            .try_with_untracked(|l| l.as_ref().filter(|(q, _)| q == query).map(|(_, id)| *id))
            .flatten()
    }

    /// Records `query` unless this page already did; answers its `search_id`. When the answer comes after
    /// the page is gone, nothing is touched.
    pub async fn record(self, locale: Locale, query: String) -> Option<i64> {
        let query = query.trim().to_string();
        if query.is_empty() {
            return None;
        }
        if let Some(id) = self.known(&query) {
            return id;
        }
        let body = NewSearch {
            q: query.clone(),
            locale: Some(locale.tag().to_string()),
            visitor: visitor_id(),
        };
        let id = api::record_search(locale, &body)
            .await
            .ok()
            .and_then(|r| r.search_id);
        self.last.try_set(Some((query, id)));
        id
    }

    /// Records `query` now, in the background.
    pub fn settle(self, locale: Locale, query: String) {
        self.cancel();
        spawn_local(async move {
            self.record(locale, query).await;
        });
    }

    /// Records `query` after [`SETTLE_AFTER`] unless another query or the end of the page comes first.
    pub fn settle_later(self, locale: Locale, query: String) {
        self.cancel();
        if query.trim().is_empty() {
            return;
        }
        let handle = set_timeout_with_handle(move || self.settle(locale, query), SETTLE_AFTER).ok();
        self.timer.try_set_value(handle);
    }

    /// Whether the page that made this recorder is still shown.
    pub fn alive(&self) -> bool {
        self.last.try_with_untracked(|_| ()).is_some()
    }

    fn cancel(&self) {
        if let Some(Some(handle)) = self.timer.try_get_value() {
            handle.clear();
        }
    }
}

impl Default for SettledSearch {
    fn default() -> Self {
        Self::new()
    }
}

/// A plain left click, which the page may take over; a click with a modifier opens a tab and is left alone.
pub fn plain_click(ev: &leptos::ev::MouseEvent) -> bool {
    ev.button() == 0 && !(ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key())
}
