//! Headings that take focus when they appear.

use leptos::html;
use leptos::prelude::*;

/// The heading of a step that replaced the previous one in place. Focus moves to it, so
/// a keyboard or screen-reader user continues from the new content instead of from a
/// button that no longer exists.
#[component]
pub fn StepHeading(id: &'static str, children: Children) -> impl IntoView {
    let heading = NodeRef::<html::H2>::new();
    Effect::new(move || {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <h2 id=id tabindex="-1" node_ref=heading>
            {children()}
        </h2>
    }
}
