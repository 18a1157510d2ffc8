//! WebKitGTK settings that keep the app light (BENCHMARKS.md "Desktop app"): on Linux the UI runs
//! in WebKitGTK, whose defaults suit a browser more than one small page.
//!
//! - **Compositing off without a GPU.** On a machine with no GPU render node (`/dev/dri/renderD*`),
//!   WebKit's accelerated compositing runs on Mesa's llvmpipe: it maps LLVM into the app and web
//!   processes and renders on the CPU. Measured here it costs ~0.25 s of start-up and ~70 MiB;
//!   the UI (lists, dialogs, no animations) does not need it. With a GPU it stays on. A
//!   `WEBKIT_DISABLE_COMPOSITING_MODE` the user set is left alone.
//! - **Document-viewer cache model.** One local page needs no page or resource caches for
//!   browsing back and forth (`webkit_web_context_set_cache_model`).

/// Decides the environment WebKit reads at start-up. Call it first thing in `main`, before any
/// thread is started.
pub fn prepare_environment() {
    #[cfg(target_os = "linux")]
    {
        const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
        if std::env::var_os(VAR).is_none() && !has_gpu() {
            // SAFETY: called at the start of `main`, before any other thread exists, so nothing
            // reads the environment concurrently.
            unsafe { std::env::set_var(VAR, "1") };
        }
    }
}

/// Whether the machine has a GPU render node.
#[cfg(target_os = "linux")]
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

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
