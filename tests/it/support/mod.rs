pub mod cmd;
pub mod dns_server;
pub mod intercept_proxy;
pub mod openssl;
pub mod pki;
pub mod proxy;
pub mod registry;
pub mod servers;
