//! Small in-process servers on 127.0.0.1 that misbehave on purpose. Each runs on its own
//! thread, serves a bounded number of connections, and stops when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Server {
    pub port: u16,
    pub addr: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(
            &self.addr.parse().expect("addr"),
            Duration::from_millis(200),
        );
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a hostile server does with one connection; the flag says when to give up.
pub type ConnectionScript = Arc<dyn Fn(TcpStream, &AtomicBool) + Send + Sync>;

#[derive(Clone)]
pub enum Behaviour {
    /// Accept, then hold the connection open without a byte, until the server is dropped.
    Stall,
    /// Accept and close at once.
    AcceptClose,
    /// Answer any request with these bytes, then close.
    Respond(Vec<u8>),
    /// Hand each connection to this function (on its own thread): for hostile servers.
    Script(ConnectionScript),
    /// TLS with this chain and key, then answer requests with these bytes.
    Tls {
        chain_pem: String,
        key_pem: String,
        response: Vec<u8>,
    },
}

const MAX_CONNECTIONS: usize = 64;
const MAX_LIFETIME: Duration = Duration::from_secs(60);

pub fn start(behaviour: Behaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let tls_config = match &behaviour {
        Behaviour::Tls {
            chain_pem, key_pem, ..
        } => Some(server_config(chain_pem, key_pem)),
        _ => None,
    };
    let thread = std::thread::spawn(move || {
        let started = Instant::now();
        let mut held = Vec::new();
        let mut workers = Vec::new();
        for conn in listener.incoming().take(MAX_CONNECTIONS) {
            if stop2.load(Ordering::SeqCst) || started.elapsed() > MAX_LIFETIME {
                break;
            }
            let Ok(mut conn) = conn else { continue };
            match &behaviour {
                Behaviour::Stall => held.push(conn),
                Behaviour::AcceptClose => drop(conn),
                Behaviour::Respond(bytes) => {
                    let bytes = bytes.clone();
                    workers.push(std::thread::spawn(move || {
                        let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut buf = [0u8; 4096];
                        let _ = conn.read(&mut buf);
                        let _ = conn.write_all(&bytes);
                    }));
                }
                Behaviour::Script(f) => {
                    let f = f.clone();
                    let stop = stop2.clone();
                    workers.push(std::thread::spawn(move || f(conn, &stop)));
                }
                Behaviour::Tls { response, .. } => {
                    let Some(config) = tls_config.clone() else {
                        break;
                    };
                    let response = response.clone();
                    workers.push(std::thread::spawn(move || {
                        let _ = conn.set_read_timeout(Some(Duration::from_secs(3)));
                        let Ok(tls) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        let mut stream = rustls::StreamOwned::new(tls, conn);
                        let mut buf = [0u8; 4096];
                        if stream.read(&mut buf).is_ok() {
                            let _ = stream.write_all(&response);
                            let _ = stream.flush();
                        }
                        stream.conn.send_close_notify();
                        let _ = stream.flush();
                    }));
                }
            }
        }
        drop(held);
        for w in workers {
            let _ = w.join();
        }
    });
    Server {
        port,
        addr: format!("127.0.0.1:{port}"),
        stop,
        thread: Some(thread),
    }
}

pub fn server_config(chain_pem: &str, key_pem: &str) -> Arc<rustls::ServerConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("chain PEM");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key PEM");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server cert");
    Arc::new(config)
}

/// A registry-shaped answer: `GET /v2/` → 200 `{}`.
pub fn registry_ok() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".to_vec()
}

pub fn http_response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut s = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.into_bytes()
}

/// One HTTP/1.1 request, as the routing servers see it.
pub struct Request {
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// Reads one request (head capped at 64 KiB, body at 64 KiB); `None` on garbage or EOF.
pub fn read_request(conn: &mut impl Read) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        // A TLS ClientHello on a plain-HTTP port: give up at once, as Go's server does.
        if buf[0] == 0x16 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let mut authorization = None;
    let mut length = 0usize;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(v.trim().to_string()),
                "content-length" => length = v.trim().parse().unwrap_or(0).min(64 * 1024),
                _ => {}
            }
        }
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        target,
        authorization,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

/// Answers each request with what `handler` returns for it (whole HTTP responses, see
/// `http_response`), over TLS when a (chain PEM, key PEM) is given: a small fake registry,
/// token service or product API.
pub fn route(
    tls: Option<(&str, &str)>,
    handler: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static,
) -> Server {
    let config = tls.map(|(chain, key)| server_config(chain, key));
    let handler = Arc::new(handler);
    start(Behaviour::Script(Arc::new(
        move |conn: TcpStream, _stop: &AtomicBool| {
            let _ = conn.set_read_timeout(Some(Duration::from_secs(3)));
            match &config {
                None => {
                    let mut conn = conn;
                    let answer = match read_request(&mut conn) {
                        Some(req) => handler(&req),
                        None => http_response("400 Bad Request", &[], "not an HTTP request"),
                    };
                    let _ = conn.write_all(&answer);
                }
                Some(config) => {
                    let Ok(session) = rustls::ServerConnection::new(config.clone()) else {
                        return;
                    };
                    let mut stream = rustls::StreamOwned::new(session, conn);
                    if let Some(req) = read_request(&mut stream) {
                        let _ = stream.write_all(&handler(&req));
                        let _ = stream.flush();
                    }
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                }
            }
        },
    )))
}
