//! Times shown in the reader's own time zone and language, through the browser's `Intl`.

use chrono::{DateTime, Utc};
use js_sys::{Date, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::i18n::Locale;

/// Date and time, e.g. "23/11/2026 14:30" or "11/23/2026, 2:30 PM".
pub fn date_time(at: DateTime<Utc>, locale: Locale) -> String {
    let options = Object::new();
    let _ = Reflect::set(&options, &"dateStyle".into(), &"short".into());
    let _ = Reflect::set(&options, &"timeStyle".into(), &"short".into());
    Date::new(&JsValue::from_f64(at.timestamp_millis() as f64))
        .to_locale_string(locale.tag(), &options)
        .into()
}

/// The machine-readable form for `<time datetime>`.
pub fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
