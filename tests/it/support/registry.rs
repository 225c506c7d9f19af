//! Debian's real `docker-registry` (CNCF distribution 2.8.2), started on a free 127.0.0.1 port
//! with a generated configuration in a temporary directory, and killed on drop.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(15);
const START_ATTEMPTS: usize = 3;

#[derive(Default, Clone, Debug)]
pub struct RegistryOpts {
    /// (certificate chain PEM, private key PEM) paths: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// (user, password): htpasswd (Basic) auth, the file made with `htpasswd -Bbn`.
    pub htpasswd: Option<(String, String)>,
    /// Bearer token auth. Needs no token server for challenges; tests mint their own JWTs.
    pub token: Option<TokenAuth>,
    /// Pull-through cache mode: `proxy.remoteurl`.
    pub proxy_remote: Option<String>,
}

/// distribution's `auth.token` section.
#[derive(Clone, Debug)]
pub struct TokenAuth {
    /// Token endpoint URL announced in the `WWW-Authenticate: Bearer realm=...` challenge.
    pub realm: String,
    pub service: String,
    pub issuer: String,
    /// PEM file of the certificates whose keys may sign tokens (read at start: must exist).
    pub rootcertbundle: PathBuf,
}

pub struct Registry {
    pub port: u16,
    /// "127.0.0.1:PORT"
    pub addr: String,
    tls: bool,
    // Field order matters: `child` is killed in `drop` before `dir` is removed.
    child: Child,
    dir: tempfile::TempDir,
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read the port, release it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0 to find a free port")
}

/// Fails the test (not skips it) when a tool the tests rely on is missing.
pub(crate) fn require(binary: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(binary).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{binary} is not installed: run `apt-get install -y {package}` (scripts/test does this)"
    );
}

/// A YAML double-quoted scalar.
fn yaml_str(s: &str) -> String {
    format!("{s:?}")
}

fn yaml_path(p: &Path) -> String {
    yaml_str(p.to_str().expect("a UTF-8 path"))
}

fn htpasswd_line(user: &str, password: &str) -> Vec<u8> {
    require("htpasswd", "apache2-utils");
    let out = Command::new("htpasswd")
        .args(["-Bbn", user, password])
        .stdin(Stdio::null())
        .output()
        .expect("run htpasswd");
    assert!(
        out.status.success() && out.stdout.starts_with(format!("{user}:$2").as_bytes()),
        "htpasswd -Bbn {user} ... failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn config_yaml(opts: &RegistryOpts, dir: &Path, addr: &str, htpasswd: Option<&Path>) -> String {
    let mut c = String::new();
    let _ = write!(
        c,
        "version: 0.1\n\
         log:\n  level: warn\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         http:\n  addr: {addr}\n  secret: regdoctor-test-http-secret\n",
        yaml_path(&dir.join("data"))
    );
    if let Some((cert, key)) = &opts.tls {
        let _ = write!(
            c,
            "  tls:\n    certificate: {}\n    key: {}\n",
            yaml_path(cert),
            yaml_path(key)
        );
    }
    if opts.htpasswd.is_some() || opts.token.is_some() {
        c.push_str("auth:\n");
    }
    if let Some(path) = htpasswd {
        let _ = write!(
            c,
            "  htpasswd:\n    realm: basic-realm\n    path: {}\n",
            yaml_path(path)
        );
    }
    if let Some(t) = &opts.token {
        let _ = write!(
            c,
            "  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
            yaml_str(&t.realm),
            yaml_str(&t.service),
            yaml_str(&t.issuer),
            yaml_path(&t.rootcertbundle)
        );
    }
    if let Some(remote) = &opts.proxy_remote {
        let _ = write!(c, "proxy:\n  remoteurl: {}\n", yaml_str(remote));
    }
    c
}

enum Startup {
    Ready,
    Exited,
    TimedOut,
}

impl Registry {
    /// Starts a registry and waits (at most 15 s) until it answers HTTP on its port. Panics, with
    /// the registry's log, if it cannot start; retries on a new port (3 attempts in all) when
    /// another process took the port first.
    pub fn start(opts: RegistryOpts) -> Registry {
        Self::start_with_ports(opts, free_port)
    }

    /// `start`, with the ports to try chosen by `next_port` (tests of the retry itself).
    pub(crate) fn start_with_ports(
        opts: RegistryOpts,
        mut next_port: impl FnMut() -> u16,
    ) -> Registry {
        assert!(
            !(opts.htpasswd.is_some() && opts.token.is_some()),
            "RegistryOpts: htpasswd and token auth are exclusive in distribution"
        );
        require("docker-registry", "docker-registry");
        let htpasswd = opts.htpasswd.as_ref().map(|(u, p)| htpasswd_line(u, p));
        for attempt in 1..=START_ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix("regdoctor-registry-")
                .tempdir()
                .expect("create the registry's temporary directory");
            let port = next_port();
            let addr = format!("127.0.0.1:{port}");
            let htpasswd_path = htpasswd.as_ref().map(|line| {
                let path = dir.path().join("htpasswd");
                std::fs::write(&path, line).expect("write the htpasswd file");
                path
            });
            let config = config_yaml(&opts, dir.path(), &addr, htpasswd_path.as_deref());
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, &config).expect("write the registry config.yml");
            let log = std::fs::File::create(dir.path().join("registry.log"))
                .expect("create the registry log file");
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config_path)
                .env_remove("REGISTRY_CONFIGURATION_PATH")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone the log file handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn `docker-registry serve`: {e}"));
            // From here on, dropping `reg` (also by a panic) kills the process.
            let mut reg = Registry {
                port,
                addr,
                tls: opts.tls.is_some(),
                child,
                dir,
            };
            match reg.wait_ready() {
                Startup::Ready => return reg,
                Startup::Exited
                    if attempt < START_ATTEMPTS && reg.log().contains("address already in use") =>
                {
                    continue;
                }
                Startup::Exited => panic!(
                    "docker-registry exited at start ({:?})\nconfig:\n{config}\nlog:\n{}",
                    reg.child.try_wait().ok().flatten(),
                    reg.log()
                ),
                Startup::TimedOut => panic!(
                    "docker-registry did not answer on {} within {START_TIMEOUT:?}\nconfig:\n{config}\nlog:\n{}",
                    reg.addr,
                    reg.log()
                ),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// Waits until the registry listens on its port and answers an HTTP request there. A TLS
    /// port answers a plain-HTTP request too (Go: "400 Client sent an HTTP request to an HTTPS
    /// server"). A port another process took first (even another test's registry, which would
    /// answer just as well) is not ours: the child then exits with "address already in use".
    fn wait_ready(&mut self) -> Startup {
        let started = Instant::now();
        let sock: SocketAddr = self.addr.parse().expect("a socket address");
        while started.elapsed() < START_TIMEOUT {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Startup::Exited;
            }
            if !listens_on(self.child.id(), self.port) {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            if let Ok(mut s) = TcpStream::connect_timeout(&sock, Duration::from_millis(500)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let req = format!(
                    "GET /v2/ HTTP/1.1\r\nHost: {}\r\nUser-Agent: regdoctor-test-harness\r\nConnection: close\r\n\r\n",
                    self.addr
                );
                let mut head = [0u8; 5];
                if s.write_all(req.as_bytes()).is_ok()
                    && s.read_exact(&mut head).is_ok()
                    && &head == b"HTTP/"
                {
                    return Startup::Ready;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Startup::TimedOut
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Everything the registry wrote so far (stdout and stderr: access log and errors).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The registry's temporary directory (config.yml, registry.log, data/).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Uploads a tiny valid image (a one-file tar.gz layer, its config, a schema2 manifest) as
    /// `repo:tag`, optionally with Basic credentials. Plain-HTTP registries only.
    pub fn push_tiny_image(&self, repo: &str, tag: &str, basic: Option<(&str, &str)>) {
        let auth = basic.map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes())));
        self.push_image(repo, tag, auth.as_deref(), &[("linux", "amd64")]);
    }

    /// Uploads a tiny image for each `(os, architecture)`; more than one makes `tag` an OCI
    /// image index over them. `authorization` is a whole header value (`Basic ...`, `Bearer ...`).
    /// Returns the digest of what `tag` points at.
    pub fn push_image(
        &self,
        repo: &str,
        tag: &str,
        authorization: Option<&str>,
        platforms: &[(&str, &str)],
    ) -> String {
        assert!(
            !self.tls,
            "push_image speaks plain HTTP only; this registry serves TLS"
        );
        assert!(!platforms.is_empty(), "push_image needs a platform");
        let mut manifests = Vec::new();
        for (os, arch) in platforms {
            let layer_tar = tar_one_file("hello.txt", format!("hello {os}/{arch}\n").as_bytes());
            let layer = gzip_stored(&layer_tar);
            let config = format!(
                r#"{{"architecture":"{arch}","os":"{os}","config":{{}},"rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
                sha256_hex(&layer_tar)
            );
            let config_digest = self.upload_blob(repo, config.as_bytes(), authorization);
            let layer_digest = self.upload_blob(repo, &layer, authorization);
            let manifest = format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{config_digest}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{},"digest":"{layer_digest}"}}]}}"#,
                config.len(),
                layer.len()
            );
            manifests.push((os, arch, manifest));
        }
        if let [(_, _, manifest)] = &manifests[..] {
            return self.put_manifest(
                repo,
                tag,
                authorization,
                "application/vnd.docker.distribution.manifest.v2+json",
                manifest,
            );
        }
        let mut entries = Vec::new();
        for (i, (os, arch, manifest)) in manifests.iter().enumerate() {
            let digest = self.put_manifest(
                repo,
                &format!("{tag}-{i}"),
                authorization,
                "application/vnd.docker.distribution.manifest.v2+json",
                manifest,
            );
            entries.push(format!(
                r#"{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":{},"digest":"{digest}","platform":{{"architecture":"{arch}","os":"{os}"}}}}"#,
                manifest.len()
            ));
        }
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
            entries.join(",")
        );
        self.put_manifest(
            repo,
            tag,
            authorization,
            "application/vnd.oci.image.index.v1+json",
            &index,
        )
    }

    fn put_manifest(
        &self,
        repo: &str,
        tag: &str,
        authorization: Option<&str>,
        media_type: &str,
        manifest: &str,
    ) -> String {
        let resp = self.request(
            "PUT",
            &format!("/v2/{repo}/manifests/{tag}"),
            authorization,
            Some(media_type),
            manifest.as_bytes(),
        );
        assert_eq!(
            resp.status,
            201,
            "PUT manifest {repo}:{tag}: {}\nregistry log:\n{}",
            resp.text(),
            self.log()
        );
        format!("sha256:{}", sha256_hex(manifest.as_bytes()))
    }

    /// Monolithic upload: POST /v2/<repo>/blobs/uploads/, then PUT <Location>&digest=...
    fn upload_blob(&self, repo: &str, data: &[u8], auth: Option<&str>) -> String {
        let digest = format!("sha256:{}", sha256_hex(data));
        let resp = self.request(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            auth,
            None,
            b"",
        );
        assert_eq!(
            resp.status,
            202,
            "POST /v2/{repo}/blobs/uploads/: {}\nregistry log:\n{}",
            resp.text(),
            self.log()
        );
        let location = resp
            .header("location")
            .unwrap_or_else(|| panic!("upload POST without Location: {}", resp.text()));
        // distribution 2.8 answers an absolute URL; keep path and query.
        let path = match location.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => location,
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        let resp = self.request(
            "PUT",
            &format!("{path}{sep}digest={digest}"),
            auth,
            Some("application/octet-stream"),
            data,
        );
        assert_eq!(
            resp.status,
            201,
            "PUT blob {digest}: {}\nregistry log:\n{}",
            resp.text(),
            self.log()
        );
        digest
    }

    /// One HTTP/1.1 exchange over a fresh connection (`Connection: close`, read to EOF).
    fn request(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Response {
        let mut s = TcpStream::connect(&self.addr)
            .unwrap_or_else(|e| panic!("connect to the registry at {}: {e}", self.addr));
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("set a read timeout");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: regdoctor-test-harness\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(a) = authorization {
            let _ = write!(req, "Authorization: {a}\r\n");
        }
        if let Some(t) = content_type {
            let _ = write!(req, "Content-Type: {t}\r\n");
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes())
            .and_then(|()| s.write_all(body))
            .unwrap_or_else(|e| panic!("send {method} {path}: {e}"));
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("read the answer to {method} {path}: {e}"));
        Response::parse(&raw).unwrap_or_else(|| {
            panic!(
                "not an HTTP answer to {method} {path}: {:?}",
                String::from_utf8_lossy(&raw)
            )
        })
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux /proc; true
/// where /proc is missing, leaving the HTTP probe alone to decide).
fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return true;
    };
    let local = format!("0100007F:{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        .filter(|f| f.len() > 9 && f[1] == local && f[3] == "0A")
        .map(|f| format!("socket:[{}]", f[9]))
        .collect();
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .any(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Option<Response> {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&raw[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Some(Response {
            status,
            headers,
            body: raw[end + 4..].to_vec(),
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        format!(
            "HTTP {} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// A ustar archive holding one regular file (mode 0644, mtime 0): deterministic bytes.
fn tar_one_file(name: &str, content: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    let mut field = |at: usize, s: &str| h[at..at + s.len()].copy_from_slice(s.as_bytes());
    field(100, "0000644\0"); // mode
    field(108, "0000000\0"); // uid
    field(116, "0000000\0"); // gid
    field(124, &format!("{:011o}\0", content.len())); // size
    field(136, "00000000000\0"); // mtime
    field(148, "        "); // checksum, counted as spaces
    field(156, "0"); // regular file
    field(257, "ustar\0");
    field(263, "00");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.resize(out.len() + 1024, 0); // end-of-archive marker
    out
}

/// gzip with "stored" (uncompressed) deflate blocks: valid for every gunzip, no dependency.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none())); // BFINAL, BTYPE=00
        let len = u16::try_from(chunk.len()).expect("a chunk of at most 65535 bytes");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// SHA-256 (FIPS 180-4) as lowercase hex, for blob digests.
pub fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn sha256_base64_crc32_known_answers() {
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    // Two blocks of padding.
    assert_eq!(
        sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"user:pass word"), "dXNlcjpwYXNzIHdvcmQ=");
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
}
