//! Writes a resource's JSON while reading it from the file, its references rewritten on the
//! way, instead of parsing it into a [`Value`], rewriting the tree and serializing it: the
//! second pass over a large Bundle ([`super::json_stream`]) then builds no tree at all.
//!
//! The output is compact JSON, with the file's key order and, where an object repeats a
//! key, every repeat: a reader keeps the last, as parsing the file into a [`Value`] does, so
//! the resource read back equals the one the tree path makes. Strings and numbers are
//! written by `serde_json`'s serializer, exactly as it writes a [`Value`]'s.
//!
//! Two keys of the resource itself are held back: `id`, which the importer replaces, and
//! `meta`, to which it adds the original id. The writer leaves the object open for them
//! (the output ends in `{` or `,`): see [`super::identity::Identities::finish_written`].

use serde::Serializer as _;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

use super::identity::Rewriter;

/// Writes one resource, a JSON object, to `out`, all but its `id`, its `meta` and its
/// closing brace.
pub(crate) struct ResourceWriter<'w, 'r> {
    pub out: &'w mut Vec<u8>,
    pub references: &'w mut Rewriter<'r>,
}

/// What the writer held back of the resource it wrote.
pub(crate) struct HeldBack {
    /// The last `id`, when it is a string.
    pub id: Option<String>,
    /// The last `meta`, its references rewritten.
    pub meta: Option<Value>,
}

impl<'de> DeserializeSeed<'de> for ResourceWriter<'_, '_> {
    type Value = HeldBack;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<HeldBack, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceWriter<'_, '_> {
    type Value = HeldBack;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a FHIR resource")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeldBack, A::Error> {
        let mut held = HeldBack {
            id: None,
            meta: None,
        };
        self.out.push(b'{');
        while let Some(key) = map.next_key_seed(KeyWriter {
            out: self.out,
            top_level: true,
        })? {
            match key {
                KeyKind::Id => {
                    held.id = match map.next_value()? {
                        Value::String(id) => Some(id),
                        _ => None,
                    };
                }
                KeyKind::Meta => {
                    let mut meta: Value = map.next_value()?;
                    self.references.walk(&mut meta);
                    held.meta = Some(meta);
                }
                KeyKind::Reference | KeyKind::Other => {
                    map.next_value_seed(ValueWriter {
                        out: self.out,
                        references: self.references,
                        reference: key == KeyKind::Reference,
                    })?;
                    self.out.push(b',');
                }
            }
        }
        Ok(held)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// The resource's own `id` or `meta`: held back, not written.
    Id,
    Meta,
    /// `reference`, whose string value is rewritten.
    Reference,
    Other,
}

/// Writes an object key and its colon, but for the keys a resource holds back.
struct KeyWriter<'w> {
    out: &'w mut Vec<u8>,
    top_level: bool,
}

impl<'de> DeserializeSeed<'de> for KeyWriter<'_> {
    type Value = KeyKind;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<KeyKind, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyWriter<'_> {
    type Value = KeyKind;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<KeyKind, E> {
        self.write(key, write_str)
    }
    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<KeyKind, E> {
        self.write(key, write_unescaped)
    }
}

impl KeyWriter<'_> {
    fn write<E>(self, key: &str, write: fn(&mut Vec<u8>, &str)) -> Result<KeyKind, E> {
        let kind = match key {
            "id" if self.top_level => return Ok(KeyKind::Id),
            "meta" if self.top_level => return Ok(KeyKind::Meta),
            "reference" => KeyKind::Reference,
            _ => KeyKind::Other,
        };
        write(self.out, key);
        self.out.push(b':');
        Ok(kind)
    }
}

/// Writes any JSON value; a string rewritten as a reference when it is a `reference` key's.
struct ValueWriter<'w, 'r> {
    out: &'w mut Vec<u8>,
    references: &'w mut Rewriter<'r>,
    reference: bool,
}

impl<'de> DeserializeSeed<'de> for ValueWriter<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueWriter<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        serializer(self.out)
            .serialize_i64(v)
            .expect("writing to a Vec does not fail");
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        serializer(self.out)
            .serialize_u64(v)
            .expect("writing to a Vec does not fail");
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        serializer(self.out)
            .serialize_f64(v)
            .expect("writing to a Vec does not fail");
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        match self.reference.then(|| self.references.rewrite(v)).flatten() {
            Some(rewritten) => write_str(self.out, &rewritten),
            None => write_str(self.out, v),
        }
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        match self.reference.then(|| self.references.rewrite(v)).flatten() {
            Some(rewritten) => write_str(self.out, &rewritten),
            None => write_unescaped(self.out, v),
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.out.push(b'[');
        let mut empty = true;
        while seq
            .next_element_seed(ValueWriter {
                out: self.out,
                references: self.references,
                reference: false,
            })?
            .is_some()
        {
            self.out.push(b',');
            empty = false;
        }
        close(self.out, empty, b']');
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.out.push(b'{');
        let mut empty = true;
        while let Some(key) = map.next_key_seed(KeyWriter {
            out: self.out,
            top_level: false,
        })? {
            map.next_value_seed(ValueWriter {
                out: self.out,
                references: self.references,
                reference: key == KeyKind::Reference,
            })?;
            self.out.push(b',');
            empty = false;
        }
        close(self.out, empty, b'}');
        Ok(())
    }
}

/// Closes an array or object whose every member was followed by a comma.
fn close(out: &mut Vec<u8>, empty: bool, bracket: u8) {
    match out.last_mut() {
        Some(comma) if !empty => *comma = bracket,
        _ => out.push(bracket),
    }
}

fn serializer(out: &mut Vec<u8>) -> serde_json::Serializer<&mut Vec<u8>> {
    serde_json::Serializer::new(out)
}

/// A string `serde_json` borrowed from the text: it had no escapes there, so it holds
/// nothing to escape (JSON strings hold no raw quotes, backslashes or control characters),
/// and is written as `serde_json` would write it, without looking.
fn write_unescaped(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// A JSON string, escaped as `serde_json` escapes a [`Value`]'s.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    serializer(out)
        .serialize_str(s)
        .expect("writing to a Vec does not fail");
}
