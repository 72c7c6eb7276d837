//! `folio backup --to DIR` and `folio restore DIR`: a copy of a SQLite server's data, taken
//! while it serves, and that copy put back into an empty data directory.
//!
//! A backup is a folder: `folio.db`, a consistent snapshot of the database (SQLite's
//! `VACUUM INTO`, one read transaction); `blobs/<vault>/<attachment>.age`, every attachment
//! that snapshot refers to; and `manifest.json`, written last: when, which Folio, the
//! migrations applied, row counts, and the size and SHA-256 of every file. A folder without
//! the manifest is an unfinished backup, and `folio restore` refuses it, as it refuses a file
//! whose bytes differ from the manifest's. Everything is ciphertext already: a backup holds
//! no more than the server does.
//!
//! PostgreSQL has its own tools: both verbs refuse it and say what to use instead.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait, Statement,
};
use sea_orm_migration::MigratorTrait as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::account::Output;
use crate::config::StorageConfig;
use crate::storage::entity::{account, attachment, segment, share, share_access, vault};
use crate::storage::migration::Migrator;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The folder to write the backup into: a new or empty one.
    #[arg(long, value_name = "DIR")]
    pub to: PathBuf,
    #[command(flatten)]
    pub storage: StorageConfig,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A folder written by `folio backup`.
    #[arg(value_name = "DIR")]
    pub from: PathBuf,
    #[command(flatten)]
    pub storage: StorageConfig,
    #[command(flatten)]
    pub output: Output,
}

const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "folio.db";
const BLOBS: &str = "blobs";
/// The manifest's layout; a restore refuses one it does not know.
const FORMAT: u32 = 1;
/// Where a restore gathers the attachments inside the data directory before moving them in;
/// a restore that was interrupted leaves only this, and the next one starts it over.
const RESTORE_STAGING: &str = ".folio-restore";
/// How many snapshots a backup takes before giving up on attachments that keep changing.
const SNAPSHOT_ATTEMPTS: usize = 3;
/// How often, and how long apart, a backup looks again for an attachment file the snapshot
/// names but the folder does not hold yet.
const MISSING_ROUNDS: usize = 5;
const MISSING_PAUSE: Duration = Duration::from_millis(100);
/// The server's writers hold the database for milliseconds; the backup waits for them.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

const POSTGRES_REFUSAL: &str = "folio backup and folio restore copy a SQLite server; on \
     PostgreSQL, back up the database with pg_dump (e.g. `pg_dump --format=custom`) and then \
     the attachments under DATA_DIR/blobs, and restore them with pg_restore and a copy of \
     that folder (README, \"Backups\")";

/// What a backup holds, written last: restore checks every file and count against it.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    created_at: DateTime<Utc>,
    folio_version: String,
    engine: String,
    /// The migrations applied to the snapshot, in order.
    migrations: Vec<String>,
    counts: Counts,
    database: StoredFile,
    attachments: Vec<StoredFile>,
}

/// Rows of the snapshot, per table that holds what users put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Counts {
    accounts: u64,
    vaults: u64,
    segments: u64,
    attachments: u64,
    shares: u64,
    share_accesses: u64,
}

/// A file of the backup: its path inside the backup (`/`-separated), size and SHA-256 (hex).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredFile {
    path: String,
    size: u64,
    sha256: String,
}

#[derive(Serialize)]
struct BackedUp<'a> {
    to: &'a Path,
    created_at: DateTime<Utc>,
    database_bytes: u64,
    attachments: usize,
    attachment_bytes: u64,
    counts: Counts,
    snapshots: usize,
}

#[derive(Serialize)]
struct Restored<'a> {
    data_dir: &'a Path,
    database: &'a Path,
    backup_created_at: DateTime<Utc>,
    attachments: usize,
    counts: Counts,
}

pub async fn backup(args: BackupArgs) -> Result<()> {
    let source = sqlite_file(&args.storage)?;
    if !source.is_file() {
        bail!(
            "there is no database at {}: is --data-dir (or --database-url) the server's?",
            source.display()
        );
    }
    let created =
        prepare_empty_dir(&args.to, None).context("the backup goes into a new or empty folder")?;
    let result = async {
        let db = connect(&source)
            .await
            .with_context(|| format!("cannot open the database {}", source.display()))?;
        let written = write_backup(&db, &args.storage.blob_dir(), &args.to).await;
        let _ = db.close().await;
        written
    }
    .await;
    let (manifest, snapshots) = match result {
        Ok(written) => written,
        Err(e) => {
            // An unfinished backup has no manifest, so restore would refuse it anyway; what
            // it wrote goes, so that the folder can take the next attempt.
            let _ = std::fs::remove_file(args.to.join(format!("{DATABASE}.part")));
            let _ = std::fs::remove_dir_all(args.to.join(BLOBS));
            if created {
                let _ = std::fs::remove_dir(&args.to);
            }
            return Err(e);
        }
    };
    let attachment_bytes = manifest.attachments.iter().map(|f| f.size).sum();
    args.output.print(
        &BackedUp {
            to: &args.to,
            created_at: manifest.created_at,
            database_bytes: manifest.database.size,
            attachments: manifest.attachments.len(),
            attachment_bytes,
            counts: manifest.counts,
            snapshots,
        },
        || {
            format!(
                "Backed up to {}: {} vaults, {} segments, {} attachments ({} bytes of database, \
                 {attachment_bytes} of attachments).",
                args.to.display(),
                manifest.counts.vaults,
                manifest.counts.segments,
                manifest.attachments.len(),
                manifest.database.size,
            )
        },
    )
}

/// Takes the snapshot, copies the attachments it refers to, and writes the manifest.
///
/// The database comes first and the attachments after, never the other way round: the
/// server writes an attachment's file (synced) before it commits the row that names it,
/// moves it to its final name right after, and deletes the row before the file. So an
/// attachment the snapshot names has its file by the time it is copied, unless it is still
/// being moved into place (the copy waits a moment for it) or was deleted since; then a new
/// snapshot is taken, up to [`SNAPSHOT_ATTEMPTS`] times. Attachments uploaded after the
/// snapshot are left out: the snapshot does not know them. Attachments first would go wrong
/// the other way: a row committed after the copy, whose file the backup never got.
async fn write_backup(
    db: &DatabaseConnection,
    blob_dir: &Path,
    to: &Path,
) -> Result<(Manifest, usize)> {
    let snapshot_part = to.join(format!("{DATABASE}.part"));
    let mut snapshot = 0;
    loop {
        snapshot += 1;
        remove_if_present(&snapshot_part)?;
        let created_at = Utc::now();
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [snapshot_part.to_string_lossy().into_owned().into()],
        ))
        .await
        .context("SQLite could not write the snapshot (VACUUM INTO)")?;
        let contents = read_snapshot(&snapshot_part).await?;
        sync_file(&snapshot_part)?;
        let (attachments, missing) = copy_attachments(&contents.attachments, blob_dir, to)?;
        if let Some(first) = missing.first() {
            if snapshot < SNAPSHOT_ATTEMPTS {
                tracing::info!(
                    missing = missing.len(),
                    "attachments changed after the snapshot; taking another"
                );
                remove_dir_if_present(&to.join(BLOBS))?;
                continue;
            }
            bail!(
                "{} attachment(s) the database refers to have no file, or other bytes, in {} \
                 (the first: {first}), in {SNAPSHOT_ATTEMPTS} snapshots in a row; is it the \
                 server's data directory?",
                missing.len(),
                blob_dir.display()
            );
        }
        let (size, sha256) = hash_file(&snapshot_part)?;
        std::fs::rename(&snapshot_part, to.join(DATABASE))
            .with_context(|| format!("cannot rename the snapshot in {}", to.display()))?;
        let manifest = Manifest {
            format: FORMAT,
            created_at,
            folio_version: env!("CARGO_PKG_VERSION").to_owned(),
            engine: "sqlite".to_owned(),
            migrations: contents.migrations,
            counts: contents.counts,
            database: StoredFile {
                path: DATABASE.to_owned(),
                size,
                sha256,
            },
            attachments,
        };
        // The manifest last: its presence says every file it lists is in place and synced.
        sync_dir(to)?;
        write_synced(&to.join(MANIFEST), &serde_json::to_vec_pretty(&manifest)?)?;
        sync_dir(to)?;
        return Ok((manifest, snapshot));
    }
}

/// What a snapshot holds that the manifest records.
struct SnapshotContents {
    migrations: Vec<String>,
    counts: Counts,
    attachments: Vec<attachment::Model>,
}

async fn read_snapshot(path: &Path) -> Result<SnapshotContents> {
    let db = connect(path)
        .await
        .with_context(|| format!("cannot open the copy {}", path.display()))?;
    let read = async {
        let mut migrations: Vec<String> = sea_orm_migration::seaql_migrations::Entity::find()
            .all(&db)
            .await?
            .into_iter()
            .map(|m| m.version)
            .collect();
        migrations.sort();
        let counts = count_rows(&db).await?;
        let attachments = attachment::Entity::find().all(&db).await?;
        Ok::<_, sea_orm::DbErr>(SnapshotContents {
            migrations,
            counts,
            attachments,
        })
    }
    .await;
    let _ = db.close().await;
    read.context("cannot read the copy of the database")
}

async fn count_rows(db: &DatabaseConnection) -> Result<Counts, sea_orm::DbErr> {
    Ok(Counts {
        accounts: account::Entity::find().count(db).await?,
        vaults: vault::Entity::find().count(db).await?,
        segments: segment::Entity::find().count(db).await?,
        attachments: attachment::Entity::find().count(db).await?,
        shares: share::Entity::find().count(db).await?,
        share_accesses: share_access::Entity::find().count(db).await?,
    })
}

/// Copies each attachment into the backup; returns the copied files, and the attachments
/// whose file is gone or no longer matches the snapshot's size and digest.
fn copy_attachments(
    attachments: &[attachment::Model],
    blob_dir: &Path,
    to: &Path,
) -> Result<(Vec<StoredFile>, Vec<String>)> {
    let mut copied = Vec::with_capacity(attachments.len());
    let mut pending: Vec<&attachment::Model> = attachments.iter().collect();
    let mut missing = Vec::new();
    // A file not found may be one the server is moving into place: a few rounds, a moment
    // apart, before the caller takes another snapshot.
    for round in 0..=MISSING_ROUNDS {
        if round > 0 {
            std::thread::sleep(MISSING_PAUSE);
        }
        let mut not_found = Vec::new();
        for row in pending {
            let name = blob_name(row.vault_id, row.id);
            let relative = format!("{BLOBS}/{name}");
            let target = to.join(&relative);
            match copy_synced(&blob_dir.join(&name), &target) {
                Ok((size, sha256))
                    if size == row.size as u64
                        && row.digest.as_deref().is_none_or(|d| hex(d) == sha256) =>
                {
                    copied.push(StoredFile {
                        path: relative,
                        size,
                        sha256,
                    });
                }
                Ok(_) => {
                    remove_if_present(&target)?;
                    missing.push(format!("{relative} (other bytes)"));
                }
                Err(e) if is_not_found(&e) => not_found.push(row),
                Err(e) => return Err(e),
            }
        }
        pending = not_found;
        if pending.is_empty() {
            break;
        }
    }
    missing.extend(
        pending
            .iter()
            .map(|row| format!("{BLOBS}/{}", blob_name(row.vault_id, row.id))),
    );
    copied.sort_by(|a, b| a.path.cmp(&b.path));
    for dir in copied
        .iter()
        .filter_map(|f| to.join(&f.path).parent().map(Path::to_path_buf))
        .collect::<std::collections::BTreeSet<_>>()
    {
        sync_dir(&dir)?;
    }
    if !copied.is_empty() {
        sync_dir(&to.join(BLOBS))?;
    }
    Ok((copied, missing))
}

pub async fn restore(args: RestoreArgs) -> Result<()> {
    let target = sqlite_file(&args.storage)?;
    let manifest = read_manifest(&args.from)?;
    let data_dir = &args.storage.data_dir;
    let created = prepare_empty_dir(data_dir, Some(&target))
        .context("a backup is restored only into a new or empty data directory")?;
    let result = restore_into(&args.from, &manifest, data_dir, &target).await;
    if let Err(e) = result {
        // Nothing of a failed restore stays behind: the data directory is as it was.
        let _ = std::fs::remove_dir_all(data_dir.join(RESTORE_STAGING));
        let _ = std::fs::remove_file(part_of(&target));
        if created {
            let _ = std::fs::remove_dir(data_dir);
        }
        return Err(e);
    }
    args.output.print(
        &Restored {
            data_dir,
            database: &target,
            backup_created_at: manifest.created_at,
            attachments: manifest.attachments.len(),
            counts: manifest.counts,
        },
        || {
            format!(
                "Restored the backup of {} into {}: {} vaults, {} segments, {} attachments. \
                 Start the server with the same --data-dir.",
                manifest.created_at.to_rfc3339(),
                data_dir.display(),
                manifest.counts.vaults,
                manifest.counts.segments,
                manifest.attachments.len(),
            )
        },
    )
}

fn read_manifest(from: &Path) -> Result<Manifest> {
    let path = from.join(MANIFEST);
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "{} has no readable {MANIFEST}: not a backup, or one that did not finish",
            from.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a Folio backup manifest", path.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "the backup's manifest is of format {}, and this folio (version {}) reads format \
             {FORMAT}",
            manifest.format,
            env!("CARGO_PKG_VERSION")
        );
    }
    if manifest.engine != "sqlite" || manifest.database.path != DATABASE {
        bail!("the backup's manifest does not describe a SQLite backup of Folio");
    }
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    if let Some(unknown) = manifest.migrations.iter().find(|m| !known.contains(m)) {
        bail!(
            "the backup was made by a newer Folio ({}): its database has the migration \
             {unknown}, which this folio (version {}) does not know",
            manifest.folio_version,
            env!("CARGO_PKG_VERSION")
        );
    }
    // Only names the backup itself could have written: a manifest never sends a file
    // outside the data directory.
    if let Some(odd) = manifest.attachments.iter().find(|f| !is_blob_path(&f.path)) {
        bail!(
            "the backup's manifest lists {:?}, which is not an attachment's path",
            odd.path
        );
    }
    Ok(manifest)
}

async fn restore_into(
    from: &Path,
    manifest: &Manifest,
    data_dir: &Path,
    target: &Path,
) -> Result<()> {
    let staging = data_dir.join(RESTORE_STAGING);
    remove_dir_if_present(&staging)?;
    for file in &manifest.attachments {
        copy_checked(from, file, &staging)?;
    }
    let database_part = part_of(target);
    let (size, sha256) = copy_synced(&from.join(DATABASE), &database_part)
        .with_context(|| format!("cannot copy the backup's {DATABASE}"))?;
    check_file(&manifest.database, size, &sha256)?;
    let db = connect(&database_part)
        .await
        .context("the backup's database does not open")?;
    let checked = async {
        let integrity = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA quick_check",
            ))
            .await?
            .map(|row| row.try_get_by_index::<String>(0))
            .transpose()?;
        let counts = count_rows(&db).await?;
        Ok::<_, sea_orm::DbErr>((integrity, counts))
    }
    .await;
    let _ = db.close().await;
    let (integrity, counts) = checked.context("cannot read the backup's database")?;
    if integrity.as_deref() != Some("ok") {
        bail!(
            "the backup's database fails SQLite's check: {}",
            integrity.unwrap_or_default()
        );
    }
    if counts != manifest.counts {
        bail!(
            "the backup's database holds other rows than its manifest says ({counts:?}, the \
             manifest {:?})",
            manifest.counts
        );
    }
    // Attachments first, the database last: until the database is in place the directory
    // holds no server, and a server started on it finds every file its rows name.
    let staged_blobs = staging.join(BLOBS);
    if staged_blobs.exists() {
        std::fs::rename(&staged_blobs, data_dir.join(BLOBS))
            .context("cannot move the attachments into the data directory")?;
    }
    std::fs::remove_dir_all(&staging)
        .with_context(|| format!("cannot remove {}", staging.display()))?;
    sync_dir(data_dir)?;
    std::fs::rename(&database_part, target)
        .with_context(|| format!("cannot move the database to {}", target.display()))?;
    if let Some(parent) = target.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Copies one attachment of the backup into the staging folder and checks its bytes.
fn copy_checked(from: &Path, file: &StoredFile, staging: &Path) -> Result<()> {
    let (size, sha256) = copy_synced(&from.join(&file.path), &staging.join(&file.path))
        .with_context(|| format!("cannot copy the backup's {}", file.path))?;
    check_file(file, size, &sha256)
}

fn check_file(expected: &StoredFile, size: u64, sha256: &str) -> Result<()> {
    if size != expected.size || sha256 != expected.sha256 {
        bail!(
            "the backup's {} is not what its manifest says ({size} bytes, SHA-256 {sha256}; the \
             manifest: {} bytes, {}): the backup is damaged",
            expected.path,
            expected.size,
            expected.sha256
        );
    }
    Ok(())
}

/// The SQLite file behind the settings, or why there is none to copy.
fn sqlite_file(storage: &StorageConfig) -> Result<PathBuf> {
    let url = storage.database_url();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        bail!(POSTGRES_REFUSAL);
    }
    if !url.starts_with("sqlite:") {
        bail!(
            "unsupported database URL (expected sqlite:// or postgres://): {}",
            crate::storage::redact_url(&url)
        );
    }
    let options: SqliteConnectOptions = url
        .parse()
        .with_context(|| format!("cannot read the database URL {url}"))?;
    let path = options.get_filename();
    if path.to_string_lossy().starts_with("file:sqlx-in-memory") {
        bail!("an in-memory database keeps nothing to back up or restore");
    }
    Ok(path.to_path_buf())
}

/// One connection to a SQLite file that exists, without creating it or migrating it: a
/// backup must not change the server's schema under it.
async fn connect(path: &Path) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let path = path.to_path_buf();
    let mut options = ConnectOptions::new(format!("sqlite://{}", path.display()));
    options
        .sqlx_logging(false)
        .max_connections(1)
        .acquire_timeout(BUSY_TIMEOUT)
        // The file name is set as a path, not read back from the URL, so that no character
        // of it is taken for URL syntax.
        .map_sqlx_sqlite_opts(move |o| {
            o.filename(&path)
                .create_if_missing(false)
                .busy_timeout(BUSY_TIMEOUT)
        });
    Database::connect(options).await
}

/// Makes `dir` exist and checks it is empty (a leftover restore staging folder aside), and
/// that `database`, when given, does not exist. Returns whether it created `dir`.
fn prepare_empty_dir(dir: &Path, database: Option<&Path>) -> Result<bool> {
    if let Some(database) = database {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = database.as_os_str().to_owned();
            name.push(suffix);
            if Path::new(&name).exists() {
                bail!("{} exists already", Path::new(&name).display());
            }
        }
    }
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
                if entry.file_name() != RESTORE_STAGING {
                    bail!(
                        "{} is not empty (it holds {})",
                        dir.display(),
                        entry.file_name().to_string_lossy()
                    );
                }
            }
            Ok(false)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            bail!("{} is a file, not a folder", dir.display())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", dir.display())),
    }
}

/// `<vault>/<attachment>.age` under the blob folder, as the blob store names it
/// (`storage::blobs`).
fn blob_name(vault: Uuid, id: Uuid) -> String {
    format!("{}/{}.age", vault.simple(), id.simple())
}

fn is_blob_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let hex32 = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    parts.next() == Some(BLOBS)
        && parts.next().is_some_and(hex32)
        && parts
            .next()
            .and_then(|name| name.strip_suffix(".age"))
            .is_some_and(hex32)
        && parts.next().is_none()
}

fn part_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".restore-part");
    PathBuf::from(name)
}

/// Copies `source` to `target` through a temporary name, synced before it is renamed into
/// place; returns the size and SHA-256 of what was copied.
fn copy_synced(source: &Path, target: &Path) -> Result<(u64, String)> {
    let mut input =
        std::fs::File::open(source).with_context(|| format!("cannot open {}", source.display()))?;
    let dir = target.parent().expect("a file inside a folder");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut temp = target.as_os_str().to_owned();
    temp.push(".part");
    let temp = PathBuf::from(temp);
    let copied = (|| {
        let mut output = std::fs::File::create(&temp)?;
        let mut hash = Sha256::new();
        let mut size = 0u64;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let read = input.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hash.update(&buffer[..read]);
            output.write_all(&buffer[..read])?;
            size += read as u64;
        }
        output.sync_all()?;
        std::fs::rename(&temp, target)?;
        Ok::<_, std::io::Error>((size, hex(&hash.finalize())))
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    copied.with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".part");
    let temp = PathBuf::from(temp);
    (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })()
    .with_context(|| format!("cannot write {}", path.display()))
}

fn hash_file(path: &Path) -> Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hash = Sha256::new();
    let size = std::io::copy(&mut file, &mut hash)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((size, hex(&hash.finalize())))
}

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", path.display()))
}

/// Makes the names created or renamed in `dir` survive a power cut, not only the bytes.
fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

fn remove_dir_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

fn is_not_found(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::NotFound)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_attachment_paths_are_taken_from_a_manifest() {
        let vault = Uuid::new_v4();
        let id = Uuid::new_v4();
        assert!(is_blob_path(&format!("{BLOBS}/{}", blob_name(vault, id))));
        for odd in [
            "../folio.db",
            "blobs/../../etc/passwd",
            "blobs/x/y.age",
            &format!("blobs/{}/{}.age/extra", vault.simple(), id.simple()),
            &format!("/blobs/{}/{}.age", vault.simple(), id.simple()),
            &format!("blobs/{}/{}", vault.simple(), id.simple()),
        ] {
            assert!(!is_blob_path(odd), "{odd}");
        }
    }

    #[test]
    fn an_attachment_without_its_file_or_with_other_bytes_is_not_copied() {
        let blobs = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        let vault = Uuid::new_v4();
        let row = |id: Uuid, bytes: &[u8]| attachment::Model {
            vault_id: vault,
            id,
            size: bytes.len() as i64,
            digest: Some(Sha256::digest(bytes).to_vec()),
            created_at: Utc::now(),
        };
        let (kept, changed, gone) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        std::fs::create_dir_all(blobs.path().join(vault.simple().to_string())).unwrap();
        std::fs::write(blobs.path().join(blob_name(vault, kept)), b"age kept").unwrap();
        std::fs::write(blobs.path().join(blob_name(vault, changed)), b"age later").unwrap();
        let rows = [
            row(kept, b"age kept"),
            row(changed, b"age first"),
            row(gone, b"age gone"),
        ];
        let (copied, missing) = copy_attachments(&rows, blobs.path(), to.path()).unwrap();
        assert_eq!(copied.len(), 1);
        assert_eq!(
            copied[0].path,
            format!("{BLOBS}/{}", blob_name(vault, kept))
        );
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(
            missing.iter().any(|m| m.contains("other bytes")),
            "{missing:?}"
        );
        assert!(
            !to.path()
                .join(BLOBS)
                .join(blob_name(vault, changed))
                .exists(),
            "no file with other bytes stays in the backup"
        );
    }

    #[test]
    fn postgres_is_refused_with_what_to_use_instead() {
        let storage = StorageConfig {
            data_dir: PathBuf::from("data"),
            database_url: Some("postgres://folio:secret@db/folio".into()),
        };
        let error = sqlite_file(&storage).unwrap_err().to_string();
        assert!(error.contains("pg_dump"), "{error}");
        assert!(!error.contains("secret"), "{error}");
    }

    #[test]
    fn the_default_database_is_in_the_data_directory() {
        let storage = StorageConfig::for_data_dir(PathBuf::from("/srv/folio"));
        assert_eq!(
            sqlite_file(&storage).unwrap(),
            PathBuf::from("/srv/folio/folio.db")
        );
    }
}
