//! `folio share` as a patient and a clinician run it: the real binary against a running
//! `folio serve` that logs at debug level. The patient imports a record and shares it with
//! a passcode, the clinician opens the link, the patient reads the log and revokes it; then
//! neither the server's files nor its log output hold the link key, the passcode or the
//! link.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use folio_shared::shl::ShareLinkPayload;
use serde_json::{Value, json};

struct RunningServer {
    child: Child,
    url: String,
    data: tempfile::TempDir,
    log: std::path::PathBuf,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `folio serve` on a free port, everything it logs at debug level going to a file.
fn serve(logs: &Path) -> RunningServer {
    let data = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://localhost:{port}");
    let log = logs.join("server.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("serve")
        .env("FOLIO_LISTEN", format!("127.0.0.1:{port}"))
        .env("FOLIO_DATA_DIR", data.path())
        .env("FOLIO_PUBLIC_URL", &url)
        .env("FOLIO_LOG", "debug")
        .env_remove("FOLIO_DATABASE_URL")
        .stdout(out.try_clone().unwrap())
        .stderr(out)
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
        data,
        log,
    }
}

fn folio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env_remove("FOLIO_SERVER")
        .env_remove("FOLIO_PROFILE")
        .env_remove("FOLIO_LOG")
        .output()
        .expect("folio runs")
}

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

fn failure(args: &[&str]) -> String {
    let output = folio(args);
    assert!(
        !output.status.success(),
        "folio {args:?} should have failed"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn share_open_log_revoke_and_no_secret_reaches_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let profile = dir.path().join("patient.json");
    let profile = profile.to_str().unwrap();
    folio_json(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        profile,
        "--json",
    ]);

    let allergy = format!("Peanut-{}", uuid::Uuid::new_v4().simple());
    let record = dir.path().join("record.json");
    std::fs::write(
        &record,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Patient", "id": "p1",
                              "name": [{"family": "Lovelace", "given": ["Ada"]}],
                              "birthDate": "1970-01-01"}},
                {"resource": {"resourceType": "AllergyIntolerance", "id": "a1",
                              "code": {"text": allergy},
                              "patient": {"reference": "Patient/p1"}}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
    folio_json(&[
        "import",
        "--profile",
        profile,
        "--source",
        "Riverside Clinic",
        "--json",
        record.to_str().unwrap(),
    ]);

    let passcode = format!("pass-{}", uuid::Uuid::new_v4().simple());
    let created = folio_json(&[
        "share",
        "create",
        "--profile",
        profile,
        "--categories",
        "allergies",
        "--expires",
        "1h",
        "--passcode",
        &passcode,
        "--label",
        "For Dr Test",
        "--json",
    ]);
    let id = created["id"].as_str().unwrap().to_owned();
    let link = created["link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/view#shlink:/", server.url)),
        "{link}"
    );
    let payload = ShareLinkPayload::parse(&link).unwrap();
    assert!(payload.flags.passcode);
    assert_eq!(created["categories"], json!({"allergies": 1}));

    let needs = failure(&["share", "open", &link, "--recipient", "Dr Test"]);
    assert!(needs.contains("passcode"), "{needs}");
    let wrong = failure(&[
        "share",
        "open",
        &link,
        "--recipient",
        "Dr Guess",
        "--passcode",
        "not-it",
    ]);
    assert!(wrong.contains("4 attempts left"), "{wrong}");

    let opened = folio_json(&[
        "share",
        "open",
        &link,
        "--recipient",
        "Dr Test",
        "--passcode",
        &passcode,
        "--json",
    ]);
    let bundle = &opened[0]["content"];
    assert_eq!(bundle["resourceType"], "Bundle");
    let text = bundle.to_string();
    assert!(text.contains(&allergy), "the allergy is shared: {text}");
    assert!(text.contains("AllergyIntolerance"));

    let log = folio_json(&["share", "log", &id, "--profile", profile, "--json"]);
    assert_eq!(log["chain_valid"], true);
    let seen: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["recipient"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Dr Guess".to_owned(), "wrong_passcode".to_owned()),
            ("Dr Test".to_owned(), "opened".to_owned()),
        ]
    );
    let list = folio_json(&["share", "list", "--profile", profile, "--json"]);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["opens"], 1);
    assert_eq!(list[0]["attempts_left"], 4);

    let revoke = folio(&["share", "revoke", &id, "--profile", profile]);
    assert!(revoke.status.success());
    let after = failure(&[
        "share",
        "open",
        &link,
        "--recipient",
        "Dr Test",
        "--passcode",
        &passcode,
    ]);
    assert!(after.contains("revoked or expired"), "{after}");

    // What the server kept and what it logged, at debug level.
    let mut stored = Vec::new();
    for file in walk(server.data.path()) {
        stored.extend(std::fs::read(file).unwrap_or_default());
    }
    let logged = std::fs::read(&server.log).unwrap();
    assert!(
        contains(&logged, b"DEBUG"),
        "the server logged at debug level"
    );
    assert!(
        contains(&stored, b"$argon2id$"),
        "the scan reads the database"
    );
    let key = payload.key.to_base64url();
    let link_id = payload.url.rsplit('/').next().unwrap().to_owned();
    let encoded = payload.encode();
    for (what, secret) in [
        ("the link key", key.as_str()),
        ("the passcode", passcode.as_str()),
        ("the shlink payload", encoded.trim_start_matches("shlink:/")),
        ("the link id", link_id.as_str()),
        ("the record", allergy.as_str()),
    ] {
        assert!(
            !contains(&stored, secret.as_bytes()),
            "{what} is in the server's files"
        );
        assert!(
            !contains(&logged, secret.as_bytes()),
            "{what} is in the server's log"
        );
    }
}
