//! Port forwards: "make port 2222 on my host reach port 22 of my VM" on a NAT
//! network. The type, and the checks a definition's forwards must pass (each problem
//! at `metadata/portForward[N]` with its attribute and code). Read and written as
//! `<virtnet:portForward>` by [`extension`](super::extension); turned into DNAT rules
//! by the helper's firewall plan.

use std::fmt;
use std::net::IpAddr;

use super::extension::forward_path;
use super::forward::ForwardMode;
use super::network::{Network, NetworkMode};
use super::problem::{Code, Problem, Reserved};
use super::values::Family;

/// Which transport protocol a port forward carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    /// TCP and UDP on the same ports (virtnet's addition to passt's `tcp` and `udp`).
    Both,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Both => "both",
        }
    }

    pub fn from_word(word: &str) -> Option<Protocol> {
        Some(match word {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            "both" => Protocol::Both,
            _ => return None,
        })
    }

    /// Whether a port of both protocols can be claimed by both forwards.
    pub fn overlaps(self, other: Protocol) -> bool {
        self == other || self == Protocol::Both || other == Protocol::Both
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "Make port 2222 on the host reach port 22 of the guest": host ports `start..=end`
/// reach the guest's ports from `to` on (the same number of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortForward {
    pub protocol: Protocol,
    /// The host address it listens on; `None`: every host address except the
    /// network's own.
    pub address: Option<IpAddr>,
    /// The guest's address (inside one of the network's subnets).
    pub guest: IpAddr,
    /// First and last host port.
    pub start: u16,
    pub end: u16,
    /// The guest port the first host port reaches.
    pub to: u16,
    /// Reachable at 127.0.0.1 from the host too (needs `route_localnet` on the bridge).
    pub localhost: bool,
}

impl PortForward {
    /// The last guest port, if it is a port (`to` plus the range's length).
    pub fn to_end(&self) -> Option<u16> {
        let length = self.end.checked_sub(self.start)?;
        self.to.checked_add(length)
    }

    /// The host side in words: `2222/tcp`, `8000-8010/udp on 203.0.113.5`.
    pub fn host_side(&self) -> String {
        let ports =
            if self.start == self.end { self.start.to_string() } else { format!("{}-{}", self.start, self.end) };
        match self.address {
            Some(address) => format!("{ports}/{} on {address}", self.protocol),
            None => format!("{ports}/{}", self.protocol),
        }
    }

    /// The guest side in words: `192.168.122.10:22`, `[fd00::10]:9000-9010`.
    pub fn guest_side(&self) -> String {
        let ports = match self.to_end() {
            Some(end) if end != self.to => format!("{}-{end}", self.to),
            _ => self.to.to_string(),
        };
        match self.guest {
            IpAddr::V4(a) => format!("{a}:{ports}"),
            IpAddr::V6(a) => format!("[{a}]:{ports}"),
        }
    }

    /// Whether this forward and `other` claim a host port in common.
    pub fn claims_same(&self, other: &PortForward) -> bool {
        // "Every host address" (None) meets any address of the same family.
        let addresses_meet = self.guest.is_ipv4() == other.guest.is_ipv4()
            && match (self.address, other.address) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
        addresses_meet && self.protocol.overlaps(other.protocol) && self.start <= other.end && other.start <= self.end
    }
}

/// A port (`2222`) or a range of ports (`8000-8010`) as a person types it; `None`
/// unless each is a port (1 to 65535).
pub fn parse_ports(text: &str) -> Option<(u16, u16)> {
    let port = |p: &str| p.trim().parse::<u16>().ok().filter(|p| *p > 0);
    match text.split_once('-') {
        Some((first, last)) => Some((port(first)?, port(last)?)),
        None => port(text).map(|p| (p, p)),
    }
}

/// The forward a person describes: host ports `8000-8010`, guest ports `9000` or
/// `9000-9010` (a range must be as long as the host's; `Err` says the two lengths).
pub fn forward_from_ports(
    protocol: Protocol,
    (start, end): (u16, u16),
    guest: IpAddr,
    (to, to_end): (u16, u16),
) -> Result<PortForward, (u32, u32)> {
    let host_count = u32::from(end.abs_diff(start)) + 1;
    let guest_count = u32::from(to_end.abs_diff(to)) + 1;
    if to != to_end && host_count != guest_count {
        return Err((host_count, guest_count));
    }
    Ok(PortForward { protocol, address: None, guest, start, end, to, localhost: false })
}

impl Network {
    /// Whether the network can have port forwards: only NAT networks' guests are out of
    /// reach from outside (routed guests are reachable at their own address).
    pub fn can_forward_ports(&self) -> bool {
        self.mode() == NetworkMode::Forward(ForwardMode::Nat)
    }

    /// Whether the network has port forwards in effect.
    pub fn forwards_ports(&self) -> bool {
        self.can_forward_ports() && !self.port_forwards.is_empty()
    }
}

/// The problems of the network's port forwards.
pub fn check(net: &Network) -> Vec<Problem> {
    let mut problems = Vec::new();
    if net.port_forwards.is_empty() {
        return problems;
    }
    let mode = net.mode();
    if !net.can_forward_ports() {
        let why = match mode {
            NetworkMode::Forward(ForwardMode::Route | ForwardMode::Open) => {
                "its guests are reachable at their own addresses"
            }
            NetworkMode::Isolated => "an isolated network has no way in from outside",
            NetworkMode::Forward(_) => "its guests are on a device outside virtnet",
        };
        problems.push(Problem::coded(
            forward_path(0),
            None,
            Code::NeedsNat,
            format!(
                "port forwards need a NAT network (<forward mode='nat'/>); this one is {} and {why}",
                match mode {
                    NetworkMode::Isolated => "isolated".to_owned(),
                    NetworkMode::Forward(m) => format!("'{}'", m.as_str()),
                }
            ),
        ));
        return problems;
    }
    let ipv6_translated = net.forward.as_ref().and_then(|f| f.nat.as_ref()).and_then(|n| n.ipv6) == Some(true);
    for (index, forward) in net.port_forwards.iter().enumerate() {
        let path = forward_path(index);
        check_guest(&mut problems, net, &path, forward, ipv6_translated);
        check_host_side(&mut problems, &path, forward);
        if let Some(other) = net.port_forwards[..index].iter().position(|earlier| earlier.claims_same(forward)) {
            let earlier = &net.port_forwards[other];
            problems.push(Problem::coded(
                format!("{path}/range"),
                Some("start"),
                Code::PortTaken { other },
                format!(
                    "host port {} is already forwarded to {} by portForward[{other}]; a host port reaches one guest",
                    forward.host_side(),
                    earlier.guest_side()
                ),
            ));
        }
    }
    problems
}

fn check_guest(problems: &mut Vec<Problem>, net: &Network, path: &str, forward: &PortForward, ipv6_translated: bool) {
    let guest = forward.guest;
    let family = Family::of(&guest);
    let subnets: Vec<_> = net.ips_of(family).filter_map(|ip| ip.subnet()).collect();
    let guest_problem = |code, message: String| Problem::coded(path, Some("guest"), code, message);
    if subnets.is_empty() {
        problems.push(guest_problem(
            Code::WrongFamily,
            format!("guest address {guest} is {}, but the network has no {} subnet", family.as_str(), family.as_str()),
        ));
        return;
    }
    if family == Family::Ipv6 && !ipv6_translated {
        problems.push(guest_problem(
            Code::NeedsNat,
            format!(
                "guest address {guest} is IPv6, which this network routes without NAT (<nat ipv6='yes'/> translates it): the guest is reachable at its own address"
            ),
        ));
        return;
    }
    let Some(subnet) = subnets.iter().find(|s| s.contains(guest)) else {
        let shown: Vec<String> = subnets.iter().map(|s| format!("{}/{}", s.network(), s.prefix())).collect();
        problems.push(guest_problem(
            Code::OutsideSubnet { subnet: shown.join(", ") },
            format!("guest address {guest} is not inside the network's subnet {}", shown.join(" or ")),
        ));
        return;
    };
    let reserved = if guest == subnet.ip() {
        Some(Reserved::HostAddress)
    } else if guest == subnet.network() {
        Some(Reserved::NetworkAddress)
    } else if matches!(subnet, ipnetwork::IpNetwork::V4(v4) if IpAddr::V4(v4.broadcast()) == guest) {
        Some(Reserved::BroadcastAddress)
    } else {
        None
    };
    if let Some(reserved) = reserved {
        problems.push(guest_problem(
            Code::Reserved(reserved),
            format!("guest address {guest} is {}; a forward reaches a guest", reserved.as_str()),
        ));
    }
}

fn check_host_side(problems: &mut Vec<Problem>, path: &str, forward: &PortForward) {
    let range_path = format!("{path}/range");
    if forward.start > forward.end {
        problems.push(Problem::coded(
            &range_path,
            Some("end"),
            Code::StartAfterEnd,
            format!("the host ports start at {} but end at {}, before it", forward.start, forward.end),
        ));
    } else if forward.to_end().is_none() {
        problems.push(Problem::coded(
            &range_path,
            Some("to"),
            Code::TooLarge { max: 65535 },
            format!(
                "the {} host ports {}-{} would reach guest ports {} to {}, past 65535",
                u32::from(forward.end - forward.start) + 1,
                forward.start,
                forward.end,
                forward.to,
                u32::from(forward.to) + u32::from(forward.end - forward.start)
            ),
        ));
    }
    if let Some(address) = forward.address {
        if Family::of(&address) != Family::of(&forward.guest) {
            problems.push(Problem::coded(
                path,
                Some("address"),
                Code::WrongFamily,
                format!("host address {address} and guest address {} are of different families", forward.guest),
            ));
        } else if address.is_loopback() {
            problems.push(Problem::coded(
                path,
                Some("address"),
                Code::UnusableAddress,
                format!("host address {address} is a loopback address; use localhost='yes' for 127.0.0.1"),
            ));
        } else if address.is_unspecified() || address.is_multicast() {
            problems.push(Problem::coded(
                path,
                Some("address"),
                Code::UnusableAddress,
                format!("host address {address} is not an address the host can listen on; leave it out for every host address"),
            ));
        }
    }
    if forward.localhost && forward.guest.is_ipv6() {
        problems.push(Problem::coded(
            path,
            Some("localhost"),
            Code::WrongFamily,
            "localhost='yes' works for IPv4 forwards only (127.0.0.1; the kernel does not route ::1 to other hosts)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Network;

    fn problems_of(forwards: &str, forward_mode: &str) -> Vec<(String, Option<&'static str>, String)> {
        let xml = format!(
            "<network><name>n</name>{forward_mode}<metadata><v:network xmlns:v='{}'>{forwards}</v:network></metadata>\
             <ip address='192.168.122.1' prefix='24'/><ip family='ipv6' address='fd00::1' prefix='64'/></network>",
            super::super::extension::NAMESPACE
        );
        let net = Network::from_xml(&xml).unwrap();
        super::check(&net).into_iter().map(|p| (p.path, p.attribute, p.message)).collect()
    }

    fn forward(attrs: &str, range: &str) -> String {
        format!("<v:portForward {attrs}><v:range {range}/></v:portForward>")
    }

    const NAT: &str = "<forward mode='nat'/>";

    #[test]
    fn a_good_forward_has_no_problem() {
        assert_eq!(problems_of(&forward("proto='tcp' guest='192.168.122.10'", "start='2222' to='22'"), NAT), []);
    }

    #[test]
    fn only_nat_networks_forward_ports() {
        let ssh = forward("proto='tcp' guest='192.168.122.10'", "start='2222' to='22'");
        let isolated = problems_of(&ssh, "");
        assert_eq!(isolated.len(), 1);
        assert!(isolated[0].2.contains("need a NAT network") && isolated[0].2.contains("isolated"), "{isolated:?}");
        let routed = problems_of(&ssh, "<forward mode='route'/>");
        assert!(routed[0].2.contains("'route'") && routed[0].2.contains("own addresses"), "{routed:?}");
    }

    #[test]
    fn the_guest_is_a_guest_of_the_network() {
        let of = |guest: &str| problems_of(&forward(&format!("proto='tcp' guest='{guest}'"), "start='2222'"), NAT);
        let outside = of("10.0.0.5");
        assert_eq!(outside[0].0, "metadata/portForward[0]");
        assert_eq!(outside[0].1, Some("guest"));
        assert!(outside[0].2.contains("not inside the network's subnet 192.168.122.0/24"), "{outside:?}");
        assert!(of("192.168.122.1")[0].2.contains("the host's own address"));
        assert!(of("192.168.122.255")[0].2.contains("the broadcast address"));
        assert!(of("fd00::10")[0].2.contains("routes without NAT"));
    }

    #[test]
    fn ports_and_addresses_make_sense() {
        let guest = "proto='tcp' guest='192.168.122.10'";
        let backwards = problems_of(&forward(guest, "start='3000' end='2000'"), NAT);
        assert_eq!((backwards[0].0.as_str(), backwards[0].1), ("metadata/portForward[0]/range", Some("end")));
        let past = problems_of(&forward(guest, "start='1000' end='1010' to='65530'"), NAT);
        assert!(past[0].2.contains("guest ports 65530 to 65540, past 65535"), "{past:?}");
        let loopback = problems_of(&forward(&format!("{guest} address='127.0.0.1'"), "start='80'"), NAT);
        assert!(loopback[0].2.contains("use localhost='yes'"), "{loopback:?}");
        let family = problems_of(&forward(&format!("{guest} address='fd00::5'"), "start='80'"), NAT);
        assert!(family[0].2.contains("different families"), "{family:?}");
    }

    #[test]
    fn a_host_port_reaches_one_guest() {
        let first = forward("proto='tcp' guest='192.168.122.10'", "start='2222' to='22'");
        let same = forward("proto='both' guest='192.168.122.11'", "start='2200' end='2300'");
        let other_protocol = forward("proto='udp' guest='192.168.122.11'", "start='2222'");
        let taken = problems_of(&format!("{first}{other_protocol}{same}"), NAT);
        assert_eq!(taken.len(), 1, "{taken:?}");
        assert_eq!((taken[0].0.as_str(), taken[0].1), ("metadata/portForward[2]/range", Some("start")));
        assert!(taken[0].2.contains("already forwarded to 192.168.122.10:22 by portForward[0]"), "{taken:?}");
    }
}
