//! Measured values: every observation's value (and each component's) in the patient's
//! units, gathered into one [`Series`] per test and kind (results, vital signs, social
//! history, questionnaire answers), and the results also by [`Panel`]: a report with the
//! observations it lists, newest first.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::classify::{ObservationKind, observation_kind};
use super::fhir::{concept_code, concept_key, concept_text, first_date, number, string};
use super::model::fmt_number;
use super::units::{Recorded, UnitPreference, normalise};

/// A reference range, from `Observation.referenceRange`, in the unit of its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferenceRange {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub text: Option<String>,
}

impl ReferenceRange {
    /// True when `value` falls outside the numeric bounds.
    pub fn excludes(&self, value: f64) -> bool {
        self.low.is_some_and(|low| value < low) || self.high.is_some_and(|high| value > high)
    }

    /// The range in words: "4.0–10.0", "< 5.7", "> 40", or its text.
    pub fn describe(&self) -> Option<String> {
        let shown = |v: f64| fmt_number((v * 100.0).round() / 100.0);
        match (self.low, self.high) {
            (Some(low), Some(high)) => Some(format!("{}–{}", shown(low), shown(high))),
            (Some(low), None) => Some(format!("≥ {}", shown(low))),
            (None, Some(high)) => Some(format!("≤ {}", shown(high))),
            (None, None) => self.text.clone(),
        }
    }
}

/// One measured value of a test.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub date: Option<String>,
    /// The numeric value in the series' unit, when there is one (a chart needs it).
    pub value: Option<f64>,
    /// The value as shown, in the patient's units: "36.3 °C", "7.2 %", "Positive".
    pub display: String,
    /// The unit of `value` and `display`, in words.
    pub unit: Option<String>,
    /// The value and unit as the record wrote them, for a quantity.
    pub recorded: Option<Recorded>,
    /// Out of its reference range, or flagged abnormal by the lab.
    pub out_of_range: bool,
    pub interpretation: Option<String>,
    pub source: Option<String>,
}

impl Point {
    /// "97.3 °F": the value as the record wrote it, when it is shown otherwise.
    pub fn as_recorded(&self) -> Option<String> {
        let text = self.recorded.as_ref()?.text();
        (text != self.display).then_some(text)
    }
}

/// Every value of one test (or vital sign), oldest first, in one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The test's code (`system|code`, else its words): what makes values one series.
    pub key: String,
    pub name: String,
    /// The unit every plotted value is in, in words ("°C", "beats per minute"). A value
    /// recorded in a unit that cannot be converted to it is listed but not plotted.
    pub unit: Option<String>,
    pub points: Vec<Point>,
    /// The most recent reference range given in the series' unit.
    pub range: Option<ReferenceRange>,
}

impl Series {
    /// The most recent value.
    pub fn latest(&self) -> Option<&Point> {
        self.points.last()
    }

    /// True when a trend chart makes sense: more than one numeric value.
    pub fn has_trend(&self) -> bool {
        self.points.iter().filter(|p| p.value.is_some()).count() > 1
    }
}

/// A panel of results: a report (a blood count, a metabolic panel) with its observations,
/// or one observation no report lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    pub date: Option<String>,
    pub source: Option<String>,
    pub results: Vec<PanelResult>,
}

/// One line of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelResult {
    /// The series this value belongs to ([`Series::key`]).
    pub key: String,
    pub name: String,
    pub point: Point,
    pub range: Option<ReferenceRange>,
}

/// One value read from an observation or one of its components.
#[derive(Debug, Clone)]
struct Row {
    key: String,
    name: String,
    point: Point,
    range: Option<ReferenceRange>,
}

/// The measured values of a record as they are read, sorted into series and panels by
/// [`ResultsBook::finish`].
#[derive(Debug, Default)]
pub(crate) struct ResultsBook {
    units: UnitPreference,
    /// Rows by kind and test key.
    series: HashMap<ObservationKind, BTreeMap<String, Vec<Row>>>,
    /// Each result observation's rows, in reading order, with its identities (`fullUrl`,
    /// `Observation/id`) for the reports to find them by.
    observations: Vec<(Vec<String>, Vec<Row>)>,
    reports: Vec<Report>,
}

/// A DiagnosticReport as read.
#[derive(Debug)]
struct Report {
    title: String,
    date: Option<String>,
    source: Option<String>,
    references: Vec<String>,
}

/// Series of each kind and the panels.
#[derive(Debug, Default)]
pub(crate) struct Measured {
    pub results: Vec<Series>,
    pub vital_signs: Vec<Series>,
    pub social_history: Vec<Series>,
    pub assessments: Vec<Series>,
    pub panels: Vec<Panel>,
}

impl ResultsBook {
    pub(crate) fn new(units: UnitPreference) -> Self {
        ResultsBook {
            units,
            ..ResultsBook::default()
        }
    }

    pub(crate) fn add_observation(&mut self, resource: &Value, source: Option<String>) {
        let rows = observation_rows(resource, source, self.units);
        let kind = observation_kind(resource);
        let by_key = self.series.entry(kind).or_default();
        for row in &rows {
            by_key.entry(row.key.clone()).or_default().push(row.clone());
        }
        if kind == ObservationKind::Result && !rows.is_empty() {
            self.observations.push((identities(resource), rows));
        }
    }

    pub(crate) fn add_report(&mut self, resource: &Value, source: Option<String>) {
        if matches!(
            string(resource, "/status"),
            Some("entered-in-error" | "cancelled")
        ) {
            return;
        }
        let references = resource
            .get("result")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| string(r, "/reference"))
            .map(str::to_owned)
            .collect();
        self.reports.push(Report {
            title: resource
                .get("code")
                .and_then(concept_text)
                .unwrap_or_else(|| "Report".into()),
            date: first_date(
                resource,
                &["/effectiveDateTime", "/effectivePeriod/start", "/issued"],
            ),
            source,
            references,
        });
    }

    pub(crate) fn finish(mut self) -> Measured {
        let mut kind = |k: ObservationKind| {
            self.series
                .remove(&k)
                .map(series_by_recency)
                .unwrap_or_default()
        };
        let mut measured = Measured {
            results: kind(ObservationKind::Result),
            vital_signs: kind(ObservationKind::VitalSign),
            social_history: kind(ObservationKind::SocialHistory),
            assessments: kind(ObservationKind::Survey),
            panels: Vec::new(),
        };
        measured.panels = panels(self.observations, self.reports, &measured.results);
        measured
    }
}

/// The ways a report may refer to an observation.
fn identities(resource: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    if let Some(url) = string(resource, "/_fullUrl") {
        ids.push(url.to_owned());
    }
    if let Some(id) = string(resource, "/id") {
        ids.push(format!("Observation/{id}"));
    }
    ids
}

/// A reference as `Type/id` when it ends so (an absolute URL), else as written.
fn relative(reference: &str) -> String {
    let mut parts = reference.trim().rsplit('/');
    match (parts.next(), parts.next()) {
        (Some(id), Some(kind)) => format!("{kind}/{id}"),
        _ => reference.trim().to_owned(),
    }
}

/// Reports with the results they list, then each result no report lists as a panel of
/// its own; newest first. Values are shown as in their series (same unit).
fn panels(
    observations: Vec<(Vec<String>, Vec<Row>)>,
    reports: Vec<Report>,
    series: &[Series],
) -> Vec<Panel> {
    let mut by_identity: HashMap<String, usize> = HashMap::new();
    for (n, (ids, _)) in observations.iter().enumerate() {
        for id in ids {
            by_identity.insert(id.clone(), n);
        }
    }
    let units: HashMap<&str, Option<&String>> = series
        .iter()
        .map(|s| (s.key.as_str(), s.unit.as_ref()))
        .collect();
    let plotted = |row: &Row| -> PanelResult {
        let mut point = row.point.clone();
        let unit = units.get(row.key.as_str()).copied().flatten();
        if point.unit.as_ref() != unit {
            point.value = None;
        }
        PanelResult {
            key: row.key.clone(),
            name: row.name.clone(),
            point,
            range: row.range.clone(),
        }
    };
    let mut listed = vec![false; observations.len()];
    let mut list: Vec<Panel> = Vec::new();
    for report in reports {
        let mut results = Vec::new();
        for reference in &report.references {
            let found = by_identity
                .get(reference.trim())
                .or_else(|| by_identity.get(&relative(reference)));
            if let Some(&n) = found {
                listed[n] = true;
                results.extend(observations[n].1.iter().map(plotted));
            }
        }
        if !results.is_empty() {
            list.push(Panel {
                title: report.title,
                date: report.date,
                source: report.source,
                results,
            });
        }
    }
    for (n, (_, rows)) in observations.iter().enumerate() {
        if !listed[n] {
            list.push(Panel {
                title: rows[0].name.clone(),
                date: rows[0].point.date.clone(),
                source: rows[0].point.source.clone(),
                results: rows.iter().map(plotted).collect(),
            });
        }
    }
    list.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.title.cmp(&b.title)));
    list
}

fn observation_rows(resource: &Value, source: Option<String>, units: UnitPreference) -> Vec<Row> {
    if matches!(
        string(resource, "/status"),
        Some("entered-in-error" | "cancelled")
    ) {
        return Vec::new();
    }
    let Some(code) = resource.get("code") else {
        return Vec::new();
    };
    let date = first_date(
        resource,
        &[
            "/effectiveDateTime",
            "/effectivePeriod/start",
            "/effectiveInstant",
            "/issued",
        ],
    );
    let interpretation = resource.pointer("/interpretation/0");
    let components: Vec<&Value> = resource
        .get("component")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut rows = Vec::new();
    if has_value(resource) || components.is_empty() {
        rows.extend(row(code, resource, interpretation, &date, &source, units));
    }
    for component in components {
        if let Some(component_code) = component.get("code") {
            let interpretation = component.pointer("/interpretation/0").or(interpretation);
            rows.extend(row(
                component_code,
                component,
                interpretation,
                &date,
                &source,
                units,
            ));
        }
    }
    rows
}

fn has_value(element: &Value) -> bool {
    element
        .as_object()
        .is_some_and(|fields| fields.keys().any(|k| k.starts_with("value")))
}

fn row(
    code: &Value,
    element: &Value,
    interpretation: Option<&Value>,
    date: &Option<String>,
    source: &Option<String>,
    units: UnitPreference,
) -> Option<Row> {
    let key = concept_key(code)?;
    let name = concept_text(code).unwrap_or_else(|| "Unnamed result".into());
    let value = value_of(element, &key, units)?;
    let range = element
        .pointer("/referenceRange/0")
        .map(|range| {
            let bound = |pointer: &str| number(range, pointer).map(|v| (value.convert)(v));
            ReferenceRange {
                low: bound("/low/value"),
                high: bound("/high/value"),
                text: string(range, "/text").map(str::to_owned),
            }
        })
        .filter(|r| r.low.is_some() || r.high.is_some() || r.text.is_some());
    let abnormal_code = interpretation
        .and_then(|i| concept_code(Some(i)))
        .map(|c| c.to_ascii_uppercase())
        .is_some_and(|c| {
            matches!(
                c.as_str(),
                "H" | "L" | "HH" | "LL" | "HU" | "LU" | "A" | "AA" | ">" | "<"
            )
        });
    let out_of_range = abnormal_code
        || value
            .number
            .zip(range.as_ref())
            .is_some_and(|(v, r)| r.excludes(v));
    Some(Row {
        key,
        name,
        point: Point {
            date: date.clone(),
            value: value.number,
            display: value.display,
            unit: value.unit,
            recorded: value.recorded,
            out_of_range,
            interpretation: interpretation.and_then(concept_text),
            source: source.clone(),
        },
        range,
    })
}

/// A value read: as a number in the patient's unit, as shown, as recorded, and how to
/// convert its reference range alike.
struct ReadValue {
    number: Option<f64>,
    display: String,
    unit: Option<String>,
    recorded: Option<Recorded>,
    convert: Box<dyn Fn(f64) -> f64>,
}

fn plain(number: Option<f64>, display: String) -> Option<ReadValue> {
    (!display.is_empty()).then(|| ReadValue {
        number,
        display,
        unit: None,
        recorded: None,
        convert: Box::new(|v| v),
    })
}

fn value_of(element: &Value, analyte: &str, units: UnitPreference) -> Option<ReadValue> {
    if let Some(quantity) = element.get("valueQuantity") {
        let value = number(quantity, "/value")?;
        // The UCUM code converts; the unit's text is what a record without one wrote.
        let unit = string(quantity, "/code").or_else(|| string(quantity, "/unit"));
        let shown = normalise(value, unit, Some(analyte), units);
        let comparator = string(quantity, "/comparator").unwrap_or("");
        let display = format!("{comparator}{}", shown.text());
        let recorded = Recorded {
            value,
            unit: unit.map(str::to_owned),
        };
        let number = shown.value;
        let shown_unit = shown.unit.clone();
        return Some(ReadValue {
            number: Some(number),
            display,
            unit: shown_unit,
            recorded: Some(recorded),
            convert: Box::new(move |v| shown.convert_alike(v)),
        });
    }
    if let Some(concept) = element.get("valueCodeableConcept") {
        return plain(None, concept_text(concept).unwrap_or_default());
    }
    if let Some(text) = string(element, "/valueString") {
        return plain(None, text.to_owned());
    }
    if let Some(value) = element.get("valueInteger").and_then(Value::as_f64) {
        return plain(Some(value), fmt_number(value));
    }
    if let Some(value) = element.get("valueBoolean").and_then(Value::as_bool) {
        return plain(None, if value { "Yes" } else { "No" }.into());
    }
    if let Some(low) = number(element, "/valueRange/low/value") {
        let display = match number(element, "/valueRange/high/value") {
            Some(high) => format!("{}–{}", fmt_number(low), fmt_number(high)),
            None => format!("≥ {}", fmt_number(low)),
        };
        return plain(None, display);
    }
    None
}

/// Each test's rows as one series, oldest first, in one unit: the unit most of its values
/// are in (the latest on a tie); values in another are listed, not plotted. Series are
/// ordered by their latest value, newest first.
fn series_by_recency(by_key: BTreeMap<String, Vec<Row>>) -> Vec<Series> {
    let mut list: Vec<Series> = by_key
        .into_iter()
        .map(|(key, mut rows)| {
            rows.sort_by(|a, b| a.point.date.cmp(&b.point.date));
            let unit = main_unit(&rows);
            let range = rows
                .iter()
                .rev()
                .filter(|r| r.point.unit == unit)
                .find_map(|r| r.range.clone());
            let name = rows[0].name.clone();
            let points = rows
                .into_iter()
                .map(|r| {
                    let mut point = r.point;
                    if point.unit != unit {
                        point.value = None;
                    }
                    point
                })
                .collect();
            Series {
                key,
                name,
                unit,
                points,
                range,
            }
        })
        .collect();
    list.sort_by(|a, b| {
        let latest = |s: &Series| s.points.last().and_then(|p| p.date.clone());
        latest(b).cmp(&latest(a)).then_with(|| a.name.cmp(&b.name))
    });
    list
}

/// The unit most numeric values of a test are in; the latest's on a tie.
fn main_unit(rows: &[Row]) -> Option<String> {
    let mut counts: Vec<(Option<String>, usize, usize)> = Vec::new();
    for (n, row) in rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.point.value.is_some())
    {
        match counts.iter_mut().find(|(u, _, _)| *u == row.point.unit) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 = n;
            }
            None => counts.push((row.point.unit.clone(), 1, n)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, count, last)| (*count, *last))
        .and_then(|(unit, _, _)| unit)
}
