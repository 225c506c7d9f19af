//! `manifest`: does the image exist, and may this account pull it? `HEAD` of the manifest with
//! what `auth` obtained; a 404 is told apart (repository missing or tag missing) with
//! `tags/list`, because distribution answers MANIFEST_UNKNOWN for both.

use std::sync::Arc;
use std::time::Duration;

use crate::net::{http, www_auth};
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};

pub const PROBE: ProbeDef = ProbeDef {
    id: "manifest",
    doc: "HEAD the image manifest (read-only); tell a missing repository from a missing tag",
    needs: &["auth"],
    timeout: Duration::from_secs(6),
    on_timeout: None,
    run,
};

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let Some(image) = ctx.target.image.clone() else {
        return ProbeResult::skip("the target names no image");
    };
    let (Some(transport), Some(grant)) = (ctx.board.transport.get(), ctx.board.auth.get()) else {
        return ProbeResult::skip("no credentials decision to work with");
    };
    let reference = image
        .digest
        .clone()
        .or(image.tag.clone())
        .unwrap_or_else(|| "latest".into());
    let base = crate::probe::ping::v2_url(ctx, transport);
    let url = format!("{base}{}/manifests/{reference}", image.repository);
    let Ok(client) = ctx.registry_client(transport) else {
        return ProbeResult::fail("cannot build an HTTP client", Vec::new());
    };
    let with_auth = |r| grant.authorize(r);
    let resp = match with_auth(client.head(&url).header("Accept", ACCEPT))
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            return ProbeResult::fail(
                format!("no answer: {}", http::describe_error(&e)),
                Vec::new(),
            );
        }
    };
    let status = resp.status();
    let header = |n: &str| http::header(&resp, n);
    let (media, digest) = (header("content-type"), header("docker-content-digest"));
    // Docker Hub's pull quota, where the registry says (`100;w=21600`).
    let quota = match (header("ratelimit-limit"), header("ratelimit-remaining")) {
        (l, r) if !l.is_empty() && !r.is_empty() => Some(format!("{r} left of {l}")),
        _ => None,
    };
    let challenge = header("www-authenticate");
    let request_id = header("x-request-id");
    let obs = |key: &str| {
        let mut o = ctx
            .obs(key)
            .evidence("request", format!("HEAD {url}"))
            .evidence("status", status.to_string());
        if !challenge.is_empty() {
            o = o.evidence("WWW-Authenticate", challenge.clone());
        }
        if !request_id.is_empty() {
            o = o.evidence("X-Request-Id", request_id.clone());
        }
        if let Some(q) = &quota {
            o = o.evidence("RateLimit", q.clone());
        }
        o
    };
    match status.as_u16() {
        200 if is_index(&media) => {
            // Which platforms? A GET of the index (read-only; small, and capped).
            let got = with_auth(client.get(&url).header("Accept", ACCEPT))
                .send()
                .await;
            let platforms = match got {
                Ok(r) if r.status().is_success() => {
                    platforms(&http::capped_body(r).await.0).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let want = &ctx.opts.platform;
            if platforms.is_empty() || platforms.iter().any(|p| platform_matches(want, p)) {
                return ProbeResult::pass(format!(
                    "{} present: multi-platform index{}{}",
                    image.repository,
                    if platforms.is_empty() {
                        String::new()
                    } else {
                        format!(" with {want}")
                    },
                    quota
                        .as_deref()
                        .map(|q| format!("; quota {q}"))
                        .unwrap_or_default()
                ));
            }
            ProbeResult::fail(
                format!("{} has no {want} image", image.repository),
                vec![
                    obs("manifest.platform_missing")
                        .evidence("wanted", want.clone())
                        .evidence("offered", platforms.join(", "))
                        .evidence("media type", media.clone())
                        .var("platform", want.clone()),
                ],
            )
        }
        200 => ProbeResult::pass(format!(
            "{} present: {media}{}{}",
            image.repository,
            if digest.is_empty() {
                String::new()
            } else {
                format!(", {digest}")
            },
            quota
                .as_deref()
                .map(|q| format!("; quota {q}"))
                .unwrap_or_default()
        )),
        401 => {
            let insufficient = www_auth::parse(&[challenge.as_str()])
                .ok()
                .is_some_and(|c| c.iter().any(|c| c.error() == Some("insufficient_scope")));
            let key = if insufficient {
                "manifest.scope_denied"
            } else {
                "manifest.unauthorized"
            };
            ProbeResult::fail(format!("{status} on the manifest"), vec![obs(key)])
        }
        403 => ProbeResult::fail(
            format!("{status} on the manifest"),
            vec![obs("manifest.denied")],
        ),
        404 => {
            // Repository or tag? tags/list answers NAME_UNKNOWN for a missing repository.
            let tags_url = format!("{base}{}/tags/list?n=20", image.repository);
            let tags = with_auth(client.get(&tags_url)).send().await;
            let (tag_status, body) = match tags {
                Ok(r) => {
                    let s = r.status().as_u16();
                    (s, http::capped_body(r).await.0)
                }
                Err(_) => (0, Vec::new()),
            };
            let listed: Vec<String> = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("tags").and_then(|t| t.as_array().cloned()))
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if tag_status == 200 {
                ProbeResult::fail(
                    format!("{}: no {reference}", image.repository),
                    vec![obs("manifest.tag_not_found").evidence(
                        "tags in the repository",
                        if listed.is_empty() {
                            "none".into()
                        } else {
                            listed.join(", ")
                        },
                    )],
                )
            } else {
                ProbeResult::fail(
                    format!("{} does not exist", image.repository),
                    vec![
                        obs("manifest.repo_not_found")
                            .evidence(format!("GET {tags_url}"), format!("status {tag_status}")),
                    ],
                )
            }
        }
        429 => ProbeResult::fail(format!("{status}"), vec![obs("manifest.rate_limited")]),
        500..=599 => ProbeResult::fail(format!("{status}"), vec![obs("manifest.server_error")]),
        _ => ProbeResult::fail(
            format!("unexpected {status}"),
            vec![obs("manifest.server_error")],
        ),
    }
}

fn is_index(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim();
    m == "application/vnd.oci.image.index.v1+json"
        || m == "application/vnd.docker.distribution.manifest.list.v2+json"
}

/// `os/arch[/variant]` of every image in an index, attestation entries (`unknown/unknown`)
/// left out.
fn platforms(body: &[u8]) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let mut out = Vec::new();
    for m in v.get("manifests")?.as_array()? {
        let Some(p) = m.get("platform") else { continue };
        let field = |k: &str| p.get(k).and_then(|x| x.as_str()).unwrap_or("");
        let (os, arch, variant) = (field("os"), field("architecture"), field("variant"));
        if os.is_empty() || os == "unknown" {
            continue;
        }
        let mut s = format!("{os}/{arch}");
        if !variant.is_empty() {
            s.push('/');
            s.push_str(variant);
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Some(out)
}

/// Whether `offered` serves a pull for `want`: os and architecture equal, and the variant too
/// when `want` names one (containerd's platform matcher is more lenient about arm variants; this
/// errs on the side of not crying wolf by ignoring an offered variant nobody asked for).
fn platform_matches(want: &str, offered: &str) -> bool {
    let w: Vec<&str> = want.split('/').collect();
    let o: Vec<&str> = offered.split('/').collect();
    if w.len() < 2 || o.len() < 2 {
        return false;
    }
    w[0].eq_ignore_ascii_case(o[0])
        && w[1].eq_ignore_ascii_case(o[1])
        && (w.len() < 3 || o.get(2).is_some_and(|v| v.eq_ignore_ascii_case(w[2])))
}

/// This machine's platform in the OCI spelling (Go's GOOS/GOARCH), as Docker would pull.
pub fn local_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm/v7",
        "powerpc64" => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    };
    // Docker pulls linux images on every host that runs a linux daemon (also macOS, Windows
    // with WSL2): the daemon's OS decides, not the client's.
    format!("linux/{arch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_matching_follows_os_arch_and_asked_variant() {
        assert!(platform_matches("linux/amd64", "linux/amd64"));
        assert!(platform_matches("linux/arm64", "linux/arm64/v8"));
        assert!(platform_matches("linux/arm/v7", "linux/arm/v7"));
        assert!(!platform_matches("linux/arm/v7", "linux/arm/v6"));
        assert!(!platform_matches("linux/amd64", "linux/arm64"));
        assert!(!platform_matches("linux/amd64", "windows/amd64"));
        assert!(!platform_matches("garbage", "linux/amd64"));
    }

    #[test]
    fn platforms_skip_attestations_and_survive_garbage() {
        let index = br#"{"manifests":[
            {"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
            {"platform":{"os":"unknown","architecture":"unknown"}},
            {"platform":{"os":"linux","architecture":"s390x"}},
            {"no":"platform"}]}"#;
        assert_eq!(
            platforms(index).unwrap(),
            vec!["linux/arm64/v8".to_string(), "linux/s390x".to_string()]
        );
        assert_eq!(platforms(b"not json"), None);
        assert_eq!(platforms(br#"{"manifests":5}"#), None);
        assert!(is_index(
            "application/vnd.oci.image.index.v1+json; charset=utf-8"
        ));
        assert!(!is_index("application/vnd.oci.image.manifest.v1+json"));
    }
}
