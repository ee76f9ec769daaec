//! A network's datapath, started in libvirt's order: checks (subnet collisions, bridge
//! name), bridge, firewall, addresses, link up, routes, forwarding, dnsmasq. Every step
//! that changes the host records how to undo it; if a later step fails, the recorded
//! steps are undone in reverse, so a failed start leaves nothing behind. Stopping
//! removes every piece, carrying on past pieces that are already gone.

use ipnetwork::IpNetwork;
use tracing::{debug, warn};

use super::dnsmasq::config as dnsmasq_config;
use super::dnsmasq::process::{Dnsmasq, Process};
use super::firewall::plan::{HostAccess, Plan};
use super::firewall::{self, Backend};
use super::netlink::{BridgeSpec, HostNetKind, Netlink};
use super::sysctl::Sysctl;
use crate::dbus::{ErrorKind, HelperError};
use crate::model::forward::ForwardMode;
use crate::model::subnet::{display, first_free_private_v4, overlaps};
use crate::model::values::Family;
use crate::model::{IpDef, Network, NetworkMode};

/// What the other active (and starting) networks hold, for the checks of a start and
/// for undoing one.
#[derive(Clone, Debug, Default)]
pub struct Others {
    /// (network name, subnet) of every other active network.
    pub subnets: Vec<(String, IpNetwork)>,
    /// Families other active networks need forwarding for.
    pub forwarding: Vec<Family>,
}

/// How to take back one step of a start.
enum Undo {
    DeleteBridge(String),
    RemoveFirewall(String),
    RestoreForwarding(Family),
    StopDnsmasq,
}

pub struct Datapath {
    pub netlink: Netlink,
    pub firewall: Backend,
    /// What isolated networks' guests may reach on the host (`--isolated-host-access`).
    pub isolated_host_access: HostAccess,
    /// Set accept_ra=2 where IPv6 forwarding would lose routes (`--keep-ra-routes`).
    pub keep_ra_routes: bool,
    pub dnsmasq: Dnsmasq,
    pub sysctl: Sysctl,
}

/// The bridge name of a defined network (set by the define-time defaults).
pub fn bridge_name(network: &Network) -> Result<&str, HelperError> {
    network.bridge.name.as_deref().filter(|n| !n.contains("%d")).ok_or_else(|| {
        HelperError::new(ErrorKind::InvalidDefinition, format!("network '{}' has no bridge name", network.name))
    })
}

/// The address families the network forwards (none when isolated).
pub fn forwarding_families(network: &Network) -> Vec<Family> {
    match network.mode() {
        NetworkMode::Forward(ForwardMode::Nat | ForwardMode::Route | ForwardMode::Open) => {
            [Family::Ipv4, Family::Ipv6].into_iter().filter(|f| network.ips_of(*f).next().is_some()).collect()
        }
        _ => Vec::new(),
    }
}

/// Whether a port forward is reachable at 127.0.0.1: the kernel routes packets from
/// loopback addresses out of the bridge only with `route_localnet` on it.
fn wants_localnet(network: &Network) -> bool {
    network.forwards_ports() && network.port_forwards.iter().any(|f| f.localhost)
}

fn subnets(network: &Network) -> Vec<IpNetwork> {
    network.ips.iter().filter_map(IpDef::subnet).collect()
}

impl Datapath {
    /// The network's firewall plan, with the helper's choice of host access for
    /// isolated networks.
    pub fn plan(&self, network: &Network) -> Option<Plan> {
        let mut plan = firewall::plan::plan(network)?;
        if plan.host_access == HostAccess::Services {
            plan.host_access = self.isolated_host_access;
        }
        Some(plan)
    }

    /// Brings the network up. On error nothing of it remains on the host. Returns its
    /// dnsmasq, if it needs one.
    pub async fn start(&self, network: &Network, others: &Others) -> Result<Option<Process>, HelperError> {
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
        let clock = std::time::Instant::now();
        self.check_free(network, bridge, others).await?;
        self.check_ra_routes(network).await?;
        debug!(network = %network.name, "checks: {:?}", clock.elapsed());

        let mut undo = Vec::new();
        let result = self.bring_up(network, bridge, &mut undo).await;
        if result.is_err() {
            self.roll_back(network, undo, others).await;
        }
        result
    }

    /// Refuses a start that would turn IPv6 forwarding on while an interface has routes
    /// from router advertisements and accept_ra below 2: the kernel would stop
    /// accepting advertisements there, and the host would lose those routes when they
    /// expire (libvirt refuses too). With `--keep-ra-routes`, sets accept_ra to 2.
    async fn check_ra_routes(&self, network: &Network) -> Result<(), HelperError> {
        if !forwarding_families(network).contains(&Family::Ipv6) || self.sysctl.forwarding_on(Family::Ipv6)? {
            return Ok(());
        }
        let mut at_risk = Vec::new();
        for interface in self.netlink.ra_route_interfaces().await? {
            if self.sysctl.accept_ra(&interface)? != "2" {
                at_risk.push(interface);
            }
        }
        if at_risk.is_empty() {
            return Ok(());
        }
        if self.keep_ra_routes {
            return at_risk.iter().try_for_each(|interface| self.sysctl.keep_accepting_ra(interface));
        }
        Err(HelperError::new(
            ErrorKind::Sysctl,
            format!(
                "cannot start network '{}': it needs IPv6 forwarding, and turning it on would lose the routes {} learned from router advertisements (enabling IPv6 forwarding with RA routes without accept_ra set to 2 is likely to cause routes loss); set {} to 2, or start virtnetd with --keep-ra-routes",
                network.name,
                at_risk.join(", "),
                at_risk.iter().map(|i| format!("net.ipv6.conf.{i}.accept_ra")).collect::<Vec<_>>().join(", ")
            ),
        ))
    }

    /// Refuses a start whose subnets overlap an address or route of the host or another
    /// active network, or whose bridge name is an existing interface.
    async fn check_free(&self, network: &Network, bridge: &str, others: &Others) -> Result<(), HelperError> {
        if let Some(existing) = self.netlink.link(bridge).await? {
            return Err(HelperError::new(
                ErrorKind::BridgeInUse,
                format!(
                    "cannot start network '{}': an interface named {bridge} already exists (index {}); give the network another bridge name",
                    network.name, existing.index
                ),
            ));
        }
        let host = self.netlink.host_networks().await?;
        let mut used: Vec<IpNetwork> = host.iter().map(|h| h.net).collect();
        used.extend(others.subnets.iter().map(|(_, s)| *s));
        let suggestion = |subnet: &IpNetwork| match (subnet, first_free_private_v4(&used)) {
            (IpNetwork::V4(_), Some(free)) => format!("; {free} is free"),
            _ => String::new(),
        };
        for subnet in subnets(network) {
            let conflict = if let Some((other, theirs)) = others.subnets.iter().find(|(_, s)| overlaps(s, &subnet)) {
                format!("{} of network '{other}'", display(theirs))
            } else if let Some(h) = host.iter().find(|h| overlaps(&h.net, &subnet)) {
                let kind = match h.kind {
                    HostNetKind::Address => "the address",
                    HostNetKind::Route => "the route to",
                };
                format!(
                    "{kind} {} on {}",
                    if h.kind == HostNetKind::Route { display(&h.net) } else { h.net.to_string() },
                    h.dev.as_deref().unwrap_or("this host")
                )
            } else {
                continue;
            };
            return Err(HelperError::new(
                ErrorKind::SubnetInUse,
                format!(
                    "cannot start network '{}': its subnet {} overlaps {conflict}{}",
                    network.name,
                    display(&subnet),
                    suggestion(&subnet)
                ),
            ));
        }
        Ok(())
    }

    async fn bring_up(
        &self,
        network: &Network,
        bridge: &str,
        undo: &mut Vec<Undo>,
    ) -> Result<Option<Process>, HelperError> {
        let spec = BridgeSpec {
            name: bridge.to_owned(),
            mac: network.mac,
            mtu: network.mtu,
            stp: network.bridge.stp,
            delay: network.bridge.delay,
        };
        let clock = std::time::Instant::now();
        let step = |what: &str| debug!(network = %network.name, "{what}: {:?}", clock.elapsed());
        let index = self.netlink.create_bridge(&spec).await?;
        undo.push(Undo::DeleteBridge(bridge.to_owned()));
        let has_ipv6 = network.ips_of(Family::Ipv6).next().is_some();
        self.sysctl.bridge_ipv6(bridge, has_ipv6 || network.ipv6)?;
        if network.mode() == NetworkMode::Isolated {
            self.sysctl.bridge_forwarding(bridge, false)?;
        }
        self.sysctl.route_localnet(bridge, wants_localnet(network))?;
        step("bridge");

        for subnet in subnets(network) {
            self.netlink.add_address(index, bridge, subnet).await?;
        }
        step("bridge and addresses");
        // The firewall and dnsmasq are set up at the same time, while the bridge is still
        // down (no traffic can pass it yet): each takes a tool's start-up time.
        let plan = self.plan(network);
        if plan.is_some() {
            undo.push(Undo::RemoveFirewall(bridge.to_owned()));
        }
        let firewall = async {
            match &plan {
                Some(plan) => self.firewall.apply(plan).await.map_err(|e| {
                    HelperError::new(
                        ErrorKind::Firewall,
                        format!("the firewall refused the rules of network '{}': {}", network.name, e.message),
                    )
                }),
                None => Ok(()),
            }
        };
        let dnsmasq = async {
            if dnsmasq_config::needed(network) { self.dnsmasq.start(network).await.map(Some) } else { Ok(None) }
        };
        let (firewall, dnsmasq) = tokio::join!(firewall, dnsmasq);
        if matches!(dnsmasq, Ok(Some(_))) {
            undo.push(Undo::StopDnsmasq);
        }
        firewall?;
        let dnsmasq = dnsmasq?;
        step("firewall and dnsmasq");
        self.netlink.set_up(index, bridge).await?;
        for route in &network.routes {
            let Some(destination) = route.destination() else { continue };
            self.netlink.add_route(index, bridge, destination, route.gateway, route.metric).await?;
        }
        for family in forwarding_families(network) {
            if self.sysctl.enable_forwarding(family)? {
                undo.push(Undo::RestoreForwarding(family));
            }
        }
        step("up, routes, forwarding");
        Ok(dnsmasq)
    }

    async fn roll_back(&self, network: &Network, undo: Vec<Undo>, others: &Others) {
        for step in undo.into_iter().rev() {
            let result = match step {
                Undo::DeleteBridge(name) => self.netlink.delete_bridge(&name).await,
                Undo::RemoveFirewall(bridge) => self.firewall.remove(&bridge).await,
                // Another network may have started on the forwarding this one turned on.
                Undo::RestoreForwarding(family) if others.forwarding.contains(&family) => Ok(()),
                Undo::RestoreForwarding(family) => self.sysctl.undo_enable_forwarding(family),
                Undo::StopDnsmasq => {
                    self.dnsmasq.stop(network).await;
                    Ok(())
                }
            };
            if let Err(e) = result {
                warn!(network = %network.name, "undoing a failed start: {e}");
            }
        }
    }

    /// Takes the network down: dnsmasq, firewall rules, the bridge (with its addresses
    /// and routes); forwarding stays as it is (see [`sysctl`](super::sysctl)). Every
    /// piece is removed even if another is already gone or fails; the first failure is
    /// returned.
    pub async fn stop(&self, network: &Network) -> Result<(), HelperError> {
        let mut first_error = None;
        let mut note = |result: Result<(), HelperError>| {
            if let Err(e) = result {
                warn!(network = %network.name, "stopping: {e}");
                first_error.get_or_insert(e);
            }
        };
        let clock = std::time::Instant::now();
        let step = |what: &str| debug!(network = %network.name, "{what}: {:?}", clock.elapsed());
        self.dnsmasq.stop(network).await;
        let bridge = bridge_name(network)?;
        // Down first, so nothing passes while the rules go; then rules and bridge are
        // removed at the same time (each waits for the kernel to let go of them).
        note(self.netlink.set_down(bridge).await);
        let firewall = async { if self.plan(network).is_some() { self.firewall.remove(bridge).await } else { Ok(()) } };
        let (firewall, deleted) = tokio::join!(firewall, self.netlink.delete_bridge(bridge));
        note(firewall);
        note(deleted);
        step("dnsmasq, firewall and bridge removed");
        first_error.map_or(Ok(()), Err)
    }

    /// Is the network's bridge still there (for adopting networks after a restart)?
    pub async fn is_running(&self, network: &Network) -> Result<bool, HelperError> {
        let Ok(bridge) = bridge_name(network) else { return Ok(false) };
        Ok(self.netlink.link(bridge).await?.is_some_and(|link| link.is_bridge))
    }

    /// Keeps the bridges of isolated networks from forwarding IPv4 at all (defence in
    /// depth: a flushed firewall then still forwards none of their packets). Set at
    /// start and again at every firewall check, since the kernel sets every
    /// interface's `forwarding` to 1 whenever `ip_forward` goes from 0 to 1.
    pub fn keep_isolated_from_forwarding<'a>(&self, active: impl Iterator<Item = &'a Network>) {
        for network in active.filter(|n| n.mode() == NetworkMode::Isolated) {
            let Ok(bridge) = bridge_name(network) else { continue };
            if let Err(e) = self.sysctl.bridge_forwarding(bridge, false) {
                warn!(network = %network.name, "{e}");
            }
        }
    }

    /// Applies the network's firewall rules again (someone flushed them, the firewall
    /// service restarted, the helper restarted).
    pub async fn reapply_firewall(&self, network: &Network) -> Result<(), HelperError> {
        if let Some(bridge) = network.bridge.name.as_deref() {
            self.sysctl.route_localnet(bridge, wants_localnet(network))?;
        }
        match self.plan(network) {
            Some(plan) => self.firewall.apply(&plan).await,
            None => Ok(()),
        }
    }
}
