//! The first pass over a FHIR JSON file: its outline, the little of it that decides which
//! resources it holds, without building a tree of the whole file.
//!
//! A Bundle's references may point forward, to entries not read yet, and their new ids
//! depend on the target's `resourceType` (see [`super::identity`]), so the importer must
//! know every entry's fullUrl and type before it rewrites the first resource. The outline
//! gives it that from one skim, with where each resource's text is; the importer then takes
//! one resource at a time from its text, so a 4 MB Bundle never exists as one 30 MB tree.
//!
//! **Same answers as parsing the whole file.** The skim validates exactly what parsing into
//! a [`Value`] does (it uses `deserialize_any` throughout, never `IgnoredAny`: strings are
//! decoded, so a lone surrogate fails here as it does there, and numbers are range-checked),
//! so the same files fail with the same serde errors, at the same line and column. Where an
//! object repeats a key, [`Value`] keeps the last; the outline keeps the last value and
//! counts the repeats, so the second pass can find the same one.

use super::detect::ImportFormat;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A JSON value in a place that should hold a resource: the top level, or an entry's
/// `resource`.
#[derive(Debug)]
pub(crate) enum ResourceOutline {
    Object(ObjectOutline),
    Array,
    /// A string, number, boolean or null.
    Scalar,
}

/// What an object in a resource's place holds, as far as importing it needs.
#[derive(Debug, Default)]
pub(crate) struct ObjectOutline {
    /// The last `resourceType` value.
    pub resource_type: Option<Value>,
    /// Top-level keys that tell other JSON formats from FHIR (see `not_fhir_reason`).
    pub keys: KeyFlags,
    /// The last `link` value: a searchset's paging links, if this is a Bundle.
    pub link: Option<Value>,
    /// The last `entry` value, if this is a Bundle.
    pub entry: Option<EntriesOutline>,
    /// Whether the last `id` is a string: the resource's new id then derives from it, or
    /// from its fullUrl, never from its content (see [`super::identity`]).
    pub string_id: bool,
    /// Where the object's first key is (its opening quote), in the text the outline was
    /// read from (see [`TextOutline::read`]): its text starts at the `{` before.
    pub first_key: Option<usize>,
}

/// Which telling keys an object has.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyFlags {
    pub resource_type: bool,
    /// `keys`: a JSON Web Key Set.
    pub jwks_keys: bool,
    /// `rids`: a health-card revocation list.
    pub rids: bool,
    pub kid: bool,
    /// `id`, `meta` or `entry`: keys a resource without a `resourceType` still shows.
    pub resource_like: bool,
    /// `verifiableCredential`: a health-card file.
    pub verifiable_credential: bool,
    /// `vc` and `iss`: a decoded health-card payload.
    pub vc: bool,
    pub iss: bool,
}

/// A Bundle's `entry` value.
#[derive(Debug)]
pub(crate) enum EntriesOutline {
    Array(Vec<EntryOutline>),
    /// Anything but an array (an error for a Bundle).
    NotArray,
}

/// One element of a Bundle's `entry` array.
#[derive(Debug)]
pub(crate) enum EntryOutline {
    Object(Box<EntryObject>),
    /// Anything but an object (an error).
    NotObject,
}

/// A Bundle entry that is an object.
#[derive(Debug)]
pub(crate) struct EntryObject {
    /// The last `fullUrl`, if it is a string.
    pub full_url: Option<String>,
    /// The last `resource` value.
    pub resource: Option<ResourceOutline>,
    /// The last `request` and `response`, to describe an entry without a resource.
    pub request: Option<Value>,
    pub response: Option<Value>,
}

/// A JSON text's outline, read from the text without its insignificant whitespace when
/// that is much shorter ([`super::json_compact`]); resources are then taken from the same
/// text.
#[derive(Debug)]
pub(crate) struct TextOutline {
    pub outline: ResourceOutline,
    /// The compacted text, when the outline was read from it.
    compact: Option<String>,
    /// Whether every object in a resource's place knows its [`ObjectOutline::first_key`].
    pub placed: bool,
}

impl TextOutline {
    /// The outline of a whole JSON text, with where each object in a resource's place is,
    /// or serde's error exactly as `serde_json::from_str::<Value>` reports it for `text`.
    pub(crate) fn read(text: &str) -> Result<TextOutline, serde_json::Error> {
        let compact = super::json_compact::compact(text);
        if let Ok(outline) = ResourceOutline::read_placed(compact.as_deref().unwrap_or(text)) {
            return Ok(TextOutline {
                outline,
                compact,
                placed: true,
            });
        }
        // The error's line and column are the file's, so it is read from the file. (Also
        // read so: a text where some resource's first key has escapes, which the placed
        // reading cannot place.)
        Ok(TextOutline {
            outline: ResourceOutline::read(text)?,
            compact: None,
            placed: false,
        })
    }

    /// The text the outline was read from: `original`, or its compacted copy.
    pub(crate) fn text<'t>(&'t self, original: &'t str) -> &'t str {
        self.compact.as_deref().unwrap_or(original)
    }
}

impl ResourceOutline {
    /// The outline of a whole JSON text, or serde's error, exactly as
    /// `serde_json::from_str::<Value>` would report it.
    pub(crate) fn read(text: &str) -> Result<ResourceOutline, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let outline = ResourceSeed { text: None }.deserialize(&mut de)?;
        de.end()?;
        Ok(outline)
    }

    /// [`ResourceOutline::read`], noting where each object in a resource's place is in
    /// `text`; it fails on an object whose first key has escapes, which it cannot place.
    fn read_placed(text: &str) -> Result<ResourceOutline, serde_json::Error> {
        let start = TextStart {
            base: text.as_ptr() as usize,
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let outline = ResourceSeed { text: Some(start) }.deserialize(&mut de)?;
        de.end()?;
        Ok(outline)
    }

    /// The format of a JSON file with this outline, as its top-level keys tell: a health
    /// card file or payload, or FHIR (whose importer says why, should it not be).
    pub(crate) fn json_format(&self) -> ImportFormat {
        match self {
            ResourceOutline::Object(o) if o.keys.verifiable_credential => {
                ImportFormat::SmartHealthCard
            }
            ResourceOutline::Object(o) if o.keys.vc && o.keys.iss => {
                ImportFormat::SmartHealthCardPayload
            }
            _ => ImportFormat::FhirJson,
        }
    }
}

/// The object keys the outline keeps; every other key's value is only validated.
pub(crate) enum Key {
    ResourceType,
    Link,
    Entry,
    FullUrl,
    Resource,
    Request,
    Response,
    Id,
    /// Keys that only [`KeyFlags`] need.
    Flag(fn(&mut KeyFlags)),
    Other,
}

impl Key {
    fn of(key: &str) -> Key {
        match key {
            "resourceType" => Key::ResourceType,
            "link" => Key::Link,
            "entry" => Key::Entry,
            "fullUrl" => Key::FullUrl,
            "resource" => Key::Resource,
            "request" => Key::Request,
            "response" => Key::Response,
            "keys" => Key::Flag(|f| f.jwks_keys = true),
            "rids" => Key::Flag(|f| f.rids = true),
            "kid" => Key::Flag(|f| f.kid = true),
            "id" => Key::Id,
            "meta" => Key::Flag(|f| f.resource_like = true),
            "verifiableCredential" => Key::Flag(|f| f.verifiable_credential = true),
            "vc" => Key::Flag(|f| f.vc = true),
            "iss" => Key::Flag(|f| f.iss = true),
            _ => Key::Other,
        }
    }
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(Key::of(key))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Validates any JSON value as parsing it into a [`Value`] would, and keeps nothing.
pub(crate) struct Skim;

impl<'de> DeserializeSeed<'de> for Skim {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(SkimVisitor)
    }
}

struct SkimVisitor;

impl<'de> Visitor<'de> for SkimVisitor {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skim)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skim)?.is_some() {
            map.next_value_seed(Skim)?;
        }
        Ok(())
    }
}

/// The text the outline is read from, by the address of its first byte: `serde_json` hands
/// over a key without escapes as a slice of the text, so the address of an object's first
/// key, less this, tells where the object is.
#[derive(Clone, Copy)]
struct TextStart {
    base: usize,
}

/// An object's first key, and where it is.
struct FirstKey {
    text: TextStart,
}

impl<'de> DeserializeSeed<'de> for FirstKey {
    type Value = (Key, usize);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(Key, usize), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FirstKey {
    type Value = (Key, usize);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<(Key, usize), E> {
        // The key's opening quote is the byte before it.
        let at = key.as_ptr() as usize - self.text.base - 1;
        Ok((Key::of(key), at))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(Key, usize), E> {
        Err(E::custom(
            "a first key with escapes has no place in the text",
        ))
    }
}

/// Reads a value in a resource's place.
struct ResourceSeed {
    text: Option<TextStart>,
}

impl<'de> DeserializeSeed<'de> for ResourceSeed {
    type Value = ResourceOutline;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ResourceOutline, D::Error> {
        d.deserialize_any(ResourceVisitor { text: self.text })
    }
}

struct ResourceVisitor {
    text: Option<TextStart>,
}

/// Scalars in a resource's place: validated, and noted as such.
macro_rules! scalars_are {
    ($value:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

impl<'de> Visitor<'de> for ResourceVisitor {
    type Value = ResourceOutline;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a FHIR resource")
    }
    scalars_are!(ResourceOutline::Scalar);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ResourceOutline, A::Error> {
        SkimVisitor.visit_seq(seq)?;
        Ok(ResourceOutline::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResourceOutline, A::Error> {
        let mut outline = ObjectOutline::default();
        let mut next = match self.text {
            Some(text) => map.next_key_seed(FirstKey { text })?.map(|(key, at)| {
                outline.first_key = Some(at);
                key
            }),
            None => map.next_key::<Key>()?,
        };
        while let Some(key) = next {
            match key {
                Key::ResourceType => {
                    outline.keys.resource_type = true;
                    outline.resource_type = Some(map.next_value()?);
                }
                Key::Link => outline.link = Some(map.next_value()?),
                Key::Entry => {
                    outline.keys.resource_like = true;
                    outline.entry = Some(map.next_value_seed(EntriesSeed { text: self.text })?);
                }
                Key::Id => {
                    outline.keys.resource_like = true;
                    outline.string_id = matches!(map.next_value()?, Value::String(_));
                }
                Key::Flag(set) => {
                    set(&mut outline.keys);
                    map.next_value_seed(Skim)?;
                }
                _ => map.next_value_seed(Skim)?,
            }
            next = map.next_key::<Key>()?;
        }
        Ok(ResourceOutline::Object(outline))
    }
}

/// Reads a Bundle's `entry` value.
struct EntriesSeed {
    text: Option<TextStart>,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed {
    type Value = EntriesOutline;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EntriesOutline, D::Error> {
        d.deserialize_any(EntriesVisitor { text: self.text })
    }
}

struct EntriesVisitor {
    text: Option<TextStart>,
}

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = EntriesOutline;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bundle entries")
    }
    scalars_are!(EntriesOutline::NotArray);
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EntriesOutline, A::Error> {
        let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(entry) = seq.next_element_seed(EntrySeed { text: self.text })? {
            entries.push(entry);
        }
        Ok(EntriesOutline::Array(entries))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EntriesOutline, A::Error> {
        SkimVisitor.visit_map(map)?;
        Ok(EntriesOutline::NotArray)
    }
}

/// Reads one element of a Bundle's `entry` array.
struct EntrySeed {
    text: Option<TextStart>,
}

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = EntryOutline;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EntryOutline, D::Error> {
        d.deserialize_any(EntryVisitor { text: self.text })
    }
}

struct EntryVisitor {
    text: Option<TextStart>,
}

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = EntryOutline;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Bundle entry")
    }
    scalars_are!(EntryOutline::NotObject);
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<EntryOutline, A::Error> {
        SkimVisitor.visit_seq(seq)?;
        Ok(EntryOutline::NotObject)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryOutline, A::Error> {
        let (mut full_url, mut resource) = (None, None);
        let (mut request, mut response) = (None, None);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::FullUrl => {
                    full_url = match map.next_value()? {
                        Value::String(url) => Some(url),
                        _ => None,
                    }
                }
                Key::Resource => {
                    resource = Some(map.next_value_seed(ResourceSeed { text: self.text })?);
                }
                Key::Request => request = Some(map.next_value()?),
                Key::Response => response = Some(map.next_value()?),
                _ => map.next_value_seed(Skim)?,
            }
        }
        Ok(EntryOutline::Object(Box::new(EntryObject {
            full_url,
            resource,
            request,
            response,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_error(text: &str) {
        // Also indented, so that the outline is read from a compacted copy first.
        let indented = text.replace(',', ",\n        ").replace(':', ": ");
        for text in [text, &indented] {
            let whole = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            let outline = ResourceOutline::read(text).unwrap_err().to_string();
            assert_eq!(outline, whole, "{text}");
            let outline = TextOutline::read(text).unwrap_err().to_string();
            assert_eq!(outline, whole, "{text}");
        }
    }

    #[test]
    fn fails_where_parsing_into_a_value_fails_with_the_same_error() {
        same_error(r#"{"resourceType":"Bundle","entry":[{"resource":{"a":1}"#);
        same_error(r#"{"resourceType":"Bundle","entry":[{"resource":{"a":"\ud800"}}]}"#);
        same_error(r#"{"resourceType":"Bundle","entry":[{"resource":{"a":1e400}}]}"#);
        same_error("{\"a\":\"tab\there\"}");
        same_error(r#"{"a":1} {"b":2}"#);
        same_error(r#"{"a":[1,2,]}"#);
        same_error(&format!("{}{}", "[".repeat(200), "]".repeat(200)));
    }

    #[test]
    fn keeps_the_last_of_repeated_keys() {
        let text = r#"{"entry":[{"resource":{"resourceType":"A"},"fullUrl":"x","resource":{"resourceType":"B"}}],
            "resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:1","fullUrl":"urn:uuid:2"}]}"#;
        let ResourceOutline::Object(bundle) = ResourceOutline::read(text).unwrap() else {
            panic!("an object")
        };
        let Some(EntriesOutline::Array(entries)) = bundle.entry else {
            panic!("entries")
        };
        assert_eq!(entries.len(), 1);
        let EntryOutline::Object(entry) = &entries[0] else {
            panic!("an entry object")
        };
        assert_eq!(entry.full_url.as_deref(), Some("urn:uuid:2"));
        assert!(entry.resource.is_none());
    }
}
