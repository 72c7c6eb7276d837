//! Interaction and duplicate-therapy rules, written as data (`interaction_rules.json`,
//! bundled at build time) and applied to the active lines of the reconciled list.
//!
//! - An interaction rule names two sides (drug classes or single ingredients) and fires
//!   for every pair of different ingredients, one on each side, in two active lines.
//! - The same-ingredient rule fires when one ingredient is in two active lines (two
//!   strengths from two prescribers or sources; a combination product and a single one) or
//!   when two prescribers each currently prescribe the line.
//! - A class duplicate rule fires for two different active ingredients of its class.
//!
//! A stopped medication is never part of an alert, and a medication that is not checked
//! can never be: it is listed apart, as not checked.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::KnowledgeError;
use super::ingredients::{IngredientId, IngredientTable};
use super::reconcile::{MedicationLine, MedicationStatus};

const RULES: &str = include_str!("interaction_rules.json");

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    Interaction,
    Duplicate,
}

/// How urgently to raise it: `high` for the ONC high-priority interactions (avoid the
/// combination, or use it only with close monitoring), `moderate` for duplicates (ask).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Moderate,
}

/// Words for one reader: what it is, why it matters, what to ask or do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wording {
    pub what: String,
    pub why: String,
    pub ask: String,
}

/// A finding on the reconciled list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub severity: Severity,
    /// The ingredients involved, by generic name.
    pub ingredients: Vec<String>,
    /// The lines it concerns, by their ids.
    pub medications: Vec<String>,
    /// The rule's id in `interaction_rules.json`.
    pub rule: String,
    /// Where the rule comes from.
    pub source: String,
    pub title: String,
    /// For the patient.
    pub patient: Wording,
    /// For a clinician (the share viewer).
    pub clinician: Wording,
    /// The day the patient marked it "discussed with my clinician" (`discussed.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discussed_on: Option<String>,
}

impl Alert {
    /// What a "discussed" mark names: the rule and the ingredients, not the strengths, so
    /// a new prescription of the same pair does not ask again.
    pub fn key(&self) -> String {
        let mut ingredients = self.ingredients.clone();
        ingredients.sort();
        format!("{}:{}", self.rule, ingredients.join("+"))
    }
}

#[derive(Debug, Deserialize)]
struct RuleFile {
    classes: BTreeMap<String, DrugClass>,
    interactions: Vec<InteractionRule>,
    duplicates: Vec<DuplicateRule>,
}

#[derive(Debug, Deserialize)]
struct DrugClass {
    #[allow(dead_code)]
    name: String,
    ingredients: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct InteractionRule {
    id: String,
    title: String,
    severity: Severity,
    /// Class ids or ingredient names.
    object: Vec<String>,
    precipitant: Vec<String>,
    source: String,
    patient: Wording,
    clinician: Wording,
}

#[derive(Debug, Deserialize)]
struct DuplicateRule {
    id: String,
    title: String,
    severity: Severity,
    /// None: the same ingredient twice; else two ingredients of this class.
    class: Option<String>,
    source: String,
    patient: Wording,
    clinician: Wording,
}

/// A side of a rule, or a class, as ingredients of the table.
type Members = BTreeSet<IngredientId>;

/// The bundled rules, their classes resolved against the ingredient table.
#[derive(Debug)]
pub struct RuleBook {
    interactions: Vec<(InteractionRule, Members, Members)>,
    duplicates: Vec<(DuplicateRule, Option<Members>)>,
}

impl RuleBook {
    pub(super) fn bundled(table: &IngredientTable) -> Result<Self, KnowledgeError> {
        Self::parse(RULES, table)
    }

    fn parse(text: &str, table: &IngredientTable) -> Result<Self, KnowledgeError> {
        let file: RuleFile =
            serde_json::from_str(text).map_err(|e| KnowledgeError::Rules(e.to_string()))?;
        let members = |names: &[String], rule: &str| -> Result<Members, KnowledgeError> {
            let mut out = Members::new();
            for name in names {
                match file.classes.get(name) {
                    Some(class) => {
                        for ingredient in &class.ingredients {
                            out.insert(ingredient_of(table, ingredient, rule)?);
                        }
                    }
                    None => {
                        out.insert(ingredient_of(table, name, rule)?);
                    }
                }
            }
            Ok(out)
        };
        let mut interactions = Vec::new();
        for rule in &file.interactions {
            let object = members(&rule.object, &rule.id)?;
            let precipitant = members(&rule.precipitant, &rule.id)?;
            interactions.push((object, precipitant));
        }
        let mut duplicates = Vec::new();
        for rule in &file.duplicates {
            duplicates.push(match &rule.class {
                Some(class) if !file.classes.contains_key(class) => {
                    return Err(KnowledgeError::Rules(format!(
                        "rule {}: no class {class:?}",
                        rule.id
                    )));
                }
                Some(class) => Some(members(std::slice::from_ref(class), &rule.id)?),
                None => None,
            });
        }
        Ok(RuleBook {
            interactions: file
                .interactions
                .into_iter()
                .zip(interactions)
                .map(|(rule, (object, precipitant))| (rule, object, precipitant))
                .collect(),
            duplicates: file.duplicates.into_iter().zip(duplicates).collect(),
        })
    }

    /// How many interaction rules the book holds.
    pub fn interaction_rules(&self) -> usize {
        self.interactions.len()
    }

    /// The ids of every rule, interactions first.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.interactions
            .iter()
            .map(|(rule, ..)| rule.id.as_str())
            .chain(self.duplicates.iter().map(|(rule, _)| rule.id.as_str()))
            .collect()
    }

    /// Every alert the active lines raise, interactions first, most severe first.
    pub(super) fn alerts(&self, lines: &[MedicationLine], table: &IngredientTable) -> Vec<Alert> {
        let active: Vec<&MedicationLine> = lines
            .iter()
            .filter(|line| line.status == MedicationStatus::Active && line.checked)
            .collect();
        let mut found: BTreeMap<(AlertKind, String, Vec<IngredientId>), Vec<String>> =
            BTreeMap::new();
        let mut raise = |kind, rule: &str, mut ingredients: Vec<IngredientId>, lines: &[&str]| {
            ingredients.sort();
            ingredients.dedup();
            let medications = found
                .entry((kind, rule.to_owned(), ingredients))
                .or_default();
            for line in lines {
                if !medications.iter().any(|m| m == line) {
                    medications.push((*line).to_owned());
                }
            }
        };
        for (i, a) in active.iter().enumerate() {
            for b in &active[i + 1..] {
                for (rule, object, precipitant) in &self.interactions {
                    for x in &a.ingredient_ids {
                        for y in &b.ingredient_ids {
                            let fires = x != y
                                && ((object.contains(x) && precipitant.contains(y))
                                    || (object.contains(y) && precipitant.contains(x)));
                            if fires {
                                raise(
                                    AlertKind::Interaction,
                                    &rule.id,
                                    vec![*x, *y],
                                    &[&a.id, &b.id],
                                );
                            }
                        }
                    }
                }
            }
        }
        for (rule, class) in &self.duplicates {
            match class {
                None => {
                    for line in &active {
                        if line.current_prescribers.len() > 1 {
                            raise(
                                AlertKind::Duplicate,
                                &rule.id,
                                line.ingredient_ids.clone(),
                                &[&line.id],
                            );
                        }
                    }
                    for (i, a) in active.iter().enumerate() {
                        for b in &active[i + 1..] {
                            for x in a
                                .ingredient_ids
                                .iter()
                                .filter(|x| b.ingredient_ids.contains(x))
                            {
                                raise(AlertKind::Duplicate, &rule.id, vec![*x], &[&a.id, &b.id]);
                            }
                        }
                    }
                }
                Some(class) => {
                    for (i, a) in active.iter().enumerate() {
                        for b in &active[i + 1..] {
                            for x in a.ingredient_ids.iter().filter(|x| class.contains(x)) {
                                for y in b.ingredient_ids.iter().filter(|y| class.contains(y)) {
                                    if x != y {
                                        raise(
                                            AlertKind::Duplicate,
                                            &rule.id,
                                            vec![*x, *y],
                                            &[&a.id, &b.id],
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut alerts: Vec<Alert> = found
            .into_iter()
            .filter_map(|((kind, rule_id, ingredients), medications)| {
                let (title, severity, source, patient, clinician) = self.describe(&rule_id)?;
                Some(Alert {
                    kind,
                    severity,
                    ingredients: ingredients
                        .iter()
                        .map(|id| table.get(*id).name.clone())
                        .collect(),
                    medications,
                    rule: rule_id,
                    source: source.to_owned(),
                    title: title.to_owned(),
                    patient: patient.clone(),
                    clinician: clinician.clone(),
                    discussed_on: None,
                })
            })
            .collect();
        alerts.sort_by(|a, b| {
            (a.kind, a.severity, &a.rule, &a.ingredients).cmp(&(
                b.kind,
                b.severity,
                &b.rule,
                &b.ingredients,
            ))
        });
        alerts
    }

    fn describe(&self, rule: &str) -> Option<(&str, Severity, &str, &Wording, &Wording)> {
        self.interactions
            .iter()
            .map(|(r, ..)| {
                (
                    r.id.as_str(),
                    (
                        r.title.as_str(),
                        r.severity,
                        r.source.as_str(),
                        &r.patient,
                        &r.clinician,
                    ),
                )
            })
            .chain(self.duplicates.iter().map(|(r, _)| {
                (
                    r.id.as_str(),
                    (
                        r.title.as_str(),
                        r.severity,
                        r.source.as_str(),
                        &r.patient,
                        &r.clinician,
                    ),
                )
            }))
            .find(|(id, _)| *id == rule)
            .map(|(_, described)| described)
    }
}

fn ingredient_of(
    table: &IngredientTable,
    name: &str,
    rule: &str,
) -> Result<IngredientId, KnowledgeError> {
    table.find(name).ok_or_else(|| {
        KnowledgeError::Rules(format!(
            "rule or class {rule:?} names {name:?}, which ingredients.tsv does not hold"
        ))
    })
}
