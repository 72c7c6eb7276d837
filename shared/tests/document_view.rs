//! Documents opened for display: C-CDA narratives read into safe blocks, and the content
//! types the page shows in place.

use std::path::{Path, PathBuf};

use folio_shared::document_view::{
    Block, ClinicalDocument, DocumentBody, Inline, NarrativeError, NarrativeSection, read_document,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn corpus_file(relative: &str) -> Vec<u8> {
    let path = Path::new(DATA).join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ccda_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in ["chb-sample-ccdas", "hl7-examples", "onc-2015-certification"] {
        let dir = Path::new(DATA).join("ccda").join(folder);
        for entry in std::fs::read_dir(&dir).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files
}

/// Every text of a list of inlines, flattened.
fn words(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text(t) => out.push_str(t),
            Inline::LineBreak => out.push('\n'),
            Inline::Strong(c)
            | Inline::Emphasis(c)
            | Inline::Underline(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c) => out.push_str(&words(c)),
        }
    }
    out
}

fn block_words(blocks: &[Block]) -> String {
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph(inlines) => out.push(words(inlines)),
            Block::List { items, .. } => out.extend(items.iter().map(|i| block_words(i))),
            Block::Table {
                caption,
                head,
                body,
            } => {
                out.push(words(caption));
                for row in head.iter().chain(body) {
                    out.extend(row.iter().map(|c| block_words(&c.blocks)));
                }
            }
        }
    }
    out.join(" | ")
}

fn all_words(sections: &[NarrativeSection]) -> String {
    sections
        .iter()
        .map(|s| {
            format!(
                "{} :: {} :: {}",
                s.title,
                block_words(&s.blocks),
                all_words(&s.subsections)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn titles(sections: &[NarrativeSection]) -> Vec<String> {
    sections
        .iter()
        .flat_map(|s| std::iter::once(s.title.clone()).chain(titles(&s.subsections)))
        .collect()
}

#[test]
fn the_discharge_summary_reads_with_every_section_heading() {
    let document =
        ClinicalDocument::read(&corpus_file("ccda/hl7-examples/Discharge_Summary.xml")).unwrap();
    assert_eq!(
        document.title,
        "Community Health and Hospitals: Discharge Summary"
    );
    let titles = titles(&document.sections);
    for expected in [
        "ADMISSION DIAGNOSIS",
        "DISCHARGE DIAGNOSIS",
        "DISCHARGE MEDICATIONS",
        "HOSPITAL COURSE",
        "VITAL SIGNS",
    ] {
        assert!(
            titles.iter().any(|t| t == expected),
            "{expected} missing from {titles:?}"
        );
    }
    let course = document
        .sections
        .iter()
        .find(|s| s.title == "HOSPITAL COURSE")
        .unwrap();
    assert!(
        !course.blocks.is_empty(),
        "the hospital course has its text"
    );
}

#[test]
fn every_ccda_in_the_corpus_reads_with_narrative() {
    for path in ccda_files() {
        let bytes = std::fs::read(&path).unwrap();
        let document =
            ClinicalDocument::read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = all_words(&document.sections);
        assert!(
            document.embedded.is_some() || text.len() > 200,
            "{}: little narrative ({} bytes)",
            path.display(),
            text.len()
        );
        // Markup never survives as text: a narrative is read, not copied.
        assert!(!text.contains("<td"), "{}", path.display());
    }
}

#[test]
fn tables_keep_their_header_rows_and_cells() {
    let document = ClinicalDocument::read(
        br#"<ClinicalDocument xmlns="urn:hl7-org:v3"><title>T</title><component><structuredBody>
        <component><section><title>Results</title><text>
          <table border="1"><caption>Panel</caption>
            <thead><tr><th>Test</th><th colspan="2">Value</th></tr></thead>
            <tbody><tr><td>Glucose</td><td>  95 </td><td>mg/dL</td></tr>
                   <tr><td colspan="9999">All <content styleCode="Bold Italics">normal</content></td></tr></tbody>
          </table></text></section></component></structuredBody></component></ClinicalDocument>"#,
    )
    .unwrap();
    let Block::Table {
        caption,
        head,
        body,
    } = &document.sections[0].blocks[0]
    else {
        panic!("a table: {:?}", document.sections[0].blocks);
    };
    assert_eq!(words(caption), "Panel");
    assert_eq!(head.len(), 1);
    assert!(head[0].iter().all(|c| c.header));
    assert_eq!(head[0][1].col_span, 2);
    assert_eq!(body.len(), 2);
    assert_eq!(block_words(&body[0][1].blocks), "95");
    assert_eq!(body[1][0].col_span, 50, "spans are bounded");
    assert_eq!(
        body[1][0].blocks,
        vec![Block::Paragraph(vec![
            Inline::Text("All ".into()),
            Inline::Emphasis(vec![Inline::Strong(vec![Inline::Text("normal".into())])]),
        ])]
    );
}

#[test]
fn lists_paragraphs_breaks_and_nested_sections() {
    let document = ClinicalDocument::read(
        br#"<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody>
        <component><section><code displayName="Plan of care"/><text>
          Loose   words
          <paragraph>First line<br/>  second line</paragraph>
          <list listType="ordered"><item>One</item><item><paragraph>Two</paragraph></item><item/></list>
        </text>
        <component><section><title>Inner</title><text>Nested</text></section></component>
        </section></component></structuredBody></component></ClinicalDocument>"#,
    )
    .unwrap();
    assert_eq!(document.title, "Clinical document");
    let section = &document.sections[0];
    assert_eq!(
        section.title, "Plan of care",
        "the code names an untitled section"
    );
    assert_eq!(
        section.blocks[0],
        Block::Paragraph(vec![Inline::Text("Loose words".into())])
    );
    assert_eq!(
        section.blocks[1],
        Block::Paragraph(vec![
            Inline::Text("First line".into()),
            Inline::LineBreak,
            Inline::Text("second line".into()),
        ])
    );
    let Block::List { ordered, items } = &section.blocks[2] else {
        panic!("a list");
    };
    assert!(ordered);
    assert_eq!(items.len(), 2, "an empty item is left out");
    assert_eq!(section.subsections[0].title, "Inner");
    assert_eq!(block_words(&section.subsections[0].blocks), "Nested");
}

#[test]
fn scripts_styles_links_and_foreign_markup_never_come_through() {
    let document = ClinicalDocument::read(
        br#"<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:h="http://www.w3.org/1999/xhtml">
        <title>Note</title><component><structuredBody><component><section><title>Notes</title>
        <text>
          <script>window.pwned = 1</script>
          <style>body { display: none }</style>
          <h:script>alert('x')</h:script>
          <h:img src="x" onerror="alert(1)"/>
          <paragraph onclick="alert(2)" style="color:red">Seen <linkHtml href="javascript:alert(3)">the link's words</linkHtml>.</paragraph>
          <renderMultiMedia referencedObject="MM1"/>
          <!-- a comment -->
        </text></section></component></structuredBody></component></ClinicalDocument>"#,
    )
    .unwrap();
    let text = all_words(&document.sections);
    assert!(text.contains("Seen the link's words."), "{text}");
    for banned in [
        "pwned",
        "display",
        "alert",
        "javascript",
        "onclick",
        "color",
        "comment",
    ] {
        assert!(!text.contains(banned), "{banned} came through: {text}");
    }
}

#[test]
fn documents_that_are_not_safe_or_not_clinical_are_refused() {
    let dtd = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>
        <ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol;</title></ClinicalDocument>"#;
    assert!(matches!(
        ClinicalDocument::read(dtd),
        Err(NarrativeError::InvalidXml(_))
    ));
    assert_eq!(
        ClinicalDocument::read(b"<Bundle xmlns=\"http://hl7.org/fhir\"/>"),
        Err(NarrativeError::NotClinicalDocument("Bundle".into()))
    );
    let deep = format!(
        "<ClinicalDocument>{}{}</ClinicalDocument>",
        "<a>".repeat(400),
        "</a>".repeat(400)
    );
    assert_eq!(
        ClinicalDocument::read(deep.as_bytes()),
        Err(NarrativeError::TooDeep(256))
    );
    assert!(matches!(
        read_document("application/xml", b"not xml"),
        DocumentBody::Unsupported(_)
    ));
}

#[test]
fn an_unstructured_document_gives_the_file_it_wraps() {
    let document = ClinicalDocument::read(&corpus_file(
        "ccda/hl7-examples/Unstructured_Document_embed_pdf.xml",
    ))
    .unwrap();
    let (media_type, bytes) = document.embedded.expect("the wrapped PDF");
    assert_eq!(media_type, "application/pdf");
    assert!(bytes.starts_with(b"%PDF"));
}

#[test]
fn content_types_choose_how_a_document_shows() {
    assert_eq!(
        read_document("text/plain; charset=utf-8", b"Seen today.\nBP fine."),
        DocumentBody::Text("Seen today.\nBP fine.".into())
    );
    assert_eq!(
        read_document("application/pdf", b"%PDF-1.4"),
        DocumentBody::Pdf
    );
    assert_eq!(read_document("IMAGE/JPEG", b""), DocumentBody::Image);
    assert!(matches!(
        read_document(
            "application/xml",
            &corpus_file("ccda/hl7-examples/CCD_1.xml")
        ),
        DocumentBody::Clinical(_)
    ));
    assert!(matches!(
        read_document("application/zip", b"PK"),
        DocumentBody::Unsupported(_)
    ));
}
