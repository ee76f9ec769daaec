//! The window's connections: opening them at start (`--connect` and the remembered
//! ones), adding one in the "Add Connection" dialog, removing, connecting and
//! disconnecting, and what the sidebar and a host's page say about each.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use gettextrs::{gettext, ngettext};
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;
use relm4::prelude::*;

use super::{App, AppInput, capitalized};
use crate::dbus::connect::Target;
use crate::dbus::summary::NetworkSummary;
use crate::ui::client::{self, Client, HostId, split_key};
use crate::ui::details::DetailsInput;
use crate::ui::hosts::{Host, HostState, remote_target};
use crate::ui::network_list::{NetworkListInput, NetworkRow};

impl App {
    /// The connections at start: those `--connect` named (the first is the window's own
    /// host), then the remembered ones; each connects unless told not to.
    pub(super) fn open_connections(&mut self, targets: Vec<Target>, sender: &ComponentSender<Self>) {
        let targets = if targets.is_empty() { vec![Target::System] } else { targets };
        for target in targets {
            if !self.hosts.iter().any(|h| h.target == target) {
                self.push_host(target, false, true);
            }
        }
        for (uri, autoconnect) in self.settings.connections() {
            match Target::parse(Some(&uri)) {
                Ok(target) if !self.hosts.iter().any(|h| h.target == target) => {
                    self.push_host(target, true, autoconnect);
                }
                Ok(_) => {}
                Err(why) => {
                    glib::g_warning!("virtnet-manager", "a remembered connection is not one: {why}")
                }
            }
        }
        let autoconnect = |remote: bool| -> Vec<HostId> {
            self.hosts.iter().filter(|h| h.autoconnect && h.target.is_remote() == remote).map(|h| h.id).collect()
        };
        let (local, remote) = (autoconnect(false), autoconnect(true));
        for host in local {
            self.connect_host(host, sender);
        }
        if !remote.is_empty() {
            self.connect_after_first_frame(remote, sender);
        }
        self.list.emit(NetworkListInput::Replace(self.rows()));
    }

    /// Connects `hosts` once the window's first frame is drawn: ssh (a process, a login)
    /// would compete with that frame for the processor. After a second they connect
    /// anyway, for a window that is not drawn (started hidden).
    fn connect_after_first_frame(&mut self, hosts: Vec<HostId>, sender: &ComponentSender<Self>) {
        for &id in &hosts {
            if let Some(host) = self.host_mut(id) {
                host.state = HostState::Connecting;
            }
        }
        let pending = Rc::new(Cell::new(Some(hosts)));
        let connect = {
            let input = sender.input_sender().clone();
            move |pending: &Cell<Option<Vec<HostId>>>| {
                for host in pending.take().into_iter().flatten() {
                    input.emit(AppInput::Connect(host));
                }
            }
        };
        let (at_frame, at_timeout) = (Rc::clone(&pending), connect.clone());
        self.toasts.add_tick_callback(move |_, _| {
            connect(&at_frame);
            glib::ControlFlow::Break
        });
        glib::timeout_add_local_once(Duration::from_secs(1), move || at_timeout(&pending));
    }

    fn push_host(&mut self, target: Target, saved: bool, autoconnect: bool) -> HostId {
        let id = self.next_host;
        self.next_host += 1;
        self.hosts.push(Host::new(id, target, saved, autoconnect));
        id
    }

    /// A connection from the dialog: remembered, and connected at once.
    pub(super) fn add_connection(&mut self, target: Target, autoconnect: bool, sender: &ComponentSender<Self>) {
        if let Some(existing) = self.hosts.iter().find(|h| h.target == target) {
            let text = gettext("{host} is in the list already").replace("{host}", &existing.label());
            self.toasts.add_toast(adw::Toast::new(&text));
            return;
        }
        let id = self.push_host(target, true, autoconnect);
        self.save_connections();
        self.connect_host(id, sender);
        let heading = format!("{id}:");
        self.list.emit(NetworkListInput::Select(Some(heading.clone())));
        sender.input(AppInput::Selected(Some(heading)));
    }

    pub(super) fn remove_connection(&mut self, id: HostId) {
        let Some(index) = self.hosts.iter().position(|h| h.id == id && h.saved) else { return };
        let mut host = self.hosts.remove(index);
        host.disconnect();
        self.details.emit(DetailsInput::Connected(id, None));
        let of_host = |key: &String| split_key(key).is_some_and(|(h, _)| h == id);
        self.networks.retain(|key, _| !of_host(key));
        self.subnets.retain(|key, _| !of_host(key));
        self.guests.retain(|key, _| !of_host(key));
        if self.selected.as_ref().is_some_and(of_host) {
            self.selected = None;
            self.host_shown = None;
            self.details.emit(DetailsInput::Show(None));
            self.leaflet.navigate(adw::NavigationDirection::Back);
        }
        self.save_connections();
        self.details.emit(DetailsInput::NetworkCount(self.networks.len()));
        self.list.emit(NetworkListInput::Replace(self.rows()));
        let text = gettext("Removed the connection to {host}").replace("{host}", &host.label());
        self.toasts.add_toast(adw::Toast::new(&text));
    }

    /// (Re)connects at once: a host waiting to retry does not wait.
    pub(super) fn connect_host(&mut self, id: HostId, sender: &ComponentSender<Self>) {
        let events = sender.input_sender().clone();
        let Some(host) = self.host_mut(id) else { return };
        host.disconnect();
        host.state = HostState::Connecting;
        let target = host.target.clone();
        host.task = Some(relm4::spawn(client::follow(id, target, move |event| {
            events.emit(AppInput::Helper(id, event));
        })));
        self.list.emit(NetworkListInput::Replace(self.rows()));
    }

    pub(super) fn disconnect_host(&mut self, id: HostId) {
        let Some(host) = self.host_mut(id) else { return };
        host.disconnect();
        self.details.emit(DetailsInput::Connected(id, None));
        self.list.emit(NetworkListInput::Replace(self.rows()));
        self.sync_details_reachable();
    }

    /// The details of a network whose host is away are greyed out: nothing there can
    /// be done until it is back.
    pub(super) fn sync_details_reachable(&self) {
        let reachable = self
            .selected
            .as_deref()
            .and_then(split_key)
            .is_none_or(|(id, _)| self.host(id).is_some_and(Host::is_connected));
        self.details.widget().set_sensitive(reachable);
    }

    fn save_connections(&self) {
        let saved: Vec<(String, bool)> =
            self.hosts.iter().filter(|h| h.saved).map(|h| (h.target.to_string(), h.autoconnect)).collect();
        self.settings.set_connections(&saved);
    }

    pub(super) fn host(&self, id: HostId) -> Option<&Host> {
        self.hosts.iter().find(|h| h.id == id)
    }

    pub(super) fn host_mut(&mut self, id: HostId) -> Option<&mut Host> {
        self.hosts.iter_mut().find(|h| h.id == id)
    }

    /// The host whose page is shown.
    pub(super) fn shown_host(&self) -> Option<&Host> {
        self.host(self.host_shown?)
    }

    /// The client of a network's host, while it is connected.
    pub(super) fn client_of(&self, key: &str) -> Option<Client> {
        self.host(split_key(key)?.0)?.client.clone()
    }

    /// The host to name beside a network, when the window has more than one.
    pub(super) fn host_label_of(&self, key: &str) -> Option<String> {
        (self.hosts.len() > 1).then(|| self.host(split_key(key)?.0).map(Host::label)).flatten()
    }

    /// A network's host and that host's place in the sidebar.
    pub(super) fn rank_of(&self, key: &str) -> Option<(u32, &Host)> {
        let (id, _) = split_key(key)?;
        let rank = self.hosts.iter().position(|h| h.id == id)?;
        Some((rank as u32, &self.hosts[rank]))
    }

    /// Where a new network goes: the selected network's (or heading's) host when it is
    /// connected, else the first connected one.
    pub(super) fn wizard_host(&self) -> HostId {
        let selected = self.selected.as_deref().and_then(split_key).map(|(h, _)| h);
        selected
            .filter(|&h| self.host(h).is_some_and(Host::is_connected))
            .or_else(|| self.hosts.iter().find(|h| h.is_connected()).map(|h| h.id))
            .unwrap_or(0)
    }

    /// The page of the window: with one connection, its state decides (as before there
    /// were several); with more, the sidebar shows each host's state.
    pub(super) fn page_name(&self) -> &'static str {
        match self.hosts.as_slice() {
            [only] => match only.state {
                HostState::Connected => "main",
                HostState::Unreachable(_) => "unreachable",
                HostState::Connecting | HostState::Idle => "connecting",
            },
            _ => "main",
        }
    }

    /// The unreachable page's text, for the only connection.
    pub(super) fn primary_unreachable_text(&self) -> String {
        let Some(host) = self.hosts.first() else { return String::new() };
        // A status page's description is markup: the reason comes from elsewhere.
        glib::markup_escape_text(&host_description(host)).to_string()
    }
}

/// A host's heading in the sidebar: its name, and its state or its number of networks.
pub fn heading(host: &Host, rank: u32, networks: &HashMap<String, NetworkSummary>) -> NetworkRow {
    let count = networks.keys().filter(|key| split_key(key).is_some_and(|(h, _)| h == host.id)).count();
    let subtitle = match host.state {
        HostState::Connected => ngettext("Connected · {count} network", "Connected · {count} networks", count as u32)
            .replace("{count}", &count.to_string()),
        _ => host.state_text(),
    };
    NetworkRow {
        path: format!("{}:", host.id),
        rank,
        heading: true,
        reachable: host.is_connected() || host.state == HostState::Connecting,
        indented: false,
        name: host.label(),
        active: host.is_connected(),
        degraded: false,
        subtitle,
        subnets: String::new(),
    }
}

/// The icon of a host's page.
pub fn host_icon(host: &Host) -> &'static str {
    match &host.state {
        HostState::Unreachable(why) if why.authentication => "dialog-password-symbolic",
        HostState::Unreachable(_) => "network-offline-symbolic",
        _ => "network-server-symbolic",
    }
}

/// What a host's page (or the only host's unreachable page) says below its state.
pub fn host_description(host: &Host) -> String {
    match &host.state {
        HostState::Unreachable(why) => {
            let hint = why.hint.clone().unwrap_or_default();
            let text = gettext("{why}. {hint}. This window connects by itself as soon as it can.")
                .replace("{why}", &why.why)
                .replace("{hint}", capitalized(&hint).trim_end_matches('.'))
                .replace(". . ", ". ");
            capitalized(&text)
        }
        // "This host" would read as this computer: a remote one is named.
        HostState::Idle => match &host.target {
            Target::Ssh(_) => {
                gettext("Connect to see and manage the virtual networks of {host}.").replace("{host}", &host.label())
            }
            _ => gettext("Connect to see and manage the virtual networks of this computer."),
        },
        HostState::Connecting => match &host.target {
            Target::Ssh(ssh) => gettext("Connecting over ssh to {target}…").replace("{target}", &ssh.to_string()),
            _ => gettext("Connecting to virtnetd on this computer…"),
        },
        HostState::Connected => match &host.target {
            Target::Ssh(ssh) => gettext("Connected over ssh to {target}.").replace("{target}", &ssh.to_string()),
            _ => gettext("Connected to virtnetd on this computer."),
        },
    }
}

/// The "Add Connection" dialog: host, user, port, and whether to connect at start.
/// Add is offered only while the fields make a connection; its answer comes back as
/// `AppInput::ConnectionAdded`.
pub fn ask_for_connection(parent: &adw::ApplicationWindow, sender: relm4::Sender<AppInput>) {
    let dialog = adw::MessageDialog::builder()
        .transient_for(parent)
        .modal(true)
        .heading(gettext("Add Connection"))
        .body(gettext(
            "Manage the virtual networks of another computer that runs virtnetd, over ssh. Your ssh configuration, keys and known hosts apply.",
        ))
        .build();
    let fields = gtk::ListBox::builder().selection_mode(gtk::SelectionMode::None).css_classes(["boxed-list"]).build();
    let host = adw::EntryRow::builder().title(gettext("Host")).build();
    let user = adw::EntryRow::builder().title(gettext("User (empty: ssh's default)")).build();
    let port = adw::EntryRow::builder().title(gettext("Port (empty: 22)")).build();
    let autoconnect = gtk::Switch::builder().active(true).valign(gtk::Align::Center).build();
    let autoconnect_row =
        adw::ActionRow::builder().title(gettext("Connect automatically")).activatable_widget(&autoconnect).build();
    autoconnect_row.add_suffix(&autoconnect);
    for row in [host.upcast_ref::<gtk::Widget>(), user.upcast_ref(), port.upcast_ref(), autoconnect_row.upcast_ref()] {
        fields.append(row);
    }
    let problem = gtk::Label::builder().wrap(true).xalign(0.0).css_classes(["error", "caption"]).build();
    let content = gtk::Box::builder().orientation(gtk::Orientation::Vertical).spacing(12).build();
    content.append(&fields);
    content.append(&problem);
    dialog.set_extra_child(Some(&content));
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("add", &gettext("_Add"))]);
    dialog.set_response_appearance("add", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("add"));
    dialog.set_close_response("cancel");

    let read = {
        let (host, user, port) = (host.clone(), user.clone(), port.clone());
        move || remote_target(&host.text(), &user.text(), &port.text())
    };
    let check = {
        let (dialog, problem, read, host) = (dialog.clone(), problem.clone(), read.clone(), host.clone());
        move || {
            let result = read();
            dialog.set_response_enabled("add", result.is_ok());
            // Nothing typed yet is not a mistake to point at.
            let untouched = host.text().is_empty();
            problem.set_label(&result.err().filter(|_| !untouched).unwrap_or_default());
        }
    };
    check();
    for entry in [&host, &user, &port] {
        let check = check.clone();
        entry.connect_changed(move |_| check());
    }
    dialog.connect_response(None, move |_, response| {
        if response == "add"
            && let Ok(target) = read()
        {
            sender.emit(AppInput::ConnectionAdded(target, autoconnect.is_active()));
        }
    });
    dialog.present();
    host.grab_focus();
}
