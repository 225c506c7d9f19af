//! Real clients against the suite's registries and broken servers, scenario by scenario: what
//! skopeo, podman and containerd's `ctr` really do must agree with `check`'s verdict for their
//! client (works, or fails in the category `check` names). A client that is not installed is
//! said so on the test output, never skipped silently.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cmd::Regdoctor;
use crate::support::pki::{self, Ca, LeafOpts};
use crate::support::registry::{Registry, RegistryOpts, free_port};
use crate::support::servers::{self, Behaviour};

const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

fn installed(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(binary).is_file()))
}

/// Is `binary` here? When not, a line on the test output says which scenario went without it.
fn present(binary: &str, scenario: &str) -> bool {
    let found = installed(binary);
    if !found {
        println!("clients_real: {binary} is not installed: {scenario} not run against it");
    }
    found
}

/// What a real client did.
struct Outcome {
    worked: bool,
    text: String,
}

fn run_client(program: &str, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {args:?} ran past {CLIENT_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    Outcome {
        worked: out.status.success(),
        text: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The category a client's own error text belongs to (the few this file provokes).
fn category_of(text: &str) -> Option<&'static str> {
    let table: &[(&str, &str)] = &[
        ("server gave HTTP response to HTTPS client", "http_vs_https"),
        // containerd talking plain HTTP to a TLS port: Go's TLS server answers 400.
        ("400 Bad Request", "http_vs_https"),
        (
            "certificate signed by unknown authority",
            "tls_unknown_authority",
        ),
        ("proxyconnect", "proxy_misconfig"),
        ("503", "registry_server_error"),
        ("no such host", "dns_resolution"),
    ];
    table
        .iter()
        .find(|(needle, _)| text.contains(needle))
        .map(|(_, c)| *c)
}

/// `check`'s verdict for `client` must say what the real client did.
fn agree(scenario: &str, program: &str, did: &Outcome, report: &serde_json::Value, client: &str) {
    let v = report["clients"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["client"] == client))
        .unwrap_or_else(|| panic!("{scenario}: no verdict for {client}: {report:#}"));
    let said = format!("{} {}", v["verdict"], v["category"]);
    println!(
        "clients_real: {scenario}: {program} {}; check says {client}: {said}",
        if did.worked { "worked" } else { "failed" }
    );
    if did.worked {
        assert_eq!(
            v["verdict"], "works",
            "{scenario}: {program} worked, check says {said}\n{report:#}"
        );
    } else {
        let category = category_of(&did.text)
            .unwrap_or_else(|| panic!("{scenario}: unrecognised {program} error: {}", did.text));
        assert_eq!(
            (v["verdict"].as_str(), v["category"].as_str()),
            (Some("fails"), Some(category)),
            "{scenario}: {program} failed with {:?}\n{report:#}",
            did.text
        );
    }
}

/// Files every client reads, in a temporary directory: empty unless a scenario writes them.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        let f = Files {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in ["docker-certs.d", "containers-certs.d", "hosts.d", "systemd"] {
            std::fs::create_dir_all(f.path(d)).unwrap();
        }
        f.write("registries.conf", "");
        f
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    /// `regdoctor check TARGET --json --client CLIENTS`, reading only these files.
    fn check(&self, target: &str, clients: &str) -> Regdoctor {
        Regdoctor::new()
            .args(["check", target, "--json", "--client", clients])
            .args(["--certs-dir", &self.s("docker-certs.d")])
            .args(["--containers-certs-dir", &self.s("containers-certs.d")])
            .args(["--containerd-certs-dir", &self.s("hosts.d")])
            .args(["--registries-conf", &self.s("registries.conf")])
            .args(["--daemon-config", &self.s("daemon.json")])
            .args(["--systemd-dir", &self.s("systemd")])
            .args(["--containerd-config", &self.s("containerd.toml")])
            .args(["--policy-json", &self.s("policy.json")])
            .args(["--docker-config", &self.s("docker")])
    }

    fn skopeo(&self, image: &str, extra: &[&str], env: &[(&str, &str)]) -> Outcome {
        let reference = format!("docker://{image}");
        let conf = self.s("registries.conf");
        let mut args = vec!["--registries-conf", conf.as_str(), "inspect"];
        args.extend_from_slice(extra);
        args.push(&reference);
        run_client("skopeo", &args, env)
    }

    fn podman_pull(&self, image: &str) -> Outcome {
        let root = self.s("podman/root");
        let runroot = self.s("podman/run");
        let conf = self.s("registries.conf");
        run_client(
            "podman",
            &[
                "--root",
                &root,
                "--runroot",
                &runroot,
                "--storage-driver",
                "vfs",
                "pull",
                "--quiet",
                image,
            ],
            &[("CONTAINERS_REGISTRIES_CONF", &conf)],
        )
    }
}

/// A containerd of the test's own (its root, state and socket in a temporary directory, the
/// CRI plugin off), for `ctr images pull --hosts-dir`; killed on drop.
struct Containerd {
    child: Child,
    dir: tempfile::TempDir,
}

impl Containerd {
    fn start() -> Containerd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let config = d.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "version = 2\nroot = {:?}\nstate = {:?}\n[grpc]\n  address = {:?}\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  disable = true\n",
                d.join("root"),
                d.join("state"),
                d.join("containerd.sock")
            ),
        )
        .unwrap();
        let log = std::fs::File::create(d.join("containerd.log")).unwrap();
        let child = Command::new("containerd")
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start containerd");
        let socket = d.join("containerd.sock");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "containerd did not open its socket: {}",
                std::fs::read_to_string(d.join("containerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Containerd { child, dir }
    }

    fn pull(&self, image: &str, hosts_dir: &Path) -> Outcome {
        let socket = self.dir.path().join("containerd.sock");
        run_client(
            "ctr",
            &[
                "--address",
                socket.to_str().unwrap(),
                "--namespace",
                "regdoctor-test",
                "images",
                "pull",
                "--snapshotter",
                "native",
                "--hosts-dir",
                hosts_dir.to_str().unwrap(),
                image,
            ],
            &[],
        )
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Docker daemon of the test's own, without systemd, iptables or a bridge (tech notes 7a):
/// its data, exec root and socket in a temporary directory. Stopped with SIGTERM on drop, so
/// that it stops the containerd it started.
struct Dockerd {
    child: Child,
    dir: tempfile::TempDir,
}

impl Dockerd {
    /// `None`, with a line saying why, where dockerd cannot run (not root, no dockerd).
    fn try_start(scenario: &str) -> Option<Dockerd> {
        Dockerd::try_start_with(scenario, &[])
    }

    /// With extra dockerd flags (`--registry-mirror URL`, ...).
    fn try_start_with(scenario: &str, flags: &[&str]) -> Option<Dockerd> {
        if !present("dockerd", scenario) || !present("docker", scenario) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("daemon.json"), "{}").unwrap();
        let log = std::fs::File::create(d.join("dockerd.log")).unwrap();
        let socket = d.join("docker.sock");
        let child = Command::new("dockerd")
            .args([
                "--storage-driver",
                "vfs",
                "--iptables=false",
                "--ip6tables=false",
            ])
            .args(["--bridge=none", "--data-root"])
            .arg(d.join("root"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("docker.pid"))
            .arg("--config-file")
            .arg(d.join("daemon.json"))
            .args(flags)
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // The daemon's proxy is its own environment: none here.
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("https_proxy")
            .env_remove("http_proxy")
            .spawn();
        let mut daemon = match child {
            Ok(child) => Dockerd { child, dir },
            Err(e) => {
                println!(
                    "clients_real: dockerd cannot start here ({e}): {scenario} not run against docker"
                );
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if socket.exists()
                && daemon
                    .docker(&["info", "--format", "{{.ServerVersion}}"])
                    .worked
            {
                return Some(daemon);
            }
            if daemon.child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(daemon.dir.path().join("dockerd.log"))
                    .unwrap_or_default();
                let last: Vec<&str> = log.lines().rev().take(3).collect();
                println!(
                    "clients_real: dockerd did not come up here ({}): {scenario} not run against docker",
                    last.join(" | ")
                );
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The docker CLI talking to this daemon, with a configuration folder of its own.
    fn docker(&self, args: &[&str]) -> Outcome {
        let host = format!("unix://{}", self.dir.path().join("docker.sock").display());
        let config = self.dir.path().join("cli").display().to_string();
        run_client(
            "docker",
            args,
            &[("DOCKER_HOST", &host), ("DOCKER_CONFIG", &config)],
        )
    }

    /// `DOCKER_HOST` for this daemon.
    fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("docker.sock").display())
    }

    fn pull(&self, image: &str) -> Outcome {
        self.docker(&["pull", "--quiet", image])
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain-HTTP registry on 127.0.0.1 holding `team/app:1`.
fn plain_registry() -> (Registry, String) {
    let reg = Registry::start(RegistryOpts::default());
    reg.push_tiny_image("team/app", "1", None);
    let image = format!("{}/team/app:1", reg.addr);
    (reg, image)
}

/// Docker allows plain HTTP on loopback and so does containerd (its default for a loopback
/// host with no hosts.toml); podman and skopeo do not, until registries.conf says insecure.
#[test]
fn plain_http_on_loopback_splits_the_clients() {
    let scenario = "plain HTTP on loopback";
    let files = Files::new();
    let (_reg, image) = plain_registry();
    let report = files.check(&image, "all").run().json();
    let verdict = |c: &str| {
        report["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["client"] == c)
            .unwrap()["verdict"]
            .clone()
    };
    assert_eq!(verdict("docker"), "works", "{report:#}");
    if let Some(dockerd) = Dockerd::try_start(scenario) {
        agree(
            scenario,
            "docker pull",
            &dockerd.pull(&image),
            &report,
            "docker",
        );
    }
    if present("skopeo", scenario) {
        agree(
            scenario,
            "skopeo",
            &files.skopeo(&image, &[], &[]),
            &report,
            "containers",
        );
    }
    if present("podman", scenario) {
        let did = files.podman_pull(&image);
        agree(scenario, "podman", &did, &report, "containers");
        // explain --check judges the client the text came from: podman's own error is
        // confirmed live, although Docker would pull from this registry.
        let explained = Regdoctor::new()
            .args(["explain", "--check", "--json", &did.text])
            .run()
            .json();
        let confirmed = explained["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["category"] == "http_vs_https" && f["verdict"] == "confirmed");
        assert!(confirmed.is_some(), "{explained:#}");
        println!(
            "clients_real: {scenario}: explain --check on podman's error confirms http_vs_https"
        );
        // The same words from Docker's daemon are not reproduced: Docker allows plain HTTP here.
        let docker_text = format!(
            "Error response from daemon: Get \"https://{host}/v2/\": http: server gave HTTP response to HTTPS client",
            host = image.split('/').next().unwrap()
        );
        let explained = Regdoctor::new()
            .args(["explain", "--check", "--json", &docker_text])
            .run()
            .json();
        let http = explained["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["category"] == "http_vs_https")
            .unwrap_or_else(|| panic!("{explained:#}"));
        assert_eq!(http["verdict"], "not_reproduced", "{explained:#}");
    }
    if present("containerd", scenario) && present("ctr", scenario) {
        let ctd = Containerd::start();
        agree(
            scenario,
            "ctr",
            &ctd.pull(&image, &files.path("hosts.d")),
            &report,
            "containerd",
        );
    }

    // registries.conf declares it insecure: podman and skopeo accept plain HTTP.
    let host = image.split('/').next().unwrap();
    files.write(
        "registries.conf",
        &format!("[[registry]]\nlocation = \"{host}\"\ninsecure = true\n"),
    );
    let report = files.check(&image, "containers").run().json();
    if present("skopeo", scenario) {
        agree(
            &format!("{scenario}, insecure in registries.conf"),
            "skopeo",
            &files.skopeo(&image, &[], &[]),
            &report,
            "containers",
        );
    }
}

/// A private CA on loopback: Docker does not verify (loopback is insecure), podman and skopeo
/// refuse it until their certs.d holds the CA; containerd speaks plain HTTP to a loopback host
/// until a hosts.toml names the https server and its CA.
#[test]
fn private_ca_on_loopback_splits_the_clients() {
    let scenario = "private CA on loopback";
    let files = Files::new();
    let ca = Ca::new("Clients Test Private CA");
    let leaf = ca.leaf(LeafOpts::for_localhost());
    let cert = pki::write(files.dir.path(), "server.crt", &leaf.chain_pem);
    let key = pki::write(files.dir.path(), "server.key", &leaf.key_pem);
    let tls = Registry::start(RegistryOpts {
        tls: Some((cert, key)),
        ..RegistryOpts::default()
    });
    let host = tls.addr.clone();
    let image = format!("{host}/team/app:1");
    let ca_dir = files.path(&format!("containers-certs.d/{host}"));
    std::fs::create_dir_all(&ca_dir).unwrap();
    // Loaded only after the copy below, so that the first check sees no CA for podman.
    let ca_file = files.path("ca-for-later.crt");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    if !present("skopeo", scenario) {
        return;
    }
    // The image gets there with skopeo itself, from a plain-HTTP registry.
    let (_plain, source) = plain_registry();
    let copy_dir = files.path("copy-ca");
    std::fs::create_dir_all(&copy_dir).unwrap();
    std::fs::copy(&ca_file, copy_dir.join("ca.crt")).unwrap();
    let conf = files.s("registries.conf");
    let copied = run_client(
        "skopeo",
        &[
            "--registries-conf",
            &conf,
            "copy",
            "--src-tls-verify=false",
            "--dest-cert-dir",
            copy_dir.to_str().unwrap(),
            &format!("docker://{source}"),
            &format!("docker://{image}"),
        ],
        &[],
    );
    assert!(copied.worked, "skopeo copy: {}", copied.text);

    let report = files.check(&image, "all").run().json();
    let docker = report["clients"].as_array().unwrap()[0].clone();
    assert_eq!(
        (docker["client"].as_str(), docker["verdict"].as_str()),
        (Some("docker"), Some("works")),
        "{report:#}"
    );
    agree(
        scenario,
        "skopeo",
        &files.skopeo(&image, &[], &[]),
        &report,
        "containers",
    );
    if let Some(dockerd) = Dockerd::try_start(scenario) {
        agree(
            scenario,
            "docker pull",
            &dockerd.pull(&image),
            &report,
            "docker",
        );
    }
    if present("containerd", scenario) && present("ctr", scenario) {
        let ctd = Containerd::start();
        agree(
            scenario,
            "ctr",
            &ctd.pull(&image, &files.path("hosts.d")),
            &report,
            "containerd",
        );
        // hosts.toml names the https server and its CA: containerd verifies and pulls.
        let dir = files.path(&format!("hosts.d/{host}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&ca_file, dir.join("ca.crt")).unwrap();
        files.write(
            &format!("hosts.d/{host}/hosts.toml"),
            &format!(
                "server = \"https://{host}\"\n\n[host.\"https://{host}\"]\n  ca = \"ca.crt\"\n"
            ),
        );
        let report = files.check(&image, "containerd").run().json();
        agree(
            &format!("{scenario}, CA in hosts.toml"),
            "ctr",
            &ctd.pull(&image, &files.path("hosts.d")),
            &report,
            "containerd",
        );
    }

    // The CA in podman's per-host folder: podman and skopeo verify and pull.
    std::fs::copy(&ca_file, ca_dir.join("ca.crt")).unwrap();
    let report = files.check(&image, "containers").run().json();
    let cert_dir = ca_dir.to_str().unwrap().to_string();
    agree(
        &format!("{scenario}, CA in certs.d"),
        "skopeo",
        &files.skopeo(&image, &["--cert-dir", &cert_dir], &[]),
        &report,
        "containers",
    );
}

/// HTTPS_PROXY set in the shell only: podman and skopeo go through that proxy (here a port
/// where nothing listens); Docker's daemon does not read the shell.
#[test]
fn a_shell_proxy_is_the_path_of_podman_and_skopeo() {
    let scenario = "HTTPS_PROXY in the shell only";
    let files = Files::new();
    let proxy = format!("http://127.0.0.1:{}", free_port());
    // A name, not a loopback address: Go never proxies loopback.
    let image = "registry.regdoctor.test/team/app:1";
    let report = files
        .check(image, "docker,containers")
        .args(["--hosts-file", &files.s("hosts")])
        .args(["--nameserver", &format!("127.0.0.1:{}", free_port())])
        .env("HTTPS_PROXY", proxy.clone())
        .run()
        .json();
    if present("skopeo", scenario) {
        let did = files.skopeo(image, &[], &[("HTTPS_PROXY", &proxy)]);
        agree(scenario, "skopeo", &did, &report, "containers");
    }
    // The daemon has no proxy: it resolves the name itself, and no resolver knows it.
    if let Some(dockerd) = Dockerd::try_start(scenario) {
        agree(
            scenario,
            "docker pull",
            &dockerd.pull(image),
            &report,
            "docker",
        );
    }
}

/// A front that answers every path, /v2/ included, with nginx's HTML 503: every client fails
/// with the server's error, none with "not a registry".
#[test]
fn an_html_503_front_is_a_server_error_for_every_client() {
    let scenario = "HTML 503 from a front";
    let files = Files::new();
    let page = "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>";
    let srv = servers::start(Behaviour::Respond(servers::http_response(
        "503 Service Temporarily Unavailable",
        &[("Content-Type", "text/html"), ("Server", "nginx")],
        page,
    )));
    let image = format!("{}/team/app:1", srv.addr);
    files.write(
        "registries.conf",
        &format!(
            "[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
            srv.addr
        ),
    );
    let report = files.check(&image, "all").run().json();
    for v in report["clients"].as_array().unwrap() {
        assert_eq!(
            (v["verdict"].as_str(), v["category"].as_str()),
            (Some("fails"), Some("registry_server_error")),
            "{report:#}"
        );
    }
    if present("skopeo", scenario) {
        agree(
            scenario,
            "skopeo",
            &files.skopeo(&image, &[], &[]),
            &report,
            "containers",
        );
    }
    if let Some(dockerd) = Dockerd::try_start(scenario) {
        agree(
            scenario,
            "docker pull",
            &dockerd.pull(&image),
            &report,
            "docker",
        );
    }
    if present("containerd", scenario) && present("ctr", scenario) {
        let ctd = Containerd::start();
        agree(
            scenario,
            "ctr",
            &ctd.pull(&image, &files.path("hosts.d")),
            &report,
            "containerd",
        );
    }
}

/// Docker Hub unreachable, a mirror that serves the image: Docker pulls from the mirror. The
/// mirror is set on dockerd's command line only (no daemon.json): `check` asks the running
/// daemon what it uses.
#[test]
fn a_mirror_of_the_running_daemon_that_serves_the_image_means_docker_works() {
    let scenario = "Docker Hub behind a serving mirror";
    let files = Files::new();
    let mirror = Registry::start(RegistryOpts::default());
    mirror.push_tiny_image("library/app", "1", None);
    let mirror_url = mirror.url();
    let Some(dockerd) = Dockerd::try_start_with(scenario, &["--registry-mirror", &mirror_url])
    else {
        return;
    };
    let report = files
        .check("app:1", "docker")
        .args(["--resolve", "registry-1.docker.io:443:127.0.0.1"])
        .env("DOCKER_HOST", dockerd.host())
        .run()
        .json();
    let mirrors = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "mirrors")
        .unwrap();
    assert!(
        mirrors["summary"].to_string().contains("serves"),
        "the live daemon's mirror was asked: {report:#}"
    );
    agree(
        scenario,
        "docker pull",
        &dockerd.pull("app:1"),
        &report,
        "docker",
    );
}
