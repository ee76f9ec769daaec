//! Starting and stopping a network's datapath, in libvirt's order: checks, bridge,
//! (firewall), addresses, link up, routes, (forwarding, dnsmasq). Every step that
//! changes the host records how to undo it; if a later step fails, the recorded steps
//! are undone in reverse, so a failed start leaves nothing behind.

use tracing::warn;

use super::netlink::{BridgeSpec, Netlink};
use crate::dbus::{ErrorKind, HelperError};
use crate::model::{IpDef, Network};

/// How to take back one step of a start.
enum Undo {
    DeleteBridge(String),
}

/// The bridge name of a defined network (set by the define-time defaults).
pub fn bridge_name(network: &Network) -> Result<&str, HelperError> {
    network.bridge.name.as_deref().filter(|n| !n.contains("%d")).ok_or_else(|| {
        HelperError::new(ErrorKind::InvalidDefinition, format!("network '{}' has no bridge name", network.name))
    })
}

/// Brings the network up. On error nothing of it remains on the host.
pub async fn start(netlink: &Netlink, network: &Network) -> Result<(), HelperError> {
    if !network.manages_bridge() {
        return Err(HelperError::new(
            ErrorKind::NotSupported,
            format!(
                "network '{}' uses forward mode '{}', which plugs guests into devices outside virtnet; virtnet keeps its definition but does not start it",
                network.name,
                network.mode().as_str()
            ),
        ));
    }
    let bridge = bridge_name(network)?;
    if let Some(existing) = netlink.link(bridge).await? {
        return Err(HelperError::new(
            ErrorKind::BridgeInUse,
            format!(
                "cannot start network '{}': an interface named {} already exists (index {}); give the network another bridge name",
                network.name, bridge, existing.index
            ),
        ));
    }

    let mut undo = Vec::new();
    let result = bring_up(netlink, network, bridge, &mut undo).await;
    if result.is_err() {
        roll_back(netlink, undo).await;
    }
    result
}

async fn bring_up(netlink: &Netlink, network: &Network, bridge: &str, undo: &mut Vec<Undo>) -> Result<(), HelperError> {
    let spec = BridgeSpec {
        name: bridge.to_owned(),
        mac: network.mac,
        mtu: network.mtu,
        stp: network.bridge.stp,
        delay: network.bridge.delay,
    };
    let index = netlink.create_bridge(&spec).await?;
    undo.push(Undo::DeleteBridge(bridge.to_owned()));

    for subnet in network.ips.iter().filter_map(IpDef::subnet) {
        netlink.add_address(index, bridge, subnet).await?;
    }
    netlink.set_up(index, bridge).await?;
    for route in &network.routes {
        let Some(destination) = route.destination() else { continue };
        netlink.add_route(index, bridge, destination, route.gateway, route.metric).await?;
    }
    Ok(())
}

async fn roll_back(netlink: &Netlink, undo: Vec<Undo>) {
    for step in undo.into_iter().rev() {
        match step {
            Undo::DeleteBridge(name) => {
                if let Err(e) = netlink.delete_bridge(&name).await {
                    warn!(bridge = %name, "rollback could not delete the bridge: {e}");
                }
            }
        }
    }
}

/// Takes the network down: everything start created, whatever is already gone.
/// (Deleting the bridge removes its addresses and routes with it.)
pub async fn stop(netlink: &Netlink, network: &Network) -> Result<(), HelperError> {
    let bridge = bridge_name(network)?;
    netlink.delete_bridge(bridge).await
}

/// Is the network's datapath still there (for adopting networks after a restart)?
pub async fn is_running(netlink: &Netlink, network: &Network) -> Result<bool, HelperError> {
    let Ok(bridge) = bridge_name(network) else { return Ok(false) };
    Ok(netlink.link(bridge).await?.is_some_and(|link| link.is_bridge))
}
