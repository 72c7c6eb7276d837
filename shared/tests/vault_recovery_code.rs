//! Recovery codes: what the user sees, what they may type back, and every typo caught.

// Native only: the browser runs the same paths through tests/vault_wasm.rs.
#![cfg(not(target_arch = "wasm32"))]

use folio_shared::keys::{RecoveryCode, RecoveryCodeError};

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn codes() -> impl Iterator<Item = RecoveryCode> {
    (0..20).map(|_| RecoveryCode::generate())
}

#[test]
fn canonical_form_is_seven_dashed_groups_of_five() {
    for code in codes() {
        let text = code.to_string();
        let groups: Vec<&str> = text.split('-').collect();
        assert_eq!(groups.len(), 7, "{text}");
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 5 && g.chars().all(|c| ALPHABET.contains(c)))
        );
        assert_eq!(text.parse::<RecoveryCode>().unwrap(), code);
    }
}

#[test]
fn generated_codes_differ() {
    let a = RecoveryCode::generate();
    let b = RecoveryCode::generate();
    assert_ne!(a, b);
}

#[test]
fn typing_is_forgiving() {
    for code in codes() {
        let text = code.to_string();
        let variants = [
            text.to_lowercase(),
            text.replace('-', ""),
            text.replace('-', " "),
            format!("  {}  ", text.replace('-', " - ")),
            text.replace('-', "")
                .chars()
                .enumerate()
                .fold(String::new(), |mut s, (i, c)| {
                    // Spaces in odd places, as someone reading it aloud might type it.
                    if i % 3 == 0 {
                        s.push(' ');
                    }
                    s.push(c);
                    s
                }),
            text.replace('0', "O").replace('1', "I"),
            text.replace('0', "o").replace('1', "l"),
            text.replace('1', "L"),
        ];
        for typed in variants {
            assert_eq!(typed.parse::<RecoveryCode>().as_ref(), Ok(&code), "{typed}");
        }
    }
}

#[test]
fn every_single_substitution_is_caught_and_names_its_group() {
    for code in codes() {
        let text: Vec<char> = code.to_string().chars().collect();
        for position in 0..text.len() {
            if text[position] == '-' {
                continue;
            }
            let group = position / 6 + 1;
            for replacement in ALPHABET.chars().filter(|&c| c != text[position]) {
                let mut typo = text.clone();
                typo[position] = replacement;
                let typo: String = typo.into_iter().collect();
                assert_eq!(
                    typo.parse::<RecoveryCode>(),
                    Err(RecoveryCodeError::BadGroup { group }),
                    "{typo}"
                );
            }
        }
    }
}

#[test]
fn every_adjacent_swap_within_a_group_is_caught() {
    for code in codes() {
        let text: Vec<char> = code.to_string().chars().collect();
        for position in 0..text.len() - 1 {
            let (a, b) = (text[position], text[position + 1]);
            if a == '-' || b == '-' || a == b {
                continue;
            }
            let mut swapped = text.clone();
            swapped.swap(position, position + 1);
            let swapped: String = swapped.into_iter().collect();
            assert_eq!(
                swapped.parse::<RecoveryCode>(),
                Err(RecoveryCodeError::BadGroup {
                    group: position / 6 + 1
                }),
                "{swapped}"
            );
        }
    }
}

#[test]
fn groups_typed_in_the_wrong_order_are_caught() {
    let code = RecoveryCode::generate();
    let mut groups: Vec<String> = code.to_string().split('-').map(str::to_owned).collect();
    groups.swap(2, 5);
    let err = groups.join("-").parse::<RecoveryCode>().unwrap_err();
    assert_eq!(err, RecoveryCodeError::BadGroup { group: 3 });
}

#[test]
fn a_dropped_character_is_blamed_on_its_group() {
    let code = RecoveryCode::generate().to_string();
    let mut groups: Vec<String> = code.split('-').map(str::to_owned).collect();
    groups[3].pop();
    assert_eq!(
        groups.join("-").parse::<RecoveryCode>(),
        Err(RecoveryCodeError::GroupLength { group: 4, found: 4 })
    );
    assert_eq!(
        code.replace('-', "")[..30].parse::<RecoveryCode>(),
        Err(RecoveryCodeError::WrongLength { found: 30 })
    );
    assert_eq!(
        format!("{code}-AAAAA").parse::<RecoveryCode>(),
        Err(RecoveryCodeError::WrongLength { found: 40 })
    );
    assert_eq!(
        "".parse::<RecoveryCode>(),
        Err(RecoveryCodeError::WrongLength { found: 0 })
    );
}

#[test]
fn characters_outside_the_alphabet_are_named_with_their_group() {
    let code = RecoveryCode::generate().to_string();
    for (position, bad) in [(0, 'U'), (8, '!'), (40, 'é')] {
        let mut typo: Vec<char> = code.chars().collect();
        typo[position] = bad;
        let typo: String = typo.into_iter().collect();
        assert_eq!(
            typo.parse::<RecoveryCode>(),
            Err(RecoveryCodeError::InvalidCharacter {
                group: position / 6 + 1,
                character: bad
            })
        );
    }
}

#[test]
fn errors_tell_the_user_what_to_fix() {
    assert_eq!(
        RecoveryCodeError::BadGroup { group: 3 }.to_string(),
        "group 3 has a typo: compare it with the printed code"
    );
    assert_eq!(
        RecoveryCodeError::WrongLength { found: 30 }.to_string(),
        "a recovery code has 35 characters in 7 groups of 5; this has 30"
    );
}
