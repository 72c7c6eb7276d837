//! Reading CDA XML with roxmltree: children by local name (CDA lives in `urn:hl7-org:v3`,
//! with `sdtc:` extensions beside it) and XPath-like paths for report locations and ids.

use roxmltree::Node;

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

/// `/ClinicalDocument/component/structuredBody/component[3]/section/entry[2]`: the index
/// is shown where an element has same-named siblings, 1-based as in XPath.
pub(crate) fn xpath(node: Node<'_, '_>) -> String {
    let mut parts = Vec::new();
    for n in node.ancestors().filter(|n| n.is_element()) {
        let name = n.tag_name().name();
        let same = |s: &Node| s.is_element() && s.tag_name().name() == name;
        let before = n.prev_siblings().skip(1).filter(same).count();
        let after = n.next_siblings().skip(1).filter(same).count();
        if before + after > 0 {
            parts.push(format!("{name}[{}]", before + 1));
        } else {
            parts.push(name.to_string());
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
