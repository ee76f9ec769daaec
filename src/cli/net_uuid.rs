//! `virtnet net-uuid NETWORK`

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};

pub async fn run(cx: &Context, args: &NetworkArg) -> CliResult<()> {
    let network = cx.session.network(&args.network).await?;
    println!("{}\n", call(network.uuid().await)?);
    Ok(())
}
