//! `/import`: bring files into the record. Drop or pick files (or take a photo of a paper
//! record on a phone); each is imported here, in the browser, and only ciphertext is
//! uploaded. A progress bar counts files and resources while they import, and the report at
//! the end says, per file, what was imported and what was not.
//!
//! A file about someone other than the record's patient is held back, nothing of it
//! written, and the report asks: import it into this record anyway (the same person after
//! all), or start a record for this person (one held for them, like a child's) and import
//! it there.

use std::collections::BTreeMap;

use folio_shared::care::Action;
use folio_shared::clinical_view::words::counts_in_words;
use folio_shared::import::DocumentDetails;
use folio_shared::import::shc::Jwks;
use folio_shared::patient_identity::PatientCheck;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::components::alert::Alert;
use crate::components::guard::RequireUnlocked;
use crate::importing::{FileResult, FileStatus, ImportChoices, ImportRun, Progress};
use crate::record::OpenRecord;
use crate::session::Session;
use crate::{api, unlocking};

/// What the patient decided about a file about someone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// The same person after all: into this record.
    ThisRecord,
    /// Someone else: a new record held for them, and the file into it.
    NewRecord,
}

/// What the files accept: everything the importers read. Detection is by content, so this
/// only shapes the file picker.
const ACCEPT: &str = ".json,.ndjson,.jsonl,.xml,.ccd,.ccda,.cda,.txt,.zip,.smart-health-card,\
                      .shc,.pdf,.jpg,.jpeg,.png,application/json,application/fhir+json,\
                      application/xml,text/xml,application/zip,application/pdf,image/jpeg,image/png";

#[component]
pub fn Import() -> impl IntoView {
    view! {
        <RequireUnlocked>
            <ImportForm/>
        </RequireUnlocked>
    }
}

#[component]
fn ImportForm() -> impl IntoView {
    let session = Session::expect();
    let provider = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let tags = RwSignal::new(String::new());
    let jwks = RwSignal::new(None::<(String, Jwks)>);
    let error = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    let dragging = RwSignal::new(false);
    let progress = RwSignal::new(None::<Progress>);
    let results = RwSignal::new(Vec::<FileResult>::new());
    follow_the_run(progress);
    // Files held back as being about someone else, by their place in `results`, and what
    // the run was told about the files: what a decision imports them with.
    let held: StoredValue<BTreeMap<usize, web_sys::File>, LocalStorage> =
        StoredValue::new_local(BTreeMap::new());
    let run_choices: StoredValue<ImportChoices, LocalStorage> =
        StoredValue::new_local(ImportChoices::default());
    let moved = RwSignal::new(None::<String>);

    let start = move |files: Vec<web_sys::File>| {
        if files.is_empty() || running.get_untracked() {
            return;
        }
        running.set(true);
        error.set(None);
        moved.set(None);
        results.set(Vec::new());
        held.set_value(BTreeMap::new());
        let choices = ImportChoices {
            provider: non_empty(provider.get_untracked()),
            jwks: jwks.get_untracked().map(|(_, keys)| keys),
            document: DocumentDetails {
                title: non_empty(title.get_untracked()),
                date: non_empty(date.get_untracked()),
                tags: tags
                    .get_untracked()
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
        };
        run_choices.set_value(choices.clone());
        spawn_local(async move {
            progress.set(Some(Progress {
                files: files.len(),
                current: Some((String::new(), "opening your record".into())),
                ..Progress::default()
            }));
            match OpenRecord::current(session, true).await {
                Ok(record) if !record.may(Action::Write) => error.set(Some(format!(
                    "You can read {} but not add to it: importing needs the manager role.",
                    record.label()
                ))),
                Ok(mut record) => match ImportRun::new(&mut record, choices) {
                    Err(why) => error.set(Some(format!("The files cannot be imported: {why}."))),
                    Ok(mut run) => {
                        for file in &files {
                            let name = file.name();
                            let step = |what: &str| {
                                progress.update(|p| {
                                    if let Some(p) = p {
                                        p.current = Some((name.clone(), what.to_owned()));
                                    }
                                })
                            };
                            let result = run.import(file, false, &step).await;
                            if result.status == FileStatus::OtherPatient {
                                let index = results.with_untracked(Vec::len);
                                held.update_value(|h| {
                                    h.insert(index, file.clone());
                                });
                            }
                            progress.update(|p| {
                                if let Some(p) = p {
                                    p.files_done += 1;
                                    p.resources += result.new_entries;
                                }
                            });
                            results.update(|r| r.push(result));
                        }
                    }
                },
                Err(why) => error.set(Some(why)),
            }
            progress.set(None);
            running.set(false);
        });
    };

    // The patient's answer about a held file: it is imported, and its line in the report
    // replaced by how that went.
    let decide = move |index: usize, choice: Choice| {
        let Some(file) = held.with_value(|h| h.get(&index).cloned()) else {
            return;
        };
        if running.get_untracked() {
            return;
        }
        running.set(true);
        error.set(None);
        let choices = run_choices.get_value();
        spawn_local(async move {
            let name = file.name();
            progress.set(Some(Progress {
                files: 1,
                current: Some((name.clone(), "opening the record".into())),
                ..Progress::default()
            }));
            let step = |what: &str| {
                progress.update(|p| {
                    if let Some(p) = p {
                        p.current = Some((name.clone(), what.to_owned()));
                    }
                })
            };
            let outcome = match choice {
                Choice::ThisRecord => into_this_record(session, &file, choices, &step).await,
                Choice::NewRecord => into_new_record(session, &file, choices, &step).await,
            };
            match outcome {
                Ok((result, note)) => {
                    held.update_value(|h| {
                        h.remove(&index);
                    });
                    results.update(|r| {
                        if let Some(slot) = r.get_mut(index) {
                            *slot = result;
                        }
                    });
                    moved.set(note);
                }
                Err(why) => error.set(Some(why)),
            }
            progress.set(None);
            running.set(false);
        });
    };

    let on_pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let files = files_of(input.files());
        // Picking the same file again must fire `change` again.
        input.set_value("");
        start(files);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        let files = ev
            .data_transfer()
            .map(|dt| files_of(dt.files()))
            .unwrap_or_default();
        start(files);
    };
    let on_jwks = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            jwks.set(None);
            return;
        };
        spawn_local(async move {
            let text = match JsFuture::from(file.text()).await {
                Ok(text) => text.as_string().unwrap_or_default(),
                Err(_) => String::new(),
            };
            match Jwks::from_json(&text) {
                Ok(keys) => {
                    error.set(None);
                    jwks.set(Some((file.name(), keys)));
                }
                Err(_) => {
                    jwks.set(None);
                    error.set(Some(format!(
                        "{} is not a JWKS (a JSON object with a \"keys\" array).",
                        file.name()
                    )));
                }
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="import-title">
            <h2 id="import-title">"Import records"</h2>
            {move || session.acting_in().map(|record| view! {
                <p class="status-good" data-testid="import-target">{format!("Importing into {}.", record.label)}</p>
            })}
            <p>
                "Bring files from your providers: FHIR JSON or NDJSON exports, C-CDA documents, "
                "SMART Health Cards, zip archives of these, PDFs and photos of paper records. "
                "They are read and encrypted on this device; the server receives only ciphertext."
            </p>
            <label for="import-provider">"Where the files come from (optional)"</label>
            <input id="import-provider" type="text" autocomplete="organization"
                placeholder="e.g. St Mary's Hospital"
                prop:value=move || provider.get()
                on:input=move |ev| provider.set(event_target_value(&ev))/>
            <div
                class="drop-zone"
                class:dragging=move || dragging.get()
                data-testid="import-drop-zone"
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop
            >
                <p>"Drop files here, or"</p>
                <p class="actions">
                    <label class="button primary" for="import-files">"Choose files"</label>
                    <label class="button" for="import-camera">"Take a photo"</label>
                </p>
                <input id="import-files" class="visually-hidden" type="file" multiple accept=ACCEPT
                    data-testid="import-files"
                    disabled=move || running.get() on:change=on_pick/>
                <input id="import-camera" class="visually-hidden" type="file" accept="image/*"
                    capture="environment" disabled=move || running.get() on:change=on_pick/>
            </div>
            <details>
                <summary>"Photos, PDFs and health cards"</summary>
                <label for="import-title-input">"Title for photos and PDFs"</label>
                <input id="import-title-input" type="text" placeholder="e.g. Discharge letter"
                    prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev))/>
                <label for="import-date">"Date of the document"</label>
                <input id="import-date" type="date"
                    prop:value=move || date.get()
                    on:input=move |ev| date.set(event_target_value(&ev))/>
                <label for="import-tags">"Tags, separated by commas"</label>
                <input id="import-tags" type="text" placeholder="e.g. cardiology, 2024"
                    prop:value=move || tags.get()
                    on:input=move |ev| tags.set(event_target_value(&ev))/>
                <label for="import-jwks">"Issuer keys for health cards (JWKS), when offline"</label>
                <input id="import-jwks" type="file" accept=".json,application/json" on:change=on_jwks/>
                <p class="muted">
                    {move || match jwks.get() {
                        Some((name, keys)) => format!("Cards are checked against the {} keys in {name}.", keys.keys.len()),
                        None => "Without keys, each card's issuer is asked for its published keys.".to_owned(),
                    }}
                </p>
            </details>
            <Alert message=error/>
            <ProgressBar progress=progress/>
        </section>
        <Report results=results moved=moved running=running decide=Callback::new(move |(i, c)| decide(i, c))/>
    }
}

/// Keeps what the import is doing in sight on a phone, where the form fills the screen:
/// the progress bar when a run starts, then the report's heading (with the focus, for a
/// screen reader) when it ends.
fn follow_the_run(progress: RwSignal<Option<Progress>>) {
    Effect::new(move |was_running: Option<bool>| {
        let running = progress.with(Option::is_some);
        if was_running.is_some_and(|was| was != running) {
            // After this change is drawn: the element appears in the same update.
            request_animation_frame(move || {
                let target = if running {
                    "import-progress"
                } else {
                    "import-report-title"
                };
                let Some(element) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(target))
                else {
                    return;
                };
                if running {
                    element.scroll_into_view();
                } else if let Ok(heading) = element.dyn_into::<web_sys::HtmlElement>() {
                    let _ = heading.focus();
                }
            });
        }
        running
    });
}

/// Imports a held file into the record the pages act in: the patient said it is them.
async fn into_this_record(
    session: Session,
    file: &web_sys::File,
    choices: ImportChoices,
    step: &dyn Fn(&str),
) -> Result<(FileResult, Option<String>), String> {
    let mut record = OpenRecord::current(session, false).await?;
    let mut run = ImportRun::new(&mut record, choices)?;
    Ok((run.import(file, true, step).await, None))
}

/// Makes a record held for the person a file is about (a dependant's record, as
/// "Make a record for a child" does), imports the file into it, and has the pages act in
/// it from now on.
async fn into_new_record(
    session: Session,
    file: &web_sys::File,
    choices: ImportChoices,
    step: &dyn Fn(&str),
) -> Result<(FileResult, Option<String>), String> {
    let account = session
        .account_identity()
        .ok_or_else(|| "Your records are locked: unlock them first.".to_owned())?;
    let mut vault = unlocking::new_vault(&account);
    vault.dependant = true;
    let made = api::create_vault(&vault)
        .await
        .map_err(|e| format!("The new record could not be made: {e}."))?;
    let mut record = OpenRecord::open(session, made).await?;
    let result = {
        let mut run = ImportRun::new(&mut record, choices)?;
        // The new record has no patient yet: the file's becomes it.
        run.import(file, true, step).await
    };
    let label = record.label();
    session.act_in(record.acting_in());
    let note = if result.status == FileStatus::Imported {
        format!(
            "{} is a new record, held by you. You are now working in it; \
             “Back to my record” at the top returns to yours.",
            sentence_case(&label)
        )
    } else {
        "A new record was made, but the file could not be imported into it. You are now \
         working in that record: import the file again here."
            .to_owned()
    };
    Ok((result, Some(note)))
}

/// "myra jones's record" → "Myra jones's record": the first letter only.
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[component]
fn ProgressBar(progress: RwSignal<Option<Progress>>) -> impl IntoView {
    move || {
        progress.get().map(|p| {
            let label = match &p.current {
                Some((file, step)) if !file.is_empty() => format!(
                    "File {} of {}: {file}, {step}. {} entries imported so far.",
                    (p.files_done + 1).min(p.files),
                    p.files,
                    p.resources
                ),
                Some((_, step)) => format!("{step}…"),
                None => String::new(),
            };
            view! {
                <div class="import-progress" id="import-progress" data-testid="import-progress">
                    <progress max=p.files value=p.files_done aria-label="Files imported"></progress>
                    <p role="status">{label}</p>
                </div>
            }
        })
    }
}

#[component]
fn Report(
    results: RwSignal<Vec<FileResult>>,
    moved: RwSignal<Option<String>>,
    running: RwSignal<bool>,
    decide: Callback<(usize, Choice)>,
) -> impl IntoView {
    move || {
        let results = results.get();
        if results.is_empty() {
            return ().into_any();
        }
        let waiting = results
            .iter()
            .filter(|r| r.status == FileStatus::OtherPatient)
            .count();
        let imported = results
            .iter()
            .filter(|r| r.status == FileStatus::Imported)
            .count();
        let failed = results
            .iter()
            .filter(|r| r.status == FileStatus::Failed)
            .count();
        let resources: usize = results.iter().map(|r| r.new_entries).sum();
        let headline = format!(
            "{imported} of {} files imported, {resources} new entries{}{}.",
            results.len(),
            if failed > 0 {
                format!("; {failed} failed and changed nothing")
            } else {
                String::new()
            },
            if waiting > 0 {
                format!("; {waiting} about someone else, waiting for your answer")
            } else {
                String::new()
            }
        );
        view! {
            <section class="card" aria-labelledby="import-report-title" data-testid="import-report">
                <h2 id="import-report-title" tabindex="-1">"Import report"</h2>
                <p data-testid="import-summary">{headline}</p>
                {move || moved.get().map(|note| view! { <p class="status-good" data-testid="import-moved">{note}</p> })}
                <ul class="import-files">
                    {results.into_iter().enumerate().map(|(index, r)| view! {
                        <FileReport result=r index=index running=running decide=decide/>
                    }).collect_view()}
                </ul>
                <p class="actions"><a class="button" href="/">"Back to my records"</a></p>
            </section>
        }
        .into_any()
    }
}

#[component]
fn FileReport(
    result: FileResult,
    index: usize,
    running: RwSignal<bool>,
    decide: Callback<(usize, Choice)>,
) -> impl IntoView {
    let FileResult {
        status,
        report,
        new_entries,
        already_present,
        patient,
    } = result;
    let (class, status_text) = match status {
        FileStatus::Imported => ("status-ok", "imported"),
        FileStatus::AlreadyImported => ("muted", "already imported: nothing new"),
        FileStatus::Failed => ("status-bad", "failed: nothing was imported"),
        FileStatus::OtherPatient => ("status-bad", "about someone else: nothing was imported yet"),
    };
    let held = status == FileStatus::OtherPatient;
    // What a held file holds is shown once it is imported somewhere.
    let counts: BTreeMap<String, usize> = if held {
        BTreeMap::new()
    } else {
        report.counts.clone()
    };
    let detail = match status {
        FileStatus::Failed | FileStatus::OtherPatient => String::new(),
        FileStatus::AlreadyImported => {
            format!("All {already_present} entries were in your record already.")
        }
        FileStatus::Imported => {
            let what = counts_in_words(&counts);
            let mut line = if what.is_empty() {
                format!(
                    "{new_entries} new {}",
                    if new_entries == 1 { "entry" } else { "entries" }
                )
            } else {
                format!("Added: {}", what.join(", "))
            };
            if already_present > 0 {
                line.push_str(&format!(" ({already_present} already in your record)"));
            }
            line.push('.');
            line
        }
    };
    let question = held.then(|| patient.clone()).flatten().map(
        |check| view! { <OtherPatient check=check index=index running=running decide=decide/> },
    );
    view! {
        <li class="import-file" data-testid="import-file" data-status=status_text>
            <h3>{report.file.clone()}</h3>
            <p class=class>{status_text}{report.format.map(|f| format!(" ({})", format_name(f)))}</p>
            <p data-testid="import-added">{detail}</p>
            {question}
            <Items title="Errors" class="import-errors" items=report.errors.iter().map(ToString::to_string).collect()/>
            // The file's technical detail, for whoever looks after the record or a provider
            // asking what was read: FHIR types, warnings with the XML path they are about.
            {(!counts.is_empty() || !report.warnings.is_empty() || !report.notes.is_empty()).then(|| view! {
                <details class="import-details" data-testid="import-details">
                    <summary>"Details"</summary>
                    {(!counts.is_empty()).then(|| view! {
                        <table class="import-counts">
                            <thead><tr><th scope="col">"FHIR resource type"</th><th scope="col">"Count"</th></tr></thead>
                            <tbody>
                                {counts.into_iter().map(|(ty, n)| { let name = ty.clone(); view! {
                                    <tr data-testid="import-count" data-type=ty><td>{name}</td><td>{n}</td></tr> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    <Items title="Warnings" class="import-warnings" items=report.warnings.iter().map(ToString::to_string).collect()/>
                    <Items title="Notes" class="import-notes" items=report.notes.clone()/>
                </details>
            })}
        </li>
    }
}

/// Who a held file is about and whose record this is, and the two ways on.
#[component]
fn OtherPatient(
    check: PatientCheck,
    index: usize,
    running: RwSignal<bool>,
    decide: Callback<(usize, Choice)>,
) -> impl IntoView {
    let PatientCheck::Mismatch {
        file,
        record,
        within_file,
        difference,
    } = check
    else {
        return ().into_any();
    };
    let (about, whose) = if within_file {
        (
            format!(
                "This file is about more than one person: {}",
                file.describe()
            ),
            format!("and {} ({}).", record.describe(), difference.describe()),
        )
    } else {
        (
            format!("This file is about {}.", file.describe()),
            format!(
                "This record is about {} ({}).",
                record.describe(),
                difference.describe()
            ),
        )
    };
    view! {
        <div class="patient-mismatch" role="alert" data-testid="import-mismatch">
            <p data-testid="import-mismatch-file">{about}</p>
            <p data-testid="import-mismatch-record">{whose}</p>
            <p>"Nothing from it has been added. Is it the same person?"</p>
            <p class="actions">
                <button type="button" class="button" data-testid="import-anyway"
                    disabled=move || running.get()
                    on:click=move |_| decide.run((index, Choice::ThisRecord))>
                    "Import into this record anyway"
                </button>
                <button type="button" class="button primary" data-testid="import-new-record"
                    disabled=move || running.get()
                    on:click=move |_| decide.run((index, Choice::NewRecord))>
                    "Start a record for this person"
                </button>
            </p>
            <p class="muted">
                "A record for this person is one you keep for them, as for a child: you can "
                "share it, and hand it over to them later."
            </p>
        </div>
    }
    .into_any()
}

#[component]
fn Items(title: &'static str, class: &'static str, items: Vec<String>) -> impl IntoView {
    (!items.is_empty()).then(|| {
        let count = items.len();
        view! {
            <details class=class open=title == "Errors">
                <summary>{format!("{title} ({count})")}</summary>
                <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
            </details>
        }
    })
}

fn format_name(format: folio_shared::import::ImportFormat) -> &'static str {
    use folio_shared::import::ImportFormat::*;
    match format {
        FhirJson => "FHIR JSON",
        FhirNdjson => "FHIR NDJSON",
        Ccda => "C-CDA document",
        SmartHealthCard | SmartHealthCardJws | SmartHealthCardQr | SmartHealthCardPayload => {
            "SMART Health Card"
        }
        Zip => "zip archive",
        Pdf => "PDF",
        Jpeg => "JPEG photo",
        Png => "PNG image",
    }
}

fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

fn non_empty(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
