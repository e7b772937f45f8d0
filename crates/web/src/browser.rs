//! The browser: storage, downloads, the URL fragment, timing and the panic banner. Every
//! function fails softly (returns None / does nothing) instead of panicking, and the
//! non-wasm builds (native unit tests) get inert versions.

use crate::saved::Theme;

const THEME_KEY: &str = "netplay.theme";
/// The fragment prefix of share links: `#s=v1.…`.
pub const SHARE_PREFIX: &str = "#s=";
/// The fragment of a lesson link: `#lesson=ID` (built-in) or `#lesson=CODE` (a lesson file).
pub const LESSON_PREFIX: &str = "#lesson=";

/// Milliseconds from a monotonic clock (0 outside a browser).
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// Runs `f` in a task of its own, after what the browser has waiting (input, a frame that
/// is due): a zero timeout. Not an animation frame callback: those wait up to a frame, and
/// never run in a hidden tab, where an evaluation must finish too. Timeouts nested more
/// than five deep wait at least 4 ms; an evaluation's steps nest three or four.
pub fn next_task(f: impl FnOnce() + 'static) {
    // Boxed: one closure type for every caller (each costs its own glue in the download).
    let f: Box<dyn FnOnce()> = Box::new(f);
    gloo::timers::callback::Timeout::new(0, f).forget();
}

/// Runs `f` when the browser is idle (`requestIdleCallback`), at the latest after
/// `timeout_ms`; a timeout of 50 ms where the browser has no idle callbacks.
pub fn when_idle(timeout_ms: u32, f: impl FnOnce() + 'static) {
    idle_boxed(timeout_ms, Box::new(f));
}

// One closure type for every caller: each type of closure handed to JavaScript costs its
// own glue in the download.
fn idle_boxed(timeout_ms: u32, f: Box<dyn FnOnce()>) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::prelude::*;
        let closure = Closure::once_into_js(f);
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"timeout".into(), &timeout_ms.into());
        let idle = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &"requestIdleCallback".into()).ok())
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        let asked = match idle {
            Some(idle) => idle.call2(&JsValue::NULL, &closure, &options).is_ok(),
            None => false,
        };
        if !asked {
            if let (Some(w), Some(f)) = (web_sys::window(), closure.dyn_ref::<js_sys::Function>()) {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(f, 50);
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = timeout_ms;
        f();
    }
}

/// Wall-clock milliseconds since 1970 (for the times of saved versions; 0 outside a
/// browser).
pub fn wall_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

#[cfg(target_arch = "wasm32")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// A time as the user's clock shows it, e.g. `14:03:12` today or `3 Dec, 14:03`.
pub fn local_time(ms: f64) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
        let now = js_sys::Date::new_0();
        let time = format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds());
        if d.to_date_string() == now.to_date_string() {
            time
        } else {
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let month = MONTHS.get(d.get_month() as usize).copied().unwrap_or("");
            format!("{} {month}, {time}", d.get_date())
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        format!("{ms}")
    }
}

pub fn load_theme() -> Theme {
    #[cfg(target_arch = "wasm32")]
    {
        let stored = storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten());
        match stored.as_deref() {
            Some("dark") => return Theme::Dark,
            Some("light") => return Theme::Light,
            _ => {}
        }
        let dark = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches());
        if dark {
            Theme::Dark
        } else {
            Theme::Light
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = THEME_KEY;
        Theme::Light
    }
}

/// Applies the theme to the page and remembers it.
pub fn apply_theme(theme: Theme) {
    #[cfg(target_arch = "wasm32")]
    {
        let name = if theme == Theme::Dark { "dark" } else { "light" };
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-theme", name);
        }
        if let Some(s) = storage() {
            let _ = s.set_item(THEME_KEY, name);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = theme;
}

/// The URL fragment (`#...`), if any.
pub fn fragment() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()?.location().hash().ok().filter(|h| !h.is_empty())
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}

/// Puts a share code in the URL fragment (without reloading) and returns the full link.
pub fn set_share_fragment(code: &str) -> Option<String> {
    set_fragment(&format!("{SHARE_PREFIX}{code}"))
}

/// Sets the URL fragment (`#…`, without reloading) and returns the full link.
pub fn set_fragment(hash: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        let window = web_sys::window()?;
        let location = window.location();
        let base = location.href().ok()?;
        let base = base.split('#').next().unwrap_or_default().to_string();
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash));
        }
        Some(format!("{base}{hash}"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        Some(hash.to_string())
    }
}

/// Removes the fragment once a share link has been read, so a reload shows the autosave.
pub fn clear_fragment() {
    #[cfg(target_arch = "wasm32")]
    if let Some(window) = web_sys::window() {
        if let (Ok(history), Ok(path)) = (window.history(), window.location().pathname()) {
            let search = window.location().search().unwrap_or_default();
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("{path}{search}")));
        }
    }
}

/// Copies text to the clipboard when the browser allows it.
pub fn copy_to_clipboard(text: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = text;
}

/// Offers bytes as a file download.
pub fn download(name: &str, mime: &str, bytes: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let array = js_sys::Uint8Array::from(bytes);
        let parts = js_sys::Array::of1(&array);
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
            return;
        };
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
            return;
        };
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Some(a) = document
            .create_element("a")
            .ok()
            .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        {
            a.set_href(&url);
            a.set_download(name);
            if let Some(body) = document.body() {
                let _ = body.append_child(&a);
                a.click();
                let _ = body.remove_child(&a);
            }
        }
        // Revoke later: some browsers start the download asynchronously.
        gloo::timers::callback::Timeout::new(10_000, move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        })
        .forget();
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (name, mime, bytes);
}

/// Renders an SVG document to PNG in the browser and downloads it.
pub fn download_svg_as_png(name: &str, svg: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Ok(img) = web_sys::HtmlImageElement::new() else {
            return;
        };
        let encoded = js_sys::encode_uri_component(svg);
        let name = name.to_string();
        let img2 = img.clone();
        let onload = Closure::once(move || {
            let (w, h) = (img2.natural_width().max(1), img2.natural_height().max(1));
            let scale = if w.max(h) > 4000 { 1.0 } else { 2.0 };
            let Some(canvas) = document
                .create_element("canvas")
                .ok()
                .and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok())
            else {
                return;
            };
            canvas.set_width((w as f64 * scale) as u32);
            canvas.set_height((h as f64 * scale) as u32);
            let Some(ctx) = canvas
                .get_context("2d")
                .ok()
                .flatten()
                .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
            else {
                return;
            };
            let _ = ctx.scale(scale, scale);
            let _ = ctx.draw_image_with_html_image_element(&img2, 0.0, 0.0);
            if let Ok(data_url) = canvas.to_data_url_with_type("image/png") {
                if let Some(b64) = data_url.split(',').nth(1) {
                    if let Ok(bytes) = base64_decode(b64) {
                        download(&name, "image/png", &bytes);
                    }
                }
            }
        });
        img.set_onload(Some(onload.as_ref().unchecked_ref()));
        onload.forget();
        img.set_src(&format!("data:image/svg+xml;charset=utf-8,{}", String::from(encoded)));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (name, svg);
}

#[cfg(target_arch = "wasm32")]
fn base64_decode(s: &str) -> Result<Vec<u8>, ()> {
    let text = web_sys::window().ok_or(())?.atob(s).map_err(|_| ())?;
    Ok(text.chars().map(|c| c as u32 as u8).collect())
}

/// Logs a Rust panic and shows a banner that says how to continue; `save` first writes
/// what the user typed that was still waiting to be saved (autosave writes after the
/// evaluation is shown, and the panic may be in the evaluation).
pub fn install_panic_hook(save: fn()) {
    #[cfg(not(target_arch = "wasm32"))]
    let _ = save;
    #[cfg(target_arch = "wasm32")]
    // Through Yew: a hook set with `std::panic::set_hook` is replaced by Yew's own
    // (console_error_panic_hook) when the app is first rendered.
    yew::set_custom_panic_hook(Box::new(move |info| {
        web_sys::console::error_1(&format!("netplay: internal error: {info}").into());
        save();
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if document.get_element_by_id("panic-banner").is_some() {
            return;
        }
        if let Ok(banner) = document.create_element("div") {
            banner.set_id("panic-banner");
            let _ = banner.set_attribute("role", "alert");
            banner.set_text_content(Some(
                "netplay hit an internal error and stopped updating. Your text is saved in this browser: reload the page to continue. (Details are in the browser console; please report them.)",
            ));
            if let Some(body) = document.body() {
                let _ = body.prepend_with_node_1(&banner);
            }
        }
    }));
}

/// A file the user dropped or picked.
pub enum Picked {
    Text(crate::saved::File),
    /// A bundle (`.zip`): its bytes.
    Zip(String, Vec<u8>),
}

/// Reads dropped or picked files, then calls `done` once with all of them (text files as
/// text, zips as bytes). Unreadable files are skipped with a console note.
pub fn read_files(list: Option<web_sys::FileList>, done: yew::Callback<Vec<Picked>>) {
    #[cfg(target_arch = "wasm32")]
    {
        let Some(list) = list else { return };
        let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
        yew::platform::spawn_local(async move {
            let mut out = Vec::new();
            for f in files {
                let name = f.name();
                if name.to_ascii_lowercase().ends_with(".zip") {
                    if let Ok(buf) = wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await {
                        out.push(Picked::Zip(name, js_sys::Uint8Array::new(&buf).to_vec()));
                    }
                } else if let Ok(text) = wasm_bindgen_futures::JsFuture::from(f.text()).await {
                    out.push(Picked::Text(crate::saved::File::new(
                        name,
                        text.as_string().unwrap_or_default(),
                    )));
                } else {
                    web_sys::console::warn_1(&format!("netplay: could not read {name}").into());
                }
            }
            done.emit(out);
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (list, done);
}

/// The texts at `urls` (relative to the page), fetched at once (all requests are in flight
/// together), in the order given; or what went wrong, naming the URL.
pub async fn fetch_texts(urls: &[&str]) -> Result<Vec<String>, String> {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen_futures::JsFuture;
        let window = web_sys::window().ok_or_else(|| "no window to fetch with".to_string())?;
        let requests: Vec<JsFuture> = urls
            .iter()
            .map(|url| JsFuture::from(window.fetch_with_str(url)))
            .collect();
        let mut texts = Vec::with_capacity(urls.len());
        for (url, request) in urls.iter().zip(requests) {
            let failed = |why: &str| format!("{url} could not be fetched: {why}");
            let response = request
                .await
                .map_err(|_| failed("the network request failed"))?
                .dyn_into::<web_sys::Response>()
                .map_err(|_| failed("not a response"))?;
            if !response.ok() {
                return Err(failed(&format!(
                    "HTTP {} {}",
                    response.status(),
                    response.status_text()
                )));
            }
            // The bytes, not `Response::text()`: that drops a leading byte order mark, and
            // the text must be the file as it is (read-tool-output-shapes has one on purpose).
            let body = response.array_buffer().map_err(|_| failed("the body cannot be read"))?;
            let bytes = JsFuture::from(body)
                .await
                .map(|buf| js_sys::Uint8Array::new(&buf).to_vec())
                .map_err(|_| failed("the body cannot be read"))?;
            texts.push(String::from_utf8(bytes).map_err(|_| failed("the file is not UTF-8"))?);
        }
        Ok(texts)
    }
    #[cfg(not(target_arch = "wasm32"))]
    Err(format!("{}: fetching needs the browser", urls.join(", ")))
}
