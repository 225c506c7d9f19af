//! Debian's real `tinyproxy` on a free 127.0.0.1 port, stopped on drop.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TinyProxy {
    pub port: u16,
    _dir: tempfile::TempDir,
    child: Child,
}

#[derive(Default)]
pub struct ProxyOpts {
    /// Ports CONNECT may reach; empty means tinyproxy's default (every port).
    pub connect_ports: Vec<u16>,
    pub basic_auth: Option<(String, String)>,
}

impl TinyProxy {
    pub fn start(opts: ProxyOpts) -> TinyProxy {
        let found = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join("tinyproxy").is_file()))
            .unwrap_or(false);
        assert!(
            found,
            "tinyproxy is not installed: run `apt-get install -y tinyproxy` (scripts/test does this)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let port = super::registry::free_port();
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 10\nMaxClients 20\nLogLevel Warning\nPidFile \"{}\"\n",
            dir.path().join("tinyproxy.pid").display()
        );
        for p in &opts.connect_ports {
            conf.push_str(&format!("ConnectPort {p}\n"));
        }
        if let Some((u, p)) = &opts.basic_auth {
            conf.push_str(&format!("BasicAuth {u} {p}\n"));
        }
        let path = dir.path().join("tinyproxy.conf");
        std::fs::write(&path, conf).expect("write tinyproxy.conf");
        let child = Command::new("tinyproxy")
            .args(["-d", "-c"])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tinyproxy");
        let mut proxy = TinyProxy {
            port,
            _dir: dir,
            child,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(10)
                || matches!(proxy.child.try_wait(), Ok(Some(_)))
            {
                panic!("tinyproxy did not start on port {port}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for TinyProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
