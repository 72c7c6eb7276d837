//! The API's compatibility promise (docs/api.md): v1 only grows. What a client generated
//! from an earlier document relies on, as a set of facts: each route (method and path),
//! each schema's fields, each enum value, and each operation's parameters. A newer document
//! keeps every fact of the older one; [`removed`] lists those it lost.

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
}
