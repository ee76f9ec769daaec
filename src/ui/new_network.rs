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

use crate::dbus::{ErrorKind, HostInterface, UsedSubnet};
use crate::model::Network;
use crate::model::forward::ForwardMode;
use crate::model::subnet::{display, first_free_private_v4, overlaps};
use crate::model::values::Family;
use crate::ui::edit::{EditSession, Field};
use crate::ui::form::address::Taken;
use crate::ui::form::{self, FormEdit, Outcome};

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

/// The route the LAN's router needs for a routed network: `SUBNET via HOST`.
pub fn route_for_router(subnet: &IpNetwork, via: Option<IpAddr>) -> String {
    let via = via.map_or_else(|| gettext("THIS-COMPUTER'S-ADDRESS"), |ip| ip.to_string());
    format!("{} via {via}", display(subnet))
}

/// Something that already uses a subnet (the helper's ListUsedSubnets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsedBy {
    pub subnet: IpNetwork,
    pub kind: UsedKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsedKind {
    /// A network, by name.
    Network(String),
    /// An address of the host's, on this interface (empty: unknown).
    Address(String),
    Route(String),
}

impl UsedBy {
    pub fn from_wire(used: &UsedSubnet) -> Option<UsedBy> {
        let subnet = used.subnet.parse().ok()?;
        let owner = used.owner.clone();
        let kind = match used.kind.as_str() {
            "network" => UsedKind::Network(owner),
            "address" => UsedKind::Address(owner),
            "route" => UsedKind::Route(owner),
            _ => return None,
        };
        Some(UsedBy { subnet, kind })
    }

    /// "192.168.1.0/24 overlaps the address 192.168.1.20/24 on eth0".
    fn overlap(&self, subnet: &IpNetwork) -> String {
        let device = |dev: &str| if dev.is_empty() { gettext("this computer") } else { dev.to_owned() };
        let text = match &self.kind {
            UsedKind::Network(name) => {
                gettext("{subnet} overlaps {theirs} of network “{name}”").replace("{name}", name)
            }
            UsedKind::Address(dev) => {
                gettext("{subnet} overlaps the address {theirs} on {device}").replace("{device}", &device(dev))
            }
            UsedKind::Route(dev) => {
                gettext("{subnet} overlaps the route to {theirs} on {device}").replace("{device}", &device(dev))
            }
        };
        let theirs = match self.kind {
            UsedKind::Address(_) => self.subnet.to_string(),
            _ => display(&self.subnet),
        };
        text.replace("{subnet}", &display(subnet)).replace("{theirs}", &theirs)
    }
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
    /// The domain follows the name until it is edited.
    domain_follows_name: bool,
    suggested_ipv6: Option<IpNetwork>,
    /// The host's interfaces: the uplinks to choose from, and this computer's address
    /// for the route a routed network needs.
    interfaces: Vec<HostInterface>,
    /// What the host and the other networks use: a subnet overlapping one is refused.
    used: Vec<UsedBy>,
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
            domain_follows_name: true,
            suggested_ipv6,
            interfaces: Vec::new(),
            used: Vec::new(),
        };
        new.set_mode(Mode::Nat);
        new.session.set_text(Field::Domain, &name);
        new.session.set_local_only(true);
        new.suggest(suggested_ipv4, suggested_ipv6);
        new
    }

    /// The networks that exist (UUID, name), whose UUIDs a new network must not reuse.
    pub fn set_existing(&mut self, networks: Vec<(Uuid, String)>) {
        self.taken_uuids = networks;
    }

    /// The host's interfaces (from the helper).
    pub fn set_interfaces(&mut self, interfaces: Vec<HostInterface>) {
        self.interfaces = interfaces;
    }

    /// What the host and the networks use (from the helper).
    pub fn set_used(&mut self, used: Vec<UsedBy>) {
        self.used = used;
    }

    pub fn definition(&self) -> &Network {
        self.session.edited()
    }

    /// The edit session the form sections show.
    pub fn session(&self) -> &EditSession {
        &self.session
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The pages this mode goes through: the uplink page only when the network reaches
    /// out and the host has an interface to choose besides "any".
    pub fn pages(&self) -> Vec<Page> {
        let uplinks = self.mode.forwards() && !self.interfaces.is_empty();
        Page::ALL.into_iter().filter(|p| *p != Page::Forward || uplinks).collect()
    }

    pub fn set_name(&mut self, name: &str) {
        self.session.set_text(Field::Name, name);
        if self.domain_follows_name {
            self.session.set_text(Field::Domain, name);
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

    /// The subnet of a family, once its field holds a valid value.
    pub fn subnet(&self, family: Family) -> Option<IpNetwork> {
        self.session.subnet(family)
    }

    /// The host's address in a family's subnet, for display.
    pub fn host_text(&self, family: Family) -> String {
        self.session.ip(family).and_then(|ip| ip.address).map(|a| a.to_string()).unwrap_or_default()
    }

    pub fn dhcp(&self, family: Family) -> bool {
        self.session.range(family).is_some()
    }

    /// The DHCP range's ends as text.
    pub fn range(&self, family: Family) -> (String, String) {
        self.session.range(family).map(|r| (r.start.to_string(), r.end.to_string())).unwrap_or_default()
    }

    pub fn ipv6(&self) -> bool {
        self.session.ip(Family::Ipv6).is_some()
    }

    /// Turns IPv6 on with the suggested unique local /64 (router advertisements), or off.
    pub fn set_ipv6(&mut self, on: bool) {
        if !on {
            self.session.set_text(Field::Subnet(Family::Ipv6), "");
            return;
        }
        if self.ipv6() {
            return;
        }
        // Without the helper's suggestion (it could not be asked), a fixed unique local one.
        let subnet = self.suggested_ipv6.map_or_else(|| "fd00:0:0:1::/64".to_owned(), |s| display(&s));
        self.session.set_text(Field::Subnet(Family::Ipv6), &subnet);
    }

    /// An edit in the address or DNS pages.
    pub fn form_edit(&mut self, edit: FormEdit) -> Outcome {
        match edit {
            FormEdit::Family(Family::Ipv6, on) => {
                self.set_ipv6(on);
                Outcome::Changed
            }
            FormEdit::Text(Field::Domain, text) => {
                self.domain_follows_name = false;
                form::apply(&mut self.session, FormEdit::Text(Field::Domain, text))
            }
            edit => form::apply(&mut self.session, edit),
        }
    }

    pub fn domain(&self) -> String {
        self.definition().domain.as_ref().map(|d| d.name.clone()).unwrap_or_default()
    }

    /// "Local only" as chosen (it applies whenever there is a domain).
    pub fn local_only(&self) -> bool {
        self.session.local_only()
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
            self.domain_follows_name = false;
        }
    }

    pub fn xml(&self) -> String {
        self.session.xml()
    }

    /// What to show at a field.
    pub fn error(&self, field: Field) -> Option<String> {
        if field == Field::Name && self.taken.iter().any(|t| *t == self.definition().name) {
            return Some(
                gettext("A network called “{name}” already exists").replace("{name}", &self.definition().name),
            );
        }
        self.session.error(field)
    }

    /// The typed subnet of a family overlaps something the host or another network
    /// uses: what, and a free subnet to use instead (SuggestSubnet's rule).
    pub fn taken(&self, family: Family) -> Option<Taken> {
        let subnet = self.subnet(family)?;
        // Another network's first: the clearest reason.
        let overlapping = || self.used.iter().filter(|u| overlaps(&u.subnet, &subnet));
        let used = overlapping().find(|u| matches!(u.kind, UsedKind::Network(_))).or_else(|| overlapping().next())?;
        let in_use: Vec<IpNetwork> = self.used.iter().map(|u| u.subnet).collect();
        let free = match family {
            Family::Ipv4 => first_free_private_v4(&in_use).map(IpNetwork::V4),
            Family::Ipv6 => self.suggested_ipv6.filter(|s| !in_use.iter().any(|u| overlaps(u, s))),
        };
        let message = used.overlap(&subnet);
        let free = free.map(|f| display(&f));
        let message = match &free {
            Some(free) => gettext("{overlap}; {free} is free").replace("{overlap}", &message).replace("{free}", free),
            None => message,
        };
        Some(Taken { message, free })
    }

    /// Everything that stops the network from being created, for the review page.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = Vec::new();
        problems.extend(self.error(Field::Name).filter(|_| self.session.error(Field::Name).is_none()));
        problems.extend(self.session.all_problems());
        problems.extend(self.addresses_missing());
        problems.extend([Family::Ipv4, Family::Ipv6].into_iter().filter_map(|f| self.taken(f)).map(|t| t.message));
        let uuid = self.definition().uuid;
        if let Some((uuid, name)) = self.taken_uuids.iter().find(|(taken, _)| Some(*taken) == uuid) {
            problems.push(
                gettext("uuid: network “{name}” already has {uuid}; remove the <uuid> line and the new network gets its own")
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
            && self.session.ip(Family::Ipv4).is_none()
            && !self.session.is_unparsed(Field::Subnet(Family::Ipv4))
        {
            self.session.set_text(Field::Subnet(Family::Ipv4), &display(&subnet));
            self.session.set_dhcp(Family::Ipv4, true);
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
            Page::Dns => vec![Field::Domain, Field::Forwarders],
            Page::Review => vec![Field::Xml],
        }
    }

    /// Problems of the definition that belong to no field or row (what the XML says),
    /// for the page they concern.
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
        let fields_ok =
            Self::fields(page).into_iter().all(|f| self.error(f).is_none()) && self.other_problems(page).is_empty();
        match page {
            Page::Review => self.problems().is_empty(),
            Page::Addresses => {
                let families = [Family::Ipv4, Family::Ipv6];
                fields_ok
                    && families.iter().all(|f| self.session.host_problems(*f).iter().all(Option::is_none))
                    && families.iter().all(|f| self.taken(*f).is_none())
                    && self.subnet(Family::Ipv4).or(self.subnet(Family::Ipv6)).is_some()
            }
            Page::Dns => fields_ok && self.session.dns_name_problems().iter().all(Option::is_none),
            _ => fields_ok,
        }
    }

    /// Why the addresses page cannot go on when no field says it.
    pub fn addresses_missing(&self) -> Option<String> {
        let typed = [Family::Ipv4, Family::Ipv6].iter().any(|f| self.session.is_unparsed(Field::Subnet(*f)));
        (self.subnet(Family::Ipv4).is_none() && self.subnet(Family::Ipv6).is_none() && !typed)
            .then(|| gettext("A network needs an IPv4 or IPv6 address"))
    }

    /// For a routed network: the routes the LAN's router needs, one per subnet, through
    /// this computer's address on the LAN (the chosen uplink's, or the first IPv4
    /// address of an interface that is up).
    pub fn routes_for_router(&self) -> Vec<String> {
        if self.mode != Mode::Routed {
            return Vec::new();
        }
        let chosen = self.forward_dev();
        let candidates = self.interfaces.iter().filter(|i| chosen.is_none_or(|c| c == i.name) && i.up);
        let via = candidates
            .flat_map(|i| i.addresses.iter())
            .filter_map(|a| a.parse::<IpNetwork>().ok())
            .find(IpNetwork::is_ipv4)
            .map(|a| a.ip());
        [Family::Ipv4, Family::Ipv6]
            .into_iter()
            .filter_map(|f| self.subnet(f))
            .map(|subnet| route_for_router(&subnet, if subnet.is_ipv4() { via } else { None }))
            .collect()
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
                .replace("{subnet}", &display(&subnet))
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
        let hosts = self.session.ip(Family::Ipv4).and_then(|ip| ip.dhcp.as_ref()).map_or(0, |d| d.hosts.len());
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
        for route in self.routes_for_router() {
            lines.push(gettext("Your router needs the route {route}.").replace("{route}", &route));
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

    fn eth0() -> HostInterface {
        HostInterface {
            name: "eth0".into(),
            kind: "device".into(),
            up: true,
            addresses: vec!["192.168.1.20/24".into()],
        }
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
        assert_eq!(new.session().subnet_text(Family::Ipv4), "192.168.123.1/24");
        assert_eq!(new.host_text(Family::Ipv4), "192.168.123.1");
        assert_eq!(new.range(Family::Ipv4), ("192.168.123.2".into(), "192.168.123.254".into()));
        assert_eq!(new.domain(), "network");
        assert!(new.local_only());
        assert_eq!(new.summary()[0], "“network”, a NAT network.");
        for page in Page::ALL {
            assert!(new.page_is_valid(page), "{page:?}: {:?}", new.problems());
        }
    }

    #[test]
    fn the_range_follows_the_address_and_errors_use_the_labels() {
        let mut new = fresh();
        let edit = |new: &mut NewNetwork, field, text: &str| {
            new.form_edit(FormEdit::Text(field, text.to_owned()));
        };
        edit(&mut new, Field::Subnet(Family::Ipv4), "10.8.0.1/16");
        assert_eq!(new.range(Family::Ipv4), ("10.8.0.2".into(), "10.8.255.254".into()));
        edit(&mut new, Field::Subnet(Family::Ipv4), "10.8.0.1");
        assert_eq!(
            new.error(Field::Subnet(Family::Ipv4)).as_deref(),
            Some("Add the prefix length after a slash, such as 192.168.100.1/24")
        );
        assert!(!new.page_is_valid(Page::Addresses));
        edit(&mut new, Field::Subnet(Family::Ipv4), "fd00::1/64");
        assert_eq!(
            new.error(Field::Subnet(Family::Ipv4)).as_deref(),
            Some("This is not an IPv4 address; enter one such as 192.168.100.1/24")
        );
        edit(&mut new, Field::Subnet(Family::Ipv4), "10.8.0.1/31");
        assert!(new.error(Field::Subnet(Family::Ipv4)).unwrap().contains("leaves no room for guests"));
        // A network address stands for the network, with this computer at its first address.
        edit(&mut new, Field::Subnet(Family::Ipv4), "10.9.0.0/24");
        assert_eq!(new.host_text(Family::Ipv4), "10.9.0.1");
        assert!(new.page_is_valid(Page::Addresses));
        edit(&mut new, Field::DhcpEnd(Family::Ipv4), "10.8.0.200");
        assert_eq!(
            new.error(Field::DhcpEnd(Family::Ipv4)).as_deref(),
            Some("Last address handed out is outside 10.9.0.0/24")
        );
        assert!(!new.page_is_valid(Page::Addresses) && !new.page_is_valid(Page::Review));
    }

    #[test]
    fn a_taken_subnet_is_flagged_as_typed_with_a_free_one_offered() {
        let mut new = fresh();
        let used = [("192.168.122.0/24", "network", "default"), ("192.168.1.20/24", "address", "eth0")];
        new.set_used(
            used.iter()
                .filter_map(|(s, k, o)| {
                    UsedBy::from_wire(&UsedSubnet { subnet: (*s).into(), kind: (*k).into(), owner: (*o).into() })
                })
                .collect(),
        );
        assert_eq!(new.taken(Family::Ipv4), None);
        new.form_edit(FormEdit::Text(Field::Subnet(Family::Ipv4), "192.168.1.1/24".into()));
        let taken = new.taken(Family::Ipv4).unwrap();
        assert_eq!(
            taken.message,
            "192.168.1.0/24 overlaps the address 192.168.1.20/24 on eth0; 192.168.123.0/24 is free"
        );
        assert!(!new.page_is_valid(Page::Addresses) && !new.page_is_valid(Page::Review));
        new.form_edit(FormEdit::Text(Field::Subnet(Family::Ipv4), "192.168.122.1/24".into()));
        assert!(
            new.taken(Family::Ipv4)
                .unwrap()
                .message
                .starts_with("192.168.122.0/24 overlaps 192.168.122.0/24 of network “default”")
        );
        new.form_edit(FormEdit::UseSubnet(Family::Ipv4, taken.free.unwrap()));
        assert_eq!(new.taken(Family::Ipv4), None);
        assert_eq!(new.session().subnet_text(Family::Ipv4), "192.168.123.1/24");
        assert!(new.page_is_valid(Page::Addresses));
    }

    #[test]
    fn names_in_use_and_the_domain_follow() {
        let mut new = fresh();
        new.set_name("default");
        assert_eq!(new.error(Field::Name).as_deref(), Some("A network called “default” already exists"));
        assert!(!new.page_is_valid(Page::NameAndMode));
        new.set_name("");
        assert_eq!(new.error(Field::Name).as_deref(), Some("Give the network a name"));
        new.set_name("lab");
        assert_eq!(new.domain(), "lab");
        assert!(new.local_only(), "an emptied domain came back without localOnly");
        new.form_edit(FormEdit::Text(Field::Domain, "lab.example".into()));
        new.set_name("lab2");
        assert_eq!(new.domain(), "lab.example");
        assert!(new.page_is_valid(Page::NameAndMode));
    }

    #[test]
    fn modes_and_uplinks_choose_the_pages() {
        let mut new = fresh();
        assert!(!new.pages().contains(&Page::Forward), "nothing to choose besides any interface");
        new.set_interfaces(vec![eth0()]);
        assert!(new.pages().contains(&Page::Forward));
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
        let mut new = fresh();
        new.set_interfaces(vec![eth0()]);
        assert!(new.routes_for_router().is_empty(), "only a routed network needs one");
        new.set_mode(Mode::Routed);
        assert_eq!(new.routes_for_router(), ["192.168.123.0/24 via 192.168.1.20"]);
        assert!(new.summary().contains(&"Your router needs the route 192.168.123.0/24 via 192.168.1.20.".to_owned()));
    }

    #[test]
    fn no_subnet_at_all_cannot_go_on() {
        let mut new = NewNetwork::new(vec![], None, None);
        assert!(!new.page_is_valid(Page::Addresses));
        assert_eq!(new.addresses_missing().as_deref(), Some("A network needs an IPv4 or IPv6 address"));
        new.set_ipv6(true);
        assert_eq!(new.session().subnet_text(Family::Ipv6), "fd00:0:0:1::1/64");
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
                "uuid: network “default” already has {uuid}; remove the <uuid> line and the new network gets its own"
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
                    let added = n.form_edit(FormEdit::AddHost(
                        Family::Ipv4,
                        vec!["52:54:00:12:34:56".into(), "192.168.123.10".into(), "web".into()],
                    ));
                    assert!(matches!(added, Outcome::HostAdded(_, Ok(()))), "{added:?}");
                    // The web server's port 80 at the host's port 8080.
                    let forward = vec!["tcp".into(), "8080".into(), "192.168.123.10".into(), "80".into()];
                    let added = n.form_edit(FormEdit::AddForward(forward));
                    assert!(matches!(added, Outcome::ForwardAdded(Ok(()))), "{added:?}");
                }),
            ),
            (
                "routed",
                Box::new(|n| {
                    n.set_name("lab");
                    n.set_mode(Mode::Routed);
                    n.form_edit(FormEdit::Text(Field::Subnet(Family::Ipv4), "10.20.0.0/24".into()));
                    n.form_edit(FormEdit::Text(Field::Domain, "lab.example".into()));
                    let added = n.form_edit(FormEdit::AddRecord(vec!["printer".into(), "10.20.0.5".into()]));
                    assert!(matches!(added, Outcome::RecordAdded(Ok(()))), "{added:?}");
                }),
            ),
            (
                "isolated",
                Box::new(|n| {
                    n.set_name("private");
                    n.set_mode(Mode::Isolated);
                    n.form_edit(FormEdit::Dhcp(Family::Ipv4, false));
                    n.form_edit(FormEdit::LocalOnly(false));
                }),
            ),
            (
                "open-with-ipv6",
                Box::new(|n| {
                    n.set_name("open");
                    n.set_mode(Mode::Open);
                    n.set_ipv6(true);
                    n.form_edit(FormEdit::Dhcp(Family::Ipv6, true));
                }),
            ),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/wizard");
        for (name, choose) in cases {
            let mut new = fresh();
            choose(&mut new);
            assert!(new.page_is_valid(Page::Review), "{name}: {:?}", new.problems());
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
