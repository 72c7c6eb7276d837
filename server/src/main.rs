use anyhow::Context as _;
use clap::Parser as _;
use folio_server::cli::{Cli, Command};
use folio_server::{Server, shutdown_signal};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            init_tracing();
            let url = config.public_url.clone();
            let engine_url = folio_server::storage::redact_url(&config.database_url());
            let server = Server::start(config)
                .await
                .context("the server could not start")?;
            tracing::info!(listen = %server.addr(), public_url = %url, database = %engine_url, "folio is serving");
            server.run_until(shutdown_signal()).await?;
            tracing::info!("folio stopped");
        }
        Command::Openapi => {
            let document = folio_server::http::openapi();
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
    }
    Ok(())
}

fn init_tracing() {
    let filter = EnvFilter::try_from_env("FOLIO_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}
