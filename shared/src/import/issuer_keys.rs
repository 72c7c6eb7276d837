//! [`IssuerKeys`]: the keys health cards are checked against during one run of imports.
//!
//! The keys the user handed over (a JWKS file) when there are some, otherwise each https
//! issuer's published `/.well-known/jwks.json`, fetched at most once per run. The app and
//! the CLI differ only in how they fetch (browser `fetch` without credentials, reqwest), so
//! the fetch is theirs and the rest is here.

use std::collections::HashMap;

use super::options::TrustedIssuer;
use super::shc::{self, Jwks};

#[derive(Debug, Default)]
pub struct IssuerKeys {
    /// Keys given by hand: then nothing is fetched.
    hand: Option<Jwks>,
    /// Keys fetched in this run by issuer, `None` when they could not be had.
    fetched: HashMap<String, Option<Jwks>>,
}

impl IssuerKeys {
    pub fn new(hand: Option<Jwks>) -> Self {
        IssuerKeys {
            hand,
            fetched: HashMap::new(),
        }
    }

    /// The keys for the issuers of a health-card file. `fetch` gets an issuer's JWKS URL
    /// and returns its keys, or `None` on any failure. An issuer whose keys cannot be had
    /// is left out, and its cards import as unverified with the importer's reason; so is
    /// an issuer that is not https, whose keys could be anyone's.
    pub async fn for_file<F>(
        &mut self,
        name: &str,
        bytes: &[u8],
        mut fetch: impl FnMut(String) -> F,
    ) -> Vec<TrustedIssuer>
    where
        F: Future<Output = Option<Jwks>>,
    {
        let Ok(issuers) = shc::card_issuers(name, bytes) else {
            // The import itself reports what is wrong with the card.
            return Vec::new();
        };
        let mut trusted = Vec::new();
        for iss in issuers {
            let jwks = match &self.hand {
                Some(keys) => Some(keys.clone()),
                None => match self.fetched.get(&iss) {
                    Some(known) => known.clone(),
                    None => {
                        let jwks = match jwks_url(&iss) {
                            Some(url) => fetch(url).await,
                            None => None,
                        };
                        self.fetched.insert(iss.clone(), jwks.clone());
                        jwks
                    }
                },
            };
            if let Some(jwks) = jwks {
                trusted.push(TrustedIssuer {
                    iss,
                    jwks,
                    crls: Vec::new(),
                });
            }
        }
        trusted
    }
}

/// Where an https issuer publishes its keys (SMART Health Cards, "Determining keys").
fn jwks_url(iss: &str) -> Option<String> {
    iss.starts_with("https://")
        .then(|| format!("{}/.well-known/jwks.json", iss.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::task::{Context, Poll, Waker};

    fn spec_example(path: &str) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/shc/spec-examples")
            .join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn jwks() -> Jwks {
        Jwks::from_json(&spec_example("issuer/.well-known/jwks.json")).unwrap()
    }

    /// The fetches below answer at once, so one poll finishes the lookup.
    fn ready<T>(future: impl Future<Output = T>) -> T {
        match std::pin::pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(value) => value,
            Poll::Pending => panic!("the lookup waited on nothing"),
        }
    }

    #[test]
    fn each_issuer_is_fetched_once_per_run() {
        let card = spec_example("example-00-e-file.smart-health-card");
        let mut keys = IssuerKeys::new(None);
        let mut urls = Vec::new();
        for _ in 0..2 {
            let trusted = ready(
                keys.for_file("card.smart-health-card", card.as_bytes(), |url| {
                    urls.push(url);
                    std::future::ready(Some(jwks()))
                }),
            );
            assert_eq!(trusted.len(), 1);
        }
        assert_eq!(urls.len(), 1, "{urls:?}");
        assert!(urls[0].ends_with("/.well-known/jwks.json"), "{urls:?}");
    }

    #[test]
    fn an_issuer_whose_keys_cannot_be_had_is_left_out() {
        let card = spec_example("example-00-e-file.smart-health-card");
        let mut keys = IssuerKeys::new(None);
        let trusted = ready(
            keys.for_file("card.smart-health-card", card.as_bytes(), |_url| {
                std::future::ready(None)
            }),
        );
        assert!(trusted.is_empty());
    }

    #[test]
    fn keys_given_by_hand_are_used_without_fetching() {
        let card = spec_example("example-00-e-file.smart-health-card");
        let mut keys = IssuerKeys::new(Some(jwks()));
        let trusted = ready(keys.for_file(
            "card.smart-health-card",
            card.as_bytes(),
            |_url| -> std::future::Ready<Option<Jwks>> { panic!("nothing is fetched") },
        ));
        assert_eq!(trusted.len(), 1);
    }

    #[test]
    fn only_https_issuers_are_fetched() {
        assert_eq!(
            jwks_url("https://spec.smarthealth.cards/examples/issuer/"),
            Some("https://spec.smarthealth.cards/examples/issuer/.well-known/jwks.json".into())
        );
        assert_eq!(jwks_url("http://issuer.example"), None);
    }
}
