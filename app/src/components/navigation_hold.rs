//! A step the user must not leave by accident (a recovery code shown once and not yet
//! saved) holds the masthead's links until the user says they are done.

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct NavigationHold(RwSignal<bool>);

impl NavigationHold {
    pub fn provide() {
        provide_context(NavigationHold(RwSignal::new(false)));
    }

    pub fn expect() -> NavigationHold {
        expect_context()
    }

    /// Holds the links from now until [`NavigationHold::release`] or until the calling
    /// component goes (so a hold never outlives what asked for it).
    pub fn hold(self) {
        self.0.set(true);
        on_cleanup(move || {
            // The app (and the signal) may be going too.
            let _ = self.0.try_set(false);
        });
    }

    pub fn release(self) {
        self.0.set(false);
    }

    pub fn is_held(self) -> bool {
        self.0.get()
    }
}
