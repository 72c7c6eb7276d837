//! Finding providers by name: every word of the query must start a word of the name (or,
//! for a sandbox, of "sandbox" and its vendor's name; for a brand, of its aliases and
//! cities), with case, accents and punctuation folded away.

use std::borrow::Cow;

use icu_normalizer::DecomposingNormalizerBorrowed;

/// An entry as search compares it: the folded name, then any other words it is found by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Key {
    /// Folded words, separated by one space; the name's come first.
    words: String,
    /// Where the name's words end in `words`.
    name_len: usize,
    /// The name's length in characters, for "shorter names first".
    name_chars: usize,
}

impl Key {
    pub(super) fn new(name: &str, extra: &[&str]) -> Key {
        let mut words = fold(name);
        let name_len = words.len();
        for text in extra {
            let folded = fold(text);
            if !folded.is_empty() {
                if !words.is_empty() {
                    words.push(' ');
                }
                words.push_str(&folded);
            }
        }
        Key {
            words,
            name_len,
            name_chars: name.chars().count(),
        }
    }

    fn name(&self) -> &str {
        &self.words[..self.name_len]
    }

    fn matches(&self, query: &[&str]) -> bool {
        query
            .iter()
            .all(|q| self.words.split(' ').any(|word| word.starts_with(q)))
    }
}

/// How well a name matches, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    WholeName,
    NameStart,
    WordStarts,
}

/// The indices of the best `limit` keys for `query`, best first.
pub(super) fn best(keys: &[Key], query: &str, limit: usize) -> Vec<usize> {
    let folded = fold(query);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() || limit == 0 {
        return Vec::new();
    }
    let mut found: Vec<(Tier, usize, &str, usize)> = keys
        .iter()
        .enumerate()
        .filter(|(_, key)| key.matches(&words))
        .map(|(i, key)| {
            let name = key.name();
            let tier = if name == folded {
                Tier::WholeName
            } else if starts_with_words(name, &words) {
                Tier::NameStart
            } else {
                Tier::WordStarts
            };
            (tier, key.name_chars, name, i)
        })
        .collect();
    if found.len() > limit {
        found.select_nth_unstable(limit - 1);
        found.truncate(limit);
    }
    found.sort_unstable();
    found.into_iter().map(|(.., i)| i).collect()
}

/// Whether the name's first words start with the query's words, in order.
fn starts_with_words(name: &str, query: &[&str]) -> bool {
    let mut words = name.split(' ');
    query
        .iter()
        .all(|q| words.next().is_some_and(|word| word.starts_with(q)))
}

/// `text` as search compares it: compatibility-decomposed so accents fall away ("Corazón"
/// is "corazon", "ﬁ" is "fi"), lowercased, its words (runs of letters and digits) joined
/// by one space. An apostrophe joins ("Children's" is "childrens", so "children" finds it).
pub(super) fn fold(text: &str) -> String {
    let decomposed = if text.is_ascii() {
        Cow::Borrowed(text)
    } else {
        DecomposingNormalizerBorrowed::new_nfkd().normalize(text)
    };
    let mut out = String::with_capacity(decomposed.len());
    let mut between_words = false;
    for c in decomposed.chars() {
        if c.is_alphanumeric() {
            if between_words && !out.is_empty() {
                out.push(' ');
            }
            between_words = false;
            out.extend(c.to_lowercase());
        } else if !(is_apostrophe(c) || is_combining_mark(c)) {
            between_words = true;
        }
    }
    out
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// The combining marks decomposition leaves after a letter (the accents of Latin,
/// Greek and Cyrillic letters and their extensions).
fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}
