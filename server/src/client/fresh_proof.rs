//! Fresh proof from a client's side: confirming with a passkey or the recovery code before
//! an account-critical change, and signing out everywhere. A device ([`VaultClient`]) and a
//! session ([`SessionClient`]) each prove for themselves: the server binds a proof to the
//! caller that made it.

use folio_shared::api::account::{
    Assertion, AuthenticationOptions, FreshProof, Recover, SignedOutEverywhere,
};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;

use super::account::SessionClient;
use super::{ClientError, VaultClient, b64, check};

pub const START: &str = "/api/v1/auth/fresh-proof/start";
pub const FINISH: &str = "/api/v1/auth/fresh-proof/finish";
pub const WITH_RECOVERY_CODE: &str = "/api/v1/auth/fresh-proof/recovery-code";
pub const SIGN_OUT_EVERYWHERE: &str = "/api/v1/auth/sign-out-everywhere";

async fn answer<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, ClientError> {
    Ok(check(request.send().await?).await?.json().await?)
}

fn recover(verifier: &[u8; 32]) -> Recover {
    Recover {
        verifier: b64(verifier),
    }
}

macro_rules! fresh_proof_calls {
    ($client:ty) => {
        impl $client {
            /// Asks for a challenge that this account's passkeys answer with user
            /// verification.
            pub async fn fresh_proof_start(&self) -> Result<AuthenticationOptions, ClientError> {
                answer(self.request(Method::POST, START)).await
            }

            /// Sends the passkey's answer: this caller may make account-critical changes
            /// for the next five minutes.
            pub async fn fresh_proof_finish(
                &self,
                assertion: &Assertion,
            ) -> Result<FreshProof, ClientError> {
                answer(self.request(Method::POST, FINISH).json(assertion)).await
            }

            /// Proves with the recovery code's sign-in verifier instead of a passkey.
            pub async fn fresh_proof_with_recovery_code(
                &self,
                verifier: &[u8; 32],
            ) -> Result<FreshProof, ClientError> {
                answer(
                    self.request(Method::POST, WITH_RECOVERY_CODE)
                        .json(&recover(verifier)),
                )
                .await
            }

            /// Ends every session and revokes every device token of the account, this
            /// caller's included.
            pub async fn sign_out_everywhere(&self) -> Result<SignedOutEverywhere, ClientError> {
                answer(self.request(Method::POST, SIGN_OUT_EVERYWHERE)).await
            }
        }
    };
}

fresh_proof_calls!(VaultClient);
fresh_proof_calls!(SessionClient);
