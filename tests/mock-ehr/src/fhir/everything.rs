//! `Patient/{id}/$everything`: the patient's whole record in one paged search, offered only
//! when the provider is configured to (many real portals are not).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::paging::{first_page, page_count, search_fault};
use super::search::count_search;
use super::{Access, Refusal, authenticate, withheld};
use crate::data::{last_updated, type_of};
use crate::params::Params;
use crate::state::Provider;

/// `GET /fhir/{type}/{id}/{operation}`: only `Patient/{id}/$everything`, and only when the
/// provider offers it.
pub(crate) async fn operation(
    State(provider): State<Arc<Provider>>,
    Path((resource_type, id, operation)): Path<(String, String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    provider.wait_while_paused().await;
    if resource_type != "Patient" || operation != "$everything" || !provider.config.everything {
        return Refusal::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            format!("{resource_type}/{id}/{operation} is not supported"),
        )
        .into_response();
    }
    let response = everything(&provider, &id, &headers, query.as_deref())
        .unwrap_or_else(IntoResponse::into_response);
    count_search(&provider, "$everything", response.status());
    if response.status() == StatusCode::OK {
        provider.lock().stats.everything_calls += 1;
    }
    response
}

fn everything(
    provider: &Provider,
    id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, Refusal> {
    let token = authenticate(provider, headers)?;
    if id != token.patient {
        return Err(Refusal::forbidden(
            "the access token is not for the patient asked about",
        ));
    }
    if let Some(response) = search_fault(provider) {
        return Ok(response);
    }
    let params = Params::from_query(query);
    if let Some(unknown) = params
        .names()
        .find(|n| !matches!(*n, "_count" | "_since" | "_type"))
    {
        return Err(Refusal::invalid(format!(
            "unknown parameter {unknown:?} for $everything"
        )));
    }
    let since = match params.single("_since").map_err(Refusal::invalid)? {
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| Refusal::invalid(format!("_since {text:?} is not a FHIR instant")))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    let types: Option<Vec<&str>> = params
        .single("_type")
        .map_err(Refusal::invalid)?
        .map(|t| t.split(',').collect());
    let count = page_count(provider, params.single("_count").map_err(Refusal::invalid)?)
        .map_err(Refusal::invalid)?;

    let mut inner = provider.lock();
    // The patient's whole record as the token may see it: compartment resources and the
    // Organizations and Practitioners they refer to; Binaries stay behind their documents.
    let mut matches: Vec<Arc<Value>> = inner
        .record(&token.patient)
        .map(|record| record.resources.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            let t = type_of(r);
            t != "Binary"
                && withheld(provider, &token, t, Access::Search).is_ok()
                && types.as_ref().is_none_or(|types| types.contains(&t))
                && since.is_none_or(|since| last_updated(r).is_some_and(|u| u >= since))
        })
        .collect();
    // The Patient first, as servers answer `$everything`.
    matches.sort_by_key(|r| type_of(r) != "Patient");
    let self_url = match query {
        Some(query) => format!("{}/Patient/{id}/$everything?{query}", provider.fhir_base),
        None => format!("{}/Patient/{id}/$everything", provider.fhir_base),
    };
    Ok(first_page(
        provider,
        &mut inner,
        &token.patient,
        matches,
        count,
        self_url,
    ))
}
