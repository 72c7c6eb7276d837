//! Quantities in the reader's units: the conversion table checked unit by unit against
//! the definitions (1 lb = 0.45359237 kg, 1 in = 2.54 cm, °F = °C × 9/5 + 32, glucose
//! 18.016 mg/dL per mmol/L), unknown units passed through, and a record measured in
//! mixed units charted on one axis.

use chrono::NaiveDate;
use folio_shared::clinical_view::units::{convert, convertible_units, human_unit, normalise};
use folio_shared::clinical_view::{ChartGeometry, ClinicalViewBuilder, UnitPreference};
use serde_json::{Value, json};

const GLUCOSE: Option<&str> = Some("http://loinc.org|2339-0");

fn close(actual: Option<f64>, expected: f64, tolerance: f64) {
    let actual = actual.expect("a conversion");
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not {expected} ± {tolerance}"
    );
}

/// Each unit of the table, one known amount into its dimension's other units.
#[test]
fn every_unit_of_the_table_converts_by_its_definition() {
    // Temperature.
    close(convert(98.6, "[degF]", "Cel", None), 37.0, 1e-9);
    close(convert(32.0, "degF", "Cel", None), 0.0, 1e-9);
    close(convert(212.0, "F", "C", None), 100.0, 1e-9);
    close(convert(-40.0, "Cel", "[degF]", None), -40.0, 1e-9);
    close(convert(37.0, "C", "F", None), 98.6, 1e-9);
    // Mass.
    close(convert(1.0, "[lb_av]", "kg", None), 0.453_592_37, 1e-12);
    close(convert(1.0, "lb", "g", None), 453.592_37, 1e-9);
    close(convert(16.0, "[oz_av]", "[lb_av]", None), 1.0, 1e-12);
    close(convert(1.0, "oz", "g", None), 28.349_523_125, 1e-9);
    close(convert(58_059.8, "g", "kg", None), 58.0598, 1e-9);
    close(convert(2.0, "kg", "g", None), 2000.0, 1e-9);
    // Length.
    close(convert(1.0, "[in_i]", "cm", None), 2.54, 1e-12);
    close(convert(1.0, "in", "mm", None), 25.4, 1e-9);
    close(convert(1.0, "[ft_i]", "[in_i]", None), 12.0, 1e-12);
    close(convert(6.0, "ft", "m", None), 1.8288, 1e-12);
    close(convert(1.75, "m", "cm", None), 175.0, 1e-9);
    // Pressure.
    close(convert(1.0, "kPa", "mm[Hg]", None), 7.500_615_758, 1e-9);
    close(convert(120.0, "mmHg", "mm[Hg]", None), 120.0, 1e-12);
    // Glucose, only for a glucose test.
    close(convert(5.5, "mmol/L", "mg/dL", GLUCOSE), 99.088, 1e-9);
    close(convert(180.16, "mg/dL", "mmol/L", GLUCOSE), 10.0, 1e-3);
    assert_eq!(convert(5.5, "mmol/L", "mg/dL", None), None);
    assert_eq!(
        convert(5.5, "mmol/L", "mg/dL", Some("http://loinc.org|2093-3")),
        None,
        "cholesterol has another molar mass"
    );
    // Different dimensions never convert.
    assert_eq!(convert(1.0, "kg", "cm", None), None);
    assert_eq!(convert(1.0, "Cel", "mm[Hg]", None), None);
    // Every code of the table converts to itself unchanged and has a name.
    for (code, name) in convertible_units() {
        close(convert(12.5, code, code, GLUCOSE), 12.5, 1e-12);
        assert_eq!(human_unit(code), name);
    }
}

#[test]
fn units_are_named_in_words_and_unknown_ones_pass_through() {
    for (code, name) in [
        ("[degF]", "°F"),
        ("Cel", "°C"),
        ("mm[Hg]", "mmHg"),
        ("{beats}/min", "beats per minute"),
        ("/min", "per minute"),
        ("{breaths}/min", "breaths per minute"),
        ("/a", "per year"),
        ("kg/m2", "kg/m²"),
        ("10*3/uL", "×10³/µL"),
        ("[lb_av]", "lb"),
        ("{cells}/uL", "cells/uL"),
        ("mg/dL", "mg/dL"),
        ("ng/mL", "ng/mL"),
    ] {
        assert_eq!(human_unit(code), name, "{code}");
    }
    // Not in the table: the value and its unit as written.
    let shown = normalise(4.2, Some("pg"), None, UnitPreference::UsCustomary);
    assert_eq!((shown.value, shown.unit.as_deref()), (4.2, Some("pg")));
    assert!(!shown.converted());
    assert_eq!(shown.text(), "4.2 pg");
    let shown = normalise(3.0, Some("widgets"), None, UnitPreference::Metric);
    assert_eq!(shown.text(), "3 widgets");
    // A glucose in mg/dL stays so for a US reader and converts for a metric one.
    let us = normalise(99.0, Some("mg/dL"), GLUCOSE, UnitPreference::UsCustomary);
    assert_eq!(us.text(), "99 mg/dL");
    let metric = normalise(99.0, Some("mg/dL"), GLUCOSE, UnitPreference::Metric);
    assert_eq!(metric.text(), "5.5 mmol/L");
}

#[test]
fn locales_choose_their_units() {
    assert_eq!(
        UnitPreference::for_locale("en-US"),
        UnitPreference::UsCustomary
    );
    assert_eq!(
        UnitPreference::for_locale("es_us"),
        UnitPreference::UsCustomary
    );
    assert_eq!(UnitPreference::for_locale("en-GB"), UnitPreference::Metric);
    assert_eq!(UnitPreference::for_locale("fr"), UnitPreference::Metric);
    assert_eq!(
        UnitPreference::for_locale("zh-Hant-TW"),
        UnitPreference::Metric
    );
    assert_eq!(UnitPreference::default(), UnitPreference::Metric);
}

fn vital(code: &str, name: &str, date: &str, value: f64, unit: &str) -> Value {
    json!({"resource": {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": name}]},
        "effectiveDateTime": date,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    }})
}

fn mixed_record() -> Value {
    json!({"resourceType": "Bundle", "type": "collection", "entry": [
        vital("8310-5", "Body temperature", "2024-01-02T09:00:00Z", 37.8, "Cel"),
        vital("8310-5", "Body temperature", "2024-02-02T09:00:00Z", 97.3, "[degF]"),
        vital("8310-5", "Body temperature", "2024-03-02T09:00:00Z", 36.9, "Cel"),
        vital("29463-7", "Body weight", "2024-01-02T09:00:00Z", 88.0, "kg"),
        vital("29463-7", "Body weight", "2024-02-02T09:00:00Z", 58_059.8, "g"),
        vital("29463-7", "Body weight", "2024-03-02T09:00:00Z", 150.0, "[lb_av]"),
        vital("8867-4", "Heart rate", "2024-03-02T09:00:00Z", 72.0, "/min"),
    ]})
}

fn series<'v>(
    view: &'v folio_shared::clinical_view::ClinicalView,
    code: &str,
) -> &'v folio_shared::clinical_view::Series {
    let key = format!("http://loinc.org|{code}");
    view.vital_signs.iter().find(|s| s.key == key).unwrap()
}

#[test]
fn mixed_units_chart_on_one_axis_in_the_readers_units() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut builder = ClinicalViewBuilder::new(today);
    builder.add_json(&mixed_record(), None);
    let view = builder.build();

    let temperature = series(&view, "8310-5");
    assert_eq!(temperature.unit.as_deref(), Some("°C"));
    let values: Vec<f64> = temperature.points.iter().filter_map(|p| p.value).collect();
    assert_eq!(values.len(), 3);
    assert!((values[0] - 37.8).abs() < 1e-9);
    assert!((values[1] - 36.28).abs() < 0.01, "97.3 °F is {}", values[1]);
    assert!((values[2] - 36.9).abs() < 1e-9);
    let converted = &temperature.points[1];
    assert_eq!(converted.display, "36.3 °C");
    assert_eq!(converted.as_recorded().as_deref(), Some("97.3 °F"));
    assert_eq!(
        converted.recorded.as_ref().unwrap().unit.as_deref(),
        Some("[degF]")
    );
    assert_eq!(
        temperature.points[0].as_recorded(),
        None,
        "as recorded already"
    );
    // The chart's highest point is the 37.8 °C, not the 97.3 °F.
    let chart = ChartGeometry::of(temperature).unwrap();
    assert!(chart.points[0].y < chart.points[1].y);
    assert_eq!(chart.y_max.0, "37.8");

    let weight = series(&view, "29463-7");
    assert_eq!(weight.unit.as_deref(), Some("kg"));
    let kilos: Vec<f64> = weight.points.iter().filter_map(|p| p.value).collect();
    assert!((kilos[0] - 88.0).abs() < 1e-9);
    assert!((kilos[1] - 58.06).abs() < 0.01, "58059.8 g is {}", kilos[1]);
    assert!((kilos[2] - 68.04).abs() < 0.01, "150 lb is {}", kilos[2]);
    assert_eq!(weight.points[1].display, "58.1 kg");

    let pulse = series(&view, "8867-4");
    assert_eq!(pulse.unit.as_deref(), Some("per minute"));
    assert_eq!(pulse.points[0].display, "72 per minute");

    // The same record for a reader in the United States: °F and lb.
    let mut builder = ClinicalViewBuilder::new(today).units(UnitPreference::UsCustomary);
    builder.add_json(&mixed_record(), None);
    let view = builder.build();
    let temperature = series(&view, "8310-5");
    assert_eq!(temperature.unit.as_deref(), Some("°F"));
    let values: Vec<f64> = temperature.points.iter().filter_map(|p| p.value).collect();
    assert!((values[0] - 100.04).abs() < 0.01);
    assert!((values[1] - 97.3).abs() < 1e-9);
    let weight = series(&view, "29463-7");
    assert_eq!(weight.unit.as_deref(), Some("lb"));
    assert!((weight.points[2].value.unwrap() - 150.0).abs() < 1e-9);
}

/// A value whose unit cannot be converted to the series' unit is listed, not plotted; the
/// reference range converts with the values.
#[test]
fn one_unit_per_series_and_ranges_convert_alike() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let glucose = |date: &str, value: f64, unit: &str, low: f64, high: f64| {
        json!({"resource": {
            "resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0", "display": "Glucose"}]},
            "effectiveDateTime": date,
            "valueQuantity": {"value": value, "unit": unit, "code": unit},
            "referenceRange": [{"low": {"value": low}, "high": {"value": high}}]
        }})
    };
    let record = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        glucose("2024-01-01", 5.0, "mmol/L", 3.9, 5.5),
        glucose("2024-02-01", 110.0, "mg/dL", 70.0, 99.0),
        glucose("2024-03-01", 4.0, "ukat/L", 0.0, 9.0),
    ]});
    let mut builder = ClinicalViewBuilder::new(today).units(UnitPreference::UsCustomary);
    builder.add_json(&record, None);
    let view = builder.build();
    let series = &view.results[0];
    assert_eq!(series.unit.as_deref(), Some("mg/dL"));
    assert!((series.points[0].value.unwrap() - 90.08).abs() < 0.01);
    assert_eq!(series.points[1].value, Some(110.0));
    assert_eq!(
        series.points[2].value, None,
        "another unit: listed, not plotted"
    );
    assert_eq!(series.points[2].display, "4 ukat/L");
    let range = series.range.as_ref().unwrap();
    assert_eq!((range.low, range.high), (Some(70.0), Some(99.0)));
    assert!(series.points[1].out_of_range);
    let first = view
        .panels
        .iter()
        .find(|p| p.date.as_deref() == Some("2024-01-01"))
        .unwrap();
    let range = first.results[0].range.as_ref().unwrap();
    assert!(
        (range.high.unwrap() - 99.09).abs() < 0.01,
        "5.5 mmol/L in mg/dL"
    );
}
