//! Making a link: choose what to share, see exactly what the clinician will see, set the
//! link's rules, and get the link, its QR code and a copy button.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use folio_shared::api::share::{
    CreateShare, DEFAULT_MAX_ATTEMPTS, MAX_LIFETIME_DAYS, MIN_PASSCODE_CHARS,
};
use folio_shared::clinical_view::ClinicalView;
use folio_shared::share::{
    ShareCategory, ShareContent, SharePackage, ShareSelection, link_payload,
};
use folio_shared::shl::LinkKey;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::link_card::{LinkCard, MadeLink};
use crate::api;
use crate::components::alert::Alert;
use crate::dates;
use crate::pages::viewer::summary::Summary;
use crate::record::OpenRecord;

/// The expiry presets, from an hour to a year, and "until a day".
const EXPIRIES: [(&str, &str); 7] = [
    ("1h", "1 hour"),
    ("1d", "1 day"),
    ("7d", "1 week"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("1y", "1 year"),
    ("date", "Until a day…"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PatientSummary,
    Categories,
}

#[component]
pub fn NewShare(record: OpenRecord, changed: RwSignal<u32>) -> impl IntoView {
    let vault = record.id();
    let contents = StoredValue::new(record.contents);
    let kind = RwSignal::new(Kind::Categories);
    let chosen = RwSignal::new(
        ShareCategory::all()
            .iter()
            .copied()
            .collect::<BTreeSet<_>>(),
    );
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let expiry = RwSignal::new("7d".to_owned());
    let until_day = RwSignal::new(String::new());
    let passcode = RwSignal::new(String::new());
    let attempts = RwSignal::new(DEFAULT_MAX_ATTEMPTS.to_string());
    let max_opens = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let made = RwSignal::new(None::<MadeLink>);

    let content = Memo::new(move |_| -> Result<ShareContent, String> {
        match kind.get() {
            Kind::PatientSummary => Ok(ShareContent::PatientSummary),
            Kind::Categories => {
                let categories = chosen.get();
                if categories.is_empty() {
                    return Err("Choose at least one kind of record to share.".into());
                }
                let day = |text: String| -> Result<Option<NaiveDate>, String> {
                    if text.is_empty() {
                        return Ok(None);
                    }
                    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                        .map(Some)
                        .map_err(|_| format!("{text} is not a date."))
                };
                Ok(ShareContent::Selection(
                    ShareSelection::of(categories).between(day(from.get())?, day(to.get())?),
                ))
            }
        }
    });
    let package = Memo::new(move |_| -> Result<SharePackage, String> {
        let content = content.get()?;
        let package = contents
            .with_value(|contents| SharePackage::build(contents, &content, dates::now()))
            .map_err(|e| capitalise(&e.to_string()))?;
        if package.preview.is_empty() {
            return Err(
                "Nothing in your record matches: choose other kinds of record or dates.".into(),
            );
        }
        Ok(package)
    });

    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Ok(package) = package.get_untracked() else {
            error.set(Some(
                "There is nothing to share yet: see the preview.".into(),
            ));
            return;
        };
        let rules = match rules(
            &expiry.get_untracked(),
            &until_day.get_untracked(),
            &passcode.get_untracked(),
            &attempts.get_untracked(),
            &max_opens.get_untracked(),
        ) {
            Ok(rules) => rules,
            Err(why) => {
                error.set(Some(why));
                return;
            }
        };
        let label = match label.get_untracked().trim() {
            "" => content
                .get_untracked()
                .map(|c| c.default_label().to_owned())
                .unwrap_or_default(),
            given => given.to_owned(),
        };
        busy.set(true);
        spawn_local(async move {
            let key = LinkKey::generate();
            let has_passcode = rules.passcode.is_some();
            let request = CreateShare {
                files: vec![package.encrypt(&key)],
                label: label.clone(),
                expires_at: rules.expires_at,
                passcode: rules.passcode,
                max_attempts: rules.max_attempts,
                max_opens: rules.max_opens,
                categories: package.categories(),
                direct_file: false,
            };
            match api::create_share(vault, &request).await {
                Ok(created) => {
                    let payload = link_payload(
                        created.manifest_url,
                        key,
                        created.expires_at,
                        has_passcode,
                        label.clone(),
                    );
                    let origin = web_sys::window()
                        .and_then(|w| w.location().origin().ok())
                        .unwrap_or_default();
                    made.set(Some(MadeLink {
                        link: payload.viewer_url(&format!("{origin}/view")),
                        label,
                        expires_at: created.expires_at,
                        has_passcode,
                    }));
                    changed.update(|n| *n += 1);
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card" aria-labelledby="share-title">
            <h2 id="share-title">"Share with a clinician"</h2>
            <p>
                "Make a link or a QR code that any clinician can open on their phone or computer, "
                "without an account, for as long as you allow."
            </p>
            <form on:submit=create>
                <fieldset>
                    <legend>"What to share"</legend>
                    <label class="choice">
                        <input type="radio" name="share-kind" data-testid="share-kind-categories"
                            prop:checked=move || kind.get() == Kind::Categories
                            on:change=move |_| kind.set(Kind::Categories)/>
                        "Chosen kinds of record"
                    </label>
                    <label class="choice">
                        <input type="radio" name="share-kind" data-testid="share-kind-ips"
                            prop:checked=move || kind.get() == Kind::PatientSummary
                            on:change=move |_| kind.set(Kind::PatientSummary)/>
                        "A patient summary (International Patient Summary)"
                    </label>
                    <div class="share-categories" hidden=move || kind.get() != Kind::Categories>
                        {ShareCategory::all().iter().map(|&category| view! {
                            <label class="choice">
                                <input type="checkbox" data-testid=format!("share-category-{}", category.name())
                                    prop:checked=move || chosen.with(|c| c.contains(&category))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { if on { c.insert(category); } else { c.remove(&category); } });
                                    }/>
                                {category.label()}
                            </label>
                        }).collect_view()}
                        <div class="date-range">
                            <label for="share-from">"From"</label>
                            <input id="share-from" type="date" prop:value=move || from.get()
                                on:input=move |ev| from.set(event_target_value(&ev))/>
                            <label for="share-to">"To"</label>
                            <input id="share-to" type="date" prop:value=move || to.get()
                                on:input=move |ev| to.set(event_target_value(&ev))/>
                        </div>
                    </div>
                </fieldset>
                <Preview package=package/>
                <fieldset>
                    <legend>"The link"</legend>
                    <label for="share-label">"Label the clinician sees first"</label>
                    <input id="share-label" type="text" maxlength="80" placeholder="e.g. For Dr Okafor, cardiology"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
                    <label for="share-expiry">"Works for"</label>
                    <select id="share-expiry" data-testid="share-expiry"
                        on:change=move |ev| expiry.set(event_target_value(&ev))>
                        {EXPIRIES.iter().map(|(value, text)| view! {
                            <option value=*value selected=move || expiry.get() == *value>{*text}</option>
                        }).collect_view()}
                    </select>
                    <input type="date" aria-label="Last day the link works" data-testid="share-until"
                        hidden=move || expiry.get() != "date"
                        prop:value=move || until_day.get() on:input=move |ev| until_day.set(event_target_value(&ev))/>
                    <label for="share-passcode">"Passcode (optional, at least 6 characters; tell it separately)"</label>
                    <input id="share-passcode" type="text" autocomplete="off" data-testid="share-passcode"
                        prop:value=move || passcode.get() on:input=move |ev| passcode.set(event_target_value(&ev))/>
                    <div hidden=move || passcode.get().is_empty()>
                        <label for="share-attempts">"Wrong passcodes allowed before the link locks"</label>
                        <input id="share-attempts" type="number" min="1" max="100" inputmode="numeric"
                            prop:value=move || attempts.get() on:input=move |ev| attempts.set(event_target_value(&ev))/>
                    </div>
                    <label for="share-max-opens">"Times it may be opened (empty: no limit)"</label>
                    <input id="share-max-opens" type="number" min="1" inputmode="numeric" data-testid="share-max-opens"
                        prop:value=move || max_opens.get() on:input=move |ev| max_opens.set(event_target_value(&ev))/>
                </fieldset>
                <Alert message=error/>
                <button type="submit" class="primary" data-testid="share-create"
                    disabled=move || busy.get() || package.with(Result::is_err)>
                    {move || if busy.get() { "Encrypting and uploading…" } else { "Make the link" }}
                </button>
            </form>
        </section>
        {move || made.get().map(|made| view! { <LinkCard made=made/> })}
    }
}

/// The counts of what the link will hold, and the clinician's own view of it.
#[component]
fn Preview(package: Memo<Result<SharePackage, String>>) -> impl IntoView {
    move || match package.get() {
        Err(why) => {
            view! { <p class="status-bad" data-testid="share-preview-empty">{why}</p> }.into_any()
        }
        Ok(package) => {
            let preview = &package.preview;
            let mut parts: Vec<String> = preview
                .counts
                .iter()
                .map(|(category, n)| format!("{n} {}", category.label().to_lowercase()))
                .collect();
            if preview.supporting > 0 {
                parts.push(format!("{} supporting resources", preview.supporting));
            }
            let span = match (preview.earliest, preview.latest) {
                (Some(first), Some(last)) => format!(", dated {first} to {last}"),
                _ => String::new(),
            };
            let whose = preview.patient_name.clone().unwrap_or_else(|| "you".into());
            let summary = format!(
                "The link will share {} for {whose}{span}.",
                parts.join(", ")
            );
            let view = ClinicalView::from_json(&package.bundle, dates::now().date_naive());
            let outside = preview.attachments_outside.len();
            view! {
                <section class="share-preview" aria-labelledby="share-preview-title" data-testid="share-preview">
                    <h3 id="share-preview-title">"What the clinician will see"</h3>
                    <p data-testid="share-preview-counts">{summary}</p>
                    {(outside > 0).then(|| view! {
                        <p class="muted">{match outside {
                            1 => "1 document stays in your record: its file is not part of the link.".to_owned(),
                            n => format!("{n} documents stay in your record: their files are not part of the link."),
                        }}</p>
                    })}
                    <details>
                        <summary>"Show it as the clinician will"</summary>
                        <div class="viewer preview-frame"><Summary view=view/></div>
                    </details>
                </section>
            }.into_any()
        }
    }
}

/// A link's rules, checked here first so a mistake is explained before anything is sent
/// (the server checks them all again).
struct Rules {
    expires_at: DateTime<Utc>,
    passcode: Option<String>,
    max_attempts: Option<u32>,
    max_opens: Option<u32>,
}

fn rules(
    expiry: &str,
    until_day: &str,
    passcode: &str,
    attempts: &str,
    max_opens: &str,
) -> Result<Rules, String> {
    let now = dates::now();
    let expires_at = match expiry {
        "1h" => now + Duration::hours(1),
        "1d" => now + Duration::days(1),
        "7d" => now + Duration::days(7),
        "30d" => now + Duration::days(30),
        "90d" => now + Duration::days(90),
        "1y" => now + Duration::days(365),
        _ => {
            let day = NaiveDate::parse_from_str(until_day, "%Y-%m-%d")
                .map_err(|_| "Choose the last day the link works.".to_owned())?;
            let end = dates::end_of_local_day(day);
            if end <= now {
                return Err("That day is in the past: choose a later one.".into());
            }
            if end > now + Duration::days(MAX_LIFETIME_DAYS) {
                return Err("A link can work for a year at most.".into());
            }
            end
        }
    };
    let passcode = passcode.trim();
    let passcode = if passcode.is_empty() {
        None
    } else if passcode.chars().count() < MIN_PASSCODE_CHARS {
        return Err(format!(
            "A passcode needs at least {MIN_PASSCODE_CHARS} characters."
        ));
    } else {
        Some(passcode.to_owned())
    };
    let max_attempts = match (&passcode, attempts.trim()) {
        (None, _) | (_, "") => None,
        (Some(_), n) => Some(
            n.parse::<u32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or("Wrong passcodes allowed must be a number from 1 to 100.")?,
        ),
    };
    let max_opens = match max_opens.trim() {
        "" => None,
        n => Some(
            n.parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or("Times it may be opened must be a whole number, at least 1.")?,
        ),
    };
    Ok(Rules {
        expires_at,
        passcode,
        max_attempts,
        max_opens,
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
