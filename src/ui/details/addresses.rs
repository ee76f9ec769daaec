//! The IPv4 and IPv6 sections: the host's address with its prefix, the network in CIDR
//! form, DHCP on or off with its range, and the static hosts.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;

use super::DetailsInput;
use super::fields::{CheckedEntry, RecordList, switch_row, value_row};
use crate::model::Family;
use crate::model::subnet::display;
use crate::ui::edit::{EditSession, Field};

pub struct AddressSection {
    family: Family,
    pub group: adw::PreferencesGroup,
    address: CheckedEntry,
    network: gtk::Label,
    dhcp: gtk::Switch,
    dhcp_handler: glib::SignalHandlerId,
    start: CheckedEntry,
    end: CheckedEntry,
    pub hosts: RecordList,
    /// What the host list shows, so it is rebuilt only when it changes.
    shown_hosts: Vec<(String, String)>,
}

impl AddressSection {
    pub fn new(family: Family, sender: &relm4::Sender<DetailsInput>) -> Self {
        let group = adw::PreferencesGroup::builder().title(family.to_string()).build();
        let edit = |field: Field| {
            let sender = sender.clone();
            move |text: String| sender.emit(DetailsInput::Edit(field, text))
        };
        let example = match family {
            Family::Ipv4 => "192.168.100.1/24",
            Family::Ipv6 => "fd00:100::1/64",
        };
        let address = CheckedEntry::new(&gettext("Host address and prefix"), edit(Field::Subnet(family)));
        address.row.set_tooltip_text(Some(
            &gettext("This computer's address on the network, such as {example}; empty: none")
                .replace("{example}", example),
        ));
        address.add_to(&group);
        let (network_row, network) = value_row(&gettext("Network"));
        group.add(&network_row);
        let (dhcp_row, dhcp) = switch_row(&gettext("DHCP"), Some(&gettext("Hand out addresses to guests")));
        let dhcp_handler = {
            let sender = sender.clone();
            dhcp.connect_active_notify(move |switch| sender.emit(DetailsInput::SetDhcp(family, switch.is_active())))
        };
        group.add(&dhcp_row);
        let start = CheckedEntry::new(&gettext("DHCP range start"), edit(Field::DhcpStart(family)));
        start.add_to(&group);
        let end = CheckedEntry::new(&gettext("DHCP range end"), edit(Field::DhcpEnd(family)));
        end.add_to(&group);
        let hosts = {
            let add = sender.clone();
            let remove = sender.clone();
            RecordList::new(
                &gettext("Static hosts"),
                &gettext("Add Host"),
                &[&gettext("MAC address"), &gettext("IP address"), &gettext("Host name")],
                move |values| add.emit(DetailsInput::AddHost(family, values)),
                move |index| remove.emit(DetailsInput::RemoveHost(family, index)),
            )
        };
        group.add(&hosts.expander);
        AddressSection {
            family,
            group,
            address,
            network,
            dhcp,
            dhcp_handler,
            start,
            end,
            hosts,
            shown_hosts: Vec::new(),
        }
    }

    pub fn load(&mut self, session: &EditSession) {
        let ip = session.edited().ips.iter().find(|ip| ip.family() == Some(self.family));
        let address = ip.and_then(|ip| Some(format!("{}/{}", ip.address?, ip.prefix_len()?))).unwrap_or_default();
        self.address.load(&address);
        let range = ip.and_then(|ip| ip.dhcp.as_ref()).and_then(|d| d.ranges.first());
        self.start.load(&range.map(|r| r.start.to_string()).unwrap_or_default());
        self.end.load(&range.map(|r| r.end.to_string()).unwrap_or_default());
        self.refresh(session);
    }

    pub fn refresh(&mut self, session: &EditSession) {
        let family = self.family;
        let ip = session.edited().ips.iter().find(|ip| ip.family() == Some(family));
        self.network.set_label(&ip.and_then(|ip| ip.subnet()).map(|s| display(&s)).unwrap_or_else(|| gettext("none")));
        let has_range = ip.and_then(|ip| ip.dhcp.as_ref()).is_some_and(|d| !d.ranges.is_empty());
        self.dhcp.block_signal(&self.dhcp_handler);
        self.dhcp.set_active(has_range);
        self.dhcp.unblock_signal(&self.dhcp_handler);
        let has_address = ip.is_some_and(|ip| ip.address.is_some());
        self.dhcp.set_sensitive(has_address);
        // Reload the range when DHCP was just switched on (the session filled it in).
        if has_range && self.start.row.text().is_empty() && self.end.row.text().is_empty() {
            let range = ip.and_then(|ip| ip.dhcp.as_ref()).and_then(|d| d.ranges.first());
            self.start.load(&range.map(|r| r.start.to_string()).unwrap_or_default());
            self.end.load(&range.map(|r| r.end.to_string()).unwrap_or_default());
        }
        if !has_range {
            self.start.load("");
            self.end.load("");
        }
        self.start.row.set_visible(has_range);
        self.end.row.set_visible(has_range);
        self.address.show_error(session.error(Field::Subnet(family)));
        self.start.show_error(session.error(Field::DhcpStart(family)));
        self.end.show_error(session.error(Field::DhcpEnd(family)));

        let hosts: Vec<(String, String)> = ip
            .and_then(|ip| ip.dhcp.as_ref())
            .map(|d| {
                d.hosts
                    .iter()
                    .map(|h| {
                        let ip = h.ip.map(|a| a.to_string()).unwrap_or_default();
                        let id = h.mac.map(|m| m.to_string()).or_else(|| h.id.clone()).unwrap_or_default();
                        (
                            h.name.clone().unwrap_or_else(|| ip.clone()),
                            [ip, id].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" · "),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if hosts != self.shown_hosts {
            self.hosts.set_records(&hosts);
            self.shown_hosts = hosts;
        }
        self.hosts.expander.set_sensitive(has_address);
    }
}
