//! The Overview section: name, state, autostart, persistence, bridge, MTU, forward mode
//! and device.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;

use super::DetailsInput;
use super::fields::{CheckedEntry, switch_row, value_row};
use crate::dbus::summary::NetworkSummary;
use crate::model::ForwardMode;
use crate::ui::edit::{EDITABLE_MODES, EditSession, Field};
use crate::ui::texts;

pub struct OverviewSection {
    pub group: adw::PreferencesGroup,
    name: CheckedEntry,
    state: gtk::Label,
    autostart_row: adw::ActionRow,
    autostart: gtk::Switch,
    autostart_handler: glib::SignalHandlerId,
    persistence: gtk::Label,
    bridge: gtk::Label,
    mac: gtk::Label,
    mtu: CheckedEntry,
    mode: adw::ComboRow,
    mode_handler: glib::SignalHandlerId,
    forward_dev: CheckedEntry,
}

fn edit(sender: &relm4::Sender<DetailsInput>, field: Field) -> impl Fn(String) + 'static {
    let sender = sender.clone();
    move |text| sender.emit(DetailsInput::Edit(field, text))
}

impl OverviewSection {
    pub fn new(sender: &relm4::Sender<DetailsInput>) -> Self {
        let group = adw::PreferencesGroup::builder().title(gettext("Overview")).build();
        let name = CheckedEntry::new(&gettext("Name"), edit(sender, Field::Name));
        name.add_to(&group);
        let (state_row, state) = value_row(&gettext("State"));
        group.add(&state_row);
        let (autostart_row, autostart) =
            switch_row(&gettext("Autostart"), Some(&gettext("Start when the computer starts")));
        let autostart_handler = {
            let sender = sender.clone();
            autostart.connect_active_notify(move |switch| sender.emit(DetailsInput::SetAutostart(switch.is_active())))
        };
        group.add(&autostart_row);
        let (persistence_row, persistence) = value_row(&gettext("Definition"));
        group.add(&persistence_row);
        let (bridge_row, bridge) = value_row(&gettext("Bridge"));
        group.add(&bridge_row);
        let (mac_row, mac) = value_row(&gettext("MAC address"));
        group.add(&mac_row);
        let mtu = CheckedEntry::new(&gettext("MTU (empty: the default)"), edit(sender, Field::Mtu));
        mtu.add_to(&group);

        let modes: Vec<String> = EDITABLE_MODES.iter().map(|m| texts::mode(mode_key(*m))).collect();
        let mode_names: Vec<&str> = modes.iter().map(String::as_str).collect();
        let mode =
            adw::ComboRow::builder().title(gettext("Forward mode")).model(&gtk::StringList::new(&mode_names)).build();
        let mode_handler = {
            let sender = sender.clone();
            mode.connect_selected_notify(move |row| {
                if let Some(mode) = EDITABLE_MODES.get(row.selected() as usize) {
                    sender.emit(DetailsInput::SetMode(*mode));
                }
            })
        };
        group.add(&mode);
        let forward_dev = CheckedEntry::new(&gettext("Uplink device (empty: any)"), edit(sender, Field::ForwardDev));
        forward_dev.add_to(&group);

        OverviewSection {
            group,
            name,
            state,
            autostart_row,
            autostart,
            autostart_handler,
            persistence,
            bridge,
            mac,
            mtu,
            mode,
            mode_handler,
            forward_dev,
        }
    }

    /// Fills every field from the definition (not an edit).
    pub fn load(&self, session: &EditSession) {
        let network = session.edited();
        self.name.load(&network.name);
        self.mtu.load(&network.mtu.map(|m| m.to_string()).unwrap_or_default());
        let mode = network.forward.as_ref().map(|f| f.mode);
        self.mode.block_signal(&self.mode_handler);
        match EDITABLE_MODES.iter().position(|m| *m == mode) {
            Some(index) => {
                self.mode.set_selected(index as u32);
                self.mode.set_sensitive(true);
                self.mode.set_subtitle("");
            }
            None => {
                // A mode virtnet does not run (host bridge, direct, hostdev): shown, not offered.
                self.mode.set_sensitive(false);
                self.mode.set_subtitle(
                    &gettext("{mode} (edit in the XML tab)").replace("{mode}", &texts::mode(mode_key(mode))),
                );
            }
        }
        self.mode.unblock_signal(&self.mode_handler);
        let dev =
            network.forward.as_ref().and_then(|f| f.interfaces.first()).map(|i| i.dev.clone()).unwrap_or_default();
        self.forward_dev.load(&dev);
        self.refresh(session);
    }

    /// Shows the messages about the fields as they are now.
    pub fn refresh(&self, session: &EditSession) {
        self.name.show_error(session.error(Field::Name));
        self.mtu.show_error(session.error(Field::Mtu));
        self.forward_dev.show_error(session.error(Field::ForwardDev));
        let forwards = session.edited().forward.is_some();
        self.forward_dev.row.set_visible(forwards);
    }

    /// The helper's view: state, autostart, persistence, bridge.
    pub fn show_summary(&self, summary: &NetworkSummary, session: Option<&EditSession>) {
        self.state.set_label(&texts::state(summary.active));
        self.autostart.block_signal(&self.autostart_handler);
        self.autostart.set_active(summary.autostart);
        self.autostart.unblock_signal(&self.autostart_handler);
        // libvirt: a transient network has no autostart.
        self.autostart_row.set_sensitive(summary.persistent);
        self.persistence.set_label(&if summary.persistent {
            gettext("Persistent")
        } else {
            gettext("Transient (gone once stopped)")
        });
        self.bridge.set_label(&summary.bridge);
        self.mac.set_label(&session.and_then(|s| s.original().mac).map(|m| m.to_string()).unwrap_or_default());
        // libvirt cannot rename a running network.
        self.name.row.set_sensitive(!summary.active);
        self.name.row.set_tooltip_text((summary.active).then(|| gettext("Stop the network to rename it")).as_deref());
    }
}

/// The `ForwardMode` property's word for a mode (`none` when isolated).
fn mode_key(mode: Option<ForwardMode>) -> &'static str {
    mode.map_or("none", ForwardMode::as_str)
}
