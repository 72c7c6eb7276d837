//! A link as a QR code, drawn in the page (share and invitation links carry secrets: no
//! server may see them), as an SVG `data:` URI for an `<img>` (the CSP allows `data:` images).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Error correction M, which the SMART Health Links standard recommends: a link of a few
/// hundred characters stays scannable from a phone screen.
pub fn qr_data_uri(link: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}
