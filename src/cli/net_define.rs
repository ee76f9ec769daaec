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
    let xml = read(args)?;
    let path = call(cx.session.manager.define_xml(&xml).await)?;
    say_done(cx, args, path, "defined").await
}

/// Creates and starts a transient network.
pub async fn create(cx: &Context, args: &Args) -> CliResult<()> {
    let xml = read(args)?;
    let path = call(cx.session.manager.create_xml(&xml).await)?;
    say_done(cx, args, path, "created").await
}

fn read(args: &Args) -> CliResult<String> {
    read_definition(&args.file).map_err(|why| CliError::new(format!("failed to read '{}': {why}", args.file.display())))
}

/// virsh's confirmation: "Network NAME defined from FILE".
async fn say_done(cx: &Context, args: &Args, path: zbus::OwnedObjectPath, what: &str) -> CliResult<()> {
    let name = cx.name_of(&cx.session.network_at(path).await?).await?;
    cx.say(&format!("Network {name} {what} from {}", args.file.display()));
    Ok(())
}
