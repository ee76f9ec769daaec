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
use crate::ui::details::xml::XmlPage;
use crate::ui::edit::Field;
use crate::ui::form::FormSender;
use crate::ui::form::address::AddressSection;
use crate::ui::form::dns::DnsSection;
use crate::ui::form::fields::{CheckedEntry, switch_row};
use crate::ui::form::forwards::ForwardsSection;
use crate::ui::new_network::{Mode, NewNetwork, Page};

/// Sends the user's edits to the wizard, and nothing while the pages are being filled
/// from the choices: a switch set there must not come back as an edit (two queued
/// opposite edits would otherwise flip it for ever). The form sections share its quiet.
#[derive(Clone)]
pub struct Input {
    sender: relm4::Sender<WizardInput>,
    quiet: Rc<Cell<bool>>,
    pub form: FormSender,
}

impl Input {
    pub fn new(sender: relm4::Sender<WizardInput>) -> Self {
        let quiet: Rc<Cell<bool>> = Rc::default();
        let form = {
            let sender = sender.clone();
            FormSender::new(Rc::clone(&quiet), move |edit| sender.emit(WizardInput::Form(edit)))
        };
        Input { sender, quiet, form }
    }

    pub fn emit(&self, message: WizardInput) {
        if !self.quiet.get() {
            self.sender.emit(message);
        }
    }

    /// Runs `fill` with edits not reported.
    pub fn quietly(&self, fill: impl FnOnce()) {
        self.form.quietly(fill);
    }
}

fn entry(title: &str, input: &Input, message: impl Fn(String) -> WizardInput + 'static) -> CheckedEntry {
    let input = input.clone();
    let entry = CheckedEntry::new(title, move |text| input.emit(message(text)));
    entry.row.set_activates_default(true);
    entry
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
        // Two cards a row where they fit, one below the other in a narrow window.
        let cards_box = gtk::FlowBox::builder()
            .column_spacing(12)
            .row_spacing(12)
            .homogeneous(true)
            .min_children_per_line(1)
            .max_children_per_line(2)
            .selection_mode(gtk::SelectionMode::None)
            .build();
        let mut cards = Vec::new();
        let mut group: Option<gtk::ToggleButton> = None;
        for mode in Mode::ALL {
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
            let child = gtk::FlowBoxChild::builder().child(&card).focusable(false).build();
            cards_box.insert(&child, -1);
            cards.push((mode, card));
        }
        kinds.add(&cards_box);
        root.add(&kinds);
        ModePage { root, name, cards }
    }

    pub fn refresh(&self, new: &NewNetwork) {
        self.name.load_unless_typing(&new.definition().name);
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
    let content = gtk::Box::builder().orientation(gtk::Orientation::Vertical).spacing(6).width_request(200).build();
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

/// Page 2 (NAT and routed, when the host has interfaces to choose from): the uplink,
/// chosen from the host's interfaces (never typed).
pub struct ForwardPage {
    pub root: adw::PreferencesPage,
    group: adw::PreferencesGroup,
    input: Input,
    /// One choice per row: `None` is "any interface".
    choices: Vec<(Option<String>, adw::ActionRow, gtk::CheckButton)>,
}

impl ForwardPage {
    pub fn new(input: &Input) -> Self {
        let root = adw::PreferencesPage::new();
        let group = adw::PreferencesGroup::builder()
            .title(Field::ForwardDev.label())
            .description(gettext(
                "The interface guests' traffic leaves through. “Any interface” follows this computer's routes.",
            ))
            .build();
        root.add(&group);
        let mut page = ForwardPage { root, group, input: input.clone(), choices: Vec::new() };
        page.set_interfaces(&[]);
        page
    }

    /// One row per interface of the host, after "any interface".
    pub fn set_interfaces(&mut self, interfaces: &[HostInterface]) {
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
            let row = adw::ActionRow::builder()
                .title(&title)
                .subtitle(&subtitle)
                .use_markup(false)
                .activatable_widget(&check)
                .build();
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
    }

    pub fn refresh(&self, new: &NewNetwork) {
        let chosen = new.forward_dev().map(str::to_owned);
        for (choice, _, check) in &self.choices {
            if *choice == chosen && !check.is_active() {
                check.set_active(true);
            }
        }
    }
}

/// Page 3: IPv4 and optional IPv6, the same sections as the details page's, and for a
/// routed network the route the LAN's router needs.
pub struct AddressesPage {
    pub root: adw::PreferencesPage,
    pub ipv4: AddressSection,
    pub ipv6: AddressSection,
    routing: adw::PreferencesGroup,
    route: gtk::Label,
    problems: gtk::Label,
}

impl AddressesPage {
    pub fn new(input: &Input) -> Self {
        let root = adw::PreferencesPage::new();
        let ipv4 = AddressSection::new(Family::Ipv4, &input.form, false);
        ipv4.group.set_description(Some(&gettext(
            "A subnet no other network and nothing on your LAN uses; the one filled in is free.",
        )));
        root.add(&ipv4.group);
        let problems = problems_label();
        ipv4.group.add(&problems);
        let routing = adw::PreferencesGroup::builder()
            .title(gettext("Your Router Needs a Route"))
            .description(gettext(
                "A routed network is reached from the LAN only if the LAN's router sends its traffic to this computer. Add this route on the router:",
            ))
            .visible(false)
            .build();
        let route = gtk::Label::builder()
            .xalign(0.0)
            .selectable(true)
            .wrap(true)
            .css_classes(["monospace", "card", "route"])
            .build();
        routing.add(&route);
        root.add(&routing);
        let ipv6 = AddressSection::new(Family::Ipv6, &input.form, true);
        root.add(&ipv6.group);
        AddressesPage { root, ipv4, ipv6, routing, route, problems }
    }

    /// Fills the page as it comes into view.
    pub fn load(&mut self, new: &NewNetwork) {
        self.ipv4.load(new.session());
        self.ipv6.load(new.session());
        self.refresh(new);
    }

    pub fn refresh(&mut self, new: &NewNetwork) {
        self.ipv4.refresh(new.session());
        self.ipv6.refresh(new.session());
        self.ipv4.show_taken(new.taken(Family::Ipv4).as_ref());
        self.ipv6.show_taken(new.taken(Family::Ipv6).as_ref());
        let routes = new.routes_for_router();
        self.routing.set_visible(!routes.is_empty());
        self.route.set_label(&routes.join("\n"));
        let mut problems = new.other_problems(Page::Addresses);
        problems.extend(new.addresses_missing());
        show_problems(&self.problems, &problems);
    }

    pub fn section(&self, family: Family) -> &AddressSection {
        if family == Family::Ipv4 { &self.ipv4 } else { &self.ipv6 }
    }

    pub fn focus(&self) {
        self.ipv4.focus();
    }
}

/// Page 4: DNS, the same section as the details page's.
pub struct DnsPage {
    pub root: adw::PreferencesPage,
    pub dns: DnsSection,
    /// Port forwarding, on NAT networks: a guest's service reachable from the start.
    pub forwards: ForwardsSection,
    problems: gtk::Label,
}

impl DnsPage {
    pub fn new(input: &Input) -> Self {
        let root = adw::PreferencesPage::new();
        let dns = DnsSection::new(&input.form);
        let problems = problems_label();
        dns.group.add(&problems);
        root.add(&dns.group);
        let forwards = ForwardsSection::new(&input.form);
        root.add(&forwards.group);
        DnsPage { root, dns, forwards, problems }
    }

    /// Fills the page as it comes into view.
    pub fn load(&mut self, new: &NewNetwork) {
        self.dns.load(new.session());
        self.refresh(new);
    }

    pub fn refresh(&mut self, new: &NewNetwork) {
        self.dns.refresh(new.session());
        self.forwards.refresh(new.session());
        show_problems(&self.problems, &new.other_problems(Page::Dns));
    }

    pub fn focus(&self) {
        self.dns.focus();
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
