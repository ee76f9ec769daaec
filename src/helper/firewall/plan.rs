//! What a network's firewall must do, independent of the tool that does it. Derived
//! from the definition alone (pure, golden-tested); the backends turn it into nftables
//! or iptables rules with the same effect on traffic as libvirt's.
//!
//! Rules are listed in evaluation order: the first that matches decides.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnetwork::IpNetwork;

use crate::model::forward::ForwardMode;
use crate::model::port_forward::{PortForward, Protocol};
use crate::model::values::Family;
use crate::model::{IpDef, Network, NetworkMode};

/// The port range NAT maps guests' TCP and UDP source ports into when the definition
/// gives none (libvirt's: keeps them out of the privileged range).
pub const DEFAULT_NAT_PORTS: (u16, u16) = (1024, 65535);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// A port on the host (or, for `Output`, on the guests) the firewall lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// `None`: both families.
    pub family: Option<Family>,
    pub proto: Proto,
    pub port: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForwardRule {
    /// Guests talk to each other across the bridge.
    Cross,
    /// Guests' traffic from `subnet` leaves (through `dev` only, if given).
    Out { subnet: IpNetwork, dev: Option<String> },
    /// Traffic to `subnet` from outside (from `dev` only, if given); with
    /// `replies_only`, only replies to connections the guests opened (NAT).
    In { subnet: IpNetwork, dev: Option<String>, replies_only: bool },
    /// Everything else coming from the bridge is refused.
    RejectOut,
    /// Everything else going to the bridge is refused.
    RejectIn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NatRule {
    /// Traffic from `subnet` to `destination` (multicast, broadcast) is not translated.
    Keep { subnet: IpNetwork, destination: IpNetwork, dev: Option<String> },
    /// Traffic from `subnet` to anywhere outside it gets the address of the interface
    /// it leaves through (`to`: a source address range instead; `ports`: the source
    /// port range, for that protocol only).
    Translate {
        subnet: IpNetwork,
        dev: Option<String>,
        to: Option<(Ipv4Addr, Ipv4Addr)>,
        ports: Option<(Proto, u16, u16)>,
    },
}

/// One protocol of a port forward, as the firewall sees it: host ports `ports` (on
/// `address`, else on every local address but the network's own) reach `guest` from
/// port `to` on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dnat {
    pub proto: Proto,
    pub address: Option<IpAddr>,
    pub ports: (u16, u16),
    pub guest: IpAddr,
    pub to: u16,
    /// The guest's subnet: its neighbours' connections to the forward are masqueraded
    /// (hairpin), so the guest's replies go back through the host.
    pub subnet: IpNetwork,
    /// Reachable at 127.0.0.1 from the host too.
    pub localhost: bool,
}

impl Dnat {
    /// The guest ports the host ports reach.
    pub fn guest_ports(&self) -> (u16, u16) {
        (self.to, self.to.saturating_add(self.ports.1.saturating_sub(self.ports.0)))
    }

    pub fn family(&self) -> Family {
        Family::of(&self.guest)
    }
}

/// What guests may reach on the host itself, beyond the network's own services.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostAccess {
    /// Everything the host listens on (libvirt's rules; NAT and routed networks).
    #[default]
    All,
    /// Only the network's services (DHCP, DNS, TFTP), ICMP and replies to the host's
    /// own connections; the rest is rejected (isolated networks).
    Services,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub bridge: String,
    /// Host services guests reach through the bridge (DHCP, DNS, TFTP).
    pub input: Vec<Service>,
    /// Whether the host's other services are open to guests too.
    pub host_access: HostAccess,
    /// Replies the host sends to guests (DHCP).
    pub output: Vec<Service>,
    pub forward: Vec<ForwardRule>,
    pub nat: Vec<NatRule>,
    /// Port forwards to guests, in the definition's order.
    pub dnat: Vec<Dnat>,
    /// The host's own addresses on the network, which forwards without an address do
    /// not listen on.
    pub own_addresses: Vec<IpAddr>,
    /// The uplink the network is restricted to (`<forward dev=>`), if any.
    pub dev: Option<String>,
}

/// The plan for a network, or `None` when it has no rules at all (open networks, and
/// modes that do not own their bridge).
pub fn plan(network: &Network) -> Option<Plan> {
    let bridge = network.bridge.name.clone()?;
    let mode = network.mode();
    let routed = match mode {
        NetworkMode::Isolated => false,
        NetworkMode::Forward(ForwardMode::Nat | ForwardMode::Route) => true,
        NetworkMode::Forward(_) => return None,
    };
    let forward = network.forward.as_ref();
    let dev = forward.and_then(|f| f.dev()).map(str::to_owned);
    let nat = forward.and_then(|f| f.nat.clone()).unwrap_or_default();
    // Rules match whole subnets: written from their network address.
    let subnets: Vec<(IpNetwork, Family)> = network
        .ips
        .iter()
        .filter_map(|ip| {
            let subnet = ip.subnet()?;
            Some((IpNetwork::new(subnet.network(), subnet.prefix()).ok()?, ip.family()?))
        })
        .collect();

    // Guests of an isolated network reach the host's other services only where the
    // helper is told so (`--isolated-host-access all`, applied by the datapath).
    let host_access = if routed { HostAccess::All } else { HostAccess::Services };
    let mut plan = Plan { bridge, host_access, ..Plan::default() };
    let wants_dns = network.dns.as_ref().and_then(|d| d.enable) != Some(false);
    let has_dhcp = |family| network.ips_of(family).any(IpDef::has_dhcp);
    if has_dhcp(Family::Ipv4) {
        plan.input.push(Service { family: Some(Family::Ipv4), proto: Proto::Udp, port: 67 });
        plan.output.push(Service { family: Some(Family::Ipv4), proto: Proto::Udp, port: 68 });
    }
    if has_dhcp(Family::Ipv6) {
        plan.input.push(Service { family: Some(Family::Ipv6), proto: Proto::Udp, port: 547 });
        plan.output.push(Service { family: Some(Family::Ipv6), proto: Proto::Udp, port: 546 });
    }
    if wants_dns && !network.ips.is_empty() {
        plan.input.push(Service { family: None, proto: Proto::Udp, port: 53 });
        plan.input.push(Service { family: None, proto: Proto::Tcp, port: 53 });
    }
    if network.ips.iter().any(|ip| ip.tftp_root.is_some()) {
        plan.input.push(Service { family: Some(Family::Ipv4), proto: Proto::Udp, port: 69 });
    }

    plan.forward.push(ForwardRule::Cross);
    if routed {
        let is_nat = mode == NetworkMode::Forward(ForwardMode::Nat);
        for &(subnet, family) in &subnets {
            // IPv6 is routed, not translated, unless <nat ipv6='yes'>.
            let translated = is_nat && (family == Family::Ipv4 || nat.ipv6 == Some(true));
            plan.forward.push(ForwardRule::In { subnet, dev: dev.clone(), replies_only: translated });
            plan.forward.push(ForwardRule::Out { subnet, dev: dev.clone() });
            if !translated {
                continue;
            }
            let keep: &[&str] = match family {
                Family::Ipv4 => &["224.0.0.0/24", "255.255.255.255/32"],
                Family::Ipv6 => &["ff02::/16"],
            };
            for destination in keep.iter().filter_map(|d| d.parse::<IpNetwork>().ok()) {
                plan.nat.push(NatRule::Keep { subnet, destination, dev: dev.clone() });
            }
            let to = if family == Family::Ipv4 { nat.address } else { None };
            // libvirt confines TCP and UDP to unprivileged source ports, and IPv6 only
            // when a range is given.
            let ports = nat.port.or(if family == Family::Ipv4 { Some(DEFAULT_NAT_PORTS) } else { None });
            if let Some((low, high)) = ports {
                for proto in [Proto::Tcp, Proto::Udp] {
                    plan.nat.push(NatRule::Translate { subnet, dev: dev.clone(), to, ports: Some((proto, low, high)) });
                }
            }
            plan.nat.push(NatRule::Translate { subnet, dev: dev.clone(), to, ports: None });
        }
    }
    plan.forward.push(ForwardRule::RejectIn);
    plan.forward.push(ForwardRule::RejectOut);
    if network.can_forward_ports() {
        plan.dnat = network.port_forwards.iter().flat_map(|f| dnat_of(f, &subnets)).collect();
        plan.own_addresses = network.ips.iter().filter_map(|ip| ip.address).collect();
        plan.dev = dev;
    }
    Some(plan)
}

/// The firewall's view of a port forward (one per protocol); none when its guest is in
/// no subnet of the network (validation refuses that).
fn dnat_of(forward: &PortForward, subnets: &[(IpNetwork, Family)]) -> Vec<Dnat> {
    let Some(&(subnet, _)) = subnets.iter().find(|(s, _)| s.contains(forward.guest)) else { return Vec::new() };
    let protos: &[Proto] = match forward.protocol {
        Protocol::Tcp => &[Proto::Tcp],
        Protocol::Udp => &[Proto::Udp],
        Protocol::Both => &[Proto::Tcp, Proto::Udp],
    };
    protos
        .iter()
        .map(|&proto| Dnat {
            proto,
            address: forward.address,
            ports: (forward.start, forward.end),
            guest: forward.guest,
            to: forward.to,
            subnet,
            localhost: forward.localhost,
        })
        .collect()
}

/// A readable listing, for golden files and logs.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let family = |fam: Option<Family>| fam.map_or("any", Family::as_str);
        let via = |dev: &Option<String>, word: &str| dev.as_ref().map(|d| format!(" {word} {d}")).unwrap_or_default();
        writeln!(f, "bridge {}", self.bridge)?;
        for s in &self.input {
            writeln!(f, "input accept {} {} {}", family(s.family), s.proto.as_str(), s.port)?;
        }
        if self.host_access == HostAccess::Services {
            writeln!(f, "input accept icmp, replies")?;
            writeln!(f, "input reject bridge ->")?;
        }
        for s in &self.output {
            writeln!(f, "output accept {} {} {}", family(s.family), s.proto.as_str(), s.port)?;
        }
        for rule in &self.forward {
            match rule {
                ForwardRule::Cross => writeln!(f, "forward accept bridge -> bridge")?,
                ForwardRule::Out { subnet, dev } => writeln!(f, "forward accept from {subnet} out{}", via(dev, "via"))?,
                ForwardRule::In { subnet, dev, replies_only } => writeln!(
                    f,
                    "forward accept to {subnet}{}{}",
                    via(dev, "from"),
                    if *replies_only { " replies only" } else { "" }
                )?,
                ForwardRule::RejectIn => writeln!(f, "forward reject -> bridge")?,
                ForwardRule::RejectOut => writeln!(f, "forward reject bridge ->")?,
            }
        }
        for d in &self.dnat {
            let on = d.address.map_or_else(
                || {
                    let own: Vec<String> = self.own_addresses.iter().map(IpAddr::to_string).collect();
                    format!("local except {}", own.join(", "))
                },
                |a| a.to_string(),
            );
            let (first, last) = d.guest_ports();
            writeln!(
                f,
                "dnat {} {on} ports {}-{} -> {} ports {first}-{last}{}{}",
                d.proto.as_str(),
                d.ports.0,
                d.ports.1,
                d.guest,
                if d.localhost { " and localhost" } else { "" },
                via(&self.dev, "from"),
            )?;
        }
        for rule in &self.nat {
            match rule {
                NatRule::Keep { subnet, destination, dev } => {
                    writeln!(f, "nat keep {subnet} -> {destination}{}", via(dev, "via"))?
                }
                NatRule::Translate { subnet, dev, to, ports } => {
                    let to = to.map(|(a, b)| format!(" to {a}-{b}")).unwrap_or_else(|| " masquerade".to_owned());
                    let ports = ports.map(|(p, lo, hi)| format!(" {} ports {lo}-{hi}", p.as_str())).unwrap_or_default();
                    writeln!(f, "nat {subnet} -> outside{}{to}{ports}", via(dev, "via"))?
                }
            }
        }
        Ok(())
    }
}
