//! Who is signed in, and whether their records are unlocked on this page.
//!
//! Two separate facts: the server's session (a cookie, survives a reload) and the account
//! identity (memory only, gone on reload). Signed in but not unlocked is a normal state,
//! which the unlock page resolves. The identity is never written to any browser storage:
//! whoever gets the storage of this browser must still hold a passkey or the recovery code.

use folio_shared::api::VaultSummary;
use folio_shared::api::account::{SessionInfo, SessionScope};
use folio_shared::keys::AccountIdentity;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::unlocking::Locked;

/// What the app knows about the server's session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    /// Asking the server, right after the page loaded.
    Checking,
    SignedOut,
    SignedIn(SessionInfo),
}

/// A record other than the caller's own that the pages act in: one they help with, or one
/// they hold for a dependant. Chosen on the caregivers page; memory only, like the identity.
#[derive(Debug, Clone, PartialEq)]
pub struct ActingIn {
    pub vault: VaultSummary,
    /// What the switcher calls it: the patient's name read from the decrypted record.
    pub label: String,
}

/// The session and the unlocked account identity, shared by every page through context.
#[derive(Clone, Copy)]
pub struct Session {
    state: RwSignal<SessionState>,
    account: RwSignal<Option<AccountIdentity>>,
    locked: RwSignal<Option<Locked>>,
    acting_in: RwSignal<Option<ActingIn>>,
    /// An invitation link opened in this page (its secret), kept until it is accepted, so a
    /// caregiver who must sign in or unlock first finds it waiting on the caregivers page.
    pending_invitation: RwSignal<Option<String>>,
}

impl Session {
    /// Makes the app's session, asks the server whether this browser is signed in, and
    /// offers it to every component below.
    pub fn provide() -> Session {
        let session = Session {
            state: RwSignal::new(SessionState::Checking),
            account: RwSignal::new(None),
            locked: RwSignal::new(None),
            acting_in: RwSignal::new(None),
            pending_invitation: RwSignal::new(None),
        };
        provide_context(session);
        api::on_session_lost(move || session.signed_out());
        spawn_local(async move {
            session.refresh().await;
        });
        session
    }

    /// The session of the app this component belongs to.
    pub fn expect() -> Session {
        expect_context()
    }

    /// Reads the session from the server again (after a change of scope, for instance).
    pub async fn refresh(self) {
        match api::session().await {
            Ok(Some(info)) => self.signed_in(info),
            Ok(None) => self.signed_out(),
            // Offline: keep what we knew, but stop waiting for an answer that won't come.
            Err(_) => self.state.update(|state| {
                if *state == SessionState::Checking {
                    *state = SessionState::SignedOut;
                }
            }),
        }
    }

    pub fn state(&self) -> SessionState {
        self.state.get()
    }

    /// The server's session, if any (tracked).
    pub fn info(&self) -> Option<SessionInfo> {
        match self.state.get() {
            SessionState::SignedIn(info) => Some(info),
            _ => None,
        }
    }

    /// The server's session without subscribing to it, for event handlers and tasks.
    pub fn info_untracked(&self) -> Option<SessionInfo> {
        match self.state.get_untracked() {
            SessionState::SignedIn(info) => Some(info),
            _ => None,
        }
    }

    /// Signed in with the recovery code, before a new passkey was registered.
    pub fn is_recovery_scope(&self) -> bool {
        self.info()
            .is_some_and(|info| info.scope == SessionScope::Recovery)
    }

    /// Whether the account identity is in memory (tracked).
    pub fn is_unlocked(&self) -> bool {
        self.account.with(Option::is_some)
    }

    /// The account identity, for the task that is about to use it.
    pub fn account_identity(&self) -> Option<AccountIdentity> {
        self.account.get_untracked()
    }

    /// Why the last passkey sign-in left the account locked, for the unlock page.
    pub fn locked_reason(&self) -> Option<Locked> {
        self.locked.get()
    }

    pub fn locked_reason_untracked(&self) -> Option<Locked> {
        self.locked.get_untracked()
    }

    /// The record the pages act in, when it is not the caller's own (tracked).
    pub fn acting_in(&self) -> Option<ActingIn> {
        self.acting_in.get()
    }

    pub fn acting_in_untracked(&self) -> Option<ActingIn> {
        self.acting_in.get_untracked()
    }

    /// Act in another record from now on, or (`None`) in the caller's own again.
    pub fn act_in(&self, record: Option<ActingIn>) {
        self.acting_in.set(record);
    }

    pub fn pending_invitation(&self) -> Option<String> {
        self.pending_invitation.get_untracked()
    }

    /// Keeps (or, with `None`, forgets) an invitation to accept.
    pub fn set_pending_invitation(&self, secret: Option<String>) {
        self.pending_invitation.set(secret);
    }

    pub fn signed_in(&self, info: SessionInfo) {
        // Another account's identity must not survive a sign-in as someone else.
        let same_account = self.info_untracked().map(|old| old.account_id) == Some(info.account_id);
        if !same_account {
            self.account.set(None);
            self.acting_in.set(None);
        }
        self.state.set(SessionState::SignedIn(info));
    }

    pub fn unlocked(&self, account: AccountIdentity) {
        self.account.set(Some(account));
        self.locked.set(None);
    }

    pub fn locked(&self, reason: Locked) {
        self.account.set(None);
        self.acting_in.set(None);
        self.locked.set(Some(reason));
    }

    /// Forgets everything: after signing out, deleting the account, or a session expiry.
    pub fn signed_out(&self) {
        self.account.set(None);
        self.acting_in.set(None);
        self.locked.set(None);
        self.state.set(SessionState::SignedOut);
    }
}
