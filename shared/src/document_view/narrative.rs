//! A C-CDA document read for display: its sections' titles and narrative blocks, as plain
//! text in a tree the page renders element by element.
//!
//! The CDA narrative (`section/text`) is a small XHTML-like language: `paragraph`, `list`,
//! `table`, `content` with a `styleCode`, `br`, `sub`, `sup`, `caption`, `footnote`,
//! `linkHtml` and `renderMultiMedia`. Only its text and structure are kept: no attribute of
//! the source survives (a `styleCode` becomes a typed emphasis), links keep their words and
//! lose their target, multimedia is left out, and elements that are no part of the narrative
//! language (`script`, `style`, anything from another namespace) are dropped with their
//! content. Whitespace is collapsed as a browser would.

use base64::Engine as _;
use roxmltree::{Document, Node, NodeType, ParsingOptions};
use thiserror::Error;

use crate::import::ImportLimits;

/// Why a document could not be read for display.
#[derive(Debug, Error, PartialEq)]
pub enum NarrativeError {
    #[error("the document is not readable XML ({0})")]
    InvalidXml(String),
    #[error("the document is not a clinical document (its root is <{0}>)")]
    NotClinicalDocument(String),
    #[error("the document nests deeper than {0} levels")]
    TooDeep(usize),
}

/// A clinical document as its author wrote it for people to read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClinicalDocument {
    pub title: String,
    pub sections: Vec<NarrativeSection>,
    /// The body of an unstructured document (`nonXMLBody`): a PDF, an image or text the
    /// document wraps, with its media type.
    pub embedded: Option<(String, Vec<u8>)>,
}

/// One section: its heading, its narrative, and the sections inside it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NarrativeSection {
    pub title: String,
    pub blocks: Vec<Block>,
    pub subsections: Vec<NarrativeSection>,
}

/// A block of narrative.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Block>>,
    },
    Table {
        caption: Vec<Inline>,
        /// Rows of `thead`.
        head: Vec<Vec<Cell>>,
        /// Rows of every `tbody` (and rows outside any), then `tfoot`.
        body: Vec<Vec<Cell>>,
    },
}

/// A table cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// A `th`.
    pub header: bool,
    pub blocks: Vec<Block>,
    pub col_span: u16,
    pub row_span: u16,
}

/// Text within a block.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Underline(Vec<Inline>),
    Superscript(Vec<Inline>),
    Subscript(Vec<Inline>),
    LineBreak,
}

const HL7: &str = "urn:hl7-org:v3";
/// Spans beyond this are a mistake or an attempt to stretch the page.
const MAX_SPAN: u16 = 50;

impl ClinicalDocument {
    /// Reads a C-CDA document. DTDs are refused (no entity expansion), and the node count
    /// and nesting are bounded as the importer bounds them.
    pub fn read(bytes: &[u8]) -> Result<ClinicalDocument, NarrativeError> {
        let limits = ImportLimits::default();
        let text = std::str::from_utf8(bytes)
            .map_err(|e| NarrativeError::InvalidXml(e.to_string()))?
            .trim_start_matches('\u{feff}');
        let options = ParsingOptions {
            allow_dtd: false,
            nodes_limit: limits.max_xml_nodes,
            entity_resolver: None,
        };
        let doc = Document::parse_with_options(text, options)
            .map_err(|e| NarrativeError::InvalidXml(e.to_string()))?;
        check_depth(&doc, limits.max_xml_depth)?;
        let root = doc.root_element();
        if root.tag_name().name() != "ClinicalDocument" {
            return Err(NarrativeError::NotClinicalDocument(
                root.tag_name().name().to_owned(),
            ));
        }
        let title = child(root, "title")
            .map(plain_text)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "Clinical document".to_owned());
        let body = child(root, "component");
        let sections = body
            .and_then(|c| child(c, "structuredBody"))
            .map(|b| sections_in(b))
            .unwrap_or_default();
        let embedded = body
            .and_then(|c| child(c, "nonXMLBody"))
            .and_then(|b| child(b, "text"))
            .and_then(embedded_file);
        Ok(ClinicalDocument {
            title,
            sections,
            embedded,
        })
    }
}

/// The `section`s under `component`s of `parent`, in order.
fn sections_in(parent: Node<'_, '_>) -> Vec<NarrativeSection> {
    children(parent, "component")
        .filter_map(|c| child(c, "section"))
        .map(section)
        .collect()
}

fn section(node: Node<'_, '_>) -> NarrativeSection {
    let title = child(node, "title")
        .map(plain_text)
        .filter(|t| !t.is_empty())
        .or_else(|| {
            child(node, "code")
                .and_then(|c| c.attribute("displayName"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "Section".to_owned());
    NarrativeSection {
        title,
        blocks: child(node, "text").map(blocks).unwrap_or_default(),
        subsections: sections_in(node),
    }
}

fn embedded_file(text: Node<'_, '_>) -> Option<(String, Vec<u8>)> {
    let media_type = text
        .attribute("mediaType")
        .unwrap_or("text/plain")
        .to_owned();
    let content: String = text
        .children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    let bytes = if text.attribute("representation") == Some("B64") {
        let compact: String = content.split_whitespace().collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()?
    } else {
        content.into_bytes()
    };
    Some((media_type, bytes))
}

/// The blocks of narrative content: loose inline content between blocks becomes a
/// paragraph of its own.
fn blocks(node: Node<'_, '_>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut loose = Vec::new();
    for n in node.children() {
        match narrative_name(n) {
            Some("paragraph") => {
                flush(&mut loose, &mut out);
                push_paragraph(inlines(n), &mut out);
            }
            Some("list") => {
                flush(&mut loose, &mut out);
                out.push(list(n));
            }
            Some("table") => {
                flush(&mut loose, &mut out);
                out.push(table(n));
            }
            _ => inline_into(n, &mut loose),
        }
    }
    flush(&mut loose, &mut out);
    out
}

fn flush(loose: &mut Vec<Inline>, out: &mut Vec<Block>) {
    push_paragraph(std::mem::take(loose), out);
}

fn push_paragraph(inlines: Vec<Inline>, out: &mut Vec<Block>) {
    let inlines = tidy(inlines);
    if !inlines.is_empty() {
        out.push(Block::Paragraph(inlines));
    }
}

fn list(node: Node<'_, '_>) -> Block {
    Block::List {
        ordered: node.attribute("listType") == Some("ordered"),
        items: node
            .children()
            .filter(|n| narrative_name(*n) == Some("item"))
            .map(blocks)
            .filter(|b| !b.is_empty())
            .collect(),
    }
}

fn table(node: Node<'_, '_>) -> Block {
    let caption = child(node, "caption")
        .map(|c| tidy(inlines(c)))
        .unwrap_or_default();
    let mut head = Vec::new();
    let mut body = Vec::new();
    let mut foot = Vec::new();
    for part in node.children() {
        match narrative_name(part) {
            Some("thead") => head.extend(rows(part)),
            Some("tbody") => body.extend(rows(part)),
            Some("tfoot") => foot.extend(rows(part)),
            Some("tr") => body.push(row(part)),
            _ => {}
        }
    }
    body.extend(foot);
    Block::Table {
        caption,
        head,
        body,
    }
}

fn rows(part: Node<'_, '_>) -> Vec<Vec<Cell>> {
    part.children()
        .filter(|n| narrative_name(*n) == Some("tr"))
        .map(row)
        .collect()
}

fn row(tr: Node<'_, '_>) -> Vec<Cell> {
    tr.children()
        .filter_map(|n| {
            let header = match narrative_name(n) {
                Some("th") => true,
                Some("td") => false,
                _ => return None,
            };
            Some(Cell {
                header,
                blocks: blocks(n),
                col_span: span(n.attribute("colspan")),
                row_span: span(n.attribute("rowspan")),
            })
        })
        .collect()
}

fn span(value: Option<&str>) -> u16 {
    value
        .and_then(|v| v.trim().parse::<u16>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_SPAN)
}

fn inlines(node: Node<'_, '_>) -> Vec<Inline> {
    let mut out = Vec::new();
    for n in node.children() {
        inline_into(n, &mut out);
    }
    out
}

/// Adds what `node` shows inline to `out`; block elements met inside inline content (a
/// list inside a `content`) give their text.
fn inline_into(node: Node<'_, '_>, out: &mut Vec<Inline>) {
    if node.node_type() == NodeType::Text {
        if let Some(text) = node.text() {
            out.push(Inline::Text(text.to_owned()));
        }
        return;
    }
    let Some(name) = narrative_name(node) else {
        return;
    };
    match name {
        "br" => out.push(Inline::LineBreak),
        "sup" => out.push(Inline::Superscript(inlines(node))),
        "sub" => out.push(Inline::Subscript(inlines(node))),
        "content" => out.extend(styled(node.attribute("styleCode"), inlines(node))),
        "caption" => out.push(Inline::Strong(inlines(node))),
        // A link keeps its words, never its target; a footnote its words.
        "linkHtml" | "footnote" | "footnoteRef" => out.extend(inlines(node)),
        // A block met inside inline content gives its words, set apart by a space.
        _ => {
            out.extend(inlines(node));
            out.push(Inline::Text(" ".into()));
        }
    }
}

/// Applies a `styleCode` ("Bold Italics", …) as nested emphasis.
fn styled(style: Option<&str>, content: Vec<Inline>) -> Vec<Inline> {
    let mut content = content;
    for code in style.unwrap_or_default().split_whitespace() {
        content = vec![match code.to_ascii_lowercase().as_str() {
            "bold" => Inline::Strong(content),
            "italics" | "italic" => Inline::Emphasis(content),
            "underline" => Inline::Underline(content),
            _ => continue,
        }];
    }
    content
}

/// The narrative element `node` is, or `None` for comments, processing instructions and
/// elements outside the narrative language (a `script`, a `style`, another namespace), which
/// are dropped with everything inside them.
fn narrative_name<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    if !node.is_element() {
        return None;
    }
    let tag = node.tag_name();
    if tag.namespace().is_some_and(|ns| ns != HL7) {
        return None;
    }
    const NARRATIVE: &[&str] = &[
        "paragraph",
        "list",
        "item",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "content",
        "br",
        "sub",
        "sup",
        "linkHtml",
        "footnote",
        "footnoteRef",
    ];
    NARRATIVE.iter().copied().find(|n| *n == tag.name())
}

/// Collapses whitespace as a browser would, trims the ends of the block and around line
/// breaks, merges adjacent text and drops empty emphasis.
fn tidy(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::new();
    collapse(inlines, &mut out, &mut true);
    trim_end(&mut out);
    out
}

/// `after_space`: the text written so far ends in a space (or nothing is written yet), so a
/// leading space is dropped.
fn collapse(inlines: Vec<Inline>, out: &mut Vec<Inline>, after_space: &mut bool) {
    for inline in inlines {
        match inline {
            Inline::Text(text) => {
                let mut collapsed = String::with_capacity(text.len());
                for c in text.chars() {
                    if c.is_whitespace() {
                        if !*after_space {
                            collapsed.push(' ');
                            *after_space = true;
                        }
                    } else {
                        collapsed.push(c);
                        *after_space = false;
                    }
                }
                if collapsed.is_empty() {
                    continue;
                }
                match out.last_mut() {
                    Some(Inline::Text(previous)) => previous.push_str(&collapsed),
                    _ => out.push(Inline::Text(collapsed)),
                }
            }
            Inline::LineBreak => {
                trim_end(out);
                out.push(Inline::LineBreak);
                *after_space = true;
            }
            styled => {
                let (wrap, content): (fn(Vec<Inline>) -> Inline, _) = match styled {
                    Inline::Strong(c) => (Inline::Strong, c),
                    Inline::Emphasis(c) => (Inline::Emphasis, c),
                    Inline::Underline(c) => (Inline::Underline, c),
                    Inline::Superscript(c) => (Inline::Superscript, c),
                    Inline::Subscript(c) => (Inline::Subscript, c),
                    Inline::Text(_) | Inline::LineBreak => unreachable!("matched above"),
                };
                let mut inner = Vec::new();
                collapse(content, &mut inner, after_space);
                if !inner.is_empty() {
                    out.push(wrap(inner));
                }
            }
        }
    }
}

fn trim_end(out: &mut Vec<Inline>) {
    if let Some(Inline::Text(text)) = out.last_mut() {
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
        if text.is_empty() {
            out.pop();
        }
    }
}

/// All the text under `node`, whitespace collapsed (for titles).
fn plain_text(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

/// Deepest nesting, found without recursion so a deep file is refused before any
/// recursive walk.
fn check_depth(doc: &Document<'_>, max: usize) -> Result<(), NarrativeError> {
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > max {
            return Err(NarrativeError::TooDeep(max));
        }
        stack.extend(
            node.children()
                .filter(|c| c.is_element())
                .map(|c| (c, depth + 1)),
        );
    }
    Ok(())
}
