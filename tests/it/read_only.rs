//! A default `check` only reads: against the real distribution registry, its access log shows
//! no POST, PUT, PATCH or DELETE from regdoctor, whatever the image's state. (Hashing the
//! files regdoctor reads is in check_config.rs.)

use crate::support::cmd::Regdoctor;
use crate::support::registry::{Registry, RegistryOpts};

/// The HTTP methods of the access-log lines in `log` (distribution writes them even at the
/// `warn` level): `... "GET /v2/ HTTP/1.1" 200 ...`.
fn methods(log: &str) -> Vec<(String, String)> {
    log.lines()
        .filter_map(|l| {
            let start = l.find('"')?;
            let mut parts = l[start + 1..].split_whitespace();
            let method = parts.next()?.to_string();
            let path = parts.next()?.to_string();
            method
                .chars()
                .all(|c| c.is_ascii_uppercase())
                .then_some((method, path))
        })
        .collect()
}

#[test]
fn a_default_check_sends_no_write_request() {
    let reg = Registry::start(RegistryOpts::default());
    reg.push_tiny_image("team/app", "1.0", None);
    let before = reg.log().len();
    for image in ["team/app:1.0", "team/app:2.0", "team/nope:1.0", ""] {
        let target = if image.is_empty() {
            reg.addr.clone()
        } else {
            format!("{}/{image}", reg.addr)
        };
        for extra in [&[][..], &["-v"][..]] {
            let run = Regdoctor::new()
                .args(["check", &target, "--json"])
                .args(extra.iter().copied())
                .run();
            assert!(run.code == 0 || run.code == 1, "{run:?}");
        }
    }
    let log = reg.log();
    let seen = methods(&log[before..]);
    assert!(
        seen.iter()
            .any(|(m, p)| m == "HEAD" && p.contains("/manifests/")),
        "the checks reached the manifest (else this proves nothing): {seen:?}\n{log}"
    );
    let writes: Vec<_> = seen
        .iter()
        .filter(|(m, _)| matches!(m.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
        .collect();
    assert!(writes.is_empty(), "write requests: {writes:?}");
    // The same parser sees the push that set the registry up: it can tell a write.
    assert!(
        methods(&log[..before]).iter().any(|(m, _)| m == "PUT"),
        "{log}"
    );
}
