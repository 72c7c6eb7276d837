//! Widgets shared by several pages.

pub mod alert;
pub mod guard;
pub mod heading;
pub mod idle_lock;
pub mod masthead;
pub mod navigation_hold;
pub mod new_passkey;
pub mod qr;
pub mod recovery_code;
