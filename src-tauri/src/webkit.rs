//! WebKitGTK settings that keep the app light (BENCHMARKS.md "Desktop app"): on Linux the UI runs
//! in WebKitGTK, whose defaults suit a browser more than one small local page.
//!
//! - **Document-viewer cache model.** One local page needs no page or resource caches for
//!   browsing back and forth (`webkit_web_context_set_cache_model`).
//!
//! Not done, on purpose: turning accelerated compositing off (`WEBKIT_DISABLE_COMPOSITING_MODE`)
//! on machines without a GPU. It saved ~0.2 s of start-up and ~70 MiB there, but WebKitGTK 2.50's
//! non-composited mode stopped answering WebDriver after a modal dialog closed (the app's
//! end-to-end stories hung), so the app keeps WebKit's default; a user can still set it.

/// Applies the web view settings to the app's window.
pub fn tune(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|webview| {
            use webkit2gtk::{CacheModel, WebContextExt as _, WebViewExt as _};
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = done {
            tracing::warn!("cannot tune the web view: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
