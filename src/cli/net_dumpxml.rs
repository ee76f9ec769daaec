//! `virtnet net-dumpxml NETWORK [--inactive]`

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};
use crate::dbus::xml_flags;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    network: NetworkArg,
    /// The definition the next start will use (not the running one).
    #[arg(long)]
    inactive: bool,
}

pub async fn run(cx: &Context, args: &Args) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let flags = if args.inactive { xml_flags::INACTIVE } else { 0 };
    print!("{}", call(network.get_xml_desc(flags).await)?);
    Ok(())
}
