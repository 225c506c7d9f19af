//! `regdoctor explain` end to end.

use crate::support::cmd::Regdoctor;

#[test]
fn unknown_authority_names_cause_and_fixes_in_english_and_chinese() {
    let text = "Error response from daemon: Get \"https://reg.example.com:5000/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority";
    let run = Regdoctor::new().args(["explain", text, "--json"]).run();
    let report = run.json();
    assert_eq!(run.code, 1);
    let top = &report["findings"][0];
    assert_eq!(top["category"], "tls_unknown_authority", "{report:#}");
    let fixes = top["fixes"].to_string();
    assert!(
        fixes.contains("/etc/docker/certs.d/reg.example.com:5000/ca.crt"),
        "{fixes}"
    );
    assert!(fixes.contains("insecure-registries"), "{fixes}");
    assert!(
        fixes.contains("DOCKER_OPTS"),
        "Ubuntu's /etc/default/docker: {fixes}"
    );
    assert!(
        fixes.contains("INSECURE_REGISTRY"),
        "CentOS/EulerOS /etc/sysconfig/docker: {fixes}"
    );
    let all = report.to_string().to_lowercase();
    assert!(
        all.contains("proxy"),
        "a TLS-intercepting proxy is one cause: {all}"
    );
    assert_eq!(report["extracted"]["registry"], "reg.example.com:5000");

    let zh = Regdoctor::new()
        .args(["explain", text, "--lang", "zh"])
        .run();
    assert_eq!(zh.code, 1);
    assert!(zh.stdout.contains("证书"), "{}", zh.stdout);
    assert!(
        zh.stdout
            .contains("/etc/docker/certs.d/reg.example.com:5000/ca.crt")
    );
    let zh_env = Regdoctor::new()
        .args(["explain", text])
        .env("LANG", "zh_CN.UTF-8")
        .run();
    assert!(zh_env.stdout.contains("修复方法"), "{}", zh_env.stdout);
}

#[test]
fn text_without_a_registry_error_gets_no_invented_cause() {
    let run = Regdoctor::new()
        .args(["explain", "--json"])
        .stdin(
            b"Step 3/7 : RUN npm ci\nadded 312 packages in 9s\nSuccessfully built 1a2b3c\n"
                .to_vec(),
        )
        .run();
    let report = run.json();
    // No error at all in it (exit 4): says so, with the hint that stderr may be missing.
    assert_eq!(run.code, 4);
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["input"]["problem"], "no_error_text", "{report:#}");
    assert!(
        report["input"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("2>&1")
    );
}

#[test]
fn binary_garbage_and_invalid_utf8_do_not_crash() {
    let mut junk: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    junk.extend_from_slice(b"\nx509: certificate signed by unknown authority\n\xff\xfe\n");
    let run = Regdoctor::new()
        .args(["explain", "--json"])
        .stdin(junk)
        .run();
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    assert_eq!(
        run.json()["findings"][0]["category"],
        "tls_unknown_authority"
    );
}

#[test]
fn a_rule_code_prints_the_rule() {
    let list = Regdoctor::new().args(["rules", "--json"]).run();
    let rules = list.json();
    let code = rules[0]["code"].as_str().unwrap().to_string();
    let run = Regdoctor::new().args(["explain", &code]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with(&code), "{}", run.stdout);
    let run = Regdoctor::new().args(["rules", "RD-NOPE-999"]).run();
    assert_eq!(run.code, 2);
}

#[test]
fn secrets_in_a_pasted_log_are_redacted() {
    let log = "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNlY3JldA\n\
               {\"auths\":{\"r.example\":{\"auth\":\"Ym9iOmh1bnRlcjI=\"}}}\n\
               Error response from daemon: Get https://bob:hunter2@r.example/v2/: unauthorized: authentication required\n";
    for format in ["--json", "--format=markdown", "--format=human"] {
        let run = Regdoctor::new()
            .args(["explain", format, "-v"])
            .stdin(log.as_bytes().to_vec())
            .run();
        for secret in ["c2lnbmF0dXJlLXNlY3JldA", "Ym9iOmh1bnRlcjI=", "hunter2"] {
            assert!(
                !run.stdout.contains(secret),
                "{format} leaked {secret}: {}",
                run.stdout
            );
            assert!(!run.stderr.contains(secret));
        }
    }
}

#[test]
fn explain_check_confirms_or_rules_out_causes_live() {
    use crate::support::registry::{Registry, RegistryOpts};
    let reg = Registry::start(RegistryOpts::default());
    // The pasted error blames DNS, but the host in it resolves and answers: not reproduced.
    let text = format!(
        "Error response from daemon: Get \"http://{}/v2/\": dial tcp: lookup {}: no such host",
        reg.addr, reg.addr
    );
    let run = Regdoctor::new()
        .args(["explain", "--check", "--json", &text])
        .run();
    let report = run.json();
    let dns = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "dns_resolution")
        .unwrap();
    assert_eq!(dns["verdict"], "not_reproduced", "{report:#}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "ping" && c["status"] == "pass"),
        "{report:#}"
    );

    // A refused port in the text, and the port really refuses: confirmed.
    let port = crate::support::registry::free_port();
    let text = format!(
        "Get \"https://127.0.0.1:{port}/v2/\": dial tcp 127.0.0.1:{port}: connect: connection refused"
    );
    let run = Regdoctor::new()
        .args(["explain", "--check", "--json", &text])
        .run();
    let report = run.json();
    assert_eq!(
        report["findings"][0]["category"], "network_unreachable",
        "{report:#}"
    );
    assert_eq!(report["findings"][0]["verdict"], "confirmed", "{report:#}");
}
