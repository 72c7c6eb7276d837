//! FHIR R4 JSON: a single resource or a Bundle of any type.
//!
//! **Bundles are containers, not records.** Their resources are imported one by one and
//! the Bundle itself is not stored; nested Bundles (the `batch-response` of a search, a
//! document inside a collection) are flattened the same way. Entries without a resource
//! (a transaction's `DELETE` or `GET`, a response without a body) are reported and skipped:
//! importing adds data and never replays a sender's operations on the vault. Paging links
//! of a searchset are reported too: fetching the next page is the caller's job.

use super::EntrySink;
use super::error::{ImportError, ImportErrorKind};
use super::identity::{
    FileScope, FoundResource, Identities, assign_ids_and_push, not_an_object, resource_type_in,
    resource_type_of,
};
use super::json_outline::{EntriesOutline, EntryOutline, KeyFlags, ResourceOutline, TextOutline};
use super::report::Location;
use crate::record::Source;
use serde::Deserialize as _;
use serde_json::Value;

/// Import a JSON file that holds a resource or a Bundle.
///
/// From an outline, so that a large Bundle is never one tree: the outline (the entries'
/// fullUrls and types, which reference rewriting needs up front, and where each resource's
/// text is) from one skim, then each resource taken from its text, given its id and handed
/// to the sink in turn: written as JSON from its text when the sink keeps JSON
/// ([`super::json_writer`]), else parsed into a tree. Reports and errors are those of
/// parsing the whole file and walking its tree ([`collect`], which NDJSON lines and health
/// cards still use), in the same order.
/// `outline` is the file's, when format detection read it already.
pub(crate) fn import_json(
    sink: &mut EntrySink<'_>,
    text: &str,
    outline: Option<TextOutline>,
) -> Result<(), ImportError> {
    let read = match outline {
        Some(read) => read,
        None => TextOutline::read(text).map_err(|e| json_error(sink, e, None))?,
    };
    if !read.placed {
        // A resource whose first key has escapes could not be placed in the text.
        return import_tree(sink, text);
    }
    let mut found = Vec::new();
    collect_outline(sink, &read.outline, "", None, &mut found)?;
    let scope = FileScope::of(text.as_bytes());
    let source = sink.source();
    let mut ids = Identities::new(sink, &scope);
    for item in &found {
        ids.plan(
            sink,
            &item.location,
            item.full_url.as_deref(),
            &item.resource_type,
        );
    }
    let text = read.text(text);
    if let Some(json) = sink.json() {
        // Written resources take about what the file takes without its whitespace.
        json.buffer().reserve(text.len());
    }
    for item in found {
        import_resource(sink, &mut ids, item, text, &source)?;
    }
    ids.finish(sink);
    Ok(())
}

/// The whole file parsed into one tree, then walked: NDJSON lines and health cards are
/// read this way.
pub(crate) fn import_tree(sink: &mut EntrySink<'_>, text: &str) -> Result<(), ImportError> {
    let value = parse_json(sink, text, None)?;
    let mut found = Vec::new();
    collect(sink, value, "", &mut found)?;
    let source = sink.source();
    assign_ids_and_push(sink, found, &FileScope::of(text.as_bytes()), &source)
}

/// A resource the outline found, before it is read.
struct Outlined {
    location: Location,
    full_url: Option<String>,
    resource_type: String,
    /// Whether its `id` is a string (see [`ObjectOutline::string_id`]).
    string_id: bool,
    /// Where its first key is (see [`ObjectOutline::first_key`]).
    first_key: usize,
}

/// Gives a resource its id and hands it to the sink: written from its text straight to
/// the sink's JSON when the sink keeps only that and the new id needs no tree; else parsed.
fn import_resource(
    sink: &mut EntrySink<'_>,
    ids: &mut Identities<'_>,
    item: Outlined,
    text: &str,
    source: &Source,
) -> Result<(), ImportError> {
    // Only whitespace comes between an object's `{` and its first key.
    let start = text[..item.first_key]
        .rfind('{')
        .expect("an object starts before its first key");
    // The resource's text, and the rest of the file after it.
    let resource = &text[start..];
    let writable = item.full_url.is_some() || item.string_id;
    let Some(json) = sink.json().filter(|_| writable) else {
        let mut de = serde_json::Deserializer::from_str(resource);
        let resource = Value::deserialize(&mut de).map_err(|e| json_error(sink, e, None))?;
        let item = FoundResource {
            location: item.location,
            full_url: item.full_url,
            resource,
        };
        return ids.assign(sink, item, source);
    };
    let start = json.write_start();
    let written = ids.write(
        json.buffer(),
        &item.location,
        item.full_url.as_deref(),
        resource,
    );
    let written = match written {
        Ok(written) => written,
        Err(e) => {
            json.discard_from(start);
            return Err(json_error(sink, e, None));
        }
    };
    ids.finish_written(
        sink,
        &item.location,
        &item.resource_type,
        written,
        start,
        source,
    )
}

/// [`collect_at`] over an outline: the same checks, warnings and errors in the same order.
fn collect_outline(
    sink: &mut EntrySink<'_>,
    outline: &ResourceOutline,
    pointer: &str,
    full_url: Option<String>,
    found: &mut Vec<Outlined>,
) -> Result<(), ImportError> {
    let location = sink.location().with_pointer(pointer);
    if pointer.is_empty() {
        let reason = match outline {
            ResourceOutline::Object(obj) => not_fhir_object(obj.keys),
            ResourceOutline::Array => Some(NOT_FHIR_ARRAY.into()),
            ResourceOutline::Scalar => Some(NOT_FHIR_SCALAR.into()),
        };
        if let Some(reason) = reason {
            return Err(ImportError::new(location, ImportErrorKind::NotFhir(reason)));
        }
    }
    let ResourceOutline::Object(obj) = outline else {
        return Err(ImportError::new(location, not_an_object()));
    };
    let resource_type = resource_type_in(obj.resource_type.as_ref())
        .map_err(|kind| ImportError::new(location.clone(), kind))?;
    if resource_type != "Bundle" {
        let first_key = obj.first_key.expect("an outline read with places");
        found.push(Outlined {
            location,
            full_url,
            resource_type: resource_type.to_string(),
            string_id: obj.string_id,
            first_key,
        });
        return Ok(());
    }
    warn_next_page(sink, &location, obj.link.as_ref());
    let entries = match &obj.entry {
        None => return Ok(()),
        Some(EntriesOutline::Array(entries)) => entries,
        Some(EntriesOutline::NotArray) => return Err(entry_not_array(location, pointer)),
    };
    for (i, entry) in entries.iter().enumerate() {
        let entry_pointer = format!("{pointer}/entry/{i}");
        let EntryOutline::Object(entry) = entry else {
            return Err(entry_not_object(sink, entry_pointer));
        };
        match &entry.resource {
            Some(resource) => collect_outline(
                sink,
                resource,
                &format!("{entry_pointer}/resource"),
                entry.full_url.clone(),
                found,
            )?,
            None => {
                let at = sink.location().with_pointer(entry_pointer);
                let (request, response) = (entry.request.as_ref(), entry.response.as_ref());
                sink.warn(at, describe_empty_entry(request, response));
            }
        }
    }
    Ok(())
}

/// Parse JSON, turning serde's error into one with a line and a clear kind.
pub(crate) fn parse_json(
    sink: &EntrySink<'_>,
    text: &str,
    line: Option<usize>,
) -> Result<Value, ImportError> {
    serde_json::from_str(text).map_err(|e| json_error(sink, e, line))
}

/// Serde's error as an import error with a line and a clear kind.
fn json_error(sink: &EntrySink<'_>, e: serde_json::Error, line: Option<usize>) -> ImportError {
    let location = sink.location().with_line(line.unwrap_or(e.line()));
    let kind = if e.is_eof() {
        ImportErrorKind::Truncated(e.to_string())
    } else {
        ImportErrorKind::InvalidJson(e.to_string())
    };
    ImportError::new(location, kind)
}

/// Walk a resource or Bundle, collecting the resources to import.
pub(crate) fn collect(
    sink: &mut EntrySink<'_>,
    value: Value,
    pointer: &str,
    found: &mut Vec<FoundResource>,
) -> Result<(), ImportError> {
    collect_at(sink, value, pointer, None, found, None)
}

/// `line` is set for NDJSON, whose locations are lines rather than pointers.
pub(crate) fn collect_at(
    sink: &mut EntrySink<'_>,
    value: Value,
    pointer: &str,
    full_url: Option<String>,
    found: &mut Vec<FoundResource>,
    line: Option<usize>,
) -> Result<(), ImportError> {
    let mut location = sink.location().with_pointer(pointer);
    if let Some(line) = line {
        location = location.with_line(line);
    }
    if pointer.is_empty()
        && let Some(reason) = not_fhir_reason(&value)
    {
        return Err(ImportError::new(location, ImportErrorKind::NotFhir(reason)));
    }
    let resource_type =
        resource_type_of(&value).map_err(|kind| ImportError::new(location.clone(), kind))?;
    if resource_type != "Bundle" {
        found.push(FoundResource {
            location,
            full_url,
            resource: value,
        });
        return Ok(());
    }
    let Value::Object(mut bundle) = value else {
        unreachable!("checked by resource_type_of")
    };
    warn_next_page(sink, &location, bundle.get("link"));
    let entries = match bundle.remove("entry") {
        None => return Ok(()),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(entry_not_array(location, pointer)),
    };
    for (i, entry) in entries.into_iter().enumerate() {
        let entry_pointer = format!("{pointer}/entry/{i}");
        let Value::Object(mut entry) = entry else {
            return Err(entry_not_object(sink, entry_pointer));
        };
        let full_url = entry
            .get("fullUrl")
            .and_then(Value::as_str)
            .map(str::to_string);
        match entry.remove("resource") {
            Some(resource) => collect_at(
                sink,
                resource,
                &format!("{entry_pointer}/resource"),
                full_url,
                found,
                line,
            )?,
            None => {
                let mut at = sink.location().with_pointer(entry_pointer);
                if let Some(line) = line {
                    at = at.with_line(line);
                }
                sink.warn(
                    at,
                    describe_empty_entry(entry.get("request"), entry.get("response")),
                );
            }
        }
    }
    Ok(())
}

/// Warns once per `next` link of a searchset: the rest of the search is not in the file.
fn warn_next_page(sink: &mut EntrySink<'_>, location: &Location, links: Option<&Value>) {
    for link in links.and_then(Value::as_array).into_iter().flatten() {
        if link.get("relation").and_then(Value::as_str) == Some("next") {
            let url = link.get("url").and_then(Value::as_str).unwrap_or_default();
            sink.warn(
                location.clone(),
                format!("this is one page of a search; the next page ({url}) is not in the file"),
            );
        }
    }
}

fn entry_not_array(location: Location, pointer: &str) -> ImportError {
    ImportError::new(
        location.with_pointer(format!("{pointer}/entry")),
        ImportErrorKind::InvalidResource("`Bundle.entry` must be an array".into()),
    )
}

fn entry_not_object(sink: &EntrySink<'_>, entry_pointer: String) -> ImportError {
    ImportError::new(
        sink.location().with_pointer(entry_pointer),
        ImportErrorKind::InvalidResource("a Bundle entry must be an object".into()),
    )
}

const NOT_FHIR_ARRAY: &str = "a JSON array, not a resource or Bundle";
const NOT_FHIR_SCALAR: &str = "a bare JSON value, not a resource or Bundle";

/// Why a top-level JSON value is not FHIR, naming the JSON formats people confuse with it.
fn not_fhir_reason(value: &Value) -> Option<String> {
    let obj = match value {
        Value::Object(obj) => obj,
        Value::Array(_) => return Some(NOT_FHIR_ARRAY.into()),
        _ => return Some(NOT_FHIR_SCALAR.into()),
    };
    not_fhir_object(KeyFlags {
        resource_type: obj.contains_key("resourceType"),
        jwks_keys: obj.contains_key("keys"),
        rids: obj.contains_key("rids"),
        kid: obj.contains_key("kid"),
        resource_like: obj.keys().any(|k| k == "id" || k == "meta" || k == "entry"),
        ..KeyFlags::default()
    })
}

/// [`not_fhir_reason`] for a top-level object with these keys.
fn not_fhir_object(keys: KeyFlags) -> Option<String> {
    if keys.resource_type {
        return None;
    }
    if keys.jwks_keys {
        return Some("a JSON Web Key Set (health-card issuer keys), not health data".into());
    }
    if keys.rids && keys.kid {
        return Some("a health-card revocation list, not health data".into());
    }
    // An object that is not FHIR but also not a known other format: let the caller see
    // the precise FHIR rule it breaks.
    if !keys.resource_like {
        return Some("no `resourceType` at the top level".into());
    }
    None
}

fn describe_empty_entry(request: Option<&Value>, response: Option<&Value>) -> String {
    if let Some(request) = request {
        let method = request.get("method").and_then(Value::as_str).unwrap_or("?");
        let url = request.get("url").and_then(Value::as_str).unwrap_or("?");
        format!(
            "entry without a resource (request {method} {url}) not imported: importing adds data and never replays a sender's operations"
        )
    } else if let Some(status) = response.and_then(|r| r.get("status")) {
        format!("response entry without a resource (status {status}) not imported")
    } else {
        "entry without a resource not imported".into()
    }
}

#[cfg(test)]
mod tests {
    //! The streaming importer against the whole-tree walk it replaced ([`collect`] and
    //! [`assign_ids_and_push`], which NDJSON and health cards still use): same entries,
    //! same report, same error, for every shape the walk distinguishes.
    use super::*;
    use crate::import::{FileImport, ImportFormat, ImportOptions, JsonEntries};
    use crate::record::Entry;
    use chrono::{TimeZone as _, Utc};

    type Imported = (Result<FileImport, ImportError>, Vec<Entry>);

    fn opts() -> ImportOptions {
        ImportOptions::new(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
    }

    fn run(
        text: &str,
        opts: &ImportOptions,
        import: fn(&mut EntrySink<'_>, &str) -> Result<(), ImportError>,
    ) -> Imported {
        let mut entries = Vec::new();
        let mut sink = EntrySink::new("f.json", ImportFormat::FhirJson, opts, &mut entries);
        let result = import(&mut sink, text).map(|()| sink.finish());
        (result, entries)
    }

    /// [`run`] into a target that keeps JSON, to which the importer writes resources as
    /// it reads them; the entries are read back.
    fn run_written(text: &str, opts: &ImportOptions) -> Imported {
        let mut json = JsonEntries::default();
        let mut sink = EntrySink::new("f.json", ImportFormat::FhirJson, opts, &mut json);
        let result = import_json(&mut sink, text, None).map(|()| sink.finish());
        (result, json.to_entries())
    }

    /// Imports `text` resource by resource (parsing each from its text, and writing each
    /// from it) and as a whole tree, checks they agree, and returns the parsed result.
    fn same_as_whole_tree_with(text: &str, opts: &ImportOptions) -> Imported {
        let streamed = run(text, opts, |sink, text| import_json(sink, text, None));
        let written = run_written(text, opts);
        let whole = run(text, opts, import_tree);
        assert_eq!(streamed.0, whole.0, "{text}");
        assert_eq!(written.0, whole.0, "{text}");
        if streamed.0.is_ok() {
            assert_eq!(streamed.1, whole.1, "{text}");
            assert_eq!(written.1, whole.1, "{text}");
        }
        streamed
    }

    fn same_as_whole_tree(text: &str) -> Imported {
        same_as_whole_tree_with(text, &opts())
    }

    fn warnings(imported: &Imported) -> Vec<String> {
        let report = &imported.0.as_ref().unwrap().report;
        report.warnings.iter().map(|w| w.to_string()).collect()
    }

    fn reference_of(entry: &Entry, field: &str) -> String {
        let crate::record::Op::Put { resource, .. } = &entry.op else {
            panic!("a put")
        };
        resource[field]["reference"].as_str().unwrap().to_string()
    }

    #[test]
    fn references_forward_and_backward_resolve() {
        let imported = same_as_whole_tree(
            r#"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"urn:uuid:obs","resource":{"resourceType":"Observation","subject":{"reference":"urn:uuid:pat"}}},
            {"fullUrl":"urn:uuid:pat","resource":{"resourceType":"Patient","id":"p"}},
            {"fullUrl":"urn:uuid:enc","resource":{"resourceType":"Encounter","subject":{"reference":"urn:uuid:pat"},
              "partOf":{"reference":"urn:uuid:obs"}}}]}"#,
        );
        let entries = &imported.1;
        assert_eq!(entries.len(), 3);
        assert_eq!(reference_of(&entries[0], "subject"), entries[1].id.0);
        assert_eq!(reference_of(&entries[2], "subject"), entries[1].id.0);
        assert_eq!(reference_of(&entries[2], "partOf"), entries[0].id.0);
        assert!(warnings(&imported).is_empty());
    }

    #[test]
    fn missing_urns_and_conditional_references_are_reported_alike() {
        let imported = same_as_whole_tree(
            r#"{"resourceType":"Bundle","type":"transaction","entry":[
            {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Observation",
              "subject":{"reference":"urn:uuid:missing"},"performer":[{"reference":"Practitioner?identifier=x"}]}},
            {"fullUrl":"https://ehr.example/fhir/Condition/1","resource":{"resourceType":"Condition",
              "subject":{"reference":"Patient/7"},"asserter":{"reference":"urn:uuid:also-missing"}}},
            {"request":{"method":"DELETE","url":"Patient/9"}},
            {"response":{"status":"201 Created"}}]}"#,
        );
        assert_eq!(imported.1.len(), 2);
        assert_eq!(warnings(&imported).len(), 4, "{:?}", warnings(&imported));
    }

    #[test]
    fn nested_bundles_are_flattened_in_file_order() {
        let imported = same_as_whole_tree(
            r#"{"resourceType":"Bundle","type":"batch-response","link":[{"relation":"next","url":"https://x/p2"}],
            "entry":[
            {"resource":{"resourceType":"Patient","id":"1"}},
            {"fullUrl":"urn:uuid:inner","resource":{"resourceType":"Bundle","type":"searchset",
              "link":[{"relation":"next","url":"https://x/inner2"}],
              "entry":[{"fullUrl":"https://x/fhir/Observation/5","resource":{"resourceType":"Observation","id":"5",
                         "subject":{"reference":"Patient/1"}}},
                       {"search":{"mode":"outcome"}},
                       {"resource":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Basic","id":"b"}}]}}]}},
            {"resource":{"resourceType":"Patient","id":"1"}},
            {"resource":{"resourceType":"NotAType","id":"n"}}]}"#,
        );
        let types: Vec<&str> = imported
            .1
            .iter()
            .map(|e| e.id.0.split('/').next().unwrap())
            .collect();
        assert_eq!(
            types,
            ["Patient", "Observation", "Basic", "Patient", "NotAType"]
        );
        // Two next links, an entry without a resource, a type R4 lacks, a duplicate.
        assert_eq!(warnings(&imported).len(), 5, "{:?}", warnings(&imported));
    }

    #[test]
    fn malformed_bundles_fail_with_the_same_error() {
        for text in [
            // `entry` that is not an array, at the top and nested.
            r#"{"resourceType":"Bundle","entry":{"resource":{"resourceType":"Patient"}}}"#,
            r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Bundle","entry":7}}]}"#,
            // An entry that is not an object; a resource that is not one; types missing or odd.
            r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}},[1]]}"#,
            r#"{"resourceType":"Bundle","entry":[{"resource":"Patient/1"}]}"#,
            r#"{"resourceType":"Bundle","entry":[{"resource":{"id":"x"}}]}"#,
            r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":{"a":[1,2]}}}]}"#,
            r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"lower"}}]}"#,
            // Truncated mid-entry, and bad JSON after an entry that is also wrong.
            r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","name":[{"fam"#,
            "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"id\":1}},\n{\"resource\":{\"a\":tru}}]}",
            r#"{"resourceType":"Bundle","entry":[{"resource":{"id":1}},{"resource":{"a":"\udc00"}}]}"#,
            // Not FHIR at all.
            r#"[{"resourceType":"Patient"}]"#,
            r#""Patient""#,
            r#"{"keys":[]}"#,
            r#"{"rids":[],"kid":"k"}"#,
            r#"{"name":"x"}"#,
            r#"{"id":"x"}"#,
            "",
            r#"{"resourceType":"Patient"} trailing"#,
        ] {
            let (result, _) = same_as_whole_tree(text);
            assert!(result.is_err(), "{text}");
        }
    }

    #[test]
    fn repeated_keys_count_as_parsing_keeps_them() {
        let imported = same_as_whole_tree(
            r#"{"entry":[{"resource":{"resourceType":"Patient","id":"gone"}}],"resourceType":"Bundle",
            "entry":[{"resource":{"resourceType":"Patient","id":"early"},"fullUrl":"urn:uuid:1",
                      "resource":{"resourceType":"Observation","id":"late","subject":{"reference":"urn:uuid:1"}},
                      "fullUrl":"urn:uuid:2"}],
            "resourceType":"Bundle"}"#,
        );
        assert_eq!(imported.1.len(), 1);
        assert!(imported.1[0].id.0.starts_with("Observation/"));
    }

    #[test]
    fn single_resources_and_other_full_urls_agree() {
        for text in [
            r#"{"resourceType":"Patient","id":"solo","meta":{"extension":[]}}"#,
            r#"{"resourceType":"Observation"}"#,
            r#"{"resourceType":"Bundle","entry":[{"fullUrl":"resource:0","resource":{"resourceType":"Patient"}},
            {"fullUrl":"resource:1","resource":{"resourceType":"Immunization","patient":{"reference":"resource:0"}}},
            {"resource":{"resourceType":"Immunization","status":"completed"}}]}"#,
        ] {
            assert!(same_as_whole_tree(text).0.is_ok(), "{text}");
        }
    }

    #[test]
    fn resources_written_as_read_mean_what_parsed_ones_do() {
        // Escapes, numbers, empty and nested containers, `meta` of every shape, a `reference`
        // at the top and in contained resources, an `id` that is not a string.
        let text = r##"{"resourceType":"Bundle","entry":[
            {"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":7,
              "name":[{"text":"Zoë \"Q\" \u00e9\ud83d\ude00\n\/"}],"a":[],"b":{},"c":[[],{}],
              "n":[0,-1,18446744073709551615,-9223372036854775808,1.5,-0.0,1e300,2.5e-8,100.0],
              "t":[true,false,null],"meta":{"versionId":"1","extension":[
                {"url":"https://folio.health/fhir/StructureDefinition/original-id","valueString":"old"},
                {"url":"x","valueReference":{"reference":"urn:uuid:p"}}]}}},
            {"fullUrl":"https://ehr.example/fhir/Observation/1","resource":{"resourceType":"Observation",
              "reference":"Patient/2","contained":[{"resourceType":"Practitioner","id":"pr",
              "extension":[{"valueReference":{"reference":"urn:uuid:p"}}]}],
              "performer":[{"reference":"#pr"}],"subject":{"reference":"urn:uuid:p","display":"P"},
              "meta":"not an object"}},
            {"resource":{"resourceType":"Condition","id":"c","meta":{"extension":{"url":"y"}},
              "subject":{"reference":"https://other.example/fhir/Patient/9"}}},
            {"resource":{"resourceType":"Basic","id":"b"}},
            {"resource":{"resourceType":"Basic","id":"b","code":{"text":"again"}}},
            {"resource":{"resourceType":"Basic","id":{"not":"a string"}}}]}"##;
        let imported = same_as_whole_tree(text);
        assert_eq!(imported.1.len(), 6);
        assert_eq!(warnings(&imported).len(), 1, "{:?}", warnings(&imported));
    }

    #[test]
    fn written_resources_keep_to_the_tree_in_odd_spellings() {
        // Keys spelled with escapes, `reference` keys whose value is not a string (the tree
        // walk does not look inside them), references inside a non-string `id`, and the
        // last of repeated `id` and `meta` keys.
        let odd = r#"{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","id":"p"}},
            {"fullUrl":"urn:uuid:o","resource":{"resourceType":"Observation",
              "subject":{"refer\u0065nce":"urn:uuid:p"},"\u0069d":"o1","m\u0065ta":{"tag":[{"code":"x"}]},
              "focus":[{"reference":{"reference":"urn:uuid:p"}},{"reference":["urn:uuid:p"]}],
              "basedOn":[{"reference":"urn:uuid:p","reference":"urn:uuid:q"}],
              "id":{"reference":"urn:uuid:p"},"meta":{"source":"s"},"id":"o2"}}"#;
        let text = format!(r#"{{"resourceType":"Bundle","entry":[{odd}]}}"#);
        let imported = same_as_whole_tree(&text);
        assert_eq!(imported.1.len(), 2);
        // With spaces between every token but too few to be worth removing, the resources
        // are written from the file's own text.
        let spaced = odd
            .replace(':', " : ")
            .replace(',', " ,\t")
            .replace('{', "{ ")
            .replace('}', " }");
        let padding = "x".repeat(spaced.len() * 20);
        let text = format!(
            r#"{{"resourceType":"Bundle","id":"{padding}","entry":[{spaced},
            {{"resource":{{"resourceType":"Basic","id":"b" , "meta" : {{ }} }}}}]}}"#
        );
        assert!(crate::import::json_compact::compact(&text).is_none());
        let imported = same_as_whole_tree(&text);
        assert_eq!(imported.1.len(), 3);
        // A resource whose first key has escapes cannot be placed in the text: the file's
        // tree is walked instead, to the same result.
        let text = r#"{"resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:p",
            "resource":{"\u0072esourceType":"Patient","id":"p"}}]}"#;
        assert!(!TextOutline::read(text).unwrap().placed);
        assert!(
            TextOutline::read(&text.replace("\\u0072", "r"))
                .unwrap()
                .placed
        );
        assert_eq!(same_as_whole_tree(text).1.len(), 1);
    }

    #[test]
    fn the_resource_limit_holds_when_streaming() {
        let mut opts = opts();
        opts.limits.max_resources = 2;
        let text = r#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"1"}},
            {"resource":{"resourceType":"Patient","id":"2"}},{"resource":{"resourceType":"Patient","id":"3"}}]}"#;
        let (result, _) = same_as_whole_tree_with(text, &opts);
        assert!(matches!(
            result.unwrap_err().kind,
            ImportErrorKind::TooManyResources { max: 2 }
        ));
    }

    #[test]
    fn every_json_file_of_the_corpus_imports_as_before() {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/fhir-r4");
        let Ok(folders) = std::fs::read_dir(data) else {
            return; // the reference data is not on this machine
        };
        let mut files = 0;
        for folder in folders {
            let Ok(members) = std::fs::read_dir(folder.unwrap().path()) else {
                continue;
            };
            for file in members {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|x| x == "json") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let (_result, _entries) = same_as_whole_tree(&text);
                    files += 1;
                }
            }
        }
        assert!(files > 50, "{files} files");
    }
}
