//! Checks of the network path to the registry and the hosts it sends clients to: name
//! resolution, TCP, TLS, the proxy, and the realm and mirror hops that reuse them.

pub mod cloud_names;
pub mod dns;
pub mod hop;
pub mod mirror_path;
pub mod proxy;
pub mod realm_path;
pub mod tcp;
pub mod tls;
