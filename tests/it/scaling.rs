//! Cost that grows with the input, never faster: each parser of untrusted input gets an input
//! of n units and one of 4n, and the time per byte must not grow (a quadratic parser's would
//! be 4 times larger). Measured as a ratio of the best of several runs, not a wall-clock
//! limit, so a slow or busy machine does not fail it.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// Time per byte may grow by this factor from n to 4n (linear is about 1, quadratic 4).
const MAX_GROWTH: f64 = 2.5;
const RUNS: usize = 5;

fn best_of(run: &dyn Fn()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// `make(n)` builds an input of n units and says its size in bytes; `run` parses it.
fn assert_linear<T>(what: &str, n: usize, make: impl Fn(usize) -> (T, usize), run: impl Fn(&T)) {
    let (small, small_bytes) = make(n);
    run(&small); // warm-up: first-use initialisations are not the parser's cost
    let t_small = best_of(&|| run(&small));
    // Built after the small run: state the input brings (registered secrets) grows too.
    let (big, big_bytes) = make(4 * n);
    let t_big = best_of(&|| run(&big));
    let per_byte = |t: Duration, b: usize| t.as_secs_f64() / b as f64;
    let growth = per_byte(t_big, big_bytes) / per_byte(t_small, small_bytes).max(1e-12);
    eprintln!("{what}: time per byte x{growth:.2} from {small_bytes} to {big_bytes} bytes");
    assert!(
        growth < MAX_GROWTH,
        "{what}: time per byte grew {growth:.2} times from {small_bytes} to {big_bytes} bytes \
         ({t_small:?} -> {t_big:?})"
    );
}

fn in_file(dir: &Path, name: &str, text: String) -> (std::path::PathBuf, usize) {
    let p = dir.join(name);
    let len = text.len();
    std::fs::write(&p, text).unwrap();
    (p, len)
}

#[test]
fn config_json_with_many_auths() {
    let dir = tempfile::tempdir().unwrap();
    assert_linear(
        "config.json",
        4_000,
        |n| {
            let auths: Vec<String> = (0..n)
                .map(|i| {
                    let auth = base64_of(&format!("scaling-user-{i}:scaling-pass-{i:07}"));
                    format!(r#""r{i}.example":{{"auth":"{auth}","email":"x"}}"#)
                })
                .collect();
            let text = format!(r#"{{"auths":{{{}}},"credsStore":"x"}}"#, auths.join(","));
            in_file(dir.path(), &format!("config-{n}.json"), text)
        },
        |p| {
            black_box(regdoctor::config::docker_config::read(p).unwrap());
        },
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn daemon_json_with_many_entries() {
    let dir = tempfile::tempdir().unwrap();
    assert_linear(
        "daemon.json",
        2_000,
        |n| {
            let list = |what: &str| {
                (0..n)
                    .map(|i| format!("\"https://{what}{i}.example\""))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let text = format!(
                r#"{{"registry-mirrors":[{}],"insecure-registries":[{}],"labels":[{}]}}"#,
                list("m"),
                list("i"),
                list("l")
            );
            in_file(dir.path(), &format!("daemon-{n}.json"), text)
        },
        |p| {
            black_box(regdoctor::config::daemon_json::read(p).unwrap());
        },
    );
}

#[test]
fn containerd_hosts_toml_and_config_toml() {
    assert_linear(
        "hosts.toml",
        1_000,
        |n| {
            let mut t = String::from("server = \"https://r.example\"\n");
            for i in 0..n {
                t.push_str(&format!(
                    "[host.\"https://mirror{i}.example\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = [\"/etc/ca{i}.crt\"]\n"
                ));
            }
            let len = t.len();
            (t, len)
        },
        |t| {
            black_box(
                regdoctor::config::containerd::parse_hosts(t, Path::new("/h/hosts.toml")).unwrap(),
            );
        },
    );
    assert_linear(
        "containerd config.toml",
        1_000,
        |n| {
            let mut t = String::from("version = 2\n");
            for i in 0..n {
                t.push_str(&format!(
                    "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"r{i}.example\"]\n  endpoint = [\"https://m{i}.example\"]\n"
                ));
            }
            let len = t.len();
            (t, len)
        },
        |t| {
            black_box(regdoctor::config::containerd::parse(t).unwrap());
        },
    );
}

#[test]
fn registries_conf_with_many_registries_and_aliases() {
    use regdoctor::config::registries_conf::{self, RegistriesConf};
    assert_linear(
        "registries.conf",
        3_000,
        |n| {
            let mut t = String::from("[aliases]\n");
            for i in 0..n {
                t.push_str(&format!("\"a{i}\" = \"docker.io/library/a{i}\"\n"));
            }
            for i in 0..n {
                t.push_str(&format!(
                    "[[registry]]\nprefix = \"r{i}.example\"\nlocation = \"r{i}.example\"\n"
                ));
            }
            let len = t.len();
            (t, len)
        },
        |t| {
            let mut conf = RegistriesConf::default();
            registries_conf::parse_into(&mut conf, t, Path::new("/r.conf")).unwrap();
            // A drop-in repeating every entry: each replaces the one before.
            registries_conf::parse_into(&mut conf, t, Path::new("/d/50.conf")).unwrap();
            black_box(conf.find("r7.example/app"));
        },
    );
}

#[test]
fn policy_json_and_systemd_units() {
    assert_linear(
        "policy.json",
        2_000,
        |n| {
            let scopes: Vec<String> = (0..n)
                .map(|i| format!(r#""r{i}.example/team":[{{"type":"reject"}}]"#))
                .collect();
            let text = format!(
                r#"{{"default":[{{"type":"insecureAcceptAnything"}}],"transports":{{"docker":{{{}}}}}}}"#,
                scopes.join(",")
            );
            let len = text.len();
            (text, len)
        },
        |t| {
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(t).unwrap();
            black_box(regdoctor::config::policy_json::applied(
                &map,
                "r9.example/team/app:1",
            ));
        },
    );
    assert_linear(
        "docker.service",
        2_000,
        |n| {
            let mut t = String::from("[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd://");
            for i in 0..n {
                t.push_str(&format!(" \\\n  --registry-mirror=https://m{i}.example"));
            }
            t.push('\n');
            for i in 0..n {
                t.push_str(&format!("Environment=\"V{i}=x y\" W{i}=z\n"));
            }
            let len = t.len();
            (t, len)
        },
        |t| {
            black_box(regdoctor::config::systemd::parse_unit(t));
            black_box(regdoctor::config::dockerd_flags::parse_env_file(t));
            black_box(regdoctor::config::dockerd_flags::split_words(t));
        },
    );
}

#[test]
fn hosts_file_and_certs_d() {
    let dir = tempfile::tempdir().unwrap();
    assert_linear(
        "hosts file",
        20_000,
        |n| {
            let text: String = (0..n)
                .map(|i| {
                    format!(
                        "10.{}.{}.{} h{i}.example r.example\n",
                        i >> 16,
                        (i >> 8) & 255,
                        i & 255
                    )
                })
                .collect();
            in_file(dir.path(), &format!("hosts-{n}"), text)
        },
        |p| {
            black_box(regdoctor::net::resolver::hosts_file_lookup(p, "r.example"));
        },
    );
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["ca.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem();
    assert_linear(
        "certs.d bundle",
        200,
        |n| {
            let root = dir.path().join(format!("certs-{n}"));
            std::fs::create_dir_all(root.join("r.example")).unwrap();
            let (_, len) = in_file(&root.join("r.example"), "ca.crt", cert.repeat(n));
            (root, len)
        },
        |root| {
            black_box(regdoctor::net::trust::load(root, "r.example"));
        },
    );
}

#[test]
fn bodies_and_redaction() {
    use regdoctor::report::redact;
    assert_linear(
        "body shape",
        20_000,
        |n| {
            let items: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"code":"E{i}","message":"m","detail":{{"k":[1,2]}}}}"#))
                .collect();
            let body = format!(
                r#"{{"errors":[{}],"token":"{}"#,
                items.join(","),
                "x".repeat(n)
            );
            let len = body.len();
            (body.into_bytes(), len)
        },
        |b| {
            black_box(redact::body_shape(b, true));
        },
    );
    // Text full of things to mask, with as many registered secrets as lines: 4 times the
    // text with 4 times the secrets must cost 4 times, not 16.
    let registered = std::cell::Cell::new(0);
    assert_linear(
        "redaction",
        2_000,
        |n| {
            for i in registered.get()..n {
                redact::register_secret(&format!("scaling-secret-{i:07}"));
            }
            registered.set(registered.get().max(n));
            let text: String = (0..n)
                .map(|i| {
                    format!(
                        "Authorization: Bearer tok{i} {{\"token\":\"t{i}\"}} access_token=a{i}&x=1 scaling-secret-{i:07} sha256:{}\n",
                        "ab".repeat(32)
                    )
                })
                .collect();
            let len = text.len();
            (text, len)
        },
        |t| {
            black_box(redact::text(t));
        },
    );
}

#[test]
fn www_authenticate_jwt_and_no_proxy() {
    assert_linear(
        "WWW-Authenticate",
        2_000,
        |n| {
            let scopes: Vec<String> = (0..n).map(|i| format!("repository:t/a{i}:pull")).collect();
            let h = format!(
                "Bearer realm=\"https://a.example/token\",service=\"s\",scope=\"{}\"",
                scopes.join(" ")
            );
            let len = h.len();
            (h, len)
        },
        |h| {
            black_box(regdoctor::net::www_auth::parse(&[h.as_str()]).ok());
        },
    );
    assert_linear(
        "JWT claims",
        120,
        |n| {
            use base64::Engine as _;
            let access: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"type":"repository","name":"t/a{i}","actions":["pull"]}}"#))
                .collect();
            let payload = format!(r#"{{"sub":"x","access":[{}]}}"#, access.join(","));
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
            let token = format!("eyJhbGciOiJub25lIn0.{b64}.c2ln");
            let len = token.len();
            (token, len)
        },
        |t| {
            let c = regdoctor::net::jwt::decode_claims(t).unwrap();
            black_box(c.granted_actions("repository", "t/a7"));
        },
    );
    assert_linear(
        "NO_PROXY",
        2_000,
        |n| {
            let list: Vec<String> = (0..n)
                .map(|i| format!(".d{i}.example,10.{}.0.0/16", i & 255))
                .collect();
            let v = list.join(",");
            let len = v.len();
            (v, len)
        },
        |v| {
            let env = regdoctor::net::go_proxy::ProxyEnv {
                http_proxy: Some("http://p:3128".into()),
                https_proxy: Some("http://p:3128".into()),
                no_proxy: Some(v.clone()),
                cgi: false,
            };
            let url = url::Url::parse("https://r.example/v2/").unwrap();
            black_box(regdoctor::net::go_proxy::decide(&env, &url).ok());
            black_box(regdoctor::net::go_proxy::curl_no_proxy_matches(
                v,
                "r.example",
            ));
        },
    );
}
