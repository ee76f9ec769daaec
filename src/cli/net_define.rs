//! `virtnet net-define FILE` and `virtnet net-create FILE`.

use std::path::PathBuf;

use super::context::Context;
use super::input::read_definition;
use super::session::{CliError, CliResult, call};
use crate::i18n::gettext;

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
    say_done(cx, args, path, &gettext("Network {name} defined from {file}")).await
}

/// Creates and starts a transient network.
pub async fn create(cx: &Context, args: &Args) -> CliResult<()> {
    let xml = read(args)?;
    let path = call(cx.session.manager.create_xml(&xml).await)?;
    say_done(cx, args, path, &gettext("Network {name} created from {file}")).await
}

fn read(args: &Args) -> CliResult<String> {
    read_definition(&args.file).map_err(|why| {
        CliError::new(
            gettext("failed to read '{file}': {why}")
                .replace("{file}", &args.file.display().to_string())
                .replace("{why}", &why),
        )
    })
}

/// virsh's confirmation, "Network NAME defined from FILE": `message` with {name} and {file}.
async fn say_done(cx: &Context, args: &Args, path: zbus::OwnedObjectPath, message: &str) -> CliResult<()> {
    let name = cx.name_of(&cx.session.network_at(path).await?).await?;
    cx.say(&message.replace("{name}", &name).replace("{file}", &args.file.display().to_string()));
    Ok(())
}
