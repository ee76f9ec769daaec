//! `virtnet net-undefine NETWORK`: removes the persistent definition.

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};

pub async fn run(cx: &Context, args: &NetworkArg) -> CliResult<()> {
    let network = cx.session.network(&args.network).await?;
    let name = cx.name_of(&network).await?;
    call(network.undefine().await)?;
    cx.say(&format!("Network {name} has been undefined"));
    Ok(())
}
