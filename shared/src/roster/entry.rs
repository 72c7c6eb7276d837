//! One entry of the member list: what changed ([`RosterChange`]), its canonical bytes, and
//! the signed form the server stores and serves ([`SignedRosterEntry`]).
//!
//! Body layout (version 1, big-endian, fixed width; see `codec.rs` for why not JSON):
//!
//! ```text
//! "folio roster v1\0"  16 bytes, the signature's context string
//! vault                16 bytes (UUID)
//! seq                   8 bytes (u64, 1 for the genesis entry)
//! prev                 32 bytes (the previous entry's hash; zeros for the genesis entry)
//! at                    8 bytes (i64 microseconds since 1970-01-01T00:00:00Z)
//! change                1 byte tag, then the change's fields:
//!   1 Genesis      member
//!   2 AddMember    member
//!   3 RemoveMember account (16)
//!   4 ChangeRole   account (16), role (1)
//!   5 NewEpoch     epoch (u32), vault recipient (32, raw X25519)
//!   6 MemberKeys   account (16), signing key (32, Ed25519), recipient (32, raw X25519)
//! member = account (16), role (1: owner 1, manager 2, viewer 3), signing key (32),
//!          recipient (32), name length (u16), name (UTF-8, cut to at most 200 bytes)
//! ```
//!
//! The signature is Ed25519 over the body as is. An entry's hash, which the next entry's
//! `prev` names and a [`RosterHead`] pins, is SHA-256 over `signer (32) ‖ signature (64) ‖
//! body`: it covers who signed as well as what, so a re-signed copy is another entry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::codec::{Reader, Short, Writer};
use crate::care::Role;
use crate::keys::{AccountRecipient, KeyEpoch, SigningKey, SigningPublicKey, VaultRecipient};
use crate::vault::VaultId;

/// The context string every entry body starts with.
pub(crate) const ROSTER_CONTEXT: &[u8; 16] = b"folio roster v1\0";
/// The longest member name, in UTF-8 bytes; a name is for people, not for payloads.
pub const MAX_NAME_BYTES: usize = 200;

/// A person on the record: their account, what they may do, and the keys their writes are
/// signed with and the record's keys are wrapped to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub account: Uuid,
    pub name: String,
    pub role: Role,
    pub signing_key: SigningPublicKey,
    pub recipient: AccountRecipient,
}

/// What one entry changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterChange {
    /// The first entry: the record's owner, signed with the owner's own key.
    Genesis {
        owner: Member,
    },
    AddMember(Member),
    RemoveMember {
        account: Uuid,
    },
    /// A new role; [`Role::Owner`] hands the record over, and the previous owner stays on
    /// as a manager.
    ChangeRole {
        account: Uuid,
        role: Role,
    },
    /// The vault key of `epoch`, named by its public recipient: a key wrap is accepted
    /// only for an identity whose recipient the owner signed here.
    NewEpoch {
        epoch: KeyEpoch,
        vault_recipient: VaultRecipient,
    },
    /// A member's keys replaced, e.g. after a device revocation.
    MemberKeys {
        account: Uuid,
        signing_key: SigningPublicKey,
        recipient: AccountRecipient,
    },
}

/// The decoded body of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub vault: VaultId,
    pub seq: u64,
    pub prev: [u8; 32],
    pub at: DateTime<Utc>,
    pub change: RosterChange,
}

/// An entry as stored and sent: its canonical body, who signed it, and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRosterEntry {
    #[serde(with = "base64url")]
    pub body: Vec<u8>,
    pub signer: SigningPublicKey,
    #[serde(with = "base64url_64")]
    pub signature: [u8; 64],
}

/// The last entry a client has verified: its seq and hash. A client keeps it and passes it
/// to `Roster::verify` next time, so the server can neither roll the list back nor serve a
/// different one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RosterHead {
    pub seq: u64,
    #[serde(with = "base64url_32")]
    pub hash: [u8; 32],
}

impl RosterEntry {
    /// The canonical bytes of this entry (see the module's layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_context(ROSTER_CONTEXT);
        w.uuid(self.vault.0)
            .u64(self.seq)
            .bytes(&self.prev)
            .time(self.at);
        match &self.change {
            RosterChange::Genesis { owner } => write_member(w.u8(1), owner),
            RosterChange::AddMember(member) => write_member(w.u8(2), member),
            RosterChange::RemoveMember { account } => {
                w.u8(3).uuid(*account);
            }
            RosterChange::ChangeRole { account, role } => {
                w.u8(4).uuid(*account).u8(role_byte(*role));
            }
            RosterChange::NewEpoch {
                epoch,
                vault_recipient,
            } => {
                w.u8(5).u32(epoch.0).recipient(&vault_recipient.0);
            }
            RosterChange::MemberKeys {
                account,
                signing_key,
                recipient,
            } => {
                w.u8(6)
                    .uuid(*account)
                    .signing_key(signing_key)
                    .recipient(&recipient.0);
            }
        }
        w.into_bytes()
    }

    /// Reads canonical bytes back, refusing anything [`RosterEntry::to_bytes`] would not
    /// have written.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Short> {
        let mut r = Reader::new(bytes);
        if r.take(ROSTER_CONTEXT.len(), "the format tag")? != ROSTER_CONTEXT {
            return Err("an unknown format");
        }
        let vault = VaultId(r.uuid("the record id")?);
        let seq = r.u64("the position")?;
        let prev = r.array("the previous entry's hash")?;
        let at = r.time("the time")?;
        let change = match r.u8("the kind of change")? {
            1 => RosterChange::Genesis {
                owner: read_member(&mut r)?,
            },
            2 => RosterChange::AddMember(read_member(&mut r)?),
            3 => RosterChange::RemoveMember {
                account: r.uuid("the account")?,
            },
            4 => RosterChange::ChangeRole {
                account: r.uuid("the account")?,
                role: role_from_byte(r.u8("the role")?)?,
            },
            5 => RosterChange::NewEpoch {
                epoch: KeyEpoch(r.u32("the key generation")?),
                vault_recipient: r.vault_recipient("the record's key")?,
            },
            6 => RosterChange::MemberKeys {
                account: r.uuid("the account")?,
                signing_key: r.signing_key("the signing key")?,
                recipient: AccountRecipient(r.recipient("the account key")?),
            },
            _ => return Err("an unknown kind of change"),
        };
        r.finish()?;
        Ok(Self {
            vault,
            seq,
            prev,
            at,
            change,
        })
    }

    /// Signs this entry with `key`.
    pub fn sign(&self, key: &SigningKey) -> SignedRosterEntry {
        let body = self.to_bytes();
        SignedRosterEntry {
            signature: key.sign(&body),
            signer: key.public_key(),
            body,
        }
    }
}

impl SignedRosterEntry {
    /// The hash the next entry's `prev` names: SHA-256(signer ‖ signature ‖ body).
    pub fn hash(&self) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.signer.as_bytes())
            .chain_update(self.signature)
            .chain_update(&self.body)
            .finalize()
            .into()
    }

    /// Whether the signature is the signer's over the body.
    pub fn signature_holds(&self) -> bool {
        self.signer.verifies(&self.body, &self.signature)
    }
}

fn write_member(w: &mut Writer, member: &Member) {
    let name = cut_name(&member.name);
    w.uuid(member.account)
        .u8(role_byte(member.role))
        .signing_key(&member.signing_key)
        .recipient(&member.recipient.0)
        .u16(u16::try_from(name.len()).expect("at most MAX_NAME_BYTES"))
        .bytes(name.as_bytes());
}

/// A name cut to [`MAX_NAME_BYTES`] at a character boundary: what the entry then says.
fn cut_name(name: &str) -> &str {
    let mut end = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

fn read_member(r: &mut Reader<'_>) -> Result<Member, Short> {
    let account = r.uuid("the member's account")?;
    let role = role_from_byte(r.u8("the member's role")?)?;
    let signing_key = r.signing_key("the member's signing key")?;
    let recipient = AccountRecipient(r.recipient("the member's account key")?);
    let name_length = usize::from(r.u16("the member's name")?);
    if name_length > MAX_NAME_BYTES {
        return Err("a name that is too long");
    }
    let name = std::str::from_utf8(r.take(name_length, "the member's name")?)
        .map_err(|_| "a name that is not UTF-8")?
        .to_owned();
    Ok(Member {
        account,
        name,
        role,
        signing_key,
        recipient,
    })
}

fn role_byte(role: Role) -> u8 {
    match role {
        Role::Owner => 1,
        Role::Manager => 2,
        Role::Viewer => 3,
    }
}

fn role_from_byte(byte: u8) -> Result<Role, Short> {
    match byte {
        1 => Ok(Role::Owner),
        2 => Ok(Role::Manager),
        3 => Ok(Role::Viewer),
        _ => Err("an unknown role"),
    }
}

/// Serde as unpadded base64url, the encoding the API uses for every binary field.
mod base64url {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

macro_rules! base64url_array {
    ($name:ident, $n:literal) => {
        pub(crate) mod $name {
            use serde::{Deserializer, Serializer};

            pub fn serialize<S: Serializer>(
                bytes: &[u8; $n],
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                super::base64url::serialize(bytes, serializer)
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<[u8; $n], D::Error> {
                super::base64url::deserialize(deserializer)?
                    .try_into()
                    .map_err(|_| serde::de::Error::custom(concat!("expected ", $n, " bytes")))
            }
        }
    };
}

base64url_array!(base64url_32, 32);
base64url_array!(base64url_64, 64);

/// Serde for a 64-byte signature, shared with the write signatures.
pub(crate) use base64url_64 as signature_serde;
