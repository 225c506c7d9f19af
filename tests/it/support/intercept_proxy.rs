//! A TLS-intercepting HTTP proxy, in process on 127.0.0.1, as corporate inspection boxes do:
//! it accepts `CONNECT host:port`, answers 200, then terminates TLS itself with a leaf for the
//! requested host signed by its own CA, and answers the request inside like a registry.
//! `tunnel_to` makes the honest kind: every CONNECT is relayed, bytes untouched, to one address
//! (so the test needs no DNS for the name the client asks for).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::pki::{Ca, LeafOpts};

pub struct InterceptProxy {
    pub port: u16,
    /// The CA the proxy signs its leaves with (what IT would hand out).
    pub ca_pem: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Clone)]
enum Mode {
    Intercept(HashMap<String, Arc<rustls::ServerConfig>>),
    Tunnel(std::net::SocketAddr),
}

impl InterceptProxy {
    /// A proxy that relays every CONNECT to `upstream` untouched.
    pub fn tunnel_to(upstream: std::net::SocketAddr) -> InterceptProxy {
        Self::spawn(Mode::Tunnel(upstream), String::new())
    }

    /// `hosts`: the names it makes leaves for (a real box makes them on the fly; a leaf per
    /// expected host keeps the test fast).
    pub fn start(ca_name: &str, hosts: &[&str]) -> InterceptProxy {
        let ca = Ca::new(ca_name);
        let mut configs: HashMap<String, Arc<rustls::ServerConfig>> = HashMap::new();
        for h in hosts {
            let leaf = ca.leaf(LeafOpts {
                common_name: (*h).to_string(),
                dns_names: vec![(*h).to_string()],
                ips: vec![],
                ..LeafOpts::for_localhost()
            });
            configs.insert(
                (*h).to_string(),
                super::servers::server_config(&leaf.chain_pem, &leaf.key_pem),
            );
        }
        Self::spawn(Mode::Intercept(configs), ca.cert_pem.clone())
    }

    fn spawn(mode: Mode, ca_pem: String) -> InterceptProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            for conn in listener.incoming().take(32) {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let mode = mode.clone();
                workers.push(std::thread::spawn(move || serve(conn, &mode)));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        InterceptProxy {
            port,
            ca_pem,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for InterceptProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(
            &format!("127.0.0.1:{}", self.port).parse().expect("addr"),
            Duration::from_millis(200),
        );
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, mode: &Mode) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(3)));
    let mut reader = BufReader::new(conn);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    // The rest of the request head.
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut conn = reader.into_inner();
    let mut parts = first.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        let _ = conn.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
    let configs = match mode {
        Mode::Intercept(configs) => configs,
        Mode::Tunnel(upstream) => return relay(conn, *upstream),
    };
    let Some(config) = configs.get(host).cloned() else {
        let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if conn
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let Ok(tls) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut stream = rustls::StreamOwned::new(tls, conn);
    let mut buf = [0u8; 4096];
    if stream.read(&mut buf).is_ok() {
        let _ = stream.write_all(&super::servers::registry_ok());
        let _ = stream.flush();
    }
    stream.conn.send_close_notify();
    let _ = stream.flush();
}

fn relay(mut client: TcpStream, upstream: std::net::SocketAddr) {
    let Ok(mut server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut c2), Ok(mut s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut s2);
        let _ = s2.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut server, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
