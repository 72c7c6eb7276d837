//! The `folio` command line: `folio serve` runs the server; the client verbs
//! (`account`, `import`, `records`, `share`, `care`) talk to one.

use clap::{Parser, Subcommand};

use crate::config::ServeConfig;

#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: a patient-held, end-to-end-encrypted health record"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeConfig),
    /// Print the OpenAPI document of the server's API.
    Openapi,
}
