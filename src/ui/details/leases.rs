//! The DHCP leases section: which guest holds which address, live from the helper —
//! "what IP did my VM get".

use std::time::{SystemTime, UNIX_EPOCH};

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use super::DetailsInput;
use crate::dbus::DhcpLease;
use crate::ui::a11y;
use crate::ui::texts;

pub struct LeasesSection {
    pub group: adw::PreferencesGroup,
    rows: Vec<gtk::Widget>,
    sender: relm4::Sender<DetailsInput>,
}

impl LeasesSection {
    pub fn new(sender: &relm4::Sender<DetailsInput>) -> Self {
        let group = adw::PreferencesGroup::builder().title(gettext("DHCP Leases")).build();
        LeasesSection { group, rows: Vec::new(), sender: sender.clone() }
    }

    /// Shows the leases; `active` says whether the network runs at all; `reserved` are
    /// the addresses that are static hosts already (the others get "Reserve");
    /// `forwards` whether the network can forward ports to its guests (NAT).
    pub fn show(&mut self, leases: &[DhcpLease], active: bool, reserved: &[std::net::IpAddr], forwards: bool) {
        for row in self.rows.drain(..) {
            self.group.remove(&row);
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        for lease in leases {
            // A guest names itself: shown as text, never as markup or control codes.
            let name =
                if lease.hostname.is_empty() { gettext("Unnamed guest") } else { texts::shown_text(&lease.hostname) };
            let row = adw::ActionRow::builder()
                .use_markup(false)
                .title(&name)
                .subtitle(format!("{} · {}", lease.mac, texts::expiry(lease.expiry, now)))
                .build();
            let address =
                gtk::Label::builder().label(format!("{}/{}", lease.address, lease.prefix)).selectable(true).build();
            row.add_suffix(&address);
            let is_reserved = lease.address.parse().is_ok_and(|ip| reserved.contains(&ip));
            if forwards {
                let forward = gtk::Button::builder()
                    .icon_name("network-transmit-receive-symbolic")
                    .tooltip_text(gettext("Forward a port of this computer to this guest"))
                    .valign(gtk::Align::Center)
                    .css_classes(["flat"])
                    .build();
                a11y::set_label(&forward, &gettext("Forward a port to {guest}").replace("{guest}", &name));
                let sender = self.sender.clone();
                let (lease, reserved) = (lease.clone(), is_reserved);
                forward.connect_clicked(move |_| sender.emit(DetailsInput::ForwardTo(lease.clone(), reserved)));
                row.add_suffix(&forward);
            }
            if is_reserved {
                row.add_suffix(
                    &gtk::Label::builder()
                        .label(gettext("Reserved"))
                        .tooltip_text(gettext("A static host: this guest always gets this address"))
                        .css_classes(["dim-label"])
                        .build(),
                );
            } else {
                let reserve = gtk::Button::builder()
                    .label(gettext("_Reserve"))
                    .use_underline(true)
                    .tooltip_text(gettext("Reserve this address: the guest always gets it (applies at once)"))
                    .valign(gtk::Align::Center)
                    .css_classes(["flat"])
                    .build();
                a11y::set_label(&reserve, &gettext("Reserve this address for {guest}").replace("{guest}", &name));
                let sender = self.sender.clone();
                let lease = lease.clone();
                reserve.connect_clicked(move |_| sender.emit(DetailsInput::Reserve(lease.clone())));
                row.add_suffix(&reserve);
            }
            self.group.add(&row);
            self.rows.push(row.upcast());
        }
        if leases.is_empty() {
            let text =
                if active { gettext("No guest holds an address yet") } else { gettext("The network is not running") };
            let row = adw::ActionRow::builder().title(text).css_classes(["dim-label"]).build();
            self.group.add(&row);
            self.rows.push(row.upcast());
        }
    }
}
