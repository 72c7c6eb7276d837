//! The foundation as a client meets it: health, the OpenAPI document, problem JSON for bad
//! requests, security headers, and serving the app, on SQLite and PostgreSQL.

use std::path::Path;

use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::StatusCode;
use serde_json::Value;

on_every_engine!(
    health_names_the_engine,
    openapi_document_is_valid,
    malformed_requests_get_problem_json,
    every_response_carries_security_headers,
    app_is_served_with_fallback_and_caching,
);

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "an error must be problem JSON"
    );
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["title"].is_string());
    body
}

async fn health_names_the_engine(engine: Engine) {
    let server = TestServer::start(engine).await;
    let response = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let expected = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
    server.stop().await;
}

async fn openapi_document_is_valid(engine: Engine) {
    let server = TestServer::start(engine).await;
    let text = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(
        spec.openapi.starts_with("3.1"),
        "OpenAPI version {}",
        spec.openapi
    );
    let paths = spec.paths.expect("the document lists paths");
    assert!(paths.contains_key("/healthz"));
    // Every schema reference must resolve, or generated client bindings will not build.
    let raw: Value = serde_json::from_str(&text).unwrap();
    for reference in collect_refs(&raw) {
        let pointer = reference.trim_start_matches('#');
        assert!(raw.pointer(pointer).is_some(), "dangling $ref {reference}");
    }
    // What docs/api.md promises of every operation (a summary, described answers, problems,
    // security, media types and size limits) and examples for the types every client meets:
    // a route added later without them fails here.
    let gaps = folio_tests::openapi_contract::gaps(&raw);
    assert!(
        gaps.is_empty(),
        "the document breaks its promises (docs/api.md):\n{}",
        gaps.join("\n")
    );
    // An independent validator of the 3.1 specification (PyPI `openapi-spec-validator`,
    // installed by `cargo xtask setup`): what code generators hold the document to.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &text).unwrap();
    let validator = workspace().join("tools/py/bin/openapi-spec-validator");
    assert!(
        validator.exists(),
        "{} is missing: run `cargo xtask setup`",
        validator.display()
    );
    let checked = std::process::Command::new(&validator)
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "the validator refuses the document:\n{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    server.stop().await;
}

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace")
}

/// v1 only grows (docs/api.md): the served document keeps every route, parameter, field and
/// enum value of the last release's, kept in `docs/openapi-v1.json`. After a release, copy
/// the served document there (`folio openapi > docs/openapi-v1.json`).
#[tokio::test]
async fn the_api_keeps_everything_the_last_release_had() {
    let server = TestServer::start(Engine::Sqlite).await;
    let served: Value = client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let released: Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("docs/openapi-v1.json")).unwrap(),
    )
    .unwrap();
    let lost = folio_tests::openapi_contract::removed(&released, &served);
    assert!(
        lost.is_empty(),
        "the API lost what clients of the last release use (a v2 change):\n{}",
        lost.join("\n")
    );
    // The check itself: the same document with one field fewer is caught.
    let mut fewer = served.clone();
    fewer["components"]["schemas"]["Caregiver"]["properties"]
        .as_object_mut()
        .expect("the caregiver schema lists its fields")
        .remove("recipient");
    assert_eq!(
        folio_tests::openapi_contract::removed(&served, &fewer),
        vec!["field schema Caregiver.recipient".to_owned()]
    );
    server.stop().await;
}

fn collect_refs(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => vec![r.clone()],
                _ => collect_refs(v),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(collect_refs).collect(),
        _ => vec![],
    }
}

async fn malformed_requests_get_problem_json(engine: Engine) {
    let server = TestServer::start(engine).await;
    let http = client();

    let unknown = http
        .get(server.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    let body = problem(unknown, StatusCode::NOT_FOUND).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/nothing-here")
    );

    let wrong_method = http.post(server.url("/healthz")).send().await.unwrap();
    problem(wrong_method, StatusCode::METHOD_NOT_ALLOWED).await;

    // A declared body larger than any route accepts is refused before it is read.
    let oversized = http
        .put(server.url("/api/v1/vaults/00000000-0000-0000-0000-000000000000/segments/k"))
        .header("content-type", "application/octet-stream")
        .header("authorization", "Bearer fd_unknown")
        .body(vec![0u8; 1024])
        .send()
        .await
        .unwrap();
    problem(oversized, StatusCode::UNAUTHORIZED).await;
    server.stop().await;
}

async fn every_response_carries_security_headers(engine: Engine) {
    let server = TestServer::start(engine).await;
    for path in ["/healthz", "/api/v1/unknown", "/"] {
        let response = client().get(server.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
        assert!(
            !headers.contains_key("strict-transport-security"),
            "{path}: plain http"
        );
    }
    server.stop().await;

    let https = TestServer::start_with(engine, |c| {
        c.public_url = "https://folio.example".parse().unwrap();
    })
    .await;
    let response = client().get(https.url("/healthz")).send().await.unwrap();
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    https.stop().await;
}

/// A stand-in for Trunk's output, so the serving rules are tested without a WASM build.
fn fake_app(dir: &Path) {
    std::fs::create_dir_all(dir.join("icons")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!DOCTYPE html><html><head><script type=\"module\">import init from '/folio-app-0123456789abcdef.js';</script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.join("folio-app-0123456789abcdef.js"),
        "export default 1;",
    )
    .unwrap();
    std::fs::write(dir.join("icons/folio.svg"), "<svg/>").unwrap();
}

async fn app_is_served_with_fallback_and_caching(engine: Engine) {
    let app = tempfile::tempdir().unwrap();
    fake_app(app.path());
    let app_dir = app.path().to_path_buf();
    let server = TestServer::start_with(engine, |c| c.app_dir = app_dir).await;
    let http = client();

    for page in ["/", "/view", "/records/Observation/abc"] {
        let response = http.get(server.url(page)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{page}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        // The inline loader's hash is allowed, and nothing else inline.
        assert!(csp.contains("'sha256-"), "{csp}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("folio-app-0123456789abcdef.js")
        );
    }

    let asset = http
        .get(server.url("/folio-app-0123456789abcdef.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );

    let icon = http
        .get(server.url("/icons/folio.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["cache-control"], "no-cache");

    let missing = http
        .get(server.url("/missing-0123456789abcdef.js"))
        .send()
        .await
        .unwrap();
    problem(missing, StatusCode::NOT_FOUND).await;

    // However the path is spelled, nothing outside the app folder is ever served.
    for escape in [
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/icons/..%2f..%2fCargo.toml",
    ] {
        let response = http.get(server.url(escape)).send().await.unwrap();
        let body = response.text().await.unwrap();
        assert!(!body.contains("root:"), "{escape} leaked a file");
        assert!(!body.contains("[package]"), "{escape} leaked a file");
    }
    server.stop().await;
}
