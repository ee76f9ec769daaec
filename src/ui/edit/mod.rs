//! Editing a network's definition in a form (the details page, the wizard): every field
//! goes through the model as it is typed, so the form shows the helper's own rules next to
//! the field, in the form's words, before anything is sent, and Apply is possible only
//! when the whole definition is valid. Pure logic, tested without a display.
//!
//! The rule that keeps a definition safe while it is typed: a field that is being typed,
//! or holds text that does not parse, never changes any other field. The values that
//! depend on a field (the DHCP range and static hosts on the address, "local only" on the
//! domain, the NAT settings and uplink on the mode, the range while DHCP is off) are kept
//! aside as they were before the field was edited, and derived again from every valid
//! value, so what is applied depends only on the final values, never on the keystrokes
//! that led there.

mod follow;
pub mod forwards;
pub mod pending;
pub mod words;

use std::net::IpAddr;

use gettextrs::gettext;
use ipnetwork::IpNetwork;

pub use self::follow::default_range;
use crate::model::dns::{DnsHost, Domain, Forwarder};
use crate::model::forward::{Forward, ForwardInterface, ForwardMode};
use crate::model::ip::{Dhcp, DhcpHost, DhcpRange};
use crate::model::values::{Family, MacAddr};
use crate::model::{Code, IpDef, Network, Problem};

/// The editable fields of the forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Mtu,
    /// The host's address with the prefix (`192.168.100.1/24`); empty: no such family.
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

/// The forward modes the forms offer (the ones virtnet runs).
pub const EDITABLE_MODES: [Option<ForwardMode>; 4] =
    [Some(ForwardMode::Nat), Some(ForwardMode::Route), None, Some(ForwardMode::Open)];

/// A field's value from before its current run of edits, and the value the field last
/// set. When the value is no longer the one the field set, something else changed it
/// (the range moved with the address, say): the next edit starts a new run from there.
#[derive(Clone, Debug)]
struct Run<T> {
    before: T,
    last: T,
}

impl<T: Clone + PartialEq> Run<T> {
    /// The value before this run of edits, starting a run from `current` if there is none
    /// or something else changed the value since.
    fn before(run: &mut Option<Run<T>>, current: &T) -> T {
        match run {
            Some(run) if run.last == *current => run.before.clone(),
            _ => {
                *run = Some(Run { before: current.clone(), last: current.clone() });
                current.clone()
            }
        }
    }

    fn set(run: &mut Option<Run<T>>, value: &T) {
        if let Some(run) = run {
            run.last = value.clone();
        }
    }
}

/// Values kept aside while the fields they depend on are edited.
#[derive(Clone, Debug, Default)]
struct Kept {
    /// Per family (IPv4, IPv6): the `<ip>` as it was before its address was edited.
    ips: [Option<KeptIp>; 2],
    /// Per family, start and end: the first DHCP range before the field was edited.
    range_ends: [[Option<Run<Option<DhcpRange>>>; 2]; 2],
    mtu: Option<Run<Option<u16>>>,
    /// `<dns>` before the upstream servers were edited.
    dns: Option<Run<Option<crate::model::dns::Dns>>>,
    /// The `<domain>` before the domain field was edited (for its localOnly and register).
    domain: Option<Option<Domain>>,
    /// The `<forward>` to come back to when the mode returns to forwarding (its NAT
    /// settings and uplink), as it was before the mode was changed.
    forward: Option<Forward>,
    /// Per family: the DHCP ranges while DHCP is off, with the subnet they were in.
    ranges: [Option<(IpNetwork, Vec<DhcpRange>)>; 2],
    /// Where the plain upstream servers stand among the per-domain ones (how many of
    /// those come first), from before the field was edited.
    forwarders_at: Option<usize>,
}

/// An `<ip>` (or its absence) and its place among the network's `<ip>` elements.
#[derive(Clone, Debug)]
struct KeptIp {
    index: usize,
    ip: Option<IpDef>,
    /// Whether the edited definition has the family's `<ip>` at `index` now (not while
    /// the address field is empty: another `<ip>` of the family must not take its part).
    present: bool,
}

fn slot(family: Family) -> usize {
    match family {
        Family::Ipv4 => 0,
        Family::Ipv6 => 1,
    }
}

/// What is wrong with a row of the static-host form as typed, field by field; `complete`
/// is false while a required value is missing (nothing to mark, but nothing to add yet).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowCheck {
    /// A message per input of the row, in the row's order.
    pub errors: Vec<Option<String>>,
    pub complete: bool,
}

impl RowCheck {
    pub fn can_add(&self) -> bool {
        self.complete && self.errors.iter().all(Option::is_none)
    }

    /// The first message, for a row that cannot be added.
    pub fn first_error(&self) -> Option<String> {
        self.errors.iter().flatten().next().cloned()
    }
}

#[derive(Clone, Debug)]
pub struct EditSession {
    original: Network,
    edited: Network,
    /// Text that does not parse, by field (the value in `edited` is then the one before
    /// the field was edited).
    unparsed: Vec<(Field, String)>,
    problems: Vec<Problem>,
    kept: Kept,
}

impl EditSession {
    pub fn new(definition: Network) -> Self {
        let mut session = EditSession {
            original: definition.clone(),
            edited: definition,
            unparsed: Vec::new(),
            problems: Vec::new(),
            kept: Kept::default(),
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

    /// Does the field hold text that does not parse?
    pub fn is_unparsed(&self, field: Field) -> bool {
        self.unparsed.iter().any(|(f, _)| *f == field)
    }

    /// The index of the `<ip>` the form edits for a family: the first of it, or the one
    /// whose address is being edited (none while that field is empty).
    fn ip_index(&self, family: Family) -> Option<usize> {
        if let Some(kept) = &self.kept.ips[slot(family)] {
            return kept.present.then_some(kept.index);
        }
        // An <ip> with neither family nor address yet is IPv4, libvirt's default family.
        self.edited.ips.iter().position(|ip| ip.family().unwrap_or(Family::Ipv4) == family)
    }

    /// The `<ip>` the form shows for a family.
    pub fn ip(&self, family: Family) -> Option<&IpDef> {
        self.ip_index(family).map(|i| &self.edited.ips[i])
    }

    /// The `<ip>` of a family, for a change by a field other than its address: from now
    /// on the address field derives from the `<ip>` as this change leaves it.
    fn ip_mut(&mut self, family: Family) -> &mut IpDef {
        let index = match self.ip_index(family) {
            Some(i) => i,
            None => {
                let at = self.kept.ips[slot(family)].as_ref().map_or(self.edited.ips.len(), |k| k.index);
                // family='ipv4' is libvirt's default and not written.
                let declared = (family == Family::Ipv6).then_some(family);
                self.insert_ip(family, at, IpDef { family: declared, ..IpDef::default() })
            }
        };
        self.kept.ips[slot(family)] = None;
        &mut self.edited.ips[index]
    }

    /// Puts a family's `<ip>` at `at` (at most the end), keeping the other family's
    /// remembered place right; returns where it went.
    fn insert_ip(&mut self, family: Family, at: usize, ip: IpDef) -> usize {
        let at = at.min(self.edited.ips.len());
        self.edited.ips.insert(at, ip);
        // The other family's <ip> moves one down if it is at or after the new one: if it
        // is there now, or, while its field is empty, if it came after in the original.
        let first = self.comes_first(family);
        if let Some(other) = &mut self.kept.ips[1 - slot(family)]
            && (other.index > at || other.index == at && (other.present || first))
        {
            other.index += 1;
        }
        at
    }

    /// Does this family's `<ip>` come before the other family's in the original?
    fn comes_first(&self, family: Family) -> bool {
        let position = |f: Family| self.original.ips.iter().position(|ip| ip.family().unwrap_or(Family::Ipv4) == f);
        let other = if family == Family::Ipv4 { Family::Ipv6 } else { Family::Ipv4 };
        match (position(family), position(other)) {
            (Some(mine), Some(theirs)) => mine < theirs,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => family == Family::Ipv4,
        }
    }

    /// Takes out the `<ip>` at `at`, keeping the other family's remembered place right.
    fn remove_ip(&mut self, family: Family, at: usize) {
        self.edited.ips.remove(at);
        if let Some(other) = &mut self.kept.ips[1 - slot(family)]
            && other.index > at
        {
            other.index -= 1;
        }
    }

    /// Sets a text field as typed.
    pub fn set_text(&mut self, field: Field, text: &str) {
        let text = text.trim();
        let why = match field {
            Field::Name => {
                self.edited.name = text.to_owned();
                None
            }
            Field::Mtu => {
                let before = Run::before(&mut self.kept.mtu, &self.edited.mtu);
                let (mtu, why) = match text {
                    "" => (None, None),
                    text => match text.parse::<u16>() {
                        Ok(mtu) => (Some(mtu), None),
                        Err(_) => {
                            (before, Some(gettext("Enter a number between 68 and 65535, or nothing for the default")))
                        }
                    },
                };
                self.edited.mtu = mtu;
                Run::set(&mut self.kept.mtu, &mtu);
                why
            }
            Field::Subnet(family) => self.set_subnet(family, text),
            Field::DhcpStart(family) | Field::DhcpEnd(family) => self.set_range_end(field, family, text),
            Field::Domain => {
                self.set_domain(text);
                None
            }
            Field::ForwardDev => {
                self.set_forward_dev(text);
                None
            }
            Field::Forwarders => self.set_forwarders(text),
            Field::Xml => match Network::from_xml(text) {
                Ok(network) => {
                    // The form shows what the XML says now: nothing typed there is pending.
                    self.edited = network;
                    self.kept = Kept::default();
                    self.unparsed.clear();
                    None
                }
                Err(problems) => Some(problems.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
            },
            Field::DhcpEnabled(_) => None,
        };
        self.set_unparsed(field, why);
        self.revalidate();
    }

    fn set_domain(&mut self, text: &str) {
        let before = self.kept.domain.get_or_insert_with(|| self.edited.domain.clone());
        let (local_only, register) = before.as_ref().map_or((None, None), |d| (d.local_only, d.register));
        self.edited.domain = (!text.is_empty()).then(|| Domain { name: text.to_owned(), local_only, register });
    }

    fn set_forward_dev(&mut self, text: &str) {
        let Some(forward) = &mut self.edited.forward else { return };
        forward.interfaces = if text.is_empty() {
            Vec::new()
        } else {
            // Anything else the uplink's element said stays (it is the same device).
            let connections = forward.interfaces.first().filter(|i| i.dev == text).and_then(|i| i.connections);
            vec![ForwardInterface { dev: text.to_owned(), connections }]
        };
        if let Some(kept) = &mut self.kept.forward {
            kept.interfaces = forward.interfaces.clone();
        }
    }

    /// Replaces the plain forwarders (an address each); per-domain ones are kept.
    fn set_forwarders(&mut self, text: &str) -> Option<String> {
        let before = Run::before(&mut self.kept.dns, &self.edited.dns);
        self.edited.dns = before;
        let mut addresses = Vec::new();
        for word in text.split([',', ' ']).filter(|w| !w.is_empty()) {
            match word.parse::<IpAddr>() {
                Ok(addr) => addresses.push(addr),
                Err(_) => {
                    Run::set(&mut self.kept.dns, &self.edited.dns);
                    return Some(
                        gettext("Enter IP addresses separated by commas; “{word}” is not one").replace("{word}", word),
                    );
                }
            }
        }
        let dns = self.edited.dns.get_or_insert_with(Default::default);
        // The plain servers go where they were among the per-domain ones (the order is
        // dnsmasq's order of asking), even after the field was empty for a moment.
        let at = *self.kept.forwarders_at.get_or_insert_with(|| {
            dns.forwarders.iter().position(|f| f.domain.is_none()).unwrap_or(dns.forwarders.len())
        });
        let per_domain: Vec<Forwarder> = dns.forwarders.iter().filter(|f| f.domain.is_some()).cloned().collect();
        let at = at.min(per_domain.len());
        let plain = addresses.into_iter().map(|addr| Forwarder { addr: Some(addr), domain: None });
        dns.forwarders =
            per_domain[..at].iter().cloned().chain(plain).chain(per_domain[at..].iter().cloned()).collect();
        if self.edited.dns.as_ref().is_some_and(|d| *d == Default::default()) {
            self.edited.dns = None;
        }
        Run::set(&mut self.kept.dns, &self.edited.dns);
        None
    }

    /// The plain forwarders as the field shows them.
    pub fn forwarders_text(&self) -> String {
        let dns = self.edited.dns.iter().flat_map(|d| &d.forwarders);
        dns.filter(|f| f.domain.is_none()).filter_map(|f| f.addr).map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
    }

    /// The address field's text for a family, as the form shows it (`192.168.100.1/24`).
    pub fn subnet_text(&self, family: Family) -> String {
        self.ip(family).and_then(|ip| Some(format!("{}/{}", ip.address?, ip.prefix_len()?))).unwrap_or_default()
    }

    /// The subnet a family's address field gives, or `None` while it is empty or does not
    /// parse (the form's derived rows then show nothing rather than a stale value).
    pub fn subnet(&self, family: Family) -> Option<IpNetwork> {
        if self.is_unparsed(Field::Subnet(family)) {
            return None;
        }
        self.ip(family).and_then(IpDef::subnet)
    }

    fn set_subnet(&mut self, family: Family, text: &str) -> Option<String> {
        let before = match &self.kept.ips[slot(family)] {
            Some(kept) => kept.clone(),
            None => {
                let kept = match self.ip_index(family) {
                    Some(index) => KeptIp { index, ip: Some(self.edited.ips[index].clone()), present: true },
                    None => KeptIp { index: self.edited.ips.len(), ip: None, present: false },
                };
                self.kept.ips[slot(family)] = Some(kept.clone());
                kept
            }
        };
        if before.present {
            self.remove_ip(family, before.index);
        }
        let (ip, why) = match parse_subnet(family, text) {
            Ok(None) => (None, None),
            Ok(Some(subnet)) => (Some(follow::moved(before.ip.as_ref(), family, subnet)), None),
            // While the text does not parse, the <ip> is as it was before the edit.
            Err(why) => (before.ip.clone(), Some(why)),
        };
        let index = self.kept.ips[slot(family)].as_ref().map_or(before.index, |k| k.index);
        let present = ip.is_some();
        let index = match ip {
            Some(ip) => self.insert_ip(family, index, ip),
            None => index.min(self.edited.ips.len()),
        };
        if let Some(kept) = &mut self.kept.ips[slot(family)] {
            kept.index = index;
            kept.present = present;
        }
        why
    }

    fn set_range_end(&mut self, field: Field, family: Family, text: &str) -> Option<String> {
        let end = usize::from(matches!(field, Field::DhcpEnd(_)));
        let current = self.range(family).cloned();
        let run = &mut self.kept.range_ends[slot(family)][end];
        let before = Run::before(run, &current);
        let (range, why) = match text.parse::<IpAddr>() {
            Ok(addr) => {
                let mut range = before.unwrap_or(DhcpRange { start: addr, end: addr, lease: None });
                if end == 1 {
                    range.end = addr;
                } else {
                    range.start = addr;
                }
                (Some(range), None)
            }
            // While the text does not parse, the range is as it was before the edit.
            Err(_) => (before, Some(words::not_an_address(family))),
        };
        if range != current {
            let ip = self.ip_mut(family);
            match &range {
                Some(range) => {
                    let dhcp = ip.dhcp.get_or_insert_with(Dhcp::default);
                    match dhcp.ranges.first_mut() {
                        Some(first) => *first = range.clone(),
                        None => dhcp.ranges.push(range.clone()),
                    }
                }
                None => {
                    if let Some(dhcp) = &mut ip.dhcp {
                        if !dhcp.ranges.is_empty() {
                            dhcp.ranges.remove(0);
                        }
                        if dhcp.ranges.is_empty() && dhcp.hosts.is_empty() && dhcp.bootp.is_none() {
                            ip.dhcp = None;
                        }
                    }
                }
            }
        }
        Run::set(&mut self.kept.range_ends[slot(family)][end], &range);
        why
    }

    /// The first DHCP range of a family, if DHCP hands out addresses.
    pub fn range(&self, family: Family) -> Option<&DhcpRange> {
        self.ip(family).and_then(|ip| ip.dhcp.as_ref()).and_then(|d| d.ranges.first())
    }

    /// Turns DHCP on or off. Off keeps the range aside; on brings it back (moved to the
    /// subnet as it is now), or lays the default range over the subnet.
    pub fn set_dhcp(&mut self, family: Family, on: bool) {
        let subnet = self.ip(family).and_then(IpDef::subnet);
        let kept_ranges = if on { self.kept.ranges[slot(family)].take() } else { None };
        let ip = self.ip_mut(family);
        let mut put_aside = None;
        if on {
            if ip.dhcp.as_ref().is_none_or(|d| d.ranges.is_empty()) {
                let ranges = match (kept_ranges, subnet) {
                    (Some((from, ranges)), Some(to)) => follow::moved_ranges(&ranges, &from, &to),
                    (_, Some(to)) => default_range(&to)
                        .map(|(start, end)| vec![DhcpRange { start, end, lease: None }])
                        .unwrap_or_default(),
                    (_, None) => Vec::new(),
                };
                ip.dhcp.get_or_insert_with(Dhcp::default).ranges = ranges;
            }
        } else if let Some(dhcp) = &mut ip.dhcp {
            let ranges = std::mem::take(&mut dhcp.ranges);
            if let Some(subnet) = subnet
                && !ranges.is_empty()
            {
                put_aside = Some((subnet, ranges));
            }
            if dhcp.hosts.is_empty() && dhcp.bootp.is_none() {
                ip.dhcp = None;
            }
        }
        if put_aside.is_some() {
            self.kept.ranges[slot(family)] = put_aside;
        }
        self.set_unparsed(Field::DhcpStart(family), None);
        self.set_unparsed(Field::DhcpEnd(family), None);
        self.revalidate();
    }

    /// Changes the forward mode; the NAT settings and the uplink come back with a mode
    /// that uses them.
    pub fn set_mode(&mut self, mode: Option<ForwardMode>) {
        if self.kept.forward.is_none() {
            self.kept.forward = self.edited.forward.clone();
        }
        self.edited.forward = mode.map(|mode| {
            let mut forward = self.kept.forward.clone().unwrap_or_else(|| Forward::new(mode));
            forward.mode = mode;
            if mode == ForwardMode::Open {
                forward.interfaces.clear();
            }
            if mode != ForwardMode::Nat {
                forward.nat = None;
            }
            forward
        });
        self.revalidate();
    }

    /// "Local only" as chosen: the domain's, or (while the domain field is empty) the one
    /// it will have again.
    pub fn local_only(&self) -> bool {
        let kept = self.kept.domain.as_ref().and_then(Option::as_ref);
        self.edited.domain.as_ref().or(kept).and_then(|d| d.local_only) == Some(true)
    }

    pub fn set_local_only(&mut self, on: bool) {
        let value = on.then_some(true);
        if let Some(domain) = &mut self.edited.domain {
            domain.local_only = value;
        }
        match &mut self.kept.domain {
            Some(Some(kept)) => kept.local_only = value,
            Some(None) | None => {
                if self.edited.domain.is_some() {
                    self.kept.domain = Some(self.edited.domain.clone());
                }
            }
        }
        self.revalidate();
    }

    /// Checks a static host as typed in the host form (MAC, IP, name), against the
    /// network as it is: each value's problem at its own input.
    pub fn check_host(&self, family: Family, mac: &str, ip: &str, name: &str) -> RowCheck {
        match self.host_from(family, mac, ip, name) {
            Ok(_) => RowCheck { errors: vec![None; 3], complete: true },
            Err(check) => check,
        }
    }

    fn host_from(&self, family: Family, mac: &str, ip: &str, name: &str) -> Result<DhcpHost, RowCheck> {
        let (mac, ip, name) = (mac.trim(), ip.trim(), name.trim());
        let mut check = RowCheck { errors: vec![None, None, None], complete: !ip.is_empty() };
        // IPv4 hosts are known by their MAC address, IPv6 ones by their DUID.
        let (parsed_mac, id) = match (family, mac) {
            (_, "") => (None, None),
            (Family::Ipv6, duid) => (None, Some(duid.to_owned())),
            (Family::Ipv4, text) => match text.parse::<MacAddr>() {
                Ok(mac) => (Some(mac), None),
                Err(_) => {
                    check.errors[0] = Some(gettext("Enter a MAC address such as 52:54:00:12:34:56"));
                    (None, None)
                }
            },
        };
        let parsed_ip = match ip {
            "" => None,
            text => match text.parse::<IpAddr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    check.errors[1] = Some(words::not_an_address(family));
                    None
                }
            },
        };
        let host = DhcpHost {
            mac: parsed_mac,
            id,
            ip: parsed_ip,
            name: Some(name.to_owned()).filter(|n| !n.is_empty()),
            ..DhcpHost::default()
        };
        if check.errors.iter().all(Option::is_none) && check.complete {
            // The model's checks of the host among the others, at the new host's place.
            let mut trial = self.edited.clone();
            let index = match trial.ips.iter().position(|i| i.family().unwrap_or(Family::Ipv4) == family) {
                Some(index) => index,
                None => return Err(RowCheck { errors: vec![None, None, None], complete: false }),
            };
            let hosts = &mut trial.ips[index].dhcp.get_or_insert_with(Dhcp::default).hosts;
            hosts.push(host.clone());
            let path = format!("ip[{index}]/dhcp/host[{}]", hosts.len() - 1);
            for problem in trial.validate().err().into_iter().flat_map(|p| p.0).filter(|p| p.path == path) {
                let (input, message) = host_problem_in_words(&problem);
                check.errors[input].get_or_insert(message);
            }
        }
        if check.can_add() { Ok(host) } else { Err(check) }
    }

    /// Adds a static DHCP host; refused, with the first problem, unless the form's
    /// values make a valid host.
    pub fn add_host(&mut self, family: Family, mac: &str, ip: &str, name: &str) -> Result<(), String> {
        let host = self.host_from(family, mac, ip, name).map_err(|check| {
            check.first_error().unwrap_or_else(|| gettext("Enter the address this guest always gets"))
        })?;
        self.ip_mut(family).dhcp.get_or_insert_with(Dhcp::default).hosts.push(host);
        self.revalidate();
        Ok(())
    }

    pub fn remove_host(&mut self, family: Family, index: usize) {
        let ip = self.ip_mut(family);
        if let Some(dhcp) = &mut ip.dhcp
            && index < dhcp.hosts.len()
        {
            dhcp.hosts.remove(index);
            if dhcp.ranges.is_empty() && dhcp.hosts.is_empty() && dhcp.bootp.is_none() {
                ip.dhcp = None;
            }
        }
        self.revalidate();
    }

    /// What is wrong with each static host of a family, in the list's order.
    pub fn host_problems(&self, family: Family) -> Vec<Option<String>> {
        let Some(index) = self.ip_index(family) else { return Vec::new() };
        let hosts = self.edited.ips[index].dhcp.as_ref().map(|d| d.hosts.as_slice()).unwrap_or(&[]);
        hosts
            .iter()
            .enumerate()
            .map(|(n, _)| {
                let path = format!("ip[{index}]/dhcp/host[{n}]");
                let messages: Vec<String> =
                    self.problems.iter().filter(|p| p.path == path).map(|p| host_problem_in_words(p).1).collect();
                (!messages.is_empty()).then(|| messages.join("\n"))
            })
            .collect()
    }

    /// Checks a DNS host record as typed (host name, IP address: the form's order).
    pub fn check_dns_host(&self, name: &str, ip: &str) -> RowCheck {
        match self.dns_host_from(name, ip) {
            Ok(_) => RowCheck { errors: vec![None; 2], complete: true },
            Err(check) => check,
        }
    }

    fn dns_host_from(&self, name: &str, ip: &str) -> Result<(IpAddr, String), RowCheck> {
        let (name, ip) = (name.trim(), ip.trim());
        let mut check = RowCheck { errors: vec![None, None], complete: !ip.is_empty() && !name.is_empty() };
        if !name.is_empty()
            && let Err(fault) = crate::model::syntax::dns_name(name)
        {
            check.errors[0] = Some(words::fault_in_words(&words::host_name_label(), &fault));
        }
        let parsed = match ip {
            "" => None,
            text => match text.parse::<IpAddr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    check.errors[1] = Some(gettext("Enter an IP address, such as 192.168.100.20"));
                    None
                }
            },
        };
        match parsed {
            Some(ip) if check.can_add() => Ok((ip, name.to_owned())),
            _ => Err(check),
        }
    }

    /// Adds a DNS host record (`name` for `ip`); refused, with the first problem, unless
    /// both are valid.
    pub fn add_dns_host(&mut self, name: &str, ip: &str) -> Result<(), String> {
        let (ip, name) = self
            .dns_host_from(name, ip)
            .map_err(|check| check.first_error().unwrap_or_else(|| gettext("Enter a host name and an IP address")))?;
        let dns = self.edited.dns.get_or_insert_with(Default::default);
        match dns.hosts.iter_mut().find(|h| h.ip == ip) {
            Some(host) => host.hostnames.push(name),
            None => dns.hosts.push(DnsHost { ip, hostnames: vec![name] }),
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
            if *dns == Default::default() {
                self.edited.dns = None;
            }
        }
        self.revalidate();
    }

    /// What is wrong with each DNS host name, in the list's order (every name of every
    /// record).
    pub fn dns_name_problems(&self) -> Vec<Option<String>> {
        let hosts = self.edited.dns.iter().flat_map(|d| d.hosts.iter().enumerate());
        hosts
            .flat_map(|(h, host)| {
                (0..host.hostnames.len()).map(move |n| {
                    let path = format!("dns/host[{h}]/hostname[{n}]");
                    let label = words::host_name_label();
                    let messages: Vec<String> = self
                        .problems
                        .iter()
                        .filter(|p| p.path == path)
                        .map(|p| words::problem_in_words(&label, p))
                        .collect();
                    (!messages.is_empty()).then(|| messages.join("\n"))
                })
            })
            .collect()
    }

    /// What to show at a field: its text that does not parse, or the model's problems
    /// about it, in the form's words.
    pub fn error(&self, field: Field) -> Option<String> {
        if let Some((_, why)) = self.unparsed.iter().find(|(f, _)| *f == field) {
            return Some(why.clone());
        }
        let messages: Vec<String> =
            self.problems.iter().filter(|p| self.field_of(p) == Some(field)).map(|p| self.in_words(field, p)).collect();
        (!messages.is_empty()).then(|| messages.join("\n"))
    }

    /// A value that is valid but probably not meant (a /3 network), for a warning at the
    /// field; never while it has an error.
    pub fn warning(&self, field: Field) -> Option<String> {
        let Field::Subnet(family) = field else { return None };
        if self.error(field).is_some() {
            return None;
        }
        let ip = self.ip(family)?;
        let subnet = ip.subnet()?;
        let prefix = subnet.prefix();
        let nat = self.edited.forward.as_ref().is_some_and(|f| f.mode == ForwardMode::Nat);
        let text = match family {
            Family::Ipv4 if nat && prefix < 16 => gettext(
                "With a /{prefix}, guests cannot reach any outside address in {subnet}; NAT networks usually use a /24",
            ),
            Family::Ipv4 if prefix < 8 => {
                gettext("A /{prefix} is a very large network; virtual networks usually use a /24")
            }
            Family::Ipv6 if prefix < 48 => {
                gettext("A /{prefix} is a very large network; virtual networks usually use a /64")
            }
            Family::Ipv6 if prefix != 64 && ip.dhcp.as_ref().is_none_or(|d| d.ranges.is_empty()) => {
                gettext("Guests configure their own IPv6 addresses only on a /64; use a /64, or turn DHCP on")
            }
            _ => return None,
        };
        Some(text.replace("{prefix}", &prefix.to_string()).replace("{subnet}", &crate::model::subnet::display(&subnet)))
    }

    /// Everything wrong with the definition, for the XML page: text that does not parse
    /// first, then the model's problems with their element paths.
    pub fn all_problems(&self) -> Vec<String> {
        let unparsed = self.unparsed.iter().map(|(_, why)| why.clone());
        unparsed.chain(self.problems.iter().map(ToString::to_string)).collect()
    }

    /// Problems shown neither at a field nor at a row of the lists (for a message above
    /// the form; they concern parts of the definition the form does not show).
    pub fn other_problems(&self) -> Vec<String> {
        self.problems
            .iter()
            .filter(|p| self.field_of(p).is_none() && !self.at_a_row(p))
            .map(ToString::to_string)
            .collect()
    }

    /// Is the problem shown at a static host's or a DNS name's row?
    fn at_a_row(&self, problem: &Problem) -> bool {
        let path = problem.path.as_str();
        let host = [Family::Ipv4, Family::Ipv6]
            .into_iter()
            .filter_map(|f| self.ip_index(f))
            .any(|index| path.starts_with(&format!("ip[{index}]/dhcp/host[")) && !path.ends_with("/lease"));
        host || (path.starts_with("dns/host[") && path.contains("/hostname["))
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
                return Some(if problem.attribute == Some("end") {
                    Field::DhcpEnd(family)
                } else {
                    Field::DhcpStart(family)
                });
            }
        }
        None
    }

    /// A model problem about a field, told with the field's label.
    fn in_words(&self, field: Field, problem: &Problem) -> String {
        match (field, &problem.code) {
            (Field::Name, Code::Missing) => gettext("Give the network a name"),
            (Field::Name, _) => words::problem_in_words(&gettext("The name"), problem),
            _ => words::problem_in_words(&field.short_label(), problem),
        }
    }

    /// The definition to send with Apply.
    pub fn xml(&self) -> String {
        self.edited.to_xml()
    }
}

/// The address field's text: nothing (no such family), or an address with its prefix
/// length. A network address (`10.0.7.0/24`) stands for the network with this computer
/// at its first address.
fn parse_subnet(family: Family, text: &str) -> Result<Option<IpNetwork>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let example = words::example_subnet(family);
    if !text.contains('/') {
        return Err(gettext("Add the prefix length after a slash, such as {example}").replace("{example}", example));
    }
    let Ok(subnet) = text.parse::<IpNetwork>() else {
        return Err(gettext("Enter an address with its prefix length, such as {example}").replace("{example}", example));
    };
    if Family::of(&subnet.ip()) != family {
        return Err(gettext("This is not an {family} address; enter one such as {example}")
            .replace("{family}", &family.to_string())
            .replace("{example}", example));
    }
    if subnet.prefix() > family.max_prefix() - 2 {
        let usual = if family == Family::Ipv4 { "/24" } else { "/64" };
        return Err(gettext("A /{prefix} leaves no room for guests; use a shorter prefix, such as {usual}")
            .replace("{prefix}", &subnet.prefix().to_string())
            .replace("{usual}", usual));
    }
    if subnet.ip() == subnet.network() {
        let first = match subnet {
            IpNetwork::V4(v4) => IpAddr::V4((u32::from(v4.network()) + 1).into()),
            IpNetwork::V6(v6) => IpAddr::V6((u128::from(v6.network()) + 1).into()),
        };
        return Ok(IpNetwork::new(first, subnet.prefix()).ok());
    }
    Ok(Some(subnet))
}

/// A model problem of a static host: the input of the host form it concerns (0 MAC or
/// DUID, 1 IP, 2 name) and what to say there.
fn host_problem_in_words(problem: &Problem) -> (usize, String) {
    let (input, label) = match problem.attribute {
        Some("ip") => (1, words::ip_address_label()),
        Some("name") => (2, words::host_name_label()),
        Some("id") => (0, words::host_duid_label()),
        _ => (0, words::host_mac_label()),
    };
    (input, words::problem_in_words(&label, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Network {
        Network::from_xml(
            "<network><name>lab</name><uuid>4e1a5e7c-4bbd-4a3f-9c1e-0d8f3f0a1b2c</uuid><forward mode='nat'/><bridge name='virbr5'/>\
             <domain name='lab.example' localOnly='yes'/>\
             <ip address='192.168.100.1' netmask='255.255.255.0'><dhcp><range start='192.168.100.2' end='192.168.100.254'/>\
             <host mac='52:54:00:00:00:09' name='web' ip='192.168.100.9'/></dhcp></ip></network>",
        )
        .unwrap()
    }

    /// Types `text` into `field` key by key, from an emptied field.
    fn retype(s: &mut EditSession, field: Field, text: &str) {
        s.set_text(field, "");
        for end in 1..=text.len() {
            s.set_text(field, &text[..end]);
        }
    }

    #[test]
    fn a_fresh_session_is_clean() {
        let s = EditSession::new(lab());
        assert!(!s.is_dirty());
        assert!(!s.can_apply());
        assert_eq!(s.error(Field::DhcpStart(Family::Ipv4)), None);
    }

    #[test]
    fn retyping_the_address_keeps_dhcp_and_the_static_hosts() {
        let mut s = EditSession::new(lab());
        retype(&mut s, Field::Subnet(Family::Ipv4), "192.168.100.1/24");
        assert!(!s.is_dirty(), "{}", s.xml());
        retype(&mut s, Field::Subnet(Family::Ipv4), "192.168.125.1/24");
        let xml = s.xml();
        assert!(xml.contains("<range start='192.168.125.2' end='192.168.125.254'/>"), "{xml}");
        assert!(xml.contains("<host mac='52:54:00:00:00:09' name='web' ip='192.168.125.9'/>"), "{xml}");
        assert!(xml.contains("netmask='255.255.255.0'"), "{xml}");
        assert!(s.can_apply(), "{:?}", s.all_problems());
    }

    #[test]
    fn retyping_the_domain_keeps_local_only() {
        let mut s = EditSession::new(lab());
        retype(&mut s, Field::Domain, "lab.example");
        assert!(!s.is_dirty(), "{}", s.xml());
        retype(&mut s, Field::Domain, "test.example");
        assert!(s.xml().contains("<domain name='test.example' localOnly='yes'/>"), "{}", s.xml());
    }

    #[test]
    fn half_typed_text_changes_no_other_field() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::Subnet(Family::Ipv4), "192.1");
        assert_eq!(s.edited(), s.original(), "the definition stays as it was");
        assert_eq!(s.subnet(Family::Ipv4), None, "no derived subnet from half-typed text");
        assert_eq!(
            s.error(Field::Subnet(Family::Ipv4)).as_deref(),
            Some("Add the prefix length after a slash, such as 192.168.100.1/24")
        );
        assert!(!s.can_apply());
    }

    #[test]
    fn dhcp_off_and_on_brings_the_range_back() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::DhcpStart(Family::Ipv4), "192.168.100.50");
        s.set_dhcp(Family::Ipv4, false);
        assert!(!s.xml().contains("<range"));
        s.set_text(Field::Subnet(Family::Ipv4), "10.1.2.1/24");
        s.set_dhcp(Family::Ipv4, true);
        assert!(s.xml().contains("<range start='10.1.2.50' end='10.1.2.254'/>"), "{}", s.xml());
    }

    #[test]
    fn modes_come_back_with_their_nat_settings_and_uplink() {
        let xml = lab().to_xml().replace(
            "<forward mode='nat'/>",
            "<forward mode='nat'><nat><port start='2000' end='3000'/></nat></forward>",
        );
        let mut s = EditSession::new(Network::from_xml(&xml).unwrap());
        s.set_text(Field::ForwardDev, "eth1");
        s.set_mode(None);
        s.set_mode(Some(ForwardMode::Route));
        assert!(!s.xml().contains("<port"), "{}", s.xml());
        s.set_mode(Some(ForwardMode::Nat));
        assert!(s.xml().contains("<port start='2000' end='3000'/>") && s.xml().contains("dev='eth1'"), "{}", s.xml());
        s.set_text(Field::ForwardDev, "");
        assert!(!s.is_dirty(), "{}", s.xml());
    }

    #[test]
    fn range_outside_the_subnet_is_shown_at_the_field_in_its_words() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::DhcpStart(Family::Ipv4), "10.0.0.5");
        assert_eq!(
            s.error(Field::DhcpStart(Family::Ipv4)).as_deref(),
            Some("First address handed out is outside 192.168.100.0/24")
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
        assert_eq!(
            s.error(Field::DhcpEnd(Family::Ipv4)).as_deref(),
            Some("Enter an IPv4 address, such as 192.168.100.20")
        );
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
        assert!(s.xml().contains("<range start='192.168.100.2' end='192.168.100.126'/>"), "the default range follows");
        s.set_text(Field::DhcpEnd(Family::Ipv4), "192.168.100.200");
        assert_eq!(
            s.error(Field::DhcpEnd(Family::Ipv4)).as_deref(),
            Some("Last address handed out is outside 192.168.100.0/25")
        );
        s.set_text(Field::Subnet(Family::Ipv4), "fd00::1/64");
        assert_eq!(
            s.error(Field::Subnet(Family::Ipv4)).as_deref(),
            Some("This is not an IPv4 address; enter one such as 192.168.100.1/24")
        );
        s.set_text(Field::Subnet(Family::Ipv4), "10.0.7.0/24");
        assert_eq!(s.subnet_text(Family::Ipv4), "10.0.7.1/24", "a network address stands for the network");
    }

    #[test]
    fn implausible_prefixes_are_warned_about() {
        let mut s = EditSession::new(lab());
        assert_eq!(s.warning(Field::Subnet(Family::Ipv4)), None);
        s.set_text(Field::Subnet(Family::Ipv4), "10.0.0.1/8");
        assert!(
            s.warning(Field::Subnet(Family::Ipv4)).unwrap().contains("cannot reach any outside address in 10.0.0.0/8")
        );
        s.set_mode(None);
        assert_eq!(s.warning(Field::Subnet(Family::Ipv4)), None, "an isolated /8 reaches nothing outside anyway");
        s.set_text(Field::Subnet(Family::Ipv4), "32.0.0.1/3");
        assert!(s.warning(Field::Subnet(Family::Ipv4)).unwrap().starts_with("A /3 is a very large network"));
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
    fn a_host_is_checked_at_its_row_before_it_is_added() {
        let mut s = EditSession::new(lab());
        let check = s.check_host(Family::Ipv4, "zz", "192.168.100.10", "db");
        assert_eq!(check.errors[0].as_deref(), Some("Enter a MAC address such as 52:54:00:12:34:56"));
        assert!(!check.can_add());
        let check = s.check_host(Family::Ipv4, "52:54:00:00:00:10", "10.0.0.10", "db");
        assert_eq!(check.errors[1].as_deref(), Some("IP address is outside 192.168.100.0/24"));
        let check = s.check_host(Family::Ipv4, "52:54:00:00:00:09", "192.168.100.10", "db");
        assert_eq!(check.errors[0].as_deref(), Some("MAC address is already used by another static host"));
        assert!(!s.check_host(Family::Ipv4, "", "", "").complete, "an empty row is not an error");
        assert!(s.add_host(Family::Ipv4, "52:54:00:00:00:09", "192.168.100.10", "db").is_err());
        assert!(!s.is_dirty(), "a refused host is not added");
        let check = s.check_host(Family::Ipv4, "52:54:00:00:00:10", "192.168.100.10", "db");
        assert!(check.can_add(), "{check:?}");
        s.add_host(Family::Ipv4, "52:54:00:00:00:10", "192.168.100.10", "db").unwrap();
        assert!(s.can_apply());
        s.remove_host(Family::Ipv4, 1);
        assert!(!s.is_dirty());
    }

    #[test]
    fn a_host_the_subnet_left_behind_is_flagged_at_its_row() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::Subnet(Family::Ipv4), "192.168.100.1/29");
        assert_eq!(s.host_problems(Family::Ipv4), [Some("IP address is outside 192.168.100.0/29".to_owned())]);
        assert!(s.other_problems().is_empty(), "{:?}", s.other_problems());
    }

    #[test]
    fn names_and_records() {
        let mut s = EditSession::new(lab());
        s.set_text(Field::Name, "lab/2");
        assert_eq!(
            s.error(Field::Name).as_deref(),
            Some("The name contains “/”; a name cannot contain “/”, “,” or control characters")
        );
        s.set_text(Field::Name, "");
        assert_eq!(s.error(Field::Name).as_deref(), Some("Give the network a name"));
        s.set_text(Field::Name, "lab2");
        let check = s.check_dns_host("a b", "192.168.100.20");
        assert!(check.errors[0].as_deref().is_some_and(|e| e.starts_with("Host name contains")), "{check:?}");
        s.add_dns_host("printer", "192.168.100.20").unwrap();
        s.add_dns_host("scanner", "192.168.100.21").unwrap();
        s.add_dns_host("lp", "192.168.100.20").unwrap();
        assert!(s.xml().contains("<hostname>printer</hostname>"));
        // Names are counted across records: printer, lp, scanner.
        s.remove_dns_name(1);
        assert!(!s.xml().contains("<hostname>lp</hostname>") && s.xml().contains("<hostname>printer</hostname>"));
        s.remove_dns_name(1);
        assert!(!s.xml().contains("192.168.100.21"), "{}", s.xml());
        s.remove_dns_name(0);
        assert!(!s.xml().contains("<dns"), "{}", s.xml());
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
        assert!(s.xml().contains("dev='eth1'"), "{}", s.xml());
        s.set_text(Field::Forwarders, "9.9.9.9, 2620:fe::fe");
        assert_eq!(s.forwarders_text(), "9.9.9.9, 2620:fe::fe");
        assert!(s.xml().contains("<forwarder addr='9.9.9.9'/>"), "{}", s.xml());
        s.set_text(Field::Forwarders, "9.9.9.9, quad9");
        assert_eq!(
            s.error(Field::Forwarders).as_deref(),
            Some("Enter IP addresses separated by commas; “quad9” is not one")
        );
        s.set_text(Field::Forwarders, "");
        s.set_text(Field::ForwardDev, "");
        assert!(!s.is_dirty(), "{}", s.xml());
    }
}
