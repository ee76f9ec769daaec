//! The Overview section: name, state, autostart, persistence, bridge, MTU, forward mode
//! and device.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;

use std::cell::RefCell;
use std::rc::Rc;

use super::DetailsInput;
use crate::dbus::HostInterface;
use crate::dbus::summary::NetworkSummary;
use crate::model::ForwardMode;
use crate::ui::edit::{EDITABLE_MODES, EditSession, Field};
use crate::ui::form::fields::{CheckedEntry, switch_row, value_row};
use crate::ui::texts;

pub struct OverviewSection {
    pub group: adw::PreferencesGroup,
    name: CheckedEntry,
    state: gtk::Label,
    /// Shown while the helper reports the network degraded, with its reason.
    degraded: adw::ActionRow,
    /// Shown while another firewall drops the network's traffic, naming it.
    firewall_conflict: adw::ActionRow,
    autostart_row: adw::ActionRow,
    autostart: gtk::Switch,
    autostart_handler: glib::SignalHandlerId,
    persistence: gtk::Label,
    bridge: gtk::Label,
    mac: gtk::Label,
    mtu: CheckedEntry,
    mode: adw::ComboRow,
    mode_handler: glib::SignalHandlerId,
    /// The uplink, chosen from the host's interfaces (as in the wizard).
    uplink: adw::ComboRow,
    uplink_handler: glib::SignalHandlerId,
    /// The uplink list's choices in order: `None` is "any interface".
    uplinks: Rc<RefCell<Vec<Option<String>>>>,
}

fn edit(sender: &relm4::Sender<DetailsInput>, field: Field) -> impl Fn(String) + 'static {
    let sender = sender.clone();
    move |text| sender.emit(DetailsInput::Edit(field, text))
}

/// A hidden row that shows the helper's reason (its text, never markup) when
/// something keeps the running network from working as defined.
fn warning_row(title: &str) -> adw::ActionRow {
    let row = adw::ActionRow::builder().title(title).use_markup(false).visible(false).css_classes(["warning"]).build();
    row.add_prefix(&gtk::Image::from_icon_name("dialog-warning-symbolic"));
    row
}

impl OverviewSection {
    pub fn new(sender: &relm4::Sender<DetailsInput>) -> Self {
        let group = adw::PreferencesGroup::builder().title(gettext("Overview")).build();
        let name = CheckedEntry::new(&gettext("Name"), edit(sender, Field::Name));
        name.add_to(&group);
        let (state_row, state) = value_row(&gettext("State"));
        group.add(&state_row);
        let degraded = warning_row(&gettext("DHCP and DNS have stopped"));
        group.add(&degraded);
        let firewall_conflict = warning_row(&gettext("Another firewall blocks this network"));
        group.add(&firewall_conflict);
        // Unlike the other fields it is not a change to apply: say so.
        let (autostart_row, autostart) =
            switch_row(&gettext("Autostart"), Some(&gettext("Start when the computer starts; applies at once")));
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
        let uplinks: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
        let uplink = adw::ComboRow::builder()
            .title(Field::ForwardDev.label())
            .subtitle(gettext("The interface guests' traffic leaves through"))
            .use_markup(false)
            .build();
        let uplink_handler = {
            let (sender, uplinks) = (sender.clone(), Rc::clone(&uplinks));
            uplink.connect_selected_notify(move |row| {
                if let Some(choice) = uplinks.borrow().get(row.selected() as usize) {
                    sender.emit(DetailsInput::Edit(Field::ForwardDev, choice.clone().unwrap_or_default()));
                }
            })
        };
        group.add(&uplink);

        OverviewSection {
            group,
            name,
            state,
            degraded,
            firewall_conflict,
            autostart_row,
            autostart,
            autostart_handler,
            persistence,
            bridge,
            mac,
            mtu,
            mode,
            mode_handler,
            uplink,
            uplink_handler,
            uplinks,
        }
    }

    /// Fills every field from the definition (not an edit).
    pub fn load(&self, session: &EditSession, interfaces: &[HostInterface]) {
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
        self.refresh(session, interfaces);
    }

    /// Shows the messages about the fields, and the uplink list, as they are now.
    pub fn refresh(&self, session: &EditSession, interfaces: &[HostInterface]) {
        self.name.show_error(session.error(Field::Name));
        self.mtu.show_error(session.error(Field::Mtu));
        let forward = session.edited().forward.as_ref();
        let chosen = forward.and_then(|f| f.interfaces.first()).map(|i| i.dev.clone());
        // Any interface, the host's own, and a device the definition names that this
        // host does not have (shown as such, never dropped).
        let mut choices: Vec<Option<String>> =
            std::iter::once(None).chain(interfaces.iter().map(|i| Some(i.name.clone()))).collect();
        if let Some(dev) = &chosen
            && !choices.contains(&Some(dev.clone()))
        {
            choices.push(Some(dev.clone()));
        }
        let names: Vec<String> = choices
            .iter()
            .map(|choice| match choice {
                None => gettext("Any interface"),
                Some(dev) if interfaces.iter().any(|i| i.name == *dev) => dev.clone(),
                Some(dev) => gettext("{device} (not on this computer)").replace("{device}", dev),
            })
            .collect();
        let selected = choices.iter().position(|c| *c == chosen).unwrap_or(0) as u32;
        self.uplink.block_signal(&self.uplink_handler);
        if *self.uplinks.borrow() != choices {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            self.uplink.set_model(Some(&gtk::StringList::new(&names)));
            *self.uplinks.borrow_mut() = choices;
        }
        if self.uplink.selected() != selected {
            self.uplink.set_selected(selected);
        }
        self.uplink.unblock_signal(&self.uplink_handler);
        let error = session.error(Field::ForwardDev);
        self.uplink
            .set_subtitle(&error.clone().unwrap_or_else(|| gettext("The interface guests' traffic leaves through")));
        if error.is_some() {
            self.uplink.add_css_class("error");
        } else {
            self.uplink.remove_css_class("error");
        }
        let forwards = forward.is_some_and(|f| matches!(f.mode, ForwardMode::Nat | ForwardMode::Route));
        self.uplink.set_visible(forwards);
    }

    /// The helper's view: state, autostart, persistence, bridge.
    pub fn show_summary(&self, summary: &NetworkSummary, session: Option<&EditSession>) {
        self.state.set_label(&texts::state(summary.active));
        // The helper's reason, in its words (it names what to do).
        self.degraded.set_subtitle(&texts::shown_text(&summary.degraded));
        self.degraded.set_visible(summary.active && !summary.degraded.is_empty());
        self.firewall_conflict.set_subtitle(&texts::shown_text(&summary.firewall_conflict));
        self.firewall_conflict.set_visible(summary.active && !summary.firewall_conflict.is_empty());
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
