//! What kind of observation a record holds: a test result (laboratory and other measured
//! results), a vital sign, a social-history fact or a questionnaire answer. Only results
//! belong among a patient's results: "Not pregnant", an alcohol intake or a household
//! income beside a glucose reads as though a lab had measured them.
//!
//! The category says it when the record gives one (`vital-signs`, `social-history`,
//! `survey`, …). Many records do not, or file social-history answers under `laboratory`,
//! so a list of LOINC codes of social history and screening answers (tobacco, alcohol,
//! income, housing, incarceration, pregnancy status, the SDOH screening questions) wins
//! over the category.

use serde_json::Value;

use super::fhir::string;

/// The kind of an observation, as the views group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObservationKind {
    /// Laboratory and other measured results (imaging, exam findings); also what has no
    /// category and is not known as anything else.
    Result,
    VitalSign,
    /// Social history and social determinants of health: smoking, alcohol, income,
    /// housing, employment, incarceration, pregnancy status.
    SocialHistory,
    /// Answers to a questionnaire or an assessment score (category `survey`).
    Survey,
}

/// LOINC codes that are social history or screening answers, whatever the category says.
const SOCIAL_HISTORY_CODES: &[&str] = &[
    "72166-2", // Tobacco smoking status
    "11367-0", // History of tobacco use
    "64234-8", // Age started smoking
    "11331-6", // History of alcohol use
    "74013-4", // Alcoholic drinks per day
    "68518-0", // How often do you have a drink containing alcohol
    "68519-8", // How many standard drinks on a typical day
    "68520-6", // How often six or more drinks
    "72109-2", // AUDIT-C
    "75626-2", // AUDIT-C total score
    "63586-2", // Household income
    "63512-8", // People living in the household
    "93159-2", // Incarceration in the past year (jail, prison)
    "93029-7", // Incarcerated in the past year
    "82810-3", // Pregnancy status
    "11449-6", // Pregnancy status (history)
    "71802-3", // Housing status
    "93033-9", // Worried about losing housing
    "56051-6", // Hispanic or Latino
    "32624-9", // Race
    "76690-7", // Sexual orientation
    "76689-9", // Sex assigned at birth
    "82589-3", // Highest level of education
    "67875-5", // Employment status
    "93035-4", // Seasonal or migrant farm work
    "93043-8", // Primary language / need of an interpreter
    "93038-8", // Stress level
    "93026-3", // Feel physically and emotionally safe
    "76501-6", // Afraid of partner or ex-partner
    "93034-7", // Access to transportation
    "93031-3", // Unable to get food, clothing, utilities…
    "93030-5", // Lack of transportation kept from medical appointments
    "93025-5", // PRAPARE panel
    "29762-2", // Social history narrative
    "11341-5", // History of occupation
    "8689-2",  // History of social function
    "76437-3", // Primary insurance
];

/// The codes of an Observation's categories ("laboratory", "vital-signs", …).
pub(super) fn category_codes(observation: &Value) -> Vec<&str> {
    observation
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|c| string(c, "/code"))
        .collect()
}

/// Which kind `observation` is.
pub fn observation_kind(observation: &Value) -> ObservationKind {
    if has_code(observation, SOCIAL_HISTORY_CODES) {
        return ObservationKind::SocialHistory;
    }
    let categories = category_codes(observation);
    let has = |code: &str| categories.iter().any(|c| c.eq_ignore_ascii_case(code));
    if has("vital-signs") {
        ObservationKind::VitalSign
    } else if has("social-history") || has("sdoh") {
        ObservationKind::SocialHistory
    } else if has("survey") || has("functional-status") || has("cognitive-status") {
        ObservationKind::Survey
    } else {
        ObservationKind::Result
    }
}

fn has_code(observation: &Value, codes: &[&str]) -> bool {
    observation
        .pointer("/code/coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| string(c, "/system").is_none_or(|s| s.contains("loinc")))
        .filter_map(|c| string(c, "/code"))
        .any(|code| codes.contains(&code))
}
