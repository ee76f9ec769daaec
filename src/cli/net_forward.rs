//! `virtnet net-forward-list NETWORK`, `net-forward-add NETWORK PROTO HOST-PORTS
//! GUEST:PORTS [--address A] [--localhost]` and `net-forward-delete NETWORK PROTO
//! HOST-PORT [--address A]`: port forwards of a NAT network ("port 2222 on my host
//! reaches port 22 of my VM"). They are net-update's `port-forward` section: live on a
//! running network and kept in the persistent definition, unless `--live` or `--config`
//! says only one.

use std::net::IpAddr;

use super::context::{Context, NetworkArg};
use super::session::{CliError, CliResult, call};
use super::table;
use crate::dbus::{update_flags, xml_flags};
use crate::i18n::gettext;
use crate::model::extension::{self, PortForward, Protocol};
use crate::model::port_forward;
use crate::model::update::{Command, Section};

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    network: NetworkArg,
    /// The forwards of the persistent definition (not the running network's).
    #[arg(long)]
    inactive: bool,
}

/// Which definitions a change goes to.
#[derive(clap::Args, Debug)]
pub struct Targets {
    /// Change only the running network.
    #[arg(long, conflicts_with = "config")]
    live: bool,
    /// Change only the persistent definition (the next start).
    #[arg(long)]
    config: bool,
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    #[command(flatten)]
    network: NetworkArg,
    /// tcp, udp or both.
    #[arg(value_name = "PROTO")]
    protocol: String,
    /// The host port, or a range such as 8000-8010.
    #[arg(value_name = "HOST-PORTS")]
    host_ports: String,
    /// The guest's address and port (or a range of the same length): 192.168.122.10:22.
    #[arg(value_name = "GUEST:PORTS")]
    guest: String,
    /// Listen on this host address only (default: every host address but the network's own).
    #[arg(long, value_name = "ADDRESS")]
    address: Option<IpAddr>,
    /// Reachable at 127.0.0.1 from the host too.
    #[arg(long)]
    localhost: bool,
    #[command(flatten)]
    targets: Targets,
}

#[derive(clap::Args, Debug)]
pub struct DeleteArgs {
    #[command(flatten)]
    network: NetworkArg,
    /// tcp, udp or both.
    #[arg(value_name = "PROTO")]
    protocol: String,
    /// The first host port of the forward.
    #[arg(value_name = "HOST-PORT")]
    host_port: String,
    /// The host address of the forward, if it has one.
    #[arg(long, value_name = "ADDRESS")]
    address: Option<IpAddr>,
    #[command(flatten)]
    targets: Targets,
}

fn protocol(word: &str) -> CliResult<Protocol> {
    Protocol::from_word(word).ok_or_else(|| {
        CliError::new(gettext("unknown protocol '{proto}'; use tcp, udp or both").replace("{proto}", word))
    })
}

/// `2222` or `8000-8010`.
fn port_range(text: &str, what: &str) -> CliResult<(u16, u16)> {
    let bad = || {
        CliError::new(
            gettext("{what} '{text}' is not a port (1 to 65535) or a range such as 8000-8010")
                .replace("{what}", what)
                .replace("{text}", text),
        )
    };
    port_forward::parse_ports(text).ok_or_else(bad)
}

/// `192.168.122.10:22`, `192.168.122.10:9000-9010` or `[fd00::10]:22`.
fn guest_side(text: &str) -> CliResult<(IpAddr, (u16, u16))> {
    let bad = || {
        CliError::new(
            gettext("'{text}' is not a guest address and port such as 192.168.122.10:22").replace("{text}", text),
        )
    };
    let (address, ports) = match text.strip_prefix('[') {
        Some(rest) => rest.split_once("]:").ok_or_else(bad)?,
        None => text.rsplit_once(':').ok_or_else(bad)?,
    };
    let address: IpAddr = address.parse().map_err(|_| bad())?;
    Ok((address, port_range(ports, &gettext("guest port"))?))
}

/// The forward the add command describes (the model checks the rest when the network
/// takes it).
fn forward_of(args: &AddArgs) -> CliResult<PortForward> {
    let host = port_range(&args.host_ports, &gettext("host port"))?;
    let (guest, guest_ports) = guest_side(&args.guest)?;
    let forward = port_forward::forward_from_ports(protocol(&args.protocol)?, host, guest, guest_ports).map_err(
        |(n, m)| {
            CliError::new(
                gettext("the host ports {host} are {n} ports but the guest ports {guest} are {m}; give ranges of the same length")
                    .replace("{host}", &args.host_ports)
                    .replace("{guest}", &format!("{}-{}", guest_ports.0, guest_ports.1))
                    .replace("{n}", &n.to_string())
                    .replace("{m}", &m.to_string()),
            )
        },
    )?;
    Ok(PortForward { address: args.address, localhost: args.localhost, ..forward })
}

/// Live and persistent, as far as the network has each, unless told only one.
async fn flags(network: &crate::dbus::proxy::NetworkProxy<'_>, targets: &Targets) -> CliResult<u32> {
    if targets.live {
        return Ok(update_flags::LIVE);
    }
    if targets.config {
        return Ok(update_flags::CONFIG);
    }
    let active = call(network.active().await)?;
    let persistent = call(network.persistent().await)?;
    Ok(match (active, persistent) {
        (true, true) => update_flags::LIVE | update_flags::CONFIG,
        _ => update_flags::CURRENT,
    })
}

async fn update(
    cx: &Context,
    network_arg: &NetworkArg,
    command: Command,
    fragment: &str,
    targets: &Targets,
    failed: String,
) -> CliResult<(String, u32)> {
    let network = cx.session.network(&network_arg.network).await?;
    let name = cx.name_of(&network).await?;
    let flags = flags(&network, targets).await?;
    call(network.update(command as u32, Section::PortForward as u32, -1, fragment, flags).await).map_err(|mut e| {
        e.lines.insert(0, failed.replace("{name}", &name));
        e
    })?;
    Ok((name, flags))
}

pub async fn add(cx: &Context, args: &AddArgs) -> CliResult<()> {
    let forward = forward_of(args)?;
    let fragment = extension::fragment(&forward);
    let failed = gettext("Failed to add the port forward to network {name}");
    let (name, _) = update(cx, &args.network, Command::AddLast, &fragment, &args.targets, failed).await?;
    cx.say(
        &gettext("Port {host} of network {name} now reaches {guest}")
            .replace("{host}", &forward.host_side())
            .replace("{name}", &name)
            .replace("{guest}", &forward.guest_side()),
    );
    Ok(())
}

pub async fn delete(cx: &Context, args: &DeleteArgs) -> CliResult<()> {
    let protocol = protocol(&args.protocol)?;
    let (start, _) = port_range(&args.host_port, &gettext("host port"))?;
    let address = args.address.map(|a| format!(" address='{a}'")).unwrap_or_default();
    let fragment = format!("<portForward proto='{protocol}'{address}><range start='{start}'/></portForward>");
    let failed = gettext("Failed to delete the port forward of network {name}");
    let (name, _) = update(cx, &args.network, Command::Delete, &fragment, &args.targets, failed).await?;
    cx.say(
        &gettext("Port forward {port}/{proto} of network {name} deleted")
            .replace("{port}", &start.to_string())
            .replace("{proto}", protocol.as_str())
            .replace("{name}", &name),
    );
    Ok(())
}

pub async fn list(cx: &Context, args: &ListArgs) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let flags = if args.inactive { xml_flags::INACTIVE } else { 0 };
    let xml = call(network.get_xml_desc(flags).await)?;
    let definition = crate::model::Network::from_xml(&xml).map_err(|problems| {
        CliError::new(
            gettext("the helper sent a definition virtnet cannot read: {why}").replace("{why}", &problems.to_string()),
        )
    })?;
    let rows: Vec<Vec<String>> = definition
        .port_forwards
        .iter()
        .map(|f| {
            let ports = if f.start == f.end { f.start.to_string() } else { format!("{}-{}", f.start, f.end) };
            let mut address = f.address.map_or_else(|| gettext("all"), |a| a.to_string());
            if f.localhost {
                address.push_str(", 127.0.0.1");
            }
            vec![f.protocol.to_string(), address, ports, f.guest_side()]
        })
        .collect();
    let headers = [gettext("Protocol"), gettext("Host address"), gettext("Host port"), gettext("Guest")];
    print!("{}", table::render(&headers.each_ref().map(String::as_str), &rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ports_and_guests() {
        assert_eq!(port_range("2222", "p").ok(), Some((2222, 2222)));
        assert_eq!(port_range("8000-8010", "p").ok(), Some((8000, 8010)));
        assert!(port_range("0", "p").is_err());
        assert!(port_range("70000", "p").is_err());
        assert_eq!(guest_side("192.168.122.10:22").ok(), Some(("192.168.122.10".parse().unwrap(), (22, 22))));
        assert_eq!(guest_side("[fd00::10]:9000-9010").ok(), Some(("fd00::10".parse().unwrap(), (9000, 9010))));
        assert!(guest_side("192.168.122.10").is_err());
    }
}
