//! A token server for distribution's `auth: token` mode: it checks Basic credentials (or an
//! OAuth2 form), grants what its policy allows of the scope asked, and signs an ES256 JWT with
//! an `x5c` header the registry verifies against `rootcertbundle`. Every request is recorded, so
//! tests can assert what regdoctor sent where (never the secret itself).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rcgen::{CertificateParams, KeyPair};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

use super::registry::TokenAuth;
use super::servers::{self, Behaviour, Server, read_request};

pub const SERVICE: &str = "regdoctor-test-registry";
pub const ISSUER: &str = "regdoctor-test-issuer";

/// Who may do what. Actions are granted per repository: the intersection of what was asked and
/// what the policy allows.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// (user, password, actions allowed on every repository)
    pub users: Vec<(String, String, Vec<String>)>,
    /// Actions an anonymous request gets.
    pub anonymous: Vec<String>,
    /// OAuth2 refresh tokens (identity tokens) and the user each stands for.
    pub refresh_tokens: Vec<(String, String)>,
    /// Answer `POST` (the OAuth2 form) with 404, as registries without OAuth2 support do.
    pub no_oauth_post: bool,
}

impl Policy {
    pub fn user(mut self, user: &str, password: &str, actions: &[&str]) -> Self {
        self.users.push((
            user.into(),
            password.into(),
            actions.iter().map(|a| a.to_string()).collect(),
        ));
        self
    }

    pub fn anonymous(mut self, actions: &[&str]) -> Self {
        self.anonymous = actions.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn refresh_token(mut self, token: &str, user: &str) -> Self {
        self.refresh_tokens.push((token.into(), user.into()));
        self
    }
}

/// (user, password, actions)
type User = (String, String, Vec<String>);

/// One request the token server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub had_authorization: bool,
    /// The form body of a POST (holds a secret: compare, never print).
    pub form: String,
}

pub struct TokenServer {
    server: Server,
    pub realm: String,
    pub bundle: PathBuf,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    signer: Arc<Signer>,
}

struct Signer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    rng: SystemRandom,
}

impl TokenServer {
    /// Starts on a free 127.0.0.1 port, plain HTTP; writes the signing certificate to
    /// `dir/token-ca.pem`.
    pub fn start(dir: &Path, policy: Policy) -> TokenServer {
        Self::start_with(dir, policy, None)
    }

    /// The same over TLS with this (chain PEM, key PEM): the realm is `https://...`.
    pub fn start_tls(dir: &Path, policy: Policy, chain_pem: &str, key_pem: &str) -> TokenServer {
        Self::start_with(
            dir,
            policy,
            Some(servers::server_config(chain_pem, key_pem)),
        )
    }

    fn start_with(
        dir: &Path,
        policy: Policy,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> TokenServer {
        let key = KeyPair::generate().expect("generate the token signing key");
        let cert = CertificateParams::new(vec!["regdoctor-test-token-signer".to_string()])
            .expect("token signer params")
            .self_signed(&key)
            .expect("self-sign the token signer");
        let bundle = dir.join("token-ca.pem");
        std::fs::write(&bundle, cert.pem()).expect("write the token rootcertbundle");
        let rng = SystemRandom::new();
        let signer = Arc::new(Signer {
            key: EcdsaKeyPair::from_pkcs8(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &key.serialize_der(),
                &rng,
            )
            .expect("load the signing key into ring"),
            cert_der: cert.der().to_vec(),
            rng,
        });
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (signer2, seen2, policy) = (signer.clone(), seen.clone(), Arc::new(policy));
        let tls2 = tls.clone();
        let server = servers::start(Behaviour::Script(Arc::new(
            move |conn: TcpStream, _stop: &AtomicBool| {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(3)));
                match &tls2 {
                    None => serve(conn, &signer2, &policy, &seen2),
                    Some(config) => {
                        let Ok(session) = rustls::ServerConnection::new(config.clone()) else {
                            return;
                        };
                        let mut stream = rustls::StreamOwned::new(session, conn);
                        serve(&mut stream, &signer2, &policy, &seen2);
                        stream.conn.send_close_notify();
                        let _ = stream.flush();
                    }
                }
            },
        )));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let realm = format!("{scheme}://{}/token", server.addr);
        TokenServer {
            server,
            realm,
            bundle,
            seen,
            signer,
        }
    }

    pub fn addr(&self) -> &str {
        &self.server.addr
    }

    /// The registry's `auth.token` section pointing at this server.
    pub fn auth(&self) -> TokenAuth {
        TokenAuth {
            realm: self.realm.clone(),
            service: SERVICE.into(),
            issuer: ISSUER.into(),
            rootcertbundle: self.bundle.clone(),
        }
    }

    /// A token for the test's own set-up (pushing an image), as `Bearer ...`.
    pub fn bearer(&self, repository: &str, actions: &[&str]) -> String {
        let actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
        format!(
            "Bearer {}",
            self.signer.sign("test-setup", Some((repository, &actions)))
        )
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("token log").clone()
    }
}

fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

impl Signer {
    fn sign(&self, subject: &str, access: Option<(&str, &[String])>) -> String {
        let header = serde_json::json!({
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&self.cert_der)],
        });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs();
        let access = match access {
            Some((name, actions)) => {
                serde_json::json!([{ "type": "repository", "name": name, "actions": actions }])
            }
            None => serde_json::json!([]),
        };
        let claims = serde_json::json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": format!("{now}-{}", subject.len()),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let sig = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .expect("sign the token");
        format!("{signing_input}.{}", b64url(sig.as_ref()))
    }
}

fn params(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn respond(conn: &mut impl Write, status: &str, body: &str) {
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(msg.as_bytes());
}

fn serve(mut conn: impl Read + Write, signer: &Signer, policy: &Policy, seen: &Mutex<Vec<Seen>>) {
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    if let Ok(mut s) = seen.lock() {
        s.push(Seen {
            method: req.method.clone(),
            path_and_query: req.target.clone(),
            had_authorization: req.authorization.is_some(),
            form: req.body.clone(),
        });
    }
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    if path != "/token" {
        return respond(&mut conn, "404 Not Found", "{}");
    }
    let post = req.method == "POST";
    if post && policy.no_oauth_post {
        return respond(&mut conn, "404 Not Found", "404 page not found");
    }
    let p = if post {
        params(&req.body)
    } else {
        params(query)
    };
    // Who is asking: Basic on GET; the form's password or refresh token on POST.
    let who: Result<Option<&User>, ()> = if post {
        match get(&p, "grant_type") {
            Some("password") => {
                let (u, pw) = (get(&p, "username"), get(&p, "password"));
                policy
                    .users
                    .iter()
                    .find(|(n, w, _)| Some(n.as_str()) == u && Some(w.as_str()) == pw)
                    .map(Some)
                    .ok_or(())
            }
            Some("refresh_token") => {
                let t = get(&p, "refresh_token");
                policy
                    .refresh_tokens
                    .iter()
                    .find(|(tok, _)| Some(tok.as_str()) == t)
                    .and_then(|(_, user)| policy.users.iter().find(|(n, _, _)| n == user))
                    .map(Some)
                    .ok_or(())
            }
            _ => Err(()),
        }
    } else {
        match req.authorization.as_deref() {
            None => Ok(None),
            Some(a) => a
                .strip_prefix("Basic ")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| {
                    let (u, pw) = t.split_once(':')?;
                    policy.users.iter().find(|(n, w, _)| n == u && w == pw)
                })
                .map(Some)
                .ok_or(()),
        }
    };
    let Ok(who) = who else {
        return respond(
            &mut conn,
            "401 Unauthorized",
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
        );
    };
    if get(&p, "service") != Some(SERVICE) {
        return respond(
            &mut conn,
            "400 Bad Request",
            r#"{"errors":[{"code":"UNSUPPORTED","message":"unknown service"}]}"#,
        );
    }
    let allowed = who.map_or(&policy.anonymous, |(_, _, a)| a);
    let access = get(&p, "scope").and_then(|s| {
        let mut parts = s.splitn(3, ':');
        let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
        (kind == "repository").then_some(())?;
        let granted: Vec<String> = actions
            .split(',')
            .filter(|a| allowed.iter().any(|x| x == a || x == "*"))
            .map(str::to_string)
            .collect();
        Some((name.to_string(), granted))
    });
    let subject = who.map_or("", |(n, _, _)| n.as_str());
    let token = signer.sign(subject, access.as_ref().map(|(n, a)| (n.as_str(), &a[..])));
    let issued = time_now_rfc3339();
    let body = if post {
        format!(
            r#"{{"access_token":"{token}","expires_in":300,"issued_at":"{issued}","scope":"{}"}}"#,
            get(&p, "scope").unwrap_or("")
        )
    } else {
        format!(r#"{{"token":"{token}","expires_in":300,"issued_at":"{issued}"}}"#)
    };
    respond(&mut conn, "200 OK", &body);
}

fn time_now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
