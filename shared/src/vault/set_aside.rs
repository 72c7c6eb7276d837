//! Parts of a vault's log that could not be opened. Anyone who may write to a vault (a
//! caregiver, a stolen device token, the server itself) can add a segment that fails to
//! decrypt or to parse; such a segment must not make the rest of the record unreadable.
//! Opening leaves it out and reports it as [`SetAside`]; the owner may then drop it by
//! compacting the log without it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::SegmentOrigin;

use super::error::SegmentError;

/// One segment left out of the record when it was opened, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("segment {position} of the vault was set aside: {error}")]
pub struct SetAside {
    /// Zero-based position of the segment among those given to open, which a client maps
    /// back to the segment's seq in the log it fetched.
    pub position: usize,
    /// Exactly why, for logs and developer pages; [`SetAside::reason`] says it to a patient.
    #[source]
    pub error: SegmentError,
}

impl SetAside {
    pub fn reason(&self) -> SetAsideReason {
        SetAsideReason::of(&self.error)
    }
}

/// Why a part of the record was set aside, in the few kinds a patient can act on. Each
/// [`SegmentError`] falls in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAsideReason {
    /// Locked with a key that is not this record's key for its time.
    WrongKey,
    /// Locked with a key of an earlier period that this account was never given.
    MissingKey,
    /// Its bytes were cut short or changed after it was written.
    Damaged,
    /// It opened, but what is inside is not a part of a record this version can read.
    NotARecord,
    /// It names another person's record.
    OtherRecord,
    /// Written in a newer format than this version of Folio reads.
    NewerFormat,
    /// Not signed by anyone the record's member list allows to write it.
    NotFromAMember,
}

impl SetAsideReason {
    pub fn of(error: &SegmentError) -> Self {
        match error {
            SegmentError::WrongKey { .. } | SegmentError::EpochMismatch { .. } => Self::WrongKey,
            SegmentError::NoKeyForEpoch { .. } => Self::MissingKey,
            SegmentError::BadMagic
            | SegmentError::Truncated
            | SegmentError::TrailingBytes { .. }
            | SegmentError::Tampered => Self::Damaged,
            SegmentError::Malformed(_) => Self::NotARecord,
            SegmentError::ForeignVault { .. } => Self::OtherRecord,
            SegmentError::UnknownVersion { .. } => Self::NewerFormat,
            SegmentError::Unsigned | SegmentError::BadWriteSignature(_) => Self::NotFromAMember,
        }
    }

    /// What happened, in words for a patient, to follow "… could not be read.".
    pub fn explanation(self) -> &'static str {
        match self {
            Self::WrongKey => {
                "It was not locked with your record's key, so it may have been tampered with."
            }
            Self::MissingKey => "It was locked with a key this account was never given.",
            Self::Damaged => "It may have been damaged or tampered with.",
            Self::NotARecord => {
                "What it holds is not part of a health record, so it may have been tampered with."
            }
            Self::OtherRecord => "It belongs to someone else's record.",
            Self::NewerFormat => "It was written by a newer version of Folio: update the app.",
            Self::NotFromAMember => {
                "It was not signed by anyone on your record, so it may have been tampered with."
            }
        }
    }
}

/// A set-aside segment as a client shows it: where it sits in the log, why it was set
/// aside, and who the server says uploaded it and when.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SetAsidePart {
    /// The segment's seq in the server's log; unknown when the log was read from a copy
    /// kept on the device and the server is out of reach.
    pub seq: Option<i64>,
    pub reason: SetAsideReason,
    /// The exact error, for developers.
    pub detail: String,
    /// Who the server says uploaded it: a claim, since the server may lie.
    pub uploaded_by: Option<Uploader>,
    pub uploaded_at: Option<DateTime<Utc>>,
}

/// The account a segment appears to come from, named as the reader knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Uploader {
    pub account_id: Uuid,
    /// The name the owner gave this caregiver, if the account is one the reader knows.
    pub name: Option<String>,
    /// The reader's own account.
    pub is_reader: bool,
}

impl SetAsidePart {
    /// Describes the set-aside segments of a log whose seqs, in the order it was opened,
    /// are `seqs` (empty if unknown); `origins` is what the server said of them and
    /// `name_of` the names the reader knows (the owner's caregivers list).
    pub fn describe(
        set_aside: &[SetAside],
        seqs: &[i64],
        origins: &[SegmentOrigin],
        reader: Uuid,
        name_of: impl Fn(Uuid) -> Option<String>,
    ) -> Vec<Self> {
        set_aside
            .iter()
            .map(|part| {
                let seq = seqs.get(part.position).copied();
                let origin = seq.and_then(|seq| origins.iter().find(|origin| origin.seq == seq));
                SetAsidePart {
                    seq,
                    reason: part.reason(),
                    detail: part.error.to_string(),
                    uploaded_by: origin.and_then(|origin| origin.uploaded_by).map(|account| {
                        Uploader {
                            account_id: account,
                            name: name_of(account),
                            is_reader: account == reader,
                        }
                    }),
                    uploaded_at: origin.map(|origin| origin.uploaded_at),
                }
            })
            .collect()
    }

    /// One sentence or two for a patient: "An addition on 3 Dec 2026 that appears to have
    /// come from Sam could not be read. It may have been damaged or tampered with."
    pub fn sentence(&self) -> String {
        let mut out = String::from("An addition");
        if let Some(at) = self.uploaded_at {
            out.push_str(&at.format(" on %-d %b %Y").to_string());
        }
        match &self.uploaded_by {
            Some(Uploader {
                is_reader: true, ..
            }) => out.push_str(" that appears to have come from your own account"),
            Some(Uploader {
                name: Some(name), ..
            }) => {
                out.push_str(" that appears to have come from ");
                out.push_str(name);
            }
            Some(Uploader { name: None, .. }) => {
                out.push_str(" that appears to have come from an account Folio does not recognise")
            }
            None => {}
        }
        out.push_str(" could not be read. ");
        out.push_str(self.reason.explanation());
        out
    }
}
