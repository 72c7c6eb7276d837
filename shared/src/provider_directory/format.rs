//! Reading the compact directory document (the format is described in the module above).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};

use super::{DirectoryError, Endpoint, Row, Vendor};

/// The document's `format`.
pub const FORMAT: &str = "folio-provider-directory";
/// The version this build reads and `cargo xtask provider-directory` writes.
pub const VERSION: u32 = 1;

pub(super) struct Document {
    pub(super) vendors: Vec<Vendor>,
    pub(super) rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Raw {
    format: String,
    version: u32,
    vendors: Vec<Vendor>,
    entries: Vec<RawRow>,
    #[serde(default)]
    sandboxes: Vec<usize>,
}

/// `[name, vendor, part]` or `[name, vendor, fhir_base, authorize, token]`.
struct RawRow {
    name: String,
    vendor: usize,
    endpoint: Endpoint,
}

impl Document {
    pub(super) fn parse(json: &[u8]) -> Result<Document, DirectoryError> {
        // The format and version first, so a future version is refused by its number, not
        // by whatever it changed.
        #[derive(Deserialize)]
        struct Head {
            format: String,
            version: u32,
        }
        let head: Head = serde_json::from_slice(json)?;
        if head.format != FORMAT {
            return Err(DirectoryError::Format(head.format));
        }
        if head.version != VERSION {
            return Err(DirectoryError::Version {
                found: head.version,
            });
        }
        let raw: Raw = serde_json::from_slice(json)?;
        debug_assert!(raw.format == FORMAT && raw.version == VERSION);
        let vendors = raw.vendors.len();
        let mut rows = raw
            .entries
            .into_iter()
            .enumerate()
            .map(|(entry, row)| {
                if row.vendor >= vendors {
                    return Err(DirectoryError::Vendor {
                        entry,
                        vendor: row.vendor,
                        vendors,
                    });
                }
                Ok(Row {
                    name: row.name,
                    vendor: row.vendor,
                    endpoint: row.endpoint,
                    sandbox: false,
                    places: Vec::new(),
                })
            })
            .collect::<Result<Vec<Row>, DirectoryError>>()?;
        for i in raw.sandboxes {
            rows.get_mut(i).ok_or(DirectoryError::Sandbox(i))?.sandbox = true;
        }
        Ok(Document {
            vendors: raw.vendors,
            rows,
        })
    }
}

impl<'de> Deserialize<'de> for RawRow {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<RawRow, D::Error> {
        deserializer.deserialize_seq(RowVisitor)
    }
}

/// Reads a row in place: 31,000 of them through serde's untagged enums would buffer each.
struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = RawRow;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("[name, vendor, part] or [name, vendor, fhir_base, authorize, token]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawRow, A::Error> {
        let name: String = next(&mut seq, 0, &self)?;
        let vendor: usize = next(&mut seq, 1, &self)?;
        let first: String = next(&mut seq, 2, &self)?;
        let endpoint = match seq.next_element::<Option<String>>()? {
            None => Endpoint::Templated(first),
            Some(authorize) => {
                let token: Option<String> = next(&mut seq, 4, &self)?;
                Endpoint::Literal {
                    fhir_base: first,
                    authorize,
                    token,
                }
            }
        };
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(6, &self));
        }
        Ok(RawRow {
            name,
            vendor,
            endpoint,
        })
    }
}

fn next<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    index: usize,
    expected: &RowVisitor,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(index, expected))
}
