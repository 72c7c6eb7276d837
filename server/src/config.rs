//! Server configuration: flags, each with a `FOLIO_*` environment variable behind it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use url::Url;

use crate::clock::Clock;

/// Where the server keeps what it stores: the database and the attachments. `folio serve`,
/// `folio backup` and `folio restore` take these same flags, so a backup reads exactly what
/// the server writes.
#[derive(Debug, Clone, Args)]
pub struct StorageConfig {
    /// Where the server keeps its files: the SQLite database (unless a database URL is
    /// given) and encrypted attachments.
    #[arg(long, env = "FOLIO_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// `sqlite://PATH` or `postgres://…`. Defaults to `folio.db` in the data directory.
    #[arg(long, env = "FOLIO_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StorageConfig {
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        StorageConfig {
            data_dir,
            database_url: None,
        }
    }

    /// Where encrypted attachments are kept.
    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    /// The database URL in force: the one given, or a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("folio.db").display()
            ),
        }
    }
}

/// How `folio serve` runs. Every flag can also be set from the environment, so a container
/// or a systemd unit needs no command line.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "FOLIO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// The URL users reach the server at. Its origin and host are the WebAuthn origin and
    /// relying-party id, and an `https` URL turns on HSTS.
    #[arg(
        long,
        env = "FOLIO_PUBLIC_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: Url,

    #[command(flatten)]
    pub storage: StorageConfig,

    /// Storage quota of each vault, in bytes (segments and attachments together).
    #[arg(long, env = "FOLIO_VAULT_QUOTA_BYTES", default_value_t = crate::storage::vaults::DEFAULT_QUOTA_BYTES)]
    pub vault_quota_bytes: i64,

    /// A JSON file of the client ids Folio is registered under at providers' patient
    /// portals (SMART on FHIR): `{"clients": [{"fhir_base": URL, "client_id": ID}, …]}`,
    /// a base ending with `/` covering every provider under it (a vendor's host).
    #[arg(
        long = "smart-clients",
        env = "FOLIO_SMART_CLIENTS",
        value_name = "FILE"
    )]
    pub smart_clients: Option<PathBuf>,

    /// The built app (Trunk's `dist` folder) to serve at `/`.
    #[arg(long, env = "FOLIO_APP_DIR", default_value = "dist")]
    pub app_dir: PathBuf,

    /// A browser session ends this many minutes after sign-in.
    #[arg(long, env = "FOLIO_SESSION_LIFETIME_MINUTES", default_value_t = 12 * 60)]
    pub session_lifetime_minutes: u32,

    /// ... or after this many minutes without a request, whichever comes first.
    #[arg(long, env = "FOLIO_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u32,

    /// Attempts each client may make per minute at each authentication endpoint (sign-up,
    /// sign-in, recovery, pairing).
    #[arg(long, env = "FOLIO_AUTH_ATTEMPTS_PER_MINUTE", default_value_t = 20)]
    pub auth_attempts_per_minute: u32,

    /// Take the client's address from the last `X-Forwarded-For` entry: set this only
    /// behind a reverse proxy that writes that header, or clients could pick their own.
    #[arg(long, env = "FOLIO_TRUST_FORWARDED_FOR", default_value_t = false)]
    pub trust_forwarded_for: bool,

    /// The server's clock: real time, unless a test moves it.
    #[arg(skip)]
    pub clock: Clock,
}

impl ServeConfig {
    /// A configuration for tests and embedding: listen on any free loopback port.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        ServeConfig {
            listen: "127.0.0.1:0".parse().expect("a valid socket address"),
            public_url: Url::parse("http://localhost:8080").expect("a valid URL"),
            vault_quota_bytes: crate::storage::vaults::DEFAULT_QUOTA_BYTES,
            app_dir: data_dir.join("dist"),
            smart_clients: None,
            storage: StorageConfig::for_data_dir(data_dir),
            session_lifetime_minutes: 12 * 60,
            session_idle_minutes: 30,
            auth_attempts_per_minute: 20,
            trust_forwarded_for: false,
            clock: Clock::default(),
        }
    }

    /// Where encrypted attachments are kept.
    pub fn blob_dir(&self) -> PathBuf {
        self.storage.blob_dir()
    }

    /// The database URL in force: the one given, or a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.storage.database_url()
    }
}
