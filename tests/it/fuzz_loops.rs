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
