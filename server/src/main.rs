use anyhow::Context as _;
use clap::Parser as _;
use folio_server::cli::{Cli, Command};
use folio_server::{Server, shutdown_signal};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Import(_) = cli.command {
        folio_server::cli::allocator::tune_for_import();
    }
    let ran = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|runtime| runtime.block_on(run(cli)));
    match ran {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", error_text(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error as a person reads it: its message and causes, as anyhow writes them, but never
/// a backtrace (which `RUST_BACKTRACE` would add to anyhow's own report).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = format!("Error: {e}");
    let causes: Vec<String> = e.chain().skip(1).map(ToString::to_string).collect();
    match causes.as_slice() {
        [] => {}
        [only] => text.push_str(&format!("\n\nCaused by:\n    {only}")),
        many => {
            text.push_str("\n\nCaused by:");
            for (i, cause) in many.iter().enumerate() {
                text.push_str(&format!("\n    {i}: {cause}"));
            }
        }
    }
    text
}

async fn run(cli: Cli) -> anyhow::Result<()> {
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
        Command::Account(args) => {
            init_client_tracing();
            folio_server::cli::account::run(args).await?;
        }
        Command::Import(args) => {
            init_client_tracing();
            folio_server::cli::import::run(args).await?;
        }
        Command::Records(args) => {
            init_client_tracing();
            folio_server::cli::records::run(args).await?;
        }
        Command::Export(args) => {
            init_client_tracing();
            folio_server::cli::export::run(args).await?;
        }
        Command::Meds(args) => {
            init_client_tracing();
            folio_server::cli::meds::run(args).await?;
        }
        Command::DropSetAside(args) => {
            init_client_tracing();
            folio_server::cli::drop_set_aside::run(args).await?;
        }
        Command::Share(args) => {
            init_client_tracing();
            folio_server::cli::share::run(args).await?;
        }
        Command::Care(args) => {
            init_client_tracing();
            folio_server::cli::care::run(args).await?;
        }
        Command::Connect(args) => {
            init_client_tracing();
            folio_server::cli::connect::run(args).await?;
        }
        Command::Backup(args) => {
            init_client_tracing();
            folio_server::cli::backup::backup(args).await?;
        }
        Command::Restore(args) => {
            init_client_tracing();
            folio_server::cli::backup::restore(args).await?;
        }
        Command::Openapi => {
            let document = folio_server::http::openapi();
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
    }
    Ok(())
}

/// The client verbs keep standard output for their answer (`--json` is parsed by scripts),
/// so diagnostics go to standard error, and only when `FOLIO_LOG` asks for them.
fn init_client_tracing() {
    let filter = EnvFilter::try_from_env("FOLIO_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn init_tracing() {
    let filter = EnvFilter::try_from_env("FOLIO_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}
