//! Writes a [`Network`] as libvirt writes network XML: the same element order, the same
//! canonical defaults (`stp='on' delay='0'` on bridges the network owns, `forward dev=`
//! mirrored by its first `<interface>`), single-quoted attributes, two-space indentation.

use std::fmt::Write as _;

use super::read::DNSMASQ_NAMESPACE;
use crate::model::dns::{Dns, Domain};
use crate::model::extension::{self, Extension};
use crate::model::forward::Forward;
use crate::model::ip::{Dhcp, IpDef, Route};
use crate::model::network::{Metadata, Network};
use crate::model::port::{Bandwidth, PortGroup, Rate, VirtualPort, Vlan};
use crate::model::values::{Lease, PrefixSpec, on_off, yes_no};

/// An element to be written.
struct Node {
    name: &'static str,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: Option<String>,
    /// Markup copied as it was read (the inside of `<metadata>`).
    raw: Option<String>,
    /// Written as a start and an end tag even when empty (libvirt does this for `<ip>`).
    never_self_closing: bool,
}

impl Node {
    fn new(name: &'static str) -> Self {
        Node { name, attrs: Vec::new(), children: Vec::new(), text: None, raw: None, never_self_closing: false }
    }

    fn text(name: &'static str, text: &str) -> Self {
        Node { text: Some(text.to_owned()), ..Node::new(name) }
    }

    fn attr(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.attrs.push((name.into(), value.to_string()));
        self
    }

    fn attr_opt<T: ToString>(self, name: &'static str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    fn yes_no(self, name: &'static str, value: Option<bool>) -> Self {
        self.attr_opt(name, value.map(yes_no))
    }

    fn child(mut self, child: Node) -> Self {
        self.children.push(child);
        self
    }

    fn child_opt(self, child: Option<Node>) -> Self {
        match child {
            Some(c) => self.child(c),
            None => self,
        }
    }

    fn children(mut self, children: impl IntoIterator<Item = Node>) -> Self {
        self.children.extend(children);
        self
    }

    fn write(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        let _ = write!(out, "{indent}<{}", self.name);
        for (name, value) in &self.attrs {
            let _ = write!(out, " {name}='{}'", escape(value, true));
        }
        if let Some(raw) = &self.raw {
            let _ = writeln!(out, ">{raw}</{}>", self.name);
        } else if let Some(text) = &self.text {
            let _ = writeln!(out, ">{}</{}>", escape(text, false), self.name);
        } else if self.children.is_empty() && !self.never_self_closing {
            out.push_str("/>\n");
        } else {
            out.push_str(">\n");
            for child in &self.children {
                child.write(out, depth + 1);
            }
            let _ = writeln!(out, "{indent}</{}>", self.name);
        }
    }
}

/// Escapes text for XML. In attributes, whitespace other than spaces is written as
/// character references too, because readers turn literal tabs and newlines in
/// attribute values into spaces; in text, `\r` would be dropped the same way.
fn escape(value: &str, attribute: bool) -> std::borrow::Cow<'_, str> {
    let needs = |c: char| matches!(c, '&' | '<' | '>' | '\r') || (attribute && matches!(c, '\'' | '"' | '\n' | '\t'));
    if !value.contains(needs) {
        return value.into();
    }
    let mut out = String::with_capacity(value.len() + 16);
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\'' if attribute => out.push_str("&apos;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out.into()
}

/// The definition as XML text, ending with a newline.
pub(crate) fn write(net: &Network) -> String {
    let mut out = String::new();
    network(net).write(&mut out, 0);
    out
}

fn network(net: &Network) -> Node {
    let mut root = Node::new("network");
    if !net.dnsmasq_options.is_empty() {
        root = root.attr("xmlns:dnsmasq", DNSMASQ_NAMESPACE);
    }
    root = root
        .attr_opt("connections", net.connections)
        .attr_opt("ipv6", net.ipv6.then_some("yes"))
        .yes_no("trustGuestRxFilters", net.trust_guest_rx_filters)
        .child(Node::text("name", &net.name))
        .child_opt(net.uuid.map(|u| Node::text("uuid", &u.hyphenated().to_string())))
        .child_opt(net.title.as_deref().map(|t| Node::text("title", t)))
        .child_opt(net.description.as_deref().map(|d| Node::text("description", d)))
        .child_opt(metadata(net))
        .child_opt(net.forward.as_ref().map(forward))
        .child_opt(bridge(net))
        .child_opt(net.mtu.map(|size| Node::new("mtu").attr("size", size)))
        .child_opt(net.mac.map(|mac| Node::new("mac").attr("address", mac)))
        .child_opt(net.domain.as_ref().map(domain))
        .child_opt(net.dns.as_ref().and_then(dns))
        .child_opt(net.vlan.as_ref().map(vlan))
        .child_opt(net.bandwidth.as_ref().map(bandwidth))
        .child_opt(net.port_isolated.map(|i| Node::new("port").attr("isolated", yes_no(i))))
        .children(net.ips.iter().map(ip))
        .children(net.routes.iter().map(route))
        .child_opt(net.virtualport.as_ref().map(virtualport))
        .children(net.portgroups.iter().map(portgroup));
    if !net.dnsmasq_options.is_empty() {
        let options = net.dnsmasq_options.iter().map(|value| Node::new("dnsmasq:option").attr("value", value));
        root = root.child(Node::new("dnsmasq:options").children(options));
    }
    root
}

/// `<metadata>`: virtnet's element first (when it has anything to say), then other
/// applications' content as it was read.
fn metadata(net: &Network) -> Option<Node> {
    let extension = Extension { attach: net.attach.clone(), port_forwards: net.port_forwards.clone() };
    let others = net.metadata.as_ref();
    let raw = match (extension.is_empty(), others) {
        (true, None) => return None,
        (true, Some(m)) => m.content.clone(),
        (false, others) => {
            let rest = others.map(|m| m.content.trim()).filter(|c| !c.is_empty());
            let rest = rest.map(|c| format!("    {c}\n")).unwrap_or_default();
            format!("\n{}{rest}  ", extension::render(&extension, 2))
        }
    };
    let mut node = Node { raw: Some(raw), ..Node::new("metadata") };
    for (prefix, uri) in others.map(|m: &Metadata| m.namespaces.as_slice()).unwrap_or_default() {
        let name = if prefix.is_empty() { "xmlns".to_owned() } else { format!("xmlns:{prefix}") };
        node = node.attr(name, uri);
    }
    Some(node)
}

fn forward(f: &Forward) -> Node {
    let nat = f.nat.as_ref().map(|nat| {
        Node::new("nat")
            .yes_no("ipv6", nat.ipv6)
            .child_opt(nat.address.map(|(start, end)| Node::new("address").attr("start", start).attr("end", end)))
            .child_opt(nat.port.map(|(start, end)| Node::new("port").attr("start", start).attr("end", end)))
    });
    let driver = f
        .driver
        .as_ref()
        .map(|d| Node::new("driver").attr_opt("name", d.name.as_ref()).attr_opt("model", d.model.as_ref()));
    Node::new("forward")
        .attr_opt("dev", f.dev())
        .attr("mode", f.mode)
        .yes_no("managed", f.managed)
        .child_opt(driver)
        .child_opt(nat)
        .child_opt(f.pf.as_ref().map(|dev| Node::new("pf").attr("dev", dev)))
        .children(
            f.interfaces
                .iter()
                .map(|i| Node::new("interface").attr("dev", &i.dev).attr_opt("connections", i.connections)),
        )
        .children(f.addresses.iter().map(|a| {
            Node::new("address")
                .attr("type", "pci")
                .attr_opt("domain", a.domain.map(|d| format!("0x{d:04x}")))
                .attr_opt("bus", a.bus.map(|b| format!("0x{b:02x}")))
                .attr_opt("slot", a.slot.map(|s| format!("0x{s:02x}")))
                .attr_opt("function", a.function.map(|f| format!("0x{f:x}")))
                .attr_opt("multifunction", a.multifunction.map(on_off))
                .attr_opt("connections", a.connections)
        }))
}

/// libvirt writes `<bridge>` with stp and delay for every network that owns its bridge,
/// and otherwise only when there is something to say.
fn bridge(net: &Network) -> Option<Node> {
    let b = &net.bridge;
    let owns_bridge = net.manages_bridge();
    if !owns_bridge && b.name.is_none() && b.mac_table_manager.is_none() {
        return None;
    }
    let mut node = Node::new("bridge").attr_opt("name", b.name.as_ref()).attr_opt("zone", b.zone.as_ref());
    if owns_bridge {
        node = node.attr("stp", on_off(b.stp)).attr("delay", b.delay);
    }
    Some(node.attr_opt("macTableManager", b.mac_table_manager.map(|m| m.as_str())))
}

fn domain(d: &Domain) -> Node {
    Node::new("domain").attr("name", &d.name).yes_no("localOnly", d.local_only).yes_no("register", d.register)
}

fn dns(d: &Dns) -> Option<Node> {
    if d.enable.is_none() && d.forward_plain_names.is_none() && !d.has_records() {
        return None;
    }
    let node = Node::new("dns")
        .yes_no("enable", d.enable)
        .yes_no("forwardPlainNames", d.forward_plain_names)
        .children(
            d.forwarders
                .iter()
                .map(|f| Node::new("forwarder").attr_opt("domain", f.domain.as_ref()).attr_opt("addr", f.addr)),
        )
        .children(d.txts.iter().map(|t| Node::new("txt").attr("name", &t.name).attr("value", &t.value)))
        .children(d.srvs.iter().map(|s| {
            Node::new("srv")
                .attr("service", &s.service)
                .attr("protocol", &s.protocol)
                .attr_opt("domain", s.domain.as_ref())
                .attr_opt("target", s.target.as_ref())
                .attr_opt("port", s.port)
                .attr_opt("priority", s.priority)
                .attr_opt("weight", s.weight)
        }))
        .children(d.hosts.iter().map(|h| {
            Node::new("host").attr("ip", h.ip).children(h.hostnames.iter().map(|n| Node::text("hostname", n)))
        }));
    Some(node)
}

fn prefix_attrs(node: Node, prefix: Option<PrefixSpec>) -> Node {
    match prefix {
        Some(PrefixSpec::Netmask(mask)) => node.attr("netmask", mask),
        Some(PrefixSpec::Prefix(len)) => node.attr("prefix", len),
        None => node,
    }
}

fn lease(lease: Option<&Lease>) -> Option<Node> {
    lease.map(|l| Node::new("lease").attr("expiry", l.expiry).attr_opt("unit", l.unit.map(|u| u.as_str())))
}

fn ip(ip: &IpDef) -> Node {
    let node = Node { never_self_closing: true, ..Node::new("ip") }
        .attr_opt("family", ip.family.map(|f| f.as_str()))
        .attr_opt("address", ip.address);
    prefix_attrs(node, ip.prefix)
        .yes_no("localPtr", ip.local_ptr)
        .child_opt(ip.tftp_root.as_ref().map(|root| Node::new("tftp").attr("root", root)))
        .child_opt(ip.dhcp.as_ref().map(dhcp))
}

fn dhcp(d: &Dhcp) -> Node {
    Node::new("dhcp")
        .children(
            d.ranges.iter().map(|r| {
                Node::new("range").attr("start", r.start).attr("end", r.end).child_opt(lease(r.lease.as_ref()))
            }),
        )
        .children(d.hosts.iter().map(|h| {
            Node::new("host")
                .attr_opt("mac", h.mac)
                .attr_opt("id", h.id.as_ref())
                .attr_opt("name", h.name.as_ref())
                .attr_opt("ip", h.ip)
                .child_opt(lease(h.lease.as_ref()))
        }))
        .child_opt(
            d.bootp.as_ref().map(|b| Node::new("bootp").attr("file", &b.file).attr_opt("server", b.server.as_ref())),
        )
}

/// One static DHCP host as its `<host>` element (a net-update fragment).
pub(crate) fn dhcp_host_element(h: &crate::model::ip::DhcpHost) -> String {
    let d = Dhcp { hosts: vec![h.clone()], ..Dhcp::default() };
    let mut out = String::new();
    if let Some(node) = dhcp(&d).children.into_iter().next() {
        node.write(&mut out, 0);
    }
    out.trim_end().to_owned()
}

/// One DNS host as its `<host>` element (a net-update fragment).
pub(crate) fn dns_host_element(h: &crate::model::dns::DnsHost) -> String {
    let node = Node::new("host").attr("ip", h.ip).children(h.hostnames.iter().map(|n| Node::text("hostname", n)));
    let mut out = String::new();
    node.write(&mut out, 0);
    out.trim_end().to_owned()
}

fn route(r: &Route) -> Node {
    let node = Node::new("route").attr_opt("family", r.family.map(|f| f.as_str())).attr("address", r.address);
    prefix_attrs(node, r.prefix).attr("gateway", r.gateway).attr_opt("metric", r.metric)
}

fn virtualport(v: &VirtualPort) -> Node {
    let parameters = v.parameters.as_ref().map(|p| {
        Node::new("parameters")
            .attr_opt("managerid", p.managerid)
            .attr_opt("typeid", p.typeid)
            .attr_opt("typeidversion", p.typeidversion)
            .attr_opt("instanceid", p.instanceid)
            .attr_opt("profileid", p.profileid.as_ref())
            .attr_opt("interfaceid", p.interfaceid)
    });
    Node::new("virtualport").attr_opt("type", v.kind.map(|k| k.as_str())).child_opt(parameters)
}

fn vlan(v: &Vlan) -> Node {
    Node::new("vlan").attr_opt("trunk", v.trunk.then_some("yes")).children(
        v.tags
            .iter()
            .map(|t| Node::new("tag").attr("id", t.id).attr_opt("nativeMode", t.native_mode.map(|m| m.as_str()))),
    )
}

fn rate(name: &'static str, r: &Rate) -> Node {
    Node::new(name)
        .attr_opt("average", r.average)
        .attr_opt("peak", r.peak)
        .attr_opt("floor", r.floor)
        .attr_opt("burst", r.burst)
}

fn bandwidth(b: &Bandwidth) -> Node {
    Node::new("bandwidth")
        .attr_opt("classID", b.class_id)
        .child_opt(b.inbound.as_ref().map(|r| rate("inbound", r)))
        .child_opt(b.outbound.as_ref().map(|r| rate("outbound", r)))
}

fn portgroup(pg: &PortGroup) -> Node {
    Node::new("portgroup")
        .attr("name", &pg.name)
        .yes_no("default", pg.default)
        .yes_no("trustGuestRxFilters", pg.trust_guest_rx_filters)
        .child_opt(pg.vlan.as_ref().map(vlan))
        .child_opt(pg.virtualport.as_ref().map(virtualport))
        .child_opt(pg.bandwidth.as_ref().map(bandwidth))
}
