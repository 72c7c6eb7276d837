//! Which client id Folio uses at which provider: the server's configuration
//! (`folio serve --smart-clients FILE`), since each provider (or vendor) registers the
//! clients of whoever runs a Folio server.
//!
//! The file is JSON: `{"clients": [{"fhir_base": URL, "client_id": ID}, …]}`. An entry's
//! `fhir_base` names one provider, or, ending with `/`, every FHIR base under it (a vendor's
//! host, say `https://fhir-myrecord.cerner.com/`); the longest match wins.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Default)]
pub struct SmartClients {
    entries: Vec<SmartClient>,
}

#[derive(Debug, Clone, Deserialize)]
struct SmartClient {
    fhir_base: String,
    client_id: String,
}

#[derive(Deserialize)]
struct SmartClientsFile {
    clients: Vec<SmartClient>,
}

#[derive(Debug, thiserror::Error)]
pub enum SmartClientsError {
    #[error("cannot read the SMART clients file {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the SMART clients file {path} is not {{\"clients\": [{{\"fhir_base\": URL, \"client_id\": ID}}, …]}}: {source}"
    )]
    Format {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error("the SMART clients file {path} names a FHIR base that is not an http(s) URL: {base}")]
    NotAUrl {
        path: std::path::PathBuf,
        base: String,
    },
}

impl SmartClients {
    pub fn load(path: &Path) -> Result<SmartClients, SmartClientsError> {
        let bytes = std::fs::read(path).map_err(|source| SmartClientsError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: SmartClientsFile =
            serde_json::from_slice(&bytes).map_err(|source| SmartClientsError::Format {
                path: path.to_owned(),
                source,
            })?;
        for entry in &file.clients {
            let url = url::Url::parse(&entry.fhir_base);
            if !url.is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
                return Err(SmartClientsError::NotAUrl {
                    path: path.to_owned(),
                    base: entry.fhir_base.clone(),
                });
            }
        }
        Ok(SmartClients {
            entries: file.clients,
        })
    }

    /// The client id for the provider at `fhir_base`, if one is configured.
    pub fn client_for(&self, fhir_base: &str) -> Option<&str> {
        let wanted = fhir_base.trim_end_matches('/');
        self.entries
            .iter()
            .filter(|e| {
                let base = e.fhir_base.trim_end_matches('/');
                base == wanted
                    || (e.fhir_base.ends_with('/') && fhir_base.starts_with(&e.fhir_base))
            })
            .max_by_key(|e| e.fhir_base.len())
            .map(|e| e.client_id.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_entry_gives_the_client() {
        let clients = SmartClients {
            entries: vec![
                SmartClient {
                    fhir_base: "https://fhir-myrecord.cerner.com/".into(),
                    client_id: "cerner-wide".into(),
                },
                SmartClient {
                    fhir_base: "https://fhir-myrecord.cerner.com/r4/abc".into(),
                    client_id: "abc-only".into(),
                },
            ],
        };
        assert_eq!(
            clients.client_for("https://fhir-myrecord.cerner.com/r4/abc/"),
            Some("abc-only")
        );
        assert_eq!(
            clients.client_for("https://fhir-myrecord.cerner.com/r4/xyz/"),
            Some("cerner-wide")
        );
        assert_eq!(
            clients.client_for("https://fhir.epic.com/api/FHIR/R4/"),
            None
        );
        // A base that only starts like a provider's, without the slash, is another provider.
        assert_eq!(
            clients.client_for("https://fhir-myrecord.cerner.com.evil/"),
            None
        );
    }
}
