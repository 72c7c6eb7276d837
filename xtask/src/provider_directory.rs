//! `cargo xtask provider-directory [SOURCE]`: the provider directory the app's connect page
//! searches (`shared/src/provider_directory` reads it), made from the public patient-access
//! endpoint lists in `../shared/data/providers` (or SOURCE).
//!
//! Writes `public/providers/directory.json` (the compact format: a vendor's shared
//! addresses once, as templates, and a short row per provider), `directory.json.gz` beside
//! it (the server sends it to browsers that accept gzip) and `NOTICE.txt` (where the data
//! came from and the MIT licence it is under). Same lists, same bytes: nothing depends on
//! time, order of hashing or the machine. Before writing, every row is filled back from its
//! templates and compared with its list's addresses, so the directory is exact.
//!
//! Only the sources' names and addresses are taken: not the lists' ids, managing
//! organizations or Oracle Health's introspect/manage addresses, nor the sandboxes'
//! test-patient logins. The HL7 Brands examples in the same folder are parser fixtures and
//! are not shipped.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use flate2::Compression;
use flate2::GzBuilder;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The document's format and version: `folio_shared::provider_directory::{FORMAT, VERSION}`.
const FORMAT: &str = "folio-provider-directory";
const VERSION: u32 = 1;
const OUT_DIR: &str = "public/providers";
const ORIGIN: &str = "Mere Medical (https://github.com/cfu288/mere-medical), commit aa17e9b788eb";
const LICENCE_FILE: &str = "mere-medical-LICENSE.txt";

/// A vendor as the document writes it; `{}` in an address stands for an entry's part.
#[derive(Debug, Clone, Serialize)]
struct Vendor {
    name: String,
    fhir_base: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorize: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    params: Vec<(String, String)>,
}

fn vendor(name: &str, fhir_base: &str, authorize: &str, token: &str) -> Vendor {
    Vendor {
        name: name.into(),
        fhir_base: fhir_base.into(),
        authorize: Some(authorize.into()),
        token: Some(token.into()),
        params: Vec::new(),
    }
}

/// A list in mere-medical's endpoint format, and the templates its entries follow.
struct EndpointList {
    file: &'static str,
    vendor: Vendor,
}

fn endpoint_lists() -> Vec<EndpointList> {
    vec![
        EndpointList {
            file: "mere-medical-epic-r4.json",
            vendor: vendor(
                "Epic",
                "{}api/FHIR/R4/",
                "{}oauth2/authorize",
                "{}oauth2/token",
            ),
        },
        EndpointList {
            file: "mere-medical-cerner-r4.json",
            vendor: vendor(
                "Oracle Health (Cerner)",
                "https://fhir-myrecord.cerner.com/r4/{}/",
                "https://authorization.cerner.com/tenants/{}/protocols/oauth2/profiles/smart-v1/personas/patient/authorize",
                "https://authorization.cerner.com/tenants/{}/hosts/fhir-myrecord.cerner.com/protocols/oauth2/profiles/smart-v1/token",
            ),
        },
        EndpointList {
            file: "mere-medical-healow-ecw-r4.json",
            vendor: vendor(
                "eClinicalWorks (healow)",
                "https://fhir4.healow.com/fhir/r4/{}",
                "https://oauthserver.eclinicalworks.com/oauth/oauth2/authorize",
                "https://oauthserver.eclinicalworks.com/oauth/oauth2/token",
            ),
        },
    ]
}

const ATHENA_FILE: &str = "mere-medical-athena-organizations.json";
const SANDBOXES_FILE: &str = "sandboxes.json";
/// athenahealth selects the practice with this parameter on every FHIR request.
const ATHENA_PRACTICE: (&str, &str) = ("ah-practice", "Organization/a-1.Practice-{}");

fn athena(host: &str) -> Vendor {
    Vendor {
        params: vec![(ATHENA_PRACTICE.0.into(), ATHENA_PRACTICE.1.into())],
        ..vendor(
            "athenahealth",
            &format!("https://{host}/fhir/r4"),
            &format!("https://{host}/oauth2/v1/authorize"),
            &format!("https://{host}/oauth2/v1/token"),
        )
    }
}

#[derive(Deserialize)]
struct Listed {
    id: String,
    name: String,
    url: String,
    authorize: String,
    token: String,
}

#[derive(Deserialize)]
struct Sandboxes {
    sandboxes: Vec<Sandbox>,
}

#[derive(Deserialize)]
struct Sandbox {
    vendor: String,
    fhir_base: Option<String>,
    fhir_base_patient_access: Option<String>,
    authorize: Option<String>,
    token: Option<String>,
    #[serde(default)]
    test_patients: Vec<TestPatient>,
}

#[derive(Deserialize)]
struct TestPatient {
    practice_id: Option<String>,
}

/// An entry as its source gives it, to check the directory against.
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    name: String,
    fhir_base: String,
    authorize: Option<String>,
    token: Option<String>,
    params: Vec<(String, String)>,
}

#[derive(Debug)]
enum Row {
    Templated {
        name: String,
        vendor: usize,
        part: String,
    },
    Literal {
        name: String,
        vendor: usize,
        fhir_base: String,
        authorize: Option<String>,
        token: Option<String>,
    },
}

#[derive(Default)]
struct Directory {
    vendors: Vec<Vendor>,
    rows: Vec<Row>,
    sandboxes: Vec<usize>,
    expected: Vec<Expected>,
    /// What NOTICE.txt lists: per source, its entries.
    sources: Vec<(String, usize)>,
}

fn fill(template: &str, part: &str) -> String {
    template.replacen("{}", part, 1)
}

impl Directory {
    fn add_vendor(&mut self, vendor: Vendor) -> usize {
        self.vendors.push(vendor);
        self.vendors.len() - 1
    }

    /// A row for `expected`: its part of the vendor's templates when they give back its
    /// addresses exactly, else the addresses as they are.
    fn add(&mut self, vendor: usize, expected: Expected, sandbox: bool) {
        let templates = &self.vendors[vendor];
        // A vendor whose addresses are all the same (one sandbox) has the empty part.
        let (prefix, suffix) = templates
            .fhir_base
            .split_once("{}")
            .unwrap_or((&templates.fhir_base, ""));
        let part = expected
            .fhir_base
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
            .filter(|part| {
                let fills = |t: &Option<String>| t.as_deref().map(|t| fill(t, part));
                fills(&templates.authorize) == expected.authorize
                    && fills(&templates.token) == expected.token
            });
        let row = match part {
            Some(part) => Row::Templated {
                name: expected.name.clone(),
                vendor,
                part: part.to_owned(),
            },
            None => Row::Literal {
                name: expected.name.clone(),
                vendor,
                fhir_base: expected.fhir_base.clone(),
                authorize: expected.authorize.clone(),
                token: expected.token.clone(),
            },
        };
        self.add_row(row, expected, sandbox);
    }

    fn add_row(&mut self, row: Row, expected: Expected, sandbox: bool) {
        if sandbox {
            self.sandboxes.push(self.rows.len());
        }
        self.rows.push(row);
        self.expected.push(expected);
    }

    /// Each row filled back from its vendor, as the app will read it.
    fn filled(&self, row: &Row) -> Expected {
        match row {
            Row::Templated { name, vendor, part } => {
                let v = &self.vendors[*vendor];
                Expected {
                    name: name.clone(),
                    fhir_base: fill(&v.fhir_base, part),
                    authorize: v.authorize.as_deref().map(|t| fill(t, part)),
                    token: v.token.as_deref().map(|t| fill(t, part)),
                    params: v
                        .params
                        .iter()
                        .map(|(k, t)| (k.clone(), fill(t, part)))
                        .collect(),
                }
            }
            Row::Literal {
                name,
                fhir_base,
                authorize,
                token,
                ..
            } => Expected {
                name: name.clone(),
                fhir_base: fhir_base.clone(),
                authorize: authorize.clone(),
                token: token.clone(),
                params: Vec::new(),
            },
        }
    }

    fn check(&self) -> Result<()> {
        for (row, expected) in self.rows.iter().zip(&self.expected) {
            let filled = self.filled(row);
            ensure!(
                &filled == expected,
                "the directory would change an entry:\n  source {expected:?}\n  written {filled:?}"
            );
        }
        Ok(())
    }

    fn json(&self) -> Result<String> {
        let mut out = format!(
            "{{\"format\":{},\"version\":{VERSION},\n\"notice\":{},\n\"vendors\":[\n",
            serde_json::to_string(FORMAT)?,
            serde_json::to_string(&format!(
                "Derived from the patient-access endpoint lists of {ORIGIN}, under the MIT \
                 licence (Copyright 2024 Christopher Fu): see NOTICE.txt beside this file."
            ))?,
        );
        let lines = |items: Vec<String>| items.join(",\n");
        let vendors = self
            .vendors
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()?;
        out.push_str(&lines(vendors));
        out.push_str("\n],\n\"entries\":[\n");
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let values: Vec<Value> = match row {
                    Row::Templated { name, vendor, part } => {
                        vec![name.as_str().into(), (*vendor).into(), part.as_str().into()]
                    }
                    Row::Literal {
                        name,
                        vendor,
                        fhir_base,
                        authorize,
                        token,
                    } => vec![
                        name.as_str().into(),
                        (*vendor).into(),
                        fhir_base.as_str().into(),
                        authorize.clone().into(),
                        token.clone().into(),
                    ],
                };
                serde_json::to_string(&values)
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push_str(&lines(rows));
        out.push_str(&format!(
            "\n],\n\"sandboxes\":{}}}\n",
            serde_json::to_string(&self.sandboxes)?
        ));
        Ok(out)
    }
}

fn read<T: serde::de::DeserializeOwned>(source: &Path, file: &str) -> Result<T> {
    let path = source.join(file);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

fn build(source: &Path) -> Result<Directory> {
    let mut directory = Directory::default();
    for list in endpoint_lists() {
        let entries: Vec<Listed> = read(source, list.file)?;
        let name = list.vendor.name.clone();
        let vendor = directory.add_vendor(list.vendor);
        for entry in &entries {
            let expected = Expected {
                name: entry.name.clone(),
                fhir_base: entry.url.clone(),
                authorize: Some(entry.authorize.clone()),
                token: Some(entry.token.clone()),
                params: Vec::new(),
            };
            // mere-medical marks each vendor's test system with a `sandbox_` id.
            directory.add(vendor, expected, entry.id.starts_with("sandbox_"));
        }
        directory
            .sources
            .push((format!("{name}: {}", list.file), entries.len()));
    }

    // athenahealth: one FHIR base, the practice named by a parameter; by practice number.
    let practices: BTreeMap<String, String> = read(source, ATHENA_FILE)?;
    let mut practices: Vec<(String, String)> = practices.into_iter().collect();
    practices.sort_by(|(a, _), (b, _)| (a.len(), a).cmp(&(b.len(), b)));
    let vendor = directory.add_vendor(athena("api.platform.athenahealth.com"));
    for (id, name) in &practices {
        ensure!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
            "{ATHENA_FILE}: practice id {id:?} is not a number"
        );
        let row = Row::Templated {
            name: name.clone(),
            vendor,
            part: id.clone(),
        };
        let expected = directory.filled(&row);
        directory.add_row(row, expected, false);
    }
    directory
        .sources
        .push((format!("athenahealth: {ATHENA_FILE}"), practices.len()));

    // The vendors' sandboxes the lists do not already hold (same sign-in or same FHIR
    // base), where a FHIR base is known.
    let sandboxes: Sandboxes = read(source, SANDBOXES_FILE)?;
    let mut added = 0;
    for sandbox in sandboxes.sandboxes {
        let Some(fhir_base) = sandbox
            .fhir_base
            .clone()
            .or(sandbox.fhir_base_patient_access.clone())
        else {
            continue;
        };
        let held = directory.expected.iter().any(|e| {
            e.fhir_base == fhir_base
                || (sandbox.authorize.is_some() && e.authorize == sandbox.authorize)
        });
        if held {
            continue;
        }
        let name = if sandbox.vendor.to_lowercase().contains("sandbox") {
            sandbox.vendor.clone()
        } else {
            format!("{} sandbox", sandbox.vendor)
        };
        if sandbox.vendor.starts_with("athenahealth") {
            let host = fhir_base
                .strip_prefix("https://")
                .and_then(|rest| rest.strip_suffix("/fhir/r4"))
                .with_context(|| format!("{SANDBOXES_FILE}: athenahealth base {fhir_base}"))?;
            let vendor = directory.add_vendor(athena(host));
            let practice = sandbox
                .test_patients
                .iter()
                .find_map(|p| p.practice_id.clone())
                .with_context(|| format!("{SANDBOXES_FILE}: no practice for {name}"))?;
            let row = Row::Templated {
                name,
                vendor,
                part: practice,
            };
            let expected = directory.filled(&row);
            ensure!(
                Some(&expected.authorize) == Some(&sandbox.authorize)
                    && expected.token == sandbox.token
                    && expected.fhir_base == fhir_base,
                "{SANDBOXES_FILE}: the athenahealth sandbox's addresses changed"
            );
            directory.add_row(row, expected, true);
        } else {
            let vendor = directory.add_vendor(Vendor {
                name: sandbox.vendor.clone(),
                fhir_base: fhir_base.clone(),
                authorize: sandbox.authorize.clone(),
                token: sandbox.token.clone(),
                params: Vec::new(),
            });
            let expected = Expected {
                name,
                fhir_base,
                authorize: sandbox.authorize,
                token: sandbox.token,
                params: Vec::new(),
            };
            directory.add(vendor, expected, true);
        }
        added += 1;
    }
    directory
        .sources
        .push((format!("vendors' sandboxes: {SANDBOXES_FILE}"), added));
    directory.check()?;
    Ok(directory)
}

fn notice(directory: &Directory, licence: &str) -> String {
    let mut text = String::from(
        "Folio's provider directory: directory.json (and directory.json.gz, the same file \
         compressed)\n\n",
    );
    text.push_str(&format!(
        "Generated by `cargo xtask provider-directory` from public lists of SMART on FHIR\n\
         patient-access endpoints collected by\n{ORIGIN},\nwhich derived them from the \
         vendors' published endpoint lists ({} entries in all):\n\n",
        directory.rows.len()
    ));
    for (source, count) in &directory.sources {
        text.push_str(&format!("  - {source}: {count} entries\n"));
    }
    text.push_str(
        "\nTaken from each entry: its name and its FHIR base, authorize and token addresses \
         (for\nathenahealth, the practice's number and name; the practice is selected with \
         the\nah-practice parameter). Left out: the lists' ids, managing organizations and \
         Oracle Health's\nintrospect and manage addresses. Addresses that many entries \
         share are written once, as a\ntemplate per vendor, which gives back the same \
         addresses. The sandboxes' addresses are\nfacts from the vendors' developer \
         documentation; their test-patient logins are not\nincluded.\n\n\
         The lists taken from Mere Medical are under its licence:\n\n",
    );
    text.push_str(licence.trim_end());
    text.push('\n');
    text
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    // No name and no time in the header, so the same input gives the same bytes.
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// `cargo xtask provider-directory [SOURCE]`.
pub fn generate(root: &Path, source: Option<PathBuf>) -> Result<()> {
    let source =
        source.unwrap_or_else(|| root.parent().unwrap_or(root).join("shared/data/providers"));
    if !source.is_dir() {
        bail!(
            "no provider lists at {} (give their folder: cargo xtask provider-directory DIR)",
            source.display()
        );
    }
    let directory = build(&source)?;
    let json = directory.json()?;
    let licence = std::fs::read_to_string(source.join(LICENCE_FILE))
        .with_context(|| format!("reading {LICENCE_FILE}"))?;
    let out = root.join(OUT_DIR);
    std::fs::create_dir_all(&out)?;
    let gz = gzip(json.as_bytes())?;
    std::fs::write(out.join("directory.json"), &json)?;
    std::fs::write(out.join("directory.json.gz"), &gz)?;
    std::fs::write(out.join("NOTICE.txt"), notice(&directory, &licence))?;
    let literal = directory
        .rows
        .iter()
        .filter(|r| matches!(r, Row::Literal { .. }))
        .count();
    eprintln!(
        "xtask: {OUT_DIR}/directory.json: {} entries ({literal} with addresses of their own, \
         {} sandboxes), {} vendors; {} bytes, {} gzipped",
        directory.rows.len(),
        directory.sandboxes.len(),
        directory.vendors.len(),
        json.len(),
        gz.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(url: &str, authorize: &str, token: &str) -> Expected {
        Expected {
            name: "A".into(),
            fhir_base: url.into(),
            authorize: Some(authorize.into()),
            token: Some(token.into()),
            params: Vec::new(),
        }
    }

    #[test]
    fn an_entry_off_its_vendors_templates_is_written_as_it_is() {
        let mut directory = Directory::default();
        let epic = directory.add_vendor(endpoint_lists().remove(0).vendor);
        directory.add(
            epic,
            listed(
                "https://a.example/x/api/FHIR/R4/",
                "https://a.example/x/oauth2/authorize",
                "https://a.example/x/oauth2/token",
            ),
            false,
        );
        // The sign-in's path differs in case from the FHIR base's.
        directory.add(
            epic,
            listed(
                "https://b.example/X/api/FHIR/R4/",
                "https://b.example/x/oauth2/authorize",
                "https://b.example/x/oauth2/token",
            ),
            true,
        );
        assert!(
            matches!(&directory.rows[0], Row::Templated { part, .. } if part == "https://a.example/x/")
        );
        assert!(matches!(directory.rows[1], Row::Literal { .. }));
        directory.check().unwrap();
        let json = directory.json().unwrap();
        assert!(
            json.contains("\n[\"A\",0,\"https://a.example/x/\"],\n"),
            "{json}"
        );
        assert!(json.ends_with("\"sandboxes\":[1]}\n"), "{json}");
    }

    #[test]
    fn gzip_is_the_same_bytes_every_time() {
        assert_eq!(gzip(b"directory").unwrap(), gzip(b"directory").unwrap());
        assert_eq!(gzip(b"directory").unwrap()[4..10], [0, 0, 0, 0, 2, 255]);
    }
}
