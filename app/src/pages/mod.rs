//! One module per page of the app.

pub mod care;
pub mod glance;
pub mod home;
pub mod import;
pub mod not_found;
pub mod on_demand;
pub mod record;
pub mod recover;
pub mod settings;
pub mod share;
pub mod sign_in;
pub mod sign_up;
pub mod timeline;
pub mod unlock;
pub mod viewer;
