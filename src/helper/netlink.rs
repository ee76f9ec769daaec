//! The few netlink operations virtnet needs, over rtnetlink: bridges, addresses, routes,
//! and reading the host's interfaces, addresses and routes (for bridge names and
//! subnet collisions). Every failure becomes a `Netlink` error naming the object.

use std::net::IpAddr;
use std::sync::Arc;

use futures_util::TryStreamExt;
use ipnetwork::IpNetwork;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::address::AddressAttribute;
use rtnetlink::packet_route::link::{
    BridgeStpState, InfoBridgePort, InfoKind, InfoPortData, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use rtnetlink::packet_route::neighbour::{NeighbourAttribute, NeighbourState};
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteHeader, RouteProtocol, RouteType};
use rtnetlink::{Handle, LinkBridge, LinkBridgePort, LinkMessageBuilder, LinkUnspec, RouteMessageBuilder};

use crate::dbus::{ErrorKind, HelperError};
use crate::model::MacAddr;

/// The kernel counts bridge timers in USER_HZ (1/100 s).
const USER_HZ: u64 = 100;

/// What a network's bridge is created with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeSpec {
    pub name: String,
    pub mac: Option<MacAddr>,
    pub mtu: Option<u16>,
    pub stp: bool,
    /// STP forward delay in seconds.
    pub delay: u64,
}

/// A live interface as netlink reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfoSummary {
    pub index: u32,
    pub name: String,
    pub is_bridge: bool,
    /// The kernel's kind of a virtual interface (`bridge`, `vlan`, `bond`, `dummy`, ...);
    /// `None` for a physical device.
    pub kind: Option<String>,
    pub up: bool,
    pub loopback: bool,
    /// The bridge (or bond...) it is plugged into, by index.
    pub controller: Option<u32>,
    pub mtu: Option<u32>,
    pub mac: Option<MacAddr>,
    /// A bridge port whose traffic goes only to non-isolated ports (`isolated on`).
    pub port_isolated: bool,
    /// A bridge port that may send a frame back out the port it came in on.
    pub port_hairpin: bool,
}

/// An address or route of the host, for collision checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostNet {
    pub net: IpNetwork,
    /// The interface it is on, when known.
    pub dev: Option<String>,
    pub kind: HostNetKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostNetKind {
    Address,
    Route,
}

/// What [`Netlink::plug`] plugs, and how.
pub struct PortPlug<'a> {
    pub index: u32,
    pub name: &'a str,
    pub bridge_index: u32,
    pub bridge: &'a str,
    pub mtu: Option<u32>,
    pub mac: Option<MacAddr>,
    pub isolated: bool,
}

#[derive(Clone)]
pub struct Netlink {
    handle: Handle,
    /// The kernel allows one dump at a time per netlink socket (EBUSY otherwise), so
    /// dumps take turns; single-object requests need no turn.
    dump_turn: Arc<tokio::sync::Mutex<()>>,
}

fn failed(what: impl std::fmt::Display, error: rtnetlink::Error) -> HelperError {
    let reason = match &error {
        rtnetlink::Error::NetlinkError(message) => message.to_io().to_string(),
        other => other.to_string(),
    };
    HelperError::new(ErrorKind::Netlink, format!("{what}: {reason}"))
}

/// errno of "no such device".
const ENODEV: i32 = 19;

fn is_no_such_device(error: &rtnetlink::Error) -> bool {
    matches!(error, rtnetlink::Error::NetlinkError(m) if m.raw_code() == -ENODEV)
}

impl Netlink {
    /// Opens a netlink socket in the current network namespace. Must run inside tokio.
    pub fn connect() -> Result<Netlink, HelperError> {
        let (connection, handle, _) = rtnetlink::new_connection()
            .map_err(|e| HelperError::new(ErrorKind::Netlink, format!("cannot open a netlink socket: {e}")))?;
        tokio::spawn(connection);
        Ok(Netlink { handle, dump_turn: Arc::new(tokio::sync::Mutex::new(())) })
    }

    /// Every interface of the namespace.
    pub async fn links(&self) -> Result<Vec<LinkInfoSummary>, HelperError> {
        let _turn = self.dump_turn.lock().await;
        self.links_locked().await
    }

    async fn links_locked(&self) -> Result<Vec<LinkInfoSummary>, HelperError> {
        let mut stream = self.handle.link().get().execute();
        let mut links = Vec::new();
        while let Some(message) = stream.try_next().await.map_err(|e| failed("cannot list interfaces", e))? {
            links.push(summarize(message));
        }
        Ok(links)
    }

    /// The interface called `name`, if there is one.
    pub async fn link(&self, name: &str) -> Result<Option<LinkInfoSummary>, HelperError> {
        let mut stream = self.handle.link().get().match_name(name).execute();
        match stream.try_next().await {
            Ok(message) => Ok(message.map(summarize)),
            Err(e) if is_no_such_device(&e) => Ok(None),
            Err(e) => Err(failed(format!("cannot look up interface {name}"), e)),
        }
    }

    /// Creates the bridge, down, with its MAC, MTU and STP settings; returns its index.
    pub async fn create_bridge(&self, spec: &BridgeSpec) -> Result<u32, HelperError> {
        let delay = u32::try_from(spec.delay.saturating_mul(USER_HZ)).unwrap_or(u32::MAX);
        // The forward delay is set before STP is switched on: with STP on the kernel
        // refuses delays under 2 s, and libvirt's default is stp='on' delay='0'.
        let mut builder = LinkMessageBuilder::<LinkBridge>::new(&spec.name)
            .forward_delay(delay)
            .stp_state(if spec.stp { BridgeStpState::KernelStp } else { BridgeStpState::Disabled });
        if let Some(mac) = spec.mac {
            builder = builder.address(mac.0.to_vec());
        }
        if let Some(mtu) = spec.mtu {
            builder = builder.mtu(u32::from(mtu));
        }
        self.handle
            .link()
            .add(builder.build())
            .execute()
            .await
            .map_err(|e| failed(format!("cannot create bridge {}", spec.name), e))?;
        match self.link(&spec.name).await? {
            Some(link) => Ok(link.index),
            None => Err(HelperError::new(
                ErrorKind::Netlink,
                format!("bridge {} vanished right after it was created", spec.name),
            )),
        }
    }

    pub async fn set_up(&self, index: u32, name: &str) -> Result<(), HelperError> {
        self.handle
            .link()
            .set(LinkUnspec::new_with_index(index).up().build())
            .execute()
            .await
            .map_err(|e| failed(format!("cannot bring {name} up"), e))
    }

    /// Takes an interface down; one that is already gone is not an error.
    pub async fn set_down(&self, name: &str) -> Result<(), HelperError> {
        let Some(link) = self.link(name).await? else { return Ok(()) };
        match self.handle.link().set(LinkUnspec::new_with_index(link.index).down().build()).execute().await {
            Err(e) if !is_no_such_device(&e) => Err(failed(format!("cannot bring {name} down"), e)),
            _ => Ok(()),
        }
    }

    pub async fn add_address(&self, index: u32, name: &str, net: IpNetwork) -> Result<(), HelperError> {
        self.handle
            .address()
            .add(index, net.ip(), net.prefix())
            .execute()
            .await
            .map_err(|e| failed(format!("cannot add address {}/{} to {name}", net.ip(), net.prefix()), e))
    }

    pub async fn add_route(
        &self,
        index: u32,
        name: &str,
        destination: IpNetwork,
        gateway: IpAddr,
        metric: Option<u32>,
    ) -> Result<(), HelperError> {
        let invalid = |e: &dyn std::fmt::Display| {
            HelperError::new(ErrorKind::Netlink, format!("route to {destination} via {gateway}: {e}"))
        };
        let mut builder = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(destination.network(), destination.prefix())
            .map_err(|e| invalid(&e))?
            .gateway(gateway)
            .map_err(|e| invalid(&e))?
            .output_interface(index);
        if let Some(metric) = metric {
            builder = builder.priority(metric);
        }
        let message = builder.build();
        self.handle
            .route()
            .add(message)
            .execute()
            .await
            .map_err(|e| failed(format!("cannot add route to {destination} via {gateway} on {name}"), e))
    }

    /// Deletes a bridge; one that is already gone is not an error, and an interface of
    /// that name that is not a bridge is someone else's and is left alone.
    pub async fn delete_bridge(&self, name: &str) -> Result<(), HelperError> {
        let Some(link) = self.link(name).await? else { return Ok(()) };
        if !link.is_bridge {
            tracing::warn!(interface = name, "not deleting {name}: it is not a bridge, so not ours");
            return Ok(());
        }
        match self.handle.link().del(link.index).execute().await {
            Err(e) if !is_no_such_device(&e) => Err(failed(format!("cannot delete {name}"), e)),
            _ => Ok(()),
        }
    }

    /// Plugs an interface into a bridge: the bridge's MTU, an optional MAC, isolated
    /// or not, then up.
    pub async fn plug(&self, port: &PortPlug<'_>) -> Result<(), HelperError> {
        let name = port.name;
        let mut builder = LinkUnspec::new_with_index(port.index).controller(port.bridge_index);
        if let Some(mtu) = port.mtu {
            builder = builder.mtu(mtu);
        }
        if let Some(mac) = port.mac {
            builder = builder.address(mac.0.to_vec());
        }
        self.handle
            .link()
            .set(builder.build())
            .execute()
            .await
            .map_err(|e| failed(format!("cannot plug {name} into {}", port.bridge), e))?;
        if port.isolated {
            let message = LinkBridgePort::new(port.index).append_info_data(InfoBridgePort::Isolated(true)).build();
            self.handle
                .link()
                .set_port(message)
                .execute()
                .await
                .map_err(|e| failed(format!("cannot isolate port {name}"), e))?;
        }
        self.set_up(port.index, name).await
    }

    /// Lets a bridge port send frames back out the port they came in on: with
    /// br_netfilter active, a guest's connection to its own port forward is DNATed at
    /// the bridge and goes back out its own port (Docker and Incus do the same).
    pub async fn set_hairpin(&self, index: u32, name: &str, on: bool) -> Result<(), HelperError> {
        let message = LinkBridgePort::new(index).append_info_data(InfoBridgePort::HairpinMode(on)).build();
        self.handle
            .link()
            .set_port(message)
            .execute()
            .await
            .map_err(|e| failed(format!("cannot set hairpin mode of port {name}"), e))
    }

    /// Deletes an interface (a persistent tap); one that is already gone is not an error.
    pub async fn delete_link(&self, name: &str) -> Result<(), HelperError> {
        let Some(link) = self.link(name).await? else { return Ok(()) };
        match self.handle.link().del(link.index).execute().await {
            Err(e) if !is_no_such_device(&e) => Err(failed(format!("cannot delete {name}"), e)),
            _ => Ok(()),
        }
    }

    /// The MAC addresses the bridges learned behind their ports (the guests'), as (port
    /// index, bridge index, MAC); the ports' own addresses left out. One dump for every
    /// bridge.
    pub async fn learned_macs(&self) -> Result<Vec<(u32, u32, MacAddr)>, HelperError> {
        let _turn = self.dump_turn.lock().await;
        let mut entries = self.handle.neighbours().get().set_address_family(AddressFamily::Bridge).execute();
        let mut learned = Vec::new();
        while let Some(message) =
            entries.try_next().await.map_err(|e| failed("cannot read the bridge's forwarding table", e))?
        {
            if message.header.state == NeighbourState::Permanent || message.header.state == NeighbourState::Noarp {
                continue;
            }
            let mut mac = None;
            let mut controller = None;
            for attribute in &message.attributes {
                match attribute {
                    NeighbourAttribute::LinkLayerAddress(bytes) => mac = <[u8; 6]>::try_from(bytes.as_slice()).ok(),
                    NeighbourAttribute::Controller(index) => controller = Some(*index),
                    _ => {}
                }
            }
            // Multicast entries are the bridge's own.
            if let (Some(mac), Some(controller)) = (mac, controller)
                && mac[0] & 1 == 0
            {
                learned.push((message.header.ifindex, controller, MacAddr(mac)));
            }
        }
        Ok(learned)
    }

    /// The interfaces with IPv6 routes learned from router advertisements: the kernel
    /// stops accepting advertisements once forwarding is on (unless the interface's
    /// accept_ra is 2), and those routes then expire.
    pub async fn ra_route_interfaces(&self) -> Result<Vec<String>, HelperError> {
        let _turn = self.dump_turn.lock().await;
        let links = self.links_locked().await?;
        let mut query = RouteMessageBuilder::<IpAddr>::new().build();
        query.header.address_family = AddressFamily::Inet6;
        let mut routes = self.handle.route().get(query).execute();
        let mut names: Vec<String> = Vec::new();
        while let Some(message) = routes.try_next().await.map_err(|e| failed("cannot list routes", e))? {
            if message.header.protocol != RouteProtocol::Ra {
                continue;
            }
            for attribute in &message.attributes {
                if let RouteAttribute::Oif(index) = attribute
                    && let Some(link) = links.iter().find(|l| l.index == *index)
                    && !names.contains(&link.name)
                {
                    names.push(link.name.clone());
                }
            }
        }
        Ok(names)
    }

    /// The host's addresses and the destinations of its main-table routes (default
    /// routes left out: everything is inside them).
    pub async fn host_networks(&self) -> Result<Vec<HostNet>, HelperError> {
        let _turn = self.dump_turn.lock().await;
        let links = self.links_locked().await?;
        let name_of = |index: u32| links.iter().find(|l| l.index == index).map(|l| l.name.clone());
        let mut nets = Vec::new();

        let mut addresses = self.handle.address().get().execute();
        while let Some(message) = addresses.try_next().await.map_err(|e| failed("cannot list addresses", e))? {
            let prefix = message.header.prefix_len;
            let address = message.attributes.iter().find_map(|a| match a {
                AddressAttribute::Local(ip) => Some(*ip),
                _ => None,
            });
            let address = address.or_else(|| {
                message.attributes.iter().find_map(|a| match a {
                    AddressAttribute::Address(ip) => Some(*ip),
                    _ => None,
                })
            });
            if let Some(net) = address.and_then(|ip| IpNetwork::new(ip, prefix).ok()) {
                nets.push(HostNet { net, dev: name_of(message.header.index), kind: HostNetKind::Address });
            }
        }

        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut query = RouteMessageBuilder::<IpAddr>::new().build();
            query.header.address_family = family;
            let mut routes = self.handle.route().get(query).execute();
            while let Some(message) = routes.try_next().await.map_err(|e| failed("cannot list routes", e))? {
                if message.header.table != RouteHeader::RT_TABLE_MAIN
                    || message.header.kind != RouteType::Unicast
                    || message.header.destination_prefix_length == 0
                {
                    continue;
                }
                let mut destination = None;
                let mut dev = None;
                for attribute in &message.attributes {
                    match attribute {
                        RouteAttribute::Destination(RouteAddress::Inet(ip)) => destination = Some(IpAddr::V4(*ip)),
                        RouteAttribute::Destination(RouteAddress::Inet6(ip)) => destination = Some(IpAddr::V6(*ip)),
                        RouteAttribute::Oif(index) => dev = name_of(*index),
                        _ => {}
                    }
                }
                let prefix = message.header.destination_prefix_length;
                if let Some(net) = destination.and_then(|ip| IpNetwork::new(ip, prefix).ok()) {
                    // Link-local and multicast routes exist on every interface.
                    if net.ip().is_multicast()
                        || matches!(net, IpNetwork::V6(v6) if v6.ip().segments()[0] & 0xffc0 == 0xfe80)
                    {
                        continue;
                    }
                    nets.push(HostNet { net, dev, kind: HostNetKind::Route });
                }
            }
        }
        Ok(nets)
    }
}

fn summarize(message: LinkMessage) -> LinkInfoSummary {
    let flags = message.header.flags;
    let mut summary = LinkInfoSummary {
        index: message.header.index,
        name: String::new(),
        is_bridge: false,
        kind: None,
        up: flags.contains(LinkFlags::Up),
        loopback: flags.contains(LinkFlags::Loopback),
        controller: None,
        mtu: None,
        mac: None,
        port_isolated: false,
        port_hairpin: false,
    };
    for attribute in message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => summary.name = name,
            LinkAttribute::Controller(index) => summary.controller = Some(index),
            LinkAttribute::Mtu(mtu) => summary.mtu = Some(mtu),
            LinkAttribute::Address(bytes) => summary.mac = <[u8; 6]>::try_from(bytes.as_slice()).ok().map(MacAddr),
            LinkAttribute::LinkInfo(infos) => {
                summary.is_bridge = infos.iter().any(|i| matches!(i, LinkInfo::Kind(InfoKind::Bridge)));
                summary.kind = infos.iter().find_map(|i| match i {
                    LinkInfo::Kind(kind) => Some(kind.to_string()),
                    _ => None,
                });
                let port_has = |wanted: &InfoBridgePort| {
                    infos.iter().any(
                        |i| matches!(i, LinkInfo::PortData(InfoPortData::BridgePort(port)) if port.contains(wanted)),
                    )
                };
                summary.port_isolated = port_has(&InfoBridgePort::Isolated(true));
                summary.port_hairpin = port_has(&InfoBridgePort::HairpinMode(true));
            }
            _ => {}
        }
    }
    summary
}
