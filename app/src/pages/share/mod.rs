//! `/share`: share part of the record with a clinician as a SMART Health Link, and keep an
//! eye on the links already made (what each shares, how long it has left, who opened it).
//!
//! The bundle is cut and encrypted here, under a fresh key that exists only in this page and
//! in the link it makes: the server receives ciphertext and the link's rules.

mod link_card;
mod list;
mod new_share;

use folio_shared::care::Action;
use leptos::prelude::*;

use crate::components::guard::RequireUnlocked;
use crate::record::OpenRecord;
use crate::session::Session;

#[component]
pub fn Share() -> impl IntoView {
    view! {
        <RequireUnlocked>
            <SharePage/>
        </RequireUnlocked>
    }
}

#[component]
fn SharePage() -> impl IntoView {
    let session = Session::expect();
    let record = LocalResource::new(move || OpenRecord::current(session, false));
    // Bumped when a link is made or revoked, so the list reads the server again.
    let changed = RwSignal::new(0u32);
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Opening your record…"</p> }>
            {move || record.get().map(|opened| match opened {
                Ok(record) => {
                    let vault = record.id();
                    let making = if record.may(Action::Share) {
                        view! { <new_share::NewShare record=record changed=changed/> }.into_any()
                    } else {
                        view! {
                            <section class="card" aria-labelledby="share-title">
                                <h2 id="share-title">"Share this record"</h2>
                                <p data-testid="share-not-allowed">{format!(
                                    "You can see the links of {}; making them needs the manager role.",
                                    record.label()
                                )}</p>
                            </section>
                        }.into_any()
                    };
                    view! {
                        {making}
                        <list::ShareList vault=vault changed=changed/>
                    }.into_any()
                }
                Err(why) => view! {
                    <section class="card" aria-labelledby="share-title">
                        <h2 id="share-title">"Share your records"</h2>
                        <p class="status-bad" data-testid="share-unavailable">{why}</p>
                        <p class="actions"><a class="button primary" href="/import">"Import records"</a></p>
                    </section>
                }.into_any(),
            })}
        </Suspense>
    }
}
