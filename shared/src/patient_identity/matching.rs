//! Whether two Patients are the same person, and the check an import makes with it.
//!
//! The rule, in order:
//! 1. Birth dates known on both sides must agree (to the precision both give: `1970`
//!    agrees with `1970-05-01`). A different birth date is never the same person.
//! 2. A shared identifier (same system and value: a medical record number, a national
//!    id) is strong evidence: the same person, even under another name (after a marriage,
//!    say) or another recorded sex.
//! 3. Names must agree when both sides give one: some name of each has the same family
//!    name (ignoring case, accents, spaces and punctuation) and the same first given name,
//!    or an initial of it. Parts one side leaves out are not compared.
//! 4. Sex must agree when both sides give it and neither says `unknown`.
//!
//! What neither side says is no evidence either way, so a Patient with no name, birth date
//! or identifier matches anyone: the record's own demographics then still name it.

use serde::Serialize;
use serde_json::Value;

use super::details::PatientDetails;
use super::folding::FoldedName;
use super::record::record_patient;
use crate::record::EntryId;
use crate::vault::VaultContents;

/// Why two Patients are not the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Difference {
    BirthDate,
    Name,
    Sex,
}

impl Difference {
    /// In words: "a different birth date".
    pub fn describe(self) -> &'static str {
        match self {
            Difference::BirthDate => "a different birth date",
            Difference::Name => "a different name",
            Difference::Sex => "a different sex",
        }
    }
}

/// Whether `a` and `b` describe the same person, by the rule above; the first difference
/// found when they do not.
pub fn same_person(a: &PatientDetails, b: &PatientDetails) -> Result<(), Difference> {
    if let (Some(x), Some(y)) = (a.birth_parts(), b.birth_parts())
        && x.iter().zip(&y).any(|(p, q)| p != q)
    {
        return Err(Difference::BirthDate);
    }
    if a.identifiers.iter().any(|id| b.identifiers.contains(id)) {
        return Ok(());
    }
    let folded = |d: &PatientDetails| {
        d.names
            .iter()
            .filter_map(FoldedName::of)
            .collect::<Vec<_>>()
    };
    if names_disagree(&folded(a), &folded(b)) {
        return Err(Difference::Name);
    }
    if let (Some(x), Some(y)) = (a.known_sex(), b.known_sex())
        && x != y
    {
        return Err(Difference::Sex);
    }
    Ok(())
}

/// True when the names were compared and no pair of them agreed.
fn names_disagree(a: &[FoldedName], b: &[FoldedName]) -> bool {
    let mut compared = false;
    for x in a {
        for y in b {
            match name_agreement(x, y) {
                Some(true) => return false,
                Some(false) => compared = true,
                None => {}
            }
        }
    }
    compared
}

/// `Some(true)` when the parts both names give agree, `Some(false)` when one differs,
/// `None` when they share no part to compare.
fn name_agreement(x: &FoldedName, y: &FoldedName) -> Option<bool> {
    let family = match (&x.family, &y.family) {
        (Some(f), Some(g)) => Some(f == g),
        _ => None,
    };
    let given = match (&x.given, &y.given) {
        (Some(f), Some(g)) => Some(given_names_agree(f, g)),
        _ => None,
    };
    match (family, given) {
        (None, None) => None,
        (family, given) => Some(family.unwrap_or(true) && given.unwrap_or(true)),
    }
}

/// The same first given name, or an initial of it ("J" for "John").
fn given_names_agree(a: &str, b: &str) -> bool {
    let initial = |s: &str| s.chars().count() == 1;
    a == b || (initial(a) && b.starts_with(a)) || (initial(b) && a.starts_with(b))
}

/// The outcome of the check, as `folio import --json` reports it (`patient_match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatientMatch {
    /// The file's patient is the record's (or the file names no patient).
    Matched,
    /// The record had no patient yet: the file's patient becomes it.
    First,
    /// The file is about someone else.
    Mismatch,
}

/// What an import found comparing the file's patient with the record's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientCheck {
    /// The file names no patient (a PDF, a photo, a list of observations): nothing to
    /// compare, so nothing stands in the way.
    NoPatient,
    /// The file's patient is the record's patient.
    Matched { file: PatientDetails },
    /// The record had no patient yet.
    First { file: PatientDetails },
    /// The file is about someone other than `record` (the record's patient, or another
    /// patient in the same file when `within_file`).
    Mismatch {
        file: PatientDetails,
        record: PatientDetails,
        difference: Difference,
        within_file: bool,
    },
}

impl PatientCheck {
    /// Compares the Patients a file's import produced (with their entry ids) with the
    /// record's patient ([`record_patient`]). A Patient the record already holds exactly
    /// (the same entry, from importing this file before) is in this record already and
    /// is not asked about again.
    pub fn of<'a>(
        file_patients: impl IntoIterator<Item = (&'a EntryId, &'a Value)>,
        contents: &VaultContents,
    ) -> PatientCheck {
        let mut patients = Vec::new();
        let mut held = Vec::new();
        for (id, resource) in file_patients {
            let already = contents.get(id).is_some_and(|s| s.resource == *resource);
            let details = PatientDetails::of(resource);
            if already {
                held.push(details);
            } else {
                patients.push(details);
            }
        }
        let Some(first) = patients.first().or(held.first()).cloned() else {
            return PatientCheck::NoPatient;
        };
        let Some(record) = record_patient(contents) else {
            // A new record: the file's own patients must all be one person.
            for other in patients.iter().skip(1) {
                if let Err(difference) = same_person(other, &first) {
                    return PatientCheck::Mismatch {
                        file: other.clone(),
                        record: first,
                        difference,
                        within_file: true,
                    };
                }
            }
            return PatientCheck::First { file: first };
        };
        for file in &patients {
            if let Err(difference) = same_person(file, &record.details) {
                return PatientCheck::Mismatch {
                    file: file.clone(),
                    record: record.details,
                    difference,
                    within_file: false,
                };
            }
        }
        PatientCheck::Matched { file: first }
    }

    pub fn outcome(&self) -> PatientMatch {
        match self {
            PatientCheck::NoPatient | PatientCheck::Matched { .. } => PatientMatch::Matched,
            PatientCheck::First { .. } => PatientMatch::First,
            PatientCheck::Mismatch { .. } => PatientMatch::Mismatch,
        }
    }

    /// Who the file is about, when it names anyone.
    pub fn file_patient(&self) -> Option<&PatientDetails> {
        match self {
            PatientCheck::NoPatient => None,
            PatientCheck::Matched { file }
            | PatientCheck::First { file }
            | PatientCheck::Mismatch { file, .. } => Some(file),
        }
    }

    pub fn is_mismatch(&self) -> bool {
        matches!(self, PatientCheck::Mismatch { .. })
    }

    /// The mismatch in a sentence: "This file is about Myra Jones, born 1947-05-01,
    /// female, but this record is Alejandro Riojas's, born 1963-10-05, male (a different
    /// birth date)."
    pub fn mismatch_sentence(&self) -> Option<String> {
        let PatientCheck::Mismatch {
            file,
            record,
            difference,
            within_file,
        } = self
        else {
            return None;
        };
        let (file, record, why) = (file.describe(), record.describe(), difference.describe());
        Some(if *within_file {
            format!("This file is about more than one person: {file}, and {record} ({why}).")
        } else {
            format!("This file is about {file}, but this record is about {record} ({why}).")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn person(value: Value) -> PatientDetails {
        PatientDetails::of(&value)
    }

    #[test]
    fn initials_agree_with_the_name_they_begin() {
        assert!(given_names_agree("j", "john"));
        assert!(given_names_agree("john", "j"));
        assert!(!given_names_agree("jo", "john"));
        assert!(!given_names_agree("k", "john"));
    }

    #[test]
    fn partial_birth_dates_agree_to_the_precision_both_give() {
        let a = person(json!({"birthDate": "1970"}));
        let b = person(json!({"birthDate": "1970-05-01"}));
        let c = person(json!({"birthDate": "1971-05-01"}));
        assert_eq!(same_person(&a, &b), Ok(()));
        assert_eq!(same_person(&a, &c), Err(Difference::BirthDate));
    }

    #[test]
    fn names_missing_a_part_compare_on_the_other() {
        let family_only = person(json!({"name": [{"family": "Jones"}]}));
        let given_only = person(json!({"name": [{"given": ["Myra"]}]}));
        let full = person(json!({"name": [{"given": ["Myra"], "family": "Jones"}]}));
        assert_eq!(
            same_person(&family_only, &given_only),
            Ok(()),
            "nothing shared"
        );
        assert_eq!(same_person(&family_only, &full), Ok(()));
        assert_eq!(
            same_person(&person(json!({"name": [{"family": "Smith"}]})), &full),
            Err(Difference::Name)
        );
    }

    #[test]
    fn unknown_sex_compares_with_anything() {
        let unknown = person(json!({"gender": "unknown"}));
        let male = person(json!({"gender": "male"}));
        let female = person(json!({"gender": "FEMALE"}));
        assert_eq!(same_person(&unknown, &male), Ok(()));
        assert_eq!(same_person(&female, &male), Err(Difference::Sex));
    }
}
