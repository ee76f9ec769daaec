//! The window, which only routes: each host's news to the list and the details, the
//! list's selection to the details (or to a host's page), the details' reports to
//! toasts; plus the header, the main menu, the keyboard shortcuts and the page shown
//! while the only host's virtnetd is away. The connections themselves (adding,
//! removing, reconnecting, remembering) are in `connections`.

mod connections;
mod details_pane;

use std::collections::HashMap;

use futures_util::StreamExt;
use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::{gio, glib};
use relm4::prelude::*;

use crate::dbus::connect::Target;
use crate::dbus::summary::NetworkSummary;
use crate::model::Network;
use crate::ui::APP_ID;
use crate::ui::client::{ClientEvent, HostId, split_key};
use crate::ui::details::{DetailsInput, DetailsOutput};
use crate::ui::frame_log::FrameLog;
use crate::ui::hosts::{Host, HostState};
use crate::ui::network_list::{NetworkList, NetworkListInput, NetworkListOutput, NetworkRow};
use crate::ui::settings::WindowSettings;
use crate::ui::texts;
use crate::ui::wizard::{Wizard, WizardInit, WizardOutput};
use details_pane::DetailsPane;

pub struct AppInit {
    /// Where virtnetd is (`--connect`, once or more): the first is the window's own host.
    pub targets: Vec<Target>,
}

pub struct App {
    /// Every connection, in the sidebar's order; the first is the one `--connect` named
    /// first (this computer by default).
    hosts: Vec<Host>,
    next_host: HostId,
    /// The host whose page is shown (its heading was selected).
    host_shown: Option<HostId>,
    /// Every network of every host, by key.
    networks: HashMap<String, NetworkSummary>,
    /// Each network's subnets in words, read from its definition.
    subnets: HashMap<String, String>,
    /// How many guests hold a lease on each active network.
    guests: HashMap<String, usize>,
    selected: Option<String>,
    folded: bool,
    list: Controller<NetworkList>,
    details: DetailsPane,
    leaflet: adw::Leaflet,
    toasts: adw::ToastOverlay,
    frame_log: FrameLog,
    /// The new-network wizard, while it is open.
    wizard: Option<Controller<Wizard>>,
    /// A network the wizard created, to select as soon as the list has it.
    select_when_added: Option<String>,
    settings: WindowSettings,
    /// The network last shown in an earlier run, to show again once connected.
    restore_network: Option<String>,
    /// Whether the first network was selected yet, on the first connection.
    selected_at_start: bool,
}

#[derive(Debug)]
pub enum AppInput {
    Helper(HostId, ClientEvent),
    /// "Add Connection…": the dialog, then the connection it names.
    AddConnection,
    ConnectionAdded(Target, bool),
    RemoveConnection(HostId),
    Connect(HostId),
    Disconnect(HostId),
    /// "New Network" on a host's page.
    NewNetworkOn(HostId),
    /// A button of the host page, for the host it shows.
    ShownHost(fn(HostId) -> AppInput),
    Selected(Option<String>),
    /// The list's filter hides the shown network.
    Hidden,
    KeepSelection(String),
    GoBack,
    Toast(String),
    Folded(bool),
    Search,
    About,
    NewNetwork,
    /// The wizard closed, having created this network (or nothing).
    WizardClosed(Option<String>),
    /// A shortcut for the shown network.
    Details(DetailsInput),
}

#[derive(Debug)]
pub enum AppCommand {
    /// Subnets of networks, read from their definitions: (path, subnets).
    Subnets(Vec<(String, String)>),
    /// How many guests hold leases on networks: (path, count).
    Guests(Vec<(String, usize)>),
}

#[relm4::component(pub)]
impl Component for App {
    type Init = AppInit;
    type Input = AppInput;
    type Output = ();
    type CommandOutput = AppCommand;

    view! {
        adw::ApplicationWindow {
            set_title: Some(&gettext("Virtual Networks")),
            set_default_width: 980,
            set_default_height: 680,
            set_width_request: 360,
            set_height_request: 400,

            #[name = "toasts"]
            adw::ToastOverlay {
                gtk::Stack {
                    set_transition_type: gtk::StackTransitionType::Crossfade,
                    // Only the page shown is measured (a faster first layout).
                    set_hhomogeneous: false,
                    set_vhomogeneous: false,

                    add_named[Some("connecting")] = &gtk::Box {
                        set_orientation: gtk::Orientation::Vertical,
                        adw::HeaderBar {},
                        gtk::Spinner {
                            set_spinning: true,
                            set_vexpand: true,
                            set_halign: gtk::Align::Center,
                            set_width_request: 32,
                            set_height_request: 32,
                        },
                    },

                    add_named[Some("unreachable")] = &gtk::Box {
                        set_orientation: gtk::Orientation::Vertical,
                        adw::HeaderBar {
                            pack_end: &main_menu_button(false),
                        },
                        adw::StatusPage {
                            set_vexpand: true,
                            set_icon_name: Some("network-offline-symbolic"),
                            set_title: &gettext("Cannot Reach virtnetd"),
                            #[watch]
                            set_description: Some(&model.primary_unreachable_text()),
                        },
                    },

                    #[name = "leaflet"]
                    add_named[Some("main")] = &adw::Leaflet {
                        set_can_navigate_back: true,
                        connect_folded_notify[sender] => move |leaflet| sender.input(AppInput::Folded(leaflet.is_folded())),

                        #[name = "sidebar"]
                        append = &gtk::Box {
                            set_orientation: gtk::Orientation::Vertical,
                            set_width_request: 300,
                            adw::HeaderBar {
                                #[watch]
                                set_show_end_title_buttons: model.folded,
                                #[wrap(Some)]
                                set_title_widget = &adw::WindowTitle {
                                    set_title: &gettext("Virtual Networks"),
                                },
                                #[name = "new_button"]
                                pack_start = &gtk::Button {
                                    set_icon_name: "list-add-symbolic",
                                    set_tooltip_text: Some(&gettext("New Network (Ctrl+N)")),
                                    set_action_name: Some("win.new-network"),
                                },
                                pack_end: &main_menu_button(true),
                            },
                            append: model.list.widget(),
                        },
                        #[name = "separator"]
                        append = &gtk::Separator {
                            set_orientation: gtk::Orientation::Vertical,
                        },
                        #[name = "content"]
                        append = &gtk::Stack {
                            set_hexpand: true,
                            add_named[Some("network")] = model.details.widget(),
                            add_named[Some("host")] = &gtk::Box {
                                set_orientation: gtk::Orientation::Vertical,
                                adw::HeaderBar {
                                    #[watch]
                                    set_show_start_title_buttons: model.folded,
                                    #[wrap(Some)]
                                    set_title_widget = &adw::WindowTitle {
                                        #[watch]
                                        set_title: &model.shown_host().map(Host::label).unwrap_or_default(),
                                    },
                                    pack_start = &gtk::Button {
                                        set_icon_name: "go-previous-symbolic",
                                        set_tooltip_text: Some(&gettext("Back")),
                                        #[watch]
                                        set_visible: model.folded,
                                        connect_clicked => AppInput::GoBack,
                                    },
                                },
                                adw::StatusPage {
                                    set_vexpand: true,
                                    #[watch]
                                    set_icon_name: Some(model.shown_host().map_or("network-server-symbolic", connections::host_icon)),
                                    #[watch]
                                    set_title: &model.shown_host().map(Host::state_text).unwrap_or_default(),
                                    #[watch]
                                    set_description: Some(&model.shown_host().map(connections::host_description).unwrap_or_default()),
                                    #[wrap(Some)]
                                    set_child = &gtk::Box {
                                        set_orientation: gtk::Orientation::Vertical,
                                        set_halign: gtk::Align::Center,
                                        set_spacing: 12,
                                        gtk::Button {
                                            set_label: &gettext("New Network"),
                                            add_css_class: "pill",
                                            add_css_class: "suggested-action",
                                            #[watch]
                                            set_visible: model.shown_host().is_some_and(Host::is_connected),
                                            connect_clicked => AppInput::ShownHost(AppInput::NewNetworkOn),
                                        },
                                        gtk::Button {
                                            set_label: &gettext("Connect"),
                                            add_css_class: "pill",
                                            #[watch]
                                            set_visible: model.shown_host().is_some_and(|h| matches!(h.state, HostState::Idle | HostState::Unreachable(_))),
                                            connect_clicked => AppInput::ShownHost(AppInput::Connect),
                                        },
                                        gtk::Button {
                                            set_label: &gettext("Disconnect"),
                                            add_css_class: "pill",
                                            #[watch]
                                            set_visible: model.shown_host().is_some_and(|h| h.id != 0 && matches!(h.state, HostState::Connected | HostState::Connecting)),
                                            connect_clicked => AppInput::ShownHost(AppInput::Disconnect),
                                        },
                                        gtk::Button {
                                            set_label: &gettext("Remove Connection"),
                                            add_css_class: "pill",
                                            add_css_class: "destructive-action",
                                            #[watch]
                                            set_visible: model.shown_host().is_some_and(|h| h.saved),
                                            connect_clicked => AppInput::ShownHost(AppInput::RemoveConnection),
                                        },
                                    },
                                },
                            },
                            #[watch]
                            set_visible_child_name: if model.host_shown.is_some() { "host" } else { "network" },
                        },
                    },
                    #[watch]
                    set_visible_child_name: model.page_name(),

                },
            },
        }
    }

    fn init(init: AppInit, root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        if APP_ID.ends_with(".Devel") {
            root.add_css_class("devel");
        }
        let list = NetworkList::builder().launch(()).forward(sender.input_sender(), |output| match output {
            NetworkListOutput::Selected(path) => AppInput::Selected(path),
            NetworkListOutput::Hidden => AppInput::Hidden,
        });
        let details = DetailsPane::new(&root, sender.input_sender().clone(), |output| match output {
            DetailsOutput::KeepSelection(path) => AppInput::KeepSelection(path),
            DetailsOutput::GoBack => AppInput::GoBack,
            DetailsOutput::Toast(text) => AppInput::Toast(text),
        });
        let settings = WindowSettings::load();
        let mut model = App {
            hosts: Vec::new(),
            next_host: 0,
            host_shown: None,
            networks: HashMap::new(),
            subnets: HashMap::new(),
            guests: HashMap::new(),
            selected: None,
            folded: false,
            list,
            details,
            leaflet: adw::Leaflet::new(),
            toasts: adw::ToastOverlay::new(),
            frame_log: FrameLog::start(&root),
            wizard: None,
            select_when_added: None,
            restore_network: settings.last_network(),
            settings,
            selected_at_start: false,
        };
        {
            let settings = model.settings.clone();
            root.connect_close_request(move |window| {
                settings.save_window(window);
                glib::Propagation::Proceed
            });
        }
        let widgets = view_output!();
        // After the view, which sets the size of a first start.
        model.settings.restore_window(&root);
        widgets.leaflet.page(&widgets.separator).set_navigatable(false);
        widgets.leaflet.set_visible_child(&widgets.sidebar);
        model.leaflet = widgets.leaflet.clone();
        model.toasts = widgets.toasts.clone();
        add_actions(&root, &sender);
        crate::ui::a11y::set_label(&widgets.new_button, &gettext("New Network"));

        model.open_connections(init.targets, &sender);
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: AppInput, sender: ComponentSender<Self>, root: &Self::Root) {
        match message {
            AppInput::Helper(host, event) => {
                self.helper_event(host, event, &sender);
                self.sync_details_reachable();
            }
            AppInput::AddConnection => connections::ask_for_connection(root, sender.input_sender().clone()),
            AppInput::ConnectionAdded(target, autoconnect) => self.add_connection(target, autoconnect, &sender),
            AppInput::RemoveConnection(host) => self.remove_connection(host),
            AppInput::Connect(host) => self.connect_host(host, &sender),
            AppInput::Disconnect(host) => self.disconnect_host(host),
            AppInput::NewNetworkOn(host) => self.open_wizard(host, root, &sender),
            AppInput::ShownHost(message) => {
                if let Some(host) = self.host_shown {
                    sender.input(message(host));
                }
            }
            AppInput::Selected(path) => {
                // A host's heading: its page.
                if let Some((host, "")) = path.as_deref().and_then(split_key) {
                    self.selected = path.clone();
                    self.host_shown = Some(host);
                    self.leaflet.navigate(adw::NavigationDirection::Forward);
                    return;
                }
                self.host_shown = None;
                self.selected = path.clone();
                let summary = path.as_ref().and_then(|p| self.networks.get(p)).cloned();
                self.settings.set_last_network(summary.as_ref().map(|n| n.name.as_str()));
                self.details.emit(DetailsInput::HostLabel(path.as_deref().and_then(|p| self.host_label_of(p))));
                self.details.emit(DetailsInput::Show(summary));
                self.sync_details_reachable();
                if path.is_some() {
                    self.leaflet.navigate(adw::NavigationDirection::Forward);
                }
            }
            AppInput::Hidden => self.details.emit(DetailsInput::Hidden),
            AppInput::NewNetwork => self.open_wizard(self.wizard_host(), root, &sender),
            AppInput::WizardClosed(created) => {
                self.wizard = None;
                if let Some(path) = created {
                    if self.networks.contains_key(&path) {
                        self.show_created(path, &sender);
                    } else {
                        self.select_when_added = Some(path);
                    }
                }
            }
            AppInput::KeepSelection(path) => {
                self.host_shown = None;
                self.selected = Some(path.clone());
                self.list.emit(NetworkListInput::Select(Some(path)));
            }
            AppInput::GoBack => {
                self.leaflet.navigate(adw::NavigationDirection::Back);
            }
            AppInput::Toast(text) => self.toasts.add_toast(adw::Toast::new(&text)),
            AppInput::Folded(folded) => {
                self.folded = folded;
                self.details.emit(DetailsInput::Folded(folded));
            }
            AppInput::Search => {
                self.leaflet.navigate(adw::NavigationDirection::Back);
                self.list.emit(NetworkListInput::FocusSearch);
            }
            AppInput::About => show_about(&self.leaflet),
            AppInput::Details(input) => self.details.emit(input),
        }
    }

    fn update_cmd(&mut self, message: AppCommand, _sender: ComponentSender<Self>, _root: &Self::Root) {
        match message {
            AppCommand::Subnets(subnets) => {
                let paths: Vec<String> = subnets.iter().map(|(path, _)| path.clone()).collect();
                self.subnets.extend(subnets);
                self.update_rows(&paths);
            }
            AppCommand::Guests(guests) => {
                let paths: Vec<String> = guests.iter().map(|(path, _)| path.clone()).collect();
                self.guests.extend(guests);
                self.update_rows(&paths);
            }
        }
    }
}

impl App {
    fn helper_event(&mut self, host: HostId, event: ClientEvent, sender: &ComponentSender<Self>) {
        // A host removed a moment ago may still have an event on the way.
        if self.host(host).is_none() {
            return;
        }
        match event {
            ClientEvent::Connected(client, networks) => {
                if let Some(entry) = self.host_mut(host) {
                    entry.state = HostState::Connected;
                    entry.client = Some(client.clone());
                }
                self.details.emit(DetailsInput::Connected(host, Some(client)));
                let paths: Vec<String> = networks.iter().map(|n| n.path.clone()).collect();
                self.networks.retain(|key, _| split_key(key).is_none_or(|(h, _)| h != host));
                self.networks.extend(networks.into_iter().map(|n| (n.path.clone(), n)));
                self.subnets.retain(|path, _| self.networks.contains_key(path));
                self.guests.retain(|key, _| split_key(key).is_none_or(|(h, _)| h != host));
                self.list.emit(NetworkListInput::Replace(self.rows()));
                self.details.emit(DetailsInput::NetworkCount(self.networks.len()));
                let active: Vec<String> = self.networks.values().filter(|n| n.active).map(|n| n.path.clone()).collect();
                self.count_guests(active, sender);
                self.frame_log.networks(self.networks.len());
                if self.host_shown.is_none() {
                    let shown = self.selected.as_ref().and_then(|p| self.networks.get(p)).cloned();
                    if shown.is_none() {
                        self.selected = None;
                    }
                    self.details.emit(DetailsInput::Show(shown));
                    // What changed while away.
                    self.details.emit(DetailsInput::Reload);
                }
                self.read_subnets(paths, sender);
                self.restore_selection(host);
            }
            ClientEvent::Disconnected(reason) => {
                self.details.emit(DetailsInput::Connected(host, None));
                if let Some(entry) = self.host_mut(host) {
                    entry.client = None;
                    entry.state = HostState::Unreachable(reason);
                }
                // Its networks stay in the list, greyed, until it is back.
                self.list.emit(NetworkListInput::Replace(self.rows()));
            }
            ClientEvent::Added(summary) => {
                let path = summary.path.clone();
                self.networks.insert(path.clone(), summary);
                if let Some(row) = self.row(&path) {
                    self.list.emit(NetworkListInput::Upsert(row));
                }
                self.details.emit(DetailsInput::NetworkCount(self.networks.len()));
                if self.select_when_added.as_ref() == Some(&path) {
                    self.select_when_added = None;
                    self.show_created(path.clone(), sender);
                }
                self.read_subnets(vec![path], sender);
            }
            ClientEvent::Removed(path) => {
                self.networks.remove(&path);
                self.subnets.remove(&path);
                self.guests.remove(&path);
                self.details.emit(DetailsInput::NetworkCount(self.networks.len()));
                self.list.emit(NetworkListInput::Remove(path.clone()));
                if self.selected.as_deref() == Some(path.as_str()) {
                    self.selected = None;
                    self.details.emit(DetailsInput::Show(None));
                    self.leaflet.navigate(adw::NavigationDirection::Back);
                }
            }
            ClientEvent::Changed(path, changed) => {
                let Some(summary) = self.networks.get_mut(&path) else { return };
                apply_changes(summary, &changed);
                let summary = summary.clone();
                if !summary.active {
                    self.guests.remove(&path);
                }
                if let Some(row) = self.row(&path) {
                    self.list.emit(NetworkListInput::Upsert(row));
                }
                if self.selected.as_deref() == Some(path.as_str()) {
                    self.details.emit(DetailsInput::Summary(summary));
                }
            }
            ClientEvent::LeasesChanged(path) => {
                self.count_guests(vec![path.clone()], sender);
                if self.selected.as_deref() == Some(path.as_str()) {
                    self.details.emit(DetailsInput::Reload);
                }
            }
            ClientEvent::PortsChanged(path) => {
                if self.selected.as_deref() == Some(path.as_str()) {
                    self.details.emit(DetailsInput::Reload);
                }
            }
            ClientEvent::Event(path, event) => {
                if matches!(event.as_str(), "defined" | "updated") {
                    self.read_subnets(vec![path.clone()], sender);
                }
                if self.selected.as_deref() == Some(path.as_str()) {
                    self.details.emit(DetailsInput::Reload);
                }
            }
        }
    }

    /// Once, as the first host connects: shows the network last shown in an earlier
    /// run if it still exists, else the first network (as virt-manager does). In a
    /// narrow window the list stays in view, as at every start.
    fn restore_selection(&mut self, host: HostId) {
        if self.selected_at_start || host != self.hosts.first().map_or(0, |h| h.id) {
            return;
        }
        self.selected_at_start = true;
        if self.selected.is_some() {
            return;
        }
        let of_host = |n: &&NetworkSummary| split_key(&n.path).is_some_and(|(h, _)| h == host);
        let remembered = self.restore_network.take();
        let summary = remembered
            .and_then(|name| self.networks.values().filter(of_host).find(|n| n.name == name))
            .or_else(|| {
                self.networks.values().filter(of_host).min_by(|a, b| (&a.name, &a.path).cmp(&(&b.name, &b.path)))
            })
            .cloned();
        let Some(summary) = summary else { return };
        self.selected = Some(summary.path.clone());
        self.details.emit(DetailsInput::HostLabel(self.host_label_of(&summary.path)));
        self.list.emit(NetworkListInput::Select(Some(summary.path.clone())));
        self.details.emit(DetailsInput::Show(Some(summary)));
    }

    fn row(&self, path: &str) -> Option<NetworkRow> {
        let summary = self.networks.get(path)?;
        let subnets = self.subnets.get(path).cloned().unwrap_or_default();
        let guests = self.guests.get(path).copied().unwrap_or(0);
        let (rank, host) = self.rank_of(path)?;
        Some(NetworkRow {
            path: summary.path.clone(),
            rank,
            heading: false,
            reachable: host.is_connected(),
            indented: self.hosts.len() > 1,
            name: summary.name.clone(),
            active: summary.active,
            degraded: !summary.degraded.is_empty() || !summary.firewall_conflict.is_empty(),
            subtitle: texts::subtitle(summary, guests),
            subnets,
        })
    }

    /// Shows these networks' rows again (many at once: one rebuild instead of a move
    /// per row).
    fn update_rows(&self, paths: &[String]) {
        if paths.len() > 1 {
            self.list.emit(NetworkListInput::Replace(self.rows()));
        } else {
            for row in paths.iter().filter_map(|path| self.row(path)) {
                self.list.emit(NetworkListInput::Upsert(row));
            }
        }
    }

    /// Counts the guests holding leases on these networks, in the background.
    fn count_guests(&self, paths: Vec<String>, sender: &ComponentSender<Self>) {
        let calls: Vec<_> = paths.into_iter().filter_map(|path| Some((self.client_of(&path)?, path))).collect();
        if calls.is_empty() {
            return;
        }
        sender.oneshot_command(async move {
            let counts = futures_util::stream::iter(calls)
                .map(|(client, path)| async move {
                    let leases = client.leases(path.clone()).await.ok()?;
                    let mut macs: Vec<&str> = leases.iter().map(|l| l.mac.as_str()).collect();
                    macs.sort_unstable();
                    macs.dedup();
                    Some((path, macs.len()))
                })
                .buffer_unordered(16)
                .filter_map(|found| async move { found })
                .collect()
                .await;
            AppCommand::Guests(counts)
        });
    }

    /// Every network's row, and a heading per host when there is more than one.
    fn rows(&self) -> Vec<NetworkRow> {
        let mut rows: Vec<NetworkRow> = self.networks.keys().filter_map(|path| self.row(path)).collect();
        if self.hosts.len() > 1 {
            rows.extend(
                self.hosts
                    .iter()
                    .enumerate()
                    .map(|(rank, host)| connections::heading(host, rank as u32, &self.networks)),
            );
        }
        rows
    }

    /// Reads the subnets of these networks from their definitions, in the background.
    fn read_subnets(&self, paths: Vec<String>, sender: &ComponentSender<Self>) {
        let calls: Vec<_> = paths.into_iter().filter_map(|path| Some((self.client_of(&path)?, path))).collect();
        sender.oneshot_command(async move {
            let subnets = futures_util::stream::iter(calls)
                .map(|(client, path)| async move {
                    let xml = client.definition(path.clone()).await.ok()?;
                    let network = Network::from_xml(&xml).ok()?;
                    Some((path, texts::subnets(&network)))
                })
                .buffer_unordered(16)
                .filter_map(|found| async move { found })
                .collect()
                .await;
            AppCommand::Subnets(subnets)
        });
    }
}

/// Applies a PropertiesChanged to the mirror of a network.
fn apply_changes(summary: &mut NetworkSummary, changed: &HashMap<String, zbus::OwnedVariant>) {
    let text = |key: &str| changed.get(key).and_then(|v| String::try_from(v.clone()).ok());
    let flag = |key: &str| changed.get(key).and_then(|v| bool::try_from(v.clone()).ok());
    if let Some(name) = text("Name") {
        summary.name = name;
    }
    if let Some(bridge) = text("BridgeName") {
        summary.bridge = bridge;
    }
    if let Some(mode) = text("ForwardMode") {
        summary.forward_mode = mode;
    }
    if let Some(degraded) = text("Degraded") {
        summary.degraded = degraded;
    }
    if let Some(conflict) = text("FirewallConflict") {
        summary.firewall_conflict = conflict;
    }
    if let Some(active) = flag("Active") {
        summary.active = active;
    }
    if let Some(persistent) = flag("Persistent") {
        summary.persistent = persistent;
    }
    if let Some(autostart) = flag("Autostart") {
        summary.autostart = autostart;
    }
}

/// The sentence with its first letter in capitals (the messages start lower-case, as
/// command-line errors do).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The header's menu button; `primary`: the one F10 opens.
fn main_menu_button(primary: bool) -> gtk::MenuButton {
    let button = gtk::MenuButton::builder()
        .icon_name("open-menu-symbolic")
        .tooltip_text(gettext("Main Menu"))
        .menu_model(&main_menu())
        .primary(primary)
        .build();
    // GTK 4.8 names an icon-only menu button "GtkMenuButton" for screen readers.
    crate::ui::a11y::set_label(&button, &gettext("Main Menu"));
    button
}

fn main_menu() -> gio::Menu {
    let menu = gio::Menu::new();
    menu.append(Some(&gettext("_Add Connection…")), Some("win.add-connection"));
    menu.append(Some(&gettext("_Keyboard Shortcuts")), Some("win.show-help-overlay"));
    menu.append(Some(&gettext("_About Virtual Networks")), Some("win.about"));
    menu.append(Some(&gettext("_Quit")), Some("app.quit"));
    menu
}

/// A window action: its name, its keyboard shortcuts, and what it asks for.
type Shortcut = (&'static str, &'static [&'static str], fn() -> AppInput);

/// The window's actions and their shortcuts (listed in resources/shortcuts.ui).
impl App {
    /// Selects a network the wizard created and shows it.
    fn show_created(&mut self, path: String, sender: &ComponentSender<Self>) {
        self.list.emit(NetworkListInput::Select(Some(path.clone())));
        sender.input(AppInput::Selected(Some(path)));
    }

    /// Opens the wizard over the window, for a network on `host` (once; it needs that
    /// host's helper).
    fn open_wizard(&mut self, host: HostId, root: &adw::ApplicationWindow, sender: &ComponentSender<Self>) {
        let Some(client) = self.host(host).and_then(|h| h.client.clone()) else { return };
        if self.wizard.is_some() {
            return;
        }
        let init = WizardInit {
            client,
            existing: self
                .networks
                .values()
                .filter(|n| split_key(&n.path).is_some_and(|(h, _)| h == host))
                .map(|n| (n.uuid.parse().unwrap_or_default(), n.name.clone()))
                .collect(),
            parent: root.clone().upcast(),
            host_label: (self.hosts.len() > 1).then(|| self.host(host).map(Host::label)).flatten(),
        };
        self.wizard = Some(Wizard::builder().launch(init).forward(sender.input_sender(), |output| match output {
            WizardOutput::Created(path) => AppInput::WizardClosed(Some(path)),
            WizardOutput::Closed => AppInput::WizardClosed(None),
        }));
    }
}

fn add_actions(window: &adw::ApplicationWindow, sender: &ComponentSender<App>) {
    let app = relm4::main_application();
    let quit = gio::SimpleAction::new("quit", None);
    {
        // Closing the windows (rather than app.quit()) lets each save its state; the
        // app ends with its last window.
        let app = app.clone();
        quit.connect_activate(move |_, _| app.windows().iter().for_each(gtk::Window::close));
    }
    app.add_action(&quit);
    app.set_accels_for_action("app.quit", &["<Control>q"]);

    let actions: [Shortcut; 8] = [
        ("add-connection", &[], || AppInput::AddConnection),
        ("new-network", &["<Control>n"], || AppInput::NewNetwork),
        ("search", &["<Control>f"], || AppInput::Search),
        ("about", &[], || AppInput::About),
        ("start", &["<Control>Return"], || AppInput::Details(DetailsInput::Start)),
        ("stop", &["<Control>period"], || AppInput::Details(DetailsInput::Stop)),
        ("delete", &["<Control>Delete"], || AppInput::Details(DetailsInput::Delete)),
        ("apply", &["<Control>s"], || AppInput::Details(DetailsInput::Apply)),
    ];
    for (name, accels, message) in actions {
        let action = gio::SimpleAction::new(name, None);
        let sender = sender.input_sender().clone();
        action.connect_activate(move |_, _| sender.emit(message()));
        window.add_action(&action);
        app.set_accels_for_action(&format!("win.{name}"), accels);
    }

    // GTK's own help overlay (gtk/help-overlay.ui under the resource base) is built with
    // every window, before it shows; this one is built the first time it is asked for.
    let shortcuts = gio::SimpleAction::new("show-help-overlay", None);
    {
        let window = window.downgrade();
        let built: std::cell::OnceCell<gtk::ShortcutsWindow> = std::cell::OnceCell::new();
        shortcuts.connect_activate(move |_, _| {
            let Some(window) = window.upgrade() else { return };
            let overlay = built.get_or_init(|| {
                let builder = gtk::Builder::from_resource(&format!("{}/shortcuts.ui", crate::ui::RESOURCE_BASE));
                let overlay: gtk::ShortcutsWindow =
                    builder.object("help_overlay").expect("resources/shortcuts.ui defines help_overlay");
                overlay.set_transient_for(Some(&window));
                overlay.set_hide_on_close(true);
                overlay
            });
            overlay.present();
        });
    }
    window.add_action(&shortcuts);
    app.set_accels_for_action("win.show-help-overlay", &["<Control>question"]);
}

fn show_about(parent: &impl IsA<gtk::Widget>) {
    let about = adw::AboutWindow::builder()
        .application_name(gettext("Virtual Networks"))
        .application_icon(APP_ID)
        .developer_name(gettext("The virtnet developers"))
        .version(env!("CARGO_PKG_VERSION"))
        .comments(gettext("Virtual networks for virtual machines: NAT, routed, isolated and open networks with DHCP and DNS, compatible with libvirt."))
        .website(env!("CARGO_PKG_REPOSITORY"))
        .issue_url(format!("{}/issues", env!("CARGO_PKG_REPOSITORY")))
        .license_type(gtk::License::Gpl30)
        .modal(true)
        .build();
    about.set_transient_for(parent.root().and_downcast::<gtk::Window>().as_ref());
    about.present();
}
