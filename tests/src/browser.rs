//! Headless Chromium for the browser tests, driven over the DevTools protocol.
//!
//! Debian's Chromium is launched with the flags this sandbox needs (no sandbox as root, no
//! background networking, which the closed network would refuse), and a fresh profile per
//! browser so tests never share state.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser as Chromium, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
use chromiumoxide::cdp::browser_protocol::page::Viewport;
use chromiumoxide::cdp::browser_protocol::web_authn::{
    AddVirtualAuthenticatorParams, AuthenticatorId, AuthenticatorProtocol, AuthenticatorTransport,
    Credential, Ctap2Version, EnableParams, GetCredentialsParams, RemoveVirtualAuthenticatorParams,
    VirtualAuthenticatorOptions,
};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::page::ScreenshotParams;
use futures::StreamExt as _;
use tokio::task::JoinHandle;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless Chromium with its own throwaway profile.
pub struct Browser {
    chromium: Chromium,
    events: JoinHandle<()>,
    _profile: tempfile::TempDir,
    /// Every console error and uncaught exception of its pages (a panic in the app reaches
    /// the console through its panic hook): [`Browser::close`] fails the test on any.
    console_errors: Arc<Mutex<Vec<String>>>,
    /// Errors a test provokes on purpose, by a piece of their text.
    expected_errors: Mutex<Vec<String>>,
    watchers: Mutex<Vec<JoinHandle<()>>>,
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
            console_errors: Arc::default(),
            expected_errors: Mutex::default(),
            watchers: Mutex::default(),
        }
    }

    /// Lets [`Browser::close`] pass console errors containing `text`: for a test that
    /// provokes them (a module it blocks, say), and checks what the page shows instead.
    pub fn expect_console_errors(&self, text: &str) {
        self.expected_errors.lock().unwrap().push(text.to_owned());
    }

    /// Starts recording `page`'s console errors and uncaught exceptions, across the
    /// documents it loads.
    async fn watch(&self, page: &Page) {
        let mut console = page
            .event_listener::<EventConsoleApiCalled>()
            .await
            .expect("console events");
        let mut thrown = page
            .event_listener::<EventExceptionThrown>()
            .await
            .expect("exception events");
        let errors = self.console_errors.clone();
        self.watchers.lock().unwrap().push(tokio::spawn(async move {
            while let Some(call) = console.next().await {
                if matches!(
                    call.r#type,
                    ConsoleApiCalledType::Error | ConsoleApiCalledType::Assert
                ) {
                    let text: Vec<String> = call
                        .args
                        .iter()
                        .map(|arg| match (&arg.value, &arg.description) {
                            (Some(value), _) => value.to_string(),
                            (None, Some(description)) => description.clone(),
                            (None, None) => String::new(),
                        })
                        .collect();
                    errors
                        .lock()
                        .unwrap()
                        .push(format!("console.error: {}", text.join(" ")));
                }
            }
        }));
        let errors = self.console_errors.clone();
        self.watchers.lock().unwrap().push(tokio::spawn(async move {
            while let Some(event) = thrown.next().await {
                let details = &event.exception_details;
                let description = details
                    .exception
                    .as_ref()
                    .and_then(|e| e.description.clone())
                    .unwrap_or_default();
                errors
                    .lock()
                    .unwrap()
                    .push(format!("uncaught: {} {description}", details.text));
            }
        }));
    }

    /// Lets pages save what they download into `dir`, as a person clicking "Save" would.
    pub async fn allow_downloads(&self, dir: &std::path::Path) {
        use chromiumoxide::cdp::browser_protocol::browser::{
            SetDownloadBehaviorBehavior, SetDownloadBehaviorParams,
        };
        let params = SetDownloadBehaviorParams::builder()
            .behavior(SetDownloadBehaviorBehavior::Allow)
            .download_path(dir.to_string_lossy())
            .build()
            .expect("download behaviour");
        self.chromium
            .execute(params)
            .await
            .expect("downloads are allowed");
    }

    pub async fn open(&self, url: &str) -> Page {
        let page = self.chromium.new_page(url).await.expect("a new page");
        self.watch(&page).await;
        page
    }

    /// A new page at `url` whose service worker may run. chromiumoxide asks Chromium to
    /// pause every new target until a debugger resumes it, and a paused service worker
    /// never installs (so `navigator.serviceWorker.register` never settles): this page
    /// asks for its targets to start at once, before it loads `url`.
    pub async fn open_with_service_workers(&self, url: &str) -> Page {
        use chromiumoxide::cdp::browser_protocol::target::SetAutoAttachParams;
        let page = self.open("about:blank").await;
        let attach = SetAutoAttachParams::builder()
            .auto_attach(true)
            .wait_for_debugger_on_start(false)
            .flatten(true)
            .build()
            .expect("auto-attach parameters");
        page.execute(attach)
            .await
            .expect("new targets start unpaused");
        visit(&page, url).await;
        page
    }

    /// A new page at `url`, for pages that rewrite their own address while they load (the
    /// share viewer drops the link's key from the fragment): Chromium then leaves the
    /// navigation that `open` waits on unfinished, so this opens a blank page and goes to
    /// `url` by script instead (see [`visit`]).
    pub async fn open_rewriting(&self, url: &str) -> Page {
        let page = self.open("about:blank").await;
        visit(&page, url).await;
        page
    }

    /// Closes the browser; fails the test if any of its pages logged a console error or
    /// threw an uncaught exception meanwhile.
    pub async fn close(mut self) {
        let _ = self.chromium.close().await;
        let _ = self.chromium.wait().await;
        self.events.abort();
        for watcher in self.watchers.lock().unwrap().iter() {
            watcher.abort();
        }
        let expected = self.expected_errors.lock().unwrap().clone();
        let errors: Vec<String> = std::mem::take(&mut *self.console_errors.lock().unwrap())
            .into_iter()
            .filter(|error| !expected.iter().any(|text| error.contains(text.as_str())))
            .collect();
        assert!(
            errors.is_empty(),
            "the pages logged errors to the console:\n{}",
            errors.join("\n")
        );
    }
}

/// Goes to `url` by script, without waiting on Chromium's navigation events (see
/// [`Browser::open_rewriting`]), and returns once the new document has loaded.
pub async fn visit(page: &Page, url: &str) {
    let path = url::Url::parse(url).expect("a URL").path().to_owned();
    let target = serde_json::to_string(url).expect("a string");
    page.evaluate(format!("window.location.assign({target}); 'going'"))
        .await
        .expect("the navigation starts");
    let loaded = format!(
        "location.pathname === {} && document.readyState === 'complete' ? 'loaded' : ''",
        serde_json::to_string(&path).expect("a string")
    );
    wait_for(page, &loaded, Duration::from_secs(30)).await;
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

/// Gives `page` a platform authenticator (like a phone's or a laptop's) that holds
/// passkeys and always consents, so WebAuthn ceremonies complete without a person.
/// `prf` says whether it supports the PRF extension, which lets a passkey unlock records.
/// It lasts as long as the page, across navigations.
pub async fn add_virtual_authenticator(page: &Page, prf: bool) -> AuthenticatorId {
    add_authenticator(page, AuthenticatorTransport::Internal, prf).await
}

/// A second authenticator beside the platform's: a USB security key without PRF (Chromium
/// allows one internal authenticator per page).
pub async fn add_security_key(page: &Page) -> AuthenticatorId {
    add_authenticator(page, AuthenticatorTransport::Usb, false).await
}

async fn add_authenticator(
    page: &Page,
    transport: AuthenticatorTransport,
    prf: bool,
) -> AuthenticatorId {
    page.execute(EnableParams::default())
        .await
        .expect("the WebAuthn domain is enabled");
    let options = VirtualAuthenticatorOptions::builder()
        .protocol(AuthenticatorProtocol::Ctap2)
        .ctap2_version(Ctap2Version::Ctap21)
        .transport(transport)
        .has_resident_key(true)
        .has_user_verification(true)
        .is_user_verified(true)
        .automatic_presence_simulation(true)
        .has_prf(prf)
        .build()
        .expect("virtual authenticator options");
    page.execute(AddVirtualAuthenticatorParams::new(options))
        .await
        .expect("a virtual authenticator")
        .result
        .authenticator_id
        .clone()
}

/// Takes the authenticator away with every passkey on it, as when a phone is lost.
pub async fn remove_virtual_authenticator(page: &Page, id: AuthenticatorId) {
    page.execute(RemoveVirtualAuthenticatorParams::new(id))
        .await
        .expect("the virtual authenticator is removed");
}

/// The credentials a virtual authenticator holds.
pub async fn authenticator_credentials(page: &Page, id: &AuthenticatorId) -> Vec<Credential> {
    page.execute(GetCredentialsParams::new(id.clone()))
        .await
        .expect("the authenticator's credentials")
        .result
        .credentials
        .clone()
}

/// Clicks the element `selector` matches once it is there, enabled and still, as a person
/// would (a real mouse event, so the page sees a user gesture). Still, because a click aimed
/// at where an element was a moment ago lands on whatever moved there since, as when a
/// field appears above it.
pub async fn click(page: &Page, selector: &str) {
    let enabled = format!(
        "(() => {{ const e = document.querySelector({}); \
         return e && !e.disabled ? 'yes' : ''; }})()",
        js_string(selector)
    );
    wait_for(page, &enabled, Duration::from_secs(20)).await;
    let position = format!(
        "(() => {{ const e = document.querySelector({}); \
         return e ? JSON.stringify(e.getBoundingClientRect()) : ''; }})()",
        js_string(selector)
    );
    let mut last = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = wait_for(page, &position, Duration::from_secs(20)).await;
        if now == last || Instant::now() > deadline {
            break;
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("no {selector}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {selector}: {e}"));
}

/// Replaces the text of the field `selector` matches with `text`, typed key by key.
pub async fn fill(page: &Page, selector: &str, text: &str) {
    click(page, selector).await;
    let cleared = format!(
        "(() => {{ const e = document.querySelector({}); e.value = ''; \
         e.dispatchEvent(new Event('input', {{ bubbles: true }})); return 'cleared'; }})()",
        js_string(selector)
    );
    page.evaluate(cleared.as_str())
        .await
        .unwrap_or_else(|e| panic!("clearing {selector}: {e}"));
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("no {selector}: {e}"))
        .type_str(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {selector}: {e}"));
}

/// Pastes `text` into the field `selector` matches, as a person pasting a link does: the
/// whole value at once and one `input` event, so nothing the page does meanwhile can drop
/// keystrokes from a long credential. Returns once the field holds it.
pub async fn paste(page: &Page, selector: &str, text: &str) {
    click(page, selector).await;
    let pasted = format!(
        "(() => {{ const e = document.querySelector({}); e.value = {}; \
         e.dispatchEvent(new Event('input', {{ bubbles: true }})); return e.value; }})()",
        js_string(selector),
        js_string(text)
    );
    let value: String = page
        .evaluate(pasted.as_str())
        .await
        .unwrap_or_else(|e| panic!("pasting into {selector}: {e}"))
        .into_value()
        .unwrap_or_else(|e| panic!("the value of {selector}: {e}"));
    assert_eq!(value, text, "{selector} holds what was pasted");
}

/// Picks the option `value` of the `<select>` that `selector` matches, as a person choosing
/// it would (the page hears `change`).
pub async fn choose(page: &Page, selector: &str, value: &str) {
    let present = format!(
        "document.querySelector({}) ? 'yes' : ''",
        js_string(selector)
    );
    wait_for(page, &present, Duration::from_secs(20)).await;
    let chosen = format!(
        "(() => {{ const e = document.querySelector({}); \
         if (![...e.options].some(o => o.value === {v})) return 'missing'; \
         e.value = {v}; e.dispatchEvent(new Event('change', {{ bubbles: true }})); return 'chosen'; }})()",
        js_string(selector),
        v = js_string(value)
    );
    let answer: String = page
        .evaluate(chosen.as_str())
        .await
        .unwrap_or_else(|e| panic!("choosing {value} in {selector}: {e}"))
        .into_value()
        .unwrap_or_default();
    assert_eq!(answer, "chosen", "{selector} offers no option {value}");
}

/// Waits for the element `selector` matches to show text, and returns the text.
pub async fn text_of(page: &Page, selector: &str) -> String {
    let expression = format!(
        "(() => {{ const e = document.querySelector({}); \
         return e ? e.innerText.trim() : ''; }})()",
        js_string(selector)
    );
    wait_for(page, &expression, Duration::from_secs(30)).await
}

/// Waits until the text of every element `selector` matches, together, contains `needle`,
/// and returns that text.
pub async fn text_containing(page: &Page, selector: &str, needle: &str) -> String {
    let expression = format!(
        "(() => {{ const all = [...document.querySelectorAll({s})].map(e => e.innerText).join('\\n'); \
           return all.includes({n}) ? all : ''; }})()",
        s = js_string(selector),
        n = js_string(needle),
    );
    wait_for(page, &expression, Duration::from_secs(60)).await
}

/// Saves a screenshot of the whole page, beyond the fold, among the artifacts.
///
/// Not chromiumoxide's `full_page` mode: it resizes the viewport without mobile emulation
/// and then clears the override, which leaves the page at the window's width (at least
/// 500 px) for the rest of the test. Capturing beyond the viewport keeps the phone's.
pub async fn screenshot(page: &Page, name: &str) {
    let content = page
        .layout_metrics()
        .await
        .expect("the page's layout metrics")
        .css_content_size;
    let whole_page = Viewport {
        x: 0.0,
        y: 0.0,
        width: content.width,
        height: content.height,
        scale: 1.0,
    };
    page.save_screenshot(
        ScreenshotParams::builder()
            .capture_beyond_viewport(true)
            .clip(whole_page)
            .build(),
        artifact(name),
    )
    .await
    .expect("a screenshot");
}

/// Signs up as `name` from `/signup` and returns the recovery code the app showed, after
/// checking it cannot be skipped: "Continue" waits for the user to say they saved it.
pub async fn sign_up(page: &Page, name: &str, screenshot_name: &str) -> String {
    fill(page, "#display-name", name).await;
    click(page, "form button[type=submit]").await;
    let code = text_of(page, "[data-testid=recovery-code]").await;
    let continue_disabled = page
        .evaluate("[...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Continue').disabled")
        .await
        .expect("the Continue button")
        .into_value::<bool>()
        .expect("a boolean");
    assert!(
        continue_disabled,
        "Continue must wait until the code is saved"
    );
    screenshot(page, screenshot_name).await;
    click(page, "#recovery-code-saved").await;
    click(page, "#recovery-code-title ~ button.primary").await;
    code
}

/// Waits for the start page to prove the vault opens with the key in memory.
pub async fn expect_vault_unlocked(page: &Page) {
    let status = text_of(page, "[data-testid=vault-status]").await;
    assert_eq!(
        status, "Your record is open.",
        "the start page says: {status}"
    );
}

/// Opens the record page's photo (`TINY_PNG`, imported earlier) and waits until it is shown:
/// fetched sealed, decrypted in the page, drawn as an image 2 pixels wide.
pub async fn open_the_tiny_photo(page: &Page) {
    click(page, "[data-testid=document-open]").await;
    wait_for(
        page,
        "document.querySelector('[data-testid=viewer-documents] img')?.naturalWidth === 2 ? 'shown' : ''",
        Duration::from_secs(20),
    )
    .await;
}

/// Gives the file input `selector` these files, as a person picking them would: the page
/// gets a `change` event with the files in `input.files`.
pub async fn pick_files(page: &Page, selector: &str, files: &[PathBuf]) {
    // The import page's code may still be loading (pages load on demand).
    let present = format!(
        "document.querySelector({}) ? 'yes' : ''",
        js_string(selector)
    );
    wait_for(page, &present, Duration::from_secs(20)).await;
    let input = page
        .find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("no {selector}: {e}"));
    let paths: Vec<String> = files
        .iter()
        .map(|f| {
            std::fs::canonicalize(f)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
                .display()
                .to_string()
        })
        .collect();
    page.execute(
        SetFileInputFilesParams::builder()
            .files(paths)
            .backend_node_id(input.backend_node_id)
            .build()
            .expect("file input parameters"),
    )
    .await
    .unwrap_or_else(|e| panic!("picking files for {selector}: {e}"));
}

/// Answers every `confirm()` of this document with OK, as a person agreeing would.
pub async fn accept_confirmations(page: &Page) {
    page.evaluate("(() => { window.confirm = () => true; return 'ok'; })()")
        .await
        .expect("confirm is answered");
}

/// `text` as a JavaScript string literal.
fn js_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// Shows the page at another size (and as a phone below 600 px), as a window would.
pub async fn resize(page: &Page, width: u32, height: u32) {
    use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
    page.execute(SetDeviceMetricsOverrideParams::new(
        i64::from(width),
        i64::from(height),
        1.0,
        width < 600,
    ))
    .await
    .expect("the page is resized");
}

/// The serious and critical accessibility violations axe-core (from the npm registry, in
/// `tools/node_modules`) finds on the page as it stands, one line each: rule, impact, help,
/// and the first elements it names. Empty when there are none.
pub async fn accessibility_violations(page: &Page) -> Vec<String> {
    let axe = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tools/node_modules/axe-core/axe.min.js"
    ));
    let source = std::fs::read_to_string(&axe).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `cargo xtask setup`, which installs axe-core)",
            axe.display()
        )
    });
    // DevTools evaluation is not bound by the page's CSP, which forbids inline scripts.
    page.evaluate(format!("{source}\n;'axe loaded'"))
        .await
        .expect("axe-core loads");
    let found: Vec<String> = page
        .evaluate(
            "(async () => { \
               const result = await axe.run(document, { resultTypes: ['violations'] }); \
               return result.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                 .map(v => `${v.id} (${v.impact}): ${v.help}: ` + \
                   v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')); \
             })()",
        )
        .await
        .expect("axe-core runs")
        .into_value()
        .expect("a list of violations");
    found
}

/// Clicks the download link `selector` and returns the bytes of the file it saved as
/// `name` in `dir` (see [`Browser::allow_downloads`]), once the browser has finished it.
pub async fn download(page: &Page, selector: &str, dir: &std::path::Path, name: &str) -> Vec<u8> {
    let saved = dir.join(name);
    let partial = dir.join(format!("{name}.crdownload"));
    let _ = std::fs::remove_file(&saved);
    click(page, selector).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !saved.exists() || partial.exists() {
        assert!(
            Instant::now() < deadline,
            "{name} was not downloaded into {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    std::fs::read(&saved).expect("the downloaded file")
}
