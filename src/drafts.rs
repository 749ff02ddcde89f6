//! Drafts kept in the browser as they are typed, so that nothing typed is lost: not on a reload, an
//! expired session or a failed submission. Each draft carries the `Idempotency-Key` its submission uses,
//! so a retry after a lost answer never makes a second ticket or message.

use serde::{Serialize, de::DeserializeOwned};

use crate::i18n::local_storage;

/// A random id (128 bits, hex), for idempotency keys and the visitor's id.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random id kept by the browser, so that one anonymous visitor has one (changeable) vote per article and
/// their repeated searches count once.
pub fn visitor_id() -> Option<String> {
    const KEY: &str = "portal.visitor";
    let storage = local_storage()?;
    if let Some(id) = storage.get_item(KEY).ok().flatten() {
        return Some(id);
    }
    let id = random_id();
    storage.set_item(KEY, &id).ok()?;
    Some(id)
}

pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = local_storage()?.get_item(key).ok()??;
    serde_json::from_str(&text).ok()
}

pub fn save<T: Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(text)) = (local_storage(), serde_json::to_string(value)) {
        let _ = storage.set_item(key, &text);
    }
}

pub fn clear(key: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(key);
    }
}
