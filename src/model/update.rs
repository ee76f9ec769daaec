//! `virsh net-update`'s edits of one section of a definition, with libvirt's numbering
//! (virNetworkUpdateCommand, virNetworkUpdateSection) and libvirt's rules: what must be
//! complete to add or modify, what a delete matches, which duplicates are refused. The
//! result is a new definition, validated like any; the caller applies it live, to the
//! persistent definition, or both.
//!
//! A fragment to add or modify is read by the model's own reader (wrapped in a minimal
//! definition), so it passes the same checks as a whole definition; a fragment to delete
//! may be partial (`<host mac='...'/>`) and is matched on the attributes it has.

use super::dns::{DnsHost, SrvRecord, TxtRecord};
use super::extension::{self, Protocol};
use super::forward::ForwardInterface;
use super::ip::{DhcpHost, DhcpRange, IpDef};
use super::port::PortGroup;
use super::values::Family;
use super::xml::dom::{self, Element};
use super::{MacAddr, Network};

/// virNetworkUpdateCommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Modify = 1,
    Delete = 2,
    AddLast = 3,
    AddFirst = 4,
}

impl Command {
    pub fn from_number(n: u32) -> Option<Command> {
        Some(match n {
            1 => Command::Modify,
            2 => Command::Delete,
            3 => Command::AddLast,
            4 => Command::AddFirst,
            _ => return None,
        })
    }

    /// virsh's word for it.
    pub fn from_word(word: &str) -> Option<Command> {
        Some(match word {
            "modify" => Command::Modify,
            "delete" => Command::Delete,
            "add" | "add-last" => Command::AddLast,
            "add-first" => Command::AddFirst,
            _ => return None,
        })
    }
}

/// virNetworkUpdateSection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Bridge = 1,
    Domain = 2,
    Ip = 3,
    IpDhcpHost = 4,
    IpDhcpRange = 5,
    Forward = 6,
    ForwardInterface = 7,
    ForwardPf = 8,
    Portgroup = 9,
    DnsHost = 10,
    DnsTxt = 11,
    DnsSrv = 12,
    /// virtnet's own: a `<portForward>` (libvirt's numbers end at 12; 100 leaves room
    /// for libvirt's next ones).
    PortForward = 100,
}

const SECTIONS: [(Section, &str); 13] = [
    (Section::Bridge, "bridge"),
    (Section::Domain, "domain"),
    (Section::Ip, "ip"),
    (Section::IpDhcpHost, "ip-dhcp-host"),
    (Section::IpDhcpRange, "ip-dhcp-range"),
    (Section::Forward, "forward"),
    (Section::ForwardInterface, "forward-interface"),
    (Section::ForwardPf, "forward-pf"),
    (Section::Portgroup, "portgroup"),
    (Section::DnsHost, "dns-host"),
    (Section::DnsTxt, "dns-txt"),
    (Section::DnsSrv, "dns-srv"),
    (Section::PortForward, "port-forward"),
];

impl Section {
    pub fn from_number(n: u32) -> Option<Section> {
        SECTIONS.iter().find(|(s, _)| *s as u32 == n).map(|(s, _)| *s)
    }

    pub fn from_word(word: &str) -> Option<Section> {
        SECTIONS.iter().find(|(_, w)| *w == word).map(|(s, _)| *s)
    }

    pub fn word(self) -> &'static str {
        SECTIONS.iter().find(|(s, _)| *s == self).map_or("", |(_, w)| w)
    }

    /// The element a fragment of this section is.
    fn element(self) -> &'static str {
        match self {
            Section::IpDhcpHost | Section::DnsHost => "host",
            Section::IpDhcpRange => "range",
            Section::ForwardInterface => "interface",
            Section::Portgroup => "portgroup",
            Section::DnsTxt => "txt",
            Section::DnsSrv => "srv",
            Section::Bridge => "bridge",
            Section::Domain => "domain",
            Section::Ip => "ip",
            Section::Forward => "forward",
            Section::ForwardPf => "pf",
            Section::PortForward => "portForward",
        }
    }

    /// Whether a running network takes this change without a restart of anything but
    /// dnsmasq's view (host files, configuration) or its firewall table.
    pub fn supported(self) -> bool {
        !matches!(self, Section::Bridge | Section::Domain | Section::Ip | Section::Forward | Section::ForwardPf)
    }
}

/// Applies one `net-update` edit to `network`; the edited definition, validated, or
/// the sentence saying why not.
pub fn apply(
    network: &Network,
    command: Command,
    section: Section,
    parent_index: i32,
    fragment: &str,
) -> Result<Network, String> {
    let name = &network.name;
    if !section.supported() {
        return Err(format!("can't update '{}' section of network '{name}'", section.word()));
    }
    let doc =
        dom::parse(fragment).map_err(|p| format!("the {} XML is not well-formed: {}", section.word(), p.message))?;
    if doc.root.name != section.element() {
        return Err(format!(
            "the XML for the '{}' section must be a <{}> element, not <{}>",
            section.word(),
            section.element(),
            doc.root.name
        ));
    }
    let mut edited = network.clone();
    match section {
        Section::IpDhcpHost => dhcp_host(&mut edited, command, parent_index, fragment, &doc.root)?,
        Section::IpDhcpRange => dhcp_range(&mut edited, command, parent_index, fragment, &doc.root)?,
        Section::ForwardInterface => forward_interface(&mut edited, command, fragment)?,
        Section::Portgroup => portgroup(&mut edited, command, fragment, &doc.root)?,
        Section::DnsHost => dns_host(&mut edited, command, fragment, &doc.root)?,
        Section::DnsTxt => dns_txt(&mut edited, command, fragment, &doc.root)?,
        Section::DnsSrv => dns_srv(&mut edited, command, fragment, &doc.root)?,
        Section::PortForward => port_forward(&mut edited, command, &doc.root)?,
        _ => unreachable_section(section, name)?,
    }
    edited.validate().map_err(|problems| format!("the updated network '{name}' would not be valid:\n{problems}"))?;
    Ok(edited)
}

fn unreachable_section(section: Section, name: &str) -> Result<(), String> {
    Err(format!("can't update '{}' section of network '{name}'", section.word()))
}

/// Reads a fragment with the model's reader, wrapped in a minimal definition.
fn read_wrapped(wrapper: &str, what: &str) -> Result<Network, String> {
    Network::from_xml(wrapper).map_err(|problems| {
        let text: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        format!("the {what} is not valid: {}", text.join("; "))
    })
}

fn insert<T>(list: &mut Vec<T>, command: Command, item: T) {
    if command == Command::AddFirst { list.insert(0, item) } else { list.push(item) }
}

/// Removes the one entry of `list` that `matches`; none is `missing`, several is
/// `ambiguous` (a delete names one entry).
fn remove_one<T>(
    list: &mut Vec<T>,
    matches: impl Fn(&T) -> bool,
    missing: impl FnOnce() -> String,
    ambiguous: impl FnOnce() -> String,
) -> Result<(), String> {
    let found: Vec<usize> = list.iter().enumerate().filter(|(_, item)| matches(item)).map(|(i, _)| i).collect();
    match found.as_slice() {
        [at] => {
            list.remove(*at);
            Ok(())
        }
        [] => Err(missing()),
        _ => Err(ambiguous()),
    }
}

/// The `<dns>` of a fragment read inside one (a DNS host, TXT or SRV record).
fn read_dns(fragment: &str, what: &str) -> Result<super::dns::Dns, String> {
    let wrapper = format!("<network><name>update</name><dns>{fragment}</dns></network>");
    read_wrapped(&wrapper, what)?.dns.ok_or_else(|| format!("the {what} is empty"))
}

/// Adds or modifies an entry of a list whose entries a key names (portgroups and TXT
/// records by name, DNS hosts by address): `at` is where the key already is. Modify
/// needs it there (else `missing`); an add must not find it (else `duplicate`).
fn add_or_modify<T>(
    list: &mut Vec<T>,
    command: Command,
    at: Option<usize>,
    item: T,
    missing: impl FnOnce() -> String,
    duplicate: impl FnOnce() -> String,
) -> Result<(), String> {
    match (command, at) {
        (Command::Modify, Some(at)) => list[at] = item,
        (Command::Modify, None) => return Err(missing()),
        (_, Some(_)) => return Err(duplicate()),
        _ => insert(list, command, item),
    }
    Ok(())
}

/// The IP a DHCP edit applies to: `parent_index`, or (-1) the first of the family.
fn parent_ip(network: &mut Network, parent_index: i32, family: Family) -> Result<&mut IpDef, String> {
    let name = network.name.clone();
    let found = if parent_index >= 0 {
        usize::try_from(parent_index).ok().and_then(|i| network.ips.get_mut(i))
    } else {
        network.ips.iter_mut().find(|ip| ip.family() == Some(family))
    };
    let ip = found.ok_or_else(|| {
        if parent_index >= 0 {
            format!(
                "couldn't update dhcp host entry - no <ip> element found at index {parent_index} in network '{name}'"
            )
        } else {
            format!("couldn't update dhcp host entry - no {} <ip> element found in network '{name}'", family.as_str())
        }
    })?;
    if ip.family() != Some(family) {
        return Err(format!(
            "the address family of a host entry or range ({}) must match that of the <ip> element at index {parent_index} of network '{name}'",
            family.as_str()
        ));
    }
    Ok(ip)
}

fn family_of_fragment(element: &Element, attributes: &[&str]) -> Family {
    let v6 = attributes.iter().filter_map(|a| element.attr(a)).any(|v| v.contains(':') && !v.contains('.'))
        || element.attr("id").is_some();
    if v6 { Family::Ipv6 } else { Family::Ipv4 }
}

fn dhcp_host(
    network: &mut Network,
    command: Command,
    parent_index: i32,
    fragment: &str,
    element: &Element,
) -> Result<(), String> {
    let name = network.name.clone();
    let family = if element.attr("ip").is_some() { family_of_fragment(element, &["ip"]) } else { Family::Ipv4 };
    let family = if element.attr("id").is_some() { Family::Ipv6 } else { family };
    let ip = parent_ip(network, parent_index, family)?;
    let subnet = ip.subnet();
    let dhcp = ip.dhcp.get_or_insert_with(Default::default);
    let describe = |h: &DhcpHost| {
        let mut parts = Vec::new();
        if let Some(mac) = h.mac {
            parts.push(format!("mac='{mac}'"));
        }
        if let Some(id) = &h.id {
            parts.push(format!("id='{id}'"));
        }
        if let Some(n) = &h.name {
            parts.push(format!("name='{n}'"));
        }
        if let Some(ip) = h.ip {
            parts.push(format!("ip='{ip}'"));
        }
        parts.join(" ")
    };
    if command == Command::Delete {
        let wanted = partial_dhcp_host(element)?;
        let matches = |h: &DhcpHost| {
            (wanted.mac.is_none() || h.mac == wanted.mac)
                && (wanted.id.is_none() || h.id == wanted.id)
                && (wanted.name.is_none() || h.name == wanted.name)
                && (wanted.ip.is_none() || h.ip == wanted.ip)
        };
        let Some(at) = dhcp.hosts.iter().position(matches) else {
            return Err(format!(
                "couldn't locate a matching dhcp host entry in network '{name}' ({})",
                describe(&wanted)
            ));
        };
        dhcp.hosts.remove(at);
        return Ok(());
    }
    let (address, prefix) = match subnet {
        Some(s) => (s.ip().to_string(), s.prefix()),
        None => return Err(format!("the <ip> element of network '{name}' has no address for a dhcp host")),
    };
    let family_attr = if family == Family::Ipv6 { " family='ipv6'" } else { "" };
    let wrapper = format!(
        "<network><name>update</name><ip{family_attr} address='{address}' prefix='{prefix}'><dhcp>{fragment}</dhcp></ip></network>"
    );
    let host = read_wrapped(&wrapper, "dhcp host")?
        .ips
        .into_iter()
        .next()
        .and_then(|ip| ip.dhcp)
        .and_then(|d| d.hosts.into_iter().next())
        .ok_or_else(|| "the dhcp host is empty".to_owned())?;
    // Adding or modifying needs a whole entry: an address, and a MAC, id or name.
    if host.ip.is_none() || (host.mac.is_none() && host.id.is_none() && host.name.is_none()) {
        return Err(format!(
            "a dhcp host entry to {} needs ip= and one of mac=, id= or name= ({})",
            if command == Command::Modify { "modify" } else { "add" },
            describe(&host)
        ));
    }
    if command == Command::Modify {
        // The entry with the same MAC (IPv4) or id (IPv6) is replaced.
        let same = |h: &DhcpHost| match (family, host.mac, &host.id) {
            (Family::Ipv4, Some(mac), _) => h.mac == Some(mac),
            (_, _, Some(id)) => h.id.as_ref() == Some(id),
            _ => h.name.is_some() && h.name == host.name,
        };
        let Some(at) = dhcp.hosts.iter().position(same) else {
            return Err(format!(
                "couldn't locate an existing dhcp host entry with \"{}\" in network '{name}'",
                host.mac.map_or_else(|| describe(&host), |m| format!("mac='{m}'"))
            ));
        };
        dhcp.hosts[at] = host;
        return Ok(());
    }
    if let Some(existing) = dhcp.hosts.iter().find(|h| {
        (host.mac.is_some() && h.mac == host.mac)
            || (host.id.is_some() && h.id == host.id)
            || (host.name.is_some() && h.name == host.name)
            || h.ip == host.ip
    }) {
        return Err(format!(
            "there is an existing dhcp host entry in network '{name}' that matches \"<host {}/>\" ({})",
            describe(&host),
            describe(existing)
        ));
    }
    insert(&mut dhcp.hosts, command, host);
    Ok(())
}

/// A dhcp host as a delete names it: any of mac, id, name, ip.
fn partial_dhcp_host(element: &Element) -> Result<DhcpHost, String> {
    let mac = element
        .attr("mac")
        .map(|m| m.parse::<MacAddr>().map_err(|_| format!("'{m}' is not a MAC address")))
        .transpose()?;
    let ip = element.attr("ip").map(|a| a.parse().map_err(|_| format!("'{a}' is not an IP address"))).transpose()?;
    Ok(DhcpHost {
        mac,
        id: element.attr("id").map(str::to_owned),
        name: element.attr("name").map(str::to_owned),
        ip,
        ..DhcpHost::default()
    })
}

fn dhcp_range(
    network: &mut Network,
    command: Command,
    parent_index: i32,
    fragment: &str,
    element: &Element,
) -> Result<(), String> {
    let name = network.name.clone();
    if command == Command::Modify {
        return Err("dhcp ranges cannot be modified, only added or deleted".to_owned());
    }
    let family = family_of_fragment(element, &["start", "end"]);
    let ip = parent_ip(network, parent_index, family)?;
    let subnet = ip.subnet().ok_or_else(|| format!("the <ip> element of network '{name}' has no address"))?;
    let family_attr = if family == Family::Ipv6 { " family='ipv6'" } else { "" };
    let wrapper = format!(
        "<network><name>update</name><ip{family_attr} address='{}' prefix='{}'><dhcp>{fragment}</dhcp></ip></network>",
        subnet.ip(),
        subnet.prefix()
    );
    let range: DhcpRange = read_wrapped(&wrapper, "dhcp range")?
        .ips
        .into_iter()
        .next()
        .and_then(|ip| ip.dhcp)
        .and_then(|d| d.ranges.into_iter().next())
        .ok_or_else(|| "the dhcp range is empty".to_owned())?;
    let dhcp = ip.dhcp.get_or_insert_with(Default::default);
    let same = |r: &DhcpRange| r.start == range.start && r.end == range.end;
    if command == Command::Delete {
        let Some(at) = dhcp.ranges.iter().position(same) else {
            return Err(format!(
                "couldn't locate a matching dhcp range entry in network '{name}' (start='{}' end='{}')",
                range.start, range.end
            ));
        };
        dhcp.ranges.remove(at);
        return Ok(());
    }
    if !subnet.contains(range.start) || !subnet.contains(range.end) {
        return Err(format!(
            "range {} - {} is not entirely within the network {}/{} of network '{name}'",
            range.start,
            range.end,
            subnet.network(),
            subnet.prefix()
        ));
    }
    if dhcp.ranges.iter().any(same) {
        return Err(format!(
            "there is an existing dhcp range entry in network '{name}' that matches \"<range start='{}' end='{}'/>\"",
            range.start, range.end
        ));
    }
    insert(&mut dhcp.ranges, command, range);
    Ok(())
}

fn forward_interface(network: &mut Network, command: Command, fragment: &str) -> Result<(), String> {
    let name = network.name.clone();
    let wrapper = format!("<network><name>update</name><forward mode='nat'>{fragment}</forward></network>");
    let interface: ForwardInterface = read_wrapped(&wrapper, "forward interface")?
        .forward
        .and_then(|f| f.interfaces.into_iter().next())
        .ok_or_else(|| "the forward interface is empty".to_owned())?;
    let forward = network
        .forward
        .as_mut()
        .ok_or_else(|| format!("can't add an <interface> element unless network '{name}' has a <forward> element"))?;
    let at = forward.interfaces.iter().position(|i| i.dev == interface.dev);
    match command {
        Command::Modify => Err("forward interface entries cannot be modified, only added or deleted".to_owned()),
        Command::Delete => {
            let at = at.ok_or_else(|| {
                format!(
                    "couldn't find an interface entry in network '{name}' matching <interface dev='{}'>",
                    interface.dev
                )
            })?;
            forward.interfaces.remove(at);
            Ok(())
        }
        _ if at.is_some() => Err(format!(
            "there is an existing interface entry in network '{name}' that matches \"<interface dev='{}'>\"",
            interface.dev
        )),
        _ => {
            insert(&mut forward.interfaces, command, interface);
            Ok(())
        }
    }
}

fn portgroup(network: &mut Network, command: Command, fragment: &str, element: &Element) -> Result<(), String> {
    let name = network.name.clone();
    let group_name = element.attr("name").unwrap_or_default().to_owned();
    let at = network.portgroups.iter().position(|p| p.name == group_name);
    let missing =
        || format!("couldn't find a portgroup entry in network '{name}' matching <portgroup name='{group_name}'>");
    if command == Command::Delete {
        return remove_one(&mut network.portgroups, |p| p.name == group_name, missing, missing);
    }
    let wrapper = format!("<network><name>update</name>{fragment}</network>");
    let group: PortGroup = read_wrapped(&wrapper, "portgroup")?
        .portgroups
        .into_iter()
        .next()
        .ok_or_else(|| "the portgroup is empty".to_owned())?;
    // Only one portgroup is the default.
    if group.default == Some(true) {
        for other in &mut network.portgroups {
            other.default = None;
        }
    }
    add_or_modify(&mut network.portgroups, command, at, group, missing, || {
        format!(
            "there is an existing portgroup entry in network '{name}' that matches \"<portgroup name='{group_name}'>\""
        )
    })
}

fn dns_host(network: &mut Network, command: Command, fragment: &str, element: &Element) -> Result<(), String> {
    let name = network.name.clone();
    if let Some(bad) = element.attributes.iter().find(|a| a.name != "ip") {
        return Err(format!("unknown attribute '{}' of a dns <host>; it has ip= and <hostname> elements", bad.name));
    }
    let dns = network.dns.get_or_insert_with(Default::default);
    if command == Command::Delete {
        let ip = element
            .attr("ip")
            .map(|a| a.parse::<std::net::IpAddr>().map_err(|_| format!("'{a}' is not an IP address")))
            .transpose()?;
        let hostnames: Vec<&str> = element.children_named("hostname").map(|h| h.text.trim()).collect();
        if ip.is_none() && hostnames.is_empty() {
            return Err("a dns host to delete needs ip= or a <hostname>".to_owned());
        }
        let matches = |h: &DnsHost| {
            ip.is_none_or(|ip| h.ip == ip) && hostnames.iter().all(|n| h.hostnames.iter().any(|m| m == n))
        };
        return remove_one(
            &mut dns.hosts,
            matches,
            || format!("couldn't locate a matching DNS HOST record in network '{name}'"),
            || format!("multiple matching DNS HOST records were found in network '{name}'"),
        );
    }
    let host =
        read_dns(fragment, "dns host")?.hosts.into_iter().next().ok_or_else(|| "the dns host is empty".to_owned())?;
    let at = dns.hosts.iter().position(|h| h.ip == host.ip);
    let ip = host.ip;
    add_or_modify(
        &mut dns.hosts,
        command,
        at,
        host,
        || format!("couldn't locate a matching DNS HOST record in network '{name}' (ip='{ip}')"),
        || format!("there is already at least one DNS HOST record with a matching field in network '{name}'"),
    )
}

fn dns_txt(network: &mut Network, command: Command, fragment: &str, element: &Element) -> Result<(), String> {
    let name = network.name.clone();
    let dns = network.dns.get_or_insert_with(Default::default);
    let txt_name = element.attr("name").unwrap_or_default().to_owned();
    let at = dns.txts.iter().position(|t| t.name == txt_name);
    let missing = || format!("couldn't locate a matching DNS TXT record in network '{name}' (name='{txt_name}')");
    if command == Command::Delete {
        return remove_one(&mut dns.txts, |t| t.name == txt_name, missing, missing);
    }
    let txt: TxtRecord = read_dns(fragment, "dns txt record")?
        .txts
        .into_iter()
        .next()
        .ok_or_else(|| "the dns txt record is empty".to_owned())?;
    add_or_modify(&mut dns.txts, command, at, txt, missing, || {
        format!("there is already a DNS TXT record with name '{txt_name}' in network '{name}'")
    })
}

fn dns_srv(network: &mut Network, command: Command, fragment: &str, element: &Element) -> Result<(), String> {
    let name = network.name.clone();
    if let Some(protocol) = element.attr("protocol")
        && protocol != "tcp"
        && protocol != "udp"
    {
        return Err(format!("invalid protocol '{protocol}' of a DNS SRV record; it is tcp or udp"));
    }
    let dns = network.dns.get_or_insert_with(Default::default);
    let field = |key: &str| element.attr(key).map(str::to_owned);
    let number = |key: &str| -> Result<Option<u16>, String> {
        element.attr(key).map(|v| v.parse().map_err(|_| format!("{key}='{v}' is not a number 0-65535"))).transpose()
    };
    let (port, priority, weight) = (number("port")?, number("priority")?, number("weight")?);
    let matches = |s: &SrvRecord| {
        field("service").is_none_or(|v| s.service == v)
            && field("protocol").is_none_or(|v| s.protocol == v)
            && field("domain").is_none_or(|v| s.domain.as_deref() == Some(v.as_str()))
            && field("target").is_none_or(|v| s.target.as_deref() == Some(v.as_str()))
            && port.is_none_or(|v| s.port == Some(v))
            && priority.is_none_or(|v| s.priority == Some(v))
            && weight.is_none_or(|v| s.weight == Some(v))
    };
    match command {
        Command::Delete => remove_one(
            &mut dns.srvs,
            matches,
            || format!("couldn't locate a matching DNS SRV record in network '{name}'"),
            || format!("multiple DNS SRV records match in network '{name}': name more of its fields"),
        ),
        Command::Modify => Err("DNS SRV records cannot be modified, only added or deleted".to_owned()),
        _ => {
            let srv = read_dns(fragment, "dns srv record")?
                .srvs
                .into_iter()
                .next()
                .ok_or_else(|| "the dns srv record is empty".to_owned())?;
            if dns.srvs.iter().any(matches) {
                return Err(format!(
                    "there is already at least one DNS SRV record matching all specified fields in network '{name}'"
                ));
            }
            insert(&mut dns.srvs, command, srv);
            Ok(())
        }
    }
}

/// A port forward is named by its protocol, host port and (if it has one) host address;
/// a delete may give only those.
fn port_forward(network: &mut Network, command: Command, element: &Element) -> Result<(), String> {
    let name = network.name.clone();
    if element.namespace.as_deref().is_some_and(|ns| ns != extension::NAMESPACE) {
        return Err(format!(
            "the <portForward> element is in namespace '{}'; write it without a namespace or in virtnet's",
            element.namespace.as_deref().unwrap_or_default()
        ));
    }
    let protocol = match element.attr("proto") {
        Some(word) => Protocol::from_word(word)
            .ok_or_else(|| format!("proto: '{word}' is not a protocol; use tcp, udp or both"))?,
        None => return Err("a port forward needs proto= (tcp, udp or both)".to_owned()),
    };
    let start = element
        .children_named("range")
        .next()
        .and_then(|r| r.attr("start"))
        .ok_or_else(|| "a port forward needs <range start='PORT'/>".to_owned())?;
    let start: u16 = start.trim().parse().map_err(|_| format!("start: '{start}' is not a port number (1 to 65535)"))?;
    let address = element
        .attr("address")
        .map(|a| a.trim().parse::<std::net::IpAddr>().map_err(|_| format!("address: '{a}' is not an IP address")))
        .transpose()?;
    let shown = |address: Option<std::net::IpAddr>| match address {
        Some(a) => format!("{start}/{protocol} on {a}"),
        None => format!("{start}/{protocol}"),
    };
    let missing = || format!("couldn't find a port forward of host port {} in network '{name}'", shown(address));
    if command == Command::Delete {
        return remove_one(
            &mut network.port_forwards,
            |f| f.protocol == protocol && f.start == start && (address.is_none() || f.address == address),
            missing,
            || format!("several port forwards of host port {start}/{protocol} in network '{name}': give address= too"),
        );
    }
    let mut problems = Vec::new();
    let forward = extension::read_port_forward(element, "portForward", &mut problems).ok_or_else(|| {
        let text: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        format!("the port forward is not valid: {}", text.join("; "))
    })?;
    let at =
        network.port_forwards.iter().position(|f| f.protocol == protocol && f.start == start && f.address == address);
    add_or_modify(&mut network.port_forwards, command, at, forward, missing, || {
        format!("there is already a port forward of host port {} in network '{name}'", shown(address))
    })
}

/// Whether a running network must restart its dnsmasq for this section (its
/// configuration changes), or only reread its host files (SIGHUP), or change its
/// firewall table; portgroups change nothing that runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveEffect {
    /// dnsmasq rereads its hosts files (SIGHUP): static DHCP hosts, DNS hosts.
    Reread,
    /// dnsmasq restarts with its leases kept: ranges, TXT and SRV records.
    RestartDnsmasq,
    /// The network's firewall table is replaced.
    Firewall,
    Nothing,
}

impl Section {
    pub fn live_effect(self) -> LiveEffect {
        match self {
            Section::IpDhcpHost | Section::DnsHost => LiveEffect::Reread,
            Section::IpDhcpRange | Section::DnsTxt | Section::DnsSrv => LiveEffect::RestartDnsmasq,
            Section::ForwardInterface | Section::PortForward => LiveEffect::Firewall,
            _ => LiveEffect::Nothing,
        }
    }
}

/// One Update call: (command, section, parent index, fragment).
pub type Edit = (Command, Section, i32, String);

/// The Updates that turn `original` into `edited` when they differ only in what a
/// running network takes live (static DHCP hosts, DNS hosts); `None` when anything else
/// differs. The edits are checked: applied in turn to `original` they give `edited`.
pub fn live_edits(original: &Network, edited: &Network) -> Option<Vec<Edit>> {
    if original == edited {
        return Some(Vec::new());
    }
    let mut edits = Vec::new();
    if original.ips.len() != edited.ips.len() {
        return None;
    }
    for (index, (before, after)) in original.ips.iter().zip(&edited.ips).enumerate() {
        let hosts = |ip: &IpDef| ip.dhcp.as_ref().map(|d| d.hosts.clone()).unwrap_or_default();
        let (old, new) = (hosts(before), hosts(after));
        let index = i32::try_from(index).ok()?;
        // A host whose MAC (or DUID) stays is modified in place; the others go or come.
        let same_guest =
            |a: &DhcpHost, b: &DhcpHost| (a.mac.is_some() && a.mac == b.mac) || (a.id.is_some() && a.id == b.id);
        let changed = |h: &DhcpHost| !new.contains(h);
        for host in old.iter().filter(|h| changed(h)) {
            if !new.iter().any(|n| !old.contains(n) && same_guest(n, host)) {
                edits.push((Command::Delete, Section::IpDhcpHost, index, super::xml::write::dhcp_host_element(host)));
            }
        }
        for host in new.iter().filter(|h| !old.contains(h)) {
            let command =
                if old.iter().any(|o| changed(o) && same_guest(o, host)) { Command::Modify } else { Command::AddLast };
            edits.push((command, Section::IpDhcpHost, index, super::xml::write::dhcp_host_element(host)));
        }
    }
    let dns_hosts = |n: &Network| n.dns.as_ref().map(|d| d.hosts.clone()).unwrap_or_default();
    let (old, new) = (dns_hosts(original), dns_hosts(edited));
    for host in old.iter().filter(|h| !new.contains(h)) {
        edits.push((Command::Delete, Section::DnsHost, -1, super::xml::write::dns_host_element(host)));
    }
    for host in new.iter().filter(|h| !old.contains(h)) {
        edits.push((Command::AddLast, Section::DnsHost, -1, super::xml::write::dns_host_element(host)));
    }
    let (old, new) = (&original.port_forwards, &edited.port_forwards);
    for forward in old.iter().filter(|f| !new.contains(f)) {
        edits.push((Command::Delete, Section::PortForward, -1, extension::fragment(forward)));
    }
    for forward in new.iter().filter(|f| !old.contains(f)) {
        edits.push((Command::AddLast, Section::PortForward, -1, extension::fragment(forward)));
    }
    // Whatever else changed (or an order the edits cannot give) needs a define.
    let mut applied = original.clone();
    for (command, section, index, fragment) in &edits {
        applied = apply(&applied, *command, *section, *index, fragment).ok()?;
    }
    (applied == *edited).then_some(edits)
}

/// The `<host>` fragment of an `ip-dhcp-host` update that reserves `ip` for a guest
/// (its MAC for IPv4, its DUID as `id` for IPv6), with its name if it gave a usable one.
pub fn reservation(mac: &str, duid: &str, name: &str, ip: std::net::IpAddr) -> String {
    let escape = |text: &str| quick_xml::escape::escape(text).into_owned();
    let mut xml = String::from("<host");
    if ip.is_ipv6() {
        xml.push_str(&format!(" id='{}'", escape(duid)));
    } else {
        xml.push_str(&format!(" mac='{}'", escape(mac)));
    }
    if !name.is_empty() && super::syntax::dns_name(name).is_ok() {
        xml.push_str(&format!(" name='{}'", escape(name)));
    }
    xml.push_str(&format!(" ip='{ip}'/>"));
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_is_a_host_the_update_takes() {
        let base = Network::from_xml(
            "<network><name>n</name><ip address='10.1.0.1' prefix='24'><dhcp><range start='10.1.0.10' end='10.1.0.20'/></dhcp></ip></network>",
        )
        .unwrap();
        let ip = "10.1.0.12".parse().unwrap();
        let xml = reservation("52:54:00:12:34:56", "", "web", ip);
        assert_eq!(xml, "<host mac='52:54:00:12:34:56' name='web' ip='10.1.0.12'/>");
        let edited = apply(&base, Command::AddLast, Section::IpDhcpHost, -1, &xml).unwrap();
        assert_eq!(edited.ips[0].dhcp.as_ref().unwrap().hosts.len(), 1);
        // A name a guest made up that is no host name is left out, never written.
        assert_eq!(reservation("52:54:00:12:34:56", "", "a'b", ip), "<host mac='52:54:00:12:34:56' ip='10.1.0.12'/>");
    }

    #[test]
    fn form_edits_of_static_and_dns_hosts_become_live_updates() {
        let base = Network::from_xml(
            "<network><name>n</name><dns><host ip='10.1.0.5'><hostname>old</hostname></host></dns><ip address='10.1.0.1' prefix='24'><dhcp><range start='10.1.0.10' end='10.1.0.20'/><host mac='52:54:00:00:00:01' name='a' ip='10.1.0.30'/></dhcp></ip></network>",
        )
        .unwrap();
        let mut edited = base.clone();
        let dhcp = edited.ips[0].dhcp.as_mut().unwrap();
        dhcp.hosts[0].ip = Some("10.1.0.31".parse().unwrap());
        dhcp.hosts.push(DhcpHost {
            mac: Some("52:54:00:00:00:02".parse().unwrap()),
            ip: Some("10.1.0.32".parse().unwrap()),
            ..DhcpHost::default()
        });
        edited.dns.as_mut().unwrap().hosts[0].hostnames = vec!["new".into()];
        let edits = live_edits(&base, &edited).unwrap();
        assert_eq!(edits.len(), 4, "{edits:?}");
        assert_eq!(
            edits[0],
            (
                Command::Modify,
                Section::IpDhcpHost,
                0,
                "<host mac='52:54:00:00:00:01' name='a' ip='10.1.0.31'/>".to_owned()
            )
        );
        // Anything else needs a define.
        let mut renamed = edited.clone();
        renamed.mtu = Some(9000);
        assert_eq!(live_edits(&base, &renamed), None);
        assert_eq!(live_edits(&base, &base), Some(Vec::new()));
    }
}
