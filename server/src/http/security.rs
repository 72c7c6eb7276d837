//! Security headers on every response.
//!
//! The Content-Security-Policy lets exactly our own WASM app run: scripts only from our
//! origin (plus the hashes of the loader that Trunk inlines into `index.html`), WebAssembly
//! compilation, and nothing inline otherwise. `connect-src` allows any https origin because
//! the clinician viewer opens SMART Health Links hosted anywhere and the importer fetches
//! SMART Health Card issuers' keys.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

/// The headers added to every response, computed once at start.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    /// `inline_script_hashes` are CSP hash sources (`'sha256-…'`) for the scripts Trunk
    /// inlines; `https` turns on HSTS.
    pub fn new(inline_script_hashes: &[String], https: bool) -> Self {
        let mut script_src = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
        script_src.extend(inline_script_hashes.iter().cloned());
        let csp = [
            "default-src 'self'".to_owned(),
            format!("script-src {}", script_src.join(" ")),
            "style-src 'self'".to_owned(),
            "img-src 'self' data: blob:".to_owned(),
            "font-src 'self'".to_owned(),
            "connect-src 'self' https:".to_owned(),
            "worker-src 'self'".to_owned(),
            "manifest-src 'self'".to_owned(),
            "frame-src 'self' blob:".to_owned(),
            "object-src 'none'".to_owned(),
            "base-uri 'none'".to_owned(),
            "form-action 'self'".to_owned(),
            "frame-ancestors 'none'".to_owned(),
        ]
        .join("; ");
        let mut headers = vec![
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_str(&csp).expect("the CSP is ASCII"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static(
                    "camera=(self), microphone=(), geolocation=(), interest-cohort=()",
                ),
            ),
        ];
        if https {
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=63072000; includeSubDomains"),
            ));
        }
        SecurityHeaders { headers }
    }

    pub fn apply(&self, target: &mut HeaderMap) {
        for (name, value) in &self.headers {
            target.insert(name.clone(), value.clone());
        }
    }
}

/// CSP hash sources for every inline `<script>` in an HTML page.
///
/// Trunk writes its module loader inline; hashing it keeps `unsafe-inline` out of the
/// policy while the loader still runs.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};

    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after_open = &rest[open..];
        let Some(tag_end) = after_open.find('>') else {
            break;
        };
        let tag = &after_open[..tag_end];
        let body_start = &after_open[tag_end + 1..];
        let Some(close) = body_start.find("</script>") else {
            break;
        };
        let body = &body_start[..close];
        if !tag.contains(" src=") && !body.trim().is_empty() {
            let digest = Sha256::digest(body.as_bytes());
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &body_start[close + "</script>".len()..];
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = r#"<head><script src="/a.js"></script>
<script type="module">import init from '/app.js';</script></head>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        // echo -n "import init from '/app.js';" | openssl sha256 -binary | base64
        assert_eq!(
            hashes[0],
            "'sha256-lIu2QzD3kpYH4IKFiA/ZCfzcckv8zd+3oxfRlLTdixk='"
        );
    }

    #[test]
    fn csp_has_no_unsafe_inline_and_denies_framing() {
        let mut map = HeaderMap::new();
        SecurityHeaders::new(&[], false).apply(&mut map);
        let csp = map[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!map.contains_key(header::STRICT_TRANSPORT_SECURITY));
        SecurityHeaders::new(&[], true).apply(&mut map);
        assert!(map.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }
}
