//! The registry protocol against Debian's real `docker-registry` in token-auth mode, with the
//! test token server (`support::token`) signing what its policy grants: pull and push scope,
//! wrong passwords, identity tokens (OAuth2 POST), a dead realm, missing repositories and tags,
//! `--probe-push`, multi-platform images and podman's auth.json; and a pull-through cache for
//! the read-only case.

use std::path::Path;

use crate::support::cmd::{Regdoctor, Run};
use crate::support::pki::{Ca, LeafOpts};
use crate::support::registry::{Registry, RegistryOpts, free_port};
use crate::support::report::{check, check_status, evidence_text, finding, top};
use crate::support::token::{Policy, TokenServer};

const READER: (&str, &str) = ("reader", "R3ader-Secret!");
const WRITER: (&str, &str) = ("writer", "Wr1ter-Secret!");
const PUSHER: (&str, &str) = ("pusher", "Pu5her-Secret!");
const REFRESH: &str = "refresh-token-0123456789abcdef";

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

struct Setup {
    reg: Registry,
    tokens: TokenServer,
    dir: tempfile::TempDir,
}

fn policy() -> Policy {
    Policy::default()
        .user(READER.0, READER.1, &["pull"])
        .user(WRITER.0, WRITER.1, &["pull", "push", "delete"])
        .user(PUSHER.0, PUSHER.1, &["pull", "push"])
        .refresh_token(REFRESH, WRITER.0)
}

/// A plain-HTTP registry on loopback (insecure by Docker's default) whose tokens come from an
/// HTTPS realm trusted through the registry's certs.d folder, holding `team/app:1.0`.
fn setup(policy: Policy) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Token Realm Test CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let tokens = TokenServer::start_tls(dir.path(), policy, &leaf.chain_pem, &leaf.key_pem);
    let reg = Registry::start(RegistryOpts {
        token: Some(tokens.auth()),
        ..RegistryOpts::default()
    });
    // Docker trusts the realm with the registry's certs.d folder: its requests to the realm
    // use the registry endpoint's TLS configuration.
    let certs = dir.path().join("certs.d").join(&reg.addr);
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca.crt"), &ca.cert_pem).unwrap();
    reg.push_image(
        "team/app",
        "1.0",
        Some(&tokens.bearer("team/app", &["pull", "push"])),
        &[("linux", "amd64")],
    );
    Setup { reg, tokens, dir }
}

fn config_for(dir: &Path, registry: &str, auth: Option<(&str, &str)>) -> String {
    let d = dir.join(format!("docker-{}", auth.map_or("anon", |a| a.0)));
    std::fs::create_dir_all(&d).unwrap();
    let json = match auth {
        Some((u, p)) => format!(
            r#"{{"auths":{{"{registry}":{{"auth":"{}"}}}}}}"#,
            b64(&format!("{u}:{p}"))
        ),
        None => "{}".into(),
    };
    let f = d.join("config.json");
    std::fs::write(&f, json).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    d.to_str().unwrap().to_string()
}

impl Setup {
    fn run(&self, image: &str, auth: Option<(&str, &str)>, extra: &[&str]) -> Run {
        let config = config_for(self.dir.path(), &self.reg.addr, auth);
        self.command(image, &config, extra).run()
    }

    /// `check <registry>/<image> --json`, trusting the realm, with this Docker config folder.
    fn command(&self, image: &str, docker_config: &str, extra: &[&str]) -> Regdoctor {
        Regdoctor::new()
            .args(["check", &format!("{}/{image}", self.reg.addr), "--json"])
            .arg("--certs-dir")
            .arg(self.dir.path().join("certs.d").to_str().unwrap())
            .args(["--docker-config", docker_config])
            .args(extra.iter().copied())
    }
}

fn assert_no_secret(run: &Run) {
    for secret in [READER.1, WRITER.1, PUSHER.1, REFRESH] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret was printed"
        );
    }
    assert!(
        !run.stdout.contains("eyJ"),
        "a JWT was printed: {}",
        run.stdout
    );
}

#[test]
fn a_pull_only_account_passes_a_pull_and_is_told_it_cannot_push() {
    let s = setup(policy());
    let run = s.run("team/app:1.0", Some(READER), &[]);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let auth = check(&report, "auth");
    let summary = auth["summary"].as_str().unwrap();
    assert!(
        summary.contains("grants team/app: [pull]") && summary.contains("config.json"),
        "names the grant and the credential source: {summary}"
    );
    assert_eq!(check_status(&report, "manifest"), "pass", "{report:#}");
    let info = finding(&report, "RD-AUTH-018").expect("says the account may not push");
    assert_eq!(info["severity"], "info");
    assert!(evidence_text(info).contains("granted: pull"), "{info:#}");
    assert_no_secret(&run);
}

/// A push brings its repository into being: on a registry that creates repositories on push,
/// a missing repository is not why a push fails; the missing push grant is.
#[test]
fn a_push_to_a_new_repository_is_judged_by_the_grant_not_the_missing_repository() {
    let s = setup(policy());
    let run = s.run("team/new:1.0", Some(READER), &["--push"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(top(&report)["category"], "auth_scope_denied", "{report:#}");
    assert_eq!(top(&report)["check"], "push");

    let run = s.run("team/new:1.0", Some(WRITER), &["--push"]);
    let report = run.json();
    assert_eq!(run.code, 0, "a writer may create it: {report:#}");
    assert_eq!(check_status(&report, "push"), "pass");
}

#[test]
fn pushing_without_push_permission_is_an_error_with_the_grant_shown() {
    let s = setup(policy());
    let run = s.run("team/app:1.0", Some(READER), &["--push"]);
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(top(&report)["category"], "auth_scope_denied", "{report:#}");
    assert_eq!(top(&report)["check"], "push");
    let ev = evidence_text(top(&report));
    assert!(
        ev.contains("repository:team/app:pull,push") && ev.contains("granted: pull"),
        "{ev}"
    );
    // The pull side is still examined.
    assert_eq!(check_status(&report, "manifest"), "pass", "{report:#}");

    let run = s.run("team/app:1.0", Some(WRITER), &["--push"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.json();
    assert_eq!(check_status(&report, "push"), "pass");
    // A login that works leaves no "the registry requires credentials" note; the one note left
    // is about the registry's plain HTTP.
    assert!(finding(&report, "RD-AUTH-013").is_none(), "{report:#}");
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );
    assert_no_secret(&run);
}

#[test]
fn a_wrong_password_and_no_login_are_told_apart() {
    let s = setup(policy());
    let run = s.run("team/app:1.0", Some((READER.0, "not-the-password")), &[]);
    let report = run.json();
    assert_eq!(run.code, 1);
    assert_eq!(
        top(&report)["category"],
        "auth_bad_credentials",
        "{report:#}"
    );
    let ev = evidence_text(top(&report));
    assert!(ev.contains("401") && ev.contains("account=reader"), "{ev}");
    assert!(!run.stdout.contains("not-the-password"));

    // Anonymous, and the realm grants anonymous nothing: the fix is to log in.
    let run = s.run("team/app:1.0", None, &[]);
    let report = run.json();
    assert_eq!(run.code, 1);
    assert_eq!(
        top(&report)["category"],
        "auth_bad_credentials",
        "{report:#}"
    );
    assert!(
        evidence_text(top(&report)).contains("granted: nothing"),
        "{report:#}"
    );
}

#[test]
fn an_identity_token_is_exchanged_with_the_oauth2_form() {
    let s = setup(policy());
    let registry = s.reg.addr.clone();
    let d = s.dir.path().join("docker-idtoken");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("config.json"),
        format!(r#"{{"auths":{{"{registry}":{{"identitytoken":"{REFRESH}"}}}}}}"#),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        d.join("config.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let run = s
        .command("team/app:1.0", d.to_str().unwrap(), &["--push"])
        .run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let summary = check(&report, "auth")["summary"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        summary.contains("identity token") && summary.contains("OAuth2 POST"),
        "{summary}"
    );
    let posts: Vec<_> = s
        .tokens
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert!(
        posts
            .iter()
            .any(|p| p.form.contains("grant_type=refresh_token") && !p.had_authorization),
        "the identity token went in the form, not a Basic header"
    );
    assert_no_secret(&run);
}

#[test]
fn a_realm_that_does_not_answer_is_the_token_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    // A real token server only for its signing bundle; the registry announces a dead realm.
    let tokens = TokenServer::start(dir.path(), policy());
    let mut auth = tokens.auth();
    auth.realm = format!("https://127.0.0.1:{}/token", free_port());
    let reg = Registry::start(RegistryOpts {
        token: Some(auth),
        ..RegistryOpts::default()
    });
    let config = config_for(dir.path(), &reg.addr, Some(READER));
    let run = Regdoctor::new()
        .args(["check", &format!("{}/team/app:1.0", reg.addr), "--json"])
        .args(["--docker-config", &config])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1);
    assert_eq!(
        top(&report)["category"],
        "auth_token_endpoint",
        "{report:#}"
    );
    assert!(
        evidence_text(top(&report))
            .to_lowercase()
            .contains("refused"),
        "{report:#}"
    );
}

#[test]
fn missing_repository_and_missing_tag_are_told_apart_behind_tokens() {
    let s = setup(policy());
    let report = s.run("team/app:2.0", Some(READER), &[]).json();
    assert_eq!(top(&report)["category"], "manifest_unknown", "{report:#}");
    assert!(
        evidence_text(top(&report)).contains("1.0"),
        "lists the tags"
    );
    let report = s.run("team/nothing:1.0", Some(READER), &[]).json();
    assert_eq!(top(&report)["category"], "repo_not_found", "{report:#}");
}

#[test]
fn probe_push_starts_an_upload_cancels_it_and_says_so() {
    let s = setup(policy());
    let run = s.run("team/app:1.0", Some(WRITER), &["--probe-push"]);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let push = check(&report, "push");
    assert!(
        push["summary"]
            .as_str()
            .unwrap()
            .contains("started and cancelled"),
        "{push:#}"
    );
    let log = s.reg.log();
    assert!(
        log.contains("\"POST /v2/team/app/blobs/uploads/")
            && log.contains("\"DELETE /v2/team/app/blobs/uploads/"),
        "the registry saw the upload and its cancel:\n{log}"
    );

    // Push but no delete: the cancel is refused; nothing was written, so it is only a note.
    let run = s.run("team/app:1.0", Some(PUSHER), &["--probe-push"]);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let note = finding(&report, "RD-SRV-013").expect("says the cancel was refused");
    assert_eq!(note["severity"], "info");
    assert!(evidence_text(note).contains("401"), "{note:#}");

    let run = s.run("team/app:1.0", Some(READER), &["--probe-push"]);
    let report = run.json();
    assert_eq!(run.code, 1);
    assert_eq!(top(&report)["category"], "auth_scope_denied", "{report:#}");
    assert_no_secret(&run);
}

#[test]
fn a_default_check_sends_no_write_request() {
    let s = setup(policy());
    let before = s.reg.log().len();
    let run = s.run("team/app:1.0", Some(WRITER), &["--push"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let log = &s.reg.log()[before..];
    assert!(log.contains("\"HEAD /v2/team/app/manifests/1.0"), "{log}");
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        assert!(
            !log.contains(&format!("\"{method} /v2/")),
            "a default check sent {method}:\n{log}"
        );
    }
}

#[test]
fn a_pull_through_cache_refuses_the_push_probe_as_unsupported() {
    // distribution pings its upstream at start, so the cache fronts a real registry.
    let upstream = Registry::start(RegistryOpts::default());
    let reg = Registry::start(RegistryOpts {
        proxy_remote: Some(upstream.url()),
        ..RegistryOpts::default()
    });
    let run = Regdoctor::new()
        .args(["check", &format!("{}/library/app", reg.addr), "--json"])
        .args(["--probe-push", "--only", "push"])
        .run();
    let report = run.json();
    assert_eq!(run.code, 1, "{report:#}");
    assert_eq!(
        top(&report)["category"],
        "unsupported_operation",
        "{report:#}"
    );
    assert!(evidence_text(top(&report)).contains("405"), "{report:#}");
}

#[test]
fn an_index_without_this_platform_is_a_platform_mismatch() {
    let s = setup(policy());
    s.reg.push_image(
        "team/multi",
        "1.0",
        Some(&s.tokens.bearer("team/multi", &["pull", "push"])),
        &[("linux", "arm64"), ("linux", "s390x")],
    );
    let run = s.run(
        "team/multi:1.0",
        Some(READER),
        &["--platform", "linux/amd64"],
    );
    let report = run.json();
    assert_eq!(run.code, 1);
    assert_eq!(top(&report)["category"], "platform_mismatch", "{report:#}");
    let ev = evidence_text(top(&report));
    assert!(
        ev.contains("linux/arm64") && ev.contains("linux/s390x") && ev.contains("linux/amd64"),
        "{ev}"
    );
    let run = s.run(
        "team/multi:1.0",
        Some(READER),
        &["--platform", "linux/arm64"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn podman_auth_json_is_used_when_registry_auth_file_names_it() {
    let s = setup(policy());
    let auth_json = s.dir.path().join("auth.json");
    std::fs::write(
        &auth_json,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            s.reg.addr,
            b64(&format!("{}:{}", WRITER.0, WRITER.1))
        ),
    )
    .unwrap();
    let empty = config_for(s.dir.path(), &s.reg.addr, None);
    let run = s
        .command("team/app:1.0", &empty, &["--push"])
        .env("REGISTRY_AUTH_FILE", auth_json.to_str().unwrap())
        .run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let summary = check(&report, "auth")["summary"].as_str().unwrap();
    assert!(summary.contains("auth.json"), "names the source: {summary}");
    assert_no_secret(&run);
}

/// Docker's realm requests for an insecure registry (loopback here) skip verification like its
/// registry requests, so an untrusted realm certificate does not stop the login: the auth check
/// gets its token as Docker would, and realm-path still shows the certificate problem.
#[test]
fn an_untrusted_realm_of_an_insecure_registry_still_logs_in_as_docker_does() {
    let s = setup(policy());
    let empty = tempfile::tempdir().unwrap();
    let config = config_for(s.dir.path(), &s.reg.addr, Some(READER));
    let run = Regdoctor::new()
        .args(["check", &format!("{}/team/app:1.0", s.reg.addr), "--json"])
        .args(["--certs-dir", empty.path().to_str().unwrap()])
        .args(["--docker-config", &config])
        .run();
    let report = run.json();
    assert_eq!(check_status(&report, "auth"), "pass", "{report:#}");
    assert_eq!(check_status(&report, "manifest"), "pass", "{report:#}");
    let realm = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"] == "realm-path")
        .unwrap_or_else(|| panic!("realm-path shows the certificate: {report:#}"));
    assert_eq!(realm["category"], "tls_unknown_authority", "{report:#}");
    assert_no_secret(&run);
}

/// A realm named by host (as real registries announce it) is reached through `--resolve` like
/// the registry itself, and its certificate is checked against that name.
#[test]
fn a_realm_host_name_follows_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Named Realm CA");
    let leaf = ca.leaf(LeafOpts {
        dns_names: vec!["auth.regdoctor.test".into()],
        ips: Vec::new(),
        ..LeafOpts::for_localhost()
    });
    let tokens = TokenServer::start_tls(dir.path(), policy(), &leaf.chain_pem, &leaf.key_pem);
    let port = tokens.addr().rsplit(':').next().unwrap().to_string();
    let mut auth = tokens.auth();
    auth.realm = format!("https://auth.regdoctor.test:{port}/token");
    let reg = Registry::start(RegistryOpts {
        token: Some(auth),
        ..RegistryOpts::default()
    });
    reg.push_image(
        "team/app",
        "1.0",
        Some(&tokens.bearer("team/app", &["pull", "push"])),
        &[("linux", "amd64")],
    );
    let certs = dir.path().join("certs.d").join(&reg.addr);
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::write(certs.join("ca.crt"), &ca.cert_pem).unwrap();
    let config = config_for(dir.path(), &reg.addr, Some(READER));
    let run = Regdoctor::new()
        .args(["check", &format!("{}/team/app:1.0", reg.addr), "--json"])
        .args(["--certs-dir", dir.path().join("certs.d").to_str().unwrap()])
        .args(["--docker-config", &config])
        .args([
            "--resolve",
            &format!("auth.regdoctor.test:{port}:127.0.0.1"),
        ])
        .run();
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    assert!(
        check(&report, "auth")["summary"]
            .as_str()
            .unwrap()
            .contains("token from auth.regdoctor.test"),
        "{report:#}"
    );
    assert_eq!(check_status(&report, "realm-path"), "pass", "{report:#}");
}
