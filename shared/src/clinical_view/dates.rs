//! Dates as precise as the record made them, and no more: a FHIR `date` ("2019-03-04",
//! "2019-03", "2019") is shown as a date, and so is a dateTime at exactly midnight, which
//! is how a converter writes a day it was given without a time (a C-CDA `20190304`, a
//! spreadsheet's date). Facts known to the day at best (a problem's onset, an allergy, a
//! vaccination) are shown as a day even when the record stamped the time it was typed.
//! The text as written stays in the model, so nothing is lost.

use std::fmt;

/// How precisely a date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DatePrecision {
    Year,
    Month,
    Day,
    /// A time of day is known.
    Time,
}

/// A FHIR date or dateTime, with how much of it to show.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClinicalDate {
    /// As the record wrote it (orders ISO dates correctly).
    pub written: String,
    pub precision: DatePrecision,
}

impl ClinicalDate {
    /// A FHIR date or dateTime as written; its precision from what it gives.
    pub fn new(written: impl Into<String>) -> ClinicalDate {
        let written = written.into();
        let precision = precision_of(&written);
        ClinicalDate { written, precision }
    }

    /// The same date shown no finer than the day: for facts dated by the day.
    pub fn to_the_day(mut self) -> ClinicalDate {
        self.precision = self.precision.min(DatePrecision::Day);
        self
    }

    /// The date part, `YYYY[-MM[-DD]]`.
    pub fn day(&self) -> &str {
        self.written.split('T').next().unwrap_or(&self.written)
    }

    /// "2019-03-04", "2019-03", "2019", or "2019-03-04 14:05" when the time is known.
    pub fn text(&self) -> String {
        let day = self.day();
        match (self.precision, self.written.split_once('T')) {
            (DatePrecision::Time, Some((_, time))) => {
                format!("{day} {}", time.get(..5).unwrap_or(time))
            }
            _ => day.to_owned(),
        }
    }
}

impl fmt::Display for ClinicalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// How much of a FHIR date or dateTime is known. A dateTime at midnight with no seconds
/// fraction counts as a day: no clinic records its facts at 00:00:00 exactly.
pub fn precision_of(written: &str) -> DatePrecision {
    let written = written.trim();
    match written.split_once('T') {
        Some((_, time)) => {
            let clock = time
                .split(['Z', '+', '-'])
                .next()
                .unwrap_or(time)
                .trim_end_matches(".000");
            if matches!(clock, "00:00:00" | "00:00") {
                DatePrecision::Day
            } else {
                DatePrecision::Time
            }
        }
        None => match written.matches('-').count() {
            0 => DatePrecision::Year,
            1 => DatePrecision::Month,
            _ => DatePrecision::Day,
        },
    }
}

/// A FHIR date or dateTime as shown: [`ClinicalDate::text`] of it.
pub fn date_text(written: &str) -> String {
    ClinicalDate::new(written).text()
}
