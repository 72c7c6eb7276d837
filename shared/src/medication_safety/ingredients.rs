//! Mapping what a record calls a medication to the ingredients it contains, without a
//! network: a small table bundled at build time (`ingredients.tsv`: each ingredient with
//! its RxNorm ingredient code, other names, misspellings and brands; `codes.tsv`: product
//! codes that records send without a name) and the name reading of [`super::names`].
//!
//! A medication is mapped only when every part of its name names an ingredient of the
//! table: a name read in part would leave an ingredient unchecked, and a medication that
//! is not checked must never look safe.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::KnowledgeError;
use super::names::{key, one_edit_apart, parts, readings, strength, words};

const INGREDIENTS: &str = include_str!("ingredients.tsv");
const CODES: &str = include_str!("codes.tsv");

/// The longest name in the table, in words ("insulin isophane human").
const LONGEST_NAME: usize = 5;
/// Shorter words are not corrected: too many drug names are one letter apart.
const SHORTEST_CORRECTED: usize = 8;

/// An ingredient of the table, by its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IngredientId(pub(super) usize);

#[derive(Debug, Clone)]
pub struct Ingredient {
    /// Its English generic name, lower case: how alerts and lines name it.
    pub name: String,
    /// Its RxNorm ingredient (IN) code, when the table knows it.
    pub rxcui: Option<String>,
}

/// How a medication was recognised, so a reader can judge the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MappedBy {
    /// A code of the table (an RxNorm ingredient, or a product code the table lists).
    Code,
    /// Its generic name, another name or a known misspelling.
    Name,
    /// A brand name.
    Brand,
    /// A name one letter away from one in the table.
    CorrectedSpelling,
}

/// What a medication was mapped to.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub ingredients: Vec<IngredientId>,
    pub by: MappedBy,
    /// The strength its name or its Medication states, if any.
    pub strength: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Name,
    Brand,
}

/// The bundled ingredient table.
#[derive(Debug)]
pub struct IngredientTable {
    ingredients: Vec<Ingredient>,
    by_name: HashMap<String, (Vec<IngredientId>, NameKind)>,
    by_code: HashMap<String, Vec<IngredientId>>,
    /// Single-word names, for spelling correction.
    single_words: Vec<String>,
}

impl IngredientTable {
    pub(super) fn bundled() -> Result<Self, KnowledgeError> {
        Self::parse(INGREDIENTS, CODES)
    }

    fn parse(ingredients: &str, codes: &str) -> Result<Self, KnowledgeError> {
        let mut table = IngredientTable {
            ingredients: Vec::new(),
            by_name: HashMap::new(),
            by_code: HashMap::new(),
            single_words: Vec::new(),
        };
        for (number, line) in data_lines(ingredients) {
            let mut fields = line.split('\t');
            let name = fields.next().map(str::trim).unwrap_or_default();
            if name.is_empty() {
                return Err(KnowledgeError::Table {
                    file: "ingredients.tsv",
                    line: number,
                    problem: "no ingredient name".into(),
                });
            }
            let rxcui = fields.next().map(str::trim).filter(|c| !c.is_empty());
            let id = IngredientId(table.ingredients.len());
            table.ingredients.push(Ingredient {
                name: key(name),
                rxcui: rxcui.map(str::to_owned),
            });
            if let Some(rxcui) = rxcui {
                table
                    .by_code
                    .entry(format!("rxnorm|{rxcui}"))
                    .or_default()
                    .push(id);
            }
            table.add_name(name, id, NameKind::Name);
            for alias in fields.next().unwrap_or_default().split('|') {
                table.add_name(alias, id, NameKind::Name);
            }
            for brand in fields.next().unwrap_or_default().split('|') {
                table.add_name(brand, id, NameKind::Brand);
            }
        }
        for (number, line) in data_lines(codes) {
            let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
            let (Some(system), Some(code), Some(names)) =
                (fields.first(), fields.get(1), fields.get(2))
            else {
                return Err(KnowledgeError::Table {
                    file: "codes.tsv",
                    line: number,
                    problem: "expected system, code and ingredients".into(),
                });
            };
            let mut ids = Vec::new();
            for name in names.split('|') {
                let id = table.find(name).ok_or_else(|| KnowledgeError::Table {
                    file: "codes.tsv",
                    line: number,
                    problem: format!("{name:?} is not in ingredients.tsv"),
                })?;
                ids.push(id);
            }
            table.by_code.insert(format!("{system}|{code}"), ids);
        }
        Ok(table)
    }

    fn add_name(&mut self, name: &str, id: IngredientId, kind: NameKind) {
        let name = key(name);
        if name.is_empty() {
            return;
        }
        if !name.contains(' ') && name.chars().count() >= SHORTEST_CORRECTED {
            self.single_words.push(name.clone());
        }
        let entry = self
            .by_name
            .entry(name)
            .or_insert_with(|| (Vec::new(), kind));
        if !entry.0.contains(&id) {
            entry.0.push(id);
        }
    }

    pub fn get(&self, id: IngredientId) -> &Ingredient {
        &self.ingredients[id.0]
    }

    pub fn len(&self) -> usize {
        self.ingredients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ingredients.is_empty()
    }

    /// The ingredient a generic name names (as the rules file names them).
    pub fn find(&self, name: &str) -> Option<IngredientId> {
        let (ids, kind) = self.by_name.get(&key(name))?;
        match (ids.as_slice(), kind) {
            ([id], NameKind::Name) => Some(*id),
            _ => None,
        }
    }

    /// The ingredients of a CodeableConcept: each coding's display, then its text, then
    /// its codes. Names come first: they are what a person reads and checks, and a code of
    /// the table only stands in for a name a record left out.
    pub fn map_concept(&self, concept: &Value) -> Option<Mapping> {
        let codings: Vec<&Value> = concept
            .get("coding")
            .and_then(Value::as_array)
            .map(|codings| codings.iter().collect())
            .unwrap_or_default();
        let names: Vec<&str> = codings
            .iter()
            .filter_map(|coding| text(coding, "display"))
            .chain(text(concept, "text"))
            .collect();
        if let Some(mapping) = names.iter().find_map(|name| self.map_name(name)) {
            return Some(mapping);
        }
        codings.iter().find_map(|coding| {
            let system = system_key(text(coding, "system")?);
            let code = text(coding, "code")?;
            let code = if system == "ndc" {
                code.replace('-', "")
            } else {
                code.to_owned()
            };
            let ids = self.by_code.get(&format!("{system}|{code}"))?;
            Some(Mapping {
                ingredients: ids.clone(),
                by: MappedBy::Code,
                strength: names.iter().find_map(|name| strength(name)),
            })
        })
    }

    /// The ingredients a name names, with the strength it states.
    pub fn map_name(&self, name: &str) -> Option<Mapping> {
        let name = name.trim();
        let name = name
            .strip_prefix("Product containing ")
            .or_else(|| name.strip_prefix("product containing "))
            .unwrap_or(name);
        readings(name).iter().find_map(|reading| {
            let mut ingredients = Vec::new();
            let mut by = MappedBy::Name;
            for part in parts(reading) {
                let (ids, part_by) = self.name_part(&part)?;
                for id in ids {
                    if !ingredients.contains(&id) {
                        ingredients.push(id);
                    }
                }
                by = by.max_doubt(part_by);
            }
            (!ingredients.is_empty()).then(|| Mapping {
                ingredients,
                by,
                strength: strength(name),
            })
        })
    }

    /// The ingredients one part of a name names: the longest runs of its words that are
    /// names of the table, left to right; a lone unknown word of a drug name's length may
    /// be a misspelling one letter away.
    fn name_part(&self, part: &str) -> Option<(Vec<IngredientId>, MappedBy)> {
        let words = words(part);
        let mut found: Vec<IngredientId> = Vec::new();
        let mut by = MappedBy::Name;
        let mut start = 0;
        while start < words.len() {
            let longest = (1..=LONGEST_NAME.min(words.len() - start))
                .rev()
                .find_map(|n| {
                    let candidate = words[start..start + n].join(" ");
                    self.by_name.get(&candidate).map(|hit| (n, hit))
                });
            match longest {
                Some((n, (ids, kind))) => {
                    found.extend(ids.iter().copied());
                    if *kind == NameKind::Brand {
                        by = by.max_doubt(MappedBy::Brand);
                    }
                    start += n;
                }
                None => {
                    if let Some(ids) = self.corrected(&words[start]) {
                        found.extend(ids);
                        by = by.max_doubt(MappedBy::CorrectedSpelling);
                    }
                    start += 1;
                }
            }
        }
        (!found.is_empty()).then_some((found, by))
    }

    /// The one name of the table a word is a misspelling of, if exactly one.
    fn corrected(&self, word: &str) -> Option<Vec<IngredientId>> {
        if word.chars().count() < SHORTEST_CORRECTED || word.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut near = self
            .single_words
            .iter()
            .filter(|name| one_edit_apart(word, name));
        let first = near.next()?;
        if near.any(|other| self.by_name.get(other) != self.by_name.get(first)) {
            return None;
        }
        self.by_name.get(first).map(|(ids, _)| ids.clone())
    }
}

impl MappedBy {
    /// Of two ways, the one a reader should doubt more.
    fn max_doubt(self, other: MappedBy) -> MappedBy {
        let rank = |by: MappedBy| match by {
            MappedBy::Code => 0,
            MappedBy::Name => 1,
            MappedBy::Brand => 2,
            MappedBy::CorrectedSpelling => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// A code system as the code table names it: RxNorm and NDC by their usual URIs or OIDs.
fn system_key(system: &str) -> &str {
    match system.trim() {
        "http://www.nlm.nih.gov/research/umls/rxnorm" | "urn:oid:2.16.840.1.113883.6.88" => {
            "rxnorm"
        }
        "http://hl7.org/fhir/sid/ndc" | "urn:oid:2.16.840.1.113883.6.69" => "ndc",
        "http://snomed.info/sct" | "urn:oid:2.16.840.1.113883.6.96" => "snomed",
        other => other,
    }
}

fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The lines of a bundled table that hold data, numbered from 1: `#` starts a comment.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
}
