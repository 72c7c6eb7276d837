//! The server's storage: one sea-orm connection to SQLite or PostgreSQL.
//!
//! Everything that must survive a restart or be seen by every server behind a load balancer
//! (sessions, challenges, rate limits, segments) lives here, so servers stay stateless.

pub mod account_keys;
pub mod accounts;
pub mod blobs;
pub mod ceremonies;
pub mod devices;
pub mod entity;
pub mod fresh_proofs;
pub mod memberships;
pub mod migration;
pub mod pairings;
pub mod passkeys;
pub mod rate_limits;
pub mod recovery_codes;
pub mod rosters;
pub mod secret_token;
pub mod sessions;
pub mod shares;
pub mod vault_events;
pub mod vaults;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;

/// The database engine behind a [`Storage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported database URL (expected sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A migrated database, ready for the API.
#[derive(Debug, Clone)]
pub struct Storage {
    db: DatabaseConnection,
    engine: Engine,
}

/// How long a SQLite writer waits for another writer before giving up. Uploads are short
/// transactions, so a few seconds covers any burst without failing a request.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The page size of a new SQLite database. Most of what it stores is segment ciphertext of
/// up to a few megabytes, which SQLite keeps in chains of overflow pages and writes to the
/// log a page at a time; with 16 KiB pages instead of 4 KiB, inserting a 1.5 MB segment took
/// half the time (0.72 ms against 1.44 ms, median of 40 in Python's `sqlite3`). The log also
/// fills four times less often, so the commit that checkpoints it comes once in ten uploads
/// rather than in three; each checkpoint moves four times the pages (up to 25 ms against
/// about 10 ms), so the slowest upload got slower while the 90th percentile fell from 11.6
/// to 2.3 ms. A database created with other pages keeps them: WAL mode cannot change its
/// size.
const SQLITE_PAGE_SIZE: u32 = 16 * 1024;

impl Storage {
    /// Connects, configures the engine and runs every pending migration.
    pub async fn open(url: &str) -> Result<Self, StorageError> {
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            return Err(StorageError::UnsupportedUrl(redact_url(url)));
        };
        let mut options = ConnectOptions::new(url);
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        if engine == Engine::Sqlite {
            // WAL lets readers proceed while one writer commits; the busy timeout queues
            // concurrent writers instead of failing them with SQLITE_BUSY.
            //
            // FULL syncs the log at every commit, so what the API acknowledged survives a
            // power cut. With NORMAL a commit reaches the disk only at the next checkpoint:
            // a power cut could drop an acknowledged upload, and the vault's `last_seq`
            // with it, so the next upload would get that seq again, with other bytes, while
            // a device already holds the first. BENCHMARKS.md ("Durability") has the cost.
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.page_size(SQLITE_PAGE_SIZE)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
                    // Deleted records are overwritten, not left in free pages: "every byte gone".
                    .pragma("secure_delete", "on")
            });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options).await?;
        migration::Migrator::up(&db, None).await?;
        Ok(Storage { db, engine })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<(), DbErr> {
        let backend: DbBackend = self.db.get_database_backend();
        self.db
            .execute_raw(sea_orm::Statement::from_string(backend, "SELECT 1"))
            .await?;
        Ok(())
    }

    /// Makes deleted data unrecoverable from the database files: on SQLite, deleted pages are
    /// already zeroed (`secure_delete`), and this folds the write-ahead log, which may still
    /// hold their old contents, back into the database and truncates it.
    pub async fn purge_deleted(&self) -> Result<(), DbErr> {
        if self.engine == Engine::Sqlite {
            self.db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        Ok(())
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.db.close().await
    }
}

/// The URL without its password, fit for an error message or a log line.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
