//! Search pages. A search keeps a snapshot of its matches; its `next` links (absolute,
//! HAPI-style `?_getpages=…&_offset=…&_count=…`, bearer required) page through that
//! snapshot, so resources added meanwhile neither shift nor repeat entries.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::{Refusal, authenticate, fhir_json, outcome_body};
use crate::config::Fault;
use crate::data::{id_of, instant, type_of};
use crate::params::Params;
use crate::state::{Inner, Provider, Snapshot};

/// The size of the `HugeErrorPage` body.
const HUGE_ERROR_BYTES: usize = 5 * 1024 * 1024;

/// The page size: `_count` capped at the provider's page size, which is also the default.
pub(crate) fn page_count(provider: &Provider, asked: Option<&str>) -> Result<usize, String> {
    let cap = provider.config.page_size.max(1);
    match asked {
        None => Ok(cap),
        Some(text) => text
            .parse::<usize>()
            .map(|n| n.min(cap))
            .map_err(|_| format!("_count {text:?} is not a number")),
    }
}
/// The fault a search answers with instead of its results, if one is on.
pub(crate) fn search_fault(provider: &Provider) -> Option<Response> {
    match provider.fault()? {
        Fault::HugeErrorPage => {
            let line = "Internal Server Error: the search failed.\n";
            let body = line.repeat(HUGE_ERROR_BYTES / line.len() + 1);
            Some(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(header::CONTENT_TYPE, "text/plain")],
                    body,
                )
                    .into_response(),
            )
        }
        Fault::PageNotABundle => Some(fhir_json(
            StatusCode::OK,
            &outcome_body("information", "informational", "the search completed"),
        )),
        _ => None,
    }
}
/// Keeps `matches` as a snapshot and answers its first page.
pub(crate) fn first_page(
    provider: &Provider,
    inner: &mut Inner,
    patient: &str,
    matches: Vec<Arc<Value>>,
    count: usize,
    self_url: String,
) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let snapshot = Snapshot {
        patient: patient.to_owned(),
        resources: matches,
    };
    let bundle = page_bundle(provider, &id, &snapshot, 0, count, self_url);
    inner.snapshots.insert(id, snapshot);
    provider.page_served(inner);
    fhir_json(StatusCode::OK, &bundle)
}

/// A searchset Bundle of `snapshot[offset..offset + count]`, with a `next` link when more
/// remain.
fn page_bundle(
    provider: &Provider,
    id: &str,
    snapshot: &Snapshot,
    offset: usize,
    count: usize,
    self_url: String,
) -> Value {
    let base = &provider.fhir_base;
    let total = snapshot.resources.len();
    let entries: Vec<Value> = snapshot
        .resources
        .iter()
        .skip(offset)
        .take(count)
        .map(|r| {
            json!({
                "fullUrl": format!("{base}/{}/{}", type_of(r), id_of(r)),
                "resource": **r,
                "search": {"mode": "match"}
            })
        })
        .collect();
    let mut links = vec![json!({"relation": "self", "url": self_url})];
    // `_count=0` asks for the total only: no next page, which would never advance.
    if count > 0 && offset + count < total {
        links.push(json!({
            "relation": "next",
            "url": format!("{base}?_getpages={id}&_offset={}&_count={count}", offset + count),
        }));
    }
    let mut bundle = json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "meta": {"lastUpdated": instant(Utc::now())},
        "type": "searchset",
        "total": total,
        "link": links,
    });
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    bundle
}

/// `GET /fhir?_getpages=…&_offset=…&_count=…`: a later page of a search.
pub(crate) async fn pages(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    provider.wait_while_paused().await;
    later_page(&provider, &headers, query.as_deref()).unwrap_or_else(IntoResponse::into_response)
}

fn later_page(
    provider: &Provider,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, Refusal> {
    let token = authenticate(provider, headers)?;
    let params = Params::from_query(query);
    if let Some(unknown) = params
        .names()
        .find(|n| !matches!(*n, "_getpages" | "_offset" | "_count"))
    {
        return Err(Refusal::invalid(format!(
            "unknown parameter {unknown:?} for a search page"
        )));
    }
    let id = params
        .required("_getpages")
        .map_err(|_| Refusal::invalid("searches across all types are not supported"))?;
    if let Some(response) = search_fault(provider) {
        return Ok(response);
    }
    let offset = params
        .required("_offset")
        .map_err(Refusal::invalid)?
        .parse::<usize>()
        .map_err(|_| Refusal::invalid("_offset is not a number"))?;
    let count = page_count(provider, params.single("_count").map_err(Refusal::invalid)?)
        .map_err(Refusal::invalid)?;

    let mut inner = provider.lock();
    let Some(snapshot) = inner.snapshots.get(id) else {
        return Err(Refusal::new(
            StatusCode::GONE,
            "not-found",
            "this search is unknown or has expired; search again",
        ));
    };
    if snapshot.patient != token.patient {
        return Err(Refusal::forbidden(
            "this search belongs to another patient's session",
        ));
    }
    if offset > snapshot.resources.len() {
        return Err(Refusal::invalid(format!(
            "_offset {offset} is past the end of the search"
        )));
    }
    let self_url = format!(
        "{}?_getpages={id}&_offset={offset}&_count={count}",
        provider.fhir_base
    );
    let bundle = page_bundle(provider, id, snapshot, offset, count, self_url);
    provider.page_served(&mut inner);
    Ok(fhir_json(StatusCode::OK, &bundle))
}
