//! A sync: every search of the plan, page by page, into the record, surviving what real
//! providers do.
//!
//! - Each page goes through the importer like a file, with the connection as its source,
//!   and is stored in one upload together with the connection's progress after it: a sync
//!   stopped anywhere resumes after the last page the record holds, and a page stored
//!   twice adds nothing (entry ids follow from the provider's own resource URLs).
//! - An access token that lapses (a 401, or its expiry near) is refreshed once and the
//!   request retried; a rotated refresh token is stored before anything else is fetched,
//!   since the old one is spent.
//! - 429 and 503 wait as `Retry-After` asks (bounded), then retry.
//! - A search the provider refuses (403) or answers wrongly is reported, and the others go
//!   on; what is stored already stays as it was. A page holding another patient's records
//!   stops the whole sync: such a provider cannot be trusted with the rest.
//! - The documents behind DocumentReferences on the provider are fetched and kept as
//!   encrypted attachments.
//!
//! The I/O is the caller's ([`ProviderHost`]): the CLI with an HTTP client, the app with
//! `fetch`; both run this same code.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use url::Url;

use crate::import::document::ATTACHMENT_URL_SCHEME;
use crate::import::identity::sha256_hex;
use crate::import::{Attachment, ImportOptions, import_file};
use crate::record::{Entry, Op};
use crate::vault::is_folio_entry;

use super::search::{PageError, Search, observations_by_category, plan, read_page};
use super::token::{TokenGrant, refresh_form};
use super::{Connection, SearchProgress};

/// What an HTTP request to the provider got back.
#[derive(Debug, Clone, Default)]
pub struct HttpAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    /// At most the host's limit of bytes.
    pub body: Vec<u8>,
    /// The body went past the host's limit and was cut there.
    pub truncated: bool,
}

/// One upload to the record: a page's entries, then the connection as it stands after
/// them, with the attachments they name.
pub struct PageDelivery {
    /// What the upload keys are derived from (the page's bytes), so a page stored twice is
    /// recognised as the same upload.
    pub page_bytes: Vec<u8>,
    pub entries: Vec<Entry>,
    pub attachments: Vec<Attachment>,
}

/// What an upload added to the record.
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// The entries the record did not hold yet (or held otherwise).
    pub new: Vec<crate::record::EntryId>,
    pub already_present: usize,
}

/// The I/O a sync needs, provided by the client that runs it.
#[allow(
    async_fn_in_trait,
    reason = "the futures run on the caller's task (a CLI's runtime, a browser's event loop); none is sent between threads"
)]
pub trait ProviderHost {
    type Error: std::fmt::Display;

    /// GET `url` with `Authorization: Bearer {bearer}` and `Accept: {accept}`; no redirects
    /// to another origin.
    async fn get(
        &mut self,
        url: &Url,
        bearer: &str,
        accept: &str,
    ) -> Result<HttpAnswer, Self::Error>;

    /// POST a form (the token endpoint).
    async fn post_form(
        &mut self,
        url: &Url,
        form: &[(&'static str, String)],
    ) -> Result<HttpAnswer, Self::Error>;

    async fn sleep(&mut self, duration: Duration);

    fn now(&self) -> DateTime<Utc>;

    /// Seals and uploads a delivery, in order, and keeps the local copy of the record up
    /// to date with it.
    async fn deliver(&mut self, delivery: PageDelivery) -> Result<Delivered, Self::Error>;
}

/// The sync of one connection, as JSON (`folio connect sync --json`) and on screen.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub connection: uuid::Uuid,
    pub provider: String,
    /// Per resource type: what came in.
    pub types: BTreeMap<String, TypeReport>,
    pub searches: Vec<SearchReport>,
    pub pages: usize,
    pub token_refreshes: usize,
    pub attachments: usize,
    /// Notes that are not failures (a document that could not be fetched, …).
    pub warnings: Vec<String>,
    /// Every search finished.
    pub finished: bool,
    /// Why the whole sync stopped early, if it did (what it stored stays; syncing again
    /// resumes).
    pub stopped: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TypeReport {
    /// Resources received.
    pub fetched: usize,
    /// Of those, new to the record or changed.
    pub new: usize,
    /// A search for this type failed.
    pub failed: bool,
    pub why: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    pub search: String,
    pub pages: usize,
    pub outcome: SearchOutcome,
    pub why: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchOutcome {
    Done,
    /// The provider refused it (403): it does not share this with Folio.
    Refused,
    Failed,
    /// Not reached: the sync stopped before it.
    NotReached,
}

/// Why a search, or the whole sync, stopped.
enum Stop {
    /// This search only.
    Search(String),
    /// The server wants the search narrowed (Observations by category).
    Narrow,
    /// The whole sync: sign-in lost, or the record could not be written.
    Sync(String),
}

/// The longest `Retry-After` waited for; a provider that asks for more is synced later.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// Waits per request before giving up on it.
const MAX_RETRIES: usize = 3;

/// The extension that keeps where a document was on the provider.
pub const ORIGINAL_URL_EXTENSION: &str =
    "https://folio.health/fhir/StructureDefinition/original-url";

struct Run<'a, H: ProviderHost> {
    host: &'a mut H,
    connection: &'a mut Connection,
    base: Url,
    report: SyncReport,
    /// Pages fetched and not stored yet.
    pending: Pending,
    /// How many entries make a batch to store.
    batch: usize,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
    attachments: Vec<Attachment>,
}

/// Entries stored per upload by [`sync`]: a few uploads for a typical record rather than
/// one per page (each upload is a durable commit on the server), while a stopped sync
/// fetches at most this many again.
pub const SYNC_BATCH_ENTRIES: usize = 500;

/// Syncs `connection` through `host`, storing [`SYNC_BATCH_ENTRIES`] entries at a time;
/// `connection` ends as the record holds it.
pub async fn sync<H: ProviderHost>(host: &mut H, connection: &mut Connection) -> SyncReport {
    sync_in_batches(host, connection, SYNC_BATCH_ENTRIES).await
}

/// [`sync`], storing what was fetched whenever `batch` entries are waiting (1: every page
/// on its own).
pub async fn sync_in_batches<H: ProviderHost>(
    host: &mut H,
    connection: &mut Connection,
    batch: usize,
) -> SyncReport {
    let report = SyncReport {
        connection: connection.id,
        provider: connection.name.clone(),
        ..SyncReport::default()
    };
    let Ok(base) = Url::parse(&connection.fhir_base) else {
        return SyncReport {
            stopped: Some(format!(
                "the connection's address is not a URL: {}",
                connection.fhir_base
            )),
            ..report
        };
    };
    let mut searches: VecDeque<Search> = plan(connection).into();
    if connection.syncing_since.is_none() {
        connection.syncing_since = Some(host.now());
    }
    let mut run = Run {
        host,
        connection,
        base,
        report,
        pending: Pending::default(),
        batch: batch.max(1),
    };
    let mut stopped: Option<String> = None;
    while let Some(search) = searches.pop_front() {
        let search = &search;
        if let Some(why) = &stopped {
            run.report.searches.push(SearchReport {
                search: search.key.clone(),
                pages: 0,
                outcome: SearchOutcome::NotReached,
                why: Some(why.clone()),
            });
            continue;
        }
        match run.search(search).await {
            Ok(true) => {}
            Ok(false) => {
                for narrower in observations_by_category(run.connection).into_iter().rev() {
                    searches.push_front(narrower);
                }
            }
            Err(why) => stopped = Some(why),
        }
    }
    let finished = stopped.is_none()
        && run
            .report
            .searches
            .iter()
            .all(|s| s.outcome == SearchOutcome::Done);
    if stopped.is_none() {
        let now = run.host.now();
        run.connection.last_synced_at = Some(now);
        run.connection.syncing_since = None;
        // The finish time, and the tokens of a refresh after the last page.
        if let Err(why) = run.save().await {
            stopped = Some(why);
        }
    }
    SyncReport {
        finished: finished && stopped.is_none(),
        stopped,
        ..run.report
    }
}

impl<H: ProviderHost> Run<'_, H> {
    /// One search, page by page: `Ok(false)` when the provider wants it narrowed, `Err`
    /// when the whole sync stops.
    async fn search(&mut self, search: &Search) -> Result<bool, String> {
        let progress = self
            .connection
            .progress
            .get(&search.key)
            .cloned()
            .unwrap_or_default();
        let resumed = progress
            .next_page
            .as_deref()
            .filter(|_| progress.started_at.is_some())
            .and_then(|next| Url::parse(next).ok());
        let mut url = resumed
            .clone()
            .unwrap_or_else(|| search.first_url(&self.base, progress.synced_through));
        let mut started_at = if resumed.is_some() {
            progress.started_at
        } else {
            None
        };
        let mut pages = 0;
        let (outcome, why) = loop {
            let fetched = self
                .page(search, &url, &mut started_at, progress.synced_through)
                .await;
            match fetched {
                Ok(next) => {
                    pages += 1;
                    self.report.pages += 1;
                    match next {
                        Some(next) => url = next,
                        None => break (SearchOutcome::Done, None),
                    }
                }
                Err(Stop::Search(why)) if why.starts_with(REFUSED) => {
                    break (SearchOutcome::Refused, Some(why));
                }
                Err(Stop::Search(why)) => break (SearchOutcome::Failed, Some(why)),
                Err(Stop::Narrow) => return Ok(false),
                Err(Stop::Sync(why)) => {
                    self.record_search(search, pages, SearchOutcome::Failed, Some(why.clone()));
                    return Err(why);
                }
            }
        };
        self.record_search(search, pages, outcome, why);
        Ok(true)
    }

    fn record_search(
        &mut self,
        search: &Search,
        pages: usize,
        outcome: SearchOutcome,
        why: Option<String>,
    ) {
        if outcome != SearchOutcome::Done && search.resource_type != "*" {
            let t = self
                .report
                .types
                .entry(search.resource_type.to_owned())
                .or_default();
            t.failed = true;
            t.why = why.clone();
        }
        self.report.searches.push(SearchReport {
            search: search.key.clone(),
            pages,
            outcome,
            why,
        });
    }

    /// Fetches, checks and stores one page; the next page's address, if there is one.
    async fn page(
        &mut self,
        search: &Search,
        url: &Url,
        started_at: &mut Option<DateTime<Utc>>,
        synced_through: Option<DateTime<Utc>>,
    ) -> Result<Option<Url>, Stop> {
        let answer = self.fetch(url, "application/fhir+json").await?;
        match answer.status {
            200..=299 => {}
            400 if search.key == "Observation" => return Err(Stop::Narrow),
            403 => {
                return Err(Stop::Search(format!("{REFUSED} ({})", problem_of(&answer))));
            }
            status => {
                return Err(Stop::Search(format!(
                    "the provider answered HTTP {status}: {}",
                    problem_of(&answer)
                )));
            }
        }
        if answer.truncated {
            return Err(Stop::Search(format!(
                "the provider's answer is larger than Folio takes ({} bytes and more)",
                answer.body.len()
            )));
        }
        let page = read_page(&answer.body, self.connection, &self.base).map_err(|e| match e {
            // A provider that mixes patients cannot be trusted with the rest of the sync:
            // even its empty answers may be someone else's.
            PageError::OtherPatient(_) => Stop::Sync(format!(
                "{e}; Folio stopped syncing this provider (tell them: they sent you someone \
                 else's records)"
            )),
            e => Stop::Search(e.to_string()),
        })?;
        let now = self.host.now();
        // The provider's clock where it says, else ours a little early: a later round
        // asks again for anything changed around this instant, and what it already holds
        // adds nothing.
        let round_start = started_at.get_or_insert(
            page.server_time
                .unwrap_or(now - chrono::Duration::minutes(5)),
        );
        let round_start = *round_start;
        let bytes = serde_json::to_vec(&page.bundle).expect("a JSON value serializes");
        let mut entries = Vec::new();
        let mut attachments = Vec::new();
        if page.resources > 0 {
            let opts = ImportOptions::new(now).with_provider(self.connection.name.clone());
            let imported = import_file(&self.connection.fhir_base, &bytes, &opts)
                .map_err(|e| Stop::Search(format!("the page could not be imported: {e}")))?;
            entries = imported.entries;
            attachments = imported.attachments;
            for w in imported.report.warnings.iter().take(5) {
                self.report.warnings.push(format!("{}: {w}", search.key));
            }
            for entry in &mut entries {
                if let Op::Put { resource, .. } = &mut entry.op
                    && resource["resourceType"] == "DocumentReference"
                {
                    self.fetch_documents(resource, &mut attachments).await?;
                }
            }
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for entry in &entries {
            *counts
                .entry(entry.id.resource_type().to_owned())
                .or_default() += 1;
        }
        let next = page.next.clone();
        let progress = match &next {
            Some(next) => SearchProgress {
                synced_through,
                started_at: Some(round_start),
                next_page: Some(next.to_string()),
            },
            None => SearchProgress {
                synced_through: Some(round_start),
                started_at: None,
                next_page: None,
            },
        };
        self.connection
            .progress
            .insert(search.key.clone(), progress);
        for (resource_type, n) in counts {
            self.report.types.entry(resource_type).or_default().fetched += n;
        }
        // Pages are stored a batch at a time, with the progress after the last of them: a
        // sync stopped before a batch is stored asks for its pages again, which adds nothing.
        self.report.attachments += attachments.len();
        self.pending.bytes.extend_from_slice(&bytes);
        self.pending.entries.append(&mut entries);
        self.pending.attachments.append(&mut attachments);
        if self.pending.entries.len() >= self.batch {
            self.save().await.map_err(Stop::Sync)?;
        }
        Ok(next)
    }

    /// Fetches the documents a DocumentReference points to on the provider and keeps them
    /// as attachments; one that cannot be fetched stays a link and is reported.
    async fn fetch_documents(
        &mut self,
        resource: &mut Value,
        attachments: &mut Vec<Attachment>,
    ) -> Result<(), Stop> {
        let Some(contents) = resource.get_mut("content").and_then(Value::as_array_mut) else {
            return Ok(());
        };
        for content in contents {
            let attachment = &mut content["attachment"];
            let Some(href) = attachment["url"].as_str() else {
                continue;
            };
            if attachment.get("data").is_some() || href.starts_with(ATTACHMENT_URL_SCHEME) {
                continue;
            }
            let Ok(url) = self.base.join(href) else {
                continue;
            };
            if url.origin() != self.base.origin() {
                continue; // not the provider's: the token does not go there
            }
            let href = href.to_owned();
            let accept = attachment["contentType"]
                .as_str()
                .unwrap_or("*/*")
                .to_owned();
            let answer = self.fetch(&url, &accept).await?;
            let bytes = match document_bytes(&answer) {
                Ok(bytes) => bytes,
                Err(why) => {
                    self.report
                        .warnings
                        .push(format!("the document at {href} was not kept: {why}"));
                    continue;
                }
            };
            let id = sha256_hex(&bytes);
            let content_type = attachment["contentType"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| answer.content_type.clone())
                .unwrap_or_else(|| "application/octet-stream".into());
            attachment["url"] = Value::String(format!("{ATTACHMENT_URL_SCHEME}{id}"));
            attachment["size"] = json!(bytes.len());
            let extensions = attachment
                .as_object_mut()
                .expect("an attachment with a url is an object")
                .entry("extension")
                .or_insert_with(|| json!([]));
            if let Some(list) = extensions.as_array_mut() {
                list.push(json!({ "url": ORIGINAL_URL_EXTENSION, "valueUrl": href }));
            }
            attachments.push(Attachment {
                id,
                content_type,
                bytes,
            });
        }
        Ok(())
    }

    /// A GET with the access token, refreshing it once on a 401 and waiting out 429/503.
    async fn fetch(&mut self, url: &Url, accept: &str) -> Result<HttpAnswer, Stop> {
        let mut refreshed = false;
        let mut waits = 0;
        loop {
            let token = self.access_token().await?;
            let answer = self
                .host
                .get(url, &token, accept)
                .await
                .map_err(|e| Stop::Search(format!("the provider could not be reached: {e}")))?;
            match answer.status {
                401 if !refreshed => {
                    self.refresh().await?;
                    refreshed = true;
                }
                401 => {
                    return Err(Stop::Sync(
                        "the provider no longer accepts Folio's sign-in: connect again".into(),
                    ));
                }
                429 | 503 if waits < MAX_RETRIES => {
                    let wait = retry_after(answer.retry_after.as_deref(), self.host.now());
                    if wait > MAX_WAIT {
                        return Err(Stop::Search(format!(
                            "the provider asks Folio to wait {} s: sync again later",
                            wait.as_secs()
                        )));
                    }
                    self.host.sleep(wait).await;
                    waits += 1;
                }
                _ => return Ok(answer),
            }
        }
    }

    /// The access token, refreshed first once its expiry has passed (reckoned on this
    /// client's own clock from `expires_in`, so without skew); one that lapses on the way
    /// is refreshed on its 401.
    async fn access_token(&mut self) -> Result<String, Stop> {
        let now = self.host.now();
        let fresh = self.connection.access_expires_at.is_some_and(|at| at > now);
        if let (Some(token), true) = (&self.connection.access_token, fresh) {
            return Ok(token.clone());
        }
        self.refresh().await?;
        self.connection
            .access_token
            .clone()
            .ok_or_else(|| Stop::Sync("the provider gave no access token".into()))
    }

    /// New tokens from the refresh token, stored at once: a provider that rotates refresh
    /// tokens has spent the old one.
    async fn refresh(&mut self) -> Result<(), Stop> {
        let Some(refresh_token) = self.connection.refresh_token.clone() else {
            return Err(Stop::Sync(
                "the sign-in at the provider has lapsed and it gave no way to renew it: connect \
                 again"
                    .into(),
            ));
        };
        let token_url = Url::parse(&self.connection.token_endpoint)
            .map_err(|_| Stop::Sync("the connection's token address is not a URL".into()))?;
        let form = refresh_form(&refresh_token, &self.connection.client_id);
        let answer = self
            .host
            .post_form(&token_url, &form)
            .await
            .map_err(|e| Stop::Sync(format!("the provider could not be reached: {e}")))?;
        let now = self.host.now();
        let previous = self.connection.grant();
        let grant = TokenGrant::from_answer(answer.status, &answer.body, now, previous.as_ref())
            .map_err(|e| {
                if e.needs_new_sign_in() {
                    Stop::Sync(format!("{e}: connect again"))
                } else {
                    Stop::Sync(e.to_string())
                }
            })?;
        if grant.patient != self.connection.patient {
            return Err(Stop::Sync(format!(
                "the provider's new sign-in is for another patient ({}): nothing more was \
                 fetched",
                grant.patient
            )));
        }
        self.connection.take_grant(grant);
        self.report.token_refreshes += 1;
        self.save().await.map_err(Stop::Sync)
    }

    /// Stores the pages fetched since the last batch, and the connection as it stands
    /// after them (its progress, and tokens a refresh rotated).
    async fn save(&mut self) -> Result<(), String> {
        let pending = std::mem::take(&mut self.pending);
        let entry = self.connection.entry(self.host.now());
        // The upload is named by the pages and the progress it records, so a later round
        // that gets the very same pages back still stores its progress.
        let mut bytes = pending.bytes;
        bytes.extend_from_slice(&serde_json::to_vec(&entry).expect("an entry serializes"));
        let mut entries = pending.entries;
        entries.push(entry);
        let delivered = self
            .host
            .deliver(PageDelivery {
                page_bytes: bytes,
                entries,
                attachments: pending.attachments,
            })
            .await
            .map_err(|e| {
                format!(
                    "what was fetched could not be stored in your record: {e}; sync again to \
                     resume"
                )
            })?;
        for id in delivered.new.iter().filter(|id| !is_folio_entry(id)) {
            self.report
                .types
                .entry(id.resource_type().to_owned())
                .or_default()
                .new += 1;
        }
        Ok(())
    }
}

/// How a refused search's reason starts.
const REFUSED: &str = "the provider does not share this with Folio";

/// The first words of an error answer: an OperationOutcome's diagnostics, or the start
/// of whatever text it is (never the whole of a large page).
fn problem_of(answer: &HttpAnswer) -> String {
    let outcome: Option<Value> = serde_json::from_slice(&answer.body).ok();
    let said = outcome.as_ref().and_then(|o| {
        o["issue"][0]["diagnostics"]
            .as_str()
            .or_else(|| o["issue"][0]["details"]["text"].as_str())
            .map(str::to_owned)
    });
    let text = said.unwrap_or_else(|| {
        String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)]).into_owned()
    });
    let text: String = text.chars().filter(|c| !c.is_control()).take(160).collect();
    if text.trim().is_empty() {
        "no explanation".into()
    } else {
        text
    }
}

/// A document's bytes: raw, or from a FHIR Binary.
fn document_bytes(answer: &HttpAnswer) -> Result<Vec<u8>, String> {
    if !(200..300).contains(&answer.status) {
        return Err(format!("HTTP {}", answer.status));
    }
    if answer.truncated {
        return Err("it is larger than Folio keeps".into());
    }
    let is_fhir = answer
        .content_type
        .as_deref()
        .is_some_and(|t| t.contains("fhir+json"));
    if is_fhir {
        let binary: Value =
            serde_json::from_slice(&answer.body).map_err(|_| "an unreadable Binary".to_owned())?;
        let data = binary["data"]
            .as_str()
            .ok_or_else(|| "a Binary without data".to_owned())?;
        return base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| "a Binary whose data is not base64".to_owned());
    }
    Ok(answer.body.clone())
}

/// `Retry-After` in seconds or as an HTTP date; two seconds when absent or unreadable.
fn retry_after(value: Option<&str>, now: DateTime<Utc>) -> Duration {
    let default = Duration::from_secs(2);
    let Some(value) = value.map(str::trim) else {
        return default;
    };
    if let Ok(seconds) = value.parse::<u64>() {
        return Duration::from_secs(seconds);
    }
    DateTime::parse_from_rfc2822(value)
        .ok()
        .and_then(|at| (at.with_timezone(&Utc) - now).to_std().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(retry_after(Some("1"), now), Duration::from_secs(1));
        assert_eq!(
            retry_after(Some("Mon, 07 Dec 2026 10:00:30 GMT"), now),
            Duration::from_secs(30)
        );
        assert_eq!(retry_after(None, now), Duration::from_secs(2));
        assert_eq!(retry_after(Some("soon"), now), Duration::from_secs(2));
    }

    #[test]
    fn an_error_page_is_summed_up_in_a_few_words() {
        let huge = HttpAnswer {
            status: 500,
            body: vec![b'x'; 5 * 1024 * 1024],
            ..HttpAnswer::default()
        };
        assert_eq!(problem_of(&huge).len(), 160);
        let outcome = HttpAnswer {
            status: 403,
            body: br#"{"resourceType":"OperationOutcome","issue":[{"diagnostics":"not allowed"}]}"#
                .to_vec(),
            ..HttpAnswer::default()
        };
        assert_eq!(problem_of(&outcome), "not allowed");
    }
}
