//! Signing in at a provider from the command line (RFC 8252, native apps): the provider's
//! page opens in the patient's browser, and its redirect comes back to a loopback address
//! this command listens on, for as long as the sign-in may take.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Html;
use axum::routing::get;
use chrono::Utc;
use folio_shared::provider_connect::{
    AuthorizationRequest, SmartConfiguration, TokenGrant, authorization_code, code_exchange_form,
};
use tokio::sync::mpsc;
use url::Url;

use super::record_host::answer_of;

/// The path of the loopback redirect.
const CALLBACK_PATH: &str = "/callback";

/// A sign-in completed: the tokens, for the patient the provider names.
pub struct SignedIn {
    pub grant: TokenGrant,
}

/// Runs the sign-in at `config`'s provider for the FHIR server at `fhir_base`: listens on
/// `listen`, prints where to sign in on standard error, waits up to `timeout` for the
/// provider's redirect, checks its `state`, and exchanges the code for tokens.
pub async fn sign_in(
    http: &reqwest::Client,
    config: &SmartConfiguration,
    fhir_base: &str,
    client_id: &str,
    listen: SocketAddr,
    timeout: Duration,
) -> Result<SignedIn> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening for the provider's answer on {listen}"))?;
    let addr = listener.local_addr()?;
    let redirect_uri = format!("http://{addr}{CALLBACK_PATH}");
    let request = AuthorizationRequest::new(config, fhir_base, client_id, &redirect_uri)
        .context("the provider's sign-in address is not a URL")?;

    let (answers, mut answer) = mpsc::channel::<String>(1);
    let app = Router::new()
        .route(CALLBACK_PATH, get(callback))
        .with_state(answers);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    eprintln!("Open this address to sign in: {}", request.url);
    let query = tokio::time::timeout(timeout, answer.recv()).await;
    server.abort();
    let query = query
        .map_err(|_| {
            anyhow!(
                "no answer from the provider within {} s: nothing was connected",
                timeout.as_secs()
            )
        })?
        .context("the sign-in listener stopped")?;
    let mut returned = Url::parse(&redirect_uri).expect("the redirect URI is a URL");
    returned.set_query(Some(&query));
    let code = authorization_code(&returned, &request.state)?;

    let form = code_exchange_form(&code, &redirect_uri, client_id, request.pkce.verifier());
    let response = http
        .post(&config.token_endpoint)
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .context("reaching the provider's token address")?;
    let answer = answer_of(response).await?;
    if answer.truncated {
        bail!("the provider's token answer is far too large to be one");
    }
    let grant = TokenGrant::from_answer(answer.status, &answer.body, Utc::now(), None)?;
    Ok(SignedIn { grant })
}

/// The provider's redirect: its query goes to the waiting command, and the browser is told
/// it may close the page.
async fn callback(
    State(answers): State<mpsc::Sender<String>>,
    RawQuery(query): RawQuery,
) -> Html<&'static str> {
    let _ = answers.try_send(query.unwrap_or_default());
    Html(
        "<!doctype html><meta charset=utf-8><title>Folio</title>\
         <p>Folio has the provider's answer. You can close this page and return to the command line.</p>",
    )
}
