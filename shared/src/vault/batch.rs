//! The plaintext inside a segment's age file: a compressed batch of entries, under a small
//! header that repeats the envelope's version, vault id and epoch where they are
//! authenticated.
//!
//! Layout, integers big-endian: version (1), vault id (16), epoch (4), codec (1),
//! uncompressed length (4), then the compressed body. The body is one JSON document,
//! `{"entries":[…],"sources":[…]}`: each entry names its [`Source`] by index, because one
//! import shares one source across thousands of resources, and parsing it once per batch
//! rather than once per entry is a large part of opening fast. `at` is written as
//! `[seconds, nanoseconds]`, exact and cheaper to parse than RFC 3339.
//!
//! The codec is block LZ4 (`lz4_flex`, pure Rust, so it runs in WASM). On the largest
//! Synthea bundle (1.4 MB as compact JSON; `benches/vault.rs` prints these figures) LZ4
//! stored 0.107 of the JSON, compressed in 1.3 ms and decompressed in 0.4 ms; DEFLATE
//! (`miniz_oxide`) stored 0.067 at level 6 but took 18-23 ms to compress and 1.1 ms to
//! decompress. Both sizes are far under the goal of 0.35, so the faster codec wins:
//! sealing runs on phones, in WASM, on every import.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::keys::KeyEpoch;
use crate::record::{EntryId, Source};

use super::envelope::ENVELOPE_VERSION;
use super::error::SegmentError;
use super::id::VaultId;
use super::seal::MAX_PLAINTEXT_BYTES;

const CODEC_LZ4_BLOCK: u8 = 1;
const HEADER_LEN: usize = 1 + 16 + 4 + 1 + 4;
const BODY_START: &[u8] = b"{\"entries\":[";

/// An entry to be sealed, borrowed from an [`Entry`](crate::record::Entry) or from
/// [`VaultContents`](super::VaultContents) when compacting.
#[derive(Clone, Copy)]
pub(crate) enum EntryView<'a> {
    Put {
        id: &'a EntryId,
        at: DateTime<Utc>,
        resource: &'a Value,
        source: &'a Source,
    },
    /// A put whose resource is JSON already: compact, as `serde_json` writes a [`Value`],
    /// or as an importer wrote it while reading the file (keys in the file's order, a
    /// repeated key as often as the file repeats it: a reader keeps the last, as parsing
    /// the file did). An importer writes or serializes each resource as it makes it, so
    /// that it need not hold every resource's tree until the batch is sealed.
    PutJson {
        id: &'a EntryId,
        at: DateTime<Utc>,
        resource: &'a [u8],
        source: &'a Source,
    },
    Delete {
        id: &'a EntryId,
        at: DateTime<Utc>,
    },
}

impl EntryView<'_> {
    pub(crate) fn id(&self) -> &EntryId {
        match self {
            EntryView::Put { id, .. }
            | EntryView::PutJson { id, .. }
            | EntryView::Delete { id, .. } => id,
        }
    }
}

/// An entry read back from a batch. Entries of one source share it.
pub(crate) struct DecodedEntry {
    pub(crate) id: EntryId,
    pub(crate) at: DateTime<Utc>,
    pub(crate) put: Option<(Value, Arc<Source>)>,
}

#[derive(Serialize)]
struct WireEntryOut<'a> {
    id: &'a EntryId,
    at: (i64, u32),
    /// Present for a put (the source's index), absent for a delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a Value>,
}

/// A batch as read: `R` is the resource as parsed (a [`Value`]), or held unparsed
/// (`Option<&RawValue>`) when only some entries will be parsed.
#[derive(Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de> + Default"))]
struct WireBatch<R> {
    entries: Vec<WireEntryIn<R>>,
    sources: Vec<Source>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "R: Deserialize<'de> + Default"))]
struct WireEntryIn<R> {
    id: EntryId,
    at: (i64, u32),
    #[serde(default)]
    source: Option<usize>,
    #[serde(default)]
    resource: R,
}

/// Builds the JSON body of one batch entry by entry, so the sealer can watch its size.
pub(crate) struct BatchWriter {
    body: Vec<u8>,
    entries: usize,
    /// Each distinct source, serialized, in order of first use.
    sources: Vec<String>,
    sources_len: usize,
    source_index: HashMap<String, usize>,
    /// The last source looked up and its index: an import's entries share one source,
    /// which need not be serialized again for each.
    last_source: Option<(Source, usize)>,
}

/// A point to roll a [`BatchWriter`] back to.
pub(crate) struct Checkpoint {
    body: usize,
    entries: usize,
    sources: usize,
}

impl BatchWriter {
    pub(crate) fn new() -> Self {
        Self {
            body: BODY_START.to_vec(),
            entries: 0,
            sources: Vec::new(),
            sources_len: 0,
            source_index: HashMap::new(),
            last_source: None,
        }
    }

    /// The uncompressed size of the batch if it were finished now, give or take a few
    /// bytes of punctuation.
    pub(crate) fn len(&self) -> usize {
        self.body.len() + self.sources_len + 16
    }

    pub(crate) fn entries(&self) -> usize {
        self.entries
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            body: self.body.len(),
            entries: self.entries,
            sources: self.sources.len(),
        }
    }

    pub(crate) fn rollback(&mut self, to: Checkpoint) {
        self.body.truncate(to.body);
        self.entries = to.entries;
        self.last_source = None;
        for source in self.sources.drain(to.sources..) {
            self.sources_len -= source.len() + 1;
            self.source_index.remove(&source);
        }
    }

    pub(crate) fn push(&mut self, entry: EntryView<'_>) {
        if self.entries > 0 {
            self.body.push(b',');
        }
        self.entries += 1;
        let wire = match entry {
            EntryView::Put {
                id,
                at,
                resource,
                source,
            } => WireEntryOut {
                id,
                at: wire_time(at),
                source: Some(self.source_index(source)),
                resource: Some(resource),
            },
            EntryView::PutJson {
                id,
                at,
                resource,
                source,
            } => {
                let head = WireEntryOut {
                    id,
                    at: wire_time(at),
                    source: Some(self.source_index(source)),
                    resource: None,
                };
                // The entry without its resource, then the resource spliced in as the
                // last field, where serializing the whole entry would have written it.
                serde_json::to_writer(&mut self.body, &head).expect("entries serialize to a Vec");
                self.body.pop();
                self.body.extend_from_slice(b",\"resource\":");
                self.body.extend_from_slice(resource);
                self.body.push(b'}');
                return;
            }
            EntryView::Delete { id, at } => WireEntryOut {
                id,
                at: wire_time(at),
                source: None,
                resource: None,
            },
        };
        serde_json::to_writer(&mut self.body, &wire).expect("entries serialize to a Vec");
    }

    fn source_index(&mut self, source: &Source) -> usize {
        if let Some((last, index)) = &self.last_source
            && last == source
        {
            return *index;
        }
        let json = serde_json::to_string(source).expect("sources serialize to a String");
        let index = match self.source_index.get(&json) {
            Some(&index) => index,
            None => {
                let index = self.sources.len();
                self.sources_len += json.len() + 1;
                self.source_index.insert(json.clone(), index);
                self.sources.push(json);
                index
            }
        };
        self.last_source = Some((source.clone(), index));
        index
    }

    /// The finished JSON body, uncompressed.
    pub(crate) fn into_body(mut self) -> Vec<u8> {
        self.body.extend_from_slice(b"],\"sources\":[");
        for (index, source) in self.sources.iter().enumerate() {
            if index > 0 {
                self.body.push(b',');
            }
            self.body.extend_from_slice(source.as_bytes());
        }
        self.body.extend_from_slice(b"]}");
        self.body
    }
}

fn wire_time(at: DateTime<Utc>) -> (i64, u32) {
    (at.timestamp(), at.timestamp_subsec_nanos())
}

/// Compresses a finished body.
pub(crate) fn compress(body: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress(body)
}

/// The plaintext an age file seals: header, then the compressed body.
pub(crate) fn plaintext(
    vault: VaultId,
    epoch: KeyEpoch,
    body_len: usize,
    compressed: &[u8],
) -> Vec<u8> {
    let body_len = u32::try_from(body_len).expect("bodies are bounded by MAX_PLAINTEXT_BYTES");
    let mut out = Vec::with_capacity(HEADER_LEN + compressed.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(vault.0.as_bytes());
    out.extend_from_slice(&epoch.0.to_be_bytes());
    out.push(CODEC_LZ4_BLOCK);
    out.extend_from_slice(&body_len.to_be_bytes());
    out.extend_from_slice(compressed);
    out
}

/// Reads a decrypted plaintext, checking it against the envelope header it came under.
pub(crate) fn decode(
    plaintext: &[u8],
    vault: VaultId,
    epoch: KeyEpoch,
) -> Result<Vec<DecodedEntry>, SegmentError> {
    let body = body(plaintext, vault, epoch)?;
    let batch: WireBatch<Value> = serde_json::from_slice(&body).map_err(batch_json)?;
    entries(batch, |_, resource| Ok(Some(resource)))
}

/// [`decode`], keeping only the entries whose id `wanted` accepts. The others' resources
/// are checked to be JSON but not parsed into trees, which is most of the time a record
/// takes to open: a page that reads a few kinds of resource can leave the rest alone.
pub(crate) fn decode_where(
    plaintext: &[u8],
    vault: VaultId,
    epoch: KeyEpoch,
    wanted: &dyn Fn(&EntryId) -> bool,
) -> Result<Vec<DecodedEntry>, SegmentError> {
    let body = body(plaintext, vault, epoch)?;
    let batch: WireBatch<Option<&RawValue>> = serde_json::from_slice(&body).map_err(batch_json)?;
    entries(batch, |id, resource| {
        if !wanted(id) {
            return Ok(None);
        }
        match resource {
            Some(raw) => serde_json::from_str(raw.get())
                .map(Some)
                .map_err(batch_json),
            None => Ok(Some(Value::Null)),
        }
    })
}

fn batch_json(error: serde_json::Error) -> SegmentError {
    SegmentError::Malformed(format!("batch JSON: {error}"))
}

/// The uncompressed body of a plaintext, once its header matches the envelope's.
fn body(plaintext: &[u8], vault: VaultId, epoch: KeyEpoch) -> Result<Vec<u8>, SegmentError> {
    let malformed = |what: &str| SegmentError::Malformed(what.to_owned());
    let header = plaintext
        .get(..HEADER_LEN)
        .ok_or_else(|| malformed("shorter than its header"))?;
    if header[0] != ENVELOPE_VERSION {
        return Err(malformed("the sealed version differs from the header's"));
    }
    let sealed_vault = VaultId(uuid::Uuid::from_bytes(
        header[1..17].try_into().expect("16 bytes"),
    ));
    if sealed_vault != vault {
        return Err(SegmentError::ForeignVault {
            expected: vault,
            found: sealed_vault,
        });
    }
    let sealed_epoch = KeyEpoch(u32::from_be_bytes(
        header[17..21].try_into().expect("4 bytes"),
    ));
    if sealed_epoch != epoch {
        return Err(SegmentError::EpochMismatch {
            header: epoch,
            sealed: sealed_epoch,
        });
    }
    if header[21] != CODEC_LZ4_BLOCK {
        return Err(malformed("unknown compression codec"));
    }
    let body_len = u32::from_be_bytes(header[22..26].try_into().expect("4 bytes")) as usize;
    // Anyone holding the public vault recipient can seal a segment, so the declared size
    // is bounded before anything is allocated for it.
    if body_len > MAX_PLAINTEXT_BYTES {
        return Err(malformed("declares a body larger than a segment may hold"));
    }
    let mut body = vec![0; body_len];
    let written = lz4_flex::block::decompress_into(&plaintext[HEADER_LEN..], &mut body)
        .map_err(|error| SegmentError::Malformed(format!("LZ4: {error}")))?;
    if written != body_len {
        return Err(malformed("body shorter than declared"));
    }
    Ok(body)
}

/// The entries of a batch, each resource made a [`Value`] by `resource`, which returns
/// `None` for an entry to leave out.
fn entries<R>(
    batch: WireBatch<R>,
    mut resource: impl FnMut(&EntryId, R) -> Result<Option<Value>, SegmentError>,
) -> Result<Vec<DecodedEntry>, SegmentError> {
    let malformed = |what: &str| SegmentError::Malformed(what.to_owned());
    let sources: Vec<Arc<Source>> = batch.sources.into_iter().map(Arc::new).collect();
    let mut entries = Vec::with_capacity(batch.entries.len());
    for wire in batch.entries {
        let Some(value) = resource(&wire.id, wire.resource)? else {
            continue;
        };
        let at = DateTime::from_timestamp(wire.at.0, wire.at.1)
            .ok_or_else(|| malformed("entry time out of range"))?;
        let put = match wire.source {
            Some(index) => {
                let source = sources
                    .get(index)
                    .ok_or_else(|| malformed("entry names a missing source"))?;
                Some((value, Arc::clone(source)))
            }
            None if value.is_null() => None,
            None => return Err(malformed("a delete carries a resource")),
        };
        entries.push(DecodedEntry {
            id: wire.id,
            at,
            put,
        });
    }
    Ok(entries)
}
