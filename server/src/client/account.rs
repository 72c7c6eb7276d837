//! The account API from a client's side: the passkey ceremonies, and a signed-in session
//! that pairs devices. Used by the command line and the tests.
//!
//! A browser keeps its session in an `HttpOnly` cookie and echoes the CSRF token on every
//! state-changing request; this client does the same by hand, so the server sees a native
//! client exactly as it sees a browser.

use folio_shared::api::account::{
    AccountSummary, AccountUnlock, Assertion, AuthenticationOptions, CSRF_HEADER, LoginStart,
    PairedDevice, Pairing, RedeemPairing, RegistrationOptions, RegistrationStart, SESSION_COOKIE,
    SignUp, SignedIn, UnlockKey,
};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{ClientError, check};

/// The unauthenticated side of the account API: starting and finishing ceremonies.
#[derive(Clone)]
pub struct AccountClient {
    http: reqwest::Client,
    base: String,
}

/// A signed-in browser-like session: its cookie and CSRF token.
#[derive(Clone)]
pub struct SessionClient {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
    pub signed_in: SignedIn,
}

impl std::fmt::Debug for SessionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClient")
            .field("base", &self.base)
            .field("account_id", &self.signed_in.session.account_id)
            .finish_non_exhaustive()
    }
}

impl AccountClient {
    pub fn new(base: impl Into<String>) -> Self {
        AccountClient {
            http: reqwest::Client::new(),
            base: base.into().trim_end_matches('/').to_owned(),
        }
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// Posts a ceremony's finish and keeps the session the server answers with.
    async fn sign_in_with<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<SessionClient, ClientError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?;
        let response = check(response).await?;
        let cookie = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.starts_with(&format!("{SESSION_COOKIE}=")))
            .map(str::to_owned)
            .ok_or_else(|| ClientError::Unexpected("no session cookie in the answer".into()))?;
        let signed_in: SignedIn = response.json().await?;
        Ok(SessionClient {
            http: self.http.clone(),
            base: self.base.clone(),
            cookie,
            csrf: signed_in.session.csrf_token.clone(),
            signed_in,
        })
    }

    pub async fn register_start(
        &self,
        request: &RegistrationStart,
    ) -> Result<RegistrationOptions, ClientError> {
        self.post("/api/v1/auth/register/start", request).await
    }

    pub async fn register_finish(&self, request: &SignUp) -> Result<SessionClient, ClientError> {
        self.sign_in_with("/api/v1/auth/register/finish", request)
            .await
    }

    pub async fn login_start(
        &self,
        account_id: Option<Uuid>,
    ) -> Result<AuthenticationOptions, ClientError> {
        self.post("/api/v1/auth/login/start", &LoginStart { account_id })
            .await
    }

    pub async fn login_finish(&self, request: &Assertion) -> Result<SessionClient, ClientError> {
        self.sign_in_with("/api/v1/auth/login/finish", request)
            .await
    }

    pub async fn redeem_pairing(
        &self,
        request: &RedeemPairing,
    ) -> Result<PairedDevice, ClientError> {
        self.post("/api/v1/pairings/redeem", request).await
    }
}

impl SessionClient {
    /// The `Cookie` header value this session sends.
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    pub fn account_id(&self) -> Uuid {
        self.signed_in.session.account_id
    }

    pub(super) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie);
        if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
            builder
        } else {
            builder.header(CSRF_HEADER, &self.csrf)
        }
    }

    pub async fn create_pairing(&self) -> Result<Pairing, ClientError> {
        let response = self
            .request(Method::POST, "/api/v1/account/pairings")
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    /// Stores the account identity wrapped to a device's key.
    pub async fn set_device_unlock(
        &self,
        device_id: Uuid,
        wrapped_key: String,
    ) -> Result<(), ClientError> {
        let response = self
            .request(
                Method::PUT,
                &format!("/api/v1/account/devices/{device_id}/unlock"),
            )
            .json(&UnlockKey { wrapped_key })
            .send()
            .await?;
        check(response).await?;
        Ok(())
    }

    pub async fn revoke_device(&self, device_id: Uuid) -> Result<(), ClientError> {
        let response = self
            .request(
                Method::DELETE,
                &format!("/api/v1/account/devices/{device_id}"),
            )
            .send()
            .await?;
        check(response).await?;
        Ok(())
    }

    pub async fn account(&self) -> Result<AccountSummary, ClientError> {
        let response = self.request(Method::GET, "/api/v1/account").send().await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn unlock(&self) -> Result<AccountUnlock, ClientError> {
        let response = self
            .request(Method::GET, "/api/v1/account/unlock")
            .send()
            .await?;
        Ok(check(response).await?.json().await?)
    }

    pub async fn sign_out(self) -> Result<(), ClientError> {
        let response = self
            .request(Method::POST, "/api/v1/auth/sign-out")
            .send()
            .await?;
        check(response).await?;
        Ok(())
    }
}
