//! Every page on a phone and a desktop: nothing wider than the screen at 360, 390 and
//! 1280 px (with everything that folds open unfolded), every control tall enough to tap
//! (44 px) and with text large enough (16 px) that a phone does not zoom in when it takes
//! focus, and no serious or critical finding of axe-core.
//!
//! One signed-up patient with a real record walks every route by the app's own links (a
//! reload would lock the record); each page is measured at the three widths, and
//! screenshots at 390 and 1280 px are kept as artifacts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use folio_tests::browser::{
    Browser, accessibility_violations, add_virtual_authenticator, click, expect_vault_unlocked,
    fill, pick_files, resize, screenshot, sign_up, text_of, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};

/// Two phones and a desktop.
const WIDTHS: [u32; 3] = [360, 390, 1280];
const DESKTOP: u32 = 1280;

/// Every page a signed-in patient can open, by its address.
const ROUTES: [&str; 16] = [
    "/",
    "/record",
    "/record/allergies",
    "/record/medications",
    "/record/problems",
    "/record/results",
    "/record/immunizations",
    "/record/vital-signs",
    "/record/procedures",
    "/record/documents",
    "/record/visits",
    "/timeline",
    "/import",
    "/share",
    "/care",
    "/settings",
];

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

/// What is wrong with the page as shown: wider than the screen (and which elements stick
/// out), controls shorter than 44 px or with text under 16 px. Elements not shown (no box,
/// or a 1-px visually hidden one) are not controls a finger meets.
///
/// The screen's width is given, not read: a phone (and Chromium emulating one) zooms out to
/// show a page wider than the screen, which makes `innerWidth` the page's width.
const MEASURE: &str = r#"((width) => {
  const describe = e => {
    const id = e.id ? '#' + e.id : '';
    const test = e.dataset && e.dataset.testid ? `[data-testid=${e.dataset.testid}]` : '';
    const cls = typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '';
    const words = (e.innerText || e.value || '').trim().slice(0, 30);
    return `${e.tagName.toLowerCase()}${id}${test}${cls} "${words}"`;
  };
  const shown = e => {
    const r = e.getBoundingClientRect();
    const style = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    // What sticks out of the page itself: inside a box that scrolls or clips (a row of
    // links that scrolls sideways, a code block) it is that box's business.
    const outside = e => e.getBoundingClientRect().right > width + 0.5;
    const contained = e => {
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
      }
      return false;
    };
    const wide = [...document.querySelectorAll('body *')]
      .filter(e => shown(e) && outside(e) && !contained(e))
      // The deepest ones: a container stretched by its child is not the cause.
      .filter(e => ![...e.children].some(c => shown(c) && outside(c)))
      .slice(0, 6)
      .map(e => `${describe(e)} to ${Math.round(e.getBoundingClientRect().right)} px`);
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide: ${wide.join('; ')}`);
  }
  const controls = document.querySelectorAll(
    'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, button, a.button, summary');
  for (const c of controls) {
    if (!shown(c)) continue;
    const r = c.getBoundingClientRect();
    if (r.height < 43.5) problems.push(`${describe(c)} is ${r.height.toFixed(1)} px tall`);
    const size = parseFloat(getComputedStyle(c).fontSize);
    if (c.tagName !== 'SUMMARY' && size < 16) problems.push(`${describe(c)} has ${size} px text`);
  }
  for (const box of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
    if (!shown(box)) continue;
    const label = box.closest('label') || (box.id && document.querySelector(`label[for="${box.id}"]`));
    const target = label && shown(label) ? label : box;
    const r = target.getBoundingClientRect();
    if (r.height < 43.5) problems.push(`${describe(box)} (with its label) is ${r.height.toFixed(1)} px tall`);
  }
  return JSON.stringify(problems);
})"#;

async fn set_width(page: &Page, width: u32) {
    resize(page, width, if width < 600 { 844 } else { 900 }).await;
}

/// Opens `path` as a link in the app would (the router takes the click), and waits until
/// the page has finished opening.
async fn go(page: &Page, path: &str) {
    page.evaluate(format!(
        "(() => {{ const a = document.createElement('a'); a.href = {path:?}; \
         document.body.appendChild(a); a.click(); a.remove(); return 'ok'; }})()"
    ))
    .await
    .expect("the link is followed");
    wait_for(
        page,
        &format!(
            "location.pathname === {path:?} && document.querySelector('main h2') \
             && ![...document.querySelectorAll('main [role=status], main .muted')] \
                 .some(e => /^(Opening|Loading)/.test(e.innerText.trim())) ? 'open' : ''"
        ),
        Duration::from_secs(60),
    )
    .await;
}

/// Unfolds every `<details>`, then measures the page at `width`.
async fn problems_at(page: &Page, width: u32) -> Vec<String> {
    set_width(page, width).await;
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        .await
        .expect("details unfolded");
    // Let layout settle after the resize (one animation frame is enough for a reflow).
    page.evaluate(
        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(1))))",
    )
    .await
    .expect("a frame");
    let json: String = page
        .evaluate(format!("({MEASURE})({width})"))
        .await
        .expect("the page is measured")
        .into_value()
        .expect("a JSON string");
    serde_json::from_str(&json).expect("a list of problems")
}

/// Measures the page where it is on two phones and a desktop and records what is wrong
/// under `name`, and keeps screenshots at 390 px and on a desktop.
async fn check(page: &Page, name: &str, found: &mut Vec<String>) {
    for width in WIDTHS {
        for problem in problems_at(page, width).await {
            found.push(format!("{name} at {width} px: {problem}"));
        }
    }
    set_width(page, 390).await;
    for violation in accessibility_violations(page).await {
        found.push(format!("{name}: axe-core: {violation}"));
    }
    // "/import (a report)" is layout-import-a-report-390.png; "/" is the start page.
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let shot = if words.is_empty() || words[0] == "signed" {
        format!(
            "start{}",
            words.iter().map(|w| format!("-{w}")).collect::<String>()
        )
    } else {
        words.join("-")
    };
    screenshot(page, &format!("layout-{shot}-390.png")).await;
    set_width(page, DESKTOP).await;
    screenshot(page, &format!("layout-{shot}-1280.png")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_every_control_can_be_tapped() {
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = app_dir()).await;
    let browser = Browser::launch(390, 844).await;
    let mut found = Vec::new();

    // Signed out: the landing page, sign-in and sign-up.
    let page = browser.open(&server.public("/")).await;
    for path in ["/", "/signin", "/signup"] {
        go(&page, path).await;
        check(&page, &format!("{path} (signed out)"), &mut found).await;
    }
    set_width(&page, 390).await;
    add_virtual_authenticator(&page, true).await;
    sign_up(&page, "Alejandro Riojas", "layout-signed-up.png").await;
    expect_vault_unlocked(&page).await;

    // A whole record, then a file about someone else: the import page's report, its
    // warnings and the question it asks, measured while they are on screen.
    click(&page, "a[href=\"/import\"]").await;
    pick_files(
        &page,
        "[data-testid=import-files]",
        &[data(
            "fhir-r4/synthea/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json",
        )],
    )
    .await;
    wait_for(
        &page,
        "document.querySelector('[data-testid=import-file]') \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(180),
    )
    .await;
    check(&page, "/import (a report)", &mut found).await;
    set_width(&page, 390).await;
    pick_files(
        &page,
        "[data-testid=import-files]",
        &[data("ccda/hl7-examples/CCD_1.xml")],
    )
    .await;
    text_of(&page, "[data-testid=import-anyway]").await;
    check(&page, "/import (another patient's file)", &mut found).await;
    set_width(&page, 390).await;
    click(&page, "[data-testid=import-anyway]").await;
    wait_for(
        &page,
        "[...document.querySelectorAll('[data-testid=import-file]')].length >= 1 \
         && !document.querySelector('[data-testid=import-progress]') \
         && !document.querySelector('[data-testid=import-mismatch]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;
    check(&page, "/import (warnings)", &mut found).await;

    for path in ROUTES {
        set_width(&page, 390).await;
        go(&page, path).await;
        check(&page, path, &mut found).await;
        if path == "/record" {
            // A search hit's detail: every field of a resource, with long codes and URLs.
            set_width(&page, 390).await;
            fill(&page, "[data-testid=record-search]", "body weight").await;
            click(&page, "[data-testid=record-hit]").await;
            text_of(&page, "[data-testid=record-detail]").await;
            check(&page, "/record (a search hit)", &mut found).await;
        }
    }

    // What the server runs is in the settings, where someone looking after it finds it.
    set_width(&page, 390).await;
    go(&page, "/settings").await;
    let server_status = text_of(&page, "[data-testid=server-status]").await;
    assert!(server_status.contains("sqlite storage"), "{server_status}");

    // The measure finds what it is for: a box wider than the screen, a small control.
    page.evaluate(
        "(() => { const main = document.querySelector('main'); \
         const wide = document.createElement('div'); wide.style.width = '800px'; \
         wide.innerText = 'too wide'; main.appendChild(wide); \
         const tiny = document.createElement('button'); tiny.innerText = 'tiny'; \
         tiny.style.cssText = 'min-height: 0; height: 20px; font-size: 12px; padding: 0'; \
         main.appendChild(tiny); return 'added'; })()",
    )
    .await
    .expect("test elements added");
    let planted = problems_at(&page, 390).await;
    assert!(
        planted.iter().any(|p| p.contains("\"too wide\" to 8")),
        "the wide box is found: {planted:?}"
    );
    assert!(
        planted
            .iter()
            .any(|p| p.contains("\"tiny\" is 20.0 px tall"))
            && planted
                .iter()
                .any(|p| p.contains("\"tiny\" has 12 px text")),
        "the small control is found: {planted:?}"
    );

    assert!(
        found.is_empty(),
        "{} problems on a phone:\n{}",
        found.len(),
        found.join("\n")
    );
    browser.close().await;
    server.stop().await;
}
