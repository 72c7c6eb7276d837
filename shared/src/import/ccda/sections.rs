//! Which C-CDA sections Folio maps and which entry templates in them become which FHIR
//! resources. Sections are recognised by templateId (C-CDA R1.1/R2.1 and the older CCD
//! 1.0 used by HITSP C32), then by LOINC section code; never by title, which vendors
//! word as they like.

use super::xml::{attr, child, template_roots};
use roxmltree::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionKind {
    Problems,
    Medications,
    Allergies,
    Results,
    VitalSigns,
    Immunizations,
    Procedures,
    Encounters,
    SocialHistory,
    PlanOfCare,
    Goals,
    AdmissionDiagnoses,
    DischargeDiagnoses,
    AdmissionMedications,
    DischargeMedications,
    HealthConcerns,
    FamilyHistory,
    FunctionalStatus,
    MentalStatus,
    Payers,
    CareTeam,
    Notes,
    ReasonForReferral,
    HospitalCourse,
    DischargeInstructions,
}

impl SectionKind {
    /// Sections whose narrative is itself the clinical content (a hospital course, the
    /// reason for a referral): kept as a note of their own, whatever entries they have.
    pub(crate) fn keeps_narrative(self) -> bool {
        matches!(
            self,
            SectionKind::HospitalCourse
                | SectionKind::ReasonForReferral
                | SectionKind::DischargeInstructions
        )
    }
}

const C: &str = "2.16.840.1.113883.10.20.22";

struct SectionRule {
    kind: SectionKind,
    /// Section templateId roots (C-CDA entries-optional and entries-required, CCD 1.0).
    templates: &'static [&'static str],
    /// LOINC section codes, used only when no C-CDA templateId names the section.
    loinc: &'static [&'static str],
}

const SECTIONS: &[SectionRule] = &[
    SectionRule {
        kind: SectionKind::Problems,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.5",
            "2.16.840.1.113883.10.20.22.2.5.1",
            "2.16.840.1.113883.10.20.1.11",
        ],
        loinc: &["11450-4"],
    },
    SectionRule {
        kind: SectionKind::Medications,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.1",
            "2.16.840.1.113883.10.20.22.2.1.1",
            "2.16.840.1.113883.10.20.1.8",
        ],
        loinc: &["10160-0"],
    },
    SectionRule {
        kind: SectionKind::Allergies,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.6",
            "2.16.840.1.113883.10.20.22.2.6.1",
            "2.16.840.1.113883.10.20.1.2",
        ],
        loinc: &["48765-2"],
    },
    SectionRule {
        kind: SectionKind::Results,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.3",
            "2.16.840.1.113883.10.20.22.2.3.1",
            "2.16.840.1.113883.10.20.1.14",
        ],
        loinc: &["30954-2"],
    },
    SectionRule {
        kind: SectionKind::VitalSigns,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.4",
            "2.16.840.1.113883.10.20.22.2.4.1",
            "2.16.840.1.113883.10.20.1.16",
        ],
        loinc: &["8716-3"],
    },
    SectionRule {
        kind: SectionKind::Immunizations,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.2",
            "2.16.840.1.113883.10.20.22.2.2.1",
            "2.16.840.1.113883.10.20.1.6",
        ],
        loinc: &["11369-6"],
    },
    SectionRule {
        kind: SectionKind::Procedures,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.7",
            "2.16.840.1.113883.10.20.22.2.7.1",
            "2.16.840.1.113883.10.20.1.12",
        ],
        loinc: &["47519-4"],
    },
    SectionRule {
        kind: SectionKind::Encounters,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.22",
            "2.16.840.1.113883.10.20.22.2.22.1",
            "2.16.840.1.113883.10.20.1.3",
        ],
        loinc: &["46240-8"],
    },
    SectionRule {
        kind: SectionKind::SocialHistory,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.17",
            "2.16.840.1.113883.10.20.1.15",
        ],
        loinc: &["29762-2"],
    },
    SectionRule {
        kind: SectionKind::PlanOfCare,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.10",
            "2.16.840.1.113883.10.20.1.10",
        ],
        loinc: &["18776-5"],
    },
    SectionRule {
        kind: SectionKind::Goals,
        templates: &["2.16.840.1.113883.10.20.22.2.60"],
        loinc: &["61146-7"],
    },
    SectionRule {
        kind: SectionKind::AdmissionDiagnoses,
        templates: &["2.16.840.1.113883.10.20.22.2.43"],
        loinc: &["46241-6", "42347-5"],
    },
    SectionRule {
        kind: SectionKind::DischargeDiagnoses,
        templates: &["2.16.840.1.113883.10.20.22.2.24"],
        loinc: &["11535-2", "78375-3"],
    },
    SectionRule {
        kind: SectionKind::AdmissionMedications,
        templates: &["2.16.840.1.113883.10.20.22.2.44"],
        loinc: &["42346-7"],
    },
    SectionRule {
        kind: SectionKind::DischargeMedications,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.11",
            "2.16.840.1.113883.10.20.22.2.11.1",
        ],
        loinc: &["10183-2", "75311-1"],
    },
    SectionRule {
        kind: SectionKind::HealthConcerns,
        templates: &["2.16.840.1.113883.10.20.22.2.58"],
        loinc: &["75310-3"],
    },
    SectionRule {
        kind: SectionKind::FamilyHistory,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.15",
            "2.16.840.1.113883.10.20.1.4",
        ],
        loinc: &["10157-6"],
    },
    SectionRule {
        kind: SectionKind::FunctionalStatus,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.14",
            "2.16.840.1.113883.10.20.1.5",
        ],
        loinc: &["47420-5"],
    },
    SectionRule {
        kind: SectionKind::MentalStatus,
        templates: &["2.16.840.1.113883.10.20.22.2.56"],
        loinc: &["10190-7"],
    },
    SectionRule {
        kind: SectionKind::Payers,
        templates: &[
            "2.16.840.1.113883.10.20.22.2.18",
            "2.16.840.1.113883.10.20.1.9",
        ],
        loinc: &["48768-6"],
    },
    SectionRule {
        kind: SectionKind::CareTeam,
        templates: &["2.16.840.1.113883.10.20.22.2.500"],
        loinc: &["85847-2"],
    },
    SectionRule {
        kind: SectionKind::Notes,
        templates: &["2.16.840.1.113883.10.20.22.2.65"],
        loinc: &["11506-3"],
    },
    SectionRule {
        kind: SectionKind::ReasonForReferral,
        templates: &["1.3.6.1.4.1.19376.1.5.3.1.3.1"],
        loinc: &["42349-1"],
    },
    SectionRule {
        kind: SectionKind::HospitalCourse,
        templates: &["1.3.6.1.4.1.19376.1.5.3.1.3.5"],
        loinc: &["8648-8"],
    },
    SectionRule {
        kind: SectionKind::DischargeInstructions,
        templates: &["2.16.840.1.113883.10.20.22.2.41"],
        loinc: &["8653-8"],
    },
];

/// What a section is, if Folio maps it.
pub(crate) fn section_kind(section: Node<'_, '_>) -> Option<SectionKind> {
    let roots: Vec<&str> = template_roots(section).collect();
    if let Some(rule) = SECTIONS
        .iter()
        .find(|r| r.templates.iter().any(|t| roots.contains(t)))
    {
        return Some(rule.kind);
    }
    // Only when no templateId says otherwise: a section with a template Folio does not map
    // (e.g. discharge medications) must not be taken for its LOINC lookalike.
    let code = child(section, "code").and_then(|c| attr(c, "code"))?;
    let by_code = SECTIONS.iter().find(|r| r.loinc.contains(&code))?;
    let known_other = roots
        .iter()
        .any(|r| r.starts_with(C) || r.starts_with("2.16.840.1.113883.10.20.1."));
    (!known_other).then_some(by_code.kind)
}

/// The FHIR resource one entry template becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Condition,
    MedicationStatement,
    AllergyIntolerance,
    DiagnosticReport,
    Observation,
    Immunization,
    Procedure,
    Encounter,
    ServiceRequest,
    MedicationRequest,
    Goal,
    Coverage,
    CareTeam,
    FamilyMemberHistory,
    /// A Note Activity → DocumentReference.
    Note,
}

/// Entry templates mapped in each kind of section.
pub(crate) fn targets(kind: SectionKind) -> &'static [(&'static str, Target)] {
    use Target::*;
    match kind {
        SectionKind::Problems => &[
            ("2.16.840.1.113883.10.20.22.4.4", Condition),
            ("2.16.840.1.113883.10.20.1.28", Condition),
        ],
        SectionKind::Medications => &[
            ("2.16.840.1.113883.10.20.22.4.16", MedicationStatement),
            ("2.16.840.1.113883.10.20.1.24", MedicationStatement),
        ],
        SectionKind::Allergies => &[
            ("2.16.840.1.113883.10.20.22.4.7", AllergyIntolerance),
            ("2.16.840.1.113883.10.20.1.18", AllergyIntolerance),
        ],
        SectionKind::Results => &[
            ("2.16.840.1.113883.10.20.22.4.1", DiagnosticReport),
            ("2.16.840.1.113883.10.20.1.32", DiagnosticReport),
            ("2.16.840.1.113883.10.20.22.4.2", Observation),
            ("2.16.840.1.113883.10.20.1.31", Observation),
        ],
        SectionKind::VitalSigns => &[
            ("2.16.840.1.113883.10.20.22.4.27", Observation),
            ("2.16.840.1.113883.10.20.1.31", Observation),
        ],
        SectionKind::Immunizations => &[
            ("2.16.840.1.113883.10.20.22.4.52", Immunization),
            ("2.16.840.1.113883.10.20.1.24", Immunization),
        ],
        SectionKind::Procedures => &[
            ("2.16.840.1.113883.10.20.22.4.14", Procedure),
            ("2.16.840.1.113883.10.20.22.4.13", Procedure),
            ("2.16.840.1.113883.10.20.22.4.12", Procedure),
            ("2.16.840.1.113883.10.20.1.29", Procedure),
        ],
        SectionKind::Encounters => &[
            ("2.16.840.1.113883.10.20.22.4.49", Encounter),
            ("2.16.840.1.113883.10.20.1.21", Encounter),
        ],
        SectionKind::SocialHistory => &[
            ("2.16.840.1.113883.10.20.22.4.38", Observation),
            ("2.16.840.1.113883.10.20.22.4.78", Observation),
            ("2.16.840.1.113883.10.20.22.4.85", Observation),
            ("2.16.840.1.113883.10.20.22.4.200", Observation),
            ("2.16.840.1.113883.10.20.15.3.8", Observation),
            ("2.16.840.1.113883.10.20.1.33", Observation),
        ],
        SectionKind::PlanOfCare => &[
            ("2.16.840.1.113883.10.20.22.4.39", ServiceRequest),
            ("2.16.840.1.113883.10.20.22.4.40", ServiceRequest),
            ("2.16.840.1.113883.10.20.22.4.41", ServiceRequest),
            ("2.16.840.1.113883.10.20.22.4.44", ServiceRequest),
            ("2.16.840.1.113883.10.20.1.25", ServiceRequest),
            ("2.16.840.1.113883.10.20.22.4.42", MedicationRequest),
            ("2.16.840.1.113883.10.20.22.4.121", Goal),
        ],
        SectionKind::Goals => &[("2.16.840.1.113883.10.20.22.4.121", Goal)],
        // Problem Observations inside Hospital Admission / Discharge Diagnosis acts.
        SectionKind::AdmissionDiagnoses | SectionKind::DischargeDiagnoses => &[
            ("2.16.840.1.113883.10.20.22.4.4", Condition),
            ("2.16.840.1.113883.10.20.1.28", Condition),
        ],
        // Medication Activities, inside Admission / Discharge Medication acts or not.
        SectionKind::AdmissionMedications | SectionKind::DischargeMedications => {
            &[("2.16.840.1.113883.10.20.22.4.16", MedicationStatement)]
        }
        // The Health Concern Act is the concern; the observations inside it describe it.
        SectionKind::HealthConcerns => &[
            ("2.16.840.1.113883.10.20.22.4.132", Condition),
            ("2.16.840.1.113883.10.20.22.4.5", Observation),
        ],
        SectionKind::FamilyHistory => &[
            ("2.16.840.1.113883.10.20.22.4.45", FamilyMemberHistory),
            ("2.16.840.1.113883.10.20.1.23", FamilyMemberHistory),
        ],
        SectionKind::FunctionalStatus => &[
            ("2.16.840.1.113883.10.20.22.4.67", Observation),
            ("2.16.840.1.113883.10.20.22.4.68", Observation),
            ("2.16.840.1.113883.10.20.22.4.73", Observation),
            ("2.16.840.1.113883.10.20.22.4.74", Observation),
            ("2.16.840.1.113883.10.20.22.4.128", Observation),
            ("2.16.840.1.113883.10.20.22.4.69", Observation),
        ],
        SectionKind::MentalStatus => &[
            ("2.16.840.1.113883.10.20.22.4.74", Observation),
            ("2.16.840.1.113883.10.20.22.4.73", Observation),
            ("2.16.840.1.113883.10.20.22.4.69", Observation),
        ],
        SectionKind::Payers => &[
            ("2.16.840.1.113883.10.20.22.4.61", Coverage),
            ("2.16.840.1.113883.10.20.1.26", Coverage),
        ],
        SectionKind::CareTeam => &[("2.16.840.1.113883.10.20.22.4.500", CareTeam)],
        SectionKind::Notes => &[("2.16.840.1.113883.10.20.22.4.202", Note)],
        SectionKind::ReasonForReferral => &[("2.16.840.1.113883.10.20.22.4.140", ServiceRequest)],
        SectionKind::HospitalCourse | SectionKind::DischargeInstructions => &[],
    }
}

/// The target of an element in a section of `kind`, if it carries a mapped template.
pub(crate) fn target_of(kind: SectionKind, node: Node<'_, '_>) -> Option<Target> {
    let table = targets(kind);
    template_roots(node).find_map(|r| {
        table
            .iter()
            .find(|(t, _)| *t == r)
            .map(|(_, target)| *target)
    })
}
