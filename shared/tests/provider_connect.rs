//! The SMART on FHIR sign-in's pure parts (issue 24): a provider's SMART configuration
//! checked for a standalone patient launch by a public client with PKCE S256, the scopes
//! asked for (v1 or v2), and the authorization request.

use folio_shared::provider_connect::{
    AuthorizationRequest, ConfigurationError, Pkce, ScopeStyle, SmartConfiguration,
};
use serde_json::{Value, json};

/// A configuration as SMART App Launch 2.x's example gives it (trimmed to what Folio reads,
/// plus fields it ignores).
fn example() -> Value {
    json!({
        "issuer": "https://ehr.example.com",
        "jwks_uri": "https://ehr.example.com/.well-known/jwks.json",
        "authorization_endpoint": "https://ehr.example.com/auth/authorize",
        "grant_types_supported": ["authorization_code"],
        "token_endpoint": "https://ehr.example.com/auth/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "scopes_supported": ["openid", "profile", "launch", "launch/patient", "patient/*.rs",
                             "user/*.rs", "offline_access"],
        "response_types_supported": ["code"],
        "capabilities": ["launch-ehr", "launch-standalone", "client-public",
                         "client-confidential-symmetric", "context-standalone-patient",
                         "permission-offline", "permission-patient", "permission-v2"],
        "code_challenge_methods_supported": ["S256"]
    })
}

fn parse(value: &Value) -> Result<SmartConfiguration, ConfigurationError> {
    SmartConfiguration::parse(value.to_string().as_bytes())
}

#[test]
fn the_rfc_7636_example_gives_its_challenge() {
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
    assert_eq!(
        pkce.challenge(),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn a_v2_server_is_asked_for_v2_scopes_and_a_v1_server_for_v1() {
    let config = parse(&example()).expect("the example is what Folio needs");
    assert_eq!(config.scope_style(), ScopeStyle::V2);
    assert_eq!(
        config.scopes(),
        "launch/patient openid fhirUser offline_access patient/*.rs"
    );
    let mut v1 = example();
    v1["capabilities"] = json!(["launch-standalone", "client-public"]);
    v1["scopes_supported"] = json!(["launch/patient", "patient/*.read"]);
    let config = parse(&v1).unwrap();
    assert_eq!(config.scope_style(), ScopeStyle::V1);
    assert!(config.scopes().ends_with("patient/*.read"));
}

#[test]
fn a_server_without_what_folio_needs_is_refused_with_the_reason() {
    let mut confidential_only = example();
    confidential_only["capabilities"] =
        json!(["launch-standalone", "client-confidential-symmetric"]);
    assert!(matches!(
        parse(&confidential_only),
        Err(ConfigurationError::Missing(what)) if what.contains("client-public")
    ));
    let mut ehr_only = example();
    ehr_only["capabilities"] = json!(["launch-ehr", "client-public"]);
    assert!(matches!(
        parse(&ehr_only),
        Err(ConfigurationError::Missing(_))
    ));
    let mut plain = example();
    plain["code_challenge_methods_supported"] = json!(["plain"]);
    assert_eq!(parse(&plain), Err(ConfigurationError::NoPkce));
    let mut without = example();
    without
        .as_object_mut()
        .unwrap()
        .remove("code_challenge_methods_supported");
    assert_eq!(parse(&without), Err(ConfigurationError::NoPkce));
    let mut http = example();
    http["token_endpoint"] = json!("http://ehr.example.com/auth/token");
    assert!(matches!(
        parse(&http),
        Err(ConfigurationError::NotHttps { which: "token", .. })
    ));
    let mut local = example();
    local["authorization_endpoint"] = json!("http://localhost:9000/authorize");
    local["token_endpoint"] = json!("http://127.0.0.1:9000/token");
    parse(&local).expect("a test server on this machine may use http");
    assert!(matches!(
        SmartConfiguration::parse(b"<html>Not found</html>"),
        Err(ConfigurationError::Unreadable(_))
    ));
    let mut no_token = example();
    no_token.as_object_mut().unwrap().remove("token_endpoint");
    assert!(matches!(
        parse(&no_token),
        Err(ConfigurationError::Unreadable(_))
    ));
}

#[test]
fn the_authorization_request_carries_pkce_state_audience_and_scopes() {
    let config = parse(&example()).unwrap();
    let base = "https://ehr.example.com/fhir/R4/";
    let redirect = "https://folio.example/connect/callback";
    let first = AuthorizationRequest::new(&config, base, "folio-client", redirect).unwrap();
    let pairs: std::collections::HashMap<String, String> =
        first.url.query_pairs().into_owned().collect();
    assert_eq!(
        first.url.as_str().split('?').next(),
        Some("https://ehr.example.com/auth/authorize")
    );
    assert_eq!(pairs["response_type"], "code");
    assert_eq!(pairs["client_id"], "folio-client");
    assert_eq!(pairs["redirect_uri"], redirect);
    assert_eq!(pairs["aud"], base);
    assert_eq!(pairs["scope"], config.scopes());
    assert_eq!(pairs["state"], first.state);
    assert_eq!(pairs["code_challenge_method"], "S256");
    assert_eq!(pairs["code_challenge"], first.pkce.challenge());
    assert_eq!(first.pkce.verifier().len(), 43);
    assert_eq!(first.state.len(), 43);
    let second = AuthorizationRequest::new(&config, base, "folio-client", redirect).unwrap();
    assert_ne!(first.state, second.state);
    assert_ne!(first.pkce.verifier(), second.pkce.verifier());
}

#[test]
fn a_token_answer_must_say_whose_record_it_opens() {
    use folio_shared::provider_connect::{TokenError, TokenGrant};
    let now = chrono::Utc::now();
    let without_patient = json!({ "access_token": "a", "token_type": "Bearer", "expires_in": 60 });
    assert_eq!(
        TokenGrant::from_answer(200, without_patient.to_string().as_bytes(), now, None),
        Err(TokenError::NoPatient)
    );
    let refused = json!({ "error": "invalid_grant", "error_description": "code already used" });
    let error =
        TokenGrant::from_answer(400, refused.to_string().as_bytes(), now, None).unwrap_err();
    assert!(error.needs_new_sign_in());
    assert!(error.to_string().contains("code already used"));
    assert!(matches!(
        TokenGrant::from_answer(200, b"<html>", now, None),
        Err(TokenError::Unreadable(_))
    ));
    let full = json!({ "access_token": "a", "token_type": "bearer", "expires_in": 60,
                       "patient": "p1", "refresh_token": "r1", "scope": "patient/*.rs" });
    let grant = TokenGrant::from_answer(200, full.to_string().as_bytes(), now, None).unwrap();
    assert_eq!(grant.expires_at, now + chrono::Duration::seconds(60));
    // A refresh answer may leave out the patient and the refresh token: both are kept.
    let refreshed = json!({ "access_token": "b", "token_type": "Bearer" });
    let again =
        TokenGrant::from_answer(200, refreshed.to_string().as_bytes(), now, Some(&grant)).unwrap();
    assert_eq!(
        (again.patient.as_str(), again.refresh_token.as_deref()),
        ("p1", Some("r1"))
    );
    assert!(
        !format!("{again:?}").contains("r1"),
        "tokens stay out of debug output"
    );
}

#[test]
fn a_redirect_with_another_state_is_refused_before_its_code_is_used() {
    use folio_shared::provider_connect::{CallbackError, authorization_code};
    let url = |q: &str| url::Url::parse(&format!("http://127.0.0.1:5000/callback?{q}")).unwrap();
    assert_eq!(
        authorization_code(&url("code=c1&state=s1"), "s1"),
        Ok("c1".into())
    );
    assert_eq!(
        authorization_code(&url("code=c1&state=s2"), "s1"),
        Err(CallbackError::WrongState)
    );
    assert_eq!(
        authorization_code(&url("code=c1"), "s1"),
        Err(CallbackError::WrongState)
    );
    assert!(matches!(
        authorization_code(&url("error=access_denied&state=s1"), "s1"),
        Err(CallbackError::Refused { .. })
    ));
}
