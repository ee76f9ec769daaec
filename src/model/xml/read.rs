//! Reads libvirt network XML into a [`Network`], collecting every problem on the way.
//!
//! Besides the shape of the document (known elements and attributes, values of the
//! right type) this applies the checks libvirt itself makes while parsing, so that a
//! document libvirt refuses is refused here too: `forward dev=` that disagrees with the
//! first `<interface>`, `mode='open'` with a `dev`, duplicate pool devices, records in a
//! `<dns enable='no'>`, and a `<nat>` outside NAT mode.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use uuid::Uuid;

use super::dom::{Document, Element};
use crate::model::dns::{Dns, DnsHost, Domain, Forwarder, SrvRecord, TxtRecord};
use crate::model::forward::{Forward, ForwardInterface, ForwardMode, HostdevDriver, Nat, PciAddress};
use crate::model::ip::{Bootp, Dhcp, DhcpHost, DhcpRange, IpDef, Route};
use crate::model::limits;
use crate::model::network::{Bridge, MacTableManager, Metadata, Network};
use crate::model::port::{
    Bandwidth, NativeMode, PortGroup, Rate, VirtualPort, VirtualPortKind, VirtualPortParameters, Vlan, VlanTag,
};
use crate::model::problem::{Code, Collector, Problem, join, join_indexed};
use crate::model::values::{Family, Lease, LeaseUnit, MacAddr, PrefixSpec, parse_on_off, parse_yes_no};

/// libvirt's XML namespace for `<dnsmasq:options>`.
pub const DNSMASQ_NAMESPACE: &str = "http://libvirt.org/schemas/network/dnsmasq/1.0";

/// A value that can be read from an attribute or element text.
trait XmlValue: Sized {
    fn parse_xml(s: &str) -> Result<Self, String>;
}

macro_rules! xml_value_from_str {
    ($($t:ty),*) => {$(
        impl XmlValue for $t {
            fn parse_xml(s: &str) -> Result<Self, String> {
                <$t>::from_str(s)
            }
        }
    )*};
}
xml_value_from_str!(MacAddr, Family, LeaseUnit, ForwardMode, MacTableManager, NativeMode, VirtualPortKind);

macro_rules! xml_value_number {
    ($($t:ty),*) => {$(
        impl XmlValue for $t {
            fn parse_xml(s: &str) -> Result<Self, String> {
                parse_number(s).and_then(|n| <$t>::try_from(n).ok()).ok_or_else(|| {
                    format!("'{s}' is not a whole number between {} and {}", <$t>::MIN, <$t>::MAX)
                })
            }
        }
    )*};
}
xml_value_number!(u8, u16, u32, u64);

/// Decimal, or hexadecimal with `0x` (libvirt writes PCI addresses that way).
fn parse_number(s: &str) -> Option<u64> {
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(hex, 16).ok()
    } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

impl XmlValue for String {
    fn parse_xml(s: &str) -> Result<Self, String> {
        Ok(s.to_owned())
    }
}

impl XmlValue for IpAddr {
    fn parse_xml(s: &str) -> Result<Self, String> {
        s.parse().map_err(|_| format!("'{s}' is not an IP address"))
    }
}

impl XmlValue for Ipv4Addr {
    fn parse_xml(s: &str) -> Result<Self, String> {
        s.parse().map_err(|_| format!("'{s}' is not an IPv4 address"))
    }
}

impl XmlValue for Uuid {
    fn parse_xml(s: &str) -> Result<Self, String> {
        let hyphenated = s.len() == 36
            && s.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        let simple = s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if hyphenated || simple {
            Uuid::parse_str(s).map_err(|e| format!("'{s}' is not a UUID: {e}"))
        } else {
            Err(format!("'{s}' is not a UUID (such as 81ff0d90-c91e-6742-64da-4a736edb9a9b)"))
        }
    }
}

/// Collects problems while reading one document.
struct Reader<'d> {
    doc: &'d Document<'d>,
    problems: Collector,
    /// Misspelt names suggested a correct one for so far (computing more is wasted work:
    /// only the first problems are listed).
    suggested: usize,
}

/// Reads the document's root as a network. The network is returned even when problems
/// were found (with the faulty parts left out), so that callers can report everything.
pub(crate) fn read(doc: &Document<'_>) -> (Option<Network>, Vec<Problem>) {
    let (network, problems) = read_collecting(doc);
    (network, problems.finish())
}

/// [`read`], with the problems still being collected (validation adds its own).
pub(crate) fn read_collecting(doc: &Document<'_>) -> (Option<Network>, Collector) {
    let mut r = Reader { doc, problems: Collector::default(), suggested: 0 };
    let root = &doc.root;
    if root.name != "network" || root.namespace.is_some() {
        r.report("", format!("the root element is <{}>; a network definition starts with <network>", root.name));
        return (None, r.problems);
    }
    let network = r.network(root);
    (Some(network), r.problems)
}

impl Reader<'_> {
    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    /// Reports attributes and child elements that libvirt's schema does not have there.
    fn known(&mut self, el: &Element, path: &str, attrs: &[&str], children: &[&str]) {
        for attr in &el.attributes {
            if !attrs.contains(&attr.name.as_str()) {
                let hint = self.suggest(&attr.name, attrs).map(|s| format!("; did you mean {s}?")).unwrap_or_default();
                self.report(path, format!("unknown attribute {} on <{}>{hint}", attr.name, el.name));
            }
        }
        for child in &el.children {
            if child.namespace.as_deref() == Some(DNSMASQ_NAMESPACE) && path.is_empty() {
                continue;
            }
            if child.namespace.is_some() || !children.contains(&child.name.as_str()) {
                let hint =
                    self.suggest(&child.name, children).map(|s| format!("; did you mean <{s}>?")).unwrap_or_default();
                self.report(path, format!("unknown element <{}> inside <{}>{hint}", child.name, el.name));
            }
        }
    }

    /// A correct name for a misspelt one, for the problems that will be listed.
    fn suggest<'k>(&mut self, name: &str, known: &[&'k str]) -> Option<&'k str> {
        if self.problems.is_full() || self.suggested >= limits::MAX_PROBLEMS {
            return None;
        }
        self.suggested += 1;
        suggestion(name, known)
    }

    fn attr<T: XmlValue>(&mut self, el: &Element, path: &str, name: &'static str) -> Option<T> {
        let raw = el.attr(name)?;
        match T::parse_xml(raw) {
            Ok(v) => Some(v),
            Err(why) => {
                self.problems.push(Problem::coded(path, Some(name), Code::Unreadable, format!("{name}: {why}")));
                None
            }
        }
    }

    fn required<T: XmlValue>(&mut self, el: &Element, path: &str, name: &'static str) -> Option<T> {
        if el.attr(name).is_none() {
            let message = format!("<{}> is missing its {name} attribute", el.name);
            self.problems.push(Problem::coded(path, Some(name), Code::Missing, message));
            return None;
        }
        self.attr(el, path, name)
    }

    fn yes_no(&mut self, el: &Element, path: &str, name: &str) -> Option<bool> {
        let raw = el.attr(name)?;
        parse_yes_no(raw).map_err(|why| self.report(path, format!("{name}: {why}"))).ok()
    }

    fn on_off(&mut self, el: &Element, path: &str, name: &str) -> Option<bool> {
        let raw = el.attr(name)?;
        parse_on_off(raw).map_err(|why| self.report(path, format!("{name}: {why}"))).ok()
    }

    /// The children named `name`, at most `max` of them: more are reported (with the
    /// limit) and not read, so no later step works through them.
    fn limited<'e>(
        &mut self,
        el: &'e Element,
        path: &str,
        name: &'static str,
        max: usize,
    ) -> impl Iterator<Item = &'e Element> + use<'e> {
        let count = el.children_named(name).count();
        if count > max {
            self.report(path, limits::too_many(count, name, max));
        }
        el.children.iter().filter(move |c| c.name == name && c.namespace.is_none()).take(max)
    }

    /// The one child named `name`, reporting any extra ones.
    fn single<'e>(&mut self, el: &'e Element, path: &str, name: &str) -> Option<&'e Element> {
        let mut found = el.children_named(name);
        let first = found.next();
        if found.next().is_some() {
            self.report(path, format!("<{}> may contain only one <{name}>", el.name));
        }
        first
    }

    fn text_child(&mut self, el: &Element, path: &str, name: &str) -> Option<String> {
        let child = self.single(el, path, name)?;
        self.known(child, &join(path, name), &[], &[]);
        Some(child.text.clone())
    }

    fn network(&mut self, el: &Element) -> Network {
        self.known(
            el,
            "",
            &["ipv6", "trustGuestRxFilters", "connections"],
            &[
                "name",
                "uuid",
                "title",
                "description",
                "metadata",
                "forward",
                "bridge",
                "mtu",
                "mac",
                "domain",
                "dns",
                "bandwidth",
                "vlan",
                "port",
                "ip",
                "route",
                "virtualport",
                "portgroup",
            ],
        );
        let name = self.text_child(el, "", "name");
        if name.is_none() {
            self.report("name", "a network needs a <name>");
        }
        let uuid = self
            .text_child(el, "", "uuid")
            .and_then(|text| Uuid::parse_xml(text.trim()).map_err(|why| self.report("uuid", why)).ok());
        let whole_metadata = self.single(el, "", "metadata").map(|m| {
            let content = self.doc.inner_source(m);
            // Bindings from <network> travel along when the content uses them and
            // <metadata> does not bind the prefix itself: each prefix once.
            let used = prefixes_used(content);
            let own: HashSet<&str> = m.namespaces.iter().map(|(prefix, _)| prefix.as_str()).collect();
            let inherited = el.namespaces.iter().filter(|(prefix, _)| {
                !prefix.is_empty() && used.contains(prefix.as_str()) && !own.contains(prefix.as_str())
            });
            Metadata { namespaces: inherited.chain(&m.namespaces).cloned().collect(), content: content.to_owned() }
        });
        // virtnet's own element becomes typed fields; the rest stays verbatim.
        let (extension, metadata) = match whole_metadata {
            Some(whole) => {
                let (extension, left, problems) = crate::model::extension::split(whole);
                for problem in problems {
                    self.problems.push(problem);
                }
                (extension, left)
            }
            None => (Default::default(), None),
        };
        let forward = self.single(el, "", "forward").and_then(|f| self.forward(f, "forward"));
        let bridge = self.single(el, "", "bridge").map(|b| self.bridge(b, "bridge")).unwrap_or_default();
        let mtu = self.single(el, "", "mtu").and_then(|m| {
            self.known(m, "mtu", &["size"], &[]);
            self.required(m, "mtu", "size")
        });
        let mac = self.single(el, "", "mac").and_then(|m| {
            self.known(m, "mac", &["address"], &[]);
            self.required(m, "mac", "address")
        });
        let domain = self.single(el, "", "domain").and_then(|d| self.domain(d, "domain"));
        // An empty <dns/> says nothing; libvirt drops it too.
        let dns = self
            .single(el, "", "dns")
            .map(|d| self.dns(d, "dns"))
            .filter(|d| d.enable.is_some() || d.forward_plain_names.is_some() || d.has_records());
        let bandwidth = self.single(el, "", "bandwidth").map(|b| self.bandwidth(b, "bandwidth"));
        let vlan = self.single(el, "", "vlan").map(|v| self.vlan(v, "vlan"));
        let port_isolated = self.single(el, "", "port").and_then(|p| {
            self.known(p, "port", &["isolated"], &[]);
            self.yes_no(p, "port", "isolated")
        });
        let ips: Vec<&Element> = self.limited(el, "", "ip", limits::MAX_IPS).collect();
        let ips = ips.into_iter().enumerate().map(|(i, ip)| self.ip(ip, &join_indexed("", "ip", i))).collect();
        let routes: Vec<&Element> = self.limited(el, "", "route", limits::MAX_ROUTES).collect();
        let routes = routes
            .into_iter()
            .enumerate()
            .filter_map(|(i, route)| self.route(route, &join_indexed("", "route", i)))
            .collect();
        let virtualport = self.single(el, "", "virtualport").map(|v| self.virtualport(v, "virtualport"));
        let portgroups: Vec<&Element> = self.limited(el, "", "portgroup", limits::MAX_PORTGROUPS).collect();
        let portgroups = portgroups
            .into_iter()
            .enumerate()
            .filter_map(|(i, pg)| self.portgroup(pg, &join_indexed("", "portgroup", i)))
            .collect();
        let dnsmasq_options = self.dnsmasq_options(el);

        Network {
            name: name.unwrap_or_default(),
            uuid,
            title: self.text_child(el, "", "title"),
            description: self.text_child(el, "", "description"),
            metadata,
            attach: extension.attach,
            port_forwards: extension.port_forwards,
            ipv6: self.yes_no(el, "", "ipv6").unwrap_or(false),
            trust_guest_rx_filters: self.yes_no(el, "", "trustGuestRxFilters"),
            connections: self.attr(el, "", "connections"),
            forward,
            bridge,
            mtu,
            mac,
            domain,
            dns,
            bandwidth,
            vlan,
            port_isolated,
            ips,
            routes,
            virtualport,
            portgroups,
            dnsmasq_options,
        }
    }

    fn forward(&mut self, el: &Element, path: &str) -> Option<Forward> {
        self.known(el, path, &["dev", "mode", "managed"], &["interface", "address", "pf", "driver", "nat"]);
        let mode = if el.attr("mode").is_some() { self.attr(el, path, "mode")? } else { ForwardMode::Nat };
        let mut forward = Forward::new(mode);
        forward.managed = self.yes_no(el, path, "managed");

        let interfaces: Vec<&Element> = self.limited(el, path, "interface", limits::MAX_FORWARD_DEVICES).collect();
        let mut devices: HashSet<String> = HashSet::new();
        for (i, iface) in interfaces.into_iter().enumerate() {
            let p = join_indexed(path, "interface", i);
            self.known(iface, &p, &["dev", "connections"], &[]);
            let Some(dev) = self.required::<String>(iface, &p, "dev") else { continue };
            if !devices.insert(dev.clone()) {
                self.report(&p, format!("interface {dev} is listed twice"));
                continue;
            }
            let connections = self.attr(iface, &p, "connections");
            forward.interfaces.push(ForwardInterface { dev, connections });
        }
        let addresses: Vec<&Element> = self.limited(el, path, "address", limits::MAX_FORWARD_DEVICES).collect();
        let mut functions = HashSet::new();
        for (i, addr) in addresses.into_iter().enumerate() {
            let p = join_indexed(path, "address", i);
            let Some(address) = self.pci_address(addr, &p) else { continue };
            if !functions.insert(address.device_key()) {
                self.report(&p, format!("PCI address {} is listed twice", address.display()));
                continue;
            }
            forward.addresses.push(address);
        }
        if !forward.interfaces.is_empty() && !forward.addresses.is_empty() {
            self.report(path, "a forward pool lists either <interface> or <address> elements, not both");
        }
        forward.pf = self.single(el, path, "pf").and_then(|pf| {
            let p = join(path, "pf");
            self.known(pf, &p, &["dev"], &[]);
            self.required(pf, &p, "dev")
        });
        forward.driver = self.single(el, path, "driver").map(|d| {
            let p = join(path, "driver");
            self.known(d, &p, &["name", "model"], &[]);
            let name: Option<String> = self.attr(d, &p, "name");
            if let Some(n) = &name
                && !["kvm", "vfio", "xen"].contains(&n.as_str())
            {
                self.report(&p, format!("name: '{n}' is not a hostdev driver (kvm, vfio or xen)"));
            }
            HostdevDriver { name, model: self.attr(d, &p, "model") }
        });
        forward.nat = self.single(el, path, "nat").map(|n| self.nat(n, &join(path, "nat")));
        if forward.nat.is_some() && mode != ForwardMode::Nat {
            self.report(path, format!("<nat> is only meaningful with mode='nat', not mode='{mode}'"));
        }

        if let Some(dev) = self.attr::<String>(el, path, "dev") {
            if mode == ForwardMode::Open {
                self.report(
                    path,
                    format!("mode='open' cannot have dev='{dev}': an open network adds no rules, so it cannot be restricted to one uplink"),
                );
            } else if let Some(first) = forward.interfaces.first() {
                if first.dev != dev {
                    self.report(
                        path,
                        format!("dev='{dev}' must be the same as the first <interface dev='{}'>", first.dev),
                    );
                }
            } else if !forward.addresses.is_empty() {
                // dev names an interface, and a pool lists interfaces or PCI addresses:
                // taken as the pool's first interface, it would make the definition
                // one this reader refuses (found by fuzzing the round trip).
                self.report(
                    path,
                    format!("dev='{dev}' names an interface, which a pool of <address> elements cannot have; remove dev or the addresses"),
                );
            } else if forward.pf.is_none() {
                forward.interfaces.push(ForwardInterface { dev, connections: None });
            }
        }
        Some(forward)
    }

    fn pci_address(&mut self, el: &Element, path: &str) -> Option<PciAddress> {
        self.known(el, path, &["type", "domain", "bus", "slot", "function", "multifunction", "connections"], &[]);
        let kind: String = self.required(el, path, "type")?;
        if kind != "pci" {
            self.report(path, format!("type: '{kind}' is not supported; forward pool addresses are type='pci'"));
            return None;
        }
        Some(PciAddress {
            domain: self.attr(el, path, "domain"),
            bus: self.attr(el, path, "bus"),
            slot: self.attr(el, path, "slot"),
            function: self.attr(el, path, "function"),
            multifunction: self.on_off(el, path, "multifunction"),
            connections: self.attr(el, path, "connections"),
        })
    }

    fn nat(&mut self, el: &Element, path: &str) -> Nat {
        self.known(el, path, &["ipv6"], &["address", "port"]);
        let address = self.single(el, path, "address").and_then(|a| {
            let p = join(path, "address");
            self.known(a, &p, &["start", "end"], &[]);
            Some((self.required(a, &p, "start")?, self.required(a, &p, "end")?))
        });
        let port = self.single(el, path, "port").and_then(|a| {
            let p = join(path, "port");
            self.known(a, &p, &["start", "end"], &[]);
            Some((self.required(a, &p, "start")?, self.required(a, &p, "end")?))
        });
        Nat { ipv6: self.yes_no(el, path, "ipv6"), address, port }
    }

    fn bridge(&mut self, el: &Element, path: &str) -> Bridge {
        self.known(el, path, &["name", "zone", "stp", "delay", "macTableManager"], &[]);
        let defaults = Bridge::default();
        Bridge {
            name: self.attr(el, path, "name"),
            zone: self.attr(el, path, "zone"),
            stp: self.on_off(el, path, "stp").unwrap_or(defaults.stp),
            delay: self.attr(el, path, "delay").unwrap_or(defaults.delay),
            mac_table_manager: self.attr(el, path, "macTableManager"),
        }
    }

    fn domain(&mut self, el: &Element, path: &str) -> Option<Domain> {
        self.known(el, path, &["name", "localOnly", "register"], &[]);
        Some(Domain {
            name: self.required(el, path, "name")?,
            local_only: self.yes_no(el, path, "localOnly"),
            register: self.yes_no(el, path, "register"),
        })
    }

    fn dns(&mut self, el: &Element, path: &str) -> Dns {
        self.known(el, path, &["enable", "forwardPlainNames"], &["forwarder", "txt", "srv", "host"]);
        let mut dns = Dns {
            enable: self.yes_no(el, path, "enable"),
            forward_plain_names: self.yes_no(el, path, "forwardPlainNames"),
            ..Dns::default()
        };
        let forwarders: Vec<&Element> = self.limited(el, path, "forwarder", limits::MAX_DNS_RECORDS).collect();
        for (i, f) in forwarders.into_iter().enumerate() {
            let p = join_indexed(path, "forwarder", i);
            self.known(f, &p, &["addr", "domain"], &[]);
            let forwarder = Forwarder { addr: self.attr(f, &p, "addr"), domain: self.attr(f, &p, "domain") };
            if f.attr("addr").is_none() && f.attr("domain").is_none() {
                self.report(&p, "a <forwarder> needs an addr, a domain, or both");
            }
            dns.forwarders.push(forwarder);
        }
        let txts: Vec<&Element> = self.limited(el, path, "txt", limits::MAX_DNS_RECORDS).collect();
        for (i, t) in txts.into_iter().enumerate() {
            let p = join_indexed(path, "txt", i);
            self.known(t, &p, &["name", "value"], &[]);
            if let (Some(name), Some(value)) = (self.required(t, &p, "name"), self.required(t, &p, "value")) {
                dns.txts.push(TxtRecord { name, value });
            }
        }
        let srvs: Vec<&Element> = self.limited(el, path, "srv", limits::MAX_DNS_RECORDS).collect();
        for (i, s) in srvs.into_iter().enumerate() {
            let p = join_indexed(path, "srv", i);
            self.known(s, &p, &["service", "protocol", "domain", "target", "port", "priority", "weight"], &[]);
            let service = self.required(s, &p, "service");
            let protocol = self.required(s, &p, "protocol");
            let record = SrvRecord {
                service: service.unwrap_or_default(),
                protocol: protocol.unwrap_or_default(),
                domain: self.attr(s, &p, "domain"),
                target: self.attr(s, &p, "target"),
                port: self.attr(s, &p, "port"),
                priority: self.attr(s, &p, "priority"),
                weight: self.attr(s, &p, "weight"),
            };
            if s.attr("service").is_some() && s.attr("protocol").is_some() {
                dns.srvs.push(record);
            }
        }
        let hosts: Vec<&Element> = self.limited(el, path, "host", limits::MAX_DNS_RECORDS).collect();
        for (i, h) in hosts.into_iter().enumerate() {
            let p = join_indexed(path, "host", i);
            self.known(h, &p, &["ip"], &["hostname"]);
            let ip = self.required(h, &p, "ip");
            let names: Vec<&Element> = self.limited(h, &p, "hostname", limits::MAX_HOSTNAMES).collect();
            let hostnames: Vec<String> = names
                .into_iter()
                .enumerate()
                .map(|(j, n)| {
                    self.known(n, &join_indexed(&p, "hostname", j), &[], &[]);
                    n.text.clone()
                })
                .collect();
            if hostnames.is_empty() {
                self.report(&p, "a DNS <host> needs at least one <hostname>");
            }
            if let Some(ip) = ip {
                dns.hosts.push(DnsHost { ip, hostnames });
            }
        }
        if dns.enable == Some(false) && dns.has_records() {
            self.report(path, "enable='no' turns DNS off, so it cannot also have forwarders, host, txt or srv records");
        }
        dns
    }

    fn bandwidth(&mut self, el: &Element, path: &str) -> Bandwidth {
        self.known(el, path, &["classID"], &["inbound", "outbound"]);
        let rate = |r: &mut Self, name: &str| {
            r.single(el, path, name).map(|e| {
                let p = join(path, name);
                r.known(e, &p, &["average", "peak", "floor", "burst"], &[]);
                Rate {
                    average: r.attr(e, &p, "average"),
                    peak: r.attr(e, &p, "peak"),
                    floor: r.attr(e, &p, "floor"),
                    burst: r.attr(e, &p, "burst"),
                }
            })
        };
        let inbound = rate(self, "inbound");
        let outbound = rate(self, "outbound");
        Bandwidth { class_id: self.attr(el, path, "classID"), inbound, outbound }
    }

    fn vlan(&mut self, el: &Element, path: &str) -> Vlan {
        self.known(el, path, &["trunk"], &["tag"]);
        let mut tags = Vec::new();
        let tags_read: Vec<&Element> = self.limited(el, path, "tag", limits::MAX_VLAN_TAGS).collect();
        for (i, t) in tags_read.into_iter().enumerate() {
            let p = join_indexed(path, "tag", i);
            self.known(t, &p, &["id", "nativeMode"], &[]);
            let Some(id) = self.required::<u16>(t, &p, "id") else { continue };
            if id > 4095 {
                self.report(&p, format!("id: VLAN {id} does not exist; VLAN ids go from 0 to 4095"));
                continue;
            }
            tags.push(VlanTag { id, native_mode: self.attr(t, &p, "nativeMode") });
        }
        if el.children_named("tag").next().is_none() {
            self.report(path, "a <vlan> needs at least one <tag id='...'/>");
        }
        Vlan { trunk: self.yes_no(el, path, "trunk").unwrap_or(false), tags }
    }

    fn ip(&mut self, el: &Element, path: &str) -> IpDef {
        self.known(el, path, &["address", "netmask", "prefix", "family", "localPtr"], &["tftp", "dhcp"]);
        let family = self.attr(el, path, "family");
        let address = self.required(el, path, "address");
        let prefix = self.prefix_spec(el, path);
        let local_ptr = self.yes_no(el, path, "localPtr");
        let tftp_root = self.single(el, path, "tftp").and_then(|t| {
            let p = join(path, "tftp");
            self.known(t, &p, &["root"], &[]);
            self.required(t, &p, "root")
        });
        let dhcp = self.single(el, path, "dhcp").map(|d| self.dhcp(d, &join(path, "dhcp")));
        IpDef { family, address, prefix, local_ptr, tftp_root, dhcp }
    }

    fn prefix_spec(&mut self, el: &Element, path: &str) -> Option<PrefixSpec> {
        match (el.attr("netmask").is_some(), el.attr("prefix").is_some()) {
            (true, true) => {
                self.report(path, "give either netmask or prefix, not both");
                None
            }
            (true, false) => self.attr(el, path, "netmask").map(PrefixSpec::Netmask),
            (false, true) => self.attr(el, path, "prefix").map(PrefixSpec::Prefix),
            (false, false) => None,
        }
    }

    fn lease(&mut self, el: &Element, path: &str) -> Option<Lease> {
        let lease = self.single(el, path, "lease")?;
        let p = join(path, "lease");
        self.known(lease, &p, &["expiry", "unit"], &[]);
        Some(Lease { expiry: self.required(lease, &p, "expiry")?, unit: self.attr(lease, &p, "unit") })
    }

    fn dhcp(&mut self, el: &Element, path: &str) -> Dhcp {
        self.known(el, path, &[], &["range", "host", "bootp"]);
        let mut dhcp = Dhcp::default();
        let ranges: Vec<&Element> = self.limited(el, path, "range", limits::MAX_DHCP_RANGES).collect();
        for (i, r) in ranges.into_iter().enumerate() {
            let p = join_indexed(path, "range", i);
            self.known(r, &p, &["start", "end"], &["lease"]);
            let start = self.required(r, &p, "start");
            let end = self.required(r, &p, "end");
            let lease = self.lease(r, &p);
            if let (Some(start), Some(end)) = (start, end) {
                dhcp.ranges.push(DhcpRange { start, end, lease });
            }
        }
        let hosts: Vec<&Element> = self.limited(el, path, "host", limits::MAX_DHCP_HOSTS).collect();
        for (i, h) in hosts.into_iter().enumerate() {
            let p = join_indexed(path, "host", i);
            self.known(h, &p, &["mac", "id", "name", "ip"], &["lease"]);
            dhcp.hosts.push(DhcpHost {
                mac: self.attr(h, &p, "mac"),
                id: self.attr(h, &p, "id"),
                name: self.attr(h, &p, "name"),
                ip: self.attr(h, &p, "ip"),
                lease: self.lease(h, &p),
            });
        }
        dhcp.bootp = self.single(el, path, "bootp").and_then(|b| {
            let p = join(path, "bootp");
            self.known(b, &p, &["file", "server"], &[]);
            Some(Bootp { file: self.required(b, &p, "file")?, server: self.attr(b, &p, "server") })
        });
        dhcp
    }

    fn route(&mut self, el: &Element, path: &str) -> Option<Route> {
        self.known(el, path, &["family", "address", "netmask", "prefix", "gateway", "metric"], &[]);
        let family = self.attr(el, path, "family");
        let address = self.required(el, path, "address");
        let gateway = self.required(el, path, "gateway");
        let prefix = self.prefix_spec(el, path);
        let metric = self.attr(el, path, "metric");
        Some(Route { family, address: address?, prefix, gateway: gateway?, metric })
    }

    fn virtualport(&mut self, el: &Element, path: &str) -> VirtualPort {
        self.known(el, path, &["type"], &["parameters"]);
        let parameters = self.single(el, path, "parameters").map(|p| {
            let pp = join(path, "parameters");
            self.known(
                p,
                &pp,
                &["managerid", "typeid", "typeidversion", "instanceid", "profileid", "interfaceid"],
                &[],
            );
            VirtualPortParameters {
                managerid: self.attr(p, &pp, "managerid"),
                typeid: self.attr(p, &pp, "typeid"),
                typeidversion: self.attr(p, &pp, "typeidversion"),
                instanceid: self.attr(p, &pp, "instanceid"),
                profileid: self.attr(p, &pp, "profileid"),
                interfaceid: self.attr(p, &pp, "interfaceid"),
            }
        });
        VirtualPort { kind: self.attr(el, path, "type"), parameters }
    }

    fn portgroup(&mut self, el: &Element, path: &str) -> Option<PortGroup> {
        self.known(el, path, &["name", "default", "trustGuestRxFilters"], &["virtualport", "bandwidth", "vlan"]);
        let name = self.required(el, path, "name");
        let virtualport = self.single(el, path, "virtualport").map(|v| self.virtualport(v, &join(path, "virtualport")));
        let bandwidth = self.single(el, path, "bandwidth").map(|b| self.bandwidth(b, &join(path, "bandwidth")));
        let vlan = self.single(el, path, "vlan").map(|v| self.vlan(v, &join(path, "vlan")));
        Some(PortGroup {
            name: name?,
            default: self.yes_no(el, path, "default"),
            trust_guest_rx_filters: self.yes_no(el, path, "trustGuestRxFilters"),
            virtualport,
            bandwidth,
            vlan,
        })
    }

    fn dnsmasq_options(&mut self, root: &Element) -> Vec<String> {
        let mut options = Vec::new();
        let blocks: Vec<&Element> =
            root.children.iter().filter(|c| c.namespace.as_deref() == Some(DNSMASQ_NAMESPACE)).collect();
        for block in &blocks {
            if block.name != "options" {
                self.report(
                    "",
                    format!(
                        "unknown element <dnsmasq:{}>; libvirt's dnsmasq namespace has only <dnsmasq:options>",
                        block.name
                    ),
                );
                continue;
            }
            if block.children.len() > limits::MAX_DNSMASQ_OPTIONS {
                self.report(
                    "dnsmasq:options",
                    limits::too_many(block.children.len(), "dnsmasq:option", limits::MAX_DNSMASQ_OPTIONS),
                );
            }
            for (i, opt) in block.children.iter().take(limits::MAX_DNSMASQ_OPTIONS).enumerate() {
                let p = join_indexed("dnsmasq:options", "option", i);
                if opt.name != "option" || opt.namespace.as_deref() != Some(DNSMASQ_NAMESPACE) {
                    self.report("dnsmasq:options", format!("unknown element <{}> inside <dnsmasq:options>", opt.name));
                    continue;
                }
                self.known(opt, &p, &["value"], &[]);
                if let Some(value) = self.required(opt, &p, "value") {
                    options.push(value);
                }
            }
        }
        if blocks.iter().filter(|b| b.name == "options").count() > 1 {
            self.report("", "<network> may contain only one <dnsmasq:options>");
        }
        options
    }
}

/// The namespace prefixes `content` (XML) may use, found in one pass: every name
/// followed by `:` (in element and attribute names, and in values such as `xsi:type`,
/// which name types by prefix too). A binding too many is harmless; one too few would
/// leave a prefix of the kept content unbound.
fn prefixes_used(content: &str) -> HashSet<&str> {
    let is_name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let bytes = content.as_bytes();
    let mut used = HashSet::new();
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (start, is_name(b)) {
            (None, true) => start = Some(i),
            (Some(from), false) => {
                if b == b':'
                    && let Some(prefix) = content.get(from..i)
                {
                    used.insert(prefix);
                }
                start = None;
            }
            _ => {}
        }
    }
    used
}

/// The known name closest to a misspelt one (at most two edits away). Names whose length
/// differs from every known one by more than two cannot be two edits away: those are
/// passed over without computing a distance (a definition may hold thousands of them).
fn suggestion<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let length = name.chars().count();
    known
        .iter()
        .filter(|k| k.len().abs_diff(length) <= 2)
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(cur) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::xml::dom;

    fn read_str(xml: &str) -> (Network, Vec<Problem>) {
        let doc = dom::parse(xml).unwrap();
        let (network, problems) = read(&doc);
        (network.unwrap(), problems)
    }

    #[test]
    fn forward_dev_becomes_first_interface() {
        let (net, problems) = read_str("<network><name>n</name><forward mode='nat' dev='eth1'/></network>");
        assert!(problems.is_empty(), "{problems:?}");
        let forward = net.forward.unwrap();
        assert_eq!(forward.dev(), Some("eth1"));
        assert_eq!(forward.interfaces.len(), 1);
    }

    #[test]
    fn forward_without_mode_is_nat() {
        let (net, _) = read_str("<network><name>n</name><forward/></network>");
        assert_eq!(net.forward.unwrap().mode, ForwardMode::Nat);
    }

    #[test]
    fn unknown_elements_are_reported_with_a_suggestion() {
        let (_, problems) = read_str("<network><name>n</name><forwad mode='nat'/><bridge nme='x'/></network>");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "unknown element <forwad> inside <network>; did you mean <forward>?",
                "bridge: unknown attribute nme on <bridge>; did you mean name?"
            ]
        );
    }

    #[test]
    fn all_attribute_errors_are_collected() {
        let (_, problems) = read_str(
            "<network><name>n</name><mac address='zz'/><mtu size='-1'/><ip address='1.2.3' netmask='255.255.255.0' prefix='24'/></network>",
        );
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "mtu: size: '-1' is not a whole number between 0 and 65535",
                "mac: address: 'zz' is not a MAC address (six hex pairs such as 52:54:00:12:34:56)",
                "ip[0]: address: '1.2.3' is not an IP address",
                "ip[0]: give either netmask or prefix, not both",
            ]
        );
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("forwad", "forward"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
