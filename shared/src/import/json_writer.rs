//! Writes a resource's JSON from its text in the file, its references rewritten on the way,
//! instead of parsing it into a [`Value`], rewriting the tree and serializing it: a large
//! Bundle's resources are then copied rather than rebuilt.
//!
//! The text has been validated by the outline's pass ([`super::json_outline`]), exactly as
//! parsing it would, so the writer only needs to find what it changes: it steps over
//! strings and looks only at the bytes between them. The output is the text as it is (key
//! order, number forms, escapes; where an object repeats a key, every repeat: a reader
//! keeps the last, as parsing the file into a [`Value`] does), so the resource read back
//! equals the one the tree path makes.
//!
//! Two keys of the resource itself are held back: `id`, which the importer replaces, and
//! `meta`, to which it adds the original id. The writer leaves the object open for them
//! (the output ends in `{` or `,`): see [`super::identity::Identities::finish_written`].

use serde::Serializer as _;
use serde::de::Error as _;
use serde_json::Value;
use std::borrow::Cow;

use super::identity::Rewriter;
use super::json_compact::{is_whitespace, string_end, whitespace_end};

/// What the writer held back of the resource it wrote.
pub(crate) struct HeldBack {
    /// The last `id`, when it is a string.
    pub id: Option<String>,
    /// The last `meta`, its references rewritten.
    pub meta: Option<Value>,
}

/// The resource's own members that are held back.
#[derive(Clone, Copy)]
enum HeldKey {
    Id,
    Meta,
}

/// Writes the resource whose text `resource` starts with (a JSON object, validated; what
/// follows it is not read) to `out`: all but its `id`, its `meta` and its closing brace,
/// with every `reference` string rewritten as [`Rewriter::walk`] rewrites the tree's.
pub(crate) fn write_resource(
    out: &mut Vec<u8>,
    resource: &str,
    references: &mut Rewriter<'_>,
) -> Result<HeldBack, serde_json::Error> {
    let bytes = resource.as_bytes();
    let mut held = HeldBack {
        id: None,
        meta: None,
    };
    // `bytes[copied..]` is not written yet.
    let mut copied = 0;
    let mut depth = 0usize;
    // The member of the resource being read, when it is held back: which, and where its
    // key and its value start.
    let mut held_member: Option<(HeldKey, usize, usize)> = None;
    // The last key read was `reference`, and its value comes next.
    let mut reference_key = false;
    // Inside an object or array that is a `reference` key's value, whose strings are not
    // references (the tree walk does not look there either): the depth it closes at.
    let mut not_references_until = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let (end, escaped) = string_end(bytes, i + 1).ok_or_else(unterminated)?;
                let after = whitespace_end(bytes, end);
                if bytes.get(after) == Some(&b':') {
                    let key = string_at(resource, i..end, escaped)?;
                    if depth == 1 {
                        held_member = match &*key {
                            "id" => Some((HeldKey::Id, i, after + 1)),
                            "meta" => Some((HeldKey::Meta, i, after + 1)),
                            _ => None,
                        };
                    }
                    reference_key = key == "reference"
                        && held_member.is_none()
                        && not_references_until.is_none();
                    i = after + 1;
                    continue;
                }
                if std::mem::take(&mut reference_key)
                    && let Some(new) = references.rewrite(&string_at(resource, i..end, escaped)?)
                {
                    out.extend_from_slice(&bytes[copied..i]);
                    write_str(out, &new);
                    copied = end;
                }
                i = end;
                continue;
            }
            b'{' | b'[' => {
                if std::mem::take(&mut reference_key) {
                    not_references_until = Some(depth);
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                if not_references_until == Some(depth) {
                    not_references_until = None;
                }
                if depth == 0 {
                    if let Some(member) = held_member.take() {
                        hold(&mut held, member, &resource[..i], references, out, copied)?;
                        copied = i;
                    }
                    out.extend_from_slice(&bytes[copied..i]);
                    leave_open(out);
                    return Ok(held);
                }
            }
            b',' if depth == 1 => {
                if let Some(member) = held_member.take() {
                    hold(&mut held, member, &resource[..i], references, out, copied)?;
                    // The comma goes with the member.
                    copied = i + 1;
                }
            }
            b if is_whitespace(b) => {}
            // A number, `true`, `false` or `null`.
            _ => reference_key = false,
        }
        i += 1;
    }
    Err(serde_json::Error::custom(
        "a resource's text ends inside it",
    ))
}

/// Takes the held-back member that ends where `before` ends, writing what precedes it.
fn hold(
    held: &mut HeldBack,
    (key, key_start, value_start): (HeldKey, usize, usize),
    before: &str,
    references: &mut Rewriter<'_>,
    out: &mut Vec<u8>,
    copied: usize,
) -> Result<(), serde_json::Error> {
    out.extend_from_slice(&before.as_bytes()[copied..key_start]);
    let value: Value = serde_json::from_str(&before[value_start..])?;
    match key {
        HeldKey::Id => {
            held.id = match value {
                Value::String(id) => Some(id),
                _ => None,
            }
        }
        HeldKey::Meta => {
            let mut meta = value;
            references.walk(&mut meta);
            held.meta = Some(meta);
        }
    }
    Ok(())
}

/// Ends the output after `{` or a comma, for the members still to come.
fn leave_open(out: &mut Vec<u8>) {
    match out.iter().rev().find(|b| !is_whitespace(**b)) {
        Some(b'{' | b',') => {}
        _ => out.push(b','),
    }
}

/// The string whose text, quotes included, is `resource[at]`: borrowed when it has no
/// escapes, decoded as `serde_json` decodes it when it has.
fn string_at(
    resource: &str,
    at: std::ops::Range<usize>,
    escaped: bool,
) -> Result<Cow<'_, str>, serde_json::Error> {
    if escaped {
        return serde_json::from_str(&resource[at]).map(Cow::Owned);
    }
    Ok(Cow::Borrowed(&resource[at.start + 1..at.end - 1]))
}

fn unterminated() -> serde_json::Error {
    serde_json::Error::custom("a string in a resource's text does not end")
}

/// A JSON string, escaped as `serde_json` escapes a [`Value`]'s.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    serde_json::Serializer::new(out)
        .serialize_str(s)
        .expect("writing to a Vec does not fail");
}
