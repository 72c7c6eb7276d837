//! The kept copy itself: what is written to IndexedDB, under which keys.
//!
//! Every value is ciphertext or what the server tells its signed-in user anyway (the
//! session's account and expiry, the list of records). Keeping is best effort: a browser
//! that refuses storage (a private window, a full disk) still works online, so a failure is
//! reported on the console and otherwise ignored.

use chrono::{DateTime, Utc};
use folio_shared::api::account::{AccountUnlock, SessionInfo};
use folio_shared::api::{VaultKeyWrap, VaultSummary};
use folio_shared::roster::SignedRosterEntry;
use folio_shared::vault::{SealedSegment, VaultId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/offline/store.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = keptValue)]
    async fn kept_value(key: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_name = keptRange)]
    async fn kept_range(from: &str, to: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_name = keptKeys)]
    async fn kept_keys(from: &str, to: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch)]
    async fn keep(
        keys: Vec<String>,
        values: js_sys::Array,
        drop_from: Option<String>,
        drop_to: Option<String>,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_name = forgetKept)]
    async fn forget_kept() -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = startServiceWorker)]
    pub fn start_service_worker();
}

const ACCOUNT: &str = "account";
const VAULTS: &str = "vaults";
const SIGN_OUT_PENDING: &str = "sign-out-pending";

/// The signed-in account as last seen online: enough to show who is signed in and to
/// unlock with a passkey or the recovery code while the server is out of reach.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeptAccount {
    /// The session as the server described it, without its CSRF token: that is a secret
    /// of the live session, and useless offline.
    pub session: SessionInfo,
    /// The account identity wrapped to each unlocker (ciphertext).
    pub unlock: AccountUnlock,
    pub saved_at: DateTime<Utc>,
}

/// A record's sealed log as kept here, in order.
pub struct KeptLog {
    /// The server's generation of the log these segments belong to: a compaction or a key
    /// rotation starts a new one, and the kept segments are then replaced, not extended.
    pub generation: i64,
    /// The server's sequence number of the last kept segment.
    pub last_seq: u64,
    /// Each kept segment with its sequence number, in order.
    pub segments: Vec<(u64, SealedSegment)>,
}

#[derive(Serialize, Deserialize)]
struct LogHead {
    generation: i64,
    last_seq: u64,
}

fn keys_key(vault: Uuid) -> String {
    format!("keys/{vault}")
}

fn roster_key(vault: VaultId) -> String {
    format!("roster/{}", vault.0)
}

fn log_key(vault: VaultId) -> String {
    format!("log/{}", vault.0)
}

fn attachment_key(vault: VaultId, blob: Uuid) -> String {
    format!("attachment/{}/{blob}", vault.0)
}

/// Segment keys sort in log order: the sequence number is zero-padded to u64's width.
fn segment_key(vault: VaultId, seq: u64) -> String {
    format!("segment/{}/{seq:020}", vault.0)
}

/// The key range of every kept segment of `vault`: `/` sorts before `0`, `0` after `/`.
fn segment_range(vault: VaultId) -> (String, String) {
    (
        format!("segment/{}/", vault.0),
        format!("segment/{}0", vault.0),
    )
}

fn report(what: &str, error: JsValue) {
    web_sys::console::warn_2(
        &JsValue::from_str(&format!("Folio could not {what} on this device:")),
        &error,
    );
}

async fn read_json<T: DeserializeOwned>(key: &str) -> Option<T> {
    match kept_value(key).await {
        Ok(value) => serde_json::from_str(&value.as_string()?).ok(),
        Err(error) => {
            report("read its offline copy", error);
            None
        }
    }
}

async fn write(keys: Vec<String>, values: js_sys::Array, replacing: Option<(String, String)>) {
    let (from, to) = replacing.unzip();
    if let Err(error) = keep(keys, values, from, to).await {
        report("keep its offline copy", error);
    }
}

async fn write_json<T: Serialize>(key: &str, value: &T) {
    let Ok(json) = serde_json::to_string(value) else {
        return;
    };
    write(
        vec![key.to_owned()],
        js_sys::Array::of1(&JsValue::from_str(&json)),
        None,
    )
    .await;
}

pub async fn account() -> Option<KeptAccount> {
    read_json(ACCOUNT).await
}

pub async fn keep_account(session: &SessionInfo, unlock: &AccountUnlock) {
    let kept = KeptAccount {
        session: SessionInfo {
            csrf_token: String::new(),
            ..session.clone()
        },
        unlock: unlock.clone(),
        saved_at: crate::dates::now(),
    };
    write_json(ACCOUNT, &kept).await;
}

pub async fn vaults() -> Option<Vec<VaultSummary>> {
    read_json(VAULTS).await
}

pub async fn keep_vaults(vaults: &[VaultSummary]) {
    write_json(VAULTS, &vaults).await;
}

pub async fn vault_keys(vault: Uuid) -> Option<Vec<VaultKeyWrap>> {
    read_json(&keys_key(vault)).await
}

pub async fn keep_vault_keys(vault: Uuid, wraps: &[VaultKeyWrap]) {
    write_json(&keys_key(vault), &wraps).await;
}

/// The member list of `vault` as this browser last verified it: its head is the pin a
/// newer list must extend, and the list stands in for the server's while it is out of reach.
pub async fn roster(vault: VaultId) -> Option<Vec<SignedRosterEntry>> {
    read_json(&roster_key(vault)).await
}

pub async fn keep_roster(vault: VaultId, entries: &[SignedRosterEntry]) {
    write_json(&roster_key(vault), &entries).await;
}

/// The kept log of `vault`; an empty one at generation 0 when nothing is kept.
pub async fn log(vault: VaultId) -> KeptLog {
    let empty = KeptLog {
        generation: 0,
        last_seq: 0,
        segments: Vec::new(),
    };
    let Some(head) = read_json::<LogHead>(&log_key(vault)).await else {
        return empty;
    };
    let (from, to) = segment_range(vault);
    let (values, keys) = match (kept_range(&from, &to).await, kept_keys(&from, &to).await) {
        (Ok(values), Ok(keys)) => (js_sys::Array::from(&values), js_sys::Array::from(&keys)),
        (Err(error), _) | (_, Err(error)) => {
            report("read its offline copy", error);
            return empty;
        }
    };
    if values.length() != keys.length() {
        return empty;
    }
    let segments: Option<Vec<(u64, SealedSegment)>> = keys
        .iter()
        .zip(values.iter())
        .map(|(key, value)| {
            let seq = key.as_string()?.rsplit('/').next()?.parse().ok()?;
            let bytes = value.dyn_into::<js_sys::Uint8Array>().ok()?.to_vec();
            Some((seq, SealedSegment::from_bytes(bytes).ok()?))
        })
        .collect();
    // A damaged copy is no copy: the server has the log, and it is fetched afresh.
    match segments {
        Some(segments) => KeptLog {
            generation: head.generation,
            last_seq: head.last_seq,
            segments,
        },
        None => empty,
    }
}

/// Segments to add to the kept log of a record, already copied out of the app's memory,
/// so the write can go on while the page shows the record.
pub struct LogAppend {
    keys: Vec<String>,
    values: js_sys::Array,
    replacing: Option<(String, String)>,
}

impl LogAppend {
    /// `fresh` (sequence number and segment, in order) after the kept log of `vault` at
    /// `generation`; with `restart`, the segments kept before are dropped first, in the
    /// same transaction, so the copy is never half old and half new.
    pub fn new(
        vault: VaultId,
        generation: i64,
        restart: bool,
        fresh: &[(u64, SealedSegment)],
    ) -> Option<LogAppend> {
        if fresh.is_empty() && !restart {
            return None;
        }
        let head = LogHead {
            generation,
            last_seq: fresh.last().map_or(0, |(seq, _)| *seq),
        };
        let head = serde_json::to_string(&head).ok()?;
        let mut keys = Vec::with_capacity(fresh.len() + 1);
        let values = js_sys::Array::new();
        for (seq, segment) in fresh {
            keys.push(segment_key(vault, *seq));
            values.push(&js_sys::Uint8Array::from(segment.as_bytes()));
        }
        keys.push(log_key(vault));
        values.push(&JsValue::from_str(&head));
        Some(LogAppend {
            keys,
            values,
            replacing: restart.then(|| segment_range(vault)),
        })
    }

    pub async fn write(self) {
        write(self.keys, self.values, self.replacing).await;
    }
}

/// A sealed attachment (a photo or PDF) of `vault`, if this device keeps it.
pub async fn attachment(vault: VaultId, blob: Uuid) -> Option<Vec<u8>> {
    match kept_value(&attachment_key(vault, blob)).await {
        Ok(value) => Some(value.dyn_into::<js_sys::Uint8Array>().ok()?.to_vec()),
        Err(error) => {
            report("read its offline copy", error);
            None
        }
    }
}

/// Keeps a sealed attachment, already copied out of the app's memory.
pub async fn keep_attachment(vault: VaultId, blob: Uuid, sealed: js_sys::Uint8Array) {
    write(
        vec![attachment_key(vault, blob)],
        js_sys::Array::of1(&sealed),
        None,
    )
    .await;
}

/// A sign-out made while the server was out of reach: the session cookie (which the page
/// cannot clear) is still valid on the server until it hears of it.
#[derive(Serialize, Deserialize)]
struct PendingSignOut {
    account_id: Uuid,
}

/// Remembers that `account` signed out offline (after the copy was forgotten).
pub async fn remember_sign_out(account: Uuid) {
    write_json(
        SIGN_OUT_PENDING,
        &PendingSignOut {
            account_id: account,
        },
    )
    .await;
}

/// The account that signed out offline, if the server has not heard of it yet.
pub async fn sign_out_pending() -> Option<Uuid> {
    read_json::<PendingSignOut>(SIGN_OUT_PENDING)
        .await
        .map(|pending| pending.account_id)
}

/// Forgets a pending sign-out: a new sign-in has replaced the session cookie it was about.
pub async fn forget_sign_out() {
    // `keep` deletes key ranges only; [key, key + "\0") holds that one key.
    let end = format!("{SIGN_OUT_PENDING}\u{0}");
    let only_it = (SIGN_OUT_PENDING.to_owned(), end);
    write(Vec::new(), js_sys::Array::new(), Some(only_it)).await;
}

/// Forgets everything kept on this device.
pub async fn forget() {
    if let Err(error) = forget_kept().await {
        report("forget its offline copy", error);
    }
}
