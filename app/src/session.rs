//! Who is signed in, and whether their records are unlocked on this page.
//!
//! Two separate facts: the server's session (a cookie, survives a reload) and the account
//! identity (memory only, gone on reload). Signed in but not unlocked is a normal state,
//! which the unlock page resolves. The identity is never written to any browser storage:
//! whoever gets the storage of this browser must still hold a passkey or the recovery code.
//!
//! A third: whether the server can be reached. When it cannot, a browser that kept a copy
//! of the records ([`crate::offline`]) stays signed in as that account, and the session
//! asks the server again every few seconds (and when the browser says it is back online)
//! until it answers.

use folio_shared::api::VaultSummary;
use folio_shared::api::account::{SessionInfo, SessionScope};
use folio_shared::keys::AccountIdentity;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::offline;
use crate::unlocking::Locked;

/// How often an offline app asks whether the server is back.
const RECONNECT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Online,
    /// The pages show the copy of the records kept on this device.
    Offline,
}

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
    connection: RwSignal<Connection>,
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
            connection: RwSignal::new(Connection::Online),
        };
        provide_context(session);
        api::on_session_lost(move || session.signed_out());
        spawn_local(async move {
            session.refresh().await;
        });
        let reconnect = move || {
            if session.is_offline_untracked() {
                spawn_local(session.refresh());
            }
        };
        window_event_listener(leptos::ev::online, move |_| reconnect());
        set_interval(reconnect, RECONNECT_EVERY);
        session
    }

    /// The session of the app this component belongs to.
    pub fn expect() -> Session {
        expect_context()
    }

    /// Reads the session from the server again (after a change of scope, or to see whether
    /// an offline server is back).
    pub async fn refresh(self) {
        match api::session().await {
            Ok(Some(info)) if offline::kept::sign_out_pending().await == Some(info.account_id) => {
                // Signed out while offline: the server hears of it now.
                if api::sign_out().await.is_ok() {
                    offline::kept::forget().await;
                }
                self.signed_out();
                self.connection.set(Connection::Online);
            }
            Ok(Some(info)) => {
                self.signed_in(info);
                self.connection.set(Connection::Online);
            }
            Ok(None) => {
                self.signed_out();
                self.connection.set(Connection::Online);
            }
            Err(ApiError::Offline) => {
                // The account this device kept a copy for stays signed in, as it was.
                if self.state.get_untracked() == SessionState::Checking
                    && let Some(kept) = offline::kept::account().await
                {
                    self.state.set(SessionState::SignedIn(kept.session));
                }
                if self.info_untracked().is_some() {
                    self.went_offline();
                }
                self.stop_checking();
            }
            // Keep what we knew, but stop waiting for an answer that won't come.
            Err(_) => self.stop_checking(),
        }
    }

    fn stop_checking(&self) {
        self.state.update(|state| {
            if *state == SessionState::Checking {
                *state = SessionState::SignedOut;
            }
        });
    }

    /// Whether the pages show the kept copy because the server cannot be reached (tracked).
    pub fn is_offline(&self) -> bool {
        self.connection.get() == Connection::Offline
    }

    pub fn is_offline_untracked(&self) -> bool {
        self.connection.get_untracked() == Connection::Offline
    }

    /// The server answered a read while the session thought it offline: it is back, so
    /// ask for the session now rather than at the next automatic try.
    pub fn server_answered(&self) {
        if self.is_offline_untracked() {
            spawn_local(self.refresh());
        }
    }

    /// A read found the server out of reach and served the kept copy instead.
    pub fn went_offline(&self) {
        if !self.is_offline_untracked() {
            self.connection.set(Connection::Offline);
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
            // Signed in as someone else (not merely back after a reload): the previous
            // account's kept copy must not stay behind on this device.
            if self.info_untracked().is_some() {
                offline::forget();
            }
        }
        self.state.set(SessionState::SignedIn(info));
    }

    pub fn unlocked(&self, account: AccountIdentity) {
        self.account.set(Some(account));
        self.locked.set(None);
        if !self.is_offline_untracked() {
            offline::keep_account(*self);
        }
    }

    pub fn locked(&self, reason: Locked) {
        self.account.set(None);
        self.acting_in.set(None);
        self.locked.set(Some(reason));
    }

    /// Forgets everything in memory: after signing out, deleting the account, or a session
    /// expiry. The kept copy stays for an expiry (signing in again resumes from it); signing
    /// out and deleting forget it too ([`offline::forget`]).
    pub fn signed_out(&self) {
        self.account.set(None);
        self.acting_in.set(None);
        self.locked.set(None);
        self.state.set(SessionState::SignedOut);
    }
}
