//! Fixes in each client's own files. The rule packs speak Docker's (certs.d, daemon.json); a
//! finding that concerns podman or containerd gets the change in registries.conf, their certs.d
//! or hosts.toml, and loses Docker's when Docker is not among the clients it concerns.

use super::Client;
use super::profile::Profile;
use crate::i18n::Lang;
use crate::report::{Finding, FixOut};
use crate::rules::Category;

pub fn add(profiles: &[Profile], registry: &str, lang: Lang, findings: &mut [Finding]) {
    for f in findings.iter_mut() {
        let mut own: Vec<FixOut> = Vec::new();
        for p in profiles.iter().filter(|p| f.clients.contains(&p.client)) {
            if let Some(fix) = fix_for(p, f, registry, lang) {
                own.push(fix);
            }
        }
        if own.is_empty() {
            continue;
        }
        if f.clients.contains(&Client::Docker) {
            own.append(&mut f.fixes);
        }
        f.fixes = own;
    }
}

fn fix_for(p: &Profile, f: &Finding, registry: &str, lang: Lang) -> Option<FixOut> {
    let key = f.check.as_deref().unwrap_or_default();
    let say = |en: String, zh: String| match lang {
        Lang::En => en,
        Lang::Zh => zh,
    };
    let programs = p.client.programs();
    let dir = p.trust_dir.display().to_string();
    let fix = |text: String, file: String, snippet: String| FixOut {
        text,
        command: None,
        file: Some(file),
        snippet: Some(snippet),
        distro: None,
        when: None,
        unless: None,
    };
    match (p.client, f.category) {
        (Client::Containers, Category::TlsUnknownAuthority) => Some(FixOut {
            text: say(
                format!(
                    "{programs}: install the CA that signed the registry's certificate (for a self-signed certificate, the certificate itself) as a .crt file in {dir}"
                ),
                format!(
                    "{programs}：把签发该仓库证书的 CA（自签名证书则是证书本身）以 .crt 文件放进 {dir}"
                ),
            ),
            command: Some(format!(
                "sudo mkdir -p {dir} && sudo cp ca.crt {dir}/ca.crt"
            )),
            file: None,
            snippet: None,
            distro: None,
            when: None,
            unless: None,
        }),
        (Client::Containers, Category::HttpVsHttps) if key == "tls" && f.code == "RD-HTTP-001" => {
            Some(fix(
                say(
                    format!(
                        "{programs}: declare the registry insecure in a registries.conf drop-in (plain HTTP, no certificate check), only on a network you trust"
                    ),
                    format!(
                        "{programs}：仅在可信网络中，在 registries.conf 的附加配置里把该仓库声明为 insecure（明文 HTTP、不校验证书）"
                    ),
                ),
                format!(
                    "/etc/containers/registries.conf.d/50-insecure-{}.conf",
                    registry.replace([':', '[', ']'], "_")
                ),
                format!("[[registry]]\nlocation = \"{registry}\"\ninsecure = true"),
            ))
        }
        (Client::Containerd, Category::TlsUnknownAuthority) => Some(fix(
            say(
                format!(
                    "{programs}: name the registry's CA in its hosts.toml (the CA file beside it)"
                ),
                format!("{programs}：在该仓库的 hosts.toml 中指定它的 CA（CA 文件放在同一目录）"),
            ),
            format!("{dir}/hosts.toml"),
            format!(
                "server = \"https://{registry}\"\n\n[host.\"https://{registry}\"]\n  ca = \"ca.crt\""
            ),
        )),
        (Client::Containerd, Category::HttpVsHttps) => {
            let scheme = if f.code == "RD-HTTP-001" {
                "http"
            } else {
                "https"
            };
            Some(fix(
                say(
                    format!("{programs}: say in hosts.toml that the registry speaks {scheme}"),
                    format!("{programs}：在 hosts.toml 中写明该仓库使用 {scheme}"),
                ),
                format!("{dir}/hosts.toml"),
                format!(
                    "server = \"{scheme}://{registry}\"\n\n[host.\"{scheme}://{registry}\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]"
                ),
            ))
        }
        (Client::Containers, Category::ProxyMisconfig) => Some(FixOut {
            text: say(
                format!(
                    "{programs} use this shell's proxy: fix HTTPS_PROXY, or let the registry go direct with NO_PROXY"
                ),
                format!(
                    "{programs} 使用当前 shell 的代理：修正 HTTPS_PROXY，或用 NO_PROXY 让该仓库直连"
                ),
            ),
            command: Some(format!(
                "export NO_PROXY=\"${{NO_PROXY:+$NO_PROXY,}}{}\"",
                registry.split(':').next().unwrap_or(registry)
            )),
            file: None,
            snippet: None,
            distro: None,
            when: None,
            unless: None,
        }),
        _ => None,
    }
}
