//! The roots Docker trusts for a registry: the system store plus every `*.crt` in
//! `/etc/docker/certs.d/<host:port>/`, added to (not replacing) the system pool, and the client
//! certificate pairs (`*.cert` + `*.key`) found there.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

#[derive(Debug, Clone)]
pub struct Trust {
    pub roots: Arc<RootCertStore>,
    pub system_roots: usize,
    pub certs_d: CertsDir,
}

#[derive(Debug, Clone, Default)]
pub struct CertsDir {
    pub dir: PathBuf,
    pub exists: bool,
    /// Extra CA certificates, with the file each came from.
    pub cas: Vec<(PathBuf, CertificateDer<'static>)>,
    pub client_pairs: Vec<(PathBuf, PathBuf)>,
    /// Files Docker would refuse (a `.cert` without its `.key`, unreadable PEM, ...).
    pub problems: Vec<String>,
}

impl Trust {
    /// Is this exact certificate one of the trusted roots? Go's verifier accepts a server
    /// certificate that is itself in the pool, which rustls does not.
    pub fn contains(&self, der: &[u8]) -> bool {
        self.certs_d.cas.iter().any(|(_, c)| c.as_ref() == der)
            || system_roots().0.iter().any(|c| c.as_ref() == der)
    }
}

/// The system roots are read once per process: parsing ~150 certificates is not free.
fn system_roots() -> &'static (Vec<CertificateDer<'static>>, Vec<String>) {
    static ROOTS: OnceLock<(Vec<CertificateDer<'static>>, Vec<String>)> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let result = rustls_native_certs::load_native_certs();
        let errors = result.errors.iter().map(|e| e.to_string()).collect();
        (result.certs, errors)
    })
}

/// The system roots alone.
pub fn system() -> Arc<RootCertStore> {
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(system_roots().0.iter().cloned());
    Arc::new(store)
}

pub fn load(certs_root: &Path, host_port: &str) -> Trust {
    let mut store = RootCertStore::empty();
    let (system, _) = system_roots();
    let (system_roots, _) = store.add_parsable_certificates(system.iter().cloned());
    let certs_d = read_certs_dir(&certs_root.join(host_port));
    for (_, ca) in &certs_d.cas {
        // A CA:TRUE self-signed server cert dropped in as ca.crt is added too; webpki may still
        // refuse it as an end entity, which the TLS probe judges the way Go does.
        let _ = store.add(ca.clone());
    }
    Trust {
        roots: Arc::new(store),
        system_roots,
        certs_d,
    }
}

/// The largest `.crt` file read (a bundle of a few hundred CAs is about 200 KiB).
const MAX_CRT_SIZE: u64 = 1 << 20;
/// The most CA certificates taken from one certs.d folder.
const MAX_CAS: usize = 1000;

/// The system roots plus the CA certificates in `files` (hosts.toml `ca`, a client's per-host
/// folder): the trust of a client other than Docker. `dir` is where they were looked for.
pub fn from_files(dir: &Path, files: &[PathBuf]) -> Trust {
    let mut store = RootCertStore::empty();
    let (system_roots, _) = store.add_parsable_certificates(system_roots().0.iter().cloned());
    let mut certs_d = CertsDir {
        dir: dir.to_path_buf(),
        exists: dir.is_dir(),
        ..CertsDir::default()
    };
    for path in files {
        match CertificateDer::pem_file_iter(path) {
            Ok(iter) => {
                for cert in iter.flatten() {
                    let _ = store.add(cert.clone());
                    certs_d.cas.push((path.clone(), cert.into_owned()));
                }
            }
            Err(e) => certs_d.problems.push(format!("{}: {e}", path.display())),
        }
    }
    Trust {
        roots: Arc::new(store),
        system_roots,
        certs_d,
    }
}

fn read_certs_dir(dir: &Path) -> CertsDir {
    let mut out = CertsDir {
        dir: dir.to_path_buf(),
        ..CertsDir::default()
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    out.exists = true;
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    // Bounded like every input: so many files, each so large, so many certificates.
    let cap = crate::config::bounded::MAX_DIR_FILES;
    if files.len() > cap {
        out.problems.push(format!(
            "{}: {} files; only the first {cap} were read",
            dir.display(),
            files.len()
        ));
        files.truncate(cap);
    }
    for path in &files {
        match path.extension().and_then(|e| e.to_str()) {
            Some("crt") => match crate::config::bounded::read(path, MAX_CRT_SIZE) {
                Ok(pem) => {
                    let mut n = 0;
                    for cert in CertificateDer::pem_slice_iter(&pem) {
                        if out.cas.len() >= MAX_CAS {
                            out.problems.push(format!(
                                "{}: more than {MAX_CAS} certificates in the folder; the rest were not read",
                                path.display()
                            ));
                            break;
                        }
                        match cert {
                            Ok(c) => {
                                out.cas.push((path.clone(), c.into_owned()));
                                n += 1;
                            }
                            Err(e) => {
                                // A broken block ends the file's reading, as it ends Go's.
                                out.problems.push(format!("{}: {e}", path.display()));
                                break;
                            }
                        }
                    }
                    if n == 0 {
                        out.problems.push(format!(
                            "{}: no PEM certificate in the file",
                            path.display()
                        ));
                    }
                }
                Err(e) => out.problems.push(format!("{}: {e}", path.display())),
            },
            Some("cert") => {
                let key = path.with_extension("key");
                if key.exists() {
                    out.client_pairs.push((path.clone(), key));
                } else {
                    out.problems.push(format!(
                        "{}: client certificate without its key {} (CA certificates must end in .crt)",
                        path.display(),
                        key.display()
                    ));
                }
            }
            Some("key") if !path.with_extension("cert").exists() => out.problems.push(format!(
                "{}: key without its client certificate {}",
                path.display(),
                path.with_extension("cert").display()
            )),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certs_dir_reports_docker_layout_problems() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("r.example:5000");
        std::fs::create_dir(&host).unwrap();
        std::fs::write(host.join("ca.crt"), "not pem").unwrap();
        std::fs::write(host.join("client.cert"), "x").unwrap();
        let t = load(dir.path(), "r.example:5000");
        assert!(t.certs_d.exists);
        assert!(t.certs_d.cas.is_empty());
        assert_eq!(t.certs_d.problems.len(), 2, "{:?}", t.certs_d.problems);
        let missing = load(dir.path(), "other:5000");
        assert!(!missing.certs_d.exists);
    }
}
