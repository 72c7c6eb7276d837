//! The one date that places a resource in time for sharing: when the clinical fact
//! happened, not when a server stored it.
//!
//! **Which field.** Per resource type, the first of these that holds a readable FHIR
//! date wins ([`DATE_FIELDS`] is the only place this is decided):
//!
//! | type | fields, in order |
//! |---|---|
//! | AllergyIntolerance, Condition | `onset[x]` (dateTime, Period start/end), `recordedDate` |
//! | MedicationStatement | `effective[x]`, `dateAsserted` |
//! | MedicationRequest | `authoredOn` |
//! | MedicationAdministration | `effective[x]` |
//! | MedicationDispense | `whenHandedOver`, `whenPrepared` |
//! | Immunization | `occurrenceDateTime`, `recorded` |
//! | Observation | `effective[x]` (dateTime, Period, instant), `issued` |
//! | DiagnosticReport | `effective[x]`, `issued` |
//! | Procedure | `performed[x]` (dateTime, Period) |
//! | Encounter | `period` |
//! | DocumentReference | `context.period` (the care the document is about), `date`, the attachment's `creation` |
//! | ImagingStudy | `started` |
//! | Media | `created[x]`, `issued` |
//!
//! A Period counts by its start, or by its end when it has no start. Strings (`onsetString`,
//! `occurrenceString`) and ages are not dates and are skipped.
//!
//! **Which day.** A dateTime counts on the calendar day written in it, in the time zone
//! the source wrote (`2024-03-01T23:30:00-05:00` is 1 March): that is the day the patient
//! and the source remember. A partial date (`2019`, `2019-03`) stands for all the days it
//! may mean; see [`ClinicalDate`].

use chrono::NaiveDate;
use serde_json::Value;

/// The days a FHIR date may denote: one day for a full date or dateTime, a month or a
/// year for a partial date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClinicalDate {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl ClinicalDate {
    /// Parse a FHIR `date`, `dateTime` or `instant`. `None` for anything else.
    pub fn parse(text: &str) -> Option<ClinicalDate> {
        let date = text.split('T').next().unwrap_or_default();
        let mut parts = date.splitn(3, '-');
        let year: i32 = parse_digits(parts.next()?, 4)?;
        let Some(month) = parts.next() else {
            return Some(ClinicalDate {
                first: NaiveDate::from_ymd_opt(year, 1, 1)?,
                last: NaiveDate::from_ymd_opt(year, 12, 31)?,
            });
        };
        let month: u32 = parse_digits(month, 2)?;
        let Some(day) = parts.next() else {
            let first = NaiveDate::from_ymd_opt(year, month, 1)?;
            let next = match month {
                12 => NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
                m => NaiveDate::from_ymd_opt(year, m + 1, 1)?,
            };
            return Some(ClinicalDate {
                first,
                last: next.pred_opt()?,
            });
        };
        let day = NaiveDate::from_ymd_opt(year, month, parse_digits(day, 2)?)?;
        Some(ClinicalDate {
            first: day,
            last: day,
        })
    }

    /// Whether every day this date may mean lies within `from..=to` (an open end admits
    /// everything on its side).
    pub fn within(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> bool {
        from.is_none_or(|f| self.first >= f) && to.is_none_or(|t| self.last <= t)
    }
}

fn parse_digits<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// JSON pointers of each resource type's clinically relevant date, in order of
/// preference.
pub const DATE_FIELDS: &[(&str, &[&str])] = &[
    (
        "AllergyIntolerance",
        &[
            "/onsetDateTime",
            "/onsetPeriod/start",
            "/onsetPeriod/end",
            "/recordedDate",
        ],
    ),
    (
        "Condition",
        &[
            "/onsetDateTime",
            "/onsetPeriod/start",
            "/onsetPeriod/end",
            "/recordedDate",
        ],
    ),
    (
        "MedicationStatement",
        &[
            "/effectiveDateTime",
            "/effectivePeriod/start",
            "/effectivePeriod/end",
            "/dateAsserted",
        ],
    ),
    ("MedicationRequest", &["/authoredOn"]),
    (
        "MedicationAdministration",
        &[
            "/effectiveDateTime",
            "/effectivePeriod/start",
            "/effectivePeriod/end",
        ],
    ),
    ("MedicationDispense", &["/whenHandedOver", "/whenPrepared"]),
    ("Immunization", &["/occurrenceDateTime", "/recorded"]),
    (
        "Observation",
        &[
            "/effectiveDateTime",
            "/effectivePeriod/start",
            "/effectivePeriod/end",
            "/effectiveInstant",
            "/issued",
        ],
    ),
    (
        "DiagnosticReport",
        &[
            "/effectiveDateTime",
            "/effectivePeriod/start",
            "/effectivePeriod/end",
            "/issued",
        ],
    ),
    (
        "Procedure",
        &[
            "/performedDateTime",
            "/performedPeriod/start",
            "/performedPeriod/end",
        ],
    ),
    ("Encounter", &["/period/start", "/period/end"]),
    (
        "DocumentReference",
        &[
            "/context/period/start",
            "/context/period/end",
            "/date",
            "/content/0/attachment/creation",
        ],
    ),
    ("ImagingStudy", &["/started"]),
    (
        "Media",
        &[
            "/createdDateTime",
            "/createdPeriod/start",
            "/createdPeriod/end",
            "/issued",
        ],
    ),
];

/// The clinically relevant date of `resource`, or `None` when its type has none or it
/// carries none.
pub fn clinical_date(resource: &Value) -> Option<ClinicalDate> {
    clinical_date_text(resource).and_then(ClinicalDate::parse)
}

/// The text of the field [`clinical_date`] reads, as the source wrote it (for display).
pub fn clinical_date_text(resource: &Value) -> Option<&str> {
    let resource_type = resource.get("resourceType").and_then(Value::as_str)?;
    let (_, pointers) = DATE_FIELDS.iter().find(|(t, _)| *t == resource_type)?;
    pointers
        .iter()
        .filter_map(|p| resource.pointer(p).and_then(Value::as_str))
        .find(|text| ClinicalDate::parse(text).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn parses_each_precision_to_the_days_it_may_mean() {
        let full = ClinicalDate::parse("2024-03-01T23:30:00-05:00").unwrap();
        assert_eq!((full.first, full.last), (day(2024, 3, 1), day(2024, 3, 1)));
        let month = ClinicalDate::parse("2024-02").unwrap();
        assert_eq!(
            (month.first, month.last),
            (day(2024, 2, 1), day(2024, 2, 29))
        );
        let december = ClinicalDate::parse("2023-12").unwrap();
        assert_eq!(december.last, day(2023, 12, 31));
        let year = ClinicalDate::parse("2019").unwrap();
        assert_eq!(
            (year.first, year.last),
            (day(2019, 1, 1), day(2019, 12, 31))
        );
        for bad in [
            "",
            "soon",
            "2024-13-01",
            "2024-02-30",
            "24-01-01",
            "2024-1-1",
        ] {
            assert_eq!(ClinicalDate::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_partial_date_is_within_a_range_only_when_all_its_days_are() {
        let year = ClinicalDate::parse("2019").unwrap();
        assert!(year.within(Some(day(2019, 1, 1)), Some(day(2019, 12, 31))));
        assert!(!year.within(Some(day(2019, 6, 1)), None));
        assert!(year.within(None, None));
    }

    #[test]
    fn picks_the_first_readable_field_of_the_type() {
        let condition = json!({"resourceType": "Condition",
            "onsetString": "childhood", "onsetPeriod": {"end": "2001-05"},
            "recordedDate": "2020-01-01"});
        assert_eq!(clinical_date_text(&condition), Some("2001-05"));
        let observation = json!({"resourceType": "Observation",
            "effectiveDateTime": "not a date", "issued": "2020-02-02T10:00:00Z"});
        assert_eq!(
            clinical_date_text(&observation),
            Some("2020-02-02T10:00:00Z")
        );
        assert_eq!(
            clinical_date(&json!({"resourceType": "Patient", "birthDate": "1980-01-01"})),
            None
        );
    }
}
