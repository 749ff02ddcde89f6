//! Every text of the app comes from the locale files beside this module (`pt-BR.json`, `en.json`), and
//! the staff pages' texts from `pt-BR.staff.json` and `en.staff.json`, which only the staff build
//! carries (a test keeps every key where the code that uses it is built). The language follows the
//! browser on the first visit and the user's choice after that.

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
#[cfg(any(feature = "staff", test))]
pub const PT_BR_STAFF: &str = include_str!("pt-BR.staff.json");
#[cfg(any(feature = "staff", test))]
pub const EN_STAFF: &str = include_str!("en.staff.json");

pub fn parse(source: &str) -> HashMap<String, String> {
    serde_json::from_str(source).expect("locale files are valid JSON objects of strings")
}

/// The locale files of this build for `locale`.
fn sources(locale: Locale) -> &'static [&'static str] {
    match locale {
        #[cfg(feature = "staff")]
        Locale::PtBr => &[PT_BR, PT_BR_STAFF],
        #[cfg(feature = "staff")]
        Locale::En => &[EN, EN_STAFF],
        #[cfg(not(feature = "staff"))]
        Locale::PtBr => &[PT_BR],
        #[cfg(not(feature = "staff"))]
        Locale::En => &[EN],
    }
}

fn table(locale: Locale) -> &'static HashMap<String, String> {
    static PT: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN_T: OnceLock<HashMap<String, String>> = OnceLock::new();
    let load = || sources(locale).iter().flat_map(|s| parse(s)).collect();
    match locale {
        Locale::PtBr => PT.get_or_init(load),
        Locale::En => EN_T.get_or_init(load),
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
        for (pt, en) in [(PT_BR, EN), (PT_BR_STAFF, EN_STAFF)] {
            let (pt, en) = (parse(pt), parse(en));
            let missing_en: Vec<_> = pt.keys().filter(|k| !en.contains_key(*k)).collect();
            let missing_pt: Vec<_> = en.keys().filter(|k| !pt.contains_key(*k)).collect();
            assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
            assert!(missing_pt.is_empty(), "missing in pt-BR: {missing_pt:?}");
            assert!(
                pt.values().chain(en.values()).all(|v| !v.trim().is_empty()),
                "empty text"
            );
        }
        let (client, staff) = (parse(PT_BR), parse(PT_BR_STAFF));
        let both: Vec<_> = client.keys().filter(|k| staff.contains_key(*k)).collect();
        assert!(
            both.is_empty(),
            "in both the client and the staff file: {both:?}"
        );
    }

    /// The modules that only the staff build compiles: `#[cfg(feature = "staff")]` before `pub mod`.
    fn staff_modules() -> Vec<String> {
        let mut found = Vec::new();
        for dir in ["pages", "components"] {
            let path = format!("{}/src/{dir}/mod.rs", env!("CARGO_MANIFEST_DIR"));
            let source = std::fs::read_to_string(path).unwrap();
            let mut gated = false;
            for line in source.lines().map(str::trim) {
                if let Some(name) = line.strip_prefix("pub mod ") {
                    if gated {
                        found.push(format!("src/{dir}/{}.rs", name.trim_end_matches(';')));
                    }
                    gated = false;
                } else {
                    gated = line == "#[cfg(feature = \"staff\")]";
                }
            }
        }
        assert!(found.len() >= 7, "the staff modules: {found:?}");
        found
    }

    #[test]
    fn every_key_used_in_the_code_exists_in_the_build_that_uses_it() {
        let staff_modules = staff_modules();
        let (client, staff) = (
            [parse(PT_BR), parse(EN)],
            [parse(PT_BR_STAFF), parse(EN_STAFF)],
        );
        let mut used = Vec::new();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut stack = vec![std::path::PathBuf::from(format!("{root}src"))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("i18n/mod.rs")
                {
                    let name = path.display().to_string();
                    let relative = name.trim_start_matches(root).to_string();
                    let in_staff = staff_modules.contains(&relative);
                    let source = std::fs::read_to_string(&path).unwrap();
                    for marker in [".t(\"", ".tf(\""] {
                        for (i, _) in source.match_indices(marker) {
                            let rest = &source[i + marker.len()..];
                            let key = &rest[..rest.find('"').unwrap()];
                            if !key.is_empty() && !key.contains('{') {
                                used.push((relative.clone(), key.to_string(), in_staff));
                            }
                        }
                    }
                }
            }
        }
        assert!(used.len() > 20, "the scan found the keys: {}", used.len());
        // A staff page may use any key; the rest of the app only the client files' keys (the staff
        // files are not in the client build).
        let missing: Vec<_> = used
            .iter()
            .filter(|(_, k, in_staff)| {
                (0..2)
                    .any(|l| !(client[l].contains_key(k) || *in_staff && staff[l].contains_key(k)))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "keys used but not in both languages' files of the build that uses them: {missing:?}"
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
