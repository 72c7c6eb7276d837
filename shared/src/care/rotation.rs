//! The owner's side of a rotation after a caregiver is removed: the head of the one
//! compaction that swaps the whole log for its re-sealed copy, with the new key wrapped to
//! the owner and to every caregiver who keeps access. The app and the CLI differ only in
//! how they fetch the log and the caregiver list and send the result.

use base64::Engine as _;
use uuid::Uuid;

use crate::api::care::Caregiver;
use crate::api::roster::RosterAppendRequest;
use crate::api::{CompactionHead, MemberKeyWrap};
use crate::keys::AccountRecipient;
use crate::vault::Rotation;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RotationError {
    #[error("{name} keeps access but has no usable key on the server")]
    NoRecipient { name: String },
}

/// The head for `rotation` of a log read at `generation` up to `last_seq` (0 when empty),
/// wrapping the new key to `owner` and to each of `caregivers` who holds the key now.
pub fn rotation_head(
    rotation: &Rotation,
    generation: i64,
    last_seq: i64,
    owner: (Uuid, &AccountRecipient),
    caregivers: &[Caregiver],
) -> Result<CompactionHead, RotationError> {
    let mut members = vec![(owner.0, owner.1.clone())];
    for caregiver in caregivers.iter().filter(|c| c.status.holds_key()) {
        members.push(caregiver.account_and_recipient().ok_or_else(|| {
            RotationError::NoRecipient {
                name: caregiver.name.clone(),
            }
        })?);
    }
    Ok(rotation_compaction(
        rotation, generation, last_seq, &members, None,
    ))
}

/// The head of the compaction that swaps in `rotation` (the whole log, read at `generation`
/// up to `last_seq`), its new key wrapped to each of `members` (account, recipient), with
/// the member-list entries that come with it, if any.
pub(super) fn rotation_compaction(
    rotation: &Rotation,
    generation: i64,
    last_seq: i64,
    members: &[(Uuid, AccountRecipient)],
    roster: Option<RosterAppendRequest>,
) -> CompactionHead {
    let wrapped_keys = members
        .iter()
        .map(|(account_id, recipient)| MemberKeyWrap {
            account_id: *account_id,
            wrapped_key: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(rotation.identity.wrap_to(recipient).as_bytes()),
        })
        .collect();
    CompactionHead {
        generation,
        from_seq: 1,
        to_seq: last_seq,
        epoch: rotation.identity.epoch().0,
        recipient: Some(rotation.identity.recipient().to_string()),
        wrapped_keys,
        write_signatures: Vec::new(),
        roster,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::care::CaregiverStatus;
    use crate::keys::{AccountIdentity, KeyEpoch, VaultIdentity};
    use crate::vault::{VaultId, VaultKeyring, rotate};
    use chrono::Utc;

    fn caregiver(status: CaregiverStatus, recipient: Option<String>) -> Caregiver {
        Caregiver {
            id: Uuid::new_v4(),
            role: crate::care::Role::Viewer,
            name: "Sam".into(),
            status,
            account_id: Some(Uuid::new_v4()),
            recipient,
            signing_key: None,
            ends_at: None,
            invited_at: Utc::now(),
            accepted_at: None,
            confirmed_at: None,
            revoked_at: None,
            emergency_wait_hours: None,
            access_requested_at: None,
            releases_at: None,
            request_refused_at: None,
        }
    }

    #[test]
    fn the_new_key_goes_to_the_owner_and_whoever_keeps_access() {
        let vault = VaultId(Uuid::new_v4());
        let keyring = VaultKeyring::new(vault, VaultIdentity::generate(KeyEpoch::FIRST));
        let rotation = rotate(&keyring, &[]).unwrap();
        let owner = AccountIdentity::generate().recipient();
        let key = || Some(AccountIdentity::generate().recipient().to_string());
        let kept = caregiver(CaregiverStatus::Active, key());
        let standby = caregiver(CaregiverStatus::Standby, key());
        let removed = caregiver(CaregiverStatus::Revoked, key());
        let owner_id = Uuid::new_v4();
        let head = rotation_head(
            &rotation,
            7,
            0,
            (owner_id, &owner),
            &[kept.clone(), removed, standby.clone()],
        )
        .unwrap();
        let wrapped: Vec<Uuid> = head.wrapped_keys.iter().map(|k| k.account_id).collect();
        assert_eq!(
            wrapped,
            [
                owner_id,
                kept.account_id.unwrap(),
                standby.account_id.unwrap()
            ]
        );
        assert_eq!(
            (head.generation, head.from_seq, head.to_seq, head.epoch),
            (7, 1, 0, 2)
        );

        let keyless = caregiver(CaregiverStatus::Active, None);
        assert_eq!(
            rotation_head(&rotation, 7, 0, (owner_id, &owner), &[keyless]).unwrap_err(),
            RotationError::NoRecipient { name: "Sam".into() }
        );
    }
}
