//! `virtnet net-info NETWORK`: virsh's summary of one network.

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};
use crate::i18n::gettext;
use crate::model::syntax::shown_text;

pub async fn run(cx: &Context, args: &NetworkArg) -> CliResult<()> {
    let network = cx.session.network(&args.network).await?;
    let yes_no = |b: bool| if b { gettext("yes") } else { gettext("no") };
    let lines = [
        (gettext("Name:"), call(network.name().await)?),
        (gettext("UUID:"), call(network.uuid().await)?),
        (gettext("Active:"), yes_no(call(network.active().await)?)),
        (gettext("Persistent:"), yes_no(call(network.persistent().await)?)),
        (gettext("Autostart:"), yes_no(call(network.autostart().await)?)),
        (gettext("Bridge:"), call(network.bridge_name().await)?),
    ];
    let degraded = call(network.degraded().await)?;
    let conflict = call(network.firewall_conflict().await)?;
    // virsh's lines, and more only when something is wrong.
    let extra = [(gettext("Degraded:"), degraded), (gettext("Firewall:"), conflict)]
        .into_iter()
        .filter(|(_, value)| !value.is_empty());
    for (label, value) in lines.into_iter().chain(extra) {
        let value = shown_text(&value);
        println!("{label}{}{value}", " ".repeat(16usize.saturating_sub(label.chars().count())));
    }
    println!();
    Ok(())
}
