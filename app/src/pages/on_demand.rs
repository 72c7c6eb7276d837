//! The pages the start page does not need, each compiled into a WASM chunk of its own that
//! the browser fetches the first time the page opens.
//!
//! `cargo xtask build` splits the app at the functions marked `#[wasm_split(chunk)]`: what
//! only they reach goes into `chunk`'s module, so opening the start page (sign-in, unlock,
//! the summary at a glance) loads neither the share, caregiver, import, settings or record
//! pages nor the crates only they use. The service worker keeps every chunk, so they open
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

/// One loader per page: `#[wasm_split(chunk)]` makes it async, fetching `chunk` first.
macro_rules! on_demand {
    ($($chunk:ident: $loader:ident => $page:path;)*) => {$(
        #[wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible)]
        pub fn $loader() -> Loaded {
            Ok(view! { <$page/> }.into_any())
        }
    )*};
}

on_demand! {
    sign_up: sign_up => crate::pages::sign_up::SignUp;
    recover: recover => crate::pages::recover::Recover;
    settings: settings => crate::pages::settings::Settings;
    import: import => crate::pages::import::Import;
    record: record => crate::pages::record::Record;
    record: record_list => crate::pages::record::category::Category;
    timeline: timeline => crate::pages::timeline::Timeline;
    share: share => crate::pages::share::Share;
    care: care => crate::pages::care::Care;
    care: care_accept => crate::pages::care::AcceptLink;
    viewer: viewer => crate::pages::viewer::Viewer;
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
