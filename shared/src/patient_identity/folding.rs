//! Names as the match rule compares them: folded, so that case, accents, spaces and
//! punctuation do not make two names differ. Only the match rule (an import's check) folds,
//! so only the code that imports loads the Unicode tables it needs.

use icu_normalizer::DecomposingNormalizerBorrowed;

use super::details::NameParts;

/// One HumanName folded for comparison (see [`fold`]): the family name and the first
/// given name, when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FoldedName {
    pub(super) family: Option<String>,
    pub(super) given: Option<String>,
}

impl FoldedName {
    /// A HumanName's family and first given name, folded; from its text ("Given … Family")
    /// when it has no parts.
    pub(super) fn of(name: &NameParts) -> Option<FoldedName> {
        let family = name.family.as_deref().and_then(fold);
        let given = name.given.iter().find_map(|g| fold(g));
        let (family, given) = if family.is_none() && given.is_none() {
            let words: Vec<&str> = name.text.as_deref()?.split_whitespace().collect();
            match words.as_slice() {
                [] => return None,
                [only] => (fold(only), None),
                [first, .., last] => (fold(last), fold(first)),
            }
        } else {
            (family, given)
        };
        (family.is_some() || given.is_some()).then_some(FoldedName { family, given })
    }
}

/// A name part as compared: compatibility-decomposed (so "é" is "e" and a combining
/// accent, "ﬁ" is "fi"), then only its letters and digits, lowercased. "José" and "jose",
/// "O'Brien" and "OBrien", "van der Berg" and "Vanderberg" fold alike.
fn fold(text: &str) -> Option<String> {
    let decomposed = DecomposingNormalizerBorrowed::new_nfkd().normalize(text);
    let folded: String = decomposed
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    (!folded.is_empty()).then_some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_spaces_and_punctuation() {
        assert_eq!(fold("  José ").as_deref(), Some("jose"));
        assert_eq!(fold("O'Brien"), fold("obrien"));
        assert_eq!(fold("van der Berg"), fold("VANDERBERG"));
        assert_eq!(fold("Müller-Lüdenscheidt"), fold("muller ludenscheidt"));
        assert_eq!(fold(" - "), None);
    }

    #[test]
    fn a_name_given_only_as_text_is_split_into_given_and_family() {
        let parts = NameParts {
            family: None,
            given: Vec::new(),
            text: Some("Peter James Chalmers".into()),
        };
        assert_eq!(
            FoldedName::of(&parts),
            Some(FoldedName {
                family: Some("chalmers".into()),
                given: Some("peter".into())
            })
        );
    }
}
