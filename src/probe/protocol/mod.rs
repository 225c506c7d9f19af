//! Checks of the registry protocol: what `/v2/`, the token service, manifests and uploads
//! answer, and whether the reference itself follows the registry's naming rules.

pub mod auth;
pub mod manifest;
pub mod ping;
pub mod push;
pub mod reference;
pub mod server;
