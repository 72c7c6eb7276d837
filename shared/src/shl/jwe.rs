//! The encrypted files of a share link: JWE compact serialization with `alg: dir` and
//! `enc: A256GCM`, optionally `zip: DEF`, as the SMART Health Links standard fixes them.
//!
//! `BASE64URL(header) . "" . BASE64URL(iv) . BASE64URL(ciphertext) . BASE64URL(tag)`: the
//! encrypted-key part is empty because the link key is the content key, the IV is 96 random
//! bits drawn for every encryption (all files under a link share its key, and a repeated
//! GCM nonce would break both secrecy and integrity), and the additional authenticated data
//! is the ASCII of the header part exactly as received (RFC 7516 §5.1 step 14).
//!
//! Writing always sets `cty`, because a direct-file (`U`) link has no manifest to say what
//! the file is. Compression is the caller's choice and off is the better default: several
//! receivers in the field cannot inflate. Reading accepts extra header members (the
//! standard's own IPS example carries a stray `kid` and no `cty`), always inflates `DEF`,
//! and bounds what it inflates, so a small file cannot expand into a memory exhaustion.
//! Segments are decoded strictly (no padding, no stray trailing bits): two different texts
//! never decode to the same bytes, so any change to a file is an error, never a silent
//! success.

use std::fmt;
use std::io::{Read, Write};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::key::LinkKey;

/// The largest plaintext [`decrypt`] produces unless told otherwise: far above any health
/// record a link carries, far below what would exhaust a phone's memory.
pub const DEFAULT_MAX_PLAINTEXT_BYTES: usize = 64 * 1024 * 1024;

const ALG_DIR: &str = "dir";
const ENC_A256GCM: &str = "A256GCM";
const ZIP_DEFLATE: &str = "DEF";
const IV_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// A decrypted file and what its header says it is.
#[derive(Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The header's `cty`. Absent in some published files; then
    /// [`sniff_content_type`](super::manifest::sniff_content_type) the JSON.
    pub content_type: Option<String>,
    pub plaintext: Vec<u8>,
}

/// The parts of a compact JWE, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwePart {
    ProtectedHeader,
    Iv,
    Ciphertext,
    Tag,
}

/// Why a file could not be decrypted. Each variant tells a different story: a file that is
/// not a JWE, one made with algorithms a share link does not use, the wrong key or an
/// altered file, or a file too large to open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    #[error("a compact JWE has 5 parts separated by dots; this has {found}")]
    WrongPartCount { found: usize },
    #[error("the JWE's {part} is not unpadded base64url")]
    NotBase64Url { part: JwePart },
    #[error("the JWE's protected header is not UTF-8")]
    HeaderNotUtf8,
    #[error("the JWE's protected header is not a JSON object")]
    HeaderNotJson,
    #[error("the JWE's protected header has no string `{0}`")]
    MissingHeader(&'static str),
    #[error("key management `{0}` is not supported: share links use `dir`")]
    UnsupportedAlgorithm(String),
    #[error("content encryption `{0}` is not supported: share links use `A256GCM`")]
    UnsupportedEncryption(String),
    #[error("compression `{0}` is not supported: share links use `DEF`")]
    UnsupportedCompression(String),
    /// RFC 7515 §4.1.11: a reader must refuse a token whose critical members it does not
    /// implement, and this reader implements none.
    #[error("the JWE marks header members as critical that this reader does not know: {0:?}")]
    UnsupportedCritical(Vec<String>),
    #[error("with `dir` the JWE's encrypted-key part must be empty")]
    EncryptedKeyNotEmpty,
    #[error("the JWE's IV is {found} bytes; A256GCM uses {IV_BYTES}")]
    WrongIvLength { found: usize },
    #[error("the JWE's tag is {found} bytes; A256GCM uses {TAG_BYTES}")]
    WrongTagLength { found: usize },
    #[error("the file does not decrypt with this link's key: wrong key, or altered on the way")]
    WrongKeyOrTampered,
    #[error("the file says it is compressed (`zip: DEF`) but is not raw DEFLATE")]
    NotDeflate,
    #[error("the file is larger than {limit} bytes once decrypted")]
    TooLarge { limit: usize },
    #[error("the decrypted file is not UTF-8 text")]
    PlaintextNotUtf8,
    #[error("the decrypted file is not JSON")]
    PlaintextNotJson,
}

/// The protected header as written: members in a fixed order, `zip` only when compressed.
#[derive(Serialize)]
struct WrittenHeader<'a> {
    alg: &'static str,
    enc: &'static str,
    cty: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    zip: Option<&'static str>,
}

/// Encrypts one file under a link's key.
///
/// # Panics
///
/// When `plaintext` is beyond AES-GCM's limit of 64 GiB, or the system has no random source.
pub fn encrypt(key: &LinkKey, content_type: &str, plaintext: &[u8], compress: bool) -> String {
    let header = WrittenHeader {
        alg: ALG_DIR,
        enc: ENC_A256GCM,
        cty: content_type,
        zip: compress.then_some(ZIP_DEFLATE),
    };
    let header = URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&header).expect("a struct of strings serializes to JSON"));
    // Encrypted in place, so the buffer holds plaintext only until `encrypt_in_place`.
    let mut buffer = if compress {
        deflate(plaintext)
    } else {
        plaintext.to_vec()
    };
    let mut iv = [0u8; IV_BYTES];
    OsRng.fill_bytes(&mut iv);
    let tag = Aes256Gcm::new(key.as_bytes().into())
        .encrypt_in_place_detached(Nonce::from_slice(&iv), header.as_bytes(), &mut buffer)
        .expect("a file within AES-GCM's 64 GiB limit encrypts");
    format!(
        "{header}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(&buffer),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Decrypts one file, producing at most [`DEFAULT_MAX_PLAINTEXT_BYTES`].
pub fn decrypt(key: &LinkKey, compact: &str) -> Result<Decrypted, JweError> {
    decrypt_with_limit(key, compact, DEFAULT_MAX_PLAINTEXT_BYTES)
}

/// Decrypts one file, refusing with [`JweError::TooLarge`] a plaintext, inflated or not,
/// longer than `max_plaintext_bytes`. Surrounding whitespace (a trailing newline from a
/// file or an HTTP body) is ignored.
pub fn decrypt_with_limit(
    key: &LinkKey,
    compact: &str,
    max_plaintext_bytes: usize,
) -> Result<Decrypted, JweError> {
    let parts: Vec<&str> = compact.trim().split('.').collect();
    let &[header_part, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return Err(JweError::WrongPartCount { found: parts.len() });
    };
    let header = read_header(header_part)?;
    if !encrypted_key.is_empty() {
        return Err(JweError::EncryptedKeyNotEmpty);
    }
    let iv = decode(iv, JwePart::Iv)?;
    if iv.len() != IV_BYTES {
        return Err(JweError::WrongIvLength { found: iv.len() });
    }
    let tag = decode(tag, JwePart::Tag)?;
    if tag.len() != TAG_BYTES {
        return Err(JweError::WrongTagLength { found: tag.len() });
    }
    let mut buffer = Zeroizing::new(decode(ciphertext, JwePart::Ciphertext)?);
    // Without compression the plaintext is as long as the ciphertext: refuse before work.
    if !header.compressed && buffer.len() > max_plaintext_bytes {
        return Err(JweError::TooLarge {
            limit: max_plaintext_bytes,
        });
    }
    Aes256Gcm::new(key.as_bytes().into())
        .decrypt_in_place_detached(
            Nonce::from_slice(&iv),
            header_part.as_bytes(),
            &mut buffer,
            Tag::from_slice(&tag),
        )
        .map_err(|_| JweError::WrongKeyOrTampered)?;
    let plaintext = if header.compressed {
        inflate(&buffer, max_plaintext_bytes)?
    } else {
        std::mem::take(&mut *buffer)
    };
    Ok(Decrypted {
        content_type: header.content_type,
        plaintext,
    })
}

impl Decrypted {
    pub fn text(&self) -> Result<&str, JweError> {
        std::str::from_utf8(&self.plaintext).map_err(|_| JweError::PlaintextNotUtf8)
    }

    pub fn json(&self) -> Result<Value, JweError> {
        serde_json::from_str(self.text()?).map_err(|_| JweError::PlaintextNotJson)
    }
}

/// Shows the size, never the contents: the plaintext is someone's health record.
impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field("content_type", &self.content_type)
            .field("plaintext_bytes", &self.plaintext.len())
            .finish()
    }
}

impl fmt::Display for JwePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ProtectedHeader => "protected header",
            Self::Iv => "IV",
            Self::Ciphertext => "ciphertext",
            Self::Tag => "tag",
        })
    }
}

/// What the reader needs from a protected header; other members are ignored.
struct ReadHeader {
    content_type: Option<String>,
    compressed: bool,
}

fn read_header(part: &str) -> Result<ReadHeader, JweError> {
    let bytes = decode(part, JwePart::ProtectedHeader)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| JweError::HeaderNotUtf8)?;
    let Ok(Value::Object(members)) = serde_json::from_str::<Value>(text) else {
        return Err(JweError::HeaderNotJson);
    };
    let alg = string_member(&members, "alg")?;
    if alg != ALG_DIR {
        return Err(JweError::UnsupportedAlgorithm(alg.to_owned()));
    }
    let enc = string_member(&members, "enc")?;
    if enc != ENC_A256GCM {
        return Err(JweError::UnsupportedEncryption(enc.to_owned()));
    }
    if let Some(critical) = members.get("crit") {
        let names = match critical {
            Value::Array(names) => names
                .iter()
                .map(|name| name.as_str().unwrap_or("<not a string>").to_owned())
                .collect(),
            other => vec![other.to_string()],
        };
        return Err(JweError::UnsupportedCritical(names));
    }
    let compressed = match members.get("zip") {
        None => false,
        Some(Value::String(zip)) if zip == ZIP_DEFLATE => true,
        Some(Value::String(zip)) => return Err(JweError::UnsupportedCompression(zip.clone())),
        Some(other) => return Err(JweError::UnsupportedCompression(other.to_string())),
    };
    Ok(ReadHeader {
        content_type: members
            .get("cty")
            .and_then(Value::as_str)
            .map(str::to_owned),
        compressed,
    })
}

fn string_member<'a>(
    members: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, JweError> {
    members
        .get(name)
        .and_then(Value::as_str)
        .ok_or(JweError::MissingHeader(name))
}

fn decode(text: &str, part: JwePart) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JweError::NotBase64Url { part })
}

/// Raw DEFLATE (RFC 1951: no zlib or gzip wrapper), as `zip: DEF` means.
fn deflate(plaintext: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(plaintext)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// Inflates at most `limit` bytes. Partial output is zeroized on every failure.
fn inflate(compressed: &[u8], limit: usize) -> Result<Vec<u8>, JweError> {
    let mut plaintext = Zeroizing::new(Vec::new());
    let budget = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    DeflateDecoder::new(compressed)
        .take(budget)
        .read_to_end(&mut plaintext)
        .map_err(|_| JweError::NotDeflate)?;
    if plaintext.len() > limit {
        return Err(JweError::TooLarge { limit });
    }
    Ok(std::mem::take(&mut *plaintext))
}
