//! `virtnet net-destroy NETWORK`: stops it (a transient network is then gone).

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};
use crate::i18n::gettext;

pub async fn run(cx: &Context, args: &NetworkArg) -> CliResult<()> {
    let network = cx.session.network(&args.network).await?;
    let name = cx.name_of(&network).await?;
    call(network.destroy().await)?;
    cx.say(&gettext("Network {name} destroyed").replace("{name}", &name));
    Ok(())
}
