//! The network definition: one struct per element of libvirt's network XML.
//!
//! Fields mirror the XML one to one, `Option` where the XML may leave a value out, so
//! that a definition read and written again says exactly what it said before (plus
//! libvirt's canonical defaults such as `stp='on' delay='0'`).

use std::net::IpAddr;

use uuid::Uuid;

use super::attach::AttachRules;
use super::dns::{Dns, Domain};
use super::extension::PortForward;
use super::forward::{Forward, ForwardMode};
use super::ip::{IpDef, Route};
use super::port::{Bandwidth, PortGroup, VirtualPort, Vlan};
use super::values::{Family, MacAddr};

/// A virtual network as defined in libvirt's network XML.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    pub name: String,
    pub uuid: Option<Uuid>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `<metadata>`: other applications' data, kept verbatim (virtnet's own element is
    /// read into `attach` and `port_forwards`).
    pub metadata: Option<Metadata>,
    /// `<virtnet:attach>`: who may plug VMs in; `None`: polkit alone decides.
    pub attach: Option<AttachRules>,
    /// `<virtnet:portForward>`s: host ports that reach guests (NAT networks).
    pub port_forwards: Vec<PortForward>,
    /// `<network ipv6='yes'>`: guest-to-guest IPv6 on a network without IPv6 addresses.
    pub ipv6: bool,
    pub trust_guest_rx_filters: Option<bool>,
    /// `<network connections='N'>`, written by libvirt into live status; kept if present.
    pub connections: Option<u32>,
    /// `None` is libvirt's forward mode "none": an isolated network.
    pub forward: Option<Forward>,
    pub bridge: Bridge,
    pub mtu: Option<u16>,
    pub mac: Option<MacAddr>,
    pub domain: Option<Domain>,
    pub dns: Option<Dns>,
    pub bandwidth: Option<Bandwidth>,
    pub vlan: Option<Vlan>,
    /// `<port isolated='yes'/>`: guests on this network cannot talk to each other.
    pub port_isolated: Option<bool>,
    pub ips: Vec<IpDef>,
    pub routes: Vec<Route>,
    pub virtualport: Option<VirtualPort>,
    pub portgroups: Vec<PortGroup>,
    /// `<dnsmasq:options><dnsmasq:option value='...'/>`: raw lines for dnsmasq.conf.
    pub dnsmasq_options: Vec<String>,
}

/// The inside of `<metadata>` as written, with the namespace bindings in scope there
/// (they may have been declared on `<network>`), so it stays well-formed on its own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// (prefix, URI); an empty prefix is the default namespace.
    pub namespaces: Vec<(String, String)>,
    pub content: String,
}

/// The plain-words mode of a network, as the GUI and CLI present it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkMode {
    Isolated,
    Forward(ForwardMode),
}

impl NetworkMode {
    /// The word libvirt uses for this mode (`none` for isolated).
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Isolated => "none",
            NetworkMode::Forward(mode) => mode.as_str(),
        }
    }
}

/// `<bridge>`: the Linux bridge that is the network's virtual switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bridge {
    /// Interface name such as `virbr0`; may hold a `%d` template until defined.
    pub name: Option<String>,
    /// firewalld zone for the bridge.
    pub zone: Option<String>,
    /// Spanning tree protocol; libvirt's default is on.
    pub stp: bool,
    /// STP forward delay in seconds.
    pub delay: u64,
    pub mac_table_manager: Option<MacTableManager>,
}

impl Default for Bridge {
    fn default() -> Self {
        Bridge { name: None, zone: None, stp: true, delay: 0, mac_table_manager: None }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacTableManager {
    Kernel,
    Libvirt,
}

impl MacTableManager {
    pub fn as_str(self) -> &'static str {
        match self {
            MacTableManager::Kernel => "kernel",
            MacTableManager::Libvirt => "libvirt",
        }
    }
}

impl std::str::FromStr for MacTableManager {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kernel" => Ok(MacTableManager::Kernel),
            "libvirt" => Ok(MacTableManager::Libvirt),
            _ => Err(format!("'{s}' is not a MAC table manager (kernel or libvirt)")),
        }
    }
}

impl Network {
    pub fn mode(&self) -> NetworkMode {
        match &self.forward {
            None => NetworkMode::Isolated,
            Some(forward) => NetworkMode::Forward(forward.mode),
        }
    }

    /// True for the modes in which the network owns its bridge, addresses, firewall rules
    /// and dnsmasq (none, nat, route, open); false for modes that plug guests into
    /// something that exists outside the network (a host bridge, a physical device).
    pub fn manages_bridge(&self) -> bool {
        match self.mode() {
            NetworkMode::Isolated => true,
            NetworkMode::Forward(mode) => mode.manages_bridge(),
        }
    }

    /// The `<ip>` elements of one family, in document order.
    pub fn ips_of(&self, family: Family) -> impl Iterator<Item = &IpDef> {
        self.ips.iter().filter(move |ip| ip.family() == Some(family))
    }

    /// Is `addr` inside one of the network's subnets?
    pub fn has_subnet_containing(&self, addr: IpAddr) -> bool {
        self.ips.iter().filter_map(IpDef::subnet).any(|net| net.contains(addr))
    }
}

impl Network {
    /// The raw dnsmasq options beyond the safe ones (see
    /// [`SAFE_DNSMASQ_OPTIONS`](super::syntax::SAFE_DNSMASQ_OPTIONS)), by option name.
    pub fn unsafe_dnsmasq_options(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .dnsmasq_options
            .iter()
            .filter(|o| !super::syntax::is_safe_dnsmasq_option(o))
            .map(|o| super::syntax::dnsmasq_option_name(o))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// The file-name stem of a network's dnsmasq files: the name with XML's special
/// characters escaped, as libvirt does (`default"x` → `default&quot;x`); the files are
/// created under that name too, so dnsmasq finds them, and no quote reaches its
/// configuration. Unlike libvirt, the characters dnsmasq's configuration syntax would
/// cut a line at or mangle (white space, `#`, `\\`) are written as `%XX`, and so is `%`
/// in such a name: `lab #2` → `lab%20%232`, whose pid file line dnsmasq reads whole.
pub fn file_stem(name: &str) -> String {
    let mut xml = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '&' => xml.push_str("&amp;"),
            '<' => xml.push_str("&lt;"),
            '>' => xml.push_str("&gt;"),
            '"' => xml.push_str("&quot;"),
            '\'' => xml.push_str("&apos;"),
            c => xml.push(c),
        }
    }
    let cut = |c: char| c.is_whitespace() || c == '#' || c == '\\';
    if !xml.chars().any(cut) {
        return xml;
    }
    let mut safe = String::with_capacity(xml.len() * 2);
    for c in xml.chars() {
        if cut(c) || c == '%' {
            let mut bytes = [0u8; 4];
            for byte in c.encode_utf8(&mut bytes).bytes() {
                safe.push_str(&format!("%{byte:02X}"));
            }
        } else {
            safe.push(c);
        }
    }
    safe
}

#[cfg(test)]
mod stem_tests {
    use super::file_stem;

    #[test]
    fn file_stems_escape_like_libvirt_and_keep_dnsmasq_lines_whole() {
        assert_eq!(file_stem("default\"with\"quotes\""), "default&quot;with&quot;quotes&quot;");
        assert_eq!(file_stem("lab"), "lab");
        assert_eq!(file_stem("100%"), "100%");
        assert_eq!(file_stem("lab #2"), "lab%20%232");
        assert_eq!(file_stem("a\\b 5%"), "a%5Cb%205%25");
    }
}
