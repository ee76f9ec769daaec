//! `virtnet net-autostart NETWORK [--disable]`

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};

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
        cx.say(&format!("Network {name} unmarked as autostarted"));
    } else {
        cx.say(&format!("Network {name} marked as autostarted"));
    }
    Ok(())
}
