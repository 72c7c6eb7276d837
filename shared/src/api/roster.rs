//! Signed writes over HTTP: a member's signing key, a record's member list (roster) and the
//! signature that goes with each upload. Formats and rules are in [`crate::roster`]; the
//! server stores what these carry and checks what it can, and every client checks it again.

use serde::{Deserialize, Serialize};

use crate::keys::{AccountIdentity, KeyEpoch, SigningKey, SigningPublicKey};
use crate::roster::{SignedRosterEntry, WriteKind, WriteSignature, WriteStatement, sign_write};
use crate::vault::{SealedSegment, VaultId};

/// Request headers of uploads that carry a writer's signature.
pub mod write_headers {
    /// On `PUT …/segments/{key}` and `PUT …/attachments/{id}`: the writer's
    /// [`super::WriteSignature`] over what is uploaded, as [`super::encode_write_signature`]
    /// writes it.
    pub const WRITE_SIGNATURE: &str = "folio-write-signature";
}

/// `PUT /api/v1/account/signing-key`: the account's signing key, its private half wrapped
/// to the account recipient as the account identity is to its unlockers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSigningKey {
    /// `folio-sig1…`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub public_key: SigningPublicKey,
    /// Base64 of the wrapped private key.
    pub wrapped_key: String,
}

impl AccountSigningKey {
    /// The registration of `key`, the signing key of `account` (see
    /// [`SigningKey::of_account`]): its public half, and the key wrapped to the account.
    pub fn of(key: &SigningKey, account: &AccountIdentity) -> Self {
        use base64::Engine as _;
        AccountSigningKey {
            public_key: key.public_key(),
            wrapped_key: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(key.wrap_to(&account.recipient()).as_bytes()),
        }
    }
}

/// `GET /api/v1/vaults/{id}/roster`: the record's member list, genesis first; empty for a
/// record written before signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RosterEntries {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub entries: Vec<SignedRosterEntry>,
}

/// `POST /api/v1/vaults/{id}/roster`: entries to add after the first `after` ones; refused
/// with 409 if the list has grown meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RosterAppendRequest {
    pub after: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub entries: Vec<SignedRosterEntry>,
}

/// The answer to a roster append: how many entries the list now has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RosterLength {
    pub entries: u64,
}

/// A write signature as a header value: unpadded base64url of
/// [`WriteSignature::to_bytes`] (signer ‖ signature).
pub fn encode_write_signature(signature: &WriteSignature) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature.to_bytes())
}

/// `key`'s signature over `ciphertext` written to `vault` at `epoch`, in header form: what
/// every upload carries, so that the member list can later tell the record's writers from
/// the server.
pub fn sign_upload(
    key: &SigningKey,
    vault: VaultId,
    epoch: KeyEpoch,
    kind: WriteKind,
    ciphertext: &[u8],
) -> String {
    let statement = WriteStatement::for_ciphertext(vault, epoch, kind, ciphertext);
    encode_write_signature(&sign_write(key, &statement))
}

/// The signatures of a compaction's new segments, in order
/// ([`crate::api::CompactionHead::write_signatures`]).
pub fn sign_compaction(
    key: &SigningKey,
    vault: VaultId,
    epoch: KeyEpoch,
    segments: &[SealedSegment],
) -> Vec<String> {
    segments
        .iter()
        .map(|segment| sign_upload(key, vault, epoch, WriteKind::Compaction, segment.as_bytes()))
        .collect()
}

/// Parses [`encode_write_signature`]'s form; `None` if it is not 96 bytes of base64url
/// naming a valid key.
pub fn decode_write_signature(text: &str) -> Option<WriteSignature> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    WriteSignature::from_bytes(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyEpoch, SigningKey};
    use crate::roster::{WriteKind, WriteStatement, sign_write};
    use crate::vault::VaultId;

    #[test]
    fn a_write_signature_survives_its_header_form() {
        let key = SigningKey::generate();
        let statement = WriteStatement::for_ciphertext(
            VaultId(uuid::Uuid::new_v4()),
            KeyEpoch(1),
            WriteKind::Segment,
            b"sealed",
        );
        let signature = sign_write(&key, &statement);
        let text = encode_write_signature(&signature);
        assert_eq!(text.len(), 128);
        let back = decode_write_signature(&text).expect("decodes");
        assert_eq!(back, signature);
        assert!(back.holds_for(&statement));
    }

    #[test]
    fn a_malformed_signature_header_is_refused() {
        assert!(decode_write_signature("").is_none());
        assert!(decode_write_signature("not base64!").is_none());
        // The right length, but the signer is the curve's identity point (a weak key).
        let mut bytes = [0u8; 96];
        bytes[0] = 1;
        use base64::Engine as _;
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        assert!(decode_write_signature(&text).is_none());
        // A valid key with one byte too many.
        let key = SigningKey::generate();
        let mut long = key.public_key().as_bytes().to_vec();
        long.extend_from_slice(&[0u8; 65]);
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(long);
        assert!(decode_write_signature(&text).is_none());
    }
}
