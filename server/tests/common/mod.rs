//! What the CLI tests and the import benchmark share: a real `folio serve` on a free port,
//! and the `folio` binary run as a script runs it.
// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

pub mod connect;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const FOLIO: &str = env!("CARGO_BIN_EXE_folio");

/// A `folio serve` child process, killed when dropped.
pub struct RunningServer {
    child: Child,
    /// Its public URL, `http://localhost:PORT`: what `--server` takes.
    pub url: String,
    pub data: tempfile::TempDir,
    /// Where it logs, when started with [`serve_logging_to`].
    pub log: Option<PathBuf>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `folio serve` on SQLite in a fresh data directory, its output discarded.
pub fn serve() -> RunningServer {
    start(None)
}

/// `folio serve` logging everything at debug level to `dir/server.log`.
pub fn serve_logging_to(dir: &Path) -> RunningServer {
    start(Some(dir.join("server.log")))
}

/// `folio serve` logging to `dir/server.log`, with more settings from the environment.
pub fn serve_logging_to_with(dir: &Path, env: &[(&str, &str)]) -> RunningServer {
    start_with(Some(dir.join("server.log")), env)
}

fn start(log: Option<PathBuf>) -> RunningServer {
    start_with(log, &[])
}

fn start_with(log: Option<PathBuf>, env: &[(&str, &str)]) -> RunningServer {
    let data = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://localhost:{port}");
    let mut command = Command::new(FOLIO);
    command
        .arg("serve")
        .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
        .env("FOLIO_DATA_DIR", data.path())
        .env("FOLIO_PUBLIC_URL", &url)
        .env_remove("FOLIO_DATABASE_URL")
        .envs(env.iter().copied());
    match &log {
        Some(path) => {
            let out = std::fs::File::create(path).unwrap();
            command
                .env("FOLIO_LOG", "debug")
                .stdout(out.try_clone().unwrap())
                .stderr(out);
        }
        None => {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let child = command.spawn().expect("folio starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let healthy = TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut s| {
            let _ = write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            );
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            answer.starts_with("HTTP/1.1 200")
        });
        if healthy {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "folio did not answer within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    RunningServer {
        child,
        url,
        data,
        log,
    }
}

/// Runs `folio` with `args`, untouched by the caller's `FOLIO_*` settings.
pub fn folio(args: &[&str]) -> Output {
    Command::new(FOLIO)
        .args(args)
        .env_remove("FOLIO_SERVER")
        .env_remove("FOLIO_PROFILE")
        .env_remove("FOLIO_LOG")
        .output()
        .expect("folio runs")
}

/// Runs a verb that must fail, and returns what it said on standard error.
pub fn failure(args: &[&str]) -> String {
    let output = folio(args);
    assert!(
        !output.status.success(),
        "folio {args:?} should have failed"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `folio account create` on `server` into the profile file `profile`: its JSON.
pub fn create_account(server: &RunningServer, profile: &str) -> Value {
    folio_json(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        profile,
        "--json",
    ])
}

/// Runs a `--json` verb that must succeed and parses its standard output.
pub fn folio_json(args: &[&str]) -> Value {
    let output = folio(args);
    assert!(
        output.status.success(),
        "folio {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "folio {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
