//! `folio backup` while uploads run, and `folio restore` into a fresh data directory: every
//! segment and attachment acknowledged before the backup started is in the restored server
//! under its seq with its bytes; a restore into a directory that is not empty, or from a
//! backup that is unfinished or damaged, is refused and changes nothing; PostgreSQL is
//! refused with what to use instead.

mod common;
mod durability;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use folio_server::client::VaultClient;
use folio_shared::vault::{attachment_id, seal_attachment};

use common::{failure, folio_json};
use durability::{Serving, TestVault, check_log, device_token, free_port, spawn_uploader};

/// Every file under `dir` with its bytes: what "changes nothing" compares.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.insert(path.clone(), Vec::new());
                pending.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn a_backup_taken_under_load_restores_every_acknowledged_upload() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Serving::start(&data, free_port());
    let profile = dir.path().join("patient.json");
    create_account_at(&server.url, &profile);
    let client = VaultClient::new(server.url.clone(), device_token(&profile));
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let vaults: Vec<TestVault> = runtime.block_on(async {
        vec![
            TestVault::create(&client).await,
            TestVault::create(&client).await,
        ]
    });
    // Attachments before the load: the backup must carry their files, checked by hash.
    let documents: Vec<(usize, uuid::Uuid, Vec<u8>)> = runtime.block_on(async {
        let mut documents = Vec::new();
        for (i, vault) in vaults.iter().enumerate() {
            for n in 0..3 {
                let sealed = seal_attachment(
                    &vault.identity.recipient(),
                    format!("scan {i}-{n} ").repeat(5_000).as_bytes(),
                );
                let id = attachment_id(&sealed);
                client
                    .put_attachment(vault.id, id, sealed.clone())
                    .await
                    .expect("the attachment is stored");
                documents.push((i, id, sealed));
            }
        }
        documents
    });

    // Three uploaders per record, running before, during and after the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let uploaders: Vec<_> = (0..6)
        .map(|u| {
            let _guard = runtime.enter();
            spawn_uploader(
                client.clone(),
                &vaults[u % 2],
                format!("up{u}"),
                stop.clone(),
                acked.clone(),
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let backup_dir = dir.path().join("backup");
    let backup_started = Instant::now();
    let acked_before = acked.lock().unwrap().len();
    let backed_up = folio_json(&[
        "backup",
        "--to",
        backup_dir.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--json",
    ]);
    let acked_during = acked.lock().unwrap().len() - acked_before;
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let uploads: usize = runtime.block_on(async {
        let mut total = 0;
        for uploader in uploaders {
            total += uploader.await.unwrap();
        }
        total
    });
    drop(server);
    let acked = acked.lock().unwrap().clone();
    let required: Vec<_> = acked.iter().filter(|a| a.at < backup_started).collect();
    assert!(
        required.len() >= 20,
        "enough uploads before the backup: {}",
        required.len()
    );
    assert!(
        acked_during > 0,
        "uploads went on while the backup ran ({uploads} tried)"
    );
    assert_eq!(backed_up["attachments"], 6, "{backed_up:#}");
    assert!(
        backed_up["counts"]["segments"].as_u64().unwrap() >= required.len() as u64,
        "{backed_up:#}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["engine"], "sqlite");
    assert_eq!(manifest["folio_version"], env!("CARGO_PKG_VERSION"));

    // A backup goes only into an empty folder.
    let refused = failure(&[
        "backup",
        "--to",
        backup_dir.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(refused.contains("not empty"), "{refused}");

    // Restore into a new data directory, then serve it.
    let restored = dir.path().join("restored");
    let report = folio_json(&[
        "restore",
        backup_dir.to_str().unwrap(),
        "--data-dir",
        restored.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(report["counts"], manifest["counts"], "{report:#}");

    // Into a directory that holds anything: refused, and nothing there changes; a restore
    // does not even touch a directory it has restored into before.
    let before = snapshot(&restored);
    let again = failure(&[
        "restore",
        backup_dir.to_str().unwrap(),
        "--data-dir",
        restored.to_str().unwrap(),
    ]);
    assert!(again.contains("new or empty data directory"), "{again}");
    assert_eq!(
        snapshot(&restored),
        before,
        "the refused restore changed nothing"
    );
    let occupied = dir.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("notes.txt"), b"someone else's").unwrap();
    let before = snapshot(&occupied);
    let refused = failure(&[
        "restore",
        backup_dir.to_str().unwrap(),
        "--data-dir",
        occupied.to_str().unwrap(),
    ]);
    assert!(refused.contains("not empty"), "{refused}");
    assert_eq!(snapshot(&occupied), before);

    let server = Serving::start(&restored, free_port());
    let client = VaultClient::new(server.url.clone(), device_token(&profile));
    runtime.block_on(async {
        for vault in &vaults {
            let stored = durability::stored_segments(&client, vault.id).await;
            let mine: Vec<_> = required
                .iter()
                .copied()
                .filter(|a| a.vault == vault.id)
                .collect();
            check_log(&stored, &mine);
            // What came after the start and made it into the snapshot is whole too.
            for late in acked
                .iter()
                .filter(|a| a.vault == vault.id && a.at >= backup_started)
            {
                if let Some(bytes) = stored.get(&late.seq) {
                    assert!(*bytes == late.bytes, "seq {} is {}", late.seq, late.key);
                }
            }
        }
        for (i, id, sealed) in &documents {
            let bytes = client
                .get_attachment(vaults[*i].id, *id)
                .await
                .expect("the attachment is restored");
            assert!(bytes == *sealed, "attachment {id} has its bytes");
        }
    });
    drop(server);

    // A backup without its manifest is unfinished; one whose file differs is damaged.
    let unfinished = dir.path().join("unfinished");
    copy_dir(&backup_dir, &unfinished);
    std::fs::remove_file(unfinished.join("manifest.json")).unwrap();
    let refused = failure(&[
        "restore",
        unfinished.to_str().unwrap(),
        "--data-dir",
        dir.path().join("never-1").to_str().unwrap(),
    ]);
    assert!(refused.contains("did not finish"), "{refused}");
    assert!(!dir.path().join("never-1").exists());

    let damaged = dir.path().join("damaged");
    copy_dir(&backup_dir, &damaged);
    let blob = snapshot(&damaged.join("blobs"))
        .into_iter()
        .find(|(path, bytes)| !bytes.is_empty() && path.extension().is_some_and(|e| e == "age"))
        .expect("an attachment in the backup")
        .0;
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&blob, bytes).unwrap();
    let target = dir.path().join("never-2");
    let refused = failure(&[
        "restore",
        damaged.to_str().unwrap(),
        "--data-dir",
        target.to_str().unwrap(),
    ]);
    assert!(refused.contains("damaged"), "{refused}");
    assert!(!target.exists(), "a refused restore leaves nothing behind");
}

#[test]
fn postgres_is_refused_with_what_to_use_instead() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["backup", "--to", "unused"], vec!["restore", "unused"]] {
        let mut args = args;
        args.extend([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--database-url",
            "postgres://folio:hunter2@127.0.0.1:5432/folio",
        ]);
        let said = failure(&args);
        assert!(said.contains("pg_dump"), "{said}");
        assert!(!said.contains("hunter2"), "{said}");
    }
}

fn create_account_at(url: &str, profile: &Path) {
    folio_json(&[
        "account",
        "create",
        "--server",
        url,
        "--profile",
        profile.to_str().unwrap(),
        "--json",
    ]);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
