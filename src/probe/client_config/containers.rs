//! `containers`: what podman, buildah, skopeo and CRI-O would do with this registry, from
//! `/etc/containers/registries.conf` (+ `registries.conf.d/`) and `policy.json`. Files only.

use std::sync::Arc;
use std::time::Duration;

use crate::config::json_file::JsonFileError;
use crate::config::{policy_json, registries_conf};
use crate::observe::Observation;
use crate::probe::{Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::rules::Severity;
use crate::target::Scheme;

pub const PROBE: ProbeDef = ProbeDef {
    id: "containers",
    doc: "registries.conf (blocked, insecure, mirrors, locations) and policy.json (reject, signedBy) as podman and CRI-O read them",
    needs: &[],
    timeout: Duration::from_secs(2),
    on_timeout: None,
    run,
};

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx) })
}

/// The `docker://` reference containers/image matches against: `docker.io/library/nginx`.
fn reference(ctx: &Ctx) -> String {
    let reg = ctx.target.registry.host_port();
    match &ctx.target.image {
        Some(img) => format!("{reg}/{}", img.repository),
        None => reg,
    }
}

fn probe(ctx: &Ctx) -> ProbeResult {
    let rt = &ctx.opts.runtimes;
    let conf = registries_conf::read(&rt.registries_conf, &rt.registries_conf_d);
    let policy = policy_json::read(&rt.policy_json);
    let policy_missing = matches!(policy, Ok(None));
    if conf.files.is_empty() && conf.errors.is_empty() && policy_missing {
        return ProbeResult::pass(
            "no registries.conf or policy.json: podman and CRI-O are not configured here",
        );
    }
    let mut observations: Vec<Observation> = Vec::new();
    let first_mirror = conf
        .registries
        .iter()
        .flat_map(|r| r.mirrors.iter())
        .map(|m| strip_scheme(&m.location).to_string())
        .next();
    for e in &conf.errors {
        let mut o = crate::probe::containerd::malformed(ctx, "containers.registries_invalid", e);
        if let Some(m) = &first_mirror {
            o = o.var("mirror", m.clone());
        }
        observations.push(o);
    }
    // containers/image refuses a configuration that mixes the v1 tables with v2 settings.
    let v1 =
        !(conf.v1_search.is_empty() && conf.v1_insecure.is_empty() && conf.v1_blocked.is_empty());
    let v2 = !conf.registries.is_empty() || conf.unqualified_search.is_some();
    if v1 && v2 {
        let mut o = ctx
            .obs("containers.registries_invalid")
            .evidence(
                "files",
                conf.files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .evidence(
                "containers/image",
                "mixing sysregistry v1/v2 is not supported: [registries.search|insecure|block] next to [[registry]] or unqualified-search-registries",
            );
        if let Some(m) = &first_mirror {
            o = o.var("mirror", m.clone());
        }
        observations.push(o);
    }
    let registry = ctx.target.registry.host_port();
    let reference = reference(ctx);
    let mut notes: Vec<String> = Vec::new();

    // containers/image refuses the whole configuration when a location has a scheme.
    for entry in &conf.registries {
        let file = entry.file.display().to_string();
        let mut bad: Vec<(String, String)> = Vec::new();
        if has_scheme(&entry.location) {
            bad.push(("location".into(), entry.location.clone()));
        }
        for m in &entry.mirrors {
            if has_scheme(&m.location) {
                bad.push(("[[registry.mirror]] location".into(), m.location.clone()));
            }
        }
        if bad.is_empty() {
            continue;
        }
        let mut snippet = format!(
            "[[registry]]\nprefix = \"{}\"\nlocation = \"{}\"\n",
            strip_scheme(&entry.prefix),
            strip_scheme(&entry.location)
        );
        for m in &entry.mirrors {
            snippet.push_str(&format!(
                "\n[[registry.mirror]]\nlocation = \"{}\"\n",
                strip_scheme(&m.location)
            ));
            if m.insecure {
                snippet.push_str("insecure = true\n");
            }
        }
        for (what, value) in bad {
            observations.push(
                ctx.obs("containers.location_scheme")
                    .evidence("file", file.clone())
                    .evidence(what, value.clone())
                    .evidence(
                        "containers/image",
                        format!("invalid location '{value}': URI schemes are not supported"),
                    )
                    .var("mirror", value)
                    .var("edit_file", file.clone())
                    .var("edit_snippet", snippet.trim_end().to_string()),
            );
        }
    }

    let entry = conf.find(&reference);
    let host_in = |list: &[String]| list.iter().any(|r| r == &registry);
    if let Some(e) = entry {
        notes.push(format!(
            "[[registry]] prefix {:?} from {}",
            e.prefix,
            e.file.display()
        ));
    }
    let blocked = entry.is_some_and(|e| e.blocked) || host_in(&conf.v1_blocked);
    if blocked {
        let (file, snippet) = match entry.filter(|e| e.blocked) {
            Some(e) => (
                e.file.display().to_string(),
                format!(
                    "[[registry]]\nprefix = \"{}\"\nlocation = \"{}\"\nblocked = false",
                    e.prefix, e.location
                ),
            ),
            None => (
                rt.registries_conf.display().to_string(),
                "[registries.block]\nregistries = []".to_string(),
            ),
        };
        observations.push(
            ctx.obs("containers.blocked")
                .evidence("file", file.clone())
                .evidence(
                    "podman",
                    format!("registry {registry} is blocked in registries.conf"),
                )
                .var("edit_file", file)
                .var("edit_snippet", snippet),
        );
    }
    let insecure = entry.is_some_and(|e| e.insecure) || host_in(&conf.v1_insecure);
    if insecure {
        observations.push(
            ctx.obs("containers.insecure")
                .evidence(
                    "file",
                    entry
                        .map(|e| e.file.display().to_string())
                        .unwrap_or_else(|| rt.registries_conf.display().to_string()),
                )
                .evidence(
                    "setting",
                    format!("{registry}: insecure = true (podman accepts plain HTTP and any certificate)"),
                )
                .severity(Severity::Info),
        );
    }
    let needs_http = ctx.target.scheme_hint == Some(Scheme::Http) || ctx.explicitly_insecure();
    if needs_http && !insecure && !conf.files.is_empty() {
        let file = rt.registries_conf_d.join(format!(
            "50-insecure-{}.conf",
            registry.replace([':', '[', ']'], "_")
        ));
        observations.push(
            ctx.obs("containers.not_insecure")
                .evidence("registry", registry.clone())
                .evidence(
                    "why plain HTTP",
                    if ctx.target.scheme_hint == Some(Scheme::Http) {
                        format!("the target was given as http://{registry}")
                    } else {
                        format!("Docker lists {registry} in insecure-registries")
                    },
                )
                .evidence(
                    "registries.conf",
                    format!(
                        "no insecure = true for {registry} (podman then requires verified TLS)"
                    ),
                )
                .var("edit_file", file.display().to_string())
                .var(
                    "edit_snippet",
                    format!("[[registry]]\nlocation = \"{registry}\"\ninsecure = true"),
                )
                .severity(http_severity(ctx)),
        );
    }

    if let Some(o) = short_name(ctx, &conf) {
        observations.push(o);
    }

    match &policy {
        Ok(Some(p)) => {
            let with_tag = match ctx.target.tag_or_latest() {
                Some(t) if ctx.target.image.is_some() => format!("{reference}:{t}"),
                _ => reference.clone(),
            };
            if let Some(applied) = policy_json::applied(p, &with_tag) {
                let file = rt.policy_json.display().to_string();
                let scope = if applied.scope.is_empty() {
                    "transports.docker \"\" (the transport's default)".to_string()
                } else if applied.scope == "default" {
                    "\"default\" (no docker scope matched)".to_string()
                } else {
                    format!("transports.docker \"{}\"", applied.scope)
                };
                let o = |key: &str| {
                    ctx.obs(key)
                        .evidence("file", file.clone())
                        .evidence("scope", scope.clone())
                        .evidence("requirements", applied.requirements.join(", "))
                        .var("edit_file", file.clone())
                        .var(
                            "edit_snippet",
                            format!(
                                "\"transports\": {{ \"docker\": {{ \"{registry}\": [{{ \"type\": \"insecureAcceptAnything\" }}] }} }}"
                            ),
                        )
                };
                if applied.rejects() {
                    observations.push(o("containers.policy_reject").evidence(
                        "podman",
                        format!("Running image docker://{with_tag} is rejected by policy."),
                    ));
                } else if applied.needs_signature() {
                    observations.push(o("containers.policy_signed"));
                }
            }
        }
        Ok(None) => {}
        Err(e) => {
            let mut o = ctx
                .obs("containers.malformed")
                .evidence("file", rt.policy_json.display().to_string())
                .var("file", rt.policy_json.display().to_string());
            o = match e {
                JsonFileError::Json {
                    line,
                    column,
                    message,
                    ..
                } => o
                    .evidence("error", format!("line {line}, column {column}: {message}"))
                    .var("line", line.to_string()),
                other => o.evidence("error", other.to_string()),
            };
            observations.push(o);
        }
    }

    let summary = format!(
        "{} file(s){}{}",
        conf.files.len(),
        if policy_missing { "" } else { " + policy.json" },
        if notes.is_empty() {
            format!("; no [[registry]] entry for {registry}")
        } else {
            format!("; {}", notes.join("; "))
        }
    );
    ProbeResult::judged(summary, observations)
}

fn has_scheme(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

fn strip_scheme(s: &str) -> &str {
    s.trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
}

/// A registry the user named with `http://` is known to speak plain HTTP; one only listed in
/// Docker's insecure-registries may be HTTPS with a private CA, so offline that is a note
/// (the tls check tells which when the network is asked).
pub fn http_severity(ctx: &Ctx) -> Severity {
    if ctx.target.scheme_hint == Some(Scheme::Http) {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// A Docker Hub short name (`nginx`, `library/nginx:1.25`) as typed: podman does not assume
/// Docker Hub, it resolves the name through `[aliases]`, then `unqualified-search-registries`.
/// Always a note: `docker pull` is not affected, and many Docker hosts carry podman's files.
fn short_name(ctx: &Ctx, conf: &registries_conf::RegistriesConf) -> Option<Observation> {
    let img = ctx.target.image.as_ref()?;
    let typed = ctx.target.input.trim();
    // The first component names a registry only when a `/` follows it (Docker's rule).
    let first = typed.split_once('/').map(|(f, _)| f).unwrap_or_default();
    if !ctx.target.registry.docker_hub
        || first.contains(['.', ':'])
        || first == "localhost"
        || conf.files.is_empty()
    {
        return None;
    }
    let name = typed
        .split(['@'])
        .next()
        .unwrap_or(typed)
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map_or(typed.split('@').next().unwrap_or(typed), |(n, _)| n);
    let docker_pulls = format!("docker.io/{}", img.repository);
    let full = ctx.target.reference();
    let base = ctx
        .obs("containers.short_name")
        .evidence("short name", name.to_string())
        .evidence("docker pulls", docker_pulls.clone())
        .var("full_reference", full)
        .var("short_name", name.to_string());
    let alias = conf.aliases.iter().find(|(n, _, _)| {
        n == name
            || n.strip_prefix("library/") == Some(name)
            || name.strip_prefix("library/") == Some(n)
    });
    if let Some((_, to, file)) = alias {
        if to.trim_end_matches('/') == docker_pulls {
            return None;
        }
        return Some(
            base.evidence(
                "podman pulls",
                format!("{to} (alias in {})", file.display()),
            )
            .severity(Severity::Info),
        );
    }
    let search = conf.unqualified_search.clone().unwrap_or_default();
    let search: Vec<String> = if search.is_empty() {
        conf.v1_search.clone()
    } else {
        search
    };
    let enforcing = conf.short_name_mode.as_deref().unwrap_or("enforcing") == "enforcing";
    let o = match search.as_slice() {
        [] => base
            .evidence(
                "podman",
                format!("short-name {name:?} did not resolve to an alias and no unqualified-search registries are defined"),
            )
            .severity(Severity::Info),
        [only] if only == "docker.io" => return None,
        [only] => base
            .evidence("podman pulls", format!("{only}/{name}"))
            .severity(Severity::Info),
        many if enforcing => base
            .evidence("unqualified-search-registries", many.join(", "))
            .evidence(
                "podman",
                "short-name-mode is enforcing: podman asks which registry on a terminal and fails without one (CI, scripts)",
            )
            .severity(Severity::Info),
        many if many.first().is_some_and(|r| r != "docker.io") => base
            .evidence("unqualified-search-registries", many.join(", "))
            .evidence("podman pulls", format!("{}/{name} first", many[0]))
            .severity(Severity::Info),
        _ => return None,
    };
    Some(o)
}
