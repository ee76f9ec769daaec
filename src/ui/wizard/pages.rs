//! The wizard's pages as widgets: each is built once, reports edits through `WizardInput`
//! and is refreshed from the choices (`NewNetwork`) after every change.

use std::cell::Cell;
use std::rc::Rc;

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use super::WizardInput;
use crate::dbus::HostInterface;
use crate::model::Family;
use crate::ui::a11y;
use crate::ui::details::diagram::{self, Reach};
use crate::ui::details::fields::{CheckedEntry, RecordList, switch_row, value_row};
use crate::ui::details::xml::XmlPage;
use crate::ui::edit::Field;
use crate::ui::new_network::{Mode, NewNetwork, Page, route_for_router};

/// Sends the user's edits to the wizard, and nothing while the pages are being filled
/// from the choices: a switch set there must not come back as an edit (two queued
/// opposite edits would otherwise flip it for ever).
#[derive(Clone)]
pub struct Input {
    sender: relm4::Sender<WizardInput>,
    quiet: Rc<Cell<bool>>,
}

impl Input {
    pub fn new(sender: relm4::Sender<WizardInput>) -> Self {
        Input { sender, quiet: Rc::default() }
    }

    pub fn emit(&self, message: WizardInput) {
        if !self.quiet.get() {
            self.sender.emit(message);
        }
    }

    /// Runs `fill` with edits not reported.
    pub fn quietly(&self, fill: impl FnOnce()) {
        self.quiet.set(true);
        fill();
        self.quiet.set(false);
    }
}

fn entry(title: &str, input: &Input, message: impl Fn(String) -> WizardInput + 'static) -> CheckedEntry {
    let input = input.clone();
    let entry = CheckedEntry::new(title, move |text| input.emit(message(text)));
    entry.row.set_activates_default(true);
    entry
}

/// Fills a field from the choices unless the user is typing in it: their text stays as
/// typed (a half-typed `10.0.0.0/2` must not turn into `0.0.0.0/2` under their cursor).
fn load_unless_typing(entry: &CheckedEntry, text: &str) {
    let typing = entry.row.root().and_then(|root| root.focus()).is_some_and(|focus| focus.is_ancestor(&entry.row));
    if !typing {
        entry.load(text);
    }
}

fn problems_label() -> gtk::Label {
    gtk::Label::builder().xalign(0.0).wrap(true).visible(false).css_classes(["field-error"]).build()
}

fn show_problems(label: &gtk::Label, problems: &[String]) {
    label.set_label(&problems.join("\n"));
    label.set_visible(!problems.is_empty());
}

/// Page 1: the name, and the kind of network as four cards with a picture each.
pub struct ModePage {
    pub root: adw::PreferencesPage,
    name: CheckedEntry,
    cards: Vec<(Mode, gtk::ToggleButton)>,
}

impl ModePage {
    pub fn new(input: &Input) -> Self {
        let root = adw::PreferencesPage::new();
        let naming = adw::PreferencesGroup::new();
        let name = entry(&gettext("Name"), input, WizardInput::Name);
        name.add_to(&naming);
        root.add(&naming);

        let kinds = adw::PreferencesGroup::builder()
            .title(gettext("Kind of Network"))
            .description(gettext("How guests on this network reach the world."))
            .build();
        let grid = gtk::Grid::builder().column_spacing(12).row_spacing(12).column_homogeneous(true).build();
        let mut cards = Vec::new();
        let mut group: Option<gtk::ToggleButton> = None;
        for (i, mode) in Mode::ALL.into_iter().enumerate() {
            let card = mode_card(mode);
            if let Some(first) = &group {
                card.set_group(Some(first));
            } else {
                group = Some(card.clone());
            }
            let input = input.clone();
            card.connect_toggled(move |card| {
                if card.is_active() {
                    input.emit(WizardInput::Mode(mode));
                }
            });
            let (column, row) = (i32::try_from(i % 2).unwrap_or(0), i32::try_from(i / 2).unwrap_or(0));
            grid.attach(&card, column, row, 1, 1);
            cards.push((mode, card));
        }
        kinds.add(&grid);
        root.add(&kinds);
        ModePage { root, name, cards }
    }

    pub fn refresh(&self, new: &NewNetwork) {
        load_unless_typing(&self.name, &new.definition().name);
        self.name.show_error(new.error(Field::Name));
        for (mode, card) in &self.cards {
            if card.is_active() != (*mode == new.mode()) {
                card.set_active(*mode == new.mode());
            }
        }
    }

    pub fn focus(&self) {
        self.name.row.grab_focus();
    }
}

/// A selectable card: a picture of the mode, its name and one sentence.
fn mode_card(mode: Mode) -> gtk::ToggleButton {
    let picture = gtk::DrawingArea::builder().content_height(56).content_width(120).hexpand(true).build();
    let reach = match mode {
        Mode::Nat => Reach::OutOnly,
        Mode::Routed | Mode::Open => Reach::BothWays,
        Mode::Isolated => Reach::None,
    };
    picture.set_draw_func(move |area, cr, width, height| diagram::draw_mode(reach, area, cr, width, height));
    let title = gtk::Label::builder().label(mode.title()).xalign(0.0).css_classes(["heading"]).build();
    let sentence = gtk::Label::builder()
        .label(mode.description())
        .xalign(0.0)
        .wrap(true)
        .max_width_chars(30)
        .css_classes(["dim-label"])
        .build();
    let content = gtk::Box::builder().orientation(gtk::Orientation::Vertical).spacing(6).build();
    content.append(&picture);
    content.append(&title);
    content.append(&sentence);
    content.set_margin_top(6);
    content.set_margin_bottom(6);
    let card = gtk::ToggleButton::builder().child(&content).css_classes(["mode-card"]).build();
    a11y::set_label(&card, &mode.title());
    a11y::set_description(&card, &mode.description());
    card
}

/// Page 2 (NAT and routed): the uplink, chosen from the host's interfaces (never typed),
/// and for a routed network the route the LAN's router needs.
pub struct ForwardPage {
    pub root: adw::PreferencesPage,
    group: adw::PreferencesGroup,
    input: Input,
    /// One choice per row: `None` is "any interface".
    choices: Vec<(Option<String>, adw::ActionRow, gtk::CheckButton)>,
    interfaces: Vec<HostInterface>,
    routing: adw::PreferencesGroup,
    route: gtk::Label,
}

impl ForwardPage {
    pub fn new(input: &Input) -> Self {
        let root = adw::PreferencesPage::new();
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Forward To"))
            .description(gettext(
                "The interface guests' traffic leaves through. “Any interface” follows this computer's routes.",
            ))
            .build();
        root.add(&group);
        let routing = adw::PreferencesGroup::builder()
            .title(gettext("Your Router Needs a Route"))
            .description(gettext(
                "A routed network is reached from the LAN only if the LAN's router sends its traffic to this computer. Add this route on the router:",
            ))
            .build();
        let route = gtk::Label::builder()
            .xalign(0.0)
            .selectable(true)
            .wrap(true)
            .css_classes(["monospace", "card", "route"])
            .build();
        routing.add(&route);
        root.add(&routing);
        let mut page = ForwardPage {
            root,
            group,
            input: input.clone(),
            choices: Vec::new(),
            interfaces: Vec::new(),
            routing,
            route,
        };
        page.set_interfaces(Vec::new());
        page
    }

    /// One row per interface of the host, after "any interface".
    pub fn set_interfaces(&mut self, interfaces: Vec<HostInterface>) {
        for (_, row, _) in self.choices.drain(..) {
            self.group.remove(&row);
        }
        let any = (None, gettext("Any interface"), gettext("Whichever the host's routes choose"));
        let described = interfaces.iter().map(|i| {
            let mut details = vec![if i.kind == "device" { gettext("device") } else { i.kind.clone() }];
            details.extend(i.addresses.iter().cloned());
            if !i.up {
                details.push(gettext("down"));
            }
            (Some(i.name.clone()), i.name.clone(), details.join(" · "))
        });
        let mut first: Option<gtk::CheckButton> = None;
        for (choice, title, subtitle) in std::iter::once(any).chain(described) {
            let check = gtk::CheckButton::builder().valign(gtk::Align::Center).build();
            if let Some(first) = &first {
                check.set_group(Some(first));
            } else {
                first = Some(check.clone());
            }
            a11y::set_label(&check, &title);
            let row = adw::ActionRow::builder().title(&title).subtitle(&subtitle).activatable_widget(&check).build();
            row.add_prefix(&check);
            let input = self.input.clone();
            let emitted = choice.clone();
            check.connect_toggled(move |check| {
                if check.is_active() {
                    input.emit(WizardInput::Uplink(emitted.clone()));
                }
            });
            self.group.add(&row);
            self.choices.push((choice, row, check));
        }
        self.interfaces = interfaces;
    }

    pub fn refresh(&self, new: &NewNetwork) {
        let chosen = new.forward_dev().map(str::to_owned);
        for (choice, _, check) in &self.choices {
            if *choice == chosen && !check.is_active() {
                check.set_active(true);
            }
        }
        self.routing.set_visible(new.mode() == Mode::Routed);
        // The router reaches the network through this computer's address on the LAN:
        // the chosen interface's, or the first IPv4 address of any interface that is up.
        let candidates = self.interfaces.iter().filter(|i| chosen.as_ref().is_none_or(|c| *c == i.name) && i.up);
        let via = candidates
            .flat_map(|i| i.addresses.iter())
            .filter_map(|a| a.parse::<ipnetwork::IpNetwork>().ok())
            .find(ipnetwork::IpNetwork::is_ipv4)
            .map(|a| a.ip());
        let routes: Vec<String> = [Family::Ipv4, Family::Ipv6]
            .into_iter()
            .filter_map(|f| new.subnet(f))
            .map(|subnet| route_for_router(&subnet, if subnet.is_ipv4() { via } else { None }))
            .collect();
        self.route.set_label(&routes.join("\n"));
    }
}

/// Page 3: IPv4 (network, DHCP, static hosts) and optional IPv6.
pub struct AddressesPage {
    pub root: adw::PreferencesPage,
    network: CheckedEntry,
    host: gtk::Label,
    dhcp: gtk::Switch,
    start: CheckedEntry,
    end: CheckedEntry,
    hosts: RecordList,
    ipv6: gtk::Switch,
    network6: CheckedEntry,
    host6: gtk::Label,
    host6_row: adw::ActionRow,
    dhcp6: gtk::Switch,
    dhcp6_row: adw::ActionRow,
    problems: gtk::Label,
}

impl AddressesPage {
    pub fn new(input: &Input) -> Self {
        let root = adw::PreferencesPage::new();
        let v4 = adw::PreferencesGroup::builder()
            .title(gettext("IPv4"))
            .description(gettext("A subnet no other network and nothing on your LAN uses; the one filled in is free."))
            .build();
        let network =
            entry(&gettext("Network (such as 192.168.100.0/24)"), input, |t| WizardInput::Network(Family::Ipv4, t));
        network.add_to(&v4);
        let (host_row, host) = value_row(&gettext("This computer's address"));
        v4.add(&host_row);
        let (dhcp_row, dhcp) = switch_row(&gettext("DHCP"), Some(&gettext("Hand out addresses to guests")));
        {
            let input = input.clone();
            dhcp.connect_active_notify(move |s| input.emit(WizardInput::Dhcp(Family::Ipv4, s.is_active())));
        }
        v4.add(&dhcp_row);
        let start = entry(&gettext("First address handed out"), input, |t| WizardInput::RangeStart(Family::Ipv4, t));
        start.add_to(&v4);
        let end = entry(&gettext("Last address handed out"), input, |t| WizardInput::RangeEnd(Family::Ipv4, t));
        end.add_to(&v4);
        let hosts = {
            let (add, remove) = (input.clone(), input.clone());
            RecordList::new(
                &gettext("Static hosts"),
                &gettext("Add Host"),
                &[&gettext("MAC address"), &gettext("IP address"), &gettext("Host name")],
                move |values| add.emit(WizardInput::AddHost(values)),
                move |index| remove.emit(WizardInput::RemoveHost(index)),
            )
        };
        hosts.expander.set_subtitle(&gettext("Guests that always get the same address"));
        v4.add(&hosts.expander);
        let problems = problems_label();
        v4.add(&problems);
        root.add(&v4);

        let v6 = adw::PreferencesGroup::builder().title(gettext("IPv6")).build();
        let (ipv6_row, ipv6) =
            switch_row(&gettext("IPv6"), Some(&gettext("Also give guests a unique local IPv6 subnet")));
        {
            let input = input.clone();
            ipv6.connect_active_notify(move |s| input.emit(WizardInput::Ipv6(s.is_active())));
        }
        v6.add(&ipv6_row);
        let network6 =
            entry(&gettext("Network (such as fd00:1::/64)"), input, |t| WizardInput::Network(Family::Ipv6, t));
        network6.add_to(&v6);
        let (host6_row, host6) = value_row(&gettext("This computer's address"));
        v6.add(&host6_row);
        let (dhcp6_row, dhcp6) = switch_row(
            &gettext("DHCPv6"),
            Some(&gettext("Off: guests configure themselves from router advertisements")),
        );
        {
            let input = input.clone();
            dhcp6.connect_active_notify(move |s| input.emit(WizardInput::Dhcp(Family::Ipv6, s.is_active())));
        }
        v6.add(&dhcp6_row);
        root.add(&v6);
        AddressesPage {
            root,
            network,
            host,
            dhcp,
            start,
            end,
            hosts,
            ipv6,
            network6,
            host6,
            host6_row,
            dhcp6,
            dhcp6_row,
            problems,
        }
    }

    pub fn refresh(&mut self, new: &NewNetwork) {
        let v4 = Family::Ipv4;
        // Text that does not parse stays as typed, with its message.
        if new.error(Field::Subnet(v4)).is_none() {
            load_unless_typing(&self.network, &new.network_text(v4));
        }
        self.network.show_error(new.error(Field::Subnet(v4)));
        self.host.set_label(&new.host_text(v4));
        set_switch(&self.dhcp, new.dhcp(v4));
        let (start, end) = new.range(v4);
        for (field, entry, text) in [(Field::DhcpStart(v4), &self.start, start), (Field::DhcpEnd(v4), &self.end, end)] {
            entry.row.set_visible(new.dhcp(v4));
            load_unless_typing(entry, &text);
            entry.show_error(new.error(field).filter(|_| new.dhcp(v4)));
        }
        self.hosts.set_records(&new.hosts());
        let mut problems = new.other_problems(Page::Addresses);
        problems.extend(new.addresses_missing());
        show_problems(&self.problems, &problems);

        let v6 = Family::Ipv6;
        set_switch(&self.ipv6, new.ipv6());
        self.network6.row.set_visible(new.ipv6());
        if new.error(Field::Subnet(v6)).is_none() {
            load_unless_typing(&self.network6, &new.network_text(v6));
        }
        self.network6.show_error(new.error(Field::Subnet(v6)).filter(|_| new.ipv6()));
        self.host6_row.set_visible(new.ipv6());
        self.host6.set_label(&new.host_text(v6));
        self.dhcp6_row.set_visible(new.ipv6());
        set_switch(&self.dhcp6, new.dhcp(v6));
    }

    pub fn host_added(&self, result: Result<(), String>) {
        self.hosts.added(result);
    }

    pub fn focus(&self) {
        self.network.row.grab_focus();
    }
}

fn set_switch(switch: &gtk::Switch, on: bool) {
    if switch.is_active() != on {
        switch.set_active(on);
    }
}

/// Page 4: the domain, whether it is answered here only, and host records.
pub struct DnsPage {
    pub root: adw::PreferencesPage,
    domain: CheckedEntry,
    local_only: gtk::Switch,
    records: RecordList,
    problems: gtk::Label,
}

impl DnsPage {
    pub fn new(input: &Input) -> Self {
        let root = adw::PreferencesPage::new();
        let group = adw::PreferencesGroup::builder()
            .title(gettext("DNS"))
            .description(gettext(
                "Guests ask this computer for names; it answers for the network's own names and passes the rest on.",
            ))
            .build();
        let domain = entry(&gettext("Domain"), input, WizardInput::Domain);
        domain.add_to(&group);
        let (local_row, local_only) = switch_row(
            &gettext("Answer only locally"),
            Some(&gettext("Never ask upstream servers about names in this domain")),
        );
        {
            let input = input.clone();
            local_only.connect_active_notify(move |s| input.emit(WizardInput::LocalOnly(s.is_active())));
        }
        group.add(&local_row);
        let records = {
            let (add, remove) = (input.clone(), input.clone());
            RecordList::new(
                &gettext("Host records"),
                &gettext("Add Record"),
                &[&gettext("Host name"), &gettext("IP address")],
                move |values| add.emit(WizardInput::AddDnsHost(values)),
                move |index| remove.emit(WizardInput::RemoveDnsHost(index)),
            )
        };
        group.add(&records.expander);
        let problems = problems_label();
        group.add(&problems);
        root.add(&group);
        DnsPage { root, domain, local_only, records, problems }
    }

    pub fn refresh(&mut self, new: &NewNetwork) {
        load_unless_typing(&self.domain, &new.domain());
        self.domain.show_error(new.error(Field::Domain));
        set_switch(&self.local_only, new.local_only());
        self.records.set_records(&new.dns_hosts());
        show_problems(&self.problems, &new.other_problems(Page::Dns));
    }

    pub fn record_added(&self, result: Result<(), String>) {
        self.records.added(result);
    }

    pub fn focus(&self) {
        self.domain.row.grab_focus();
    }
}

/// Page 5: the plan in words, the XML (editable), and whether to start now and at boot.
pub struct ReviewPage {
    pub root: gtk::Box,
    summary: gtk::Label,
    pub start_now: gtk::Switch,
    pub autostart: gtk::Switch,
    xml: XmlPage,
}

impl ReviewPage {
    pub fn new(input: &Input) -> Self {
        let page = adw::PreferencesPage::new();
        let plan = adw::PreferencesGroup::builder().title(gettext("The New Network")).build();
        let summary = gtk::Label::builder().xalign(0.0).wrap(true).build();
        plan.add(&summary);
        page.add(&plan);
        let when = adw::PreferencesGroup::new();
        let (start_row, start_now) = switch_row(&gettext("Start now"), None);
        start_now.set_active(true);
        let (boot_row, autostart) = switch_row(&gettext("Start at boot"), None);
        autostart.set_active(true);
        when.add(&start_row);
        when.add(&boot_row);
        page.add(&when);
        page.set_vexpand(false);

        let xml = {
            let input = input.clone();
            XmlPage::new(move |text| input.emit(WizardInput::Xml(text)))
        };
        let heading = gtk::Label::builder()
            .label(gettext("Definition (XML, editable)"))
            .xalign(0.0)
            .css_classes(["heading"])
            .build();
        heading.set_margin_start(12);
        heading.set_margin_top(6);
        let root = gtk::Box::new(gtk::Orientation::Vertical, 6);
        let scrolled = gtk::ScrolledWindow::builder()
            .child(&page)
            .hscrollbar_policy(gtk::PolicyType::Never)
            .propagate_natural_height(true)
            .build();
        root.append(&scrolled);
        root.append(&heading);
        root.append(&xml.root);
        ReviewPage { root, summary, start_now, autostart, xml }
    }

    /// On entering the page: the XML as the other pages made it.
    pub fn load_xml(&self, new: &NewNetwork) {
        self.xml.load(&new.xml());
    }

    /// After any change; the XML itself is left as the user is typing it.
    pub fn refresh(&self, new: &NewNetwork) {
        self.summary.set_label(&new.summary().join("\n"));
        self.xml.show_problems(&new.problems());
    }
}
