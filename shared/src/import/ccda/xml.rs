//! Reading CDA XML with roxmltree: children by local name (CDA lives in `urn:hl7-org:v3`,
//! with `sdtc:` extensions beside it) and XPath-like paths for report locations and ids.

use roxmltree::{Document, Node};
use std::collections::HashMap;

pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

pub(crate) fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// Follow a path of child names: `path(n, &["consumable", "manufacturedProduct"])`.
pub(crate) fn path<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(node, |n, name| child(n, name))
}

pub(crate) fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name)
        .map(|a| a.value())
        .filter(|v| !v.trim().is_empty())
}

/// Trimmed text content of an element and its descendants, or None when blank.
pub(crate) fn text(node: Node<'_, '_>) -> Option<String> {
    let s: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// The `root` of each `templateId` child.
pub(crate) fn template_roots<'a>(node: Node<'a, '_>) -> impl Iterator<Item = &'a str> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().name() == "templateId")
        .filter_map(|c| attr(c, "root"))
}

pub(crate) fn has_template(node: Node<'_, '_>, roots: &[&str]) -> bool {
    template_roots(node).any(|r| roots.contains(&r))
}

/// Each element's 1-based position among its same-named siblings (0 when it has none),
/// counted in one pass over the document. Counting siblings on every [`xpath`] call made
/// an import quadratic in a section's entry count: 10,000 entries took 3 s, 100,000 (a
/// 7.7 MB file) about five minutes.
pub(crate) struct SiblingIndex(Vec<u32>);

impl SiblingIndex {
    pub(crate) fn new(doc: &Document<'_>) -> Self {
        let mut index = Vec::new();
        let mut counts: HashMap<&str, (u32, u32)> = HashMap::new();
        for parent in doc.descendants() {
            counts.clear();
            let elements = || parent.children().filter(|c| c.is_element());
            for c in elements() {
                counts.entry(c.tag_name().name()).or_default().0 += 1;
            }
            for c in elements() {
                let Some((total, seen)) = counts.get_mut(c.tag_name().name()) else {
                    continue;
                };
                *seen += 1;
                let id = c.id().get_usize();
                if index.len() <= id {
                    index.resize(id + 1, 0);
                }
                index[id] = if *total > 1 { *seen } else { 0 };
            }
        }
        SiblingIndex(index)
    }
}

/// `/ClinicalDocument/component/structuredBody/component[3]/section/entry[2]`: the index
/// is shown where an element has same-named siblings, 1-based as in XPath.
pub(crate) fn xpath(siblings: &SiblingIndex, node: Node<'_, '_>) -> String {
    let mut parts = Vec::new();
    for n in node.ancestors().filter(|n| n.is_element()) {
        let name = n.tag_name().name();
        match siblings.0.get(n.id().get_usize()).copied().unwrap_or(0) {
            0 => parts.push(name.to_string()),
            position => parts.push(format!("{name}[{position}]")),
        }
    }
    parts.reverse();
    format!("/{}", parts.join("/"))
}

/// `root^extension` of the first usable `id` child.
pub(crate) fn instance_id(node: Node<'_, '_>) -> Option<String> {
    children(node, "id").find_map(|id| {
        let root = attr(id, "root")?;
        Some(match attr(id, "extension") {
            Some(ext) => format!("{root}^{ext}"),
            None => root.to_string(),
        })
    })
}
