//! `virtnet net-autostart NETWORK [--disable]`

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};
use crate::i18n::gettext;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    network: NetworkArg,
    /// Do not start the network at boot.
    #[arg(long)]
    disable: bool,
}

pub async fn run(cx: &Context, args: &Args) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let name = cx.name_of(&network).await?;
    call(network.set_autostart(!args.disable).await)?;
    if args.disable {
        cx.say(&gettext("Network {name} unmarked as autostarted").replace("{name}", &name));
    } else {
        cx.say(&gettext("Network {name} marked as autostarted").replace("{name}", &name));
    }
    Ok(())
}
