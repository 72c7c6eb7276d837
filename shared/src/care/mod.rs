//! Caregivers: who may do what in a record they help with, and how the owner makes sure the
//! key they wrap the record to is the caregiver's and not one the server slipped in.
//!
//! Reading is enforced by keys (the vault identity is wrapped only to confirmed members),
//! everything else by the server, which checks every route against [`Role::may`]; the app
//! and the CLI use the same table to offer only what a role allows.

pub mod confirmation;
pub mod member_list;
pub mod role;
pub mod rotation;
pub mod safety_code;

pub use confirmation::{ConfirmError, owner_safety_code, wrap_for_caregiver};
pub use member_list::{
    MemberListError, add_caregiver, caregiver_member, rotation_with_members, start_list,
};
pub use role::{Action, Role};
pub use rotation::{RotationError, rotation_head};
pub use safety_code::SafetyCode;
