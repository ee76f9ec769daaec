//! `virtnet net-info NETWORK`: virsh's summary of one network.

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};

pub async fn run(cx: &Context, args: &NetworkArg) -> CliResult<()> {
    let network = cx.session.network(&args.network).await?;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let lines = [
        ("Name:", call(network.name().await)?),
        ("UUID:", call(network.uuid().await)?),
        ("Active:", yes_no(call(network.active().await)?).to_owned()),
        ("Persistent:", yes_no(call(network.persistent().await)?).to_owned()),
        ("Autostart:", yes_no(call(network.autostart().await)?).to_owned()),
        ("Bridge:", call(network.bridge_name().await)?),
    ];
    for (label, value) in lines {
        println!("{label:<16}{value}");
    }
    println!();
    Ok(())
}
