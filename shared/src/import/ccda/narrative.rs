//! The human-readable side of a C-CDA document. Many vendors write an entry's name, a
//! medication's sig or a note only in the section's narrative block (`<text>`), and point
//! at it from the entry: `<text><reference value="#Proc4"/></text>` or
//! `<originalText><reference value="#Med1Sig"/></originalText>` → `<td ID="Proc4">…</td>`.
//! [`Narrative`] resolves those pointers; [`plain_text`] renders a whole narrative block
//! as readable plain text for notes.

use super::xml::{attr, child};
use roxmltree::{Document, Node, NodeId};
use std::collections::HashMap;

/// Every element of the document that carries an `ID`, by that ID, found in one pass so a
/// lookup costs no walk of the document.
pub(crate) struct Narrative {
    by_id: HashMap<String, NodeId>,
}

impl Narrative {
    pub(crate) fn new(doc: &Document<'_>) -> Self {
        let by_id = doc
            .descendants()
            .filter(|n| n.is_element())
            .filter_map(|n| Some((n.attribute("ID")?.trim().to_string(), n.id())))
            .collect();
        Narrative { by_id }
    }

    /// The text an element such as `text` or `originalText` stands for: the narrative its
    /// `reference` points at, else its own inline text (the `reference` itself left out).
    pub(crate) fn resolve(&self, node: Node<'_, '_>) -> Option<String> {
        self.referenced(node).or_else(|| inline_text(node))
    }

    fn referenced(&self, node: Node<'_, '_>) -> Option<String> {
        let value = child(node, "reference").and_then(|r| attr(r, "value"))?;
        let id = value.trim().trim_start_matches('#');
        let target = node.document().get_node(*self.by_id.get(id)?)?;
        super::xml::text(target)
    }
}

/// Text directly inside an element, not counting what a `reference` child holds.
fn inline_text(node: Node<'_, '_>) -> Option<String> {
    let s: String = node
        .descendants()
        .filter(|n| n.is_text())
        .filter(|n| {
            !n.ancestors()
                .take_while(|a| *a != node)
                .any(|a| a.is_element() && a.tag_name().name() == "reference")
        })
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// A narrative block as plain text: paragraphs, list items, table rows and line breaks on
/// their own lines, table cells separated by " | ". Blank lines are dropped.
pub(crate) fn plain_text(block: Node<'_, '_>) -> Option<String> {
    let mut out = String::new();
    render(block, &mut out);
    let lines: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .map(|l| l.trim_matches(|c| c == '|' || c == ' ').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn render(node: Node<'_, '_>, out: &mut String) {
    // Iterative over siblings, recursive over depth: the document's depth was bounded
    // before any walk (see `check_depth`).
    for c in node.children() {
        if c.is_text() {
            out.push_str(&c.text().unwrap_or_default().replace('\n', " "));
            continue;
        }
        if !c.is_element() {
            continue;
        }
        let name = c.tag_name().name();
        match name {
            "br" => out.push('\n'),
            "td" | "th" => {
                render(c, out);
                out.push_str(" | ");
            }
            "paragraph" | "tr" | "item" | "caption" | "list" | "table" | "thead" | "tbody"
            | "tfoot" => {
                out.push('\n');
                render(c, out);
                out.push('\n');
            }
            // Inline markup (content, sub, sup, linkHtml…) runs on with its sentence.
            _ => render(c, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r##"<ClinicalDocument xmlns="urn:hl7-org:v3"><section><text>
        <table><tr><th>Name</th><th>Code</th></tr>
        <tr ID="row1"><td ID="Proc4">Cerumen Removal</td><td>69209</td></tr></table>
        <paragraph>Seen <content ID="c1">today</content>.</paragraph></text>
        <entry><procedure><text><reference value="#Proc4"/></text>
        <code code="69209"><originalText>ear wax <reference value="#missing"/></originalText></code>
        </procedure></entry></section></ClinicalDocument>"##;

    fn find<'a>(doc: &'a Document<'a>, name: &str) -> Node<'a, 'a> {
        doc.descendants()
            .find(|n| n.tag_name().name() == name)
            .unwrap()
    }

    #[test]
    fn references_resolve_into_the_narrative_and_inline_text_is_the_fallback() {
        let doc = Document::parse(DOC).unwrap();
        let narrative = Narrative::new(&doc);
        let procedure = find(&doc, "procedure");
        let text = child(procedure, "text").unwrap();
        assert_eq!(narrative.resolve(text).as_deref(), Some("Cerumen Removal"));
        let original = child(child(procedure, "code").unwrap(), "originalText").unwrap();
        assert_eq!(narrative.resolve(original).as_deref(), Some("ear wax"));
    }

    #[test]
    fn a_narrative_block_reads_as_lines_and_cells() {
        let doc = Document::parse(DOC).unwrap();
        let block = find(&doc, "text");
        assert_eq!(
            plain_text(block).as_deref(),
            Some("Name | Code\nCerumen Removal | 69209\nSeen today.")
        );
    }
}
