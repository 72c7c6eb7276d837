//! A document's content in the page: a note's text, a PDF in a frame, an image, or a
//! clinical document (C-CDA) read from its narrative.
//!
//! A clinical document is built element by element from `folio_shared::document_view`'s
//! blocks, whose text is always set as text: no markup, attribute, script or style of the
//! document reaches the page. The original file is offered as a download beside it.

use folio_shared::document_view::{
    Block, Cell, ClinicalDocument, DocumentBody, Inline, NarrativeSection, read_document,
};
use leptos::prelude::*;

use crate::blob::{blob_url, revoke};

/// Decrypted or decoded bytes of a document, shown as their type allows.
#[component]
pub fn Content(bytes: Vec<u8>, content_type: String, title: String) -> impl IntoView {
    let body = read_document(&content_type, &bytes);
    let Some(url) = blob_url(&bytes, &content_type) else {
        return view! { <p class="muted">"This browser could not show the document."</p> }
            .into_any();
    };
    let revoke_url = url.clone();
    on_cleanup(move || revoke(&revoke_url));
    let download = view! {
        <p class="actions">
            <a href=url.clone() download=file_name(&content_type)>"Download the original"</a>
        </p>
    };
    match body {
        DocumentBody::Image => view! {
            <figure class="viewer-figure">
                <img class="viewer-image" src=url alt=title/>
                <figcaption>{download}</figcaption>
            </figure>
        }
        .into_any(),
        DocumentBody::Pdf => view! {
            <div class="document-body">
                <iframe class="document-frame" src=url.clone() title=title></iframe>
                <p class="actions">
                    <a href=url.clone() target="_blank" rel="noopener">"Open PDF"</a>
                    <a href=url download=file_name(&content_type)>"Download PDF"</a>
                </p>
            </div>
        }
        .into_any(),
        DocumentBody::Text(text) => view! {
            <div class="document-body">
                <pre class="document-text" data-testid="document-text">{text}</pre>
                {download}
            </div>
        }
        .into_any(),
        DocumentBody::Clinical(document) => view! {
            <div class="document-body">
                <ClinicalDocumentView document=document/>
                {download}
            </div>
        }
        .into_any(),
        DocumentBody::Unsupported(why) => view! {
            <div class="document-body">
                <p class="muted">{format!("This document cannot be shown here: {why}.")}</p>
                {download}
            </div>
        }
        .into_any(),
    }
}

fn file_name(content_type: &str) -> String {
    let kind = content_type.split(';').next().unwrap_or_default().trim();
    let extension = match kind {
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        "application/xml" | "text/xml" | "application/hl7-cda+xml" => "xml",
        other => other.rsplit('/').next().unwrap_or("bin"),
    };
    format!("document.{extension}")
}

#[component]
fn ClinicalDocumentView(document: ClinicalDocument) -> impl IntoView {
    let ClinicalDocument {
        title,
        sections,
        embedded,
    } = document;
    let wrapped = embedded.map(|(media_type, bytes)| {
        view! { <Content bytes=bytes content_type=media_type title=title.clone()/> }.into_any()
    });
    view! {
        <article class="clinical-document" data-testid="clinical-document">
            <h3>{title.clone()}</h3>
            {sections.into_iter().map(|s| section_view(s, 4)).collect_view()}
            {wrapped}
        </article>
    }
}

/// A section and those inside it, headings one level deeper each time (down to `h6`).
fn section_view(section: NarrativeSection, level: u8) -> AnyView {
    let NarrativeSection {
        title,
        blocks,
        subsections,
    } = section;
    let heading = match level {
        4 => view! { <h4>{title}</h4> }.into_any(),
        5 => view! { <h5>{title}</h5> }.into_any(),
        _ => view! { <h6>{title}</h6> }.into_any(),
    };
    let inner = subsections
        .into_iter()
        .map(|s| section_view(s, (level + 1).min(6)))
        .collect_view();
    view! {
        <section class="clinical-document-section">
            {heading}
            {blocks_view(blocks)}
            {inner}
        </section>
    }
    .into_any()
}

fn blocks_view(blocks: Vec<Block>) -> AnyView {
    blocks.into_iter().map(block_view).collect_view().into_any()
}

fn block_view(block: Block) -> AnyView {
    match block {
        Block::Paragraph(inlines) => view! { <p>{inlines_view(inlines)}</p> }.into_any(),
        Block::List {
            ordered: true,
            items,
        } => view! { <ol>{items.into_iter().map(|i| view! { <li>{blocks_view(i)}</li> }).collect_view()}</ol> }
            .into_any(),
        Block::List { items, .. } => view! {
            <ul>{items.into_iter().map(|i| view! { <li>{blocks_view(i)}</li> }).collect_view()}</ul>
        }
        .into_any(),
        Block::Table {
            caption,
            head,
            body,
        } => {
            let caption = (!caption.is_empty())
                .then(|| view! { <caption>{inlines_view(caption)}</caption> });
            view! {
                <div class="table-scroll">
                    <table class="document-table">
                        {caption}
                        <thead>{head.into_iter().map(row_view).collect_view()}</thead>
                        <tbody>{body.into_iter().map(row_view).collect_view()}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }
    }
}

fn row_view(cells: Vec<Cell>) -> impl IntoView {
    view! { <tr>{cells.into_iter().map(cell_view).collect_view()}</tr> }
}

fn cell_view(cell: Cell) -> AnyView {
    let Cell {
        header,
        blocks,
        col_span,
        row_span,
    } = cell;
    if header {
        view! { <th colspan=col_span rowspan=row_span>{blocks_view(blocks)}</th> }.into_any()
    } else {
        view! { <td colspan=col_span rowspan=row_span>{blocks_view(blocks)}</td> }.into_any()
    }
}

fn inlines_view(inlines: Vec<Inline>) -> AnyView {
    inlines
        .into_iter()
        .map(|inline| match inline {
            Inline::Text(text) => text.into_any(),
            Inline::LineBreak => view! { <br/> }.into_any(),
            Inline::Strong(c) => view! { <strong>{inlines_view(c)}</strong> }.into_any(),
            Inline::Emphasis(c) => view! { <em>{inlines_view(c)}</em> }.into_any(),
            Inline::Underline(c) => view! { <u>{inlines_view(c)}</u> }.into_any(),
            Inline::Superscript(c) => view! { <sup>{inlines_view(c)}</sup> }.into_any(),
            Inline::Subscript(c) => view! { <sub>{inlines_view(c)}</sub> }.into_any(),
        })
        .collect_view()
        .into_any()
}
