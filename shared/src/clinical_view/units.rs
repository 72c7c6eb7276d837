//! Quantities in the units a reader knows: every value of a trend in one unit, the
//! patient's (°C or °F, kg or lb), and units named in words ("°F", "mmHg", "beats per
//! minute") rather than UCUM codes (`[degF]`, `mm[Hg]`, `{beats}/min`).
//!
//! A small table rather than a UCUM crate: the record's units are a few dozen, vital signs
//! and common labs; records also write units UCUM does not know ("F", "lbs", "mmHg"); and
//! the crates on offer were either a partial implementation last released in 2020 or a
//! first release carrying the whole UCUM table into the app's WebAssembly. A unit not in
//! the table is shown as written, and never converted.
//!
//! Concentrations convert only where the analyte is known (glucose, by LOINC code): mg/dL
//! and mmol/L differ by the molar mass of what is measured.

/// The units a patient reads: their locale's. Metric unless the locale is one of the few
/// that measure in US customary units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnitPreference {
    /// °C, kg, cm, glucose in mmol/L.
    #[default]
    Metric,
    /// °F, lb, in, glucose in mg/dL.
    UsCustomary,
}

impl UnitPreference {
    /// The preference of a BCP 47 locale ("en-US", "fr-FR"): US customary in the United
    /// States, Liberia and Myanmar, metric elsewhere and when the region is not given.
    pub fn for_locale(locale: &str) -> UnitPreference {
        let region = locale
            .split(['-', '_'])
            .skip(1)
            .find(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic()));
        match region.map(str::to_ascii_uppercase).as_deref() {
            Some("US" | "LR" | "MM") => UnitPreference::UsCustomary,
            _ => UnitPreference::Metric,
        }
    }

    /// The unit a chart of this dimension is drawn in.
    fn target(self, dimension: Dimension) -> &'static KnownUnit {
        let code = match (dimension, self) {
            (Dimension::Temperature, UnitPreference::Metric) => "Cel",
            (Dimension::Temperature, UnitPreference::UsCustomary) => "[degF]",
            (Dimension::Mass, UnitPreference::Metric) => "kg",
            (Dimension::Mass, UnitPreference::UsCustomary) => "[lb_av]",
            (Dimension::Length, UnitPreference::Metric) => "cm",
            (Dimension::Length, UnitPreference::UsCustomary) => "[in_i]",
            (Dimension::Pressure, _) => "mm[Hg]",
            (Dimension::Glucose, UnitPreference::Metric) => "mmol/L",
            (Dimension::Glucose, UnitPreference::UsCustomary) => "mg/dL",
        };
        KNOWN
            .iter()
            .find(|unit| unit.code == code)
            .expect("every target is in the table")
    }
}

/// What a convertible unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dimension {
    Temperature,
    Mass,
    Length,
    Pressure,
    /// Glucose concentration, mass or moles per volume.
    Glucose,
}

/// A unit Folio converts: `base = value × scale + offset`, in its dimension's base unit
/// (°C, kg, cm, mmHg, mg/dL of glucose).
#[derive(Debug, PartialEq)]
struct KnownUnit {
    /// The UCUM code.
    code: &'static str,
    /// Other ways records write it.
    aliases: &'static [&'static str],
    name: &'static str,
    dimension: Dimension,
    scale: f64,
    offset: f64,
    /// Decimals worth showing of a value converted into this unit.
    decimals: i32,
}

const fn unit(
    code: &'static str,
    aliases: &'static [&'static str],
    name: &'static str,
    dimension: Dimension,
    scale: f64,
    offset: f64,
    decimals: i32,
) -> KnownUnit {
    KnownUnit {
        code,
        aliases,
        name,
        dimension,
        scale,
        offset,
        decimals,
    }
}

/// Glucose: 1 mmol/L is 18.016 mg/dL (molar mass 180.16 g/mol).
const GLUCOSE_MG_DL_PER_MMOL_L: f64 = 18.016;

// One unit a line: code, other spellings, name, dimension, scale, offset, decimals.
// "C" and "F" are UCUM's coulomb and farad, but in a health record they are what a
// thermometer's reading was written with.
#[rustfmt::skip]
const KNOWN: &[KnownUnit] = &[
    unit("Cel", &["C", "°C", "degC", "cel"], "°C", Dimension::Temperature, 1.0, 0.0, 1),
    unit("[degF]", &["degF", "F", "°F", "[degf]"], "°F", Dimension::Temperature, 5.0 / 9.0, -32.0 * 5.0 / 9.0, 1),
    unit("kg", &["kilogram", "kilograms", "KG", "Kg"], "kg", Dimension::Mass, 1.0, 0.0, 1),
    unit("g", &["gram", "grams", "gm"], "g", Dimension::Mass, 0.001, 0.0, 0),
    unit("[lb_av]", &["lb", "lbs", "[lb]", "pound", "pounds"], "lb", Dimension::Mass, 0.453_592_37, 0.0, 1),
    unit("[oz_av]", &["oz", "[oz]", "ounce", "ounces"], "oz", Dimension::Mass, 0.028_349_523_125, 0.0, 1),
    unit("cm", &["centimeter", "centimeters", "CM"], "cm", Dimension::Length, 1.0, 0.0, 1),
    unit("m", &["meter", "meters", "metre"], "m", Dimension::Length, 100.0, 0.0, 2),
    unit("mm", &["millimeter", "millimeters"], "mm", Dimension::Length, 0.1, 0.0, 0),
    unit("[in_i]", &["in", "[in]", "inch", "inches"], "in", Dimension::Length, 2.54, 0.0, 1),
    unit("[ft_i]", &["ft", "[ft]", "foot", "feet"], "ft", Dimension::Length, 30.48, 0.0, 1),
    unit("mm[Hg]", &["mmHg", "mm Hg", "mm[hg]", "mmhg"], "mmHg", Dimension::Pressure, 1.0, 0.0, 0),
    unit("kPa", &["kpa"], "kPa", Dimension::Pressure, 7.500_615_758, 0.0, 1),
    unit("mg/dL", &["mg/dl", "MG/DL"], "mg/dL", Dimension::Glucose, 1.0, 0.0, 0),
    unit("mmol/L", &["mmol/l", "MMOL/L"], "mmol/L", Dimension::Glucose, GLUCOSE_MG_DL_PER_MMOL_L, 0.0, 1),
];

/// Names in words of units Folio shows but does not convert.
const NAMED: &[(&str, &str)] = &[
    ("/min", "per minute"),
    ("{beats}/min", "beats per minute"),
    ("{beat}/min", "beats per minute"),
    ("beats/min", "beats per minute"),
    ("bpm", "beats per minute"),
    ("{breaths}/min", "breaths per minute"),
    ("{breath}/min", "breaths per minute"),
    ("breaths/min", "breaths per minute"),
    ("/h", "per hour"),
    ("/d", "per day"),
    ("/wk", "per week"),
    ("/mo", "per month"),
    ("/a", "per year"),
    ("kg/m2", "kg/m²"),
    ("kg/m^2", "kg/m²"),
    ("m2", "m²"),
    ("10*3/uL", "×10³/µL"),
    ("10*6/uL", "×10⁶/µL"),
    ("10*9/L", "×10⁹/L"),
    ("10*12/L", "×10¹²/L"),
    ("uL", "µL"),
    ("ug", "µg"),
    ("ug/dL", "µg/dL"),
    ("ug/L", "µg/L"),
    ("umol/L", "µmol/L"),
    ("[iU]/L", "IU/L"),
    ("m[iU]/L", "mIU/L"),
    ("u[iU]/mL", "µIU/mL"),
    ("meq/L", "mEq/L"),
    ("mL/min/{1.73_m2}", "mL/min/1.73 m²"),
    ("{score}", ""),
    ("1", ""),
];

/// A value as a record wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub value: f64,
    /// The unit as written (the UCUM code, else the unit's text).
    pub unit: Option<String>,
}

impl Recorded {
    /// "97.3 °F".
    pub fn text(&self) -> String {
        join(
            super::model::fmt_number(self.value),
            self.unit.as_deref().map(human_unit).as_deref(),
        )
    }
}

/// A value in the unit the patient reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub value: f64,
    /// The unit in words ("°C"), `None` for a plain number.
    pub unit: Option<String>,
    /// The conversion made, when the recorded unit was not the patient's.
    conversion: Option<(&'static KnownUnit, &'static KnownUnit)>,
}

impl Shown {
    /// True when the value was converted from another unit.
    pub fn converted(&self) -> bool {
        self.conversion.is_some()
    }

    /// "36.3 °C": a converted value to the decimals its unit deserves, else as written.
    pub fn text(&self) -> String {
        let value = match self.conversion {
            Some((_, to)) => round_to(self.value, to.decimals),
            None => self.value,
        };
        join(super::model::fmt_number(value), self.unit.as_deref())
    }

    /// Another number in the recorded unit (a reference range's bound) converted as this
    /// value was.
    pub fn convert_alike(&self, value: f64) -> f64 {
        match self.conversion {
            Some((from, to)) => convert_known(value, from, to),
            None => value,
        }
    }
}

/// The value in the patient's unit: converted when its unit is in the table (glucose only
/// when `analyte` is a glucose test), else as recorded with the unit named in words.
pub fn normalise(
    value: f64,
    unit: Option<&str>,
    analyte: Option<&str>,
    preference: UnitPreference,
) -> Shown {
    let Some(unit) = unit.map(str::trim).filter(|u| !u.is_empty()) else {
        return Shown {
            value,
            unit: None,
            conversion: None,
        };
    };
    match known(unit, analyte) {
        Some(from) => {
            let to = preference.target(from.dimension);
            Shown {
                value: convert_known(value, from, to),
                unit: Some(to.name.to_owned()),
                conversion: (!std::ptr::eq(from, to)).then_some((from, to)),
            }
        }
        None => Shown {
            value,
            unit: Some(human_unit(unit)).filter(|u| !u.is_empty()),
            conversion: None,
        },
    }
}

/// `value` from one unit into another, when both are in the table and measure the same
/// thing (glucose units only for a glucose `analyte`).
pub fn convert(value: f64, from: &str, to: &str, analyte: Option<&str>) -> Option<f64> {
    let (from, to) = (known(from, analyte)?, known(to, analyte)?);
    (from.dimension == to.dimension).then(|| convert_known(value, from, to))
}

/// A unit in words: "°F" for `[degF]`, "beats per minute" for `{beats}/min`; a unit Folio
/// does not know as written, with UCUM's `{annotation}` braces taken off.
pub fn human_unit(unit: &str) -> String {
    let unit = unit.trim();
    if let Some(known) = KNOWN
        .iter()
        .find(|k| k.code == unit || k.aliases.contains(&unit))
    {
        return known.name.to_owned();
    }
    if let Some((_, name)) = NAMED.iter().find(|(code, _)| *code == unit) {
        return (*name).to_owned();
    }
    unit.replace(['{', '}'], "")
}

/// LOINC codes of glucose tests, by mass or by moles per volume.
const GLUCOSE_TESTS: &[&str] = &[
    "2339-0", "2345-7", "2340-8", "2341-6", "1558-6", "41653-7", "14749-6", "15074-8", "14743-9",
    "14771-0", "39480-9",
];

/// True when the test (a `system|code` key) measures glucose.
fn is_glucose(analyte: Option<&str>) -> bool {
    analyte
        .and_then(|key| key.rsplit_once('|'))
        .is_some_and(|(system, code)| system.contains("loinc") && GLUCOSE_TESTS.contains(&code))
}

fn known(unit: &str, analyte: Option<&str>) -> Option<&'static KnownUnit> {
    let unit = unit.trim();
    KNOWN
        .iter()
        .find(|k| k.code == unit || k.aliases.contains(&unit))
        .filter(|k| k.dimension != Dimension::Glucose || is_glucose(analyte))
}

fn convert_known(value: f64, from: &KnownUnit, to: &KnownUnit) -> f64 {
    if std::ptr::eq(from, to) {
        return value;
    }
    let base = value * from.scale + from.offset;
    (base - to.offset) / to.scale
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

fn join(value: String, unit: Option<&str>) -> String {
    match unit.filter(|u| !u.is_empty()) {
        Some(unit) => format!("{value} {unit}"),
        None => value,
    }
}

/// Every unit of the conversion table with its UCUM code and name, for tests and docs.
pub fn convertible_units() -> impl Iterator<Item = (&'static str, &'static str)> {
    KNOWN.iter().map(|k| (k.code, k.name))
}
