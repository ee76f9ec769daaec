//! `virtnet net-name UUID`

use super::context::Context;
use super::session::{CliResult, call};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The network's UUID.
    #[arg(value_name = "UUID")]
    uuid: String,
}

pub async fn run(cx: &Context, args: &Args) -> CliResult<()> {
    let network = cx.session.network(&args.uuid).await?;
    println!("{}\n", call(network.name().await)?);
    Ok(())
}
