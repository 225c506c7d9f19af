//! Property loops over every parser that reads untrusted input: random bytes and mutations of
//! real inputs, a fixed seed so a failure reproduces. (cargo-fuzz needs a nightly toolchain,
//! which this project's machines do not have; these run in every `scripts/test`.)

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

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.next() as usize) % max;
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// A real input with a few bytes flipped, cut or doubled.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..(self.next() % 6) {
            if v.is_empty() {
                break;
            }
            let i = (self.next() as usize) % v.len();
            match self.next() % 3 {
                0 => v[i] = self.next() as u8,
                1 => v.truncate(i),
                _ => {
                    let tail = v[i..].to_vec();
                    v.extend_from_slice(&tail);
                }
            }
        }
        v
    }
}

const SEEDS: &[&str] = &[
    r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
    "registry.cn-hangzhou.aliyuncs.com/library/node:18-alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    r#"{"auths":{"https://index.docker.io/v1/":{"auth":"Ym9iOnB3"}},"credsStore":"desktop","credHelpers":{"r":"ecr-login"}}"#,
    r#"{"registry-mirrors":["https://m.example"],"insecure-registries":["10.0.0.0/8"],"proxies":{"https-proxy":"http://p:1"}}"#,
    "Error response from daemon: Get \"https://r.example/v2/\": x509: certificate signed by unknown authority",
];

#[test]
fn parsers_never_panic_on_random_or_mutated_input() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    for i in 0..20_000 {
        let input = if i % 2 == 0 {
            rng.bytes(300)
        } else {
            rng.mutate(SEEDS[i % SEEDS.len()].as_bytes())
        };
        let text = String::from_utf8_lossy(&input);
        let _ = regdoctor::target::parse_target(&text);
        let _ = regdoctor::net::www_auth::parse(&[&text]);
        let _ = regdoctor::net::www_auth::parse_scopes(&text);
        let _ = regdoctor::net::jwt::decode_claims(&text);
        let _ = regdoctor::report::redact::text(&text);
        if i % 10 == 0 {
            std::fs::write(&file, &input).unwrap();
            let _ = regdoctor::config::docker_config::read(&file);
            let _ = regdoctor::config::daemon_json::read(&file);
        }
    }
}

#[test]
fn explain_never_panics_and_ignores_random_bytes() {
    let rules = RuleSet::embedded().unwrap();
    let matcher = Matcher::new(&rules).unwrap();
    let mut rng = Rng(42);
    for i in 0..500 {
        let input = if i % 2 == 0 {
            rng.bytes(4000)
        } else {
            rng.mutate(SEEDS[4].as_bytes())
        };
        let got =
            regdoctor::explain::explain(&rules, &matcher, input.as_slice(), Lang::En).unwrap();
        if i % 2 == 0 {
            assert!(
                got.findings.is_empty(),
                "random bytes matched a rule: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
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
            rng.mutate(RUNTIME_SEEDS[i % RUNTIME_SEEDS.len()].as_bytes())
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
