//! The reader's units: the browser's language says where they are (°F and lb in the
//! United States, °C and kg elsewhere).

use folio_shared::clinical_view::UnitPreference;

/// The units of the browser's locale; metric when it does not say.
pub fn preference() -> UnitPreference {
    web_sys::window()
        .and_then(|window| window.navigator().language())
        .map_or_else(UnitPreference::default, |locale| {
            UnitPreference::for_locale(&locale)
        })
}
