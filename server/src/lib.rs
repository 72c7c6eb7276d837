//! The Folio server: an HTTP API that stores and routes ciphertext, and the `folio`
//! command-line client that talks to it.
//!
//! The server never holds a private key, a link key or a record in clear; see
//! `docs/architecture.md` for the trust model.

pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod http;
pub mod smart_clients;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use config::ServeConfig;
use http::AppState;
use http::assets::AppAssets;
use storage::{Storage, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Storage(#[from] StorageError),
    #[error("the public URL {url} cannot be a WebAuthn origin: {source}")]
    PublicUrl {
        url: url::Url,
        source: webauthn_rs::prelude::WebauthnError,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    SmartClients(#[from] smart_clients::SmartClientsError),
}

/// A server that is accepting connections.
pub struct Server {
    addr: SocketAddr,
    storage: Storage,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    /// Deletes the files of expired and revoked shares; stopped with the server.
    share_sweep: JoinHandle<()>,
}

impl Server {
    /// Opens storage (running migrations), binds the listener and starts serving.
    pub async fn start(config: ServeConfig) -> Result<Server, StartError> {
        std::fs::create_dir_all(&config.storage.data_dir).map_err(|source| {
            StartError::DataDir {
                path: config.storage.data_dir.clone(),
                source,
            }
        })?;
        let webauthn =
            http::relying_party::for_public_url(&config.public_url).map_err(|source| {
                StartError::PublicUrl {
                    url: config.public_url.clone(),
                    source,
                }
            })?;
        let storage = Storage::open(&config.database_url()).await?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
        let smart_clients = match &config.smart_clients {
            Some(path) => smart_clients::SmartClients::load(path)?,
            None => smart_clients::SmartClients::default(),
        };
        let state = AppState {
            storage: storage.clone(),
            smart_clients: Arc::new(smart_clients),
            assets: AppAssets::load(&config.app_dir),
            blobs: storage::blobs::BlobStore::new(config.blob_dir()),
            config: Arc::new(config),
            webauthn: Arc::new(webauthn),
        };
        let share_sweep = tokio::spawn(sweep_shares(storage.clone()));
        let app = http::router(state);
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stop.await;
            })
            .await
        });
        Ok(Server {
            addr,
            storage,
            shutdown: Some(shutdown),
            task,
            share_sweep,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Serves until `signal` completes, then finishes in-flight requests and closes storage.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> std::io::Result<()> {
        tokio::select! {
            result = &mut self.task => return result.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            () = signal => {}
        }
        self.stop().await
    }

    /// Stops accepting connections, waits for in-flight requests, closes storage.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let result = (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        self.share_sweep.abort();
        let _ = self.storage.clone().close().await;
        result
    }
}

/// How often the server deletes the files of shares that expired or were revoked. Expiry is
/// enforced on every request; the sweep only makes sure no ciphertext outlives its link.
const SHARE_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

async fn sweep_shares(storage: Storage) {
    let mut interval = tokio::time::interval(SHARE_SWEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match storage::shares::sweep(storage.db()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted the files of ended shares"),
            Err(e) => tracing::warn!(error = %e, "the share sweep failed; retrying later"),
        }
    }
}

/// Completes on SIGTERM or Ctrl-C, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
