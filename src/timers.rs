//! Timers that die with the page that set them. A timeout firing after its page was left would touch
//! signals that no longer exist, and a panic in WebAssembly kills the whole app: every delayed action of a
//! page goes through [`Debounce`], which cancels its timer when its owner is cleaned up.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use leptos::prelude::*;

/// One pending delayed action at a time: scheduling another cancels the previous one, and leaving the
/// page (the reactive owner that made it) cancels whatever is pending.
#[derive(Clone)]
pub struct Debounce {
    // `on_cleanup` wants `Send + Sync`; the browser has one thread, so the lock is never contended.
    pending: Arc<Mutex<Option<TimeoutHandle>>>,
}

fn take(pending: &Mutex<Option<TimeoutHandle>>) -> Option<TimeoutHandle> {
    pending.lock().map_or(None, |mut p| p.take())
}

impl Debounce {
    /// A timer owned by the current reactive owner (the page or component being built).
    pub fn new() -> Self {
        let pending = Arc::new(Mutex::new(None::<TimeoutHandle>));
        let on_leave = pending.clone();
        on_cleanup(move || {
            if let Some(handle) = take(&on_leave) {
                handle.clear();
            }
        });
        Self { pending }
    }

    /// Runs `action` after `delay`, unless scheduled again or cancelled before.
    pub fn schedule(&self, action: impl FnOnce() + 'static, delay: Duration) {
        self.cancel();
        let done = self.pending.clone();
        let handle = set_timeout_with_handle(
            move || {
                take(&done);
                action();
            },
            delay,
        )
        .ok();
        if let Ok(mut pending) = self.pending.lock() {
            *pending = handle;
        }
    }

    /// Drops the pending action, if any.
    pub fn cancel(&self) {
        if let Some(handle) = take(&self.pending) {
            handle.clear();
        }
    }
}

impl Default for Debounce {
    fn default() -> Self {
        Self::new()
    }
}
