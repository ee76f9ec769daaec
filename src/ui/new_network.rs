//! What the new-network wizard builds, page by page: the user's choices turned into a
//! network definition, each field checked by the model as it is typed. Pure logic,
//! tested without a display; `wizard` shows it.
//!
//! The definition being built is the one source of truth: every page reads its fields
//! from it when shown, so an edit of the XML on the last page is seen on the others.

use std::net::IpAddr;

use gettextrs::gettext;
use ipnetwork::IpNetwork;
use uuid::Uuid;

use crate::dbus::ErrorKind;
use crate::model::forward::ForwardMode;
use crate::model::values::Family;
use crate::model::{IpDef, Network};
use crate::ui::edit::{EditSession, Field};

/// The wizard's pages, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Page {
    NameAndMode,
    Forward,
    Addresses,
    Dns,
    Review,
}

impl Page {
    pub const ALL: [Page; 5] = [Page::NameAndMode, Page::Forward, Page::Addresses, Page::Dns, Page::Review];

    /// The stack page's name.
    pub fn id(self) -> &'static str {
        match self {
            Page::NameAndMode => "mode",
            Page::Forward => "forward",
            Page::Addresses => "addresses",
            Page::Dns => "dns",
            Page::Review => "review",
        }
    }

    pub fn title(self) -> String {
        match self {
            Page::NameAndMode => gettext("Name and Kind"),
            Page::Forward => gettext("Connection to the Outside"),
            Page::Addresses => gettext("Addresses"),
            Page::Dns => gettext("Names (DNS)"),
            Page::Review => gettext("Review"),
        }
    }
}

/// The four kinds of network the wizard makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Nat,
    Routed,
    Isolated,
    Open,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Nat, Mode::Routed, Mode::Isolated, Mode::Open];

    pub fn forward_mode(self) -> Option<ForwardMode> {
        match self {
            Mode::Nat => Some(ForwardMode::Nat),
            Mode::Routed => Some(ForwardMode::Route),
            Mode::Isolated => None,
            Mode::Open => Some(ForwardMode::Open),
        }
    }

    pub fn title(self) -> String {
        match self {
            Mode::Nat => gettext("NAT"),
            Mode::Routed => gettext("Routed"),
            Mode::Isolated => gettext("Isolated"),
            Mode::Open => gettext("Open"),
        }
    }

    /// One plain sentence of what the mode does (the seed's scenarios).
    pub fn description(self) -> String {
        match self {
            Mode::Nat => {
                gettext("Guests reach the outside through this computer's address; nothing outside can reach them.")
            }
            Mode::Routed => gettext(
                "Guests have their own subnet that the outside can reach, once your router knows the way to it.",
            ),
            Mode::Isolated => gettext("Guests reach each other and this computer only, never the outside."),
            Mode::Open => gettext("Like routed, but virtnet adds no firewall rules: you manage them yourself."),
        }
    }

    /// Does the network reach the outside (and so get the forward page)?
    pub fn forwards(self) -> bool {
        matches!(self, Mode::Nat | Mode::Routed)
    }
}

/// The first of `network`, `network1`, `network2`, ... that no network is called.
pub fn first_free_name(taken: &[String]) -> String {
    std::iter::once("network".to_owned())
        .chain((1..).map(|n| format!("network{n}")))
        .find(|candidate| !taken.iter().any(|t| t == candidate))
        .unwrap_or_default()
}

/// The host's address in a subnet: its first usable one, as libvirt's default network has.
pub fn host_address(subnet: &IpNetwork) -> Option<IpAddr> {
    match subnet {
        IpNetwork::V4(v4) if v4.prefix() <= 30 => Some(IpAddr::V4((u32::from(v4.network()) + 1).into())),
        IpNetwork::V6(v6) if v6.prefix() <= 126 => Some(IpAddr::V6((u128::from(v6.network()) + 1).into())),
        _ => None,
    }
}

/// The route the LAN's router needs for a routed network: `SUBNET via HOST`.
pub fn route_for_router(subnet: &IpNetwork, via: Option<IpAddr>) -> String {
    let via = via.map_or_else(|| gettext("THIS-COMPUTER'S-ADDRESS"), |ip| ip.to_string());
    format!("{} via {via}", crate::model::subnet::display(subnet))
}

/// The choices so far, and what is wrong with them.
#[derive(Clone, Debug)]
pub struct NewNetwork {
    session: EditSession,
    mode: Mode,
    taken: Vec<String>,
    /// The UUIDs networks already have, with their names: XML edited on the review page
    /// must not carry one, or Create would redefine that network (and a failed start
    /// would then remove it).
    taken_uuids: Vec<(Uuid, String)>,
    /// Text of the network fields that does not parse, by family.
    unparsed: Vec<(Family, String)>,
    /// The domain follows the name until it is edited.
    domain_follows_name: bool,
    /// "Answer only locally", kept across domain edits (an emptied domain loses it).
    local_only: bool,
    suggested_ipv6: Option<IpNetwork>,
}

impl NewNetwork {
    /// A NAT network with the first free name and, if the helper suggested one, a free
    /// IPv4 subnet with DHCP over it.
    pub fn new(taken: Vec<String>, suggested_ipv4: Option<IpNetwork>, suggested_ipv6: Option<IpNetwork>) -> Self {
        let name = first_free_name(&taken);
        let definition = Network { name: name.clone(), ..Network::default() };
        let mut new = NewNetwork {
            session: EditSession::new(definition),
            mode: Mode::Nat,
            taken,
            taken_uuids: Vec::new(),
            unparsed: Vec::new(),
            domain_follows_name: true,
            local_only: true,
            suggested_ipv6,
        };
        new.set_mode(Mode::Nat);
        new.set_domain_text(&name);
        new.suggest(suggested_ipv4, suggested_ipv6);
        new
    }

    /// The networks that exist (UUID, name), whose UUIDs a new network must not reuse.
    pub fn set_existing(&mut self, networks: Vec<(Uuid, String)>) {
        self.taken_uuids = networks;
    }

    pub fn definition(&self) -> &Network {
        self.session.edited()
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The pages this mode goes through (the forward page only when it reaches out).
    pub fn pages(&self) -> Vec<Page> {
        Page::ALL.into_iter().filter(|p| *p != Page::Forward || self.mode.forwards()).collect()
    }

    pub fn set_name(&mut self, name: &str) {
        self.session.set_text(Field::Name, name);
        if self.domain_follows_name {
            self.set_domain_text(name);
        }
    }

    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
        self.session.set_mode(mode.forward_mode());
    }

    /// The uplink: `None` for any interface.
    pub fn set_forward_dev(&mut self, dev: Option<&str>) {
        self.session.set_text(Field::ForwardDev, dev.unwrap_or(""));
    }

    pub fn forward_dev(&self) -> Option<&str> {
        let forward = self.definition().forward.as_ref()?;
        forward.interfaces.first().map(|i| i.dev.as_str())
    }

    fn ip(&self, family: Family) -> Option<&IpDef> {
        self.definition().ips.iter().find(|ip| ip.family() == Some(family))
    }

    /// The subnet of a family, as it stands.
    pub fn subnet(&self, family: Family) -> Option<IpNetwork> {
        self.ip(family).and_then(IpDef::subnet)
    }

    /// The network field's text: the subnet in CIDR form, written from its network address.
    pub fn network_text(&self, family: Family) -> String {
        self.subnet(family).map(|s| crate::model::subnet::display(&s)).unwrap_or_default()
    }

    /// Sets a family's network from CIDR text (`192.168.100.0/24`); the host takes its
    /// first address, and a DHCP range is laid over the new subnet.
    pub fn set_network(&mut self, family: Family, text: &str) {
        self.unparsed.retain(|(f, _)| *f != family);
        let text = text.trim();
        let example = match family {
            Family::Ipv4 => "192.168.100.0/24",
            Family::Ipv6 => "fd00:1::/64",
        };
        // Without a prefix, ipnetwork would read a single address (/32 or /128).
        let parsed = if text.contains('/') { text.parse::<IpNetwork>().map_err(|_| true) } else { Err(false) };
        let why = match parsed {
            Err(false) => Some(
                gettext("'{text}' has no prefix length; write the network as {example}")
                    .replace("{text}", text)
                    .replace("{example}", example),
            ),
            Err(true) => Some(
                gettext("'{text}' is not a network such as {example}")
                    .replace("{text}", text)
                    .replace("{example}", example),
            ),
            Ok(net) if Family::of(&net.ip()) != family => Some(
                gettext("'{text}' is not an {family} network")
                    .replace("{text}", text)
                    .replace("{family}", &family.to_string()),
            ),
            Ok(net) => match IpNetwork::new(net.network(), net.prefix()).ok().as_ref().and_then(host_address) {
                None => Some(
                    gettext("/{prefix} leaves no room for guests; use a shorter prefix such as {example}")
                        .replace("{prefix}", &net.prefix().to_string())
                        .replace("{example}", example),
                ),
                Some(host) => {
                    let dhcp = self.ip(family).is_some_and(IpDef::has_dhcp);
                    self.session.set_text(Field::Subnet(family), &format!("{host}/{}", net.prefix()));
                    if dhcp {
                        // A new subnet gets a new range over it.
                        self.session.set_dhcp(family, false);
                        self.session.set_dhcp(family, true);
                    }
                    None
                }
            },
        };
        if let Some(why) = why {
            self.unparsed.push((family, why));
        }
    }

    /// The host's address in a family's subnet, for display.
    pub fn host_text(&self, family: Family) -> String {
        self.ip(family).and_then(|ip| ip.address).map(|a| a.to_string()).unwrap_or_default()
    }

    pub fn dhcp(&self, family: Family) -> bool {
        self.ip(family).is_some_and(|ip| ip.dhcp.as_ref().is_some_and(|d| !d.ranges.is_empty()))
    }

    pub fn set_dhcp(&mut self, family: Family, on: bool) {
        if self.ip(family).is_some() {
            self.session.set_dhcp(family, on);
        }
    }

    /// The DHCP range's ends as text.
    pub fn range(&self, family: Family) -> (String, String) {
        let range = self.ip(family).and_then(|ip| ip.dhcp.as_ref()).and_then(|d| d.ranges.first());
        range.map(|r| (r.start.to_string(), r.end.to_string())).unwrap_or_default()
    }

    pub fn set_range_start(&mut self, family: Family, text: &str) {
        self.session.set_text(Field::DhcpStart(family), text);
    }

    pub fn set_range_end(&mut self, family: Family, text: &str) {
        self.session.set_text(Field::DhcpEnd(family), text);
    }

    pub fn ipv6(&self) -> bool {
        self.ip(Family::Ipv6).is_some()
    }

    /// Turns IPv6 on with the suggested unique local /64 (router advertisements, and
    /// DHCPv6 if `dhcp`), or off.
    pub fn set_ipv6(&mut self, on: bool) {
        self.unparsed.retain(|(f, _)| *f != Family::Ipv6);
        if !on {
            self.session.set_text(Field::Subnet(Family::Ipv6), "");
            return;
        }
        if self.ipv6() {
            return;
        }
        // Without the helper's suggestion (it could not be asked), a fixed unique local one.
        let subnet =
            self.suggested_ipv6.map_or_else(|| "fd00:0:0:1::/64".to_owned(), |s| crate::model::subnet::display(&s));
        self.set_network(Family::Ipv6, &subnet);
    }

    pub fn add_host(&mut self, mac: &str, ip: &str, name: &str) -> Result<(), String> {
        self.session.add_host(Family::Ipv4, mac, ip, name)
    }

    pub fn remove_host(&mut self, index: usize) {
        self.session.remove_host(Family::Ipv4, index);
    }

    /// The static hosts (IPv4) as (title, subtitle) for the list.
    pub fn hosts(&self) -> Vec<(String, String)> {
        let hosts = self.ip(Family::Ipv4).and_then(|ip| ip.dhcp.as_ref()).map(|d| d.hosts.as_slice()).unwrap_or(&[]);
        hosts
            .iter()
            .map(|h| {
                let ip = h.ip.map(|a| a.to_string()).unwrap_or_default();
                let title = h.name.clone().map_or_else(|| ip.clone(), |n| format!("{n} · {ip}"));
                (title, h.mac.map(|m| m.to_string()).unwrap_or_default())
            })
            .collect()
    }

    pub fn domain(&self) -> String {
        self.definition().domain.as_ref().map(|d| d.name.clone()).unwrap_or_default()
    }

    pub fn set_domain(&mut self, text: &str) {
        self.domain_follows_name = false;
        self.set_domain_text(text);
    }

    fn set_domain_text(&mut self, text: &str) {
        self.session.set_text(Field::Domain, text);
        self.session.set_local_only(self.local_only);
    }

    /// "Answer only locally" as chosen (it applies whenever there is a domain).
    pub fn local_only(&self) -> bool {
        self.local_only
    }

    pub fn set_local_only(&mut self, on: bool) {
        self.local_only = on;
        self.session.set_local_only(on);
    }

    pub fn add_dns_host(&mut self, ip: &str, name: &str) -> Result<(), String> {
        if name.trim().is_empty() {
            return Err(gettext("give the host a name"));
        }
        self.session.add_dns_host(ip, name)
    }

    pub fn remove_dns_host(&mut self, index: usize) {
        self.session.remove_dns_name(index);
    }

    /// The DNS host records, one per name, as (name, address).
    pub fn dns_hosts(&self) -> Vec<(String, String)> {
        let hosts = self.definition().dns.iter().flat_map(|d| &d.hosts);
        hosts.flat_map(|h| h.hostnames.iter().map(move |n| (n.clone(), h.ip.to_string()))).collect()
    }

    /// Replaces the definition with edited XML (the review page).
    pub fn set_xml(&mut self, xml: &str) {
        self.session.set_text(Field::Xml, xml);
        if self.session.error(Field::Xml).is_none() {
            self.mode = match self.definition().forward.as_ref().map(|f| f.mode) {
                Some(ForwardMode::Nat) => Mode::Nat,
                Some(ForwardMode::Route) => Mode::Routed,
                Some(ForwardMode::Open) => Mode::Open,
                _ => Mode::Isolated,
            };
            self.unparsed.clear();
            self.domain_follows_name = false;
            self.local_only = self.definition().domain.as_ref().and_then(|d| d.local_only) == Some(true);
        }
    }

    pub fn xml(&self) -> String {
        self.session.xml()
    }

    /// What to show at a field.
    pub fn error(&self, field: Field) -> Option<String> {
        if let Field::Subnet(family) = field
            && let Some((_, why)) = self.unparsed.iter().find(|(f, _)| *f == family)
        {
            return Some(why.clone());
        }
        if field == Field::Name && self.taken.iter().any(|t| *t == self.definition().name) {
            return Some(
                gettext("a network called '{name}' already exists").replace("{name}", &self.definition().name),
            );
        }
        if field == Field::Name && self.definition().name.is_empty() {
            return Some(gettext("give the network a name"));
        }
        self.session.error(field)
    }

    /// Everything that stops the network from being created, for the review page.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self.unparsed.iter().map(|(_, why)| why.clone()).collect();
        problems.extend(self.error(Field::Name).filter(|_| self.session.error(Field::Name).is_none()));
        problems.extend(self.session.all_problems());
        problems.extend(self.addresses_missing());
        let uuid = self.definition().uuid;
        if let Some((uuid, name)) = self.taken_uuids.iter().find(|(taken, _)| Some(*taken) == uuid) {
            problems.push(
                gettext("uuid: network '{name}' already has {uuid}; remove the <uuid> line and the new network gets its own")
                    .replace("{name}", name)
                    .replace("{uuid}", &uuid.to_string()),
            );
        }
        problems
    }

    /// What the helper suggested, once it answered: the IPv4 subnet is taken if none
    /// was chosen yet, the IPv6 one when IPv6 is turned on.
    pub fn suggest(&mut self, ipv4: Option<IpNetwork>, ipv6: Option<IpNetwork>) {
        self.suggested_ipv6 = ipv6;
        if let Some(subnet) = ipv4
            && self.subnet(Family::Ipv4).is_none()
            && !self.unparsed.iter().any(|(f, _)| *f == Family::Ipv4)
        {
            self.set_network(Family::Ipv4, &crate::model::subnet::display(&subnet));
            self.set_dhcp(Family::Ipv4, true);
        }
    }

    /// The fields each page shows.
    fn fields(page: Page) -> Vec<Field> {
        match page {
            Page::NameAndMode => vec![Field::Name],
            Page::Forward => vec![Field::ForwardDev],
            Page::Addresses => [Family::Ipv4, Family::Ipv6]
                .into_iter()
                .flat_map(|f| [Field::Subnet(f), Field::DhcpStart(f), Field::DhcpEnd(f)])
                .collect(),
            Page::Dns => vec![Field::Domain],
            Page::Review => vec![Field::Xml],
        }
    }

    /// Problems of the definition that belong to no field (static hosts, host records,
    /// what the XML says), for the page they concern.
    pub fn other_problems(&self, page: Page) -> Vec<String> {
        let problems = self.session.other_problems();
        let on_page = |p: &String| {
            let dns = p.starts_with("dns") || p.starts_with("domain");
            match page {
                Page::Addresses => p.starts_with("ip"),
                Page::Dns => dns,
                Page::NameAndMode | Page::Forward | Page::Review => false,
            }
        };
        problems.into_iter().filter(on_page).collect()
    }

    /// May the user go on from this page? On the last: may the network be created?
    pub fn page_is_valid(&self, page: Page) -> bool {
        match page {
            Page::Review => self.problems().is_empty(),
            Page::Addresses => {
                Self::fields(page).into_iter().all(|f| self.error(f).is_none())
                    && self.other_problems(page).is_empty()
                    && self.subnet(Family::Ipv4).or(self.subnet(Family::Ipv6)).is_some()
            }
            _ => {
                Self::fields(page).into_iter().all(|f| self.error(f).is_none()) && self.other_problems(page).is_empty()
            }
        }
    }

    /// Why the addresses page cannot go on when no field says it.
    pub fn addresses_missing(&self) -> Option<String> {
        (self.subnet(Family::Ipv4).is_none() && self.subnet(Family::Ipv6).is_none() && self.unparsed.is_empty())
            .then(|| gettext("a network needs an IPv4 or IPv6 subnet"))
    }

    /// The plan in words, for the review page.
    pub fn summary(&self) -> Vec<String> {
        let net = self.definition();
        let kind = match self.mode {
            Mode::Nat => gettext("“{name}”, a NAT network."),
            Mode::Routed => gettext("“{name}”, a routed network."),
            Mode::Isolated => gettext("“{name}”, an isolated network."),
            Mode::Open => gettext("“{name}”, an open network (virtnet adds no firewall rules)."),
        };
        let mut lines = vec![kind.replace("{name}", &net.name)];
        if self.mode.forwards() {
            lines.push(match self.forward_dev() {
                Some(dev) => gettext("It reaches the outside through {dev} only.").replace("{dev}", dev),
                None => gettext("It reaches the outside through any of this computer's interfaces."),
            });
        }
        for family in [Family::Ipv4, Family::Ipv6] {
            let Some(subnet) = self.subnet(family) else { continue };
            let mut line = gettext("{family} subnet {subnet}, this computer at {host}")
                .replace("{family}", &family.to_string())
                .replace("{subnet}", &crate::model::subnet::display(&subnet))
                .replace("{host}", &self.host_text(family));
            line.push_str(&if self.dhcp(family) {
                let (start, end) = self.range(family);
                gettext("; DHCP hands out {start} to {end}.").replace("{start}", &start).replace("{end}", &end)
            } else if family == Family::Ipv6 {
                gettext("; guests configure themselves from router advertisements.")
            } else {
                gettext("; no DHCP.")
            });
            lines.push(line);
        }
        let hosts = self.hosts().len();
        if hosts > 0 {
            lines.push(
                gettextrs::ngettext(
                    "{n} guest always gets the same address.",
                    "{n} guests always get the same address.",
                    hosts as u32,
                )
                .replace("{n}", &hosts.to_string()),
            );
        }
        let domain = self.domain();
        if !domain.is_empty() {
            lines.push(if self.local_only() {
                gettext("Guests are found by name under {domain}, answered here only.").replace("{domain}", &domain)
            } else {
                gettext("Guests are found by name under {domain}.").replace("{domain}", &domain)
            });
        }
        lines
    }
}

/// The page to go back to when the helper refused the network: the one of the field
/// its error concerns.
pub fn page_of_error(kind: ErrorKind) -> Page {
    match kind {
        ErrorKind::SubnetInUse => Page::Addresses,
        ErrorKind::NameInUse => Page::NameAndMode,
        _ => Page::Review,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Option<IpNetwork> {
        Some(s.parse().unwrap())
    }

    fn fresh() -> NewNetwork {
        NewNetwork::new(vec!["default".into()], v4("192.168.123.0/24"), v4("fd12:3456:789a:1::/64"))
    }

    #[test]
    fn names_count_up_from_network() {
        assert_eq!(first_free_name(&[]), "network");
        assert_eq!(first_free_name(&["network".into(), "network1".into(), "network3".into()]), "network2");
    }

    #[test]
    fn a_fresh_wizard_is_a_valid_nat_network_on_the_suggested_subnet() {
        let new = fresh();
        assert_eq!(new.definition().name, "network");
        assert_eq!(new.network_text(Family::Ipv4), "192.168.123.0/24");
        assert_eq!(new.host_text(Family::Ipv4), "192.168.123.1");
        assert_eq!(new.range(Family::Ipv4), ("192.168.123.2".into(), "192.168.123.254".into()));
        assert_eq!(new.domain(), "network");
        assert!(new.pages().contains(&Page::Forward));
        assert_eq!(new.summary()[0], "“network”, a NAT network.");
        for page in Page::ALL {
            assert!(new.page_is_valid(page), "{page:?}: {:?}", new.error(Field::Name));
        }
    }

    #[test]
    fn the_range_follows_the_subnet_and_errors_name_the_field() {
        let mut new = fresh();
        new.set_network(Family::Ipv4, "10.8.0.0/16");
        assert_eq!(new.range(Family::Ipv4), ("10.8.0.2".into(), "10.8.255.254".into()));
        assert_eq!(new.host_text(Family::Ipv4), "10.8.0.1");
        new.set_network(Family::Ipv4, "10.8.0.0");
        assert_eq!(
            new.error(Field::Subnet(Family::Ipv4)).as_deref(),
            Some("'10.8.0.0' has no prefix length; write the network as 192.168.100.0/24")
        );
        assert!(!new.page_is_valid(Page::Addresses));
        new.set_network(Family::Ipv4, "fd00::/64");
        assert_eq!(new.error(Field::Subnet(Family::Ipv4)).as_deref(), Some("'fd00::/64' is not an IPv4 network"));
        new.set_network(Family::Ipv4, "10.8.0.0/31");
        assert!(new.error(Field::Subnet(Family::Ipv4)).unwrap().contains("leaves no room for guests"));
        new.set_network(Family::Ipv4, "10.9.0.0/24");
        assert!(new.page_is_valid(Page::Addresses));
        new.set_range_end(Family::Ipv4, "10.8.0.200");
        assert_eq!(new.error(Field::DhcpEnd(Family::Ipv4)).as_deref(), Some("end 10.8.0.200 is outside 10.9.0.0/24"));
        assert!(!new.page_is_valid(Page::Addresses) && !new.page_is_valid(Page::Review));
        // A host address typed as the network is taken as its network.
        new.set_network(Family::Ipv4, "10.9.0.77/24");
        assert_eq!(new.network_text(Family::Ipv4), "10.9.0.0/24");
        assert!(new.page_is_valid(Page::Addresses));
    }

    #[test]
    fn names_in_use_and_the_domain_follow() {
        let mut new = fresh();
        new.set_name("default");
        assert_eq!(new.error(Field::Name).as_deref(), Some("a network called 'default' already exists"));
        assert!(!new.page_is_valid(Page::NameAndMode));
        new.set_name("");
        assert_eq!(new.error(Field::Name).as_deref(), Some("give the network a name"));
        new.set_name("lab");
        assert_eq!(new.domain(), "lab");
        assert!(new.local_only(), "an emptied domain came back without localOnly");
        new.set_domain("lab.example");
        new.set_name("lab2");
        assert_eq!(new.domain(), "lab.example");
        assert!(new.page_is_valid(Page::NameAndMode));
    }

    #[test]
    fn modes_choose_the_pages() {
        let mut new = fresh();
        new.set_mode(Mode::Isolated);
        assert!(!new.pages().contains(&Page::Forward));
        new.set_mode(Mode::Open);
        assert!(!new.pages().contains(&Page::Forward));
        new.set_mode(Mode::Routed);
        assert!(new.pages().contains(&Page::Forward));
    }

    #[test]
    fn routes_for_the_router() {
        assert_eq!(
            route_for_router(&"192.168.123.0/24".parse().unwrap(), Some("192.168.1.20".parse().unwrap())),
            "192.168.123.0/24 via 192.168.1.20"
        );
    }

    #[test]
    fn no_subnet_at_all_cannot_go_on() {
        let mut new = NewNetwork::new(vec![], None, None);
        assert!(!new.page_is_valid(Page::Addresses));
        assert_eq!(new.addresses_missing().as_deref(), Some("a network needs an IPv4 or IPv6 subnet"));
        new.set_ipv6(true);
        assert_eq!(new.network_text(Family::Ipv6), "fd00:0:0:1::/64");
        assert!(new.page_is_valid(Page::Addresses) && new.page_is_valid(Page::Review));
    }

    #[test]
    fn helper_errors_lead_back_to_their_page() {
        assert_eq!(page_of_error(ErrorKind::SubnetInUse), Page::Addresses);
        assert_eq!(page_of_error(ErrorKind::NameInUse), Page::NameAndMode);
        assert_eq!(page_of_error(ErrorKind::Firewall), Page::Review);
    }

    #[test]
    fn an_existing_networks_uuid_is_refused() {
        let mut new = fresh();
        let uuid: Uuid = "4e1a5e7c-4bbd-4a3f-9c1e-0d8f3f0a1b2c".parse().unwrap();
        new.set_existing(vec![(uuid, "default".into())]);
        new.set_xml(&new.xml().replace("<name>network</name>", &format!("<name>network</name><uuid>{uuid}</uuid>")));
        assert_eq!(
            new.problems(),
            [format!(
                "uuid: network 'default' already has {uuid}; remove the <uuid> line and the new network gets its own"
            )]
        );
        assert!(!new.page_is_valid(Page::Review));
    }

    #[test]
    fn an_xml_edit_on_the_review_page_is_the_definition() {
        let mut new = fresh();
        let xml = new.xml().replace("<forward mode='nat'/>", "<forward mode='route'/>");
        new.set_xml(&xml);
        assert_eq!(new.mode(), Mode::Routed);
        new.set_xml("<network>");
        assert!(!new.page_is_valid(Page::Review));
    }

    /// Golden files: what each mode produces, as a libvirt user would write it.
    #[test]
    fn each_mode_writes_the_xml_a_libvirt_user_would() {
        type Choices = Box<dyn Fn(&mut NewNetwork)>;
        let cases: [(&str, Choices); 4] = [
            (
                "nat-to-eth0",
                Box::new(|n| {
                    n.set_name("outside");
                    n.set_forward_dev(Some("eth0"));
                    n.add_host("52:54:00:12:34:56", "192.168.123.10", "web").unwrap();
                }),
            ),
            (
                "routed",
                Box::new(|n| {
                    n.set_name("lab");
                    n.set_mode(Mode::Routed);
                    n.set_network(Family::Ipv4, "10.20.0.0/24");
                    n.set_domain("lab.example");
                    n.add_dns_host("10.20.0.5", "printer").unwrap();
                }),
            ),
            (
                "isolated",
                Box::new(|n| {
                    n.set_name("private");
                    n.set_mode(Mode::Isolated);
                    n.set_dhcp(Family::Ipv4, false);
                    n.set_local_only(false);
                }),
            ),
            (
                "open-with-ipv6",
                Box::new(|n| {
                    n.set_name("open");
                    n.set_mode(Mode::Open);
                    n.set_ipv6(true);
                    n.set_dhcp(Family::Ipv6, true);
                }),
            ),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wizard");
        for (name, choose) in cases {
            let mut new = fresh();
            choose(&mut new);
            assert!(new.page_is_valid(Page::Review), "{name}: {:?}", new.session.all_problems());
            let xml = new.xml();
            let path = dir.join(format!("{name}.xml"));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &xml).unwrap();
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(xml, expected, "{name}: the wizard's XML differs from {}", path.display());
            // What the wizard writes is a valid definition the model reads back unchanged.
            assert_eq!(Network::from_xml(&xml).unwrap().to_xml(), xml);
        }
    }
}
