//! Opening a record whose log holds segments that do not open, saying who appears to have
//! written them, and (as the owner) dropping them by compacting the log without them.

use folio_shared::api::care::Caregiver;
use folio_shared::api::{CompactionHead, SegmentOrigin, SegmentOrigins, write_signatures};
use folio_shared::roster::{Roster, vouch_for_segment};
use folio_shared::vault::{
    SealError, SealedSegment, Sealer, SetAsidePart, VaultContents, VaultId, VaultKeyring,
};
use reqwest::{Method, StatusCode};

use super::{ClientError, VaultClient, check};

/// A record as a member opened it: everything that opened, and what was set aside.
#[derive(Debug)]
pub struct OpenedRecord {
    pub contents: VaultContents,
    pub set_aside: Vec<SetAsidePart>,
}

/// Why set-aside parts were not dropped; the record is unchanged whatever the reason.
#[derive(Debug, thiserror::Error)]
pub enum DropSetAsideError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("re-sealing the record: {0}")]
    Reseal(#[from] SealError),
    #[error("the record kept changing while parts were being removed; try again")]
    KeptChanging,
}

/// Attempts before dropping gives up to a log that keeps growing under it.
const DROP_ATTEMPTS: usize = 3;

impl VaultClient {
    /// Who the server says uploaded the segments `seqs`, and when.
    pub async fn segment_origins(
        &self,
        vault: VaultId,
        seqs: &[i64],
    ) -> Result<Vec<SegmentOrigin>, ClientError> {
        let seqs: Vec<String> = seqs.iter().map(i64::to_string).collect();
        let response = self
            .request(
                Method::GET,
                &format!(
                    "/api/v1/vaults/{}/segment-origins?seqs={}",
                    vault.0,
                    seqs.join(",")
                ),
            )
            .send()
            .await?;
        Ok(check(response)
            .await?
            .json::<SegmentOrigins>()
            .await?
            .segments)
    }

    /// The whole record, opened with `keyring`; anything set aside is described with who
    /// appears to have written it.
    pub async fn open_record(
        &self,
        vault: VaultId,
        keyring: &VaultKeyring,
    ) -> Result<OpenedRecord, ClientError> {
        let roster = self.checked_roster(vault).await?;
        self.open_record_under(vault, keyring, roster.as_ref())
            .await
    }

    /// [`VaultClient::open_record`] under the member list the caller verified already
    /// (`None` for a record written before signing).
    pub async fn open_record_under(
        &self,
        vault: VaultId,
        keyring: &VaultKeyring,
        roster: Option<&Roster>,
    ) -> Result<OpenedRecord, ClientError> {
        let (log, _generation) = self.all_segments(vault).await?;
        self.open_log(vault, keyring, roster, &log).await
    }

    /// Opens `log` (the vault's segments with their seqs, in order). A record with a member
    /// list (`roster`, verified by the caller) opens only the segments a member signed, the
    /// rest set aside; one without (written before signing) asks the server about uploaders
    /// only when something was set aside.
    pub(super) async fn open_log(
        &self,
        vault: VaultId,
        keyring: &VaultKeyring,
        roster: Option<&Roster>,
        log: &[(u64, SealedSegment)],
    ) -> Result<OpenedRecord, ClientError> {
        let seqs: Vec<i64> = log.iter().map(|(seq, _)| *seq as i64).collect();
        let segments = log.iter().map(|(_, segment)| segment);
        // With a member list every segment's signature is needed: it comes with the
        // segment's origin, so those are asked for once, for all.
        let (contents, all_origins) = match roster {
            None => (keyring.open(segments), None),
            Some(roster) => {
                let origins = self.all_origins(vault, &seqs).await?;
                let signatures = write_signatures(&seqs, &origins);
                let contents = keyring.open_vouched(segments, |position, segment| {
                    vouch_for_segment(roster, segment, signatures[position].as_ref()).map(drop)
                });
                (contents, Some(origins))
            }
        };
        if contents.set_aside().is_empty() {
            return Ok(OpenedRecord {
                contents,
                set_aside: Vec::new(),
            });
        }
        let origins = match all_origins {
            Some(origins) => origins,
            None => {
                let set_aside_seqs: Vec<i64> = contents
                    .set_aside()
                    .iter()
                    .filter_map(|part| seqs.get(part.position).copied())
                    .collect();
                self.segment_origins(vault, &set_aside_seqs).await?
            }
        };
        let reader = self.account().await?.account_id;
        let caregivers = self.caregiver_names(vault).await?;
        let set_aside =
            SetAsidePart::describe(contents.set_aside(), &seqs, &origins, reader, |account| {
                caregivers
                    .iter()
                    .find(|c| c.account_id == Some(account))
                    .map(|c| c.name.clone())
            });
        Ok(OpenedRecord {
            contents,
            set_aside,
        })
    }

    /// The owner's caregivers list, where the names come from; a caregiver reading the
    /// record may not see it, and then knows no names.
    async fn caregiver_names(&self, vault: VaultId) -> Result<Vec<Caregiver>, ClientError> {
        match self.caregivers(vault).await {
            Ok(caregivers) => Ok(caregivers),
            Err(e)
                if matches!(
                    e.status(),
                    Some(StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                ) =>
            {
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }

    /// Drops every set-aside segment of `vault`, as its owner: the whole log is compacted
    /// into segments sealed to the current key, which hold everything that opened and
    /// nothing that did not. Returns the parts dropped (none when nothing was set aside:
    /// then the log is left alone).
    pub async fn drop_set_aside(
        &self,
        vault: VaultId,
        keyring: &VaultKeyring,
    ) -> Result<Vec<SetAsidePart>, DropSetAsideError> {
        let sealer = Sealer::for_identity(vault, keyring.current());
        for _ in 0..DROP_ATTEMPTS {
            let (log, generation) = self.all_segments(vault).await?;
            let roster = self.checked_roster(vault).await?;
            let opened = self.open_log(vault, keyring, roster.as_ref(), &log).await?;
            let Some((last_seq, _)) = log.last() else {
                return Ok(Vec::new());
            };
            if opened.set_aside.is_empty() {
                return Ok(Vec::new());
            }
            let head = CompactionHead::whole_log(
                generation,
                *last_seq as i64,
                keyring.current().epoch().0,
            );
            let segments = opened.contents.seal(&sealer)?;
            match self.compact(vault, &head, &segments).await {
                Ok(_) => return Ok(opened.set_aside),
                // Another compaction landed in between: read the log again.
                Err(e) if e.status() == Some(StatusCode::CONFLICT) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DropSetAsideError::KeptChanging)
    }
}
