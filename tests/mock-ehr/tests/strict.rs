//! Each strictness point and each fault of the mock EHR, driven over HTTP the way a client
//! would, so Folio's own tests can rely on the mock refusing what real EHRs refuse.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio_mock_ehr::{Fault, MockProvider, PatientData, ProviderConfig};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use url::Url;

const SYNTHEA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/fhir-r4/synthea"
);
/// 70 resources: most tests.
const SMALL: &str = "Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json";
/// 1,111 resources: paging.
const LARGE: &str = "Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json";
/// 110 resources: the "other patient".
const OTHER: &str = "Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json";

const REDIRECT: &str = ProviderConfig::DEFAULT_REDIRECT_URI;
const SCOPE: &str = "launch/patient openid fhirUser offline_access patient/*.rs";
const STATE: &str = "the-state-123";

fn patient(file: &str) -> PatientData {
    PatientData::from_bundle_file(&Path::new(SYNTHEA).join(file)).expect("a Synthea bundle")
}

fn config() -> ProviderConfig {
    ProviderConfig::new("Riverside Clinic", patient(SMALL))
}

/// A client that, like a browser app's test harness, looks at redirects instead of
/// following them.
fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

struct Pkce {
    verifier: String,
    challenge: String,
}

fn pkce() -> Pkce {
    // RFC 7636 wants 43 to 128 characters; two UUIDs make 64.
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

async fn get_json(client: &Client, url: &str) -> (StatusCode, Value) {
    let response = client.get(url).send().await.expect("the provider answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn discover(provider: &MockProvider) -> Value {
    let url = format!("{}/.well-known/smart-configuration", provider.fhir_base());
    get_json(&client(), &url).await.1
}

/// The authorization request, with `changes` replacing parameters (an empty value drops
/// the parameter).
async fn authorize(
    provider: &MockProvider,
    pkce: &Pkce,
    changes: &[(&str, &str)],
) -> reqwest::Response {
    let endpoint = discover(provider).await["authorization_endpoint"]
        .as_str()
        .expect("authorization_endpoint")
        .to_owned();
    let base = provider.fhir_base();
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", provider.client_id()),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPE),
        ("state", STATE),
        ("aud", base.as_str()),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    let mut url = Url::parse(&endpoint).expect("an absolute endpoint");
    url.query_pairs_mut().extend_pairs(params);
    client()
        .get(url)
        .send()
        .await
        .expect("the provider answers")
}

/// The query of the redirect back to the client; panics when there is none.
fn redirected(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status(), StatusCode::FOUND, "a redirect back");
    let location = response.headers()["location"].to_str().expect("ASCII");
    assert!(location.starts_with(REDIRECT), "{location}");
    let url = Url::parse(location).expect("an absolute redirect");
    url.query_pairs().into_owned().collect()
}

async fn token(provider: &MockProvider, form: &[(&str, &str)]) -> (StatusCode, HeaderMap, Value) {
    let endpoint = discover(provider).await["token_endpoint"]
        .as_str()
        .expect("token_endpoint")
        .to_owned();
    let response = client()
        .post(endpoint)
        .form(form)
        .send()
        .await
        .expect("the provider answers");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.json().await.expect("JSON"))
}

/// A code for `pkce`, from a request that succeeds.
async fn code(provider: &MockProvider, pkce: &Pkce) -> String {
    redirected(&authorize(provider, pkce, &[]).await)["code"].clone()
}

async fn exchange(provider: &MockProvider, code: &str, verifier: &str) -> (StatusCode, Value) {
    let (status, _, body) = token(
        provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", provider.client_id()),
            ("code_verifier", verifier),
        ],
    )
    .await;
    (status, body)
}

/// A full sign-in: the token response.
async fn sign_in(provider: &MockProvider) -> Value {
    let pkce = pkce();
    let code = code(provider, &pkce).await;
    let (status, body) = exchange(provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn refresh(provider: &MockProvider, refresh_token: &str) -> (StatusCode, Value) {
    let (status, _, body) = token(
        provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", provider.client_id()),
        ],
    )
    .await;
    (status, body)
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().expect("access_token")
}

async fn fhir_get(url: &str, access_token: Option<&str>) -> reqwest::Response {
    let mut request = client().get(url);
    if let Some(token) = access_token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the provider answers")
}

async fn search(provider: &MockProvider, query: &str, access_token: &str) -> (StatusCode, Value) {
    let response = fhir_get(
        &format!("{}/{query}", provider.fhir_base()),
        Some(access_token),
    )
    .await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Follows `next` links from `query`'s first page; every resource seen, in order.
async fn walk(provider: &MockProvider, query: &str, access_token: &str) -> Vec<Value> {
    let mut url = format!("{}/{query}", provider.fhir_base());
    let mut resources = Vec::new();
    loop {
        let response = fhir_get(&url, Some(access_token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let bundle: Value = response.json().await.expect("a Bundle");
        assert_eq!(bundle["type"], "searchset");
        for entry in bundle["entry"].as_array().into_iter().flatten() {
            assert_eq!(entry["search"]["mode"], "match");
            let resource = &entry["resource"];
            let full_url = format!(
                "{}/{}/{}",
                provider.fhir_base(),
                resource["resourceType"].as_str().expect("type"),
                resource["id"].as_str().expect("id")
            );
            assert_eq!(entry["fullUrl"], full_url.as_str());
            resources.push(resource.clone());
        }
        let next = bundle["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["relation"] == "next")
            .and_then(|l| l["url"].as_str());
        match next {
            Some(next) => {
                assert!(
                    next.starts_with(&format!("{}?_getpages=", provider.fhir_base())),
                    "{next}"
                );
                url = next.to_owned();
            }
            None => return resources,
        }
    }
}

fn key(resource: &Value) -> String {
    format!(
        "{}/{}",
        resource["resourceType"].as_str().unwrap_or(""),
        resource["id"].as_str().unwrap_or("")
    )
}

// ---- Discovery ---------------------------------------------------------------------------

#[tokio::test]
async fn discovery_and_metadata_describe_a_smart_server() {
    let provider = MockProvider::start(config()).await;
    let base = provider.fhir_base();
    assert!(base.starts_with("http://localhost:") && base.ends_with("/fhir"));
    let smart = discover(&provider).await;
    assert_eq!(smart["issuer"], base.as_str());
    assert!(
        smart["authorization_endpoint"]
            .as_str()
            .expect("authorize")
            .ends_with("/oauth/authorize")
    );
    assert!(
        smart["token_endpoint"]
            .as_str()
            .expect("token")
            .ends_with("/oauth/token")
    );
    assert_eq!(smart["code_challenge_methods_supported"], json!(["S256"]));
    for capability in [
        "launch-standalone",
        "client-public",
        "context-standalone-patient",
        "permission-offline",
        "permission-patient",
        "permission-v2",
    ] {
        assert!(
            smart["capabilities"]
                .as_array()
                .expect("list")
                .contains(&json!(capability)),
            "{capability}"
        );
    }
    assert!(
        smart["scopes_supported"]
            .as_array()
            .expect("list")
            .contains(&json!("patient/*.rs"))
    );

    let (status, metadata) = get_json(&client(), &format!("{base}/metadata")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metadata["resourceType"], "CapabilityStatement");
    assert_eq!(metadata["fhirVersion"], "4.0.1");
    let rest = &metadata["rest"][0];
    let oauth = &rest["security"]["extension"][0];
    assert_eq!(oauth["extension"][1]["valueUri"], smart["token_endpoint"]);
    let resources = rest["resource"].as_array().expect("resources");
    let of = |t: &str| resources.iter().find(|r| r["type"] == t).cloned().expect(t);
    assert_eq!(of("Patient")["operation"][0]["name"], "everything");
    let observation = of("Observation");
    let observation_params: Vec<&str> = observation["searchParam"]
        .as_array()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for param in ["patient", "_lastUpdated", "category"] {
        assert!(observation_params.contains(&param), "{param}");
    }
}

// ---- The authorization endpoint ----------------------------------------------------------

#[tokio::test]
async fn an_unregistered_redirect_uri_or_client_gets_an_error_page_and_no_redirect() {
    let provider = MockProvider::start(config()).await;
    let pkce = pkce();
    let near_misses = [
        ("redirect_uri", "http://localhost:8080/connect/callback/"),
        ("redirect_uri", "http://localhost:8080/connect/callback?x=1"),
        ("redirect_uri", "http://127.0.0.1:8080/connect/callback"),
        ("redirect_uri", "https://attacker.example/connect/callback"),
        ("redirect_uri", ""),
        ("client_id", "someone-else"),
        ("client_id", ""),
    ];
    for change in near_misses {
        let response = authorize(&provider, &pkce, &[change]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{change:?}");
        assert!(response.headers().get("location").is_none(), "{change:?}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("ASCII")
                .starts_with("text/html")
        );
    }
}

#[tokio::test]
async fn authorization_requests_without_s256_pkce_state_aud_or_launch_patient_are_refused_by_redirect()
 {
    let provider = MockProvider::start(config()).await;
    let pkce = pkce();
    let wrong_aud = format!("{}/other", provider.fhir_base());
    let other_host_aud = provider.fhir_base().replace("localhost", "127.0.0.1");
    let cases: [(&[(&str, &str)], &str); 9] = [
        (
            &[
                ("code_challenge_method", "plain"),
                (
                    "code_challenge",
                    "plain-verifier-plain-verifier-plain-verifier",
                ),
            ],
            "invalid_request",
        ),
        (&[("code_challenge_method", "")], "invalid_request"),
        (&[("code_challenge", "")], "invalid_request"),
        (&[("code_challenge", "too-short")], "invalid_request"),
        (&[("aud", &wrong_aud)], "invalid_request"),
        (&[("aud", &other_host_aud)], "invalid_request"),
        (&[("aud", "")], "invalid_request"),
        (&[("scope", "openid patient/*.rs")], "invalid_scope"),
        (&[("response_type", "token")], "unsupported_response_type"),
    ];
    for (changes, error) in cases {
        let back = redirected(&authorize(&provider, &pkce, changes).await);
        assert_eq!(
            back.get("error").map(String::as_str),
            Some(error),
            "{changes:?}"
        );
        assert!(back.contains_key("error_description"));
        assert_eq!(
            back.get("state").map(String::as_str),
            Some(STATE),
            "the state comes back"
        );
        assert!(!back.contains_key("code"), "{changes:?}");
    }
    let back = redirected(&authorize(&provider, &pkce, &[("state", "")]).await);
    assert_eq!(back["error"], "invalid_request", "a state is required");

    // Only a trailing slash may differ in aud.
    let slash = format!("{}/", provider.fhir_base());
    let back = redirected(&authorize(&provider, &pkce, &[("aud", &slash)]).await);
    assert!(back.contains_key("code"), "{back:?}");
    assert_eq!(back["state"], STATE);
}

// ---- The token endpoint ------------------------------------------------------------------

#[tokio::test]
async fn a_code_becomes_tokens_for_the_patient_with_no_store() {
    let provider = MockProvider::start(config()).await;
    let pkce = pkce();
    let code = code(&provider, &pkce).await;
    let (status, headers, body) = token(
        &provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", provider.client_id()),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["patient"], provider.patient_id());
    assert_eq!(body["scope"], SCOPE);
    assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0));
    assert!(body["refresh_token"].is_string());
    assert_eq!(provider.stats().token_grants, 1);

    // Not a form: refused.
    let endpoint = discover(&provider).await["token_endpoint"]
        .as_str()
        .expect("token")
        .to_owned();
    let response = client()
        .post(endpoint)
        .json(&json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.expect("JSON")["error"],
        "invalid_request"
    );
    let (status, _, body) = token(&provider, &[("grant_type", "password")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_spends_the_code() {
    let provider = MockProvider::start(config()).await;
    let pkce = pkce();
    let code = code(&provider, &pkce).await;
    let other = self::pkce();
    let (status, body) = exchange(&provider, &code, &other.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, body) = exchange(&provider, &code, &pkce.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "spent"
    );
    // RFC 7636's verifier: 43 to 128 unreserved characters.
    let short = Pkce {
        verifier: "short".into(),
        challenge: URL_SAFE_NO_PAD.encode(Sha256::digest(b"short")),
    };
    let code = self::code(&provider, &short).await;
    let (status, body) = exchange(&provider, &code, &short.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

#[tokio::test]
async fn the_token_request_must_repeat_the_redirect_uri_and_client() {
    let provider = MockProvider::start(config()).await;
    for (name, value, error) in [
        (
            "redirect_uri",
            "http://localhost:8080/other",
            "invalid_grant",
        ),
        ("client_id", "someone-else", "invalid_client"),
    ] {
        let pkce = pkce();
        let code = code(&provider, &pkce).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", provider.client_id()),
            ("code_verifier", pkce.verifier.as_str()),
        ];
        form.retain(|(n, _)| *n != name);
        form.push((name, value));
        let (status, _, body) = token(&provider, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(error)),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_its_tokens() {
    let provider = MockProvider::start(config()).await;
    let pkce = pkce();
    let code = code(&provider, &pkce).await;
    let (status, tokens) = exchange(&provider, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK);
    let patient_url = format!("Patient/{}", provider.patient_id());
    assert_eq!(
        search(&provider, &patient_url, access(&tokens)).await.0,
        StatusCode::OK
    );

    let (status, body) = exchange(&provider, &code, &pkce.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(
        search(&provider, &patient_url, access(&tokens)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = refresh(
        &provider,
        tokens["refresh_token"].as_str().expect("refresh"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let provider = MockProvider::start(ProviderConfig {
        code_lifetime: Duration::from_millis(200),
        ..config()
    })
    .await;
    let pkce = pkce();
    let code = code(&provider, &pkce).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = exchange(&provider, &code, &pkce.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn access_tokens_expire_and_refresh_tokens_rotate() {
    let provider = MockProvider::start(ProviderConfig {
        access_token_lifetime: Duration::from_secs(1),
        ..config()
    })
    .await;
    let tokens = sign_in(&provider).await;
    assert_eq!(tokens["expires_in"], 1);
    let patient_url = format!("{}/Patient/{}", provider.fhir_base(), provider.patient_id());
    assert_eq!(
        fhir_get(&patient_url, Some(access(&tokens))).await.status(),
        StatusCode::OK
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = fhir_get(&patient_url, Some(access(&tokens))).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let challenge = expired.headers()["www-authenticate"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    assert_eq!(
        expired.json::<Value>().await.expect("JSON")["resourceType"],
        "OperationOutcome"
    );

    let missing = fhir_get(&patient_url, None).await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(
        missing.headers()["www-authenticate"]
            .to_str()
            .expect("ASCII")
            .starts_with("Bearer ")
    );
    assert_eq!(
        fhir_get(&patient_url, Some("made-up")).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let old_refresh = tokens["refresh_token"].as_str().expect("refresh");
    let (status, renewed) = refresh(&provider, old_refresh).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let new_refresh = renewed["refresh_token"]
        .as_str()
        .expect("a new refresh token");
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(renewed["patient"], provider.patient_id());
    assert_eq!(
        fhir_get(&patient_url, Some(access(&renewed)))
            .await
            .status(),
        StatusCode::OK
    );

    let (status, body) = refresh(&provider, old_refresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "rotated out"
    );
    assert_eq!(refresh(&provider, new_refresh).await.0, StatusCode::OK);
    let stats = provider.stats();
    assert_eq!((stats.token_grants, stats.refreshes), (1, 2));
    assert_eq!(stats.unauthorized, 3);
}

#[tokio::test]
async fn a_v1_server_drops_v2_scopes_from_the_grant() {
    let provider = MockProvider::start(ProviderConfig {
        scope_style_v2: false,
        ..config()
    })
    .await;
    let smart = discover(&provider).await;
    assert!(
        !smart["capabilities"]
            .as_array()
            .expect("list")
            .contains(&json!("permission-v2"))
    );
    let tokens = sign_in(&provider).await;
    assert_eq!(
        tokens["scope"],
        "launch/patient openid fhirUser offline_access"
    );
    let query = format!("Observation?patient={}", provider.patient_id());
    assert_eq!(
        search(&provider, &query, access(&tokens)).await.0,
        StatusCode::FORBIDDEN
    );
}

// ---- FHIR searches -----------------------------------------------------------------------

#[tokio::test]
async fn walking_next_links_returns_every_resource_exactly_once() {
    let provider = MockProvider::start(ProviderConfig {
        page_size: 100,
        ..ProviderConfig::new("Lakeside Hospital", patient(LARGE))
    })
    .await;
    let tokens = sign_in(&provider).await;
    let expected = provider.expected_counts();
    assert_eq!(expected["Observation"], 351);
    assert_eq!(expected["Patient"], 1);
    assert_eq!(expected["DocumentReference"], 1);
    assert!(!expected.contains_key("Organization") && !expected.contains_key("Binary"));

    let patient = provider.patient_id().to_owned();
    let mut seen = HashSet::new();
    let mut counts = BTreeMap::new();
    for resource_type in expected.keys() {
        let query = if resource_type == "Patient" {
            format!("Patient?_id={patient}")
        } else {
            format!("{resource_type}?patient={patient}")
        };
        for resource in walk(&provider, &query, access(&tokens)).await {
            assert_eq!(resource["resourceType"], resource_type.as_str());
            assert!(seen.insert(key(&resource)), "{} twice", key(&resource));
            *counts.entry(resource_type.clone()).or_insert(0) += 1;
        }
    }
    assert_eq!(counts, expected);
    // 351 Observations in pages of 100 (the cap) make 4 pages; `_count` above the cap is cut.
    let capped = walk(
        &provider,
        &format!("Observation?patient={patient}&_count=500"),
        access(&tokens),
    )
    .await;
    assert_eq!(capped.len(), 351);

    // The other spellings of the patient.
    for query in [
        format!("Condition?patient=Patient/{patient}"),
        format!("Condition?subject=Patient/{patient}"),
        format!(
            "Condition?subject={}/Patient/{patient}",
            provider.fhir_base()
        ),
    ] {
        assert_eq!(
            walk(&provider, &query, access(&tokens)).await.len(),
            expected["Condition"],
            "{query}"
        );
    }

    // A next link needs the bearer too.
    let (_, first) = search(
        &provider,
        &format!("Observation?patient={patient}&_count=10"),
        access(&tokens),
    )
    .await;
    assert_eq!(first["total"], 351);
    assert_eq!(first["entry"].as_array().expect("entries").len(), 10);
    let next = first["link"][1]["url"].as_str().expect("next");
    assert!(
        next.contains("_offset=10") && next.contains("_count=10"),
        "{next}"
    );
    assert_eq!(
        fhir_get(next, None).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let everything = walk(
        &provider,
        &format!("Patient/{patient}/$everything"),
        access(&tokens),
    )
    .await;
    assert_eq!(everything[0]["resourceType"], "Patient");
    let mut everything_counts = BTreeMap::new();
    for resource in &everything {
        *everything_counts
            .entry(resource["resourceType"].as_str().expect("type").to_owned())
            .or_insert(0) += 1;
    }
    assert_eq!(everything_counts, provider.expected_everything_counts());
    assert_eq!(everything_counts["Organization"], 2);
    assert!(provider.stats().pages_served > 20);
}

#[tokio::test]
async fn search_parameters_are_checked() {
    let provider = MockProvider::start(config()).await;
    let tokens = sign_in(&provider).await;
    let token = access(&tokens);
    let patient = provider.patient_id().to_owned();
    for (query, status) in [
        (
            format!("Observation?patient={patient}&_sort=-date"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("Observation?patient={patient}&patient={patient}"),
            StatusCode::BAD_REQUEST,
        ),
        ("Observation".to_owned(), StatusCode::BAD_REQUEST),
        (
            format!("Observation?patient={patient}&_count=many"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("Observation?patient={patient}&_lastUpdated=2020-01-01"),
            StatusCode::BAD_REQUEST,
        ),
        // An unencoded `+01:00` arrives as a space.
        (
            format!("Observation?patient={patient}&_lastUpdated=gt2020-01-01T00:00:00+01:00"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("Encounter?patient={patient}&category=x"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("Organization?patient={patient}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("Spaceship?patient={patient}"),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("AllergyIntolerance?patient={patient}"),
            StatusCode::OK,
        ),
        (
            format!("Observation?patient={patient}&_lastUpdated=gt2020-01-01T00:00:00%2B01:00"),
            StatusCode::OK,
        ),
    ] {
        let (got, body) = search(&provider, &query, token).await;
        assert_eq!(got, status, "{query}: {body}");
        let kind = if status == StatusCode::OK {
            "Bundle"
        } else {
            "OperationOutcome"
        };
        assert_eq!(body["resourceType"], kind, "{query}");
    }

    let (_, laboratory) = search(
        &provider,
        &format!("Observation?patient={patient}&category=laboratory"),
        token,
    )
    .await;
    let (_, vitals) = search(
        &provider,
        &format!("Observation?patient={patient}&category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"),
        token,
    )
    .await;
    let (_, all) = search(&provider, &format!("Observation?patient={patient}"), token).await;
    let total = |b: &Value| b["total"].as_u64().expect("total");
    assert!(total(&laboratory) > 0 && total(&vitals) > 0);
    assert!(total(&laboratory) + total(&vitals) <= total(&all));
    let (_, none) = search(
        &provider,
        &format!("Observation?patient={patient}&_count=0"),
        token,
    )
    .await;
    assert_eq!((total(&none), none.get("entry")), (total(&all), None));
}

#[tokio::test]
async fn another_patients_data_is_forbidden() {
    let other = patient(OTHER);
    let other_id = other.id.clone();
    let provider = MockProvider::start(ProviderConfig {
        other_patients: vec![other],
        ..config()
    })
    .await;
    let tokens = sign_in(&provider).await;
    for query in [
        format!("Observation?patient={other_id}"),
        format!("Patient?_id={other_id}"),
        format!("Patient/{other_id}"),
        format!("Patient/{other_id}/$everything"),
    ] {
        let (status, body) = search(&provider, &query, access(&tokens)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{query}");
        assert_eq!(body["resourceType"], "OperationOutcome");
    }
}

#[tokio::test]
async fn a_forbidden_type_answers_403_and_is_not_expected() {
    let provider = MockProvider::start(ProviderConfig {
        forbidden_types: vec!["Claim".into()],
        ..config()
    })
    .await;
    let tokens = sign_in(&provider).await;
    let (status, body) = search(
        &provider,
        &format!("Claim?patient={}", provider.patient_id()),
        access(&tokens),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["issue"][0]["code"], "forbidden");
    assert!(!provider.expected_counts().contains_key("Claim"));
    assert!(provider.expected_counts().contains_key("Observation"));
    assert_eq!(provider.stats().searches_of("Claim", 403), 1);
}

#[tokio::test]
async fn a_throttled_type_answers_429_once_with_retry_after() {
    let provider = MockProvider::start(ProviderConfig {
        throttled_once: vec!["Observation".into()],
        ..config()
    })
    .await;
    let tokens = sign_in(&provider).await;
    let url = format!(
        "{}/Observation?patient={}",
        provider.fhir_base(),
        provider.patient_id()
    );
    let first = fhir_get(&url, Some(access(&tokens))).await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.headers()["retry-after"], "1");
    assert_eq!(
        fhir_get(&url, Some(access(&tokens))).await.status(),
        StatusCode::OK
    );
    let stats = provider.stats();
    assert_eq!(
        (
            stats.searches_of("Observation", 429),
            stats.searches_of("Observation", 200)
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn everything_is_offered_only_when_enabled() {
    let provider = MockProvider::start(ProviderConfig {
        everything: false,
        ..config()
    })
    .await;
    let (_, metadata) = get_json(&client(), &format!("{}/metadata", provider.fhir_base())).await;
    let resources = metadata["rest"][0]["resource"]
        .as_array()
        .expect("resources");
    let patient = resources
        .iter()
        .find(|r| r["type"] == "Patient")
        .expect("Patient");
    assert!(patient.get("operation").is_none());
    let tokens = sign_in(&provider).await;
    let query = format!("Patient/{}/$everything", provider.patient_id());
    assert_eq!(
        search(&provider, &query, access(&tokens)).await.0,
        StatusCode::NOT_FOUND
    );

    let provider = MockProvider::start(config()).await;
    let tokens = sign_in(&provider).await;
    let query = format!("Patient/{}/$everything", provider.patient_id());
    let (status, bundle) = search(&provider, &query, access(&tokens)).await;
    assert_eq!(status, StatusCode::OK);
    let expected: usize = provider.expected_everything_counts().values().sum();
    assert_eq!(bundle["total"], expected);
    assert_eq!(provider.stats().everything_calls, 1);
}

#[tokio::test]
async fn documents_point_at_binaries_served_raw_or_as_fhir() {
    let provider = MockProvider::start(config()).await;
    let tokens = sign_in(&provider).await;
    let (_, bundle) = search(
        &provider,
        &format!("DocumentReference?patient={}", provider.patient_id()),
        access(&tokens),
    )
    .await;
    let attachment = &bundle["entry"][0]["resource"]["content"][0]["attachment"];
    let url = attachment["url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/Binary/", provider.fhir_base())),
        "{url}"
    );

    let raw = fhir_get(url, Some(access(&tokens))).await;
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(raw.headers()["content-type"], "application/pdf");
    let bytes = raw.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF-"));
    assert_eq!(attachment["size"], bytes.len());

    let resource: Value = client()
        .get(url)
        .bearer_auth(access(&tokens))
        .header("accept", "application/fhir+json")
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        (
            resource["resourceType"].as_str(),
            resource["contentType"].as_str()
        ),
        (Some("Binary"), Some("application/pdf"))
    );
    assert_eq!(fhir_get(url, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(provider.stats().binary_fetches, 2);
}

#[tokio::test]
async fn last_updated_finds_only_what_was_added_after_a_sync() {
    let provider = MockProvider::start(config()).await;
    let tokens = sign_in(&provider).await;
    let patient = provider.patient_id().to_owned();
    let before = provider.expected_counts()["Observation"];
    let (_, first) = search(
        &provider,
        &format!("Observation?patient={patient}"),
        access(&tokens),
    )
    .await;
    let synced_at = first["meta"]["lastUpdated"]
        .as_str()
        .expect("the Bundle's time")
        .to_owned();
    let since = format!(
        "Observation?patient={patient}&_lastUpdated=gt{}",
        synced_at.replace('+', "%2B")
    );
    assert_eq!(
        search(&provider, &since, access(&tokens)).await.1["total"],
        0
    );

    let added = provider.add_resource(json!({
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "Weight"},
        "subject": {"reference": format!("Patient/{patient}")},
        "valueQuantity": {"value": 70, "unit": "kg"}
    }));
    let (_, changed) = search(&provider, &since, access(&tokens)).await;
    assert_eq!(changed["total"], 1);
    assert_eq!(changed["entry"][0]["resource"]["id"], added["id"]);
    assert_eq!(provider.expected_counts()["Observation"], before + 1);
}

#[tokio::test]
async fn cors_headers_are_there_only_when_switched_on() {
    async fn preflight(provider: &MockProvider, path: &str) -> HeaderMap {
        client()
            .request(
                reqwest::Method::OPTIONS,
                format!("{}{path}", provider.fhir_base()),
            )
            .header("origin", "http://localhost:8080")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .expect("answer")
            .headers()
            .clone()
    }
    let on = MockProvider::start(config()).await;
    let headers = preflight(&on, "/Observation").await;
    assert_eq!(
        headers.get("access-control-allow-origin"),
        Some(&HeaderValue::from_static("*"))
    );
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .expect("ASCII")
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    let token_preflight = client()
        .request(
            reqwest::Method::OPTIONS,
            discover(&on).await["token_endpoint"]
                .as_str()
                .expect("token"),
        )
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("answer");
    assert!(
        token_preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let simple = client()
        .get(format!(
            "{}/.well-known/smart-configuration",
            on.fhir_base()
        ))
        .header("origin", "http://localhost:8080")
        .send()
        .await
        .expect("answer");
    assert!(simple.headers().contains_key("access-control-allow-origin"));

    let off = MockProvider::start(ProviderConfig {
        cors: false,
        ..config()
    })
    .await;
    let headers = preflight(&off, "/Observation").await;
    assert!(
        headers
            .keys()
            .all(|name| !name.as_str().starts_with("access-control-")),
        "{headers:?}"
    );
    let simple = client()
        .get(format!("{}/metadata", off.fhir_base()))
        .header("origin", "http://localhost:8080")
        .send()
        .await
        .expect("answer");
    assert!(!simple.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_pause_holds_requests_until_resumed() {
    let provider = MockProvider::start(config()).await;
    let tokens = sign_in(&provider).await;
    provider.pause_after_pages(Some(1));
    let query = format!("Observation?patient={}&_count=5", provider.patient_id());
    let (status, first) = search(&provider, &query, access(&tokens)).await;
    assert_eq!(status, StatusCode::OK);
    let next = first["link"][1]["url"].as_str().expect("next").to_owned();
    let held = tokio::time::timeout(
        Duration::from_millis(300),
        fhir_get(&next, Some(access(&tokens))),
    )
    .await;
    assert!(held.is_err(), "the next page hangs while paused");
    provider.resume();
    assert_eq!(
        fhir_get(&next, Some(access(&tokens))).await.status(),
        StatusCode::OK
    );
}

// ---- Faults ------------------------------------------------------------------------------

#[tokio::test]
async fn each_fault_breaks_its_endpoint() {
    let other = patient(OTHER);
    let other_id = other.id.clone();
    let provider = MockProvider::start(ProviderConfig {
        other_patients: vec![other],
        ..config()
    })
    .await;
    let patient = provider.patient_id().to_owned();

    provider.set_fault(Some(Fault::DiscoveryMissingEndpoints));
    let smart = discover(&provider).await;
    assert!(smart.get("token_endpoint").is_none() && smart.get("authorization_endpoint").is_some());
    provider.set_fault(Some(Fault::WrongStateOnRedirect));
    let back = redirected(&authorize(&provider, &pkce(), &[]).await);
    assert!(back.contains_key("code"));
    assert_ne!(back["state"], STATE);
    provider.set_fault(Some(Fault::TokenWithoutPatient));
    let tokens = sign_in(&provider).await;
    assert!(tokens.get("patient").is_none() && tokens["access_token"].is_string());
    let token = access(&tokens);
    let query = format!("Observation?patient={patient}");

    provider.set_fault(Some(Fault::PageNotABundle));
    let (status, body) = search(&provider, &query, token).await;
    assert_eq!(
        (status, body["resourceType"].as_str()),
        (StatusCode::OK, Some("OperationOutcome"))
    );

    provider.set_fault(Some(Fault::OtherPatientsBundle));
    let (status, body) = search(&provider, &query, token).await;
    assert_eq!(
        (status, body["resourceType"].as_str()),
        (StatusCode::OK, Some("Bundle"))
    );
    let entries = body["entry"].as_array().expect("entries");
    assert!(!entries.is_empty());
    for entry in entries {
        assert_eq!(
            entry["resource"]["subject"]["reference"],
            format!("Patient/{other_id}").as_str()
        );
    }

    provider.set_fault(Some(Fault::HugeErrorPage));
    let response = fhir_get(&format!("{}/{query}", provider.fhir_base()), Some(token)).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.bytes().await.expect("body").len() >= 5 * 1024 * 1024);

    provider.set_fault(None);
    let (status, body) = search(&provider, &query, token).await;
    assert_eq!(
        (status, body["resourceType"].as_str()),
        (StatusCode::OK, Some("Bundle"))
    );
    let stats = provider.stats();
    assert_eq!(stats.searches_of("Observation", 200), 3);
    assert_eq!(stats.searches_of("Observation", 500), 1);
}
