//! The DHCP leases section: which guest holds which address, live from the helper —
//! "what IP did my VM get".

use std::time::{SystemTime, UNIX_EPOCH};

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use crate::dbus::DhcpLease;
use crate::ui::texts;

pub struct LeasesSection {
    pub group: adw::PreferencesGroup,
    rows: Vec<gtk::Widget>,
}

impl LeasesSection {
    pub fn new() -> Self {
        let group = adw::PreferencesGroup::builder().title(gettext("DHCP Leases")).build();
        LeasesSection { group, rows: Vec::new() }
    }

    /// Shows the leases; `active` says whether the network runs at all.
    pub fn show(&mut self, leases: &[DhcpLease], active: bool) {
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
