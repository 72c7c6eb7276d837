//! The one clinical document each mock patient has: a DocumentReference whose attachment is
//! a Binary holding a small, valid PDF. Synthea v2.4 Bundles have no documents, and clients
//! must still be tested on fetching attachments.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::data::instant;

/// The DocumentReference and its Binary for `patient`. The attachment URL is relative
/// (`Binary/{id}`) until the provider knows its address and makes it absolute.
pub(crate) fn visit_summary(
    patient: &Value,
    patient_id: &str,
    at: DateTime<Utc>,
) -> (Value, Value) {
    let binary_id = uuid::Uuid::new_v4().to_string();
    let pdf = pdf(&format!("Visit summary for {}", display_name(patient)));
    let document_reference = json!({
        "resourceType": "DocumentReference",
        "id": uuid::Uuid::new_v4().to_string(),
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}],
            "text": "Progress note"
        },
        "category": [{
            "coding": [{
                "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                "code": "clinical-note",
                "display": "Clinical Note"
            }]
        }],
        "subject": {"reference": format!("Patient/{patient_id}")},
        "date": instant(at),
        "description": "Visit summary",
        "content": [{
            "attachment": {
                "contentType": "application/pdf",
                "url": format!("Binary/{binary_id}"),
                "size": pdf.len(),
                "title": "Visit summary.pdf",
                "creation": instant(at)
            }
        }]
    });
    let binary = json!({
        "resourceType": "Binary",
        "id": binary_id,
        "contentType": "application/pdf",
        // Ties the Binary to its patient, so the provider refuses it to anyone else.
        "securityContext": {"reference": format!("Patient/{patient_id}")},
        "data": STANDARD.encode(&pdf)
    });
    (document_reference, binary)
}

/// "Given Family" from the Patient's first name, or "the patient".
fn display_name(patient: &Value) -> String {
    let name = &patient["name"][0];
    let given = name["given"][0].as_str().unwrap_or_default();
    let family = name["family"].as_str().unwrap_or_default();
    let full = format!("{given} {family}");
    let full = full.trim();
    if full.is_empty() {
        "the patient".to_owned()
    } else {
        full.to_owned()
    }
}

/// A one-page PDF showing `text`, with a correct cross-reference table so strict PDF
/// readers open it.
pub(crate) fn pdf(text: &str) -> Vec<u8> {
    // PDF string literals: printable ASCII, with `\`, `(` and `)` escaped.
    let escaped: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .flat_map(|c| match c {
            '\\' | '(' | ')' => vec!['\\', c],
            _ => vec![c],
        })
        .collect();
    let stream = format!("BT /F1 18 Tf 72 720 Td ({escaped}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_cross_reference_table_points_at_its_objects() {
        let pdf = pdf("Visit summary for A (B)");
        let text = String::from_utf8(pdf.clone()).expect("ASCII");
        assert!(text.starts_with("%PDF-1.4") && text.ends_with("%%EOF\n"));
        assert!(text.contains("(Visit summary for A \\(B\\))"));
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|tail| tail.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(text[xref..].starts_with("xref"));
        for (index, line) in text[xref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            assert!(text[offset..].starts_with(&format!("{} 0 obj", index + 1)));
        }
    }
}
