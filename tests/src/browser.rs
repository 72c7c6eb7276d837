//! Headless Chromium for the browser tests, driven over the DevTools protocol.
//!
//! Debian's Chromium is launched with the flags this sandbox needs (no sandbox as root, no
//! background networking, which the closed network would refuse), and a fresh profile per
//! browser so tests never share state.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser as Chromium, BrowserConfig};
use futures::StreamExt as _;
use tokio::task::JoinHandle;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless Chromium with its own throwaway profile.
pub struct Browser {
    chromium: Chromium,
    events: JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Launches Chromium with a viewport of `width` × `height` CSS pixels.
    pub async fn launch(width: u32, height: u32) -> Browser {
        assert!(
            std::path::Path::new(CHROMIUM).exists(),
            "browser tests need Chromium at {CHROMIUM}: run `cargo xtask test`, which installs it"
        );
        let profile = tempfile::tempdir().expect("a profile directory");
        let config = BrowserConfig::builder()
            .chrome_executable(CHROMIUM)
            .no_sandbox()
            .new_headless_mode()
            .user_data_dir(profile.path())
            .window_size(width, height)
            .viewport(chromiumoxide::handler::viewport::Viewport {
                width,
                height,
                device_scale_factor: Some(1.0),
                emulating_mobile: width < 600,
                is_landscape: false,
                has_touch: width < 600,
            })
            .args([
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-dev-shm-usage",
            ])
            .build()
            .expect("a browser configuration");
        let (chromium, mut handler) = Chromium::launch(config).await.expect("Chromium starts");
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Browser {
            chromium,
            events,
            _profile: profile,
        }
    }

    pub async fn open(&self, url: &str) -> Page {
        self.chromium.new_page(url).await.expect("a new page")
    }

    pub async fn close(mut self) {
        let _ = self.chromium.close().await;
        let _ = self.chromium.wait().await;
        self.events.abort();
    }
}

/// Waits until `expression` (JavaScript) evaluates to a non-empty string, and returns it.
pub async fn wait_for(page: &Page, expression: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let value = page
            .evaluate(expression)
            .await
            .ok()
            .and_then(|v| v.into_value::<Option<String>>().ok())
            .flatten()
            .unwrap_or_default();
        if !value.is_empty() {
            return value;
        }
        if Instant::now() > deadline {
            let body = page
                .evaluate("document.body ? document.body.innerText : ''")
                .await
                .ok()
                .and_then(|v| v.into_value::<String>().ok())
                .unwrap_or_default();
            panic!("timed out waiting for `{expression}`; the page shows:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where a test keeps what a person would want to look at afterwards (screenshots).
pub fn artifact(name: &str) -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/artifacts"));
    std::fs::create_dir_all(&dir).expect("the artifacts directory");
    dir.join(name)
}
