//! The second pass over a FHIR JSON file: read each resource its outline
//! ([`super::json_outline`]) found, one at a time, in file order, and hand it on before
//! reading the next. What is not a resource (the Bundles around them, entries without one)
//! is skipped unparsed, having been validated by the outline's pass.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

use super::error::ImportError;
use super::json_outline::{EntriesOutline, EntryOutline, Key, ObjectOutline, ResourceOutline};

/// Why streaming stopped early.
pub(crate) enum Stopped {
    /// The text does not parse (which the outline's pass would have reported first).
    Json(serde_json::Error),
    /// The receiver of a resource refused it.
    Import(ImportError),
}

/// Takes each resource the stream finds, from the deserializer positioned on it: parsed
/// into a tree, or written out as it is read ([`super::json_writer`]), as it chooses.
pub(crate) trait Resources {
    /// Reads the next resource from `d`; the inner error is the receiver's refusal.
    fn take<'de, D: Deserializer<'de>>(
        &mut self,
        d: D,
    ) -> Result<Result<(), ImportError>, D::Error>;
}

/// Reads the resources of `text`, whose outline is `outline`, and hands each to `each` in
/// file order: the top-level resource, or every resource of a Bundle, nested Bundles
/// flattened, exactly those the outline's walk found.
pub(crate) fn for_each_resource<R: Resources>(
    text: &str,
    outline: &ResourceOutline,
    each: &mut R,
) -> Result<(), Stopped> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut stream = Stream {
        each,
        refused: None,
    };
    let streamed = if outline.is_bundle()
        && let ResourceOutline::Object(bundle) = outline
    {
        BundleSeed {
            bundle,
            stream: &mut stream,
        }
        .deserialize(&mut de)
    } else {
        ResourceSeed {
            stream: &mut stream,
        }
        .deserialize(&mut de)
    }
    .and_then(|()| de.end());
    match (streamed, stream.refused) {
        (_, Some(refused)) => Err(Stopped::Import(refused)),
        (Err(e), None) => Err(Stopped::Json(e)),
        (Ok(()), None) => Ok(()),
    }
}

/// The receiver, and its refusal once it refused (serde's error only unwinds the parse).
struct Stream<'a, R> {
    each: &'a mut R,
    refused: Option<ImportError>,
}

/// A resource, handed to the receiver.
struct ResourceSeed<'s, 'a, R> {
    stream: &'s mut Stream<'a, R>,
}

impl<'de, R: Resources> DeserializeSeed<'de> for ResourceSeed<'_, '_, R> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Err(refused) = self.stream.each.take(d)? {
            self.stream.refused = Some(refused);
            return Err(de::Error::custom("the resource was refused"));
        }
        Ok(())
    }
}

/// A Bundle: streams its last `entry` key's entries, skips everything else.
struct BundleSeed<'o, 's, 'a, R> {
    bundle: &'o ObjectOutline,
    stream: &'s mut Stream<'a, R>,
}

impl<'de, R: Resources> DeserializeSeed<'de> for BundleSeed<'_, '_, '_, R> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: Resources> Visitor<'de> for BundleSeed<'_, '_, '_, R> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Bundle")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut entry_keys = 0;
        while let Some(key) = map.next_key::<Key>()? {
            if let Key::Entry = key {
                entry_keys += 1;
                if entry_keys == self.bundle.entry_keys
                    && let Some(EntriesOutline::Array(entries)) = &self.bundle.entry
                {
                    map.next_value_seed(EntriesSeed {
                        entries,
                        stream: &mut *self.stream,
                    })?;
                    continue;
                }
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// A Bundle's `entry` array.
struct EntriesSeed<'o, 's, 'a, R> {
    entries: &'o [EntryOutline],
    stream: &'s mut Stream<'a, R>,
}

impl<'de, R: Resources> DeserializeSeed<'de> for EntriesSeed<'_, '_, '_, R> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, R: Resources> Visitor<'de> for EntriesSeed<'_, '_, '_, R> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bundle entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for outline in self.entries {
            let resource = match outline {
                EntryOutline::Object(entry) => entry.resource.as_ref().map(|r| (r, entry)),
                EntryOutline::NotObject => None,
            };
            let more = match resource {
                Some((resource, entry)) => seq
                    .next_element_seed(EntrySeed {
                        resource,
                        resource_keys: entry.resource_keys,
                        stream: &mut *self.stream,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Err(de::Error::custom("fewer entries than the outline's"));
            }
        }
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(de::Error::custom("more entries than the outline's")),
        }
    }
}

/// One entry with a resource: parses its last `resource` key's value, or streams it when
/// it is a nested Bundle.
struct EntrySeed<'o, 's, 'a, R> {
    resource: &'o ResourceOutline,
    resource_keys: usize,
    stream: &'s mut Stream<'a, R>,
}

impl<'de, R: Resources> DeserializeSeed<'de> for EntrySeed<'_, '_, '_, R> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: Resources> Visitor<'de> for EntrySeed<'_, '_, '_, R> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Bundle entry")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut resource_keys = 0;
        while let Some(key) = map.next_key::<Key>()? {
            if let Key::Resource = key {
                resource_keys += 1;
                if resource_keys == self.resource_keys {
                    match self.resource {
                        ResourceOutline::Object(bundle) if self.resource.is_bundle() => {
                            map.next_value_seed(BundleSeed {
                                bundle,
                                stream: &mut *self.stream,
                            })?;
                        }
                        _ => map.next_value_seed(ResourceSeed {
                            stream: &mut *self.stream,
                        })?,
                    }
                    continue;
                }
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}
