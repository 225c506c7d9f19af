//! Run the built binary as a user would: a clean environment, a fresh HOME, a hard time limit
//! (a hang is a test failure, not a stuck CI job).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Run {
    /// Exit code; -1 when killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The child's peak resident memory in KiB (VmHWM, sampled from /proc while it ran; the
    /// last sample is at most a few milliseconds before exit). None if never sampled.
    pub peak_rss_kib: Option<u64>,
}

impl Run {
    /// stdout parsed as JSON; panics with the exit code, stdout and stderr when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

pub struct Regdoctor {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    stdin_stdio: Option<Stdio>,
    timeout: Duration,
}

impl Default for Regdoctor {
    fn default() -> Self {
        Self::new()
    }
}

impl Regdoctor {
    pub fn new() -> Self {
        Regdoctor {
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            stdin_stdio: None,
            timeout: Duration::from_secs(30),
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets a variable on top of the clean environment (PATH, HOME, LANG, NO_COLOR included:
    /// the last value wins).
    pub fn env(mut self, k: impl AsRef<str>, v: impl Into<String>) -> Self {
        self.env.push((k.as_ref().to_string(), v.into()));
        self
    }

    /// Bytes written to the child's stdin, then closed. Without it stdin is /dev/null.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The child's stdin is this file or pipe (say, another process's stdout), never read
    /// into the test's memory: for inputs of hundreds of megabytes.
    pub fn stdin_from(mut self, stdin: impl Into<Stdio>) -> Self {
        self.stdin_stdio = Some(stdin.into());
        self
    }

    /// Time limit for the whole run (default 30 s); past it the child is killed and the test
    /// panics.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    pub fn run(self) -> Run {
        let home = tempfile::Builder::new()
            .prefix("regdoctor-home-")
            .tempdir()
            .expect("create a temporary HOME");
        let mut args = self.args.clone();
        // The suites written for Docker's view judge Docker alone, whatever clients this machine
        // has; tests of the other clients say `--client`.
        let judges_clients = args
            .iter()
            .any(|a| a == "--client" || a.starts_with("--client="));
        if args.first().is_some_and(|a| a == "check") && !judges_clients {
            args.push("--client".into());
            args.push("docker".into());
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_regdoctor"));
        cmd.args(&args)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
            )
            .env("HOME", home.path())
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(match (&self.stdin, self.stdin_stdio) {
                (Some(_), _) => Stdio::piped(),
                (None, Some(s)) => s,
                (None, None) => Stdio::null(),
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let deadline = started + self.timeout;
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "spawn {} {:?}: {e}",
                env!("CARGO_BIN_EXE_regdoctor"),
                self.args
            )
        });
        if let Some(bytes) = self.stdin {
            let mut pipe = child.stdin.take().expect("the child's stdin pipe");
            // A thread: the child may not read all of it (or read it only after writing).
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let stdout = drain(child.stdout.take().expect("the child's stdout pipe"));
        let stderr = drain(child.stderr.take().expect("the child's stderr pipe"));
        let pid = child.id();
        let mut peak_rss_kib = None;
        let status = loop {
            if let Some(kib) = vm_hwm_kib(pid) {
                peak_rss_kib = Some(kib.max(peak_rss_kib.unwrap_or(0)));
            }
            if let Some(status) = child.try_wait().expect("wait for regdoctor") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                let out = collect(&stdout, Duration::from_millis(200));
                let err = collect(&stderr, Duration::from_millis(200));
                panic!(
                    "regdoctor {:?} still running after {:?}: killed\nstdout so far:\n{}\nstderr so far:\n{}",
                    self.args,
                    self.timeout,
                    out.unwrap_or_default(),
                    err.unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = started.elapsed();
        // The pipes close when the last writer exits: a grandchild that inherited them (say, a
        // hung credential helper) would block us forever, so this wait is bounded too.
        let grace_until = deadline.max(Instant::now() + Duration::from_secs(2));
        let left = || grace_until.saturating_duration_since(Instant::now());
        let (Some(stdout), Some(stderr)) = (collect(&stdout, left()), collect(&stderr, left()))
        else {
            panic!(
                "regdoctor {:?} exited ({status}) but its stdout/stderr stayed open afterwards: \
                 a process it started still holds them",
                self.args
            );
        };
        drop(home);
        let code = status.code().unwrap_or(-1);
        // Rust's panic exit code: never an answer regdoctor gives on purpose.
        assert_ne!(code, 101, "regdoctor {:?} panicked:\n{stderr}", self.args);
        Run {
            code,
            stdout,
            stderr,
            elapsed,
            peak_rss_kib,
        }
    }
}

/// `VmHWM` of a running process, from /proc (Linux): the high-water mark of its resident set.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Reads a pipe to EOF on a thread; the result arrives on the channel.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

fn collect(rx: &mpsc::Receiver<Vec<u8>>, wait: Duration) -> Option<String> {
    rx.recv_timeout(wait)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}
