//! Certificates rcgen cannot make (SHA-1 signatures, RSA keys under 2048 bits, which ring
//! refuses) come from the `openssl` command, and so does a server that can present them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("openssl is not installed ({e}): run `apt-get install -y openssl` (scripts/test does this)")
        });
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Files of a CA and a server certificate made with openssl.
pub struct LegacyPki {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    pub cert_pem: String,
    /// PKCS#8 PEM.
    pub key_pem: String,
}

impl LegacyPki {
    /// An RSA-2048 CA named `ca_name`, and a leaf for `host` with an RSA key of `key_bits`,
    /// signed with `digest` (`sha1`, `sha256`).
    pub fn new(ca_name: &str, host: &str, key_bits: u32, digest: &str) -> LegacyPki {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "30",
                "-sha256",
                "-subj",
                &format!("/CN={ca_name}"),
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-new",
                "-newkey",
                &format!("rsa:{key_bits}"),
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                &format!("/CN={host}"),
            ],
        );
        std::fs::write(d.join("ext"), format!("subjectAltName=DNS:{host}\n")).expect("ext");
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                &format!("-{digest}"),
                "-extfile",
                "ext",
                "-out",
                "server.crt",
            ],
        );
        let read = |f: &str| std::fs::read_to_string(d.join(f)).expect("read openssl output");
        LegacyPki {
            ca_pem: read("ca.crt"),
            cert_pem: read("server.crt"),
            key_pem: read("server.key"),
            dir,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `openssl s_server` on 127.0.0.1 with security level 0, so it presents what modern
/// defaults refuse; killed on drop.
pub struct SServer {
    pub port: u16,
    child: Child,
}

impl SServer {
    pub fn start(pki: &LegacyPki) -> SServer {
        let port = super::registry::free_port();
        let child = Command::new("openssl")
            .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-cert"])
            .arg(pki.path("server.crt"))
            .arg("-key")
            .arg(pki.path("server.key"))
            .args(["-cipher", "DEFAULT:@SECLEVEL=0", "-www", "-quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openssl s_server");
        let mut server = SServer { port, child };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10)
                || matches!(server.child.try_wait(), Ok(Some(_)))
            {
                panic!("openssl s_server did not start on port {port}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        server
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
