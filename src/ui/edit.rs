//! Editing a network's definition in the details page: every field goes through the
//! model as it is typed, so the page shows the helper's own messages next to the field
//! before anything is sent, and Apply is possible only when the whole definition is
//! valid. Pure logic, tested without a display.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::model::forward::{Forward, ForwardMode};
use crate::model::ip::{Dhcp, DhcpHost, DhcpRange};
use crate::model::values::{Family, MacAddr, PrefixSpec};
use crate::model::{IpDef, Network, Problem};

/// The editable fields of the details page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Mtu,
    Subnet(Family),
    DhcpEnabled(Family),
    DhcpStart(Family),
    DhcpEnd(Family),
    Domain,
    /// `forward dev=`: the one uplink the network may use (empty: any).
    ForwardDev,
    /// Plain upstream DNS servers, separated by commas or spaces.
    Forwarders,
    /// The whole definition, as XML.
    Xml,
}

/// The forward modes the details page offers (the ones virtnet runs).
pub const EDITABLE_MODES: [Option<ForwardMode>; 4] =
    [Some(ForwardMode::Nat), Some(ForwardMode::Route), None, Some(ForwardMode::Open)];

#[derive(Clone, Debug)]
pub struct EditSession {
    original: Network,
    edited: Network,
    /// Text that does not parse, by field (the value in `edited` is then the last good one).
    unparsed: Vec<(Field, String)>,
    problems: Vec<Problem>,
}

impl EditSession {
    pub fn new(definition: Network) -> Self {
        let mut session = EditSession {
            original: definition.clone(),
            edited: definition,
            unparsed: Vec::new(),
            problems: Vec::new(),
        };
        session.revalidate();
        session
    }

    pub fn edited(&self) -> &Network {
        &self.edited
    }

    pub fn original(&self) -> &Network {
        &self.original
    }

    pub fn is_dirty(&self) -> bool {
        self.edited != self.original || !self.unparsed.is_empty()
    }

    pub fn can_apply(&self) -> bool {
        self.is_dirty() && self.unparsed.is_empty() && self.problems.is_empty()
    }

    /// Starts over from a new definition (after Apply, or when the helper's changes).
    pub fn reset(&mut self, definition: Network) {
        *self = EditSession::new(definition);
    }

    fn revalidate(&mut self) {
        self.problems = self.edited.validate().err().map(|p| p.0).unwrap_or_default();
    }

    fn set_unparsed(&mut self, field: Field, why: Option<String>) {
        self.unparsed.retain(|(f, _)| *f != field);
        if let Some(why) = why {
            self.unparsed.push((field, why));
        }
    }

    /// The index of the `<ip>` the page edits for a family (the first of it).
    fn ip_index(&self, family: Family) -> Option<usize> {
        // An <ip> with neither family nor address yet is IPv4, libvirt's default family.
        self.edited.ips.iter().position(|ip| ip.family().unwrap_or(Family::Ipv4) == family)
    }

    fn ip_mut(&mut self, family: Family) -> &mut IpDef {
        let index = match self.ip_index(family) {
            Some(i) => i,
            None => {
                // family='ipv4' is libvirt's default and not written.
                let family = (family == Family::Ipv6).then_some(family);
                self.edited.ips.push(IpDef { family, ..IpDef::default() });
                self.edited.ips.len() - 1
            }
        };
        &mut self.edited.ips[index]
    }

    /// Sets a text field as typed.
    pub fn set_text(&mut self, field: Field, text: &str) {
        let text = text.trim();
        let why = match field {
            Field::Name => {
                self.edited.name = text.to_owned();
                None
            }
            Field::Mtu if text.is_empty() => {
                self.edited.mtu = None;
                None
            }
            Field::Mtu => match text.parse::<u16>() {
                Ok(mtu) => {
                    self.edited.mtu = Some(mtu);
                    None
                }
                Err(_) => Some(format!("'{text}' is not a number between 68 and 65535")),
            },
            Field::Subnet(family) => self.set_subnet(family, text),
            Field::DhcpStart(family) | Field::DhcpEnd(family) => self.set_range_end(field, family, text),
            Field::Domain if text.is_empty() => {
                self.edited.domain = None;
                None
            }
            Field::Domain => {
                let local_only = self.edited.domain.as_ref().and_then(|d| d.local_only);
                let register = self.edited.domain.as_ref().and_then(|d| d.register);
                self.edited.domain = Some(crate::model::dns::Domain { name: text.to_owned(), local_only, register });
                None
            }
            Field::ForwardDev => {
                if let Some(forward) = &mut self.edited.forward {
                    forward.interfaces = if text.is_empty() {
                        Vec::new()
                    } else {
                        vec![crate::model::forward::ForwardInterface { dev: text.to_owned(), connections: None }]
                    };
                }
                None
            }
            Field::Forwarders => self.set_forwarders(text),
            Field::Xml => match Network::from_xml(text) {
                Ok(network) => {
                    self.edited = network;
                    None
                }
                Err(problems) => Some(problems.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
            },
            Field::DhcpEnabled(_) => None,
        };
        self.set_unparsed(field, why);
        self.revalidate();
    }

    /// Replaces the plain forwarders (an address each); per-domain ones are kept.
    fn set_forwarders(&mut self, text: &str) -> Option<String> {
        let mut addresses = Vec::new();
        for word in text.split([',', ' ']).filter(|w| !w.is_empty()) {
            match word.parse::<IpAddr>() {
                Ok(addr) => addresses.push(addr),
                Err(_) => return Some(format!("'{word}' is not an IP address; separate servers with commas")),
            }
        }
        let dns = self.edited.dns.get_or_insert_with(Default::default);
        dns.forwarders.retain(|f| f.domain.is_some());
        dns.forwarders
            .extend(addresses.into_iter().map(|addr| crate::model::dns::Forwarder { addr: Some(addr), domain: None }));
        if self.edited.dns.as_ref().is_some_and(|d| *d == Default::default()) {
            self.edited.dns = None;
        }
        None
    }

    /// The plain forwarders as the field shows them.
    pub fn forwarders_text(&self) -> String {
        let dns = self.edited.dns.iter().flat_map(|d| &d.forwarders);
        dns.filter(|f| f.domain.is_none()).filter_map(|f| f.addr).map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
    }

    fn set_subnet(&mut self, family: Family, text: &str) -> Option<String> {
        if text.is_empty() {
            if let Some(i) = self.ip_index(family) {
                self.edited.ips.remove(i);
            }
            return None;
        }
        let example = match family {
            Family::Ipv4 => "192.168.100.1/24",
            Family::Ipv6 => "fd00:1::1/64",
        };
        let Ok(net) = text.parse::<IpNetwork>() else {
            return Some(format!("'{text}' is not an address with a prefix, such as {example}"));
        };
        if Family::of(&net.ip()) != family {
            return Some(format!("'{text}' is not an {family} address"));
        }
        let ip = self.ip_mut(family);
        ip.address = Some(net.ip());
        // Keep a netmask if the definition used one.
        ip.prefix = match (ip.prefix, net) {
            (Some(PrefixSpec::Netmask(_)), IpNetwork::V4(v4)) => Some(PrefixSpec::Netmask(v4.mask())),
            _ => Some(PrefixSpec::Prefix(net.prefix())),
        };
        None
    }

    fn set_range_end(&mut self, field: Field, family: Family, text: &str) -> Option<String> {
        let Ok(addr) = text.parse::<IpAddr>() else {
            return Some(format!("'{text}' is not an {family} address"));
        };
        let ip = self.ip_mut(family);
        let dhcp = ip.dhcp.get_or_insert_with(Dhcp::default);
        if dhcp.ranges.is_empty() {
            dhcp.ranges.push(DhcpRange { start: addr, end: addr, lease: None });
        }
        let range = &mut dhcp.ranges[0];
        match field {
            Field::DhcpStart(_) => range.start = addr,
            _ => range.end = addr,
        }
        None
    }

    /// Turns DHCP on (with a range covering the subnet) or off.
    pub fn set_dhcp(&mut self, family: Family, on: bool) {
        let ip = self.ip_mut(family);
        if on {
            if !ip.has_dhcp() {
                let range = ip.subnet().and_then(|net| default_range(&net));
                let dhcp = ip.dhcp.get_or_insert_with(Dhcp::default);
                if let Some((start, end)) = range {
                    dhcp.ranges = vec![DhcpRange { start, end, lease: None }];
                }
            }
        } else if let Some(dhcp) = &mut ip.dhcp {
            dhcp.ranges.clear();
            if dhcp.hosts.is_empty() && dhcp.bootp.is_none() {
                ip.dhcp = None;
            }
        }
        self.set_unparsed(Field::DhcpStart(family), None);
        self.set_unparsed(Field::DhcpEnd(family), None);
        self.revalidate();
    }

    pub fn set_mode(&mut self, mode: Option<ForwardMode>) {
        match mode {
            None => self.edited.forward = None,
            Some(mode) => {
                let mut forward = self.edited.forward.clone().unwrap_or_else(|| Forward::new(mode));
                forward.mode = mode;
                if mode == ForwardMode::Open {
                    forward.interfaces.clear();
                }
                if mode != ForwardMode::Nat {
                    forward.nat = None;
                }
                self.edited.forward = Some(forward);
            }
        }
        self.revalidate();
    }

    pub fn set_local_only(&mut self, on: bool) {
        if let Some(domain) = &mut self.edited.domain {
            domain.local_only = on.then_some(true);
        }
        self.revalidate();
    }

    /// Adds a static DHCP host; `Err` says which value is wrong.
    pub fn add_host(&mut self, family: Family, mac: &str, ip: &str, name: &str) -> Result<(), String> {
        let mac = match mac.trim() {
            "" => None,
            text => Some(text.parse::<MacAddr>()?),
        };
        let ip: IpAddr = ip.trim().parse().map_err(|_| format!("'{}' is not an IP address", ip.trim()))?;
        let name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
        self.ip_mut(family).dhcp.get_or_insert_with(Dhcp::default).hosts.push(DhcpHost {
            mac,
            ip: Some(ip),
            name,
            ..DhcpHost::default()
        });
        self.revalidate();
        Ok(())
    }

    pub fn remove_host(&mut self, family: Family, index: usize) {
        let ip = self.ip_mut(family);
        if let Some(dhcp) = &mut ip.dhcp
            && index < dhcp.hosts.len()
        {
            dhcp.hosts.remove(index);
        }
        self.revalidate();
    }

    /// Adds a DNS host record (`name` for `ip`).
    pub fn add_dns_host(&mut self, ip: &str, name: &str) -> Result<(), String> {
        let ip: IpAddr = ip.trim().parse().map_err(|_| format!("'{}' is not an IP address", ip.trim()))?;
        let dns = self.edited.dns.get_or_insert_with(Default::default);
        match dns.hosts.iter_mut().find(|h| h.ip == ip) {
            Some(host) => host.hostnames.push(name.trim().to_owned()),
            None => dns.hosts.push(crate::model::dns::DnsHost { ip, hostnames: vec![name.trim().to_owned()] }),
        }
        self.revalidate();
        Ok(())
    }

    /// Removes the `index`th name of the host records (counted over every name of every
    /// record, as the page lists them); a record left without names goes too.
    pub fn remove_dns_name(&mut self, index: usize) {
        if let Some(dns) = &mut self.edited.dns {
            let position = dns
                .hosts
                .iter()
                .enumerate()
                .flat_map(|(h, host)| (0..host.hostnames.len()).map(move |n| (h, n)))
                .nth(index);
            if let Some((h, n)) = position {
                dns.hosts[h].hostnames.remove(n);
                if dns.hosts[h].hostnames.is_empty() {
                    dns.hosts.remove(h);
                }
            }
        }
        self.revalidate();
    }

    /// What to show next to a field: its text that does not parse, or the model's
    /// problems about it.
    pub fn error(&self, field: Field) -> Option<String> {
        if let Some((_, why)) = self.unparsed.iter().find(|(f, _)| *f == field) {
            return Some(why.clone());
        }
        let messages: Vec<&str> =
            self.problems.iter().filter(|p| self.field_of(p) == Some(field)).map(|p| p.message.as_str()).collect();
        (!messages.is_empty()).then(|| messages.join("\n"))
    }

    /// Everything wrong with the definition, for the XML page: text that does not parse
    /// first, then the model's problems with their element paths.
    pub fn all_problems(&self) -> Vec<String> {
        let unparsed = self.unparsed.iter().map(|(_, why)| why.clone());
        unparsed.chain(self.problems.iter().map(ToString::to_string)).collect()
    }

    /// Problems not shown at any field (for a message above the form).
    pub fn other_problems(&self) -> Vec<String> {
        self.problems.iter().filter(|p| self.field_of(p).is_none()).map(ToString::to_string).collect()
    }

    /// The field a model problem is about.
    fn field_of(&self, problem: &Problem) -> Option<Field> {
        let path = problem.path.as_str();
        match path {
            "name" => return Some(Field::Name),
            "mtu" => return Some(Field::Mtu),
            "domain" => return Some(Field::Domain),
            "forward" | "forward/interface[0]" => return Some(Field::ForwardDev),
            _ if path.starts_with("dns/forwarder") => return Some(Field::Forwarders),
            _ => {}
        }
        for family in [Family::Ipv4, Family::Ipv6] {
            let Some(index) = self.ip_index(family) else { continue };
            let ip = format!("ip[{index}]");
            if path == ip {
                return Some(Field::Subnet(family));
            }
            if path.starts_with(&format!("{ip}/dhcp/range[0]")) {
                return Some(if problem.message.starts_with("end") {
                    Field::DhcpEnd(family)
                } else {
                    Field::DhcpStart(family)
                });
            }
        }
        None
    }

    /// The definition to send with Apply.
    pub fn xml(&self) -> String {
        self.edited.to_xml()
    }
}

/// DHCP range for a subnet: from the second to the last usable address (libvirt's
/// default network hands out .2–.254 of a /24), avoiding the host's own address.
pub fn default_range(subnet: &IpNetwork) -> Option<(IpAddr, IpAddr)> {
    match subnet {
        IpNetwork::V4(v4) if v4.prefix() <= 30 => {
            let network = u32::from(v4.network());
            let broadcast = u32::from(v4.broadcast());
            let host = u32::from(v4.ip());
            let (start, end) = if host == network + 1 {
                (network + 2, broadcast - 1)
            } else {
                (network + 1, host.saturating_sub(1).max(network + 1))
            };
            (start <= end).then(|| (IpAddr::V4(start.into()), IpAddr::V4(end.into())))
        }
        IpNetwork::V6(v6) if v6.prefix() <= 120 => {
            let network = u128::from(v6.network());
            Some((IpAddr::V6((network + 0x100).into()), IpAddr::V6((network + 0x1ff).into())))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Network {
        Network::from_xml(
            "<network><name>lab</name><uuid>4e1a5e7c-4bbd-4a3f-9c1e-0d8f3f0a1b2c</uuid><forward mode='nat'/><bridge name='virbr5'/>\
             <ip address='192.168.100.1' netmask='255.255.255.0'><dhcp><range start='192.168.100.2' end='192.168.100.254'/></dhcp></ip></network>",
        )
        .unwrap()
    }

    #[test]
    fn a_fresh_session_is_clean() {
        let s = EditSession::new(lab());
        assert!(!s.is_dirty());
        assert!(!s.can_apply());
        assert_eq!(s.error(Field::DhcpStart(Family::Ipv4)), None);
    }

    #[test]
    fn range_outside_the_subnet_is_shown_at_the_field() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::DhcpStart(Family::Ipv4), "10.0.0.5");
        assert_eq!(
            s.error(Field::DhcpStart(Family::Ipv4)).as_deref(),
            Some("start 10.0.0.5 is outside 192.168.100.0/24")
        );
        assert!(s.is_dirty() && !s.can_apply());
        s.set_text(Field::DhcpStart(Family::Ipv4), "192.168.100.50");
        assert_eq!(s.error(Field::DhcpStart(Family::Ipv4)), None);
        assert!(s.can_apply());
        assert!(s.xml().contains("<range start='192.168.100.50' end='192.168.100.254'/>"), "{}", s.xml());
    }

    #[test]
    fn text_that_does_not_parse_blocks_apply() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::DhcpEnd(Family::Ipv4), "192.168.100.");
        assert_eq!(s.error(Field::DhcpEnd(Family::Ipv4)).as_deref(), Some("'192.168.100.' is not an IPv4 address"));
        assert!(!s.can_apply());
        s.set_text(Field::Mtu, "big");
        assert!(s.error(Field::Mtu).is_some());
        s.set_text(Field::Mtu, "");
        s.set_text(Field::DhcpEnd(Family::Ipv4), "192.168.100.254");
        assert!(!s.is_dirty(), "back to the original");
    }

    #[test]
    fn subnet_edits_keep_the_netmask_form_and_report_problems() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::Subnet(Family::Ipv4), "192.168.100.1/25");
        assert!(s.xml().contains("netmask='255.255.255.128'"));
        assert_eq!(
            s.error(Field::DhcpEnd(Family::Ipv4)).as_deref(),
            Some("end 192.168.100.254 is outside 192.168.100.0/25")
        );
        s.set_text(Field::Subnet(Family::Ipv4), "fd00::1/64");
        assert_eq!(s.error(Field::Subnet(Family::Ipv4)).as_deref(), Some("'fd00::1/64' is not an IPv4 address"));
    }

    #[test]
    fn ipv6_section_adds_an_ip_element_and_dhcp_fills_a_range() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::Subnet(Family::Ipv6), "fd00:5::1/64");
        s.set_dhcp(Family::Ipv6, true);
        assert!(s.can_apply(), "{:?}", s.other_problems());
        let xml = s.xml();
        assert!(xml.contains("<ip family='ipv6' address='fd00:5::1' prefix='64'>"), "{xml}");
        assert!(xml.contains("<range start='fd00:5::100' end='fd00:5::1ff'/>"), "{xml}");
        s.set_dhcp(Family::Ipv6, false);
        assert!(!s.xml().contains("fd00:5::100"));
    }

    #[test]
    fn hosts_and_names() {
        let mut s = EditSession::new(lab());
        assert!(s.add_host(Family::Ipv4, "zz", "192.168.100.9", "web").unwrap_err().contains("not a MAC address"));
        s.add_host(Family::Ipv4, "52:54:00:00:00:09", "192.168.100.9", "web").unwrap();
        s.add_host(Family::Ipv4, "52:54:00:00:00:09", "192.168.100.10", "db").unwrap();
        assert_eq!(s.other_problems(), ["ip[0]/dhcp/host[1]: mac 52:54:00:00:00:09 is already used by host[0]"]);
        s.remove_host(Family::Ipv4, 1);
        assert!(s.can_apply());
        s.set_text(Field::Name, "lab/2");
        assert!(s.error(Field::Name).unwrap().contains("contains '/'"));
        s.set_text(Field::Name, "lab2");
        s.set_text(Field::Domain, "lab.example");
        s.set_local_only(true);
        s.add_dns_host("192.168.100.20", "printer").unwrap();
        s.add_dns_host("192.168.100.21", "scanner").unwrap();
        s.add_dns_host("192.168.100.20", "lp").unwrap();
        assert!(s.xml().contains("<domain name='lab.example' localOnly='yes'/>"));
        assert!(s.xml().contains("<hostname>printer</hostname>"));
        // Names are counted across records: printer, lp, scanner.
        s.remove_dns_name(1);
        assert!(!s.xml().contains("<hostname>lp</hostname>") && s.xml().contains("<hostname>printer</hostname>"));
        s.remove_dns_name(1);
        assert!(!s.xml().contains("192.168.100.21"), "{}", s.xml());
        s.set_mode(None);
        assert!(!s.xml().contains("<forward"));
    }

    #[test]
    fn xml_edits_replace_the_definition_or_block_apply() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::Xml, "<network><name>lab</name>");
        assert!(!s.can_apply());
        assert!(s.all_problems()[0].contains("line 1"), "{:?}", s.all_problems());
        let xml = lab().to_xml().replace("192.168.100.254", "192.168.100.200");
        s.set_text(Field::Xml, &xml);
        assert!(s.can_apply(), "{:?}", s.all_problems());
        assert_eq!(s.edited().ips[0].dhcp.as_ref().unwrap().ranges[0].end.to_string(), "192.168.100.200");
        s.set_text(Field::Xml, &xml.replace("192.168.100.200", "10.1.1.1"));
        assert_eq!(s.all_problems(), ["ip[0]/dhcp/range[0]: end 10.1.1.1 is outside 192.168.100.0/24"]);
    }

    #[test]
    fn forward_device_and_forwarders() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::ForwardDev, "eth1");
        assert!(s.xml().contains("<forward mode='nat' dev='eth1'>") || s.xml().contains("dev='eth1'"), "{}", s.xml());
        s.set_text(Field::Forwarders, "9.9.9.9, 2620:fe::fe");
        assert_eq!(s.forwarders_text(), "9.9.9.9, 2620:fe::fe");
        assert!(s.xml().contains("<forwarder addr='9.9.9.9'/>"), "{}", s.xml());
        s.set_text(Field::Forwarders, "9.9.9.9, quad9");
        assert!(s.error(Field::Forwarders).unwrap().contains("'quad9' is not an IP address"));
        s.set_text(Field::Forwarders, "");
        s.set_text(Field::ForwardDev, "");
        assert!(!s.is_dirty(), "{}", s.xml());
    }

    #[test]
    fn default_ranges() {
        let r = |s: &str| default_range(&s.parse().unwrap()).map(|(a, b)| format!("{a}-{b}"));
        assert_eq!(r("192.168.5.1/24").as_deref(), Some("192.168.5.2-192.168.5.254"));
        assert_eq!(r("10.0.0.254/24").as_deref(), Some("10.0.0.1-10.0.0.253"));
        assert_eq!(r("10.0.0.1/31"), None);
    }
}
