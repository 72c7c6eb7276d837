//! The pages the start page does not need, each compiled into a WASM chunk of its own that
//! the browser fetches the first time the page opens.
//!
//! `cargo xtask build` splits the app at the functions marked `#[wasm_split(module)]`: what
//! only they reach goes into that module, so opening the start page (sign-in, unlock, the
//! summary at a glance) loads neither the share, caregiver, import, settings or record
//! pages nor the crates only they use. The service worker keeps every module, so they open
//! offline too.

use std::future::Future;

use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};
use send_wrapper::SendWrapper;

/// A page's code could not be fetched: the server is out of reach and this browser has not
/// kept it yet.
#[derive(Debug, Clone, Copy)]
pub struct PageUnavailable;

impl From<SplitLoaderError> for PageUnavailable {
    fn from(_: SplitLoaderError) -> Self {
        PageUnavailable
    }
}

type Loaded = Result<AnyView, PageUnavailable>;

/// One loader per page: `#[wasm_split(module)]` makes it async, fetching `module` first.
///
/// Few modules, not one per page: the splitter also makes a shared chunk for every set
/// of pages that share code, and with a module per page the viewer alone needed 34 of
/// them, which Chromium took 300 ms to fetch from its cache and instantiate, against
/// 10–15 ms for three (BENCHMARKS.md, app size). So the pages are grouped by who opens
/// them: a new or recovering account, the patient's own pages, the clinician; and the start
/// page's medicines card has its own, fetched after the summary is shown.
macro_rules! on_demand {
    ($($module:ident: $loader:ident => $page:path;)*) => {$(
        #[wasm_split($module, wasm_split_path = ::leptos::wasm_split, fallible)]
        pub fn $loader() -> Loaded {
            Ok(view! { <$page/> }.into_any())
        }
    )*};
}

on_demand! {
    account: sign_up => crate::pages::sign_up::SignUp;
    account: recover => crate::pages::recover::Recover;
    patient: settings => crate::pages::settings::Settings;
    patient: import => crate::pages::import::Import;
    patient: record => crate::pages::record::Record;
    patient: record_list => crate::pages::record::category::Category;
    patient: timeline => crate::pages::timeline::Timeline;
    patient: share => crate::pages::share::Share;
    patient: care => crate::pages::care::Care;
    patient: care_accept => crate::pages::care::AcceptLink;
    viewer: viewer => crate::pages::viewer::Viewer;
    medicines: medication_card => crate::pages::record::medication_checks::GlanceMedicationCard;
}

/// The page `load` brings, with a note while it loads and a way to try again if it
/// cannot be fetched.
#[component]
pub fn LoadedPage<L, F>(load: L) -> impl IntoView
where
    L: Fn() -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Loaded> + 'static,
{
    let attempt = RwSignal::new(0u32);
    let fallback = || view! { <p class="muted" role="status">"Opening the page…"</p> };
    view! {
        <Suspense fallback=fallback>
            {move || {
                attempt.track();
                // The loader's future holds JS values, so it never leaves this thread
                // (there is only one in the browser); Suspend asks for Send all the same.
                let page = SendWrapper::new(load());
                Suspend::new(async move {
                    match page.await {
                        Ok(page) => page,
                        Err(PageUnavailable) => view! {
                            <Unavailable retry=move || attempt.update(|n| *n += 1)/>
                        }
                        .into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Unavailable(retry: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    view! {
        <section class="card" role="alert" aria-labelledby="unavailable">
            <h2 id="unavailable">"This page could not be opened"</h2>
            <p>
                "Folio fetches this part of the app the first time you open it, and the "
                "server could not be reached. Check your connection, then try again."
            </p>
            <p class="actions">
                <button class="button primary" on:click=move |_| retry()>"Try again"</button>
                <a class="button" href="/">"Go to the start page"</a>
            </p>
        </section>
    }
}
