//! The provider directory (issue 24): the patient-access FHIR endpoints Folio ships, so a
//! patient finds their provider by typing its name, not a FHIR address.
//!
//! The app fetches the directory (`/providers/directory.json`, written by
//! `cargo xtask provider-directory` from the public lists in `../shared/data/providers`) on
//! the connect page only: about 31,000 entries are too much for the start page.
//!
//! **The compact format** ([`FORMAT`], [`VERSION`]). What many entries share lives once, in
//! a vendor: its name and templates of the FHIR base, authorize and token addresses in which
//! `{}` stands for the part that differs (Epic's `{}api/FHIR/R4/`, Oracle Health's tenant),
//! and its extra parameters (athenahealth has one FHIR base and names the practice with
//! `ah-practice`). An entry is `[name, vendor, part]`, or, where a provider's addresses do
//! not follow its vendor's templates, `[name, vendor, fhir_base, authorize, token]` with
//! the addresses as they are (and no extra parameters). `sandboxes` lists the entries that
//! are vendors' test systems. Nothing is rewritten: an entry's addresses are its list's,
//! byte for byte.
//!
//! **Addresses may be incomplete.** A list that gives only the FHIR base (a User-access
//! Brands bundle, some sandboxes) leaves `authorize` and `token` empty: the sign-in reads
//! them from the server's `/.well-known/smart-configuration` anyway
//! ([`crate::provider_connect::SmartConfiguration`]), which stays the authority for both.
//!
//! Pure: the caller fetches the bytes.

mod brands;
mod format;
mod search;

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use url::Url;

pub use format::{FORMAT, VERSION};

/// One provider as the connect page offers it and the sign-in uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// The name as its list gives it.
    pub name: String,
    /// The EHR vendor whose patient access this is ("Epic", "athenahealth").
    pub vendor: String,
    pub fhir_base: String,
    /// `None` where the list does not give it: read it from the SMART configuration.
    pub authorize: Option<String>,
    /// `None` where the list does not give it: read it from the SMART configuration.
    pub token: Option<String>,
    /// Parameters to add to every FHIR request (athenahealth's `ah-practice`).
    pub extra_params: Vec<(String, String)>,
    /// A vendor's test system with synthetic patients, not a provider.
    pub sandbox: bool,
    /// Where the provider is ("Madison, WI"), where its list says.
    pub places: Vec<String>,
}

/// Why a directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the provider directory is not valid JSON of its format: {0}")]
    Json(#[from] serde_json::Error),
    #[error("this is not a Folio provider directory (its format is {0:?})")]
    Format(String),
    #[error(
        "the provider directory is version {found}, and this version of Folio reads version \
         {VERSION}: reload the page to get the matching app"
    )]
    Version { found: u32 },
    #[error("directory entry {entry} names vendor {vendor}, and there are {vendors} vendors")]
    Vendor {
        entry: usize,
        vendor: usize,
        vendors: usize,
    },
    #[error("the directory marks entry {0} as a sandbox, and it has no such entry")]
    Sandbox(usize),
    #[error("this is not a User-access Brands bundle: {0}")]
    Brands(&'static str),
}

/// The directory, ready to search.
#[derive(Debug, Clone)]
pub struct ProviderDirectory {
    vendors: Vec<Vendor>,
    rows: Vec<Row>,
    keys: Vec<search::Key>,
    /// Built on the first [`ProviderDirectory::is_directory_endpoint`]: the connect page
    /// only searches.
    origins: OnceLock<HashSet<String>>,
}

/// What a vendor's entries share. Each address is a template: `{}` stands for an entry's
/// part, and a template without one is the same for every entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Vendor {
    name: String,
    fhir_base: String,
    #[serde(default)]
    authorize: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    params: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    name: String,
    vendor: usize,
    endpoint: Endpoint,
    sandbox: bool,
    places: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    /// The part of the vendor's templates that differs.
    Templated(String),
    /// Addresses that do not follow the vendor's templates, as they are.
    Literal {
        fhir_base: String,
        authorize: Option<String>,
        token: Option<String>,
    },
}

fn fill(template: &str, part: &str) -> String {
    template.replacen("{}", part, 1)
}

impl ProviderDirectory {
    /// Reads the compact directory (`/providers/directory.json`).
    pub fn from_json(json: &[u8]) -> Result<ProviderDirectory, DirectoryError> {
        let document = format::Document::parse(json)?;
        Ok(ProviderDirectory::new(document.vendors, document.rows))
    }

    /// The entries of a SMART User-access Brands bundle (SMART App Launch 2.2): one per
    /// brand and FHIR R4 endpoint, searchable by brand name, alias and city. A brand without
    /// endpoints of its own uses its parent's (`partOf`). A Brands bundle does not say whose
    /// EHR it is: `vendor` names it.
    pub fn from_brands_bundle(
        json: &[u8],
        vendor: &str,
    ) -> Result<ProviderDirectory, DirectoryError> {
        let (rows, aliases) = brands::rows(json)?;
        let vendor = Vendor {
            name: vendor.to_owned(),
            fhir_base: "{}".to_owned(),
            authorize: None,
            token: None,
            params: Vec::new(),
        };
        let mut directory = ProviderDirectory::new(vec![vendor], rows);
        for (key, (row, aliases)) in directory
            .keys
            .iter_mut()
            .zip(directory.rows.iter().zip(aliases))
        {
            let extra: Vec<&str> = aliases
                .iter()
                .chain(&row.places)
                .map(String::as_str)
                .collect();
            *key = search::Key::new(&row.name, &extra);
        }
        Ok(directory)
    }

    fn new(vendors: Vec<Vendor>, rows: Vec<Row>) -> ProviderDirectory {
        let keys = rows
            .iter()
            .map(|row| {
                // A sandbox is found by the word and by its vendor's name too.
                let vendor = &vendors[row.vendor].name;
                let extra: Vec<&str> = if row.sandbox {
                    vec!["sandbox", vendor]
                } else {
                    Vec::new()
                };
                search::Key::new(&row.name, &extra)
            })
            .collect();
        ProviderDirectory {
            vendors,
            rows,
            keys,
            origins: OnceLock::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every entry, in the directory's order.
    pub fn entries(&self) -> impl Iterator<Item = DirectoryEntry> + '_ {
        (0..self.rows.len()).map(|i| self.entry(i))
    }

    /// The entries whose name has a word starting with each word of `query` (case,
    /// accents and punctuation aside), at most `limit`, best first: the name equal to the
    /// query, then names whose first words start with the query's words in order ("mayo
    /// cl" for "Mayo Clinic Health System"), then the rest; shorter names first within
    /// each, then in alphabetical order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<DirectoryEntry> {
        search::best(&self.keys, query, limit)
            .into_iter()
            .map(|i| self.entry(i))
            .collect()
    }

    /// Whether `url`'s origin (scheme, host, port) is one the directory names for a FHIR
    /// server or its sign-in. A relay that forwards requests for the app asks this, so that
    /// it only ever reaches providers' servers.
    pub fn is_directory_endpoint(&self, url: &str) -> bool {
        let Some(origin) = origin_of(url) else {
            return false;
        };
        self.origins
            .get_or_init(|| self.collect_origins())
            .contains(&origin)
    }

    fn collect_origins(&self) -> HashSet<String> {
        let mut origins = HashSet::new();
        // A template whose `{}` comes after the host names one origin for all its entries.
        let mut per_vendor = vec![true; self.vendors.len()];
        for (i, vendor) in self.vendors.iter().enumerate() {
            let templates = [
                Some(&vendor.fhir_base),
                vendor.authorize.as_ref(),
                vendor.token.as_ref(),
            ];
            for template in templates.into_iter().flatten() {
                match fixed_origin(template) {
                    Some(origin) => {
                        origins.extend(origin);
                    }
                    None => per_vendor[i] = false,
                }
            }
        }
        for (i, row) in self.rows.iter().enumerate() {
            if matches!(row.endpoint, Endpoint::Templated(_)) && per_vendor[row.vendor] {
                continue;
            }
            let entry = self.entry(i);
            let urls = [Some(entry.fhir_base), entry.authorize, entry.token];
            origins.extend(urls.into_iter().flatten().filter_map(|u| origin_of(&u)));
        }
        origins
    }

    fn entry(&self, i: usize) -> DirectoryEntry {
        let row = &self.rows[i];
        let vendor = &self.vendors[row.vendor];
        let (fhir_base, authorize, token, extra_params) = match &row.endpoint {
            Endpoint::Templated(part) => (
                fill(&vendor.fhir_base, part),
                vendor.authorize.as_deref().map(|t| fill(t, part)),
                vendor.token.as_deref().map(|t| fill(t, part)),
                vendor
                    .params
                    .iter()
                    .map(|(name, value)| (name.clone(), fill(value, part)))
                    .collect(),
            ),
            Endpoint::Literal {
                fhir_base,
                authorize,
                token,
            } => (
                fhir_base.clone(),
                authorize.clone(),
                token.clone(),
                Vec::new(),
            ),
        };
        DirectoryEntry {
            name: row.name.clone(),
            vendor: vendor.name.clone(),
            fhir_base,
            authorize,
            token,
            extra_params,
            sandbox: row.sandbox,
            places: row.places.clone(),
        }
    }
}

/// `url`'s origin as the URL standard writes it (`https://host[:port]`, host lowercased),
/// or `None` for a URL without one.
fn origin_of(url: &str) -> Option<String> {
    let origin = Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// For a template: `Some(Some(origin))` when its origin does not depend on the part,
/// `Some(None)` when it has no origin at all, `None` when the part is in its origin.
fn fixed_origin(template: &str) -> Option<Option<String>> {
    let Some(at) = template.find("{}") else {
        return Some(origin_of(template));
    };
    let head = &template[..at];
    let after_scheme = head.find("://")? + 3;
    head[after_scheme..].contains('/').then(|| origin_of(head))
}

#[cfg(test)]
mod tests;
