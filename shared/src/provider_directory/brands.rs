//! SMART User-access Brands bundles (SMART App Launch 2.2, "User-access Brands and
//! Endpoints"): the format EHR vendors publish their customers' patient-access endpoints
//! in. A brand is an Organization (name, aliases, addresses, portals); its `endpoint`s, or
//! its portals' `portalEndpoint`s, are Endpoint resources in the same Bundle whose
//! `address` is a FHIR base. A brand without endpoints of its own is part of (`partOf`) a
//! brand that has them.

use serde_json::Value;

use super::{DirectoryError, Endpoint, Row};

const PORTAL: &str = "http://hl7.org/fhir/StructureDefinition/organization-portal";
const FHIR_VERSION: &str = "http://hl7.org/fhir/StructureDefinition/endpoint-fhir-version";
/// How far `partOf` is followed for endpoints; a longer chain is a loop.
const MAX_PARENTS: usize = 8;

struct Resource<'a> {
    full_url: Option<&'a str>,
    id: Option<&'a str>,
    value: &'a Value,
}

/// The bundle's entries as rows (vendor 0), and each row's aliases for search.
pub(super) fn rows(json: &[u8]) -> Result<(Vec<Row>, Vec<Vec<String>>), DirectoryError> {
    let bundle: Value = serde_json::from_slice(json)?;
    if bundle["resourceType"] != "Bundle" {
        return Err(DirectoryError::Brands("it is not a FHIR Bundle"));
    }
    let entries = bundle["entry"]
        .as_array()
        .ok_or(DirectoryError::Brands("the Bundle has no entries"))?;
    let resources = |kind: &str| -> Vec<Resource<'_>> {
        entries
            .iter()
            .filter(|e| e["resource"]["resourceType"] == kind)
            .map(|e| Resource {
                full_url: e["fullUrl"].as_str(),
                id: e["resource"]["id"].as_str(),
                value: &e["resource"],
            })
            .collect()
    };
    let organizations = resources("Organization");
    let endpoints = resources("Endpoint");
    if organizations.is_empty() {
        return Err(DirectoryError::Brands("the Bundle has no Organization"));
    }

    let mut rows = Vec::new();
    let mut aliases = Vec::new();
    for brand in &organizations {
        let Some(name) = brand.value["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
        else {
            continue;
        };
        let used = endpoints_of(brand, &organizations, &endpoints);
        let places = places(brand.value);
        let brand_aliases: Vec<String> =
            strings(&brand.value["alias"]).map(str::to_owned).collect();
        for (endpoint, portal) in &used {
            let name = if used.len() == 1 {
                name.to_owned()
            } else {
                let which = portal
                    .or_else(|| endpoint.value["name"].as_str())
                    .unwrap_or("another portal");
                format!("{name} ({which})")
            };
            let Some(address) = endpoint.value["address"].as_str() else {
                continue;
            };
            rows.push(Row {
                name,
                vendor: 0,
                endpoint: Endpoint::Literal {
                    fhir_base: address.to_owned(),
                    authorize: None,
                    token: None,
                },
                sandbox: false,
                places: places.clone(),
            });
            aliases.push(brand_aliases.clone());
        }
    }
    Ok((rows, aliases))
}

/// The FHIR R4 endpoints `brand` is reached at, each with the name of the portal that
/// names it: its own, its portals', or else its nearest parent's.
fn endpoints_of<'a>(
    brand: &Resource<'a>,
    organizations: &'a [Resource<'a>],
    endpoints: &'a [Resource<'a>],
) -> Vec<(&'a Resource<'a>, Option<&'a str>)> {
    let mut current = brand.value;
    for _ in 0..=MAX_PARENTS {
        let portals: Vec<(Option<&str>, &str)> = current["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["url"] == PORTAL)
            .flat_map(|portal| {
                let parts = portal["extension"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let name = parts
                    .iter()
                    .find(|p| p["url"] == "portalName")
                    .and_then(|p| p["valueString"].as_str());
                parts
                    .iter()
                    .filter(|p| p["url"] == "portalEndpoint")
                    .filter_map(move |p| Some((name, p["valueReference"]["reference"].as_str()?)))
            })
            .collect();
        let own = current["endpoint"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["reference"].as_str());
        let mut found: Vec<(&Resource, Option<&str>)> = Vec::new();
        for reference in own.chain(portals.iter().map(|(_, r)| *r)) {
            let Some(endpoint) = resolve(reference, endpoints).filter(|e| is_fhir_r4(e.value))
            else {
                continue;
            };
            if found.iter().any(|(e, _)| std::ptr::eq(*e, endpoint)) {
                continue;
            }
            let portal = portals
                .iter()
                .find(|(_, r)| resolve(r, endpoints).is_some_and(|e| std::ptr::eq(e, endpoint)))
                .and_then(|(name, _)| *name);
            found.push((endpoint, portal));
        }
        if !found.is_empty() {
            return found;
        }
        let Some(parent) = current["partOf"]["reference"]
            .as_str()
            .and_then(|r| resolve(r, organizations))
        else {
            return Vec::new();
        };
        current = parent.value;
    }
    Vec::new()
}

/// The resource a reference names: by its full URL, or as `Type/id` by its id.
fn resolve<'a>(reference: &str, among: &'a [Resource<'a>]) -> Option<&'a Resource<'a>> {
    among
        .iter()
        .find(|r| r.full_url == Some(reference))
        .or_else(|| {
            let (_, id) = reference.rsplit_once('/')?;
            among
                .iter()
                .find(|r| r.id == Some(id) && !reference.contains("://"))
        })
}

/// An active FHIR REST endpoint of FHIR R4 (4.0.x), where it says its version.
fn is_fhir_r4(endpoint: &Value) -> bool {
    let active = endpoint["status"].as_str().is_none_or(|s| s == "active");
    let rest = endpoint["connectionType"]["code"]
        .as_str()
        .is_none_or(|c| c == "hl7-fhir-rest");
    let version = endpoint["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["url"] == FHIR_VERSION)
        .and_then(|e| e["valueCode"].as_str());
    active && rest && version.is_none_or(|v| v.starts_with("4.0"))
}

/// "City, ST" for each address, once each.
fn places(brand: &Value) -> Vec<String> {
    let mut places: Vec<String> = Vec::new();
    for address in brand["address"].as_array().into_iter().flatten() {
        let parts: Vec<&str> = ["city", "state"]
            .iter()
            .filter_map(|k| address[*k].as_str())
            .filter(|s| !s.trim().is_empty())
            .collect();
        let place = parts.join(", ");
        if !place.is_empty() && !places.contains(&place) {
            places.push(place);
        }
    }
    places
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}
