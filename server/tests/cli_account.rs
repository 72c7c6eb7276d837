//! `folio account create|login|whoami` as a script runs them: the real binary against a
//! running `folio serve`, with `--json` parsed as a script would.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use folio_shared::keys::RecoveryCode;
use serde_json::Value;

struct RunningServer {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> RunningServer {
    let data = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://localhost:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("serve")
        .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
        .env("FOLIO_DATA_DIR", data.path())
        .env("FOLIO_PUBLIC_URL", &url)
        .env_remove("FOLIO_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("folio starts");
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
        _data: data,
    }
}

fn folio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env_remove("FOLIO_SERVER")
        .env_remove("FOLIO_PROFILE")
        .output()
        .expect("folio runs")
}

/// Runs a `--json` verb and parses its standard output.
fn folio_json(args: &[&str]) -> Value {
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

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn create_then_whoami_then_login_against_a_running_server() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("alice.json");
    let profile = path_str(&profile);

    let created = folio_json(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        profile,
        "--json",
    ]);
    let account_id = created["account_id"]
        .as_str()
        .expect("an account id")
        .to_owned();
    let code = created["recovery_code"].as_str().expect("a recovery code");
    code.parse::<RecoveryCode>()
        .expect("the printed recovery code is a valid one");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(profile).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the profile is readable by its owner only");
    }
    let saved = std::fs::read_to_string(profile).unwrap();
    assert!(
        !saved.contains(code),
        "the recovery code is not kept in the profile"
    );

    let whoami = folio_json(&["account", "whoami", "--profile", profile, "--json"]);
    assert_eq!(whoami["account_id"], account_id.as_str());
    assert_eq!(whoami["unlocks"], true);
    assert_eq!(whoami["passkeys"], 1);
    assert_eq!(whoami["devices"], 1);
    assert_eq!(whoami["has_recovery_code"], true);
    assert_eq!(whoami["device_id"], created["device_id"]);

    // Signing in again with the profile's passkey unlocks through PRF and replaces the
    // device token; the old device is revoked.
    let login = folio_json(&["account", "login", "--profile", profile, "--json"]);
    assert_eq!(login["account_id"], account_id.as_str());
    assert_eq!(login["unlocked"], true);
    assert_ne!(login["device_id"], created["device_id"]);
    let whoami = folio_json(&["account", "whoami", "--profile", profile, "--json"]);
    assert_eq!(whoami["device_id"], login["device_id"]);
    assert_eq!(
        (whoami["devices"].as_u64(), whoami["unlocks"].as_bool()),
        (Some(1), Some(true))
    );

    // A second login: the software passkey's counter moved on and was saved.
    folio_json(&["account", "login", "--profile", profile, "--json"]);

    // The human form says where the code is and that it is shown once.
    let text = folio(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        path_str(&dir.path().join("bob.json")),
    ]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    assert!(
        stdout.contains("Recovery code:") && stdout.contains("not shown again"),
        "{stdout}"
    );
}

#[test]
fn refusals_are_clear_and_leave_the_profile_alone() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.json");
    let profile = path_str(&profile);

    let missing = folio(&["account", "whoami", "--profile", profile, "--json"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no profile at"));

    folio_json(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        profile,
        "--json",
    ]);
    let before = std::fs::read(profile).unwrap();
    let again = folio(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        profile,
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read(profile).unwrap(),
        before,
        "the profile is untouched"
    );

    let unreachable = folio(&[
        "account",
        "create",
        "--server",
        "http://localhost:1",
        "--profile",
        path_str(&dir.path().join("q.json")),
    ]);
    assert!(!unreachable.status.success());
    assert!(
        !dir.path().join("q.json").exists(),
        "no profile for an account that was not made"
    );

    std::fs::write(dir.path().join("bad.json"), b"{not json").unwrap();
    let damaged = folio(&[
        "account",
        "whoami",
        "--profile",
        path_str(&dir.path().join("bad.json")),
    ]);
    assert!(!damaged.status.success());
    assert!(String::from_utf8_lossy(&damaged.stderr).contains("damaged"));
}
