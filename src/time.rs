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

/// Date and time to the second, for a timeline where the exact moment matters.
pub fn date_time_exact(at: DateTime<Utc>, locale: Locale) -> String {
    let options = Object::new();
    let _ = Reflect::set(&options, &"dateStyle".into(), &"short".into());
    let _ = Reflect::set(&options, &"timeStyle".into(), &"medium".into());
    Date::new(&JsValue::from_f64(at.timestamp_millis() as f64))
        .to_locale_string(locale.tag(), &options)
        .into()
}

/// The unit and signed amount that best say how far `at` is from `now` ("2 hours ago", "in 30 minutes").
pub fn relative_parts(at: DateTime<Utc>, now: DateTime<Utc>) -> (i64, &'static str) {
    let seconds = (at - now).num_seconds();
    let abs = seconds.abs();
    let (amount, unit) = if abs < 60 {
        (seconds, "second")
    } else if abs < 3600 {
        (seconds / 60, "minute")
    } else if abs < 86_400 {
        (seconds / 3600, "hour")
    } else if abs < 30 * 86_400 {
        (seconds / 86_400, "day")
    } else if abs < 365 * 86_400 {
        (seconds / (30 * 86_400), "month")
    } else {
        (seconds / (365 * 86_400), "year")
    };
    (amount, unit)
}

/// "há 2 horas", "in 30 minutes", in the reader's language.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>, locale: Locale) -> String {
    let (amount, unit) = relative_parts(at, now);
    let locales = js_sys::Array::of1(&JsValue::from_str(locale.tag()));
    let options = Object::new();
    let _ = Reflect::set(&options, &"numeric".into(), &"auto".into());
    js_sys::Intl::RelativeTimeFormat::new(&locales, &options)
        .format(amount as f64, unit)
        .into()
}

/// How long ago something happened ("há 2 minutos", "agora"), never in the future: the time came from the
/// server's clock, and a browser clock a few seconds behind would otherwise say "em 16 segundos".
pub fn ago(at: DateTime<Utc>, now: DateTime<Utc>, locale: Locale) -> String {
    relative(at.min(now), now, locale)
}

/// The browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Date::now() as i64).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_parts_pick_the_largest_whole_unit() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let ago = |s: i64| now - chrono::Duration::seconds(s);
        assert_eq!(relative_parts(ago(30), now), (-30, "second"));
        assert_eq!(relative_parts(ago(2 * 3600 + 59), now), (-2, "hour"));
        assert_eq!(relative_parts(ago(90), now), (-1, "minute"));
        assert_eq!(
            relative_parts(now + chrono::Duration::minutes(45), now),
            (45, "minute")
        );
        assert_eq!(relative_parts(ago(3 * 86_400), now), (-3, "day"));
    }
}
