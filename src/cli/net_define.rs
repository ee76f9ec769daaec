//! `virtnet net-define FILE` and `virtnet net-create FILE`.

use std::path::PathBuf;

use super::context::Context;
use super::input::read_definition;
use super::session::{CliError, CliResult, call};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The definition, libvirt network XML (`-` reads standard input).
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    file: PathBuf,
}

/// Defines a persistent network, not started.
pub async fn define(cx: &Context, args: &Args) -> CliResult<()> {
    let xml = read_definition(&args.file)
        .map_err(|why| CliError::new(format!("failed to read '{}': {why}", args.file.display())))?;
    let path = call(cx.session.manager.define_xml(&xml).await)?;
    let name = cx.name_of(&cx.session.network_at(path).await?).await?;
    cx.say(&format!("Network {name} defined from {}", args.file.display()));
    Ok(())
}

/// Creates and starts a transient network.
pub async fn create(cx: &Context, args: &Args) -> CliResult<()> {
    let xml = read_definition(&args.file)
        .map_err(|why| CliError::new(format!("failed to read '{}': {why}", args.file.display())))?;
    let path = call(cx.session.manager.create_xml(&xml).await)?;
    let name = cx.name_of(&cx.session.network_at(path).await?).await?;
    cx.say(&format!("Network {name} created from {}", args.file.display()));
    Ok(())
}
