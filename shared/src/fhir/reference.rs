//! What a FHIR `Reference.reference` string points at, following the resolution rules of
//! FHIR R4 (Bundle: "Resolving references in Bundles").

use super::looks_like_resource_type;

/// The parsed form of a reference (or of a `Bundle.entry.fullUrl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceTarget<'a> {
    /// `#id`: a resource contained in the referring one; it moves with it.
    Contained(&'a str),
    /// `urn:uuid:…` or `urn:oid:…`: meaningful only inside the file that carries it.
    Urn(&'a str),
    /// `Type/id` (a `_history` suffix is dropped): relative to the server that sent it.
    Relative { resource_type: &'a str, id: &'a str },
    /// `https://server/base/Type/id`: a RESTful URL on a named server.
    Absolute {
        base: &'a str,
        resource_type: &'a str,
        id: &'a str,
    },
    /// `Type?search`: a conditional reference that only a server can resolve.
    Conditional(&'a str),
    /// Anything else (a logical id, a non-RESTful URL, `resource:0` in health cards).
    Other(&'a str),
}

/// Parse a reference or fullUrl.
pub fn parse_reference(reference: &str) -> ReferenceTarget<'_> {
    if let Some(id) = reference.strip_prefix('#') {
        return ReferenceTarget::Contained(id);
    }
    if reference.starts_with("urn:uuid:") || reference.starts_with("urn:oid:") {
        return ReferenceTarget::Urn(reference);
    }
    // Drop a version suffix: a vault keeps one version of each resource.
    let unversioned = match reference.find("/_history/") {
        Some(i) => &reference[..i],
        None => reference,
    };
    // Before the URL test: a search's parameters may themselves hold URLs.
    if let Some((ty, _)) = reference.split_once('?')
        && looks_like_resource_type(ty)
    {
        return ReferenceTarget::Conditional(reference);
    }
    let is_url = unversioned.contains("://");
    let mut parts = unversioned.rsplitn(3, '/');
    let id = parts.next().unwrap_or_default();
    let ty = parts.next();
    let base = parts.next();
    match (ty, base) {
        (Some(ty), base) if looks_like_resource_type(ty) && is_fhir_id(id) => match base {
            None if !is_url => ReferenceTarget::Relative {
                resource_type: ty,
                id,
            },
            Some(base) if is_url => ReferenceTarget::Absolute {
                base,
                resource_type: ty,
                id,
            },
            _ => ReferenceTarget::Other(reference),
        },
        _ => ReferenceTarget::Other(reference),
    }
}

/// FHIR `id`: 1–64 of `[A-Za-z0-9\-\.]`.
pub fn is_fhir_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind() {
        assert_eq!(parse_reference("#med"), ReferenceTarget::Contained("med"));
        assert_eq!(
            parse_reference("urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"),
            ReferenceTarget::Urn("urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a")
        );
        assert_eq!(
            parse_reference("Patient/123/_history/2"),
            ReferenceTarget::Relative {
                resource_type: "Patient",
                id: "123"
            }
        );
        assert_eq!(
            parse_reference("https://example.com/base/Medication/example"),
            ReferenceTarget::Absolute {
                base: "https://example.com/base",
                resource_type: "Medication",
                id: "example"
            }
        );
        assert_eq!(
            parse_reference("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999"),
            ReferenceTarget::Conditional(
                "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999"
            )
        );
        assert_eq!(
            parse_reference("resource:0"),
            ReferenceTarget::Other("resource:0")
        );
        assert_eq!(parse_reference("a/b/c"), ReferenceTarget::Other("a/b/c"));
    }
}
