//! HL7 C-CDA R2.1 (and R1.1, and the CCD 1.0 templates of HITSP C32 where feasible) →
//! FHIR R4.
//!
//! One file per section concept. Sections are found by templateId or LOINC code (see
//! [`sections`]); within a mapped section, every element carrying a mapped entry template
//! becomes one resource, and an entry with none is reported as unmapped. Names, sigs and
//! notes written only in a section's narrative are read through the entries' references
//! into it (see [`narrative`]); sections whose narrative is the content (Hospital Course,
//! Reason for Referral) are kept as notes. Sections Folio does not map are reported with
//! their entry count. The original document is kept
//! whole, base64 in a DocumentReference (`content.attachment.data`), so nothing the
//! mapping leaves out is lost.
//!
//! **XML safety.** roxmltree is told to refuse any DTD: C-CDA never uses one, and refusing
//! it closes both entity expansion ("billion laughs") and external entities. roxmltree
//! itself never fetches external entities and bounds entity nesting as a second line. The
//! node count is capped while parsing, and nesting depth is checked before any recursive
//! walk.

mod allergies;
mod care_team;
mod coverage;
mod datatypes;
mod encounters;
mod family_history;
mod immunizations;
mod medications;
mod narrative;
mod notes;
mod participants;
mod patient;
mod plan_of_care;
mod problems;
mod procedures;
mod results;
mod sections;
mod xml;

use super::EntrySink;
use super::error::{ImportError, ImportErrorKind};
use super::identity::{ORIGINAL_ID_EXTENSION, derived_id, sha256_hex};
use base64::Engine;
use narrative::Narrative;
use problems::ConditionCategory;
use results::ObservationCategory;
use roxmltree::{Document, Node, ParsingOptions};
use sections::{SectionKind, Target, section_kind, target_of};
use serde_json::{Value, json};
use xml::{SiblingIndex, attr, child, children, instance_id, path, template_roots, text, xpath};

/// What every mapped resource needs from its document: stable ids and the patient.
pub(crate) struct CdaContext {
    namespace: String,
    document_key: String,
    patient_reference: String,
    siblings: SiblingIndex,
    narrative: Narrative,
    /// The document's own date, for notes taken from its sections' narrative.
    document_date: Option<String>,
}

impl CdaContext {
    /// A resource's identity is its element's path in this document: deterministic, and
    /// unique even where vendors reuse `id`s across entries.
    fn id_for(&self, node: Node<'_, '_>) -> String {
        derived_id(
            &self.namespace,
            &format!("cda:{}:{}", self.document_key, self.xpath(node)),
        )
    }

    fn xpath(&self, node: Node<'_, '_>) -> String {
        xpath(&self.siblings, node)
    }

    pub(crate) fn reference(&self, resource_type: &str, node: Node<'_, '_>) -> String {
        format!("{resource_type}/{}", self.id_for(node))
    }

    /// The common frame of a mapped resource: type, id, patient, identifiers, and where in
    /// the document it came from.
    pub(crate) fn resource(
        &self,
        resource_type: &str,
        node: Node<'_, '_>,
        patient_field: &str,
    ) -> Value {
        let mut r = json!({
            "resourceType": resource_type,
            "id": self.id_for(node),
            "meta": { "extension": [{
                "url": ORIGINAL_ID_EXTENSION,
                "valueString": format!("cda:{}:{}", self.document_key, self.xpath(node)),
            }] },
        });
        let identifiers: Vec<Value> = children(node, "id")
            .filter_map(patient::identifier)
            .collect();
        if !identifiers.is_empty() {
            r["identifier"] = Value::Array(identifiers);
        }
        r[patient_field] = json!({ "reference": self.patient_reference });
        r
    }
}

pub(crate) fn import_ccda(sink: &mut EntrySink<'_>, bytes: &[u8]) -> Result<(), ImportError> {
    let text_in = super::detect::text(sink.file, bytes)?;
    let limits = sink.opts.limits.clone();
    // No entity resolver: even if DTDs were allowed, external entities would not load.
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_xml_nodes,
        entity_resolver: None,
    };
    let doc = Document::parse_with_options(text_in, options).map_err(|e| {
        let location = sink.location().with_line(e.pos().row as usize);
        let kind = match e {
            roxmltree::Error::DtdDetected => ImportErrorKind::XmlDtdRefused,
            roxmltree::Error::NodesLimitReached => ImportErrorKind::XmlTooManyNodes {
                max: limits.max_xml_nodes,
            },
            roxmltree::Error::UnexpectedEndOfStream => ImportErrorKind::Truncated(e.to_string()),
            other => ImportErrorKind::InvalidXml(other.to_string()),
        };
        ImportError::new(location, kind)
    })?;
    check_depth(&doc, limits.max_xml_depth)
        .map_err(|kind| ImportError::new(sink.location(), kind))?;

    let root = doc.root_element();
    if root.tag_name().namespace() == Some("http://hl7.org/fhir") {
        return Err(ImportError::new(
            sink.location(),
            ImportErrorKind::FhirXmlUnsupported,
        ));
    }
    if root.tag_name().name() != "ClinicalDocument" {
        let root_name = root.tag_name().name().to_string();
        return Err(ImportError::new(
            sink.location(),
            ImportErrorKind::NotCcda { root: root_name },
        ));
    }

    let namespace = sink.opts.provider.clone().unwrap_or_default();
    let document_key = instance_id(root).unwrap_or_else(|| sha256_hex(bytes));
    let role = path(root, &["recordTarget", "patientRole"]);
    let patient_identity = match role.and_then(instance_id) {
        Some(id) => format!("cda-patient:{id}"),
        None => format!("cda:{document_key}:patient"),
    };
    let patient_id = derived_id(&namespace, &patient_identity);
    let ctx = CdaContext {
        namespace: namespace.clone(),
        document_key: document_key.clone(),
        patient_reference: format!("Patient/{patient_id}"),
        siblings: SiblingIndex::new(&doc),
        narrative: Narrative::new(&doc),
        document_date: child(root, "effectiveTime")
            .and_then(|e| attr(e, "value"))
            .and_then(datatypes::date_time),
    };
    let mut source = sink.source();
    if source.provider.is_none() {
        source.provider = patient::document_organization(root);
    }

    let mut resources = Vec::new();
    match role {
        Some(role) => resources.push(patient::patient(role, &patient_id)),
        None => {
            let at = sink
                .location()
                .with_xml_path("/ClinicalDocument/recordTarget");
            sink.warn(
                at,
                "no recordTarget/patientRole: the document names no patient",
            );
        }
    }
    for section in root
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "section")
    {
        map_section(sink, &ctx, section, &mut resources);
    }
    resources.push(document_reference(sink, &ctx, root, bytes, &document_key));
    sink.note(format!(
        "{}: the original C-CDA document is kept base64-encoded inside its DocumentReference (content.attachment.data)",
        sink.file
    ));
    for resource in resources {
        sink.push(resource, source.clone())?;
    }
    Ok(())
}

fn map_section(
    sink: &mut EntrySink<'_>,
    ctx: &CdaContext,
    section: Node<'_, '_>,
    out: &mut Vec<Value>,
) {
    let entries: Vec<Node> = children(section, "entry").collect();
    let Some(kind) = section_kind(section) else {
        if !entries.is_empty() {
            let title = child(section, "title").and_then(text).unwrap_or_default();
            let code = child(section, "code")
                .and_then(|c| attr(c, "code"))
                .unwrap_or("no code");
            let at = sink.location().with_xml_path(ctx.xpath(section));
            sink.warn(at, format!(
                "section \"{title}\" ({code}) is not mapped: its {} entries stay only in the original document",
                entries.len()
            ));
        }
        return;
    };
    if kind.keeps_narrative()
        && let Some(note) = notes::section_note(section, ctx)
    {
        out.push(note);
    }
    for entry in entries {
        let mut mapped = 0;
        for node in entry.descendants().filter(|n| n.is_element()) {
            let Some(target) = target_of(kind, node) else {
                continue;
            };
            mapped += 1;
            out.push(map_entry(ctx, kind, target, node));
        }
        if mapped == 0 && attr(entry, "nullFlavor").is_none() {
            let templates: Vec<&str> = entry
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() != "entry")
                .map(|n| template_roots(n).collect())
                .unwrap_or_default();
            let at = sink.location().with_xml_path(ctx.xpath(entry));
            sink.warn(
                at,
                format!(
                    "unmapped {kind:?} entry (templates: {}); kept only in the original document",
                    if templates.is_empty() {
                        "none".to_string()
                    } else {
                        templates.join(", ")
                    }
                ),
            );
        }
    }
}

fn map_entry(ctx: &CdaContext, kind: SectionKind, target: Target, node: Node<'_, '_>) -> Value {
    match target {
        Target::Condition => {
            let category = match kind {
                SectionKind::AdmissionDiagnoses | SectionKind::DischargeDiagnoses => {
                    ConditionCategory::EncounterDiagnosis
                }
                SectionKind::HealthConcerns => ConditionCategory::HealthConcern,
                _ => ConditionCategory::ProblemListItem,
            };
            problems::condition(node, ctx, category)
        }
        Target::MedicationStatement => medications::medication_statement(node, ctx, kind),
        Target::MedicationRequest => medications::planned_medication(node, ctx),
        Target::AllergyIntolerance => allergies::allergy(node, ctx),
        Target::DiagnosticReport => {
            let results: Vec<Node> = node
                .descendants()
                .filter(|n| n.is_element() && target_of(kind, *n) == Some(Target::Observation))
                .collect();
            results::diagnostic_report(node, ctx, &results)
        }
        Target::Observation => {
            let category = match kind {
                SectionKind::VitalSigns => ObservationCategory::VitalSigns,
                SectionKind::SocialHistory => ObservationCategory::SocialHistory,
                SectionKind::FunctionalStatus => ObservationCategory::FunctionalStatus,
                SectionKind::MentalStatus => ObservationCategory::CognitiveStatus,
                SectionKind::HealthConcerns => ObservationCategory::Survey,
                _ => ObservationCategory::Laboratory,
            };
            results::observation(node, ctx, category)
        }
        Target::Immunization => immunizations::immunization(node, ctx),
        Target::Procedure => procedures::procedure(node, ctx),
        Target::Encounter => encounters::encounter(node, ctx),
        Target::ServiceRequest => plan_of_care::service_request(node, ctx),
        Target::Goal => plan_of_care::goal(node, ctx),
        Target::Coverage => coverage::coverage(node, ctx),
        Target::CareTeam => care_team::care_team(node, ctx),
        Target::FamilyMemberHistory => family_history::family_member_history(node, ctx),
        Target::Note => notes::note_activity(node, ctx),
    }
}

fn document_reference(
    sink: &EntrySink<'_>,
    ctx: &CdaContext,
    root: Node<'_, '_>,
    bytes: &[u8],
    document_key: &str,
) -> Value {
    let title = child(root, "title")
        .and_then(text)
        .unwrap_or_else(|| sink.file.to_string());
    let mut r = json!({
        "resourceType": "DocumentReference",
        "id": derived_id(&ctx.namespace, &format!("cda:{document_key}:document")),
        "status": "current",
        "subject": { "reference": ctx.patient_reference },
        "description": title,
        "content": [{ "attachment": {
            "contentType": "application/xml",
            "data": base64::engine::general_purpose::STANDARD.encode(bytes),
            "title": title,
        } }],
    });
    if let Some(id) = child(root, "id").and_then(patient::identifier) {
        r["masterIdentifier"] = id;
    }
    if let Some(code) =
        child(root, "code").and_then(|c| datatypes::codeable_concept(c, &ctx.narrative))
    {
        r["type"] = code;
    }
    if let Some(when) = child(root, "effectiveTime")
        .and_then(|e| attr(e, "value"))
        .and_then(datatypes::date_time)
    {
        r["content"][0]["attachment"]["creation"] = json!(when);
        r["context"] = json!({ "period": { "start": when } });
    }
    if let Some(org) = patient::document_organization(root) {
        r["custodian"] = json!({ "display": org });
    }
    r
}

/// Deepest element nesting, found without recursion so a deep file cannot overflow the
/// stack before it is refused.
fn check_depth(doc: &Document<'_>, max: usize) -> Result<(), ImportErrorKind> {
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > max {
            return Err(ImportErrorKind::XmlTooDeep { max });
        }
        stack.extend(
            node.children()
                .filter(|c| c.is_element())
                .map(|c| (c, depth + 1)),
        );
    }
    Ok(())
}
