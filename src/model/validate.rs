//! Semantic checks of a definition, stricter than libvirt's: everything a network needs
//! to start and run correctly, and everything that reaches dnsmasq's files kept to safe
//! characters. Every problem is reported with its element path, not just the first.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::dns::Dns;
use super::forward::{Forward, ForwardMode};
use super::ip::{Dhcp, IpDef, Route};
use super::limits;
use super::network::Network;
use super::overlap::{earlier_overlapping_range, first_overlapping_subnet};
use super::problem::{Code, Collector, Problem, Reserved, join, join_indexed};
use super::syntax::{self, Fault, Kind};
use super::values::{Family, Lease, PrefixSpec, classful_prefix};

/// Longest network name accepted (libvirt has no limit; file names and UI do).
pub const MAX_NAME_BYTES: usize = 200;
/// dnsmasq refuses shorter leases.
pub const MIN_LEASE_SECONDS: u64 = 120;
/// The smallest MTU IPv4 allows, and the smallest IPv6 allows.
pub const MIN_MTU: u16 = 68;
pub const MIN_MTU_IPV6: u16 = 1280;
/// The kernel's largest STP forward delay.
pub const MAX_BRIDGE_DELAY: u64 = 30;

struct Checker {
    problems: Collector,
}

impl Checker {
    fn report(&mut self, path: impl AsRef<str>, message: impl Into<String>) {
        self.problems.push(Problem::new(path.as_ref(), message));
    }

    /// Reports a problem with its code, about `attribute` of the element at `path`.
    fn coded(
        &mut self,
        path: impl AsRef<str>,
        attribute: Option<&'static str>,
        code: Code,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem::coded(path.as_ref(), attribute, code, message));
    }

    /// Reports attribute `what` at `path` when a syntax rule refuses its value.
    fn syntax(&mut self, path: &str, what: &'static str, value: &str, rule: Result<(), Fault>) {
        if let Err(fault) = rule {
            let message = format!("{what} '{}' {fault}", value.escape_debug());
            self.coded(path, Some(what), Code::Syntax(fault), message);
        }
    }
}

/// All problems of the definition (the first [`MAX_PROBLEMS`](super::limits::MAX_PROBLEMS),
/// then how many more); empty when it is valid.
pub fn validate(net: &Network) -> Vec<Problem> {
    check(net).finish()
}

/// The problems of the definition, collected.
pub(crate) fn check(net: &Network) -> Collector {
    let mut c = Checker { problems: Collector::default() };
    check_name(&mut c, &net.name);
    if let Some(title) = &net.title
        && title.contains('\n')
    {
        c.report("title", "the title must be a single line");
    }
    check_bridge(&mut c, net);
    for problem in super::port_forward::check(net) {
        c.problems.push(problem);
    }
    if let Some(mac) = net.mac
        && (!mac.is_unicast() || mac.is_zero())
    {
        c.coded(
            "mac",
            Some("address"),
            Code::NotUnicast,
            format!("address {mac} is a multicast or all-zero address; the bridge needs a unicast one"),
        );
    }
    if let Some(mtu) = net.mtu {
        let has_v6 = net.ips_of(Family::Ipv6).next().is_some();
        if mtu < MIN_MTU {
            let message = format!("size {mtu} is too small; an MTU is between {MIN_MTU} and 65535");
            c.coded("mtu", Some("size"), Code::TooSmall { min: MIN_MTU.into() }, message);
        } else if has_v6 && mtu < MIN_MTU_IPV6 {
            let message = format!("size {mtu} is too small for IPv6, which needs at least {MIN_MTU_IPV6}");
            c.coded("mtu", Some("size"), Code::TooSmall { min: MIN_MTU_IPV6.into() }, message);
        }
    }
    if let Some(forward) = &net.forward {
        check_forward(&mut c, forward);
    }
    if let Some(domain) = &net.domain {
        c.syntax("domain", "name", &domain.name, syntax::dns_name(&domain.name));
    }
    if let Some(dns) = &net.dns {
        check_dns(&mut c, dns);
    }
    check_ips(&mut c, net);
    let local = LocalSubnets::of(net);
    for (i, route) in net.routes.iter().enumerate() {
        check_route(&mut c, &local, route, &join_indexed("", "route", i));
    }
    check_portgroups(&mut c, net);
    for (i, option) in net.dnsmasq_options.iter().enumerate() {
        let path = join_indexed("dnsmasq:options", "option", i);
        c.syntax(&path, "value", option, syntax::dnsmasq_option(option));
    }
    c.problems
}

fn check_name(c: &mut Checker, name: &str) {
    if let Some(ch) = name.chars().find(|ch| syntax::is_invisible(*ch)) {
        c.coded(
            "name",
            None,
            Code::Syntax(Fault::Character { found: ch, kind: Kind::NetworkName }),
            format!(
                "'{}' contains {}, which does not show; a name must look like what it is",
                name.escape_debug(),
                syntax::describe_char(ch)
            ),
        );
    }
    let stem = super::network::file_stem(name).len();
    if stem > limits::MAX_FILE_STEM_BYTES && name.len() <= MAX_NAME_BYTES {
        c.report(
            "name",
            format!(
                "escaped for its file names, the name takes {stem} bytes; at most {} fit (each quote or <, >, & takes 4 to 6)",
                limits::MAX_FILE_STEM_BYTES
            ),
        );
    }
    if name.is_empty() {
        c.coded("name", None, Code::Missing, "a network needs a name");
        return;
    }
    if name.len() > MAX_NAME_BYTES {
        let fault = Fault::TooLong { bytes: name.len(), max: MAX_NAME_BYTES, kind: Kind::NetworkName };
        c.coded(
            "name",
            None,
            Code::Syntax(fault),
            format!("the name is {} bytes long; at most {MAX_NAME_BYTES} are allowed", name.len()),
        );
    }
    if name == "." || name == ".." {
        c.coded("name", None, Code::Syntax(Fault::NotUsable), format!("'{name}' cannot be used as a name"));
    }
    if name.trim() != name {
        c.coded(
            "name",
            None,
            Code::Syntax(Fault::SurroundingSpace),
            format!("'{}' starts or ends with white space", name.escape_debug()),
        );
    }
    if let Some(ch) = name.chars().find(|ch| ch.is_control() || matches!(ch, '/' | ',')) {
        c.coded(
            "name",
            None,
            Code::Syntax(Fault::Character { found: ch, kind: Kind::NetworkName }),
            format!(
                "'{}' contains {}; names may not contain '/', ',' or control characters",
                name.escape_debug(),
                syntax::describe_char(ch)
            ),
        );
    }
}

fn check_bridge(c: &mut Checker, net: &Network) {
    let bridge = &net.bridge;
    if let Some(name) = &bridge.name {
        c.syntax("bridge", "name", name, syntax::bridge_name_or_template(name));
    }
    if let Some(zone) = &bridge.zone
        && (zone.is_empty() || !zone.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-')))
    {
        c.report("bridge", format!("zone '{}' may use only letters, digits, '_' and '-'", zone.escape_debug()));
    }
    if bridge.delay > MAX_BRIDGE_DELAY {
        c.report(
            "bridge",
            format!("delay {} is too long; the kernel allows at most {MAX_BRIDGE_DELAY} seconds", bridge.delay),
        );
    }
}

fn check_forward(c: &mut Checker, forward: &Forward) {
    for (i, iface) in forward.interfaces.iter().enumerate() {
        let path = join_indexed("forward", "interface", i);
        c.syntax(&path, "dev", &iface.dev, syntax::interface_name(&iface.dev));
    }
    if let Some(pf) = &forward.pf {
        c.syntax("forward/pf", "dev", pf, syntax::interface_name(pf));
    }
    if matches!(forward.mode, ForwardMode::Nat | ForwardMode::Route) && forward.interfaces.len() > 1 {
        c.report(
            "forward",
            format!(
                "mode='{}' forwards through one uplink at most, but {} interfaces are listed",
                forward.mode,
                forward.interfaces.len()
            ),
        );
    }
    if let Some(nat) = &forward.nat {
        if let Some((start, end)) = nat.address
            && start > end
        {
            c.report("forward/nat/address", format!("start {start} comes after end {end}"));
        }
        if let Some((start, end)) = nat.port {
            if start == 0 {
                c.report("forward/nat/port", "start 0 is not a port; ports go from 1 to 65535");
            }
            if start > end {
                c.report("forward/nat/port", format!("start {start} comes after end {end}"));
            }
        }
    }
}

fn check_dns(c: &mut Checker, dns: &Dns) {
    for (i, f) in dns.forwarders.iter().enumerate() {
        if let Some(domain) = &f.domain {
            c.syntax(&join_indexed("dns", "forwarder", i), "domain", domain, syntax::dns_name(domain));
        }
    }
    for (i, t) in dns.txts.iter().enumerate() {
        let path = join_indexed("dns", "txt", i);
        c.syntax(&path, "name", &t.name, syntax::dns_name(&t.name));
        c.syntax(&path, "value", &t.value, syntax::dnsmasq_text(&t.value));
    }
    for (i, s) in dns.srvs.iter().enumerate() {
        let path = join_indexed("dns", "srv", i);
        if s.service.is_empty()
            || s.service.len() > 15
            || !s.service.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        {
            c.report(
                &path,
                format!(
                    "service '{}' must be 1 to 15 letters, digits or '-' (such as 'ldap' or 'sip')",
                    s.service.escape_debug()
                ),
            );
        }
        if s.protocol != "tcp" && s.protocol != "udp" {
            c.report(&path, format!("protocol '{}' must be tcp or udp", s.protocol.escape_debug()));
        }
        if let Some(domain) = &s.domain {
            c.syntax(&path, "domain", domain, syntax::dns_name(domain));
        }
        if let Some(target) = &s.target
            && target != "."
        {
            c.syntax(&path, "target", target, syntax::dns_name(target));
        }
    }
    for (i, h) in dns.hosts.iter().enumerate() {
        let path = join_indexed("dns", "host", i);
        for (j, name) in h.hostnames.iter().enumerate() {
            c.syntax(&join_indexed(&path, "hostname", j), "hostname", name, syntax::dns_name(name));
        }
    }
}

/// The subnet of an `<ip>` after checking how it is written, or `None` (reported) when
/// it cannot be worked out.
fn checked_subnet(c: &mut Checker, ip: &IpDef, path: &str) -> Option<IpNetwork> {
    let address = ip.address?;
    let family = Family::of(&address);
    if let Some(declared) = ip.family
        && declared != family
    {
        let message = format!("family='{}' does not match address {address}, which is {family}", declared.as_str());
        c.coded(path, Some("family"), Code::WrongFamily, message);
        return None;
    }
    if address.is_unspecified() || address.is_loopback() || address.is_multicast() {
        let message = format!("address {address} cannot be given to a bridge (unspecified, loopback or multicast)");
        c.coded(path, Some("address"), Code::UnusableAddress, message);
        return None;
    }
    let prefix = match (ip.prefix, address) {
        (Some(PrefixSpec::Netmask(_)), IpAddr::V6(_)) => {
            c.report(path, "netmask applies only to IPv4; write prefix='64' for an IPv6 subnet");
            return None;
        }
        (Some(PrefixSpec::Netmask(mask)), _) => match ip.prefix.and_then(|p| p.prefix_len()) {
            Some(len) => len,
            None => {
                c.report(path, format!("netmask {mask} is not a netmask (its one bits must be contiguous)"));
                return None;
            }
        },
        (Some(PrefixSpec::Prefix(len)), _) if len > family.max_prefix() => {
            c.report(path, format!("prefix {len} is too long for {family} (at most {})", family.max_prefix()));
            return None;
        }
        (Some(PrefixSpec::Prefix(len)), _) => len,
        (None, IpAddr::V4(v4)) => match classful_prefix(v4) {
            Some(len) => len,
            None => {
                c.report(path, format!("address {address} needs a netmask or prefix"));
                return None;
            }
        },
        (None, IpAddr::V6(_)) => 64,
    };
    let subnet = IpNetwork::new(address, prefix).ok()?;
    let is_network_addr = subnet.network() == address && prefix < family.max_prefix() - 1;
    let is_broadcast = matches!(subnet, IpNetwork::V4(v4) if v4.broadcast() == address && prefix < 31);
    if is_network_addr || is_broadcast {
        let (which, edge) = if is_network_addr {
            ("network", Reserved::NetworkAddress)
        } else {
            ("broadcast", Reserved::BroadcastAddress)
        };
        let (shown, example) = (display_subnet(&subnet), first_host(&subnet).to_string());
        let message = format!(
            "address {address} is the {which} address of {shown}; the host needs an address inside it, such as {example}"
        );
        c.coded(path, Some("address"), Code::SubnetEdge { edge, subnet: shown, example }, message);
    }
    Some(subnet)
}

pub use super::subnet::display as display_subnet;

fn first_host(subnet: &IpNetwork) -> IpAddr {
    offset(subnet.network(), 1)
}

fn as_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn offset(addr: IpAddr, by: u128) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(u32::try_from(u128::from(u32::from(v4)) + by).unwrap_or(u32::MAX).into()),
        IpAddr::V6(v6) => IpAddr::V6(u128::from(v6).saturating_add(by).into()),
    }
}

/// Addresses of a subnet that must not be handed out: the network address, the IPv4
/// broadcast address and the host's own address.
fn reserved_addresses(subnet: &IpNetwork) -> Vec<(IpAddr, Reserved)> {
    let mut reserved = vec![(subnet.ip(), Reserved::HostAddress)];
    if subnet.prefix() < Family::of(&subnet.ip()).max_prefix() - 1 {
        reserved.push((subnet.network(), Reserved::NetworkAddress));
    }
    if let IpNetwork::V4(v4) = subnet
        && v4.prefix() < 31
    {
        reserved.push((IpAddr::V4(v4.broadcast()), Reserved::BroadcastAddress));
    }
    reserved
}

fn check_ips(c: &mut Checker, net: &Network) {
    let mut dhcp_by_family: HashMap<Family, usize> = HashMap::new();
    let subnets: Vec<Option<IpNetwork>> = net
        .ips
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            let path = join_indexed("", "ip", i);
            if ip.address.is_none() {
                // (libvirt would refuse to start it.)
                c.coded(&path, Some("address"), Code::Missing, "an <ip> needs an address");
            }
            checked_subnet(c, ip, &path)
        })
        .collect();
    // Which subnet overlaps an earlier one, without comparing every pair.
    let checked: Vec<(usize, IpNetwork)> = subnets.iter().enumerate().filter_map(|(i, s)| s.map(|s| (i, s))).collect();
    let nets: Vec<IpNetwork> = checked.iter().map(|(_, s)| *s).collect();
    let mut overlapping: HashMap<usize, usize> = HashMap::new();
    for (k, earlier) in first_overlapping_subnet(&nets).into_iter().enumerate() {
        if let Some(earlier) = earlier {
            overlapping.insert(checked[k].0, checked[earlier].0);
        }
    }
    for (i, ip) in net.ips.iter().enumerate() {
        let path = join_indexed("", "ip", i);
        let subnet = subnets[i];
        if let (Some(subnet), Some(&j)) = (subnet, overlapping.get(&i))
            && let Some(other) = subnets[j]
        {
            let (subnet, other) = (display_subnet(&subnet), display_subnet(&other));
            let message = format!("subnet {subnet} overlaps ip[{j}] ({other}) of the same network");
            c.coded(&path, Some("address"), Code::SubnetsOverlap { subnet, other }, message);
        }
        let family = ip.family();
        if ip.local_ptr == Some(true)
            && let Some(subnet) = &subnet
            && super::subnet::ptr_domain(subnet).is_none()
        {
            c.report(
                &path,
                format!(
                    "localPtr='yes' needs a prefix that is a multiple of {} to name the reverse zone of {}",
                    if family == Some(Family::Ipv6) { 4 } else { 8 },
                    display_subnet(subnet)
                ),
            );
        }
        if let Some(root) = &ip.tftp_root {
            c.syntax(&join(&path, "tftp"), "root", root, syntax::dnsmasq_path(root, true));
            if family == Some(Family::Ipv6) {
                c.report(join(&path, "tftp"), "TFTP is served only on IPv4 addresses");
            }
        }
        if let Some(dhcp) = &ip.dhcp {
            if ip.has_dhcp()
                && let Some(family) = family
            {
                if let Some(first) = dhcp_by_family.get(&family) {
                    c.report(
                        &path,
                        format!("only one {family} address of a network can have DHCP, and ip[{first}] already has it"),
                    );
                } else {
                    dhcp_by_family.insert(family, i);
                }
            }
            check_dhcp(c, dhcp, subnet.as_ref(), family, &join(&path, "dhcp"));
        }
    }
}

fn check_lease(c: &mut Checker, lease: Option<&Lease>, path: &str) {
    if let Some(seconds) = lease.and_then(Lease::seconds)
        && seconds < MIN_LEASE_SECONDS
    {
        c.report(
            join(path, "lease"),
            format!("a lease of {seconds} seconds is too short; leases last at least {MIN_LEASE_SECONDS} seconds (or 0 for infinite)"),
        );
    }
}

/// Checks that `addr` (attribute `what`) is a usable address of `subnet`.
fn check_in_subnet(c: &mut Checker, path: &str, what: &'static str, addr: IpAddr, subnet: &IpNetwork) -> bool {
    if Family::of(&addr) != Family::of(&subnet.ip()) {
        let message = format!("{what} {addr} is not {} like the network's address", Family::of(&subnet.ip()));
        c.coded(path, Some(what), Code::WrongFamily, message);
        return false;
    }
    if !subnet.contains(addr) {
        let shown = display_subnet(subnet);
        let message = format!("{what} {addr} is outside {shown}");
        c.coded(path, Some(what), Code::OutsideSubnet { subnet: shown }, message);
        return false;
    }
    if let Some((_, role)) = reserved_addresses(subnet).into_iter().find(|(r, _)| *r == addr) {
        c.coded(path, Some(what), Code::Reserved(role), format!("{what} {addr} is {}", role.as_str()));
        return false;
    }
    true
}

fn check_dhcp(c: &mut Checker, dhcp: &Dhcp, subnet: Option<&IpNetwork>, family: Option<Family>, path: &str) {
    // The ranges that are well-formed, to check for overlaps (the others are reported).
    let mut ranges: Vec<Option<(u128, u128)>> = vec![None; dhcp.ranges.len()];
    for (i, range) in dhcp.ranges.iter().enumerate() {
        let rpath = join_indexed(path, "range", i);
        check_lease(c, range.lease.as_ref(), &rpath);
        let Some(subnet) = subnet else { continue };
        let start_ok = check_in_subnet(c, &rpath, "start", range.start, subnet);
        let end_ok = check_in_subnet(c, &rpath, "end", range.end, subnet);
        if !(start_ok && end_ok) {
            continue;
        }
        let (start, end) = (as_u128(range.start), as_u128(range.end));
        if start > end {
            let message = format!("start {} comes after end {}", range.start, range.end);
            c.coded(&rpath, Some("start"), Code::StartAfterEnd, message);
            continue;
        }
        if let Some((_, role)) =
            reserved_addresses(subnet).into_iter().find(|(r, _)| (start..=end).contains(&as_u128(*r)))
        {
            let message = format!("{} - {} includes {}", range.start, range.end, role.as_str());
            c.coded(&rpath, None, Code::RangeIncludes(role), message);
        }
        ranges[i] = Some((start, end));
    }
    for (i, earlier) in earlier_overlapping_range(&ranges).into_iter().enumerate() {
        if let Some(j) = earlier {
            let range = &dhcp.ranges[i];
            let message = format!("{} - {} overlaps range[{j}]", range.start, range.end);
            c.coded(join_indexed(path, "range", i), None, Code::RangesOverlap, message);
        }
    }

    let mut seen = SeenHosts::default();
    for (i, host) in dhcp.hosts.iter().enumerate() {
        let hpath = join_indexed(path, "host", i);
        check_lease(c, host.lease.as_ref(), &hpath);
        match family {
            Some(Family::Ipv6) => {
                if host.mac.is_some() {
                    c.report(&hpath, "IPv6 hosts are matched by id (their DUID) or name, not by mac");
                }
                if host.id.is_none() && host.name.is_none() {
                    c.coded(&hpath, Some("id"), Code::Unidentified, "an IPv6 static host needs an id (DUID) or a name");
                }
                if host.ip.is_none() {
                    c.coded(&hpath, Some("ip"), Code::Missing, "an IPv6 static host needs an ip");
                }
            }
            _ => {
                if host.id.is_some() {
                    c.report(&hpath, "id (a DHCPv6 DUID) applies only to IPv6 hosts; IPv4 hosts are matched by mac");
                }
                if host.mac.is_none() && host.name.is_none() {
                    c.coded(&hpath, Some("mac"), Code::Unidentified, "a static host needs a mac or a name");
                }
            }
        }
        if let Some(mac) = host.mac
            && (!mac.is_unicast() || mac.is_zero())
        {
            let message = format!("mac {mac} is a multicast or all-zero address; a guest needs a unicast one");
            c.coded(&hpath, Some("mac"), Code::NotUnicast, message);
        }
        if let Some(id) = &host.id {
            c.syntax(&hpath, "id", id, syntax::duid(id));
        }
        if let Some(name) = &host.name {
            c.syntax(&hpath, "name", name, syntax::dns_name(name));
        }
        if let (Some(ip), Some(subnet)) = (host.ip, subnet) {
            check_in_subnet(c, &hpath, "ip", ip, subnet);
        }
        let mut already = |what: &'static str, shown: &dyn std::fmt::Display, first: Option<usize>| {
            if let Some(first) = first {
                let message = format!("{what} {shown} is already used by host[{first}]");
                c.coded(&hpath, Some(what), Code::AlreadyUsed, message);
            }
        };
        if let Some(mac) = host.mac {
            already("mac", &mac, first_use(&mut seen.macs, mac, i));
        }
        if let Some(id) = &host.id {
            already("id", id, first_use(&mut seen.ids, id.as_str(), i));
        }
        if let Some(name) = &host.name {
            // Names are compared without case, as DNS compares them.
            already("name", name, first_use(&mut seen.names, name.to_ascii_lowercase(), i));
        }
        if let Some(ip) = host.ip {
            already("ip", &ip, first_use(&mut seen.ips, ip, i));
        }
    }

    if let Some(bootp) = &dhcp.bootp {
        let bpath = join(path, "bootp");
        if family == Some(Family::Ipv6) {
            c.report(&bpath, "network boot (bootp) is offered only on IPv4 addresses");
        }
        c.syntax(&bpath, "file", &bootp.file, syntax::dnsmasq_path(&bootp.file, false));
        if let Some(server) = &bootp.server
            && server.parse::<IpAddr>().is_err()
        {
            c.syntax(&bpath, "server", server, syntax::dns_name(server));
        }
    }
}

/// The network's own subnets, for asking whether an address is inside one of them
/// without going through all of them.
struct LocalSubnets {
    /// (family is IPv6, prefix length, network address) of each subnet.
    subnets: HashSet<(bool, u8, IpAddr)>,
    /// The prefix lengths in use, by family.
    prefixes: [Vec<u8>; 2],
    /// The subnets in words, by family, for messages (a few, then how many more).
    described: [String; 2],
}

impl LocalSubnets {
    /// How many subnets a message names before saying how many more there are.
    const NAMED: usize = 3;

    fn of(net: &Network) -> LocalSubnets {
        let mut local =
            LocalSubnets { subnets: HashSet::new(), prefixes: [Vec::new(), Vec::new()], described: Default::default() };
        let mut names: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        for subnet in net.ips.iter().filter_map(IpDef::subnet) {
            let v6 = usize::from(subnet.is_ipv6());
            local.subnets.insert((subnet.is_ipv6(), subnet.prefix(), subnet.network()));
            if !local.prefixes[v6].contains(&subnet.prefix()) {
                local.prefixes[v6].push(subnet.prefix());
            }
            names[v6].push(display_subnet(&subnet));
        }
        for (v6, names) in names.iter().enumerate() {
            let mut text = names.iter().take(Self::NAMED).cloned().collect::<Vec<_>>().join(", ");
            if names.len() > Self::NAMED {
                text.push_str(&format!(" and {} more", names.len() - Self::NAMED));
            }
            local.described[v6] = text;
        }
        local
    }

    fn contains(&self, addr: IpAddr) -> bool {
        let v6 = addr.is_ipv6();
        self.prefixes[usize::from(v6)].iter().any(|&prefix| {
            IpNetwork::new(addr, prefix).is_ok_and(|net| self.subnets.contains(&(v6, prefix, net.network())))
        })
    }
}

/// What the static hosts of one `<dhcp>` use so far, each with the host that used it first.
#[derive(Default)]
struct SeenHosts<'a> {
    macs: HashMap<super::values::MacAddr, usize>,
    ids: HashMap<&'a str, usize>,
    names: HashMap<String, usize>,
    ips: HashMap<IpAddr, usize>,
}

/// The host that used `key` before `index`, or `None` (and `index` now uses it).
fn first_use<K: std::hash::Hash + Eq>(seen: &mut HashMap<K, usize>, key: K, index: usize) -> Option<usize> {
    match seen.entry(key) {
        std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
        std::collections::hash_map::Entry::Vacant(slot) => {
            slot.insert(index);
            None
        }
    }
}

fn check_route(c: &mut Checker, local: &LocalSubnets, route: &Route, path: &str) {
    let family = Family::of(&route.address);
    if let Some(declared) = route.family
        && declared != family
    {
        c.report(
            path,
            format!("family='{}' does not match address {}, which is {family}", declared.as_str(), route.address),
        );
        return;
    }
    if Family::of(&route.gateway) != family {
        c.report(path, format!("gateway {} is not {family} like address {}", route.gateway, route.address));
        return;
    }
    if matches!(route.prefix, Some(PrefixSpec::Netmask(_))) && family == Family::Ipv6 {
        c.report(path, "netmask applies only to IPv4; write prefix= for an IPv6 route");
        return;
    }
    match route.prefix_len() {
        Some(len) if len > family.max_prefix() => {
            c.report(path, format!("prefix {len} is too long for {family} (at most {})", family.max_prefix()));
        }
        Some(len) => {
            if let Ok(dest) = IpNetwork::new(route.address, len)
                && dest.network() != route.address
            {
                c.report(
                    path,
                    format!(
                        "address {} is not the start of a /{len}; did you mean {}?",
                        route.address,
                        display_subnet(&dest)
                    ),
                );
            }
        }
        None => c.report(path, "the netmask or prefix is not valid"),
    }
    if !local.contains(route.gateway) {
        let nets = &local.described[usize::from(family == Family::Ipv6)];
        let known = if nets.is_empty() { format!("the network has no {family} subnet") } else { nets.clone() };
        c.report(
            path,
            format!(
                "gateway {} is not inside the network's subnets ({known}), so the host cannot reach it",
                route.gateway
            ),
        );
    }
}

fn check_portgroups(c: &mut Checker, net: &Network) {
    let mut defaults = Vec::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, pg) in net.portgroups.iter().enumerate() {
        let path = join_indexed("", "portgroup", i);
        if pg.name.is_empty() || pg.name.chars().any(|ch| ch.is_control() || ch == ' ' || ch == ',') {
            c.report(
                &path,
                format!(
                    "name '{}' must be non-empty, without spaces, commas or control characters",
                    pg.name.escape_debug()
                ),
            );
        }
        match names.get(pg.name.as_str()) {
            Some(j) => c.report(&path, format!("name '{}' is already used by portgroup[{j}]", pg.name)),
            None => {
                names.insert(&pg.name, i);
            }
        }
        if pg.default == Some(true) {
            defaults.push(i);
        }
    }
    if defaults.len() > 1 {
        c.report(
            join_indexed("", "portgroup", defaults[1]),
            format!("only one portgroup can be the default, and portgroup[{}] already is", defaults[0]),
        );
    }
}
