//! `virtnet net-update NETWORK COMMAND SECTION XML [--parent-index N] [--live]
//! [--config] [--current]`: virsh's syntax and messages. XML is the section's element
//! itself (it starts with `<`) or a file holding it.

use std::path::Path;

use super::context::{Context, NetworkArg};
use super::input::read_definition;
use super::session::{CliError, CliResult, call};
use crate::dbus::update_flags;
use crate::i18n::gettext;
use crate::model::update::{Command, Section};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    network: NetworkArg,
    /// add (add-last), add-first, delete or modify.
    #[arg(value_name = "COMMAND")]
    command: String,
    /// ip-dhcp-host, ip-dhcp-range, dns-host, dns-txt, dns-srv, forward-interface, portgroup or
    /// port-forward.
    #[arg(value_name = "SECTION")]
    section: String,
    /// The section's XML element, or a file holding it.
    #[arg(value_name = "XML")]
    xml: String,
    /// Which <ip> of the network a DHCP host or range belongs to (default: the first of
    /// its address family).
    #[arg(long, value_name = "N", default_value_t = -1, allow_negative_numbers = true)]
    parent_index: i32,
    /// Change the running network.
    #[arg(long)]
    live: bool,
    /// Change the persistent definition.
    #[arg(long)]
    config: bool,
    /// Change the running network if it runs, else the persistent definition (the default).
    #[arg(long, conflicts_with_all = ["live", "config"])]
    current: bool,
}

pub async fn run(cx: &Context, args: &Args) -> CliResult<()> {
    let command = Command::from_word(&args.command).ok_or_else(|| {
        CliError::new(
            gettext("unknown command '{command}'; use add, add-first, delete or modify")
                .replace("{command}", &args.command),
        )
    })?;
    let section = Section::from_word(&args.section).ok_or_else(|| {
        CliError::new(
            gettext("unknown section '{section}'; use ip-dhcp-host, ip-dhcp-range, dns-host, dns-txt, dns-srv, forward-interface, portgroup or port-forward")
                .replace("{section}", &args.section),
        )
    })?;
    let xml = if args.xml.trim_start().starts_with('<') {
        args.xml.clone()
    } else {
        read_definition(Path::new(&args.xml)).map_err(|why| {
            CliError::new(gettext("failed to read '{file}': {why}").replace("{file}", &args.xml).replace("{why}", &why))
        })?
    };
    let network = cx.session.network(&args.network.network).await?;
    let name = cx.name_of(&network).await?;
    let mut flags = update_flags::CURRENT;
    if args.live {
        flags |= update_flags::LIVE;
    }
    if args.config {
        flags |= update_flags::CONFIG;
    }
    let active = call(network.active().await)?;
    call(network.update(command as u32, section as u32, args.parent_index, &xml, flags).await).map_err(|mut e| {
        e.lines.insert(0, gettext("Failed to update network {name}").replace("{name}", &name));
        e
    })?;
    let message = match (args.live, args.config) {
        (true, true) => gettext("Updated network {name} persistent config and live state"),
        (false, true) => gettext("Updated network {name} persistent config"),
        (true, false) => gettext("Updated network {name} live state"),
        (false, false) if active => gettext("Updated network {name} live state"),
        (false, false) => gettext("Updated network {name} persistent config"),
    };
    cx.say(&message.replace("{name}", &name));
    Ok(())
}
