//! `FOLIO_APP_SIZES=1 cargo xtask build`: what the start page's module is made of, by crate,
//! so a change that grows it can be found (BENCHMARKS.md keeps its 600 KB gzip budget).
//!
//! The main module is optimised a second time with its names kept (`wasm-opt -Oz -g`, the
//! same passes as the shipped one), and each function's body size is added to the crate its
//! mangled name starts with. Sizes are before gzip, which shrinks code by about half.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use wasmparser::{KnownCustom, Name, Parser, Payload};

use crate::{cmd, run_cmd};

/// Prints the main module's code by crate, largest first, and its data.
pub fn report(root: &Path, main_module: &Path) -> Result<()> {
    let named = main_module.with_extension("named.wasm");
    run_cmd(
        cmd(root, "wasm-opt")
            .args(["-Oz", "-g"])
            .arg(main_module)
            .arg("-o")
            .arg(&named),
    )?;
    let bytes = std::fs::read(&named).with_context(|| format!("{}", named.display()))?;
    std::fs::remove_file(&named)?;

    let mut body_sizes = Vec::new();
    let mut imported = 0u32;
    let mut names = BTreeMap::new();
    let mut data = 0usize;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import?.ty, wasmparser::TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => body_sizes.push(span(body.range())),
            Payload::DataSection(section) => data = span(section.range()),
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(reader) = custom.as_known() {
                    for name in reader {
                        if let Name::Function(map) = name? {
                            for naming in map {
                                let naming = naming?;
                                names.insert(naming.index, naming.name.to_owned());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    let mut by_crate: BTreeMap<String, usize> = BTreeMap::new();
    for (i, size) in body_sizes.iter().enumerate() {
        let index = imported + u32::try_from(i)?;
        let krate = names
            .get(&index)
            .map_or_else(|| "(unnamed)".to_owned(), |name| crate_of(name));
        *by_crate.entry(krate).or_default() += size;
    }
    let mut rows: Vec<_> = by_crate.into_iter().collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    let code: usize = body_sizes.iter().sum();
    eprintln!(
        "xtask: the start page's module: {code} bytes of code in {} functions, {data} bytes of data",
        body_sizes.len()
    );
    for (krate, size) in rows.iter().take(40) {
        eprintln!("{size:>10}  {krate}");
    }
    Ok(())
}

fn span(range: std::ops::Range<u64>) -> usize {
    usize::try_from(range.end - range.start).expect("a module's section fits in memory")
}

/// The crate a function belongs to: the first path segment of its (legacy or v0)
/// mangled name, or of its plain name (`<T as Trait>` impls count to `T`'s crate).
fn crate_of(name: &str) -> String {
    let legacy = name.strip_prefix("_ZN").or_else(|| name.strip_prefix("ZN"));
    if let Some(rest) = legacy {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(len) = digits.parse::<usize>() {
            let start = digits.len();
            if let Some(first) = rest.get(start..start + len) {
                return first.to_owned();
            }
        }
    }
    let plain = name.trim_start_matches('<').trim_start_matches('&');
    plain
        .split("::")
        .next()
        .unwrap_or(plain)
        .split(['<', ' ', '['])
        .next()
        .unwrap_or(plain)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::crate_of;

    #[test]
    fn names_are_read_to_their_crate() {
        assert_eq!(
            crate_of("_ZN10serde_json2de5parse17h0123456789abcdefE"),
            "serde_json"
        );
        assert_eq!(crate_of("core::fmt::write::h1234"), "core");
        assert_eq!(
            crate_of("<folio_shared::Thing as core::fmt::Debug>::fmt"),
            "folio_shared"
        );
        assert_eq!(crate_of("memcpy"), "memcpy");
    }
}
