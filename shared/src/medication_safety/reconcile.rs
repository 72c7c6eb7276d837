//! The reconciled list: every source's account of a medication gathered into one line per
//! set of ingredients and strength, active or past.
//!
//! - The same product reported by several sources (the clinic's list, the hospital's
//!   discharge list, the pharmacy's fill) is one line with every source.
//! - A new strength from the same prescriber (or, when no prescriber is named, the same
//!   source) is a dose change: the line takes the new strength and keeps the earlier ones.
//! - Another strength from someone else stays a line of its own, which
//!   [`super::rules`] flags as a duplicate while both are active.
//! - A line is active while one of its accounts is current: not stopped, completed, ended or
//!   run out, and not followed by a later account of the same line that says it stopped.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ingredients::{IngredientId, IngredientTable, MappedBy};
use super::names::key;
use super::reading::MedicationUse;

/// Whether a medication is taken now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MedicationStatus {
    Active,
    Past,
}

/// One line of the reconciled list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicationLine {
    /// The line's key, readable: its ingredients and strength ("simvastatin 20 mg"), which
    /// alerts use to name the lines they concern.
    pub id: String,
    /// The medication as its most recent account names it.
    pub name: String,
    /// Its ingredients by generic name; empty for a medication that is not checked.
    pub ingredients: Vec<String>,
    pub strength: Option<String>,
    pub status: MedicationStatus,
    /// False when no ingredient could be read: the medication was not checked at all.
    pub checked: bool,
    /// How its ingredients were recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapped_by: Option<MappedBy>,
    /// Strengths it had before a dose change by the same prescriber, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub earlier_strengths: Vec<String>,
    /// Everyone who prescribed it.
    pub prescribers: Vec<String>,
    /// The most recent date any account gives.
    pub last_date: Option<String>,
    /// The most recent pharmacy fill.
    pub last_fill: Option<String>,
    /// When it ended, for a past medication whose accounts say.
    pub ended: Option<String>,
    /// Every account of it, oldest first.
    pub sources: Vec<MedicationSource>,
    /// Codes of a medication that is not checked, `system|code`, for a person to look up.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Its ingredients, for the rules.
    #[serde(skip)]
    pub(super) ingredient_ids: Vec<IngredientId>,
    /// Prescribers of its current accounts, for the duplicate rule.
    #[serde(skip)]
    pub(super) current_prescribers: Vec<String>,
}

/// One source's account of a medication.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicationSource {
    /// The record's resource (`MedicationRequest/…`).
    pub resource: String,
    pub resource_type: String,
    /// The provider or file it came from.
    pub provider: Option<String>,
    pub prescriber: Option<String>,
    /// The medication as this account names it.
    pub name: String,
    pub strength: Option<String>,
    pub date: Option<String>,
    pub end: Option<String>,
    /// The status as recorded.
    pub status: Option<String>,
    /// Whether this account says it is taken now.
    pub active: bool,
}

/// Lines from medication accounts: the checked ones, then those not checked.
pub(super) fn reconcile(
    mut uses: Vec<MedicationUse>,
    table: &IngredientTable,
) -> (Vec<MedicationLine>, Vec<MedicationLine>) {
    // Oldest first, so a later account is a change to what came before.
    uses.sort_by(|a, b| (a.day(), &a.resource).cmp(&(b.day(), &b.resource)));
    let mut groups: BTreeMap<Vec<IngredientId>, Vec<Vec<MedicationUse>>> = BTreeMap::new();
    let mut unchecked: BTreeMap<String, Vec<MedicationUse>> = BTreeMap::new();
    for account in uses {
        let Some(mapping) = &account.mapping else {
            unchecked
                .entry(key(&account.name))
                .or_default()
                .push(account);
            continue;
        };
        let mut ingredients = mapping.ingredients.clone();
        ingredients.sort();
        let lines = groups.entry(ingredients).or_default();
        let strength = mapping.strength.clone();
        let origin = account.origin();
        let same_origin = lines
            .iter()
            .position(|line| line.iter().any(|other| other.origin() == origin));
        let same_strength = || {
            lines
                .iter()
                .position(|line| line.last().and_then(strength_of) == strength)
        };
        match same_origin.or_else(same_strength) {
            Some(i) => lines[i].push(account),
            None => lines.push(vec![account]),
        }
    }
    let mut checked: BTreeMap<String, MedicationLine> = BTreeMap::new();
    for (ingredients, lines) in groups {
        for accounts in lines {
            let line = line(&ingredients, accounts, table);
            match checked.get_mut(&line.id) {
                // A dose change brought it to a strength someone else prescribes.
                Some(existing) => merge(existing, line),
                None => {
                    checked.insert(line.id.clone(), line);
                }
            }
        }
    }
    let unchecked = unchecked
        .into_values()
        .map(|accounts| line(&[], accounts, table))
        .collect();
    (ordered(checked.into_values().collect()), ordered(unchecked))
}

fn strength_of(account: &MedicationUse) -> Option<String> {
    account.mapping.as_ref().and_then(|m| m.strength.clone())
}

fn line(
    ingredients: &[IngredientId],
    accounts: Vec<MedicationUse>,
    table: &IngredientTable,
) -> MedicationLine {
    let names: Vec<String> = ingredients
        .iter()
        .map(|id| table.get(*id).name.clone())
        .collect();
    let latest = accounts.last();
    let strength = latest.and_then(strength_of);
    let mut earlier_strengths: Vec<String> = Vec::new();
    for account in &accounts {
        if let Some(s) = strength_of(account)
            && Some(&s) != strength.as_ref()
            && !earlier_strengths.contains(&s)
        {
            earlier_strengths.push(s);
        }
    }
    let id = if names.is_empty() {
        latest.map(|a| key(&a.name)).unwrap_or_default()
    } else {
        let mut id = names.join(" / ");
        if let Some(strength) = &strength {
            id = format!("{id} {strength}");
        }
        id
    };
    let current = current(&accounts);
    let mut line = MedicationLine {
        id,
        name: latest.map(|a| a.name.clone()).unwrap_or_default(),
        ingredients: names,
        strength,
        status: MedicationStatus::Past,
        checked: !ingredients.is_empty(),
        mapped_by: latest.and_then(|a| a.mapping.as_ref()).map(|m| m.by),
        earlier_strengths,
        prescribers: Vec::new(),
        last_date: None,
        last_fill: None,
        ended: None,
        sources: Vec::new(),
        codes: Vec::new(),
        ingredient_ids: ingredients.to_vec(),
        current_prescribers: Vec::new(),
    };
    for (account, is_current) in accounts.into_iter().zip(current) {
        if is_current && let Some(p) = &account.prescriber {
            push_unique(&mut line.current_prescribers, p.clone());
        }
        if is_current {
            line.status = MedicationStatus::Active;
        }
        add_account(&mut line, account);
    }
    finish(&mut line);
    line
}

/// Which accounts still hold: current themselves, not followed by a later account from
/// the same origin, and not followed by a later account of the line that says it stopped.
fn current(accounts: &[MedicationUse]) -> Vec<bool> {
    accounts
        .iter()
        .enumerate()
        .map(|(i, account)| {
            let later = &accounts[i + 1..];
            account.active
                && !later.iter().any(|other| {
                    other.origin() == account.origin()
                        || (!other.active && other.day().is_some() && other.day() > account.day())
                })
        })
        .collect()
}

fn add_account(line: &mut MedicationLine, account: MedicationUse) {
    if let Some(p) = &account.prescriber {
        push_unique(&mut line.prescribers, p.clone());
    }
    for code in &account.codes {
        if line.ingredients.is_empty() {
            push_unique(&mut line.codes, code.clone());
        }
    }
    if account.fill.is_some() && account.fill > line.last_fill {
        line.last_fill = account.fill.clone();
    }
    if account.date.is_some() && account.date > line.last_date {
        line.last_date = account.date.clone();
    }
    line.sources.push(MedicationSource {
        strength: strength_of(&account),
        resource: account.resource,
        resource_type: account.resource_type,
        provider: account.provider,
        prescriber: account.prescriber,
        name: account.name,
        date: account.date,
        end: account.end,
        status: account.status,
        active: account.active,
    });
}

fn finish(line: &mut MedicationLine) {
    if line.status == MedicationStatus::Past {
        line.ended = line.sources.iter().filter_map(|s| s.end.clone()).max();
    }
}

fn merge(into: &mut MedicationLine, other: MedicationLine) {
    if other.status == MedicationStatus::Active {
        into.status = MedicationStatus::Active;
    }
    for p in other.current_prescribers {
        push_unique(&mut into.current_prescribers, p);
    }
    for p in other.prescribers {
        push_unique(&mut into.prescribers, p);
    }
    for s in other.earlier_strengths {
        push_unique(&mut into.earlier_strengths, s);
    }
    into.last_date = into.last_date.take().max(other.last_date);
    into.last_fill = into.last_fill.take().max(other.last_fill);
    into.sources.extend(other.sources);
    into.sources
        .sort_by(|a, b| (&a.date, &a.resource).cmp(&(&b.date, &b.resource)));
    into.ended = None;
    finish(into);
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Active lines first, then by name.
fn ordered(mut lines: Vec<MedicationLine>) -> Vec<MedicationLine> {
    lines.sort_by(|a, b| (a.status, &a.id).cmp(&(b.status, &b.id)));
    lines
}
