//! `virtnet net-undefine NETWORK`: removes the persistent definition.

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};
use crate::i18n::gettext;

pub async fn run(cx: &Context, args: &NetworkArg) -> CliResult<()> {
    let network = cx.session.network(&args.network).await?;
    let name = cx.name_of(&network).await?;
    call(network.undefine().await)?;
    cx.say(&gettext("Network {name} has been undefined").replace("{name}", &name));
    Ok(())
}
