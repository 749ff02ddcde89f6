//! Every text of the app comes from the locale files beside this module (`pt-BR.json`, `en.json`).
//! The language follows the browser on the first visit and the user's choice after that.

use std::{collections::HashMap, sync::OnceLock};

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    PtBr,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::PtBr, Locale::En];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::PtBr => "pt-BR",
            Locale::En => "en",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.to_ascii_lowercase();
        if tag == "pt" || tag.starts_with("pt-") {
            Some(Locale::PtBr)
        } else if tag == "en" || tag.starts_with("en-") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::PtBr => "Português",
            Locale::En => "English",
        }
    }
}

pub const PT_BR: &str = include_str!("pt-BR.json");
pub const EN: &str = include_str!("en.json");

pub fn parse(source: &str) -> HashMap<String, String> {
    serde_json::from_str(source).expect("locale files are valid JSON objects of strings")
}

fn table(locale: Locale) -> &'static HashMap<String, String> {
    static PT: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN_T: OnceLock<HashMap<String, String>> = OnceLock::new();
    match locale {
        Locale::PtBr => PT.get_or_init(|| parse(PT_BR)),
        Locale::En => EN_T.get_or_init(|| parse(EN)),
    }
}

/// The text of `key` in `locale`; a missing key shows itself, and a test keeps that from shipping.
pub fn text(locale: Locale, key: &str) -> String {
    table(locale)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

const STORAGE_KEY: &str = "portal.locale";

/// The reader's language, shared by every component.
#[derive(Clone, Copy)]
pub struct I18n {
    pub locale: RwSignal<Locale>,
}

impl I18n {
    /// The text of `key` in the current language (reactive).
    pub fn t(&self, key: &str) -> String {
        text(self.locale.get(), key)
    }

    /// Replaces `{name}` placeholders.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key);
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    pub fn set(&self, locale: Locale) {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(STORAGE_KEY, locale.tag());
        }
        self.locale.set(locale);
    }
}

pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The remembered choice, else the browser's languages, else Portuguese.
fn initial_locale() -> Locale {
    if let Some(saved) = local_storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        && let Some(locale) = Locale::from_tag(&saved)
    {
        return locale;
    }
    let navigator = web_sys::window().map(|w| w.navigator());
    navigator
        .and_then(|n| {
            n.languages()
                .iter()
                .filter_map(|v| v.as_string())
                .chain(n.language())
                .find_map(|tag| Locale::from_tag(&tag))
        })
        .unwrap_or(Locale::PtBr)
}

pub fn provide_i18n() -> I18n {
    let i18n = I18n {
        locale: RwSignal::new(initial_locale()),
    };
    // The document's language follows, for screen readers and hyphenation.
    Effect::new(move |_| {
        let tag = i18n.locale.get().tag();
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("lang", tag);
        }
    });
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let pt = parse(PT_BR);
        let en = parse(EN);
        let missing_en: Vec<_> = pt.keys().filter(|k| !en.contains_key(*k)).collect();
        let missing_pt: Vec<_> = en.keys().filter(|k| !pt.contains_key(*k)).collect();
        assert!(missing_en.is_empty(), "missing in en.json: {missing_en:?}");
        assert!(
            missing_pt.is_empty(),
            "missing in pt-BR.json: {missing_pt:?}"
        );
        assert!(
            pt.values().chain(en.values()).all(|v| !v.trim().is_empty()),
            "empty text"
        );
    }

    /// Every key the code asks for (`i18n.t("...")`, `i18n.tf("...")`) exists in both files.
    #[test]
    fn every_key_used_in_the_code_exists() {
        let pt = parse(PT_BR);
        let en = parse(EN);
        let mut used = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("i18n/mod.rs")
                {
                    let source = std::fs::read_to_string(&path).unwrap();
                    for marker in [".t(\"", ".tf(\""] {
                        for (i, _) in source.match_indices(marker) {
                            let rest = &source[i + marker.len()..];
                            let key = &rest[..rest.find('"').unwrap()];
                            if !key.is_empty() && !key.contains('{') {
                                used.push((path.display().to_string(), key.to_string()));
                            }
                        }
                    }
                }
            }
        }
        assert!(used.len() > 20, "the scan found the keys: {}", used.len());
        let missing: Vec<_> = used
            .iter()
            .filter(|(_, k)| !pt.contains_key(k) || !en.contains_key(k))
            .collect();
        assert!(
            missing.is_empty(),
            "keys used but not in both locale files: {missing:?}"
        );
    }

    #[test]
    fn tags_map_to_locales() {
        assert_eq!(Locale::from_tag("pt-BR"), Some(Locale::PtBr));
        assert_eq!(Locale::from_tag("pt-PT"), Some(Locale::PtBr));
        assert_eq!(Locale::from_tag("en-GB"), Some(Locale::En));
        assert_eq!(Locale::from_tag("fr"), None);
    }
}
