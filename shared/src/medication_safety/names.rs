//! Reading a medication's name as records write it: "24 HR Metformin hydrochloride 500 MG
//! Extended Release Oral Tablet", "predniSONE (DELTASONE) tablet", "Lasix 40mg",
//! "Product containing naproxen (medicinal product)". A name is cut into lower-case words
//! (accents folded, punctuation dropped) that [`super::ingredients`] matches against its
//! table, and the strengths it states are read apart, so that "Simvastatin 10 MG" and
//! "Simvastatin 20 MG Oral Tablet" are the same ingredient at two strengths.

/// The parts of a name to try in turn: the name outside brackets first (the generic name of
/// an RxNorm "generic [Brand]" string, which is the more precise), then what the brackets
/// hold ("(DELTASONE)", "[Toprol]", "(Aleve)").
pub(super) fn readings(name: &str) -> Vec<String> {
    let mut outside = String::with_capacity(name.len());
    let mut inside = String::new();
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                inside.push(' ');
            }
            ']' | ')' => {
                depth = depth.saturating_sub(1);
                inside.push(' ');
            }
            _ if depth > 0 => inside.push(c),
            _ => outside.push(c),
        }
    }
    [outside, inside]
        .into_iter()
        .filter(|s| s.chars().any(char::is_alphabetic))
        .collect()
}

/// The parts of a combination product ("Acetaminophen 325 MG / Oxycodone Hydrochloride
/// 5 MG", "Fiorinal with Codeine"), each of which must name an ingredient for the whole to
/// be read: an unknown brand beside a known ingredient must not pass for that ingredient
/// alone.
pub(super) fn parts(name: &str) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut parts = vec![lower];
    for separator in [" / ", " + ", " with ", " w/ ", " and ", " & "] {
        parts = parts
            .iter()
            .flat_map(|part| part.split(separator).map(str::to_owned).collect::<Vec<_>>())
            .collect();
    }
    parts
        .into_iter()
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect()
}

/// Lower-case words, accents folded, every character that is not a letter or digit a
/// separator (a decimal point between digits is kept: "0.25").
pub(super) fn words(text: &str) -> Vec<String> {
    let folded: String = text.chars().flat_map(fold).collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = folded.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let decimal_point = c == '.'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() || decimal_point {
            word.push(c);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// A name as a table key: its words joined by single spaces.
pub(super) fn key(text: &str) -> String {
    words(text).join(" ")
}

/// Lower case, with the accents of the European languages records arrive in folded away
/// ("paracétamol", "Tabletten").
fn fold(c: char) -> impl Iterator<Item = char> {
    let folded = match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'µ' | 'μ' => 'u',
        'ß' => 's',
        _ => c,
    };
    folded.to_lowercase()
}

/// Units a strength is measured in (a mass, a count of units, a percentage); volumes and
/// durations ("1 ML" of a "5 MG/ML" solution, "24 HR") are not strengths.
const STRENGTH_UNITS: &[(&str, &str)] = &[
    ("mg", "mg"),
    ("mcg", "mcg"),
    ("ug", "mcg"),
    ("microgram", "mcg"),
    ("micrograms", "mcg"),
    ("g", "g"),
    ("gram", "g"),
    ("grams", "g"),
    ("unt", "unit"),
    ("unit", "unit"),
    ("units", "unit"),
    ("iu", "unit"),
    ("meq", "meq"),
    ("mmol", "mmol"),
    ("%", "%"),
];

/// The strengths a name states, normalised ("325 mg / 5 mg", "5 mg/ml", "0.4 mg/actuat"):
/// what tells a dose change or a second prescription apart from the same product.
pub(super) fn strength(name: &str) -> Option<String> {
    let text: String = name.chars().flat_map(fold).collect();
    let chars: Vec<char> = text.chars().collect();
    let mut found: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '.'));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == ',') {
            i += 1;
        }
        let number: String = chars[start..i].iter().filter(|c| **c != ',').collect();
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        let unit_start = j;
        while j < chars.len() && (chars[j].is_alphabetic() || chars[j] == '%') {
            j += 1;
        }
        let unit: String = chars[unit_start..j].iter().collect();
        let Some((_, unit)) = STRENGTH_UNITS.iter().find(|(written, _)| *written == unit) else {
            continue;
        };
        // "MG/ML", "mg/mL", "MG/ACTUAT", "MG per 1 ML".
        let mut per = String::new();
        if j < chars.len() && chars[j] == '/' {
            let per_start = j + 1;
            let mut k = per_start;
            while k < chars.len() && chars[k].is_alphabetic() {
                k += 1;
            }
            per = chars[per_start..k].iter().collect();
            j = k;
        }
        found.push(match (normal_number(&number), per.is_empty()) {
            (number, true) => format!("{number} {unit}"),
            (number, false) => format!("{number} {unit}/{per}"),
        });
        i = j;
    }
    (!found.is_empty()).then(|| found.join(" / "))
}

/// "10.0" as "10", "0.50" as "0.5".
fn normal_number(number: &str) -> String {
    if number.contains('.') {
        let trimmed = number.trim_end_matches('0').trim_end_matches('.');
        if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        }
    } else {
        number.into()
    }
}

/// Whether two words are one edit apart (a letter left out, added, changed, or two
/// neighbours swapped): "simvistatin" for "simvastatin", "chlorthalidon".
pub(super) fn one_edit_apart(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => {
            ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        std::cmp::Ordering::Less => ra == &rb[1..],
        std::cmp::Ordering::Greater => &ra[1..] == rb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strengths_leave_volumes_and_durations_out() {
        assert_eq!(
            strength("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"),
            Some("500 mg".into())
        );
        assert_eq!(
            strength("1 ML tacrolimus 5 MG/ML Injection"),
            Some("5 mg/ml".into())
        );
        assert_eq!(strength("Lasix 40mg"), Some("40 mg".into()));
        assert_eq!(
            strength("Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet"),
            Some("325 mg / 5 mg".into())
        );
        assert_eq!(strength("Trinessa 28 Day Pack"), None);
        assert_eq!(strength("Vitamin B 12 5 MG/ML"), Some("5 mg/ml".into()));
    }

    #[test]
    fn readings_put_the_generic_name_first() {
        assert_eq!(
            readings("predniSONE (DELTASONE) tablet"),
            vec!["predniSONE  tablet".to_owned(), " DELTASONE ".to_owned()]
        );
        assert_eq!(
            words("Naproxen sodium 220 MG"),
            ["naproxen", "sodium", "220", "mg"]
        );
        assert_eq!(words("0.25 ML Leuprolide"), ["0.25", "ml", "leuprolide"]);
    }

    #[test]
    fn one_edit() {
        assert!(one_edit_apart("simvistatin", "simvastatin"));
        assert!(one_edit_apart("chlorthalidon", "chlorthalidone"));
        assert!(one_edit_apart("naprosin", "naprosyn"));
        assert!(one_edit_apart("anastrozol", "anastrozole"));
        assert!(!one_edit_apart("prednisone", "prednisolone"));
        assert!(!one_edit_apart("simvastatin", "simvastatin"));
    }
}
