//! `folio account create|login|whoami|sign-out-everywhere` as a script runs them: the real binary against a
//! running `folio serve`, with `--json` parsed as a script would.

use std::path::Path;

use folio_shared::keys::RecoveryCode;

mod common;

use common::{create_account, failure, folio, folio_json, serve};

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
fn sign_out_everywhere_revokes_this_profile_too_until_it_logs_in_again() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.json");
    let profile = path_str(&profile);
    create_account(&server, profile);
    // A second login leaves one device: the first was revoked by it.
    folio_json(&["account", "login", "--profile", profile, "--json"]);

    let ended = folio_json(&[
        "account",
        "sign-out-everywhere",
        "--profile",
        profile,
        "--json",
    ]);
    assert_eq!(ended["devices_signed_out"], 1, "{ended}");
    assert_eq!(
        ended["sessions_ended"], 0,
        "the CLI keeps no session open: {ended}"
    );
    let refused = failure(&["account", "whoami", "--profile", profile, "--json"]);
    assert!(refused.contains("revoked"), "{refused}");

    // The passkey still signs in, confirms and gives the profile a new device.
    folio_json(&["account", "login", "--profile", profile, "--json"]);
    let whoami = folio_json(&["account", "whoami", "--profile", profile, "--json"]);
    assert_eq!(whoami["unlocks"], true);

    let text = folio(&["account", "sign-out-everywhere", "--profile", profile]);
    assert!(text.status.success());
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("Signed out everywhere") && stdout.contains("folio account login"),
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

    create_account(&server, profile);
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
