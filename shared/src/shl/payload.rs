//! The `shlink:/` URI: [`ShareLinkPayload`], its [`Flags`], and the unguessable [`LinkId`]
//! that names a link on the server.
//!
//! Writing is exact: minified JSON in the key order of the standard's examples, base64url
//! without padding, flags in alphabetical order. Reading is tolerant, as the standard asks:
//! a bare `shlink:/…` or any URL with `#shlink:/…`, surrounding whitespace, any padding,
//! unknown properties and unknown flag letters are all accepted. What would make the link
//! unusable or unsafe to follow is refused, each reason with its own [`PayloadError`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::key::{LENIENT_BASE64URL, LinkKey, LinkKeyError};

/// The URI scheme and the separator that starts the payload.
pub const SHLINK_PREFIX: &str = "shlink:/";
/// The highest payload version (`v`) this reader understands.
pub const SUPPORTED_VERSION: u32 = 1;
/// The standard's limit on `label`, in characters.
pub const MAX_LABEL_CHARS: usize = 80;
/// The standard's limit on `url`, in characters. Only writers are bound by it: a link from
/// elsewhere with a longer URL still works, so the reader does not refuse it.
pub const MAX_URL_CHARS: usize = 128;

/// What a `shlink:/` URI says: where the files are, the key to open them, and how to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLinkPayload {
    /// The manifest URL, or the single file's URL when [`Flags::direct_file`] is set.
    pub url: String,
    pub key: LinkKey,
    /// Expiry in epoch seconds. Only a hint for the receiver (the server enforces the real
    /// expiry), so a value that is not a JSON number is read as absent rather than guessed
    /// at: the standard's own example writes a string of milliseconds.
    pub exp: Option<i64>,
    pub flags: Flags,
    /// A short description to show before fetching, at most [`MAX_LABEL_CHARS`] characters.
    pub label: Option<String>,
    /// The payload version; absent means 1.
    pub v: Option<u32>,
}

/// The payload's `flag` letters. Receivers must honour `P` and `U`; `L` may be ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// `L`: the files may change, so the receiver may poll the manifest again.
    pub long_term: bool,
    /// `P`: the manifest request needs a passcode the receiver asks the user for.
    pub passcode: bool,
    /// `U`: `url` is one encrypted file, fetched with `GET`, with no manifest.
    pub direct_file: bool,
}

/// Why a text is not a usable share link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("there is no `shlink:/` link in this text")]
    NoShareLink,
    #[error("the link's payload is not base64url")]
    NotBase64Url,
    #[error("the link's payload is not JSON: {0}")]
    NotJson(String),
    #[error("the link's payload is JSON but not an object")]
    NotAnObject,
    #[error("the link has no `{0}`")]
    MissingField(&'static str),
    #[error("the link's `{field}` is not {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("the link's key is unusable: {0}")]
    Key(#[from] LinkKeyError),
    #[error("the link's label has {found} characters; at most {MAX_LABEL_CHARS} are allowed")]
    LabelTooLong { found: usize },
    #[error(
        "the link asks for a passcode (P) and is a direct file link (U); the standard forbids \
         that combination"
    )]
    PasscodeWithDirectFile,
    /// Shown to the user as "update the app": the standard says not to fetch such a link.
    #[error(
        "this link uses SMART Health Links version {found}; this app reads up to version \
         {SUPPORTED_VERSION}"
    )]
    UnsupportedVersion { found: u64 },
}

impl Flags {
    /// Reads a `flag` string. Letters other than `L`, `P` and `U` are ignored, as the
    /// standard requires of receivers; order and repetition do not matter.
    pub fn from_letters(letters: &str) -> Self {
        Self {
            long_term: letters.contains('L'),
            passcode: letters.contains('P'),
            direct_file: letters.contains('U'),
        }
    }

    /// The `flag` string: the set letters in alphabetical order, empty when none is set.
    pub fn to_letters(self) -> String {
        [
            (self.long_term, 'L'),
            (self.passcode, 'P'),
            (self.direct_file, 'U'),
        ]
        .into_iter()
        .filter_map(|(set, letter)| set.then_some(letter))
        .collect()
    }

    pub fn is_empty(self) -> bool {
        self == Self::default()
    }
}

/// The payload on the wire, fields in the order of the standard's examples (`url`, `flag`,
/// `key`, `exp`, `label`, `v`), so an encoding can be compared byte for byte with them.
#[derive(Serialize)]
struct WirePayload<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    flag: Option<String>,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<u32>,
}

impl ShareLinkPayload {
    /// The bare link, `shlink:/` followed by the base64url of the minified payload JSON.
    /// Writers should [`check`](Self::check) the payload first.
    pub fn encode(&self) -> String {
        let key = self.key.to_base64url();
        let wire = WirePayload {
            url: &self.url,
            flag: (!self.flags.is_empty()).then(|| self.flags.to_letters()),
            key: &key,
            exp: self.exp,
            label: self.label.as_deref(),
            v: self.v,
        };
        let json = Zeroizing::new(
            serde_json::to_vec(&wire).expect("a struct of strings and integers serializes"),
        );
        format!("{SHLINK_PREFIX}{}", URL_SAFE_NO_PAD.encode(json.as_slice()))
    }

    /// The link behind a viewer, `{viewer}#shlink:/…`: any phone camera opens it, and the
    /// payload (with the key) stays in the fragment, which browsers never send to the
    /// viewer's server.
    pub fn viewer_url(&self, viewer: &str) -> String {
        format!("{}#{}", viewer.trim_end_matches('#'), self.encode())
    }

    /// Reads a link as scanned or pasted: a bare `shlink:/…`, or any URL containing
    /// `#shlink:/…`, with surrounding whitespace and any padding.
    pub fn parse(text: &str) -> Result<Self, PayloadError> {
        let encoded = payload_part(text)?;
        let json = Zeroizing::new(
            LENIENT_BASE64URL
                .decode(encoded.trim_end_matches('='))
                .map_err(|_| PayloadError::NotBase64Url)?,
        );
        Self::from_json(&json)
    }

    /// Reads the decoded payload JSON. Unknown properties are ignored.
    pub fn from_json(json: &[u8]) -> Result<Self, PayloadError> {
        let value: Value =
            serde_json::from_slice(json).map_err(|e| PayloadError::NotJson(e.to_string()))?;
        let Value::Object(fields) = value else {
            return Err(PayloadError::NotAnObject);
        };
        // The version first: a newer version may change what the other fields mean, so the
        // user should hear "update the app", not a complaint about some field.
        let v = version(&fields)?;
        let url = match present(&fields, "url") {
            None => return Err(PayloadError::MissingField("url")),
            Some(Value::String(url)) if url.is_empty() => {
                return Err(PayloadError::MissingField("url"));
            }
            Some(Value::String(url)) => url.clone(),
            Some(_) => return Err(wrong_type("url", "a string")),
        };
        let key = match present(&fields, "key") {
            None => return Err(PayloadError::MissingField("key")),
            Some(Value::String(key)) => LinkKey::from_base64url(key)?,
            Some(_) => return Err(wrong_type("key", "a string")),
        };
        let flags = match present(&fields, "flag") {
            None => Flags::default(),
            Some(Value::String(letters)) => Flags::from_letters(letters),
            Some(_) => return Err(wrong_type("flag", "a string")),
        };
        let label = match present(&fields, "label") {
            None => None,
            Some(Value::String(label)) => Some(label.clone()),
            Some(_) => return Err(wrong_type("label", "a string")),
        };
        let exp = present(&fields, "exp").and_then(epoch_seconds);
        let payload = Self {
            url,
            key,
            exp,
            flags,
            label,
            v,
        };
        payload.check()?;
        Ok(payload)
    }

    /// The rules a payload must meet whoever wrote it: a label within
    /// [`MAX_LABEL_CHARS`], not both `P` and `U`, and a version this reader knows.
    pub fn check(&self) -> Result<(), PayloadError> {
        if let Some(found) = self.v.filter(|&v| v > SUPPORTED_VERSION) {
            return Err(PayloadError::UnsupportedVersion {
                found: found.into(),
            });
        }
        if let Some(found) = self
            .label
            .as_deref()
            .map(|label| label.chars().count())
            .filter(|&count| count > MAX_LABEL_CHARS)
        {
            return Err(PayloadError::LabelTooLong { found });
        }
        if self.flags.passcode && self.flags.direct_file {
            return Err(PayloadError::PasscodeWithDirectFile);
        }
        Ok(())
    }

    /// True when the link carries an expiry that is before `now` (epoch seconds). The
    /// receiver tells the user before fetching; the server has the final word.
    pub fn is_expired_at(&self, now: i64) -> bool {
        self.exp.is_some_and(|exp| exp < now)
    }
}

/// The base64url part of a link: after a leading `shlink:/`, or after `#shlink:/` in a
/// viewer URL. The scheme is matched without regard to case, as URI schemes are.
fn payload_part(text: &str) -> Result<&str, PayloadError> {
    let text = text.trim();
    // ASCII lowercasing keeps every byte offset, so offsets found here index `text`.
    let lowered = text.to_ascii_lowercase();
    let start = if lowered.starts_with(SHLINK_PREFIX) {
        SHLINK_PREFIX.len()
    } else if let Some(hash) = lowered.find(&format!("#{SHLINK_PREFIX}")) {
        hash + 1 + SHLINK_PREFIX.len()
    } else {
        return Err(PayloadError::NoShareLink);
    };
    Ok(&text[start..])
}

/// A property's value, with `null` read as absent.
fn present<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|value| !value.is_null())
}

fn wrong_type(field: &'static str, expected: &'static str) -> PayloadError {
    PayloadError::WrongType { field, expected }
}

fn version(fields: &Map<String, Value>) -> Result<Option<u32>, PayloadError> {
    let Some(value) = present(fields, "v") else {
        return Ok(None);
    };
    match value.as_u64() {
        Some(0) | None => Err(wrong_type("v", "a positive integer")),
        Some(found) if found > u64::from(SUPPORTED_VERSION) => {
            Err(PayloadError::UnsupportedVersion { found })
        }
        Some(v) => Ok(Some(
            u32::try_from(v).expect("a version up to SUPPORTED_VERSION fits in u32"),
        )),
    }
}

/// `exp` as whole epoch seconds; a fractional number is truncated, anything that is not a
/// number in range is no hint at all.
fn epoch_seconds(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|seconds| seconds.is_finite())
            // `as` saturates: a number past the i64 range is a far past or future, which
            // is what it says.
            .map(|seconds| seconds.trunc() as i64)
    })
}

/// The unguessable id of one link on the server: 32 random bytes as 43 base64url
/// characters, one path segment of the manifest (or direct file) URL. The standard asks for
/// at least 256 bits of entropy in `url`, and this id alone carries them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LinkId(String);

/// Length of a [`LinkId`] in characters.
pub const LINK_ID_CHARS: usize = 43;

impl LinkId {
    /// A fresh id from the operating system's (or browser's) random source. It is
    /// independent of the link's key: knowing one tells nothing about the other.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only what [`generate`](Self::generate) makes: 43 base64url characters
    /// encoding 32 bytes. Servers use it to turn away malformed ids before any lookup.
    pub fn parse(text: &str) -> Option<Self> {
        let decodes = URL_SAFE_NO_PAD
            .decode(text)
            .is_ok_and(|bytes| bytes.len() == 32);
        (text.len() == LINK_ID_CHARS && decodes).then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The link's URL under `base` (for example `https://folio.example/shl`), joined with
    /// exactly one `/`. Keep `base` within [`MAX_URL_CHARS`] − 44 characters so the URL
    /// stays within the standard's limit.
    pub fn url(&self, base: &str) -> String {
        format!("{}/{}", base.trim_end_matches('/'), self.0)
    }
}

/// Shows only the first characters: the id is a capability, and logs should not hold it.
impl std::fmt::Debug for LinkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LinkId({}…)", &self.0[..6])
    }
}
