//! The API's compatibility promise (docs/api.md): v1 only grows. What a client generated
//! from an earlier document relies on, as a set of facts: each route (method and path),
//! each schema's fields, each enum value, and each operation's parameters. A newer document
//! keeps every fact of the older one; [`removed`] lists those it lost.
//!
//! And what the document promises of every operation (docs/api.md, "What the document
//! promises"), so that routes added later keep it: [`gaps`] lists where it falls short.

use std::collections::BTreeSet;

use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The facts of `previous` that `current` no longer has, in a stable order.
pub fn removed(previous: &Value, current: &Value) -> Vec<String> {
    let now = facts(current);
    facts(previous).difference(&now).cloned().collect()
}

/// What a generated client relies on in `document`.
pub fn facts(document: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, operations) in paths {
            for method in METHODS {
                let Some(operation) = operations.get(method) else {
                    continue;
                };
                let route = format!("{} {path}", method.to_uppercase());
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    if let (Some(name), Some(place)) =
                        (parameter["name"].as_str(), parameter["in"].as_str())
                    {
                        found.insert(format!("parameter {route} {place} {name}"));
                    }
                }
                found.insert(format!("route {route}"));
            }
        }
    }
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            schema_facts(schema, &format!("schema {name}"), &mut found);
        }
    }
    found
}

/// Operations anyone may call: sign-up, sign-in, recovery and pairing (which hand out the
/// credentials), health, and the SMART Health Links data plane (the link is the capability).
/// Every other operation must name its security.
pub const PUBLIC_OPERATIONS: [&str; 10] = [
    "GET /healthz",
    "POST /api/v1/auth/register/start",
    "POST /api/v1/auth/register/finish",
    "POST /api/v1/auth/login/start",
    "POST /api/v1/auth/login/finish",
    "POST /api/v1/auth/recover",
    "POST /api/v1/pairings/redeem",
    "GET /shl/{link_id}",
    "POST /shl/{link_id}",
    "GET /shl/{link_id}/files/{position}",
];

/// The types every phone app meets, each of which must carry an `example`.
pub const MAIN_TYPES: [&str; 23] = [
    "Problem",
    "Health",
    "AccountSummary",
    "SessionInfo",
    "DeviceSummary",
    "VaultSummary",
    "CreateVault",
    "VaultKeyWrap",
    "AccountVaultKey",
    "UploadedSegment",
    "CompactionResult",
    "CreateShare",
    "CreatedShare",
    "ShareSummary",
    "ShareLog",
    "Manifest",
    "CreateInvitation",
    "Invitation",
    "AcceptedInvitation",
    "Caregiver",
    "CaregiverRemoval",
    "Membership",
    "ActivityEntry",
];

/// Where `document` breaks what docs/api.md promises of every operation: a summary; a
/// description on every response; errors as `application/problem+json` `Problem`s; security
/// on every operation but [`PUBLIC_OPERATIONS`], with its 401, and the CSRF header beside
/// the session cookie on every request but GET; a request body's media type, and its size
/// limit in a 413; and an example on each of [`MAIN_TYPES`].
pub fn gaps(document: &Value) -> Vec<String> {
    let mut gaps = Vec::new();
    for (path, operations) in document["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(operation) = operations.get(method) else {
                continue;
            };
            let route = format!("{} {path}", method.to_uppercase());
            if operation["summary"]
                .as_str()
                .is_none_or(|s| s.trim().is_empty())
            {
                gaps.push(format!("{route}: no summary"));
            }
            let responses = operation["responses"].as_object();
            if responses.is_none_or(|r| r.is_empty()) {
                gaps.push(format!("{route}: no responses"));
            }
            for (status, answer) in responses.into_iter().flatten() {
                if answer["description"]
                    .as_str()
                    .is_none_or(|d| d.trim().is_empty())
                {
                    gaps.push(format!("{route} {status}: no description"));
                }
                // A SMART Health Link's wrong passcode answers the spec's own JSON.
                let is_error = status.starts_with('4') || status.starts_with('5');
                let spec_defined = path.starts_with("/shl/") && status == "401";
                if is_error
                    && !spec_defined
                    && answer["content"]["application/problem+json"]["schema"]["$ref"]
                        != "#/components/schemas/Problem"
                {
                    gaps.push(format!(
                        "{route} {status}: not an application/problem+json Problem"
                    ));
                }
            }
            let security = operation["security"].as_array().filter(|s| !s.is_empty());
            let public = PUBLIC_OPERATIONS.contains(&route.as_str());
            match (security, public) {
                (None, false) => gaps.push(format!("{route}: no security")),
                (Some(_), true) => gaps.push(format!("{route}: public, yet names security")),
                (Some(requirements), false) => {
                    if operation["responses"].get("401").is_none() {
                        gaps.push(format!("{route}: no 401"));
                    }
                    for requirement in requirements {
                        if method != "get"
                            && requirement.get("session").is_some()
                            && requirement.get("csrf").is_none()
                        {
                            gaps.push(format!(
                                "{route}: the session cookie without the CSRF header"
                            ));
                        }
                    }
                }
                (None, true) => {}
            }
            if let Some(body) = operation.get("requestBody") {
                if body["content"].as_object().is_none_or(|c| c.is_empty()) {
                    gaps.push(format!("{route}: a request body without a media type"));
                }
                let limit = operation["responses"]["413"]["description"]
                    .as_str()
                    .unwrap_or_default();
                if !limit.contains(" bytes") {
                    gaps.push(format!(
                        "{route}: a request body without its size limit in a 413"
                    ));
                }
            }
        }
    }
    for name in MAIN_TYPES {
        let schema = &document["components"]["schemas"][name];
        if schema.is_null() {
            gaps.push(format!("schema {name}: missing"));
        } else if schema.get("example").is_none() && schema.get("examples").is_none() {
            gaps.push(format!("schema {name}: no example"));
        }
    }
    gaps
}

/// The fields and enum values of `schema`, at any depth (inside `allOf`, `oneOf`, arrays'
/// `items`, nested objects), each named by where it is.
fn schema_facts(schema: &Value, at: &str, found: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match key.as_str() {
                    "properties" => {
                        for (field, inner) in value.as_object().into_iter().flatten() {
                            let here = format!("{at}.{field}");
                            found.insert(format!("field {here}"));
                            schema_facts(inner, &here, found);
                        }
                    }
                    "enum" => {
                        for variant in value.as_array().into_iter().flatten() {
                            found.insert(format!("enum {at} = {variant}"));
                        }
                    }
                    "const" => {
                        found.insert(format!("enum {at} = {value}"));
                    }
                    // Descriptions and examples may change freely.
                    "description" | "example" | "examples" | "title" => {}
                    other => schema_facts(value, &format!("{at}/{other}"), found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                schema_facts(item, &format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        json!({
            "openapi": "3.1.0",
            "paths": {
                "/api/v1/vaults/{vault}": {
                    "get": {"parameters": [{"name": "vault", "in": "path"}], "responses": {}}
                }
            },
            "components": {"schemas": {
                "Caregiver": {"type": "object", "properties": {
                    "name": {"type": "string"},
                    "status": {"type": "string", "enum": ["invited", "active"]}
                }}
            }}
        })
    }

    #[test]
    fn a_document_keeps_its_own_facts() {
        assert!(removed(&document(), &document()).is_empty());
        assert!(facts(&document()).contains("route GET /api/v1/vaults/{vault}"));
        assert!(facts(&document()).contains("field schema Caregiver.status"));
        assert!(facts(&document()).contains("enum schema Caregiver.status = \"active\""));
    }

    #[test]
    fn growing_breaks_nothing_and_removing_is_caught() {
        let mut grown = document();
        grown["components"]["schemas"]["Caregiver"]["properties"]["signing_key"] =
            json!({"type": "string"});
        grown["paths"]["/api/v1/health"] = json!({"get": {"responses": {}}});
        assert!(removed(&document(), &grown).is_empty());

        let mut fewer_fields = document();
        fewer_fields["components"]["schemas"]["Caregiver"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("name");
        assert_eq!(
            removed(&document(), &fewer_fields),
            vec!["field schema Caregiver.name".to_owned()]
        );

        let mut fewer_values = document();
        fewer_values["components"]["schemas"]["Caregiver"]["properties"]["status"]["enum"] =
            json!(["active"]);
        assert_eq!(
            removed(&document(), &fewer_values),
            vec!["enum schema Caregiver.status = \"invited\"".to_owned()]
        );

        let mut fewer_routes = document();
        fewer_routes["paths"] = json!({});
        assert_eq!(removed(&document(), &fewer_routes).len(), 2);
    }

    /// One operation and the main types as the document promises them.
    fn kept_promises() -> Value {
        let problem = json!({"description": "Not signed in", "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }});
        let mut schemas = serde_json::Map::new();
        for name in MAIN_TYPES {
            schemas.insert(name.to_owned(), json!({"type": "object", "example": {}}));
        }
        json!({
            "openapi": "3.1.0",
            "paths": {"/api/v1/vaults": {"post": {
                "summary": "Create a vault",
                "security": [{"device_token": []}, {"session": [], "csrf": []}],
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": {
                    "201": {"description": "The record"},
                    "401": problem,
                    "413": {"description": "The body is larger than this route's limit of 65536 bytes",
                            "content": problem["content"].clone()}
                }
            }}},
            "components": {"schemas": schemas}
        })
    }

    #[test]
    fn a_document_that_keeps_its_promises_has_no_gaps() {
        assert_eq!(gaps(&kept_promises()), Vec::<String>::new());
    }

    #[test]
    fn each_broken_promise_is_named() {
        let operation = "/api/v1/vaults";
        let broken = |change: &dyn Fn(&mut Value), expected: &str| {
            let mut document = kept_promises();
            change(&mut document);
            assert_eq!(gaps(&document), vec![expected.to_owned()]);
        };
        broken(
            &|d| d["paths"][operation]["post"]["summary"] = json!(""),
            "POST /api/v1/vaults: no summary",
        );
        broken(
            &|d| d["paths"][operation]["post"]["responses"]["201"] = json!({}),
            "POST /api/v1/vaults 201: no description",
        );
        broken(
            &|d| {
                d["paths"][operation]["post"]["responses"]["409"] = json!({"description": "Taken"})
            },
            "POST /api/v1/vaults 409: not an application/problem+json Problem",
        );
        broken(
            &|d| {
                d["paths"][operation]["post"]
                    .as_object_mut()
                    .unwrap()
                    .remove("security");
            },
            "POST /api/v1/vaults: no security",
        );
        broken(
            &|d| d["paths"][operation]["post"]["security"][1] = json!({"session": []}),
            "POST /api/v1/vaults: the session cookie without the CSRF header",
        );
        broken(
            &|d| {
                d["paths"][operation]["post"]["responses"]
                    .as_object_mut()
                    .unwrap()
                    .remove("401");
            },
            "POST /api/v1/vaults: no 401",
        );
        broken(
            &|d| d["paths"][operation]["post"]["requestBody"]["content"] = json!({}),
            "POST /api/v1/vaults: a request body without a media type",
        );
        broken(
            &|d| {
                d["paths"][operation]["post"]["responses"]["413"]["description"] =
                    json!("Too large")
            },
            "POST /api/v1/vaults: a request body without its size limit in a 413",
        );
        broken(
            &|d| {
                d["components"]["schemas"]["Caregiver"]
                    .as_object_mut()
                    .unwrap()
                    .remove("example");
            },
            "schema Caregiver: no example",
        );
    }
}
