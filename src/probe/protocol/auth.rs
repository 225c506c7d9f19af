//! `auth`: the credentials Docker would use, and what the registry makes of them: Basic
//! against `/v2/`, or a Bearer token from the realm (anonymous, or with the credentials), with
//! the actions the token really grants. Sends credentials only to the registry and its realm,
//! and never over plain HTTP.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use crate::config::credentials::{self, Credentials, Lookup};
use crate::config::docker_config;
use crate::net::{http, jwt, tls_verify, trust};
use crate::observe::Observation;
use crate::probe::{AuthGrant, Ctx, ProbeDef, ProbeFuture, ProbeResult};
use crate::report::Status;
use crate::report::redact::register_secret;
use crate::target::Scheme;

pub const PROBE: ProbeDef = ProbeDef {
    id: "auth",
    doc: "credentials as Docker finds them; Basic login or a Bearer token from the realm, and the scope it grants",
    needs: &["ping"],
    timeout: Duration::from_secs(8),
    on_timeout: Some("auth.realm_unreachable"),
    run,
};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn run(ctx: Arc<Ctx>) -> ProbeFuture {
    Box::pin(async move { probe(&ctx).await })
}

fn basic(c: &Credentials) -> String {
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.secret))
    );
    register_secret(&header["Basic ".len()..]);
    header
}

/// Docker's config.json, with podman's `auth.json` consulted first when `REGISTRY_AUTH_FILE`
/// names one (the user then works with podman, skopeo or buildah) and last otherwise (with a
/// note: Docker itself never reads that file).
pub(crate) async fn find_credentials(ctx: &Ctx) -> Lookup {
    let key = ctx.target.registry.config_key();
    let path: Vec<_> = ctx.opts.path_dirs.clone();
    let podman = |file: &std::path::Path| docker_config::read(file).ok().flatten();
    let podman_lookup = |explicit: bool| {
        let key = key.clone();
        let path = path.clone();
        async move {
            for file in &ctx.opts.podman_auth_files {
                if let Some(cfg) = podman(file) {
                    if let Lookup::Found(mut c) = credentials::find(Some(&cfg), &key, &path).await {
                        if !explicit {
                            c.source = format!(
                                "{} (podman's auth.json; `docker` does not read this file)",
                                c.source
                            );
                        }
                        return Some(c);
                    }
                }
            }
            None
        }
    };
    if ctx.opts.registry_auth_file_set {
        if let Some(c) = podman_lookup(true).await {
            return Lookup::Found(c);
        }
    }
    let config = docker_config::read(&ctx.opts.docker_config_dir.join("config.json"))
        .ok()
        .flatten();
    let docker = credentials::find(config.as_ref(), &key, &path).await;
    if matches!(docker, Lookup::None(_)) && !ctx.opts.registry_auth_file_set {
        if let Some(c) = podman_lookup(false).await {
            return Lookup::Found(c);
        }
    }
    docker
}

async fn probe(ctx: &Ctx) -> ProbeResult {
    let (Some(ping), Some(transport)) = (ctx.board.ping.get(), ctx.board.transport.get()) else {
        return ProbeResult::skip("no answer from /v2/ to work from");
    };
    if ping.status == 200 {
        let _ = ctx.board.auth.set(AuthGrant::default());
        return ProbeResult::pass("/v2/ needs no credentials");
    }
    if ping.status != 401 {
        return ProbeResult::skip(format!(
            "GET /v2/ answered {}, not a login challenge",
            ping.status
        ));
    }
    let creds = ctx.credentials().await;
    let (creds, creds_note) = match creds {
        Lookup::Found(c) => {
            let note = c.source.clone();
            (Some(c), note)
        }
        Lookup::None(why) => (None, format!("none ({why})")),
        Lookup::Failed(why) => (None, format!("none: {why}")),
    };
    let plain = transport.scheme == Scheme::Http;

    if let Some(ch) = ping.challenges.iter().find(|c| c.is_bearer()) {
        let realm = ch.realm().unwrap_or_default().to_string();
        let service = ch.service().map(str::to_string);
        return bearer(ctx, &realm, service, creds, &creds_note).await;
    }
    // Basic (or no usable challenge): the credentials go with each request.
    let Some(c) = creds else {
        return ProbeResult::fail(
            "the registry wants credentials and none are stored for it",
            vec![
                ctx.obs("auth.no_credentials")
                    .evidence("credentials", creds_note)
                    .evidence(
                        "WWW-Authenticate",
                        ping.challenges
                            .iter()
                            .map(|c| c.scheme.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
            ],
        );
    };
    if plain {
        let _ = ctx.board.auth.set(AuthGrant::default());
        return ProbeResult::fail(
            "credentials not sent: the registry speaks plain HTTP",
            vec![
                ctx.obs("auth.credentials_in_clear")
                    .evidence("credentials", creds_note)
                    .evidence(
                        "not sent",
                        "Basic credentials over plain HTTP can be read by anyone on the path",
                    ),
            ],
        );
    }
    let header = basic(&c);
    let client = match ctx.registry_client(transport) {
        Ok(cl) => cl,
        Err(e) => {
            return ProbeResult::fail(format!("cannot build an HTTP client: {e}"), Vec::new());
        }
    };
    let url = crate::probe::ping::v2_url(ctx, transport);
    match client
        .get(&url)
        .header("Authorization", &header)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => {
            let _ = ctx.board.auth.set(AuthGrant {
                header: Some(header),
                who: creds_note.clone(),
                ..AuthGrant::default()
            });
            ProbeResult::pass(format!("Basic login accepted ({creds_note})"))
        }
        Ok(r) => {
            let mut obs = ctx
                .obs("auth.bad_credentials")
                .evidence("request", format!("GET {url} with Basic credentials"))
                .evidence("status", r.status().to_string());
            // Not followed: the credentials would travel with it (to another host, perhaps).
            if let Some(to) = r.headers().get("location").and_then(|v| v.to_str().ok()) {
                obs = obs.evidence(
                    "Location (not followed)",
                    to.chars().take(300).collect::<String>(),
                );
            }
            ProbeResult::fail(
                format!("Basic login refused: {}", r.status()),
                vec![obs.evidence("credentials", creds_note)],
            )
        }
        Err(e) => ProbeResult::fail(
            format!("no answer: {}", http::describe_error(&e)),
            Vec::new(),
        ),
    }
}

/// What one token request came back with.
struct TokenAnswer {
    /// How the request was made, for evidence (no secret in it).
    shown: String,
    outcome: Result<Answered, String>,
}

struct Answered {
    status: reqwest::StatusCode,
    content_type: String,
    json: Option<serde_json::Value>,
    /// The body's shape (kind, length, field names), never its content: whatever a realm
    /// answers may be a token, whole or cut.
    shape: String,
    /// `Location` and `Content-Encoding`, when present: redirects are not followed (the
    /// credentials would go wherever the realm says) and compressed bodies are not inflated, so
    /// the report shows what the realm did instead.
    extra_headers: Vec<(&'static str, String)>,
    /// The form used: `GET` (Basic) or `POST` (OAuth2), and whether a POST fell back to GET.
    note: Option<String>,
}

impl Answered {
    fn with_headers(&self, mut o: Observation) -> Observation {
        for (h, v) in &self.extra_headers {
            o = o.evidence(*h, v.clone());
        }
        o
    }

    fn token(&self) -> Option<String> {
        self.json
            .as_ref()
            .and_then(|v| v.get("token").or_else(|| v.get("access_token")))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    }
}

fn show(method: &str, url: &url::Url) -> String {
    format!(
        "{method} {}://{}{}?{}",
        url.scheme(),
        url.authority(),
        url.path(),
        url.query().unwrap_or("")
    )
}

async fn read_answer(resp: reqwest::Response, note: Option<String>) -> Answered {
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let extra_headers = ["Location", "Content-Encoding"]
        .into_iter()
        .filter_map(|h| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(|v| (h, v.chars().take(300).collect()))
        })
        .collect();
    let (body, cut) = http::capped_body(resp).await;
    Answered {
        status,
        content_type,
        extra_headers,
        json: serde_json::from_slice(&body).ok(),
        shape: crate::report::redact::body_shape(&body, cut),
        note,
    }
}

/// One token request as Docker makes it: an identity token goes in an OAuth2 `POST` form
/// (`grant_type=refresh_token`), and a realm that answers that form with 404 gets the `GET`
/// instead (distribution's client does the same); a user name and password go as Basic on a
/// `GET` with `account=`.
async fn fetch_token(
    client: &reqwest::Client,
    realm: &url::Url,
    service: Option<&str>,
    scope: Option<&str>,
    creds: Option<&Credentials>,
) -> TokenAnswer {
    if let Some(c) = creds.filter(|c| c.identity_token) {
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", &c.secret),
            ("client_id", "regdoctor"),
        ];
        if let Some(s) = service {
            form.push(("service", s));
        }
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        let shown = format!(
            "POST {} (OAuth2 form, grant_type=refresh_token, scope={})",
            realm,
            scope.unwrap_or("")
        );
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&form)
            .finish();
        register_secret(&body);
        let post = client
            .post(realm.clone())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        match post.send().await {
            Ok(r) if r.status() != reqwest::StatusCode::NOT_FOUND => {
                return TokenAnswer {
                    shown,
                    outcome: Ok(read_answer(r, Some("OAuth2 POST".into())).await),
                };
            }
            Ok(_) => {}
            Err(e) => {
                return TokenAnswer {
                    shown,
                    outcome: Err(http::describe_error(&e)),
                };
            }
        }
        // 404: the realm has no OAuth2 endpoint; Docker then asks with GET, without the token.
        let url = get_url(realm, service, scope, None);
        let shown = format!("{} (after POST answered 404)", show("GET", &url));
        return match client.get(url).send().await {
            Ok(r) => TokenAnswer {
                shown,
                outcome: Ok(read_answer(
                    r,
                    Some("the OAuth2 POST answered 404; fell back to an anonymous GET".into()),
                )
                .await),
            },
            Err(e) => TokenAnswer {
                shown,
                outcome: Err(http::describe_error(&e)),
            },
        };
    }
    let url = get_url(realm, service, scope, creds);
    let shown = show("GET", &url);
    let mut req = client.get(url);
    if let Some(c) = creds {
        req = req.header("Authorization", basic(c));
    }
    match req.send().await {
        Ok(r) => TokenAnswer {
            shown,
            outcome: Ok(read_answer(r, None).await),
        },
        Err(e) => TokenAnswer {
            shown,
            outcome: Err(http::describe_error(&e)),
        },
    }
}

fn get_url(
    realm: &url::Url,
    service: Option<&str>,
    scope: Option<&str>,
    creds: Option<&Credentials>,
) -> url::Url {
    let mut url = realm.clone();
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = service {
            q.append_pair("service", s);
        }
        if let Some(s) = scope {
            q.append_pair("scope", s);
        }
        if let Some(c) = creds.filter(|c| !c.identity_token) {
            q.append_pair("account", &c.username);
        }
    }
    // An empty query (`realm?`) is not what Docker sends.
    if url.query() == Some("") {
        url.set_query(None);
    }
    url
}

/// `expires_in` and how far `issued_at` is from this machine's clock: a token that looks
/// expired on arrival is a clock problem, not a login problem.
fn lifetime_evidence(json: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(e) = json.get("expires_in").and_then(serde_json::Value::as_i64) {
        out.push(("expires_in".to_string(), format!("{e} s")));
    }
    if let Some(issued) = json.get("issued_at").and_then(serde_json::Value::as_str) {
        if let Ok(t) =
            time::OffsetDateTime::parse(issued, &time::format_description::well_known::Rfc3339)
        {
            let skew = (time::OffsetDateTime::now_utc() - t).whole_seconds();
            let note = if skew.abs() > 60 {
                format!("{issued} ({skew:+} s from this machine's clock: check NTP)")
            } else {
                issued.to_string()
            };
            out.push(("issued_at".to_string(), note));
        }
    }
    out
}

async fn bearer(
    ctx: &Ctx,
    realm: &str,
    service: Option<String>,
    creds: Option<Credentials>,
    creds_note: &str,
) -> ProbeResult {
    let Ok(url) = url::Url::parse(realm) else {
        return ProbeResult::fail(
            "the token realm is not a URL",
            vec![
                ctx.obs("auth.realm_unreachable")
                    .evidence("realm", realm.to_string()),
            ],
        );
    };
    let realm_host = url.host_str().unwrap_or_default().to_string();
    let mut observations: Vec<Observation> = Vec::new();
    let mut creds = creds;
    if url.scheme() == "http" && creds.is_some() {
        observations.push(
            ctx.obs("auth.credentials_in_clear")
                .var("realm_host", realm_host.clone())
                .evidence("realm", realm.to_string())
                .evidence("not sent", "the token realm is plain HTTP: credentials would cross the network in clear; asked anonymously instead"),
        );
        creds = None;
    }
    let repo = ctx.target.image.as_ref().map(|i| i.repository.clone());
    // --probe-push also cancels the upload it starts, and distribution checks `delete` for any
    // DELETE, the cancel included.
    let actions = if ctx.opts.probe_push {
        "pull,push,delete"
    } else if ctx.opts.intends_push {
        "pull,push"
    } else {
        "pull"
    };
    let scope = repo.as_ref().map(|r| format!("repository:{r}:{actions}"));
    // Docker asks the realm through the registry endpoint's own transport, so the realm is
    // trusted with the registry's certs.d folder (and the system roots), not one of its own.
    let t = trust::load(&ctx.opts.certs_dir, &ctx.target.registry.host_port());
    // For an insecure registry Docker's endpoint transport skips verification, for the realm
    // too; doing otherwise here would report a failure `docker pull` does not have (the
    // realm-path check shows what the certificate is).
    let skip_verify = ctx.insecure_reason().is_some();
    let tls = tls_verify::webpki(t.roots.clone()).ok().and_then(|v| {
        tls_verify::client_config(tls_verify::Judged::new(v, None, skip_verify)).ok()
    });
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .timeout(REQUEST_TIMEOUT);
    if let Some(tls) = tls {
        b = b.tls_backend_preconfigured(tls);
    }
    // `--resolve` applies to the realm as to every other host.
    let realm_port = url.port_or_known_default().unwrap_or(443);
    for (host, port, ip) in &ctx.opts.resolve {
        if host.eq_ignore_ascii_case(&realm_host) && *port == realm_port {
            b = b.resolve(host, std::net::SocketAddr::new(*ip, *port));
        }
    }
    let Ok(client) = b.build() else {
        return ProbeResult::fail("cannot build an HTTP client", Vec::new());
    };
    // With credentials and a pull-only run, ask once more for pull,push at the same time, to
    // say what the account may do without a second round trip on the way to the manifest.
    let push_scope = repo
        .as_ref()
        .filter(|_| creds.is_some() && !ctx.opts.intends_push)
        .map(|r| format!("repository:{r}:pull,push"));
    let (answer, push_answer) = tokio::join!(
        fetch_token(
            &client,
            &url,
            service.as_deref(),
            scope.as_deref(),
            creds.as_ref()
        ),
        async {
            match &push_scope {
                Some(s) => Some(
                    fetch_token(&client, &url, service.as_deref(), Some(s), creds.as_ref()).await,
                ),
                None => None,
            }
        }
    );
    let shown_url = answer.shown.clone();
    let a = match answer.outcome {
        Ok(a) => a,
        Err(e) => {
            observations.push(
                ctx.obs("auth.realm_unreachable")
                    .var("realm_host", realm_host.clone())
                    .evidence("realm request", shown_url)
                    .evidence("error", e),
            );
            return ProbeResult::fail(
                format!("the token realm {realm_host} did not answer"),
                observations,
            );
        }
    };
    let status = a.status;
    if status.is_success() {
        let Some(token) = a.token() else {
            observations.push(
                a.with_headers(
                    ctx.obs("auth.realm_not_json")
                        .var("realm_host", realm_host.clone())
                        .evidence("realm request", shown_url)
                        .evidence("status", status.to_string())
                        .evidence("Content-Type", a.content_type.clone()),
                )
                .evidence("body", a.shape.clone()),
            );
            return ProbeResult::fail("the token realm answered without a token", observations);
        };
        register_secret(&token);
        let granted = repo.as_ref().and_then(|r| {
            jwt::decode_claims(&token)
                .ok()
                .map(|c| c.granted_actions("repository", r))
        });
        let push_granted = push_answer
            .and_then(|p| p.outcome.ok())
            .and_then(|p| p.token())
            .and_then(|t| {
                register_secret(&t);
                let r = repo.as_ref()?;
                jwt::decode_claims(&t)
                    .ok()
                    .map(|c| c.granted_actions("repository", r))
            });
        let who = match &creds {
            Some(_) => creds_note.to_string(),
            None => "anonymous".to_string(),
        };
        let _ = ctx.board.auth.set(AuthGrant {
            header: Some(format!("Bearer {token}")),
            granted: granted.clone(),
            push_granted: if ctx.opts.intends_push {
                granted.clone()
            } else {
                push_granted
            },
            who: who.clone(),
        });
        let lifetime = a.json.as_ref().map(lifetime_evidence).unwrap_or_default();
        let mut result = ProbeResult {
            status: Some(if observations.is_empty() {
                Status::Pass
            } else {
                Status::Warn
            }),
            summary: Some(format!(
                "token from {realm_host} ({who}{}){}",
                a.note
                    .as_deref()
                    .map(|n| format!(", {n}"))
                    .unwrap_or_default(),
                match (&granted, &repo) {
                    (Some(g), Some(r)) => format!(", grants {r}: [{}]", g.join(",")),
                    _ => String::new(),
                }
            )),
            skip_reason: None,
            observations,
        };
        if let (Some(g), Some(r)) = (&granted, &repo) {
            if !g.iter().any(|a| a == "pull" || a == "*") {
                // Anonymous and granted nothing: Docker says "may require docker login", and
                // logging in is the fix; with credentials, the account lacks the permission.
                let key = if creds.is_none() {
                    "auth.no_credentials"
                } else {
                    "auth.scope_denied"
                };
                let mut o = ctx
                    .obs(key)
                    .evidence("realm request", shown_url)
                    .evidence("asked", format!("repository:{r}:{actions}"))
                    .evidence(
                        "granted",
                        if g.is_empty() {
                            "nothing".to_string()
                        } else {
                            g.join(",")
                        },
                    )
                    .evidence("as", who);
                for (k, v) in lifetime {
                    o = o.evidence(k, v);
                }
                result.observations.push(o);
                result.status = Some(Status::Fail);
            }
        }
        return result;
    }
    let key = if matches!(status.as_u16(), 401 | 403) {
        if creds.is_some() {
            "auth.bad_credentials"
        } else {
            "auth.no_credentials"
        }
    } else if a.json.is_none() {
        "auth.realm_not_json"
    } else {
        "auth.realm_unreachable"
    };
    observations.push(
        a.with_headers(
            ctx.obs(key)
                .var("realm_host", realm_host.clone())
                .evidence("realm request", shown_url)
                .evidence("status", status.to_string()),
        )
        .evidence("credentials", creds_note.to_string())
        .evidence("body", a.shape.clone()),
    );
    ProbeResult::fail(format!("the token realm answered {status}"), observations)
}
