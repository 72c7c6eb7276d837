//! What the cross-crate tests share: a live Folio server on SQLite or on a fresh PostgreSQL
//! database, and a headless Chromium to drive the app.

pub mod browser;
pub mod openapi_contract;
pub mod passkey_account;
pub mod vault_fixture;

use std::path::PathBuf;

use folio_server::Server;
use folio_server::config::ServeConfig;
use sea_orm::{ConnectionTrait, Database, Statement};

/// The storage engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Engine)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_every_engine {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Engine::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::Engine::Postgres).await })*
        }
    };
}

/// The built app, for tests that load it in a browser.
pub fn app_dir() -> PathBuf {
    std::env::var_os("FOLIO_APP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist")))
}

/// A Folio server on a free loopback port, with its own data directory and database.
pub struct TestServer {
    server: Option<Server>,
    /// What it was started with, to start it again on the same port and data.
    config: ServeConfig,
    pub base_url: String,
    /// The server's public URL, `http://localhost:PORT`: the WebAuthn origin, and what a
    /// browser must open for passkeys to work (an IP address cannot be a relying-party id).
    pub public_url: String,
    pub data_dir: tempfile::TempDir,
    pub database_url: String,
    postgres: Option<PostgresDatabase>,
}

impl TestServer {
    pub async fn start(engine: Engine) -> TestServer {
        Self::start_with(engine, |_| {}).await
    }

    /// Starts a server after `configure` has adjusted its configuration.
    pub async fn start_with(
        engine: Engine,
        configure: impl FnOnce(&mut ServeConfig),
    ) -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = ServeConfig::for_data_dir(data_dir.path().to_path_buf());
        // A free port picked up front, so the public URL (the WebAuthn origin) names it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        config.public_url =
            url::Url::parse(&format!("http://localhost:{port}")).expect("a valid URL");
        let postgres = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => Some(PostgresDatabase::create().await),
        };
        if let Some(pg) = &postgres {
            config.storage.database_url = Some(pg.url.clone());
        }
        configure(&mut config);
        let database_url = config.database_url();
        let public_url = config.public_url.as_str().trim_end_matches('/').to_owned();
        let server = Server::start(config.clone())
            .await
            .expect("the server starts");
        TestServer {
            base_url: format!("http://{}", server.addr()),
            server: Some(server),
            config,
            public_url,
            data_dir,
            database_url,
            postgres,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// `path` under the public URL: what a browser opens.
    pub fn public(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// Sends a request that declares a body of `declared` bytes but sends only its first
    /// KiB, and returns the raw response head. A server that checks the declared length
    /// answers at once; one that waits for the body would time out here.
    pub async fn declare_body(
        &self,
        method: &str,
        path: &str,
        token: &str,
        declared: usize,
    ) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let addr = self.server().addr();
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n"
        );
        stream
            .write_all(head.as_bytes())
            .await
            .expect("send the head");
        stream
            .write_all(&[0u8; 1024])
            .await
            .expect("send a little body");
        let mut response = vec![0u8; 4096];
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read(&mut response),
        )
        .await
        .expect("the server answers without waiting for the whole body")
        .expect("read the answer");
        String::from_utf8_lossy(&response[..read]).into_owned()
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("the server is running")
    }

    /// Stops the server but keeps its data, as an outage would: [`TestServer::resume`]
    /// starts it again on the same address.
    pub async fn pause(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("the server stops cleanly");
        }
    }

    /// Starts a paused server again, on the same port, data and clock.
    pub async fn resume(&mut self) {
        assert!(self.server.is_none(), "the server is running already");
        self.server = Some(
            Server::start(self.config.clone())
                .await
                .expect("the server starts again"),
        );
    }

    /// Stops the server gracefully and drops its PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("the server stops cleanly");
        }
        if let Some(pg) = self.postgres.take() {
            pg.drop_now().await;
        }
    }
}

/// A PostgreSQL database made for one test and dropped after it, even if the test panics.
struct PostgresDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create() -> PostgresDatabase {
        let admin_url = std::env::var("FOLIO_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("folio_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin_url} is needed for this test (set FOLIO_TEST_POSTGRES_URL): {e}")
        });
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("a valid PostgreSQL URL");
        url.set_path(&name);
        PostgresDatabase {
            admin_url,
            url: url.to_string(),
            name,
        }
    }

    async fn drop_now(mut self) {
        drop_database(&self.admin_url, &self.name).await;
        self.name.clear();
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(admin) = Database::connect(admin_url).await {
        let backend = admin.get_database_backend();
        let _ = admin
            .execute_raw(Statement::from_string(
                backend,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            ))
            .await;
        admin.close().await.ok();
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        // A test that panicked never reached `stop`: drop the database from a thread of its
        // own, since this may run inside the test's runtime.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(drop_database(&admin_url, &name));
            }
        })
        .join();
    }
}

/// A 2 × 2 red PNG.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x44, 0x0c, 0x10, 0x0a, 0x00, 0x1f, 0xee, 0x03, 0xfd, 0x8b, 0x5f, 0x14, 0xd4, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];
