//! Attachments in the portal: the picker of a new ticket and of the reply box (a file button, drag and
//! drop, a screenshot pasted from the clipboard), each file uploading at once with its own progress bar,
//! retried when the connection drops, removable before sending; and the list of a message's files on
//! the ticket page (images as pictures, the rest as downloads with name and size).
//!
//! Uploads outlive nothing: an answer that arrives after the page was left finds its signals gone
//! (`try_update` answers `None`) and removes the upload it made instead of touching them.

use api_types::Attachment;
use leptos::{ev, prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

use crate::{
    api::{self, ApiError},
    components::kb::error_text,
    i18n::{Locale, use_i18n},
};

/// Tries of an upload whose connection dropped, before it is shown as failed (with "try again").
const TRIES: u32 = 4;

#[derive(Debug, Clone, PartialEq)]
pub enum UploadState {
    /// On its way: the share sent, 0 to 1.
    Sending(f64),
    Done(Attachment),
    Failed(ApiError),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    key: u64,
    name: String,
    size: f64,
    state: UploadState,
}

/// The files of one form: what is shown, and the browser's `File`s still needed for a retry.
#[derive(Clone, Copy)]
pub struct Uploads {
    list: RwSignal<Vec<Upload>>,
    files: StoredValue<Vec<(u64, web_sys::File)>, LocalStorage>,
    next: StoredValue<u64>,
}

impl Uploads {
    /// The uploads of a form, with those its draft kept (uploaded already).
    pub fn new(restored: Vec<Attachment>) -> Self {
        let list: Vec<Upload> = restored
            .into_iter()
            .enumerate()
            .map(|(i, a)| Upload {
                key: i as u64,
                name: a.name.clone(),
                size: a.size as f64,
                state: UploadState::Done(a),
            })
            .collect();
        let next = list.len() as u64;
        Self {
            list: RwSignal::new(list),
            files: StoredValue::new_local(Vec::new()),
            next: StoredValue::new(next),
        }
    }

    /// The files uploaded, for the draft (reactive).
    pub fn done(self) -> Vec<Attachment> {
        self.list.with(|l| {
            l.iter()
                .filter_map(|u| match &u.state {
                    UploadState::Done(a) => Some(a.clone()),
                    _ => None,
                })
                .collect()
        })
    }

    /// The ids to send with the message.
    pub fn ids(self) -> Vec<i64> {
        self.list.with_untracked(|l| {
            l.iter()
                .filter_map(|u| match &u.state {
                    UploadState::Done(a) => Some(a.id),
                    _ => None,
                })
                .collect()
        })
    }

    /// Some file is still on its way.
    pub fn busy(self) -> bool {
        self.list
            .with_untracked(|l| l.iter().any(|u| matches!(u.state, UploadState::Sending(_))))
    }

    /// Some file failed and is neither retried nor removed.
    pub fn failed(self) -> bool {
        self.list
            .with_untracked(|l| l.iter().any(|u| matches!(u.state, UploadState::Failed(_))))
    }

    /// After the message is sent: its files belong to it now.
    pub fn clear(self) {
        self.list.try_set(Vec::new());
        self.files.try_set_value(Vec::new());
    }

    fn state_of(self, key: u64) -> Option<UploadState> {
        self.list
            .with(|l| l.iter().find(|u| u.key == key).map(|u| u.state.clone()))
    }

    /// Sets a file's state; `false` when it is gone (removed, or the page left).
    fn set_state(self, key: u64, state: UploadState) -> bool {
        self.list
            .try_update(|l| match l.iter_mut().find(|u| u.key == key) {
                Some(u) => {
                    u.state = state;
                    true
                }
                None => false,
            })
            .unwrap_or(false)
    }

    /// Uploads every file of a list (chosen, dropped or pasted).
    pub fn add_list(self, files: &web_sys::FileList, locale: Locale) {
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                self.add(file, locale);
            }
        }
    }

    pub fn add(self, file: web_sys::File, locale: Locale) {
        let key = self.next.get_value();
        self.next.set_value(key + 1);
        let name = upload_name(&file.name(), &file.type_(), locale);
        self.list.update(|l| {
            l.push(Upload {
                key,
                name,
                size: file.size(),
                state: UploadState::Sending(0.0),
            })
        });
        self.files.update_value(|f| f.push((key, file)));
        self.start(key, locale);
    }

    /// Sends one file (again), retrying while the connection is down.
    fn start(self, key: u64, locale: Locale) {
        let file = self
            .files
            .try_with_value(|f| f.iter().find(|(k, _)| *k == key).map(|(_, f)| f.clone()))
            .flatten();
        let name = self
            .list
            .with_untracked(|l| l.iter().find(|u| u.key == key).map(|u| u.name.clone()));
        let (Some(file), Some(name)) = (file, name) else {
            return;
        };
        spawn_local(async move {
            let mut tried = 0;
            loop {
                tried += 1;
                if !self.set_state(key, UploadState::Sending(0.0)) {
                    return;
                }
                let list = self.list;
                let progress = move |share: f64| {
                    list.try_update(|l| {
                        if let Some(u) = l.iter_mut().find(|u| u.key == key)
                            && matches!(u.state, UploadState::Sending(_))
                        {
                            u.state = UploadState::Sending(share);
                        }
                    });
                };
                match api::upload_attachment(locale, &file, &name, progress).await {
                    Ok(done) => {
                        let id = done.id;
                        if !self.set_state(key, UploadState::Done(done)) {
                            // Removed while it was on its way, or the page is gone: nobody will send it.
                            let _ = api::delete_attachment(locale, id).await;
                        }
                        self.files
                            .try_update_value(|f| f.retain(|(k, _)| *k != key));
                        return;
                    }
                    Err(ApiError::Network) if tried < TRIES => {
                        api::sleep(1000 * tried as i32).await;
                    }
                    Err(e) => {
                        self.set_state(key, UploadState::Failed(e));
                        return;
                    }
                }
            }
        });
    }

    /// Takes a file off the form; one uploaded already is removed from the server too.
    fn remove(self, key: u64, locale: Locale) {
        let mut gone = None;
        self.list.update(|l| {
            if let Some(i) = l.iter().position(|u| u.key == key) {
                gone = Some(l.remove(i));
            }
        });
        self.files
            .try_update_value(|f| f.retain(|(k, _)| *k != key));
        if let Some(Upload {
            state: UploadState::Done(a),
            ..
        }) = gone
        {
            spawn_local(async move {
                let _ = api::delete_attachment(locale, a.id).await;
            });
        }
    }

    /// A paste holding files (a screenshot copied with Print Screen) uploads them; a paste of text is
    /// left to the field.
    pub fn paste(self, ev: &ev::ClipboardEvent, locale: Locale) {
        let Some(files) = ev.clipboard_data().and_then(|d| d.files()) else {
            return;
        };
        if files.length() > 0 {
            ev.prevent_default();
            self.add_list(&files, locale);
        }
    }
}

/// A pasted screenshot comes named `image.png`: it gets a name that says what it is and when.
fn upload_name(name: &str, mime: &str, locale: Locale) -> String {
    let generic = name.is_empty() || name == "image.png" || name == "image.jpeg";
    if !generic {
        return name.to_string();
    }
    let d = js_sys::Date::new_0();
    let stamp = format!(
        "{:04}-{:02}-{:02}-{:02}{:02}{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    );
    let ext = match mime {
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "png",
    };
    let base = match locale {
        Locale::PtBr => "captura-de-tela",
        Locale::En => "screenshot",
    };
    format!("{base}-{stamp}.{ext}")
}

/// "532 KB", "1,4 MB" (with the reader's decimal separator).
pub fn size_text(bytes: f64, locale: Locale) -> String {
    let (value, unit) = if bytes >= 1024.0 * 1024.0 {
        (bytes / (1024.0 * 1024.0), "MB")
    } else if bytes >= 1024.0 {
        (bytes / 1024.0, "KB")
    } else {
        return format!("{bytes} B");
    };
    let text = if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    let text = match locale {
        Locale::PtBr => text.replace('.', ","),
        Locale::En => text,
    };
    format!("{text} {unit}")
}

/// The file button, the drop zone and the list of files with their progress. `id` is the file input's.
#[component]
pub fn AttachmentPicker(uploads: Uploads, id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let dragging = RwSignal::new(false);
    let hint_id = format!("{id}-hint");
    let on_change = move |ev: ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(files) = input.files() {
            uploads.add_list(&files, i18n.locale.get_untracked());
        }
        // The same file can be chosen again after being removed.
        input.set_value("");
    };
    let on_drop = move |ev: ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
            uploads.add_list(&files, i18n.locale.get_untracked());
        }
    };
    view! {
        <div class="field attachments-picker" class:dragging=move || dragging.get()
            on:dragover=move |ev: ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <label for=id>{move || i18n.t("attach.choose")}</label>
            <input type="file" id=id multiple aria-describedby=hint_id.clone() on:change=on_change/>
            <p id=hint_id class="hint">{move || i18n.t("attach.hint")}</p>
            <ul class="uploads plain-list" aria-label=move || i18n.t("attach.files") aria-live="polite">
                <For each=move || uploads.list.get() key=|u| u.key let:upload>
                    <UploadRow uploads=uploads upload=upload/>
                </For>
            </ul>
        </div>
    }
}

#[component]
fn UploadRow(uploads: Uploads, upload: Upload) -> impl IntoView {
    let i18n = use_i18n();
    let key = upload.key;
    let name = upload.name.clone();
    let state = move || uploads.state_of(key);
    let remove_label = {
        let name = name.clone();
        move || i18n.tf("attach.remove", &[("name", &name)])
    };
    let progress_label = {
        let name = name.clone();
        move || i18n.tf("attach.sending", &[("name", &name)])
    };
    view! {
        <li class="upload">
            <span class="upload-name">{name.clone()}</span>
            " "
            <span class="muted">{move || size_text(upload.size, i18n.locale.get())}</span>
            " "
            {move || match state() {
                Some(UploadState::Sending(share)) => view! {
                    <progress max="1" value=format!("{share:.3}") aria-label=progress_label.clone()></progress>
                }.into_any(),
                Some(UploadState::Done(_)) => view! {
                    <span class="upload-done">{move || i18n.t("attach.sent")}</span>
                }.into_any(),
                Some(UploadState::Failed(e)) => {
                    let text = match &e {
                        ApiError::Network => i18n.t("attach.failed_network"),
                        e => error_text(i18n, e),
                    };
                    view! {
                        <span class="error" role="alert">{text}</span>
                        " "
                        <button type="button" on:click=move |_| uploads.start(key, i18n.locale.get_untracked())>
                            {move || i18n.t("attach.retry")}
                        </button>
                    }.into_any()
                }
                None => ().into_any(),
            }}
            " "
            <button type="button" aria-label=remove_label on:click=move |_| uploads.remove(key, i18n.locale.get_untracked())>
                {move || i18n.t("attach.remove_short")}
            </button>
        </li>
    }
}

/// A message's files: images shown (at most thumbnail-sized, a link to the full one), the rest as
/// download links with name and size.
#[component]
pub fn AttachmentList(files: Vec<Attachment>) -> impl IntoView {
    let i18n = use_i18n();
    (!files.is_empty()).then(|| {
        view! {
            <ul class="attachments plain-list" aria-label=move || i18n.t("attach.files")>
                {files.into_iter().map(|a| {
                    let size = a.size as f64;
                    if a.inline {
                        // The server's thumbnail; when it cannot make one (an image too large to
                        // decode), the name alone links to the file.
                        let thumb = a.thumbnail_url.clone().unwrap_or_else(|| a.url.clone());
                        let broken = RwSignal::new(false);
                        view! {
                            <li class="attachment image">
                                <a href=a.url.clone() target="_blank" rel="noopener">
                                    <img class="attachment-thumb" src=thumb alt=a.name.clone() loading="lazy"
                                        hidden=move || broken.get()
                                        on:error=move |_| { broken.try_set(true); }/>
                                    <span hidden=move || !broken.get()>{a.name.clone()}</span>
                                </a>
                                <span class="muted">{a.name.clone()} " · " {move || size_text(size, i18n.locale.get())}</span>
                            </li>
                        }.into_any()
                    } else {
                        view! {
                            <li class="attachment file">
                                <a href=a.url.clone() download=a.name.clone()>{a.name.clone()}</a>
                                " "
                                <span class="muted">{move || size_text(size, i18n.locale.get())}</span>
                            </li>
                        }.into_any()
                    }
                }).collect_view()}
            </ul>
        }
    })
}
