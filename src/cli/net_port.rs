//! `virtnet net-port-list | net-port-create | net-port-delete | net-port-dumpxml`: what is
//! plugged into a network's bridge (the seed's `brctl show` view, with each guest's
//! address from its lease), persistent taps for VMs that open them by name, and
//! libvirt's `<networkport>` XML of one port.

use std::collections::HashMap;

use zbus::proxy::CacheProperties;

use super::context::{Context, NetworkArg};
use super::session::{CliError, CliResult, call};
use super::table;
use crate::dbus::NO_OWNER;
use crate::dbus::proxy::{NetworkProxy, PortProxy};
use crate::i18n::gettext;
use crate::model::Network;

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    network: NetworkArg,
    /// A JSON array, for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    network: NetworkArg,
    /// Who may open the tap (a user name or uid; default: you). Another user's port
    /// needs the right to manage networks.
    #[arg(long, value_name = "USER")]
    owner: Option<String>,
    /// The tap's name (default: the next free vnetN).
    #[arg(long, value_name = "IFNAME")]
    name: Option<String>,
    /// The guest's MAC address (its tap gets the same with fe: first, as libvirt does).
    #[arg(long, value_name = "MAC")]
    mac: Option<String>,
    /// Ports that are isolated reach the host and the uplink, not each other.
    #[arg(long)]
    isolated: bool,
}

#[derive(clap::Args, Debug)]
pub struct PortArgs {
    #[command(flatten)]
    network: NetworkArg,
    /// The port's interface (vnet0) or number.
    #[arg(value_name = "PORT")]
    port: String,
}

/// One port's properties, read once.
#[derive(serde::Serialize)]
struct PortRow {
    number: u32,
    interface: String,
    kind: String,
    mac: String,
    address: String,
    hostname: String,
    owner: Option<u32>,
    plugged: bool,
    isolated: bool,
    created: u64,
}

async fn port_proxy(network: &NetworkProxy<'_>, path: zbus::OwnedObjectPath) -> CliResult<PortProxy<'static>> {
    call(
        PortProxy::builder(network.inner().connection()).path(path).cache_properties(CacheProperties::No).build().await,
    )
}

async fn read_row(port: &PortProxy<'_>) -> CliResult<PortRow> {
    let number = port.inner().path().rsplit('/').next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let owner = call(port.owner().await)?;
    Ok(PortRow {
        number,
        interface: call(port.interface().await)?,
        kind: call(port.kind().await)?,
        mac: call(port.mac().await)?,
        address: call(port.address().await)?,
        hostname: call(port.hostname().await)?,
        owner: (owner != NO_OWNER).then_some(owner),
        plugged: call(port.plugged().await)?,
        isolated: call(port.isolated().await)?,
        created: call(port.created().await)?,
    })
}

async fn rows(network: &NetworkProxy<'_>) -> CliResult<Vec<(PortProxy<'static>, PortRow)>> {
    let mut rows = Vec::new();
    for path in call(network.list_ports().await)? {
        let port = port_proxy(network, path).await?;
        // A port that went between the list and the read is left out.
        if let Ok(row) = read_row(&port).await {
            rows.push((port, row));
        }
    }
    Ok(rows)
}

fn user_name(uid: Option<u32>) -> String {
    let Some(uid) = uid else { return "-".to_owned() };
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(user)) => user.name,
        _ => uid.to_string(),
    }
}

fn or_dash(text: &str) -> String {
    if text.is_empty() { "-".to_owned() } else { text.to_owned() }
}

pub async fn list(cx: &Context, args: &ListArgs) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let rows = rows(&network).await?;
    if args.json {
        let list: Vec<&PortRow> = rows.iter().map(|(_, r)| r).collect();
        println!("{}", serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_owned()));
        return Ok(());
    }
    // The bridge itself first, as `brctl show` starts with it: its MAC (set at define
    // time, so it does not change with the first port's) and STP.
    let definition = Network::from_xml(&call(network.get_xml_desc(0).await)?).ok();
    if let Some(definition) = &definition {
        let bridge = definition.bridge.name.clone().unwrap_or_default();
        let mac = definition.mac.map_or_else(|| "-".to_owned(), |m| m.to_string());
        let stp = if definition.bridge.stp { gettext("on") } else { gettext("off") };
        println!(
            " {}",
            gettext("Bridge {bridge}   MAC {mac}   STP {stp}")
                .replace("{bridge}", &bridge)
                .replace("{mac}", &mac)
                .replace("{stp}", &stp)
        );
        println!();
    }
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(_, r)| {
            vec![
                r.interface.clone(),
                r.kind.clone(),
                if r.plugged { gettext("plugged") } else { gettext("unplugged") },
                or_dash(&r.mac),
                or_dash(&r.address),
                or_dash(&r.hostname),
                user_name(r.owner),
            ]
        })
        .collect();
    let headers = [
        gettext("Interface"),
        gettext("Kind"),
        gettext("State"),
        gettext("MAC address"),
        gettext("IP address"),
        gettext("Hostname"),
        gettext("Owner"),
    ];
    print!("{}", table::render(&headers.each_ref().map(String::as_str), &table_rows));
    Ok(())
}

/// A user name or uid, as the owner of a port.
fn uid_of(owner: &str) -> CliResult<u32> {
    if let Ok(uid) = owner.parse::<u32>() {
        return Ok(uid);
    }
    match nix::unistd::User::from_name(owner) {
        Ok(Some(user)) => Ok(user.uid.as_raw()),
        _ => Err(CliError::new(gettext("there is no user '{owner}' on this host").replace("{owner}", owner))),
    }
}

pub async fn create(cx: &Context, args: &CreateArgs) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let name = cx.name_of(&network).await?;
    let mut options: HashMap<&str, zbus::Variant<'_>> = HashMap::new();
    if let Some(owner) = &args.owner {
        options.insert("owner", zbus::Variant::from(uid_of(owner)?));
    }
    if let Some(ifname) = &args.name {
        options.insert("name", zbus::Variant::from(ifname.as_str()));
    }
    if let Some(mac) = &args.mac {
        options.insert("mac", zbus::Variant::from(mac.as_str()));
    }
    if args.isolated {
        options.insert("isolated", zbus::Variant::from(true));
    }
    let path = call(network.create_port(options).await)?;
    let port = port_proxy(&network, path).await?;
    let interface = call(port.interface().await)?;
    cx.say(
        &gettext("Port {port} created on network {name}; use it with: -netdev tap,id=n0,ifname={port},script=no,downscript=no")
            .replace("{port}", &interface)
            .replace("{name}", &name),
    );
    Ok(())
}

/// The port named by interface or number.
async fn find(network: &NetworkProxy<'_>, name: &str, wanted: &str) -> CliResult<(PortProxy<'static>, PortRow)> {
    rows(network).await?.into_iter().find(|(_, r)| r.interface == wanted || r.number.to_string() == wanted).ok_or_else(
        || {
            CliError::new(
                gettext("network {name} has no port '{port}' (see 'virtnet net-port-list {name}')")
                    .replace("{name}", name)
                    .replace("{port}", wanted),
            )
        },
    )
}

pub async fn delete(cx: &Context, args: &PortArgs) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let name = cx.name_of(&network).await?;
    let (port, row) = find(&network, &name, &args.port).await?;
    call(port.delete().await)?;
    cx.say(&gettext("Port {port} deleted").replace("{port}", &row.interface));
    Ok(())
}

/// libvirt's `<networkport>`, with what libvirt has no element for in virtnet's namespace.
pub async fn dumpxml(cx: &Context, args: &PortArgs) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let name = cx.name_of(&network).await?;
    let (_, row) = find(&network, &name, &args.port).await?;
    let bridge = call(network.bridge_name().await)?;
    let escape = |text: &str| quick_xml::escape::escape(text).into_owned();
    let mut xml = String::from("<networkport>\n");
    if !row.mac.is_empty() {
        xml.push_str(&format!("  <mac address='{}'/>\n", escape(&row.mac)));
    }
    xml.push_str(&format!("  <plug type='network' bridge='{}'/>\n", escape(&bridge)));
    xml.push_str(&format!(
        "  <virtnet:port xmlns:virtnet='{}' interface='{}' kind='{}' plugged='{}' isolated='{}'",
        crate::model::attach::NAMESPACE,
        escape(&row.interface),
        escape(&row.kind),
        if row.plugged { "yes" } else { "no" },
        if row.isolated { "yes" } else { "no" },
    ));
    if let Some(owner) = row.owner {
        xml.push_str(&format!(" owner='{owner}'"));
    }
    if !row.address.is_empty() {
        xml.push_str(&format!(" address='{}'", escape(&row.address)));
    }
    if !row.hostname.is_empty() {
        xml.push_str(&format!(" hostname='{}'", escape(&crate::model::syntax::shown_text(&row.hostname))));
    }
    xml.push_str("/>\n</networkport>");
    println!("{xml}");
    Ok(())
}
