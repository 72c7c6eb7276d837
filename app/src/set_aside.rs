//! Parts of a record that could not be opened (a write that does not decrypt or parse):
//! saying who they appear to come from, and, for the owner, removing them by compacting the
//! record without them. The same steps as `folio records` and `folio drop-set-aside`.

use folio_shared::api::CompactionHead;
use folio_shared::api::care::Caregiver;
use folio_shared::care::Role;
use folio_shared::keys::SigningKey;
use folio_shared::vault::{SealedSegment, Sealer, SetAside, SetAsidePart, VaultId, VaultKeyring};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::member_list;
use crate::record::{OpenRecord, read_log};
use crate::session::Session;

/// Describes what opening `log` (the log, kept and fetched, in order, with seqs) set aside.
/// The uploaders come from the server; out of reach, the parts are described without them.
pub async fn describe(
    session: Session,
    vault: VaultId,
    log: &[(u64, SealedSegment)],
    set_aside: &[SetAside],
) -> Vec<SetAsidePart> {
    let seqs: Vec<i64> = log.iter().map(|(seq, _)| *seq as i64).collect();
    let wanted: Vec<i64> = set_aside
        .iter()
        .filter_map(|part| seqs.get(part.position).copied())
        .collect();
    // Out of reach, or an older server: the parts are described without who and when.
    let origins = if wanted.is_empty() {
        Vec::new()
    } else {
        api::segment_origins(vault, &wanted)
            .await
            .map(|origins| origins.segments)
            .unwrap_or_default()
    };
    // Only the owner may list caregivers; anyone else knows no names.
    let caregivers: Vec<Caregiver> = api::caregivers(vault).await.unwrap_or_default();
    let reader = session.info_untracked().map(|info| info.account_id);
    SetAsidePart::describe(
        set_aside,
        &seqs,
        &origins,
        reader.unwrap_or_default(),
        |account| {
            caregivers
                .iter()
                .find(|c| c.account_id == Some(account))
                .map(|c| c.name.clone())
        },
    )
}

/// Removes every part of the record that does not open, as its owner: the whole log is
/// re-sealed without them to the record's current key, in one atomic compaction.
pub async fn remove(keyring: &VaultKeyring, signer: &SigningKey) -> Result<(), String> {
    let vault = keyring.vault_id();
    let roster = member_list::checked(vault).await?;
    let (log, generation, last_seq) = read_log(vault).await?;
    let contents = member_list::open_log(vault, keyring, roster.as_ref(), &log).await?;
    if contents.set_aside().is_empty() {
        return Ok(());
    }
    let current = keyring.current();
    let sealed = contents
        .seal(&Sealer::for_identity(vault, current))
        .map_err(|e| e.to_string())?;
    let head = CompactionHead::whole_log(generation, last_seq as i64, current.epoch().0);
    api::compact(vault, &head, &sealed, signer)
        .await
        .map_err(|e| format!("Nothing was removed ({e}). Try again."))?;
    Ok(())
}

/// What the notice needs of a record with parts set aside.
#[derive(Clone)]
pub struct SetAsideNotice {
    parts: Vec<SetAsidePart>,
    own: bool,
    /// Only the owner may rewrite the record.
    may_remove: bool,
    keyring: VaultKeyring,
    signer: SigningKey,
}

impl SetAsideNotice {
    /// The notice for `record`, if part of it could not be opened.
    pub fn of(record: &OpenRecord) -> Option<SetAsideNotice> {
        (!record.set_aside.is_empty()).then(|| SetAsideNotice {
            parts: record.set_aside.clone(),
            own: record.vault.is_own_record(),
            may_remove: record.role() == Role::Owner,
            keyring: record.keyring.clone(),
            signer: record.signer.clone(),
        })
    }
}

/// The notice on the start page and the record page when part of the record could not be
/// opened; the owner can remove those parts, after confirming. `removed` runs after.
#[component]
pub fn SetAsideWarning(notice: SetAsideNotice, removed: Callback<()>) -> impl IntoView {
    let SetAsideNotice {
        parts,
        own,
        may_remove,
        keyring,
        signer,
    } = notice;
    let keyring = StoredValue::new(keyring);
    let signer = StoredValue::new(signer);
    let confirming = RwSignal::new(false);
    let working = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let remove_now = move |_| {
        working.set(true);
        failure.set(None);
        spawn_local(async move {
            match remove(&keyring.get_value(), &signer.get_value()).await {
                Ok(()) => removed.run(()),
                Err(why) => failure.set(Some(why)),
            }
            working.set(false);
            confirming.set(false);
        });
    };
    let whose = if own { "your record" } else { "this record" };
    let count = parts.len();
    view! {
        <section class="card" role="alert" data-testid="set-aside-notice">
            <h2>{format!("Part of {whose} could not be opened")}</h2>
            <ul>
                {parts.into_iter().map(|part| view! {
                    <li data-testid="set-aside-part">{part.sentence()}</li>
                }).collect_view()}
            </ul>
            <p class="muted">"Everything else in the record opened as usual."</p>
            {may_remove.then(|| view! {
                <Show when=move || !confirming.get()>
                    <p class="actions">
                        <button type="button" class="button danger" data-testid="set-aside-remove"
                            on:click=move |_| confirming.set(true)>
                            {if count == 1 { "Remove it" } else { "Remove them" }}
                        </button>
                    </p>
                </Show>
                <Show when=move || confirming.get()>
                    <p data-testid="set-aside-confirm-text">
                        "What could not be read is removed for good. Everything else in the record stays as it is."
                    </p>
                    <p class="actions">
                        <button type="button" class="button danger" data-testid="set-aside-confirm"
                            disabled=move || working.get() on:click=remove_now>
                            "Remove for good"
                        </button>
                        <button type="button" class="button" disabled=move || working.get()
                            on:click=move |_| confirming.set(false)>
                            "Keep it"
                        </button>
                    </p>
                </Show>
            })}
            {move || failure.get().map(|why| view! { <p class="status-bad" role="alert">{why}</p> })}
        </section>
    }
}
