use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_location, use_navigate};

use crate::ceremonies;
use crate::components::navigation_hold::NavigationHold;
use crate::session::{Session, SessionState};
use crate::unlocking::Locked;

/// The app's name and mark, and the account links, at the top of every page.
#[component]
pub fn Masthead() -> impl IntoView {
    let session = Session::expect();
    let navigate = use_navigate();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            ceremonies::sign_out(session).await;
            navigate("/", Default::default());
        });
    };
    let signed_in = Memo::new(move |_| matches!(session.state(), SessionState::SignedIn(_)));
    let checking = Memo::new(move |_| session.state() == SessionState::Checking);
    let hold = NavigationHold::expect();
    let location = use_location();
    let clinician_viewer =
        Memo::new(move |_| location.pathname.with(|path| path.starts_with("/view")));
    view! {
        // Held while a step must be finished first: the links are there but do nothing.
        <header class="masthead" inert=move || hold.is_held()>
            <a class="brand" href="/">
                <img src="/icons/folio.svg" alt=""/>
                <h1>"Folio"</h1>
            </a>
            <nav aria-label="Account" class="account-nav">
                {move || {
                    if checking.get() {
                        ().into_any()
                    } else if signed_in.get() {
                        view! {
                            {move || session.is_unlocked().then(|| view! {
                                <a href="/record" data-testid="nav-record">"My record"</a>
                                <button type="button" class="link" data-testid="lock"
                                    on:click=move |_| session.locked(Locked::ByUser)>
                                    "Lock"
                                </button>
                            })}
                            <a href="/settings">"Settings"</a>
                            <button type="button" class="link" data-testid="sign-out" on:click=sign_out.clone()>
                                "Sign out"
                            </button>
                        }
                            .into_any()
                    } else if clinician_viewer.get() {
                        // A clinician opening a link has no account here and needs none.
                        ().into_any()
                    } else {
                        view! {
                            <a href="/signin">"Sign in"</a>
                            <a class="button" href="/signup">"Sign up"</a>
                        }
                            .into_any()
                    }
                }}
            </nav>
        </header>
        <OfflineBanner/>
        <ActingInBanner/>
    }
}

/// While the server cannot be reached: what still works, and a way to try again now
/// rather than at the next automatic try.
#[component]
fn OfflineBanner() -> impl IntoView {
    let session = Session::expect();
    let trying = RwSignal::new(false);
    let try_now = move |_| {
        trying.set(true);
        spawn_local(async move {
            session.refresh().await;
            trying.set(false);
        });
    };
    move || {
        session.is_offline().then(|| {
            view! {
                <div class="offline" role="status" data-testid="offline">
                    <span>
                        "You're offline: Folio shows the copy of your records kept on this device. "
                        "Importing, sharing and changes need the server; Folio reconnects by itself."
                    </span>
                    <button type="button" class="link" data-testid="reconnect"
                        disabled=move || trying.get() on:click=try_now>
                        {move || if trying.get() { "Trying…" } else { "Try again now" }}
                    </button>
                </div>
            }
        })
    }
}

/// Which record the pages act in, when it is not the caller's own, and the way back.
#[component]
fn ActingInBanner() -> impl IntoView {
    let session = Session::expect();
    move || {
        session.acting_in().map(|record| {
            view! {
                <div class="acting-in" role="status" data-testid="acting-in">
                    <span>{format!("Working in {} (as {})", record.label, record.vault.role)}</span>
                    <button type="button" class="link" data-testid="act-in-own"
                        on:click=move |_| session.act_in(None)>
                        "Back to my record"
                    </button>
                </div>
            }
        })
    }
}
