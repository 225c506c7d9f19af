pub mod cmd;
pub mod dns_server;
pub mod pki;
pub mod proxy;
pub mod registry;
pub mod report;
pub mod servers;
pub mod token;
