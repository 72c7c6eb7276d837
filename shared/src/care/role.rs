//! The role × action matrix.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's part in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The patient (or the parent holding a dependant's record).
    Owner,
    /// A caregiver who also imports, shares and invites viewers.
    Manager,
    /// A caregiver who reads the record and sees its shares.
    Viewer,
}

/// Something a member does to a record; each API route is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Download segments, attachments and the vault keys wrapped to oneself.
    Read,
    /// Upload segments and attachments (import, patient-entered data).
    Write,
    /// See the record's share links and their access logs.
    SeeShares,
    /// Make and revoke share links.
    Share,
    /// Invite a caregiver with the viewer role.
    InviteViewer,
    /// Invite a caregiver with the manager role, confirm or remove any caregiver.
    ManageCaregivers,
    /// Rewrite the log: compaction and key rotation.
    Rewrite,
    /// Name an emergency contact, hand the record over, delete it.
    Administer,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Read,
        Action::Write,
        Action::SeeShares,
        Action::Share,
        Action::InviteViewer,
        Action::ManageCaregivers,
        Action::Rewrite,
        Action::Administer,
    ];
}

impl Role {
    /// Whether this role may take `action`. Rewriting the log stays with the owner: it is
    /// how a removed caregiver's keys are made useless, so no caregiver may do it.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Owner => true,
            Role::Manager => matches!(action, Read | Write | SeeShares | Share | InviteViewer),
            Role::Viewer => matches!(action, Read | SeeShares),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`: expected owner, manager or viewer")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        match s {
            "owner" => Ok(Role::Owner),
            "manager" => Ok(Role::Manager),
            "viewer" => Ok(Role::Viewer),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_what_the_issue_says_and_no_more() {
        let allowed = |role: Role| -> Vec<Action> {
            Action::ALL.into_iter().filter(|a| role.may(*a)).collect()
        };
        assert_eq!(allowed(Role::Owner), Action::ALL.to_vec());
        assert_eq!(
            allowed(Role::Manager),
            [
                Action::Read,
                Action::Write,
                Action::SeeShares,
                Action::Share,
                Action::InviteViewer
            ]
        );
        assert_eq!(allowed(Role::Viewer), [Action::Read, Action::SeeShares]);
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for role in [Role::Owner, Role::Manager, Role::Viewer] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
