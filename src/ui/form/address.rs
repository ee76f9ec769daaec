//! The addresses of one family (IPv4 or IPv6): this computer's address with the prefix,
//! the network it makes, DHCP on or off with its range, and the static hosts. In the
//! details page and in the wizard alike.

use std::cell::RefCell;
use std::rc::Rc;

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use super::fields::{CheckedEntry, Record, RecordList, set_switch, switch_row, value_row};
use super::{FormEdit, FormSender};
use crate::model::Family;
use crate::model::subnet::display;
use crate::ui::edit::words::{self, example_subnet};
use crate::ui::edit::{EditSession, Field, RowCheck};

/// A typed subnet that something else already uses, and a free one to use instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    pub message: String,
    pub free: Option<String>,
}

pub struct AddressSection {
    family: Family,
    pub group: adw::PreferencesGroup,
    /// The wizard's switch that turns the family on (with a suggested subnet).
    enable: Option<gtk::Switch>,
    address: CheckedEntry,
    taken_row: adw::ActionRow,
    taken_button: gtk::Button,
    /// The free subnet the taken row offers.
    offered: Rc<RefCell<Option<String>>>,
    network_row: adw::ActionRow,
    network: gtk::Label,
    dhcp_row: adw::ActionRow,
    dhcp: gtk::Switch,
    start: CheckedEntry,
    end: CheckedEntry,
    pub hosts: RecordList,
}

impl AddressSection {
    /// `with_switch`: a first row that turns the family on and off (the wizard's IPv6).
    pub fn new(family: Family, form: &FormSender, with_switch: bool) -> Self {
        let group = adw::PreferencesGroup::builder().title(family.to_string()).build();
        let edit = |field: Field| {
            let form = form.clone();
            move |text: String| form.emit(FormEdit::Text(field, text))
        };
        let enable = with_switch.then(|| {
            let (row, switch) = switch_row(
                &gettext("Use {family}").replace("{family}", &family.to_string()),
                Some(&gettext("Also give guests a unique local IPv6 subnet")),
            );
            let form = form.clone();
            switch.connect_active_notify(move |s| form.emit(FormEdit::Family(family, s.is_active())));
            group.add(&row);
            switch
        });
        let address = CheckedEntry::new(&Field::Subnet(family).label(), edit(Field::Subnet(family)));
        address.row.set_tooltip_text(Some(
            &gettext("This computer's address on the network with the prefix length, such as {example}; empty: none")
                .replace("{example}", example_subnet(family)),
        ));
        address.add_to(&group);

        let offered: Rc<RefCell<Option<String>>> = Rc::default();
        let taken_button = gtk::Button::builder().valign(gtk::Align::Center).build();
        let taken_row = adw::ActionRow::builder().use_markup(false).visible(false).css_classes(["taken"]).build();
        taken_row.add_suffix(&taken_button);
        {
            let (form, offered) = (form.clone(), Rc::clone(&offered));
            taken_button.connect_clicked(move |_| {
                if let Some(subnet) = offered.borrow().clone() {
                    form.emit(FormEdit::UseSubnet(family, subnet));
                }
            });
        }
        group.add(&taken_row);

        let (network_row, network) = value_row(&gettext("Network"));
        group.add(&network_row);
        let subtitle = match family {
            Family::Ipv4 => gettext("Hand out addresses to guests"),
            Family::Ipv6 => {
                gettext("Hand out addresses to guests; off: they configure themselves from router advertisements")
            }
        };
        let (dhcp_row, dhcp) = switch_row(&Field::DhcpEnabled(family).label(), Some(&subtitle));
        {
            let form = form.clone();
            dhcp.connect_active_notify(move |switch| form.emit(FormEdit::Dhcp(family, switch.is_active())));
        }
        group.add(&dhcp_row);
        let start = CheckedEntry::new(&Field::DhcpStart(family).label(), edit(Field::DhcpStart(family)));
        start.add_to(&group);
        let end = CheckedEntry::new(&Field::DhcpEnd(family).label(), edit(Field::DhcpEnd(family)));
        end.add_to(&group);
        let identifier = match family {
            Family::Ipv4 => words::host_mac_label(),
            Family::Ipv6 => words::host_duid_label(),
        };
        let mut hosts = {
            let (add, typed, remove) = (form.clone(), form.clone(), form.clone());
            RecordList::new(
                &gettext("Static hosts"),
                &gettext("Add Host"),
                &[&identifier, &words::ip_address_label(), &words::host_name_label()],
                move |values| add.emit(FormEdit::AddHost(family, values)),
                move |values| typed.emit(FormEdit::HostTyped(family, values)),
                move |index| remove.emit(FormEdit::RemoveHost(family, index)),
            )
        };
        hosts.set_empty_subtitle(&gettext("Guests that always get the same address"));
        group.add(&hosts.expander);
        AddressSection {
            family,
            group,
            enable,
            address,
            taken_row,
            taken_button,
            offered,
            network_row,
            network,
            dhcp_row,
            dhcp,
            start,
            end,
            hosts,
        }
    }

    /// Fills every field from the session (a new definition, Discard, an XML edit).
    pub fn load(&mut self, session: &EditSession) {
        self.show(session, true);
    }

    /// Shows the session as it is after an edit: fields the user is typing in, or whose
    /// text does not parse, are left as typed.
    pub fn refresh(&mut self, session: &EditSession) {
        self.show(session, false);
    }

    fn show(&mut self, session: &EditSession, force: bool) {
        let family = self.family;
        let fill = |entry: &CheckedEntry, field: Field, text: &str| {
            if force {
                entry.load(text);
            } else if !session.is_unparsed(field) {
                entry.load_unless_typing(text);
            }
        };
        let exists = session.ip(family).is_some() || session.is_unparsed(Field::Subnet(family));
        if let Some(enable) = &self.enable {
            set_switch(enable, exists);
        }
        let shown = self.enable.is_none() || exists;
        self.address.row.set_visible(shown);
        fill(&self.address, Field::Subnet(family), &session.subnet_text(family));
        self.address.show(session.error(Field::Subnet(family)), session.warning(Field::Subnet(family)));

        // Derived from a valid value only: while the address is being typed wrong, the
        // rows below say nothing rather than something half-typed.
        let subnet = session.subnet(family);
        self.network_row.set_visible(shown);
        self.network.set_label(&match (subnet, session.ip(family)) {
            (Some(subnet), _) => display(&subnet),
            (None, Some(_)) => "—".to_owned(),
            (None, None) => gettext("none"),
        });
        let range = session.range(family).cloned();
        self.dhcp_row.set_visible(shown);
        set_switch(&self.dhcp, range.is_some());
        self.dhcp_row.set_sensitive(subnet.is_some());
        for (entry, field, text) in [
            (&self.start, Field::DhcpStart(family), range.as_ref().map(|r| r.start.to_string())),
            (&self.end, Field::DhcpEnd(family), range.as_ref().map(|r| r.end.to_string())),
        ] {
            entry.row.set_visible(shown && range.is_some());
            fill(entry, field, &text.unwrap_or_default());
            entry.show_error(session.error(field).filter(|_| range.is_some()));
        }

        let problems = session.host_problems(family);
        let hosts = session.ip(family).and_then(|ip| ip.dhcp.as_ref()).map(|d| d.hosts.as_slice()).unwrap_or(&[]);
        let records: Vec<Record> = hosts
            .iter()
            .zip(problems.into_iter().chain(std::iter::repeat(None)))
            .map(|(h, problem)| {
                let ip = h.ip.map(|a| a.to_string()).unwrap_or_default();
                let id = h.mac.map(|m| m.to_string()).or_else(|| h.id.clone()).unwrap_or_default();
                Record {
                    title: h.name.clone().unwrap_or_else(|| ip.clone()),
                    subtitle: [ip, id].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" · "),
                    problem,
                }
            })
            .collect();
        self.hosts.set_records(&records);
        self.hosts.expander.set_visible(shown);
        self.hosts.expander.set_sensitive(subnet.is_some());
    }

    /// The answer to the host form as typed.
    pub fn host_checked(&self, check: &RowCheck) {
        self.hosts.checked(check);
    }

    /// Says that the typed subnet is taken (and offers a free one), or nothing.
    pub fn show_taken(&self, taken: Option<&Taken>) {
        match taken {
            Some(taken) => {
                self.taken_row.set_title(&taken.message);
                self.taken_row.set_visible(true);
                self.address.row.add_css_class("error");
                *self.offered.borrow_mut() = taken.free.clone();
                match &taken.free {
                    Some(free) => {
                        self.taken_button.set_label(&gettext("Use {subnet}").replace("{subnet}", free));
                        self.taken_button.set_visible(true);
                    }
                    None => self.taken_button.set_visible(false),
                }
            }
            None => {
                self.taken_row.set_visible(false);
                *self.offered.borrow_mut() = None;
            }
        }
    }

    pub fn focus(&self) {
        self.address.row.grab_focus();
    }
}
