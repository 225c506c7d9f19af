//! Property loops over every parser that reads untrusted input: random bytes, mutations and
//! splices of real inputs, and parser-flavoured tokens dropped in. The property is "never
//! panics" (plus, for explain, "random bytes match no rule").
//!
//! Two modes:
//! - quick (default, in every `scripts/test`): a fixed seed per target and a few thousand
//!   cases, so a failure reproduces; inputs saved under `fixtures/fuzz/<target>/` are replayed
//!   first, as regression tests.
//! - timed (`REGDOCTOR_FUZZ_SECS=N`, what `scripts/fuzz` sets): each target runs for N seconds
//!   from a seed taken from the clock (or `REGDOCTOR_FUZZ_SEED`), prints the number of cases
//!   it ran, and saves every input that panics to `target/fuzz-crashes/` for a regression test.
//!
//! Why loops and not cargo-fuzz or proptest: cargo-fuzz needs a nightly toolchain, which these
//! machines do not have; proptest's strength is shrinking structured inputs, while these
//! properties take raw bytes, and it would add a dependency tree to every build on a shared
//! 2-core machine. A hand-rolled mutator over real seeds does the same job here.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use regdoctor::i18n::Lang;
use regdoctor::rules::RuleSet;
use regdoctor::rules::matcher::Matcher;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max);
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A real input with a few bytes flipped, cut, doubled, or a token or another seed
    /// dropped in.
    fn mutate(&mut self, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..(1 + self.below(6)) {
            let i = if v.is_empty() { 0 } else { self.below(v.len()) };
            match self.below(6) {
                0 if !v.is_empty() => v[i] = self.next() as u8,
                1 => v.truncate(i),
                2 => {
                    let tail = v[i..].to_vec();
                    v.extend_from_slice(&tail);
                }
                3 | 4 => {
                    let t = TOKENS[self.below(TOKENS.len())];
                    v.splice(i..i, t.bytes());
                }
                _ if !others.is_empty() => {
                    let other = &others[self.below(others.len())];
                    let from = self.below(other.len());
                    v.splice(i.., other[from..].iter().copied());
                }
                _ => {}
            }
        }
        v
    }
}

/// Bytes that mean something to one parser or another.
const TOKENS: &[&str] = &[
    "\"",
    "\\",
    ",",
    "=",
    ":",
    ";",
    "/",
    "@",
    "[",
    "]",
    "*",
    ".",
    " ",
    "\t",
    "\n",
    "\r\n",
    "%",
    "?",
    "#",
    "{",
    "}",
    "[]",
    "null",
    "0",
    "-1",
    "99999999999999999999",
    "realm=",
    "Bearer ",
    "Basic ",
    "scope=\"",
    "repository:",
    "https://",
    "http://",
    "::1",
    "[::1]:5000",
    "127.0.0.1",
    "10.0.0.0/8",
    "*.",
    "xn--",
    "@sha256:",
    ":latest",
    "\u{00e9}",
    "\u{ff0e}",
    "\u{1F600}",
    "\x1b[31m",
    "\0",
    "eyJ",
    "==",
    "\"auth\":\"",
    "\"auths\":{",
];

/// How long, from the environment; `None` is quick mode.
fn budget() -> Option<Duration> {
    std::env::var("REGDOCTOR_FUZZ_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every file under `dir` (one level of subfolders), sorted: corpora and regressions.
fn files_under(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// Runs `check` on generated inputs: replays saved regressions, then `quick_cases` cases
/// (quick mode) or as many as fit in the budget (timed mode). Panics at the end, naming the
/// saved inputs, if any case panicked.
fn fuzz(name: &str, seeds: &[Vec<u8>], max_random: usize, quick_cases: u64, check: impl Fn(&[u8])) {
    let name_hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let budget = budget();
    let seed = match (budget, std::env::var("REGDOCTOR_FUZZ_SEED").ok()) {
        (_, Some(s)) => s.trim().parse().unwrap_or(name_hash),
        (Some(_), None) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            (now.as_nanos() as u64) ^ name_hash
        }
        (None, None) => name_hash,
    } | 1;
    let mut rng = Rng(seed);
    let started = Instant::now();
    let mut crashes: Vec<PathBuf> = Vec::new();
    let crash_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    let run_one = |input: &[u8], case: u64, crashes: &mut Vec<PathBuf>| {
        if catch_unwind(AssertUnwindSafe(|| check(input))).is_err() {
            let _ = std::fs::create_dir_all(&crash_dir);
            let path = crash_dir.join(format!("{name}-{seed}-{case}.bin"));
            let _ = std::fs::write(&path, input);
            crashes.push(path);
        }
    };

    // Saved regressions first: each once, in both modes.
    for (i, input) in files_under(&fixtures().join("fuzz").join(name))
        .iter()
        .enumerate()
    {
        run_one(input, i as u64, &mut crashes);
    }
    let mut cases = 0u64;
    loop {
        match budget {
            None if cases >= quick_cases => break,
            Some(b) if cases.is_multiple_of(64) && started.elapsed() >= b => break,
            _ => {}
        }
        if crashes.len() >= 20 {
            break;
        }
        let input = if cases.is_multiple_of(3) || seeds.is_empty() {
            rng.bytes(max_random)
        } else {
            let s = &seeds[rng.below(seeds.len())];
            rng.mutate(s, seeds)
        };
        run_one(&input, cases, &mut crashes);
        cases += 1;
    }
    eprintln!(
        "fuzz {name}: {cases} cases in {:.1} s (seed {seed}), {} crash(es)",
        started.elapsed().as_secs_f64(),
        crashes.len()
    );
    assert!(
        crashes.is_empty(),
        "fuzz {name}: inputs that panic were saved to {crashes:?}; copy them to \
         fixtures/fuzz/{name}/ to keep them as regression tests once fixed"
    );
}

fn strs(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|s| s.as_bytes().to_vec()).collect()
}

#[test]
fn fuzz_www_authenticate() {
    let seeds = strs(&[
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        r#"Bearer realm=https://r.example/token,service=r.example,error="insufficient_scope""#,
        r#"Basic realm="basic-realm", Bearer realm="https://t/x", Negotiate abc=="#,
        r#"Bearer realm="https://t/x",scope="repository:a/b:pull repository:c:push registry:catalog:*""#,
        "Bearer",
    ]);
    fuzz("www_authenticate", &seeds, 300, 20_000, |input| {
        let text = String::from_utf8_lossy(input);
        let values: Vec<&str> = text.split('\n').collect();
        if let Ok(list) = regdoctor::net::www_auth::parse(&values) {
            for c in list {
                let _ = (
                    c.is_bearer(),
                    c.is_basic(),
                    c.realm(),
                    c.service(),
                    c.error(),
                );
                let _ = (c.scopes(), c.token68(), c.docker_value("realm"));
            }
        }
        let _ = regdoctor::net::www_auth::parse_scopes(&text);
        let _ = regdoctor::net::www_auth::parse_scope(&text);
    });
}

#[test]
fn fuzz_image_reference() {
    let seeds = strs(&[
        "registry.cn-hangzhou.aliyuncs.com/library/node:18-alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "nginx",
        "docker.io/library/nginx:1.25",
        "https://registry.example.com:5443/v2/",
        "[::1]:5000/team/app:1",
        "localhost:5000/a/b/c",
        "swr.cn-north-4.myhuaweicloud.com/ns/app@sha256:abc",
    ]);
    fuzz("image_reference", &seeds, 200, 20_000, |input| {
        let text = String::from_utf8_lossy(input);
        if let Ok(t) = regdoctor::target::parse_target(&text) {
            let _ = (
                t.reference(),
                t.registry.host_port(),
                t.registry.config_key(),
            );
            let _ = (t.registry.dial_host(), t.registry.is_loopback());
        }
    });
}

/// A config file parser, fed through a real file (they take paths, as the engines do).
fn fuzz_json_file(name: &str, seeds: &[Vec<u8>], read: impl Fn(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    fuzz(name, seeds, 400, 1_500, |input| {
        std::fs::write(&file, input).unwrap();
        read(&file);
    });
}

#[test]
fn fuzz_config_json() {
    let seeds = strs(&[
        r#"{"auths":{"https://index.docker.io/v1/":{"auth":"Ym9iOnB3"}},"credsStore":"desktop","credHelpers":{"r":"ecr-login"}}"#,
        r#"{"auths":{"r.example:5000":{"auth":"","identitytoken":"tok"}, "x": null}}"#,
        r#"{"auths":{"a":{"auth":"!!notbase64"}, "b":{"auth":"bm9jb2xvbg=="}}}"#,
    ]);
    fuzz_json_file("config_json", &seeds, |p| {
        if let Ok(Some(c)) = regdoctor::config::docker_config::read(p) {
            for (k, e) in &c.auths {
                let _ = regdoctor::config::docker_config::normalise_key(k);
                if let Some(a) = &e.auth {
                    let _ = regdoctor::config::docker_config::decode_auth(a);
                }
            }
        }
    });
}

#[test]
fn fuzz_daemon_json() {
    let seeds = strs(&[
        r#"{"registry-mirrors":["https://m.example"],"insecure-registries":["10.0.0.0/8"],"proxies":{"https-proxy":"http://p:1"}}"#,
        r#"{"data-root":"/data/docker","registry-mirrors":null,"proxies":{"no-proxy":"*.corp,10.0.0.0/8"}}"#,
    ]);
    fuzz_json_file("daemon_json", &seeds, |p| {
        if let Ok(Some(c)) = regdoctor::config::daemon_json::read(p) {
            for m in &c.registry_mirrors {
                let _ = regdoctor::probe::daemon_config::mirror_problem(m);
            }
        }
    });
}

#[test]
fn fuzz_no_proxy() {
    // Input: NO_PROXY value, then a host, then a proxy URL, separated by newlines.
    let seeds = strs(&[
        "*.aliyuncs.com,.example.com,10.0.0.0/8,[::1]:5000\nregistry.cn-hangzhou.aliyuncs.com\nhttp://proxy:3128",
        "localhost,127.0.0.1,*\n10.1.2.3\nsocks5://u:p@p:1080",
        ".corp:443,fd00::/8, ,\nr.corp\nproxy.corp:3128",
    ]);
    // The same body as the coverage-guided target (`fuzz/`), run here for a bounded time.
    fuzz("no_proxy", &seeds, 200, 20_000, |input| {
        regdoctor::fuzzing::run("no_proxy", input)
    });
}

#[test]
fn fuzz_jwt() {
    // Every other case is a well-formed JWT whose payload is the (mutated) input, so the JSON
    // reader is exercised, not only the base64 splitting.
    let seeds = strs(&[
        r#"{"iss":"auth.docker.io","sub":"bob","exp":1900000000,"access":[{"type":"repository","name":"library/alpine","actions":["pull","push"]}]}"#,
        r#"{"access":[{"type":"registry","name":"catalog","actions":["*"]}],"aud":["a","b"]}"#,
        "eyJhbGciOiJub25lIn0.eyJhY2Nlc3MiOltdfQ.c2ln",
    ]);
    use base64::Engine as _;
    let flip = std::cell::Cell::new(false);
    fuzz("jwt", &seeds, 300, 20_000, |input| {
        flip.set(!flip.get());
        let token = if flip.get() {
            format!(
                "eyJhbGciOiJub25lIn0.{}.c2ln",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(input)
            )
        } else {
            String::from_utf8_lossy(input).into_owned()
        };
        if let Ok(c) = regdoctor::net::jwt::decode_claims(&token) {
            let _ = c.granted_actions("repository", "library/alpine");
            let _ = c.grants("registry", "catalog", "*");
        }
    });
}

#[test]
fn fuzz_redaction() {
    let seeds = strs(&[
        "Authorization: Bearer abc.def-123 and {\"auth\":\"dXNlcjpwYXNz\"}",
        "HTTPS_PROXY=http://bob:hunter22@proxy:3128 docker login -u bob -p hunter22 r.io",
        "GET https://r/token?access_token=sekrit&x=1 eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln",
    ]);
    fuzz("redaction", &seeds, 300, 20_000, |input| {
        let _ = regdoctor::report::redact::text(&String::from_utf8_lossy(input));
    });
}

#[test]
fn fuzz_explain_matcher() {
    let rules = RuleSet::embedded().unwrap();
    let matcher = Matcher::new(&rules).unwrap();
    // The error corpus is the seed: every rule's own fixtures, mutated.
    let seeds = files_under(&fixtures().join("errors"));
    assert!(seeds.len() > 50, "the error corpus is missing");
    fuzz("explain", &seeds, 4000, 300, |input| {
        let _ = regdoctor::explain::explain(&rules, &matcher, input, Lang::En).unwrap();
    });
}

#[test]
fn explain_ignores_random_bytes() {
    let rules = RuleSet::embedded().unwrap();
    let matcher = Matcher::new(&rules).unwrap();
    let mut rng = Rng(42);
    for _ in 0..250 {
        let input = rng.bytes(4000);
        let got =
            regdoctor::explain::explain(&rules, &matcher, input.as_slice(), Lang::En).unwrap();
        assert!(
            got.findings.is_empty(),
            "random bytes matched a rule: {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

const RUNTIME_SEEDS: &[&str] = &[
    "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"m.example\"]\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"r:5000\".tls]\n  insecure_skip_verify = true\n",
    "server = \"https://registry-1.docker.io\"\n[host.\"https://m.example/v2\"]\n  capabilities = [\"pull\", \"resolve\"]\n  skip_verify = true\n  ca = [\"a.crt\"]\n",
    "unqualified-search-registries = [\"docker.io\"]\n[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\nblocked = true\n[[registry.mirror]]\nlocation = \"https://m\"\n[aliases]\n\"x\" = \"docker.io/library/x\"\n[registries.insecure]\nregistries = ['a']\n",
    r#"{"default":[{"type":"reject"}],"transports":{"docker":{"r.example/team":[{"type":"signedBy","keyPath":"/k"}],"":[{"type":"insecureAcceptAnything"}]}}}"#,
    "[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// $DOCKER_OPTS ${OPTIONS} --registry-mirror=https://m \\\n  -g /data --insecure-registry \"r:5000\"\nEnvironment=\"A=b c\" D=“e”\n",
    "DOCKER_OPTS=\"--registry-mirror https://m --dns 8.8.8.8\"\nexport OPTIONS='--selinux-enabled'\n",
    r#"{"RegistryConfig":{"InsecureRegistryCIDRs":["127.0.0.0/8"],"IndexConfigs":{"r:5000":{"Secure":false}},"Mirrors":["https://m/"]},"HTTPProxy":"http://xxxxx:xxxxx@p:3128","ServerErrors":null}"#,
];

/// The runtime configuration readers (containerd, registries.conf, policy.json, systemd units,
/// dockerd flags) on random bytes and mutated real files: never a panic.
#[test]
fn runtime_config_parsers_never_panic() {
    use regdoctor::config::{containerd, dockerd_flags, policy_json, registries_conf, systemd};
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let dir = tempfile::tempdir().unwrap();
    let unit_dir = dir.path().join("docker.service.d");
    std::fs::create_dir_all(&unit_dir).unwrap();
    let paths = dockerd_flags::Paths {
        units: vec![dir.path().join("docker.service")],
        dropin_dir: unit_dir.clone(),
        default_file: dir.path().join("default"),
        sysconfig_file: dir.path().join("sysconfig"),
    };
    for i in 0..20_000 {
        let input = if i % 2 == 0 {
            rng.bytes(400)
        } else {
            rng.mutate(RUNTIME_SEEDS[i % RUNTIME_SEEDS.len()].as_bytes(), &[])
        };
        let text = String::from_utf8_lossy(&input);
        let _ = containerd::parse(&text);
        let _ = containerd::parse_hosts(&text, std::path::Path::new("/h/hosts.toml"));
        let _ = containerd::host_url_problem(&text, i % 3 == 0);
        let _ = containerd::legacy_endpoint_problem(&text);
        let mut conf = registries_conf::RegistriesConf::default();
        let _ = registries_conf::parse_into(&mut conf, &text, std::path::Path::new("/r.conf"));
        let _ = conf.find(&text);
        let half: String = text.chars().take(text.chars().count() / 2).collect();
        let _ = registries_conf::prefix_match_len(&text, &half);
        let _ = registries_conf::prefix_match_len(&half, &text);
        let _ = policy_json::scopes(&text);
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&text) {
            let _ = policy_json::applied(&m, "r.example/team/app:1");
        }
        let _ = systemd::parse_unit(&text);
        let _ = regdoctor::config::docker_info::parse(&text);
        let _ = regdoctor::config::docker_info::without_userinfo(&text);
        let words = dockerd_flags::split_words(&text);
        let _ = dockerd_flags::without_words(&text, &words[..words.len().min(2)]);
        let _ = dockerd_flags::parse_env_file(&text);
        if i % 10 == 0 {
            std::fs::write(dir.path().join("docker.service"), &input).unwrap();
            std::fs::write(unit_dir.join("o.conf"), &input).unwrap();
            std::fs::write(dir.path().join("default"), &input).unwrap();
            std::fs::write(dir.path().join("sysconfig"), &input).unwrap();
            let _ = dockerd_flags::read(&paths);
            let f = dir.path().join("x.toml");
            std::fs::write(&f, &input).unwrap();
            let _ = containerd::read(&f);
            let _ = registries_conf::read(&f, &unit_dir);
            let _ = policy_json::read(&f);
        }
    }
}

/// The coverage-guided targets (`fuzz/`, run by `scripts/fuzz`) on their seeds and on every
/// input that once crashed one of them (`fixtures/fuzz/<target>/`): the exact code the fuzzer
/// ran, now in the normal test run.
#[test]
fn coverage_guided_targets_replay_their_seeds_and_crashes() {
    let mut replayed = 0;
    for target in regdoctor::fuzzing::TARGETS {
        for dir in ["fuzz-seeds", "fuzz"] {
            for input in files_under(&fixtures().join(dir).join(target)) {
                regdoctor::fuzzing::run(target, &input);
                replayed += 1;
            }
        }
        // Edge shapes every parser meets: nothing, one byte, a lone UTF-8 lead byte.
        for input in [&b""[..], b"\0", b"\xe2", b"[", b"{\"a\":"] {
            regdoctor::fuzzing::run(target, input);
        }
    }
    assert!(
        replayed >= 20,
        "the fuzz seeds are missing ({replayed} replayed)"
    );
}
