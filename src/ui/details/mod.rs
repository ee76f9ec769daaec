//! The page of one network: its header (name, state, Start/Stop/Delete), the Details tab
//! (a picture of the network, then one section each: overview, IPv4, IPv6, DNS, leases),
//! the XML tab, and the Apply/Discard bar. Edits go through [`EditSession`]; every call to
//! the helper goes through [`Client`] and reports failure with the helper's own message.

pub(crate) mod diagram;
pub(crate) mod dialogs;
mod leases;
mod overview;
pub(crate) mod ports;
pub(crate) mod xml;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::prelude::*;

use self::diagram::Diagram;
use self::leases::LeasesSection;
use self::overview::OverviewSection;
use self::ports::PortsSection;
use self::xml::XmlPage;
use crate::dbus::summary::NetworkSummary;
use crate::dbus::{DhcpLease, HelperError, HostInterface};
use crate::model::{Family, ForwardMode, Network};
use crate::ui::a11y;
use crate::ui::client::{Client, HostId, PortInfo, split_key};
use crate::ui::edit::{EditSession, Field};
use crate::ui::form::address::AddressSection;
use crate::ui::form::dns::DnsSection;
use crate::ui::form::forwards::ForwardsSection;
use crate::ui::form::{self, FormEdit, FormSender, Outcome};
use crate::ui::texts::{self, Action};

pub struct Details {
    /// The client of every connected host; calls go to the shown network's.
    clients: HashMap<HostId, Client>,
    /// The shown network's host, in the title when the window has more than one.
    host_label: Option<String>,
    summary: Option<NetworkSummary>,
    session: Option<EditSession>,
    /// The definition the running network uses (differs from the session's original
    /// when changes wait for the next start).
    live: Option<Network>,
    leases: Vec<DhcpLease>,
    ports: Vec<PortInfo>,
    busy: Option<Action>,
    folded: bool,
    /// No network exists at all: the list's empty page says it all, this page says nothing.
    no_networks: bool,
    /// The host's interfaces, for the uplink list.
    interfaces: Vec<HostInterface>,
    /// A selection that waits for the user's answer about unapplied changes.
    asking_to_leave: bool,
    /// The number of the latest reload: an older one's answer, which can arrive after
    /// a newer one's (they run side by side), is dropped.
    reload_number: u64,
    overview: OverviewSection,
    ipv4: AddressSection,
    ipv6: AddressSection,
    dns: DnsSection,
    forwards: ForwardsSection,
    lease_list: LeasesSection,
    port_list: PortsSection,
    xml: XmlPage,
    diagram: Rc<RefCell<Diagram>>,
    diagram_area: gtk::DrawingArea,
    other_problems: gtk::Label,
    page: adw::PreferencesPage,
    form: FormSender,
}

#[derive(Debug)]
pub enum DetailsInput {
    /// A host connected (its client) or went away (`None`).
    Connected(HostId, Option<Client>),
    /// The host to name in the title (with more than one connection), or none.
    HostLabel(Option<String>),
    /// Show this network (or none); asks first when edits would be lost.
    Show(Option<NetworkSummary>),
    /// The shown network's properties changed.
    Summary(NetworkSummary),
    /// The helper says the shown network changed (a NetworkEvent, or a reconnection):
    /// read it again.
    Reload,
    Folded(bool),
    /// How many networks exist (none: this page shows nothing).
    NetworkCount(usize),
    /// The list's filter hides the shown network: show none, unless it has unapplied
    /// changes (the user's work stays in view).
    Hidden,
    /// A field of the overview or the XML tab.
    Edit(Field, String),
    /// An edit in the address or DNS sections.
    Form(FormEdit),
    SetMode(Option<ForwardMode>),
    SetAutostart(bool),
    Start,
    Stop,
    Restart,
    /// Stop or Restart Now, once the user agreed that the guests lose their connection.
    StopConfirmed,
    RestartConfirmed,
    Delete,
    DeleteConfirmed,
    Apply,
    Discard,
    /// "Reserve this address" on a lease row: its address becomes a static host, live.
    Reserve(DhcpLease),
    /// "Forward a port" on a lease row (whether its address is reserved already).
    ForwardTo(DhcpLease, bool),
    /// The reservation offered with a forward was answered: start the forward.
    ForwardToAnswered(DhcpLease, bool),
    /// The answer about unapplied changes when another network was picked.
    LeaveAnswered(dialogs::Leave, Option<NetworkSummary>),
}

#[derive(Debug)]
pub enum DetailsOutput {
    /// The user chose to stay on this network: select it again in the list.
    KeepSelection(String),
    GoBack,
    Toast(String),
}

#[derive(Debug)]
pub enum DetailsCommand {
    Loaded {
        /// Which reload this answers.
        number: u64,
        path: String,
        definition: Result<String, HelperError>,
        live: Result<String, HelperError>,
        leases: Vec<DhcpLease>,
        ports: Vec<PortInfo>,
        interfaces: Option<Vec<HostInterface>>,
    },
    Done {
        path: String,
        action: Action,
        result: Result<(), HelperError>,
    },
}

#[relm4::component(pub)]
impl Component for Details {
    type Init = ();
    type Input = DetailsInput;
    type Output = DetailsOutput;
    type CommandOutput = DetailsCommand;

    view! {
        gtk::Box {
            set_orientation: gtk::Orientation::Vertical,
            set_hexpand: true,

            adw::HeaderBar {
                #[watch]
                set_show_start_title_buttons: model.folded,
                #[wrap(Some)]
                #[name = "view_title"]
                set_title_widget = &adw::ViewSwitcherTitle {
                    set_stack: Some(&view_stack),
                    #[watch]
                    set_visible: model.summary.is_some(),
                    #[watch]
                    set_title: &model.summary.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
                    #[watch]
                    set_subtitle: &model.summary.as_ref().map(|s| match &model.host_label {
                        Some(host) => gettext("{state} on {host}").replace("{state}", &texts::state(s.active)).replace("{host}", host),
                        None => texts::state(s.active),
                    }).unwrap_or_default(),
                },
                pack_start = &gtk::Button {
                    set_icon_name: "go-previous-symbolic",
                    set_tooltip_text: Some(&gettext("Back")),
                    #[watch]
                    set_visible: model.folded,
                    connect_clicked[sender] => move |_| { let _ = sender.output(DetailsOutput::GoBack); },
                },
                pack_start = &gtk::Button {
                    set_label: &gettext("Start"),
                    add_css_class: "suggested-action",
                    set_tooltip_text: Some(&gettext("Start the network (Ctrl+Enter)")),
                    #[watch]
                    set_visible: model.summary.as_ref().is_some_and(|s| !s.active),
                    #[watch]
                    set_sensitive: model.busy.is_none(),
                    connect_clicked => DetailsInput::Start,
                },
                pack_start = &gtk::Button {
                    set_label: &gettext("Stop"),
                    set_tooltip_text: Some(&gettext("Stop the network (Ctrl+.)")),
                    #[watch]
                    set_visible: model.summary.as_ref().is_some_and(|s| s.active),
                    #[watch]
                    set_sensitive: model.busy.is_none(),
                    connect_clicked => DetailsInput::Stop,
                },
                pack_start = &gtk::Spinner {
                    #[watch]
                    set_spinning: model.busy.is_some(),
                    #[watch]
                    set_visible: model.busy.is_some(),
                    #[watch]
                    set_tooltip_text: model.busy.map(busy_text).as_deref(),
                },
                #[name = "delete_button"]
                pack_end = &gtk::Button {
                    set_icon_name: "user-trash-symbolic",
                    add_css_class: "flat",
                    set_tooltip_text: Some(&gettext("Delete the network (Ctrl+Delete)")),
                    #[watch]
                    set_visible: model.summary.is_some(),
                    #[watch]
                    set_sensitive: model.busy.is_none(),
                    connect_clicked => DetailsInput::Delete,
                },
            },

            gtk::Revealer {
                #[watch]
                set_reveal_child: model.changes_wait_for_restart(),
                gtk::Box {
                    add_css_class: "pending-banner",
                    set_spacing: 12,
                    gtk::Label {
                        set_hexpand: true,
                        set_xalign: 0.0,
                        set_wrap: true,
                        #[watch]
                        set_label: &model.restart_notice(),
                    },
                    gtk::Button {
                        set_label: &gettext("Restart Now"),
                            set_valign: gtk::Align::Center,
                        #[watch]
                        set_sensitive: model.busy.is_none(),
                        connect_clicked => DetailsInput::Restart,
                    },
                },
            },

            // Not homogeneous: only the page shown is measured, which keeps the big
            // details page out of the window's first layout until a network is picked.
            gtk::Stack {
                set_vexpand: true,
                set_hhomogeneous: false,
                set_vhomogeneous: false,
                add_named[Some("none")] = &adw::StatusPage {
                    set_icon_name: Some("network-workgroup-symbolic"),
                    set_title: &gettext("No Network Selected"),
                    set_description: Some(&gettext("Pick a network in the list to see and change it.")),
                },
                add_named[Some("nothing")] = &gtk::Box {},
                add_named[Some("network")] = &view_stack.clone(),
                #[watch]
                set_visible_child_name: match (&model.summary, model.no_networks) {
                    (Some(_), _) => "network",
                    (None, true) => "nothing",
                    (None, false) => "none",
                },
            },

            #[name = "switcher_bar"]
            adw::ViewSwitcherBar {
                set_stack: Some(&view_stack),
            },

            gtk::Revealer {
                set_transition_type: gtk::RevealerTransitionType::SlideUp,
                #[watch]
                set_reveal_child: model.session.as_ref().is_some_and(EditSession::is_dirty),
                gtk::ActionBar {
                    pack_start = &gtk::Label {
                        #[watch]
                        set_label: &if model.session.as_ref().is_some_and(EditSession::can_apply) {
                            gettext("Unapplied changes")
                        } else {
                            gettext("Fix the problems shown to apply")
                        },
                    },
                    pack_end = &gtk::Button {
                        set_label: &gettext("Apply"),
                            add_css_class: "suggested-action",
                        set_tooltip_text: Some(&gettext("Save the changes (Ctrl+S)")),
                        #[watch]
                        set_sensitive: model.busy.is_none() && model.session.as_ref().is_some_and(EditSession::can_apply),
                        connect_clicked => DetailsInput::Apply,
                    },
                    pack_end = &gtk::Button {
                        set_label: &gettext("Discard"),
                            connect_clicked => DetailsInput::Discard,
                    },
                },
            },
        }
    }

    fn init(_: (), root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let input = sender.input_sender().clone();
        let overview = OverviewSection::new(&input);
        let quiet = Rc::default();
        let form = {
            let input = input.clone();
            FormSender::new(quiet, move |edit| input.emit(DetailsInput::Form(edit)))
        };
        let ipv4 = AddressSection::new(Family::Ipv4, &form, false);
        let ipv6 = AddressSection::new(Family::Ipv6, &form, false);
        let dns = DnsSection::new(&form);
        let forwards = ForwardsSection::new(&form);
        let lease_list = LeasesSection::new(&input);
        let port_list = PortsSection::new();
        let xml = {
            let input = input.clone();
            XmlPage::new(move |text| input.emit(DetailsInput::Edit(Field::Xml, text)))
        };

        let diagram = Rc::new(RefCell::new(Diagram::default()));
        let diagram_area = gtk::DrawingArea::builder().content_height(150).css_classes(["card", "diagram"]).build();
        {
            let diagram = Rc::clone(&diagram);
            diagram_area.set_draw_func(move |area, cr, width, height| {
                diagram::draw(&diagram.borrow(), area, cr, width, height)
            });
        }
        let picture = adw::PreferencesGroup::new();
        picture.add(&diagram_area);
        let other_problems =
            gtk::Label::builder().xalign(0.0).wrap(true).visible(false).css_classes(["field-error"]).build();
        picture.add(&other_problems);

        let page = adw::PreferencesPage::new();
        for group in [
            &picture,
            &overview.group,
            &ipv4.group,
            &ipv6.group,
            &dns.group,
            &forwards.group,
            &port_list.group,
            &lease_list.group,
        ] {
            page.add(group);
        }
        let view_stack = adw::ViewStack::new();
        view_stack.add_titled_with_icon(&page, Some("details"), &gettext("Details"), "document-properties-symbolic");
        view_stack.add_titled_with_icon(&xml.root, Some("xml"), &gettext("XML"), "text-x-generic-symbolic");

        let model = Details {
            clients: HashMap::new(),
            host_label: None,
            summary: None,
            session: None,
            live: None,
            leases: Vec::new(),
            ports: Vec::new(),
            busy: None,
            folded: false,
            no_networks: false,
            interfaces: Vec::new(),
            asking_to_leave: false,
            reload_number: 0,
            overview,
            ipv4,
            ipv6,
            dns,
            forwards,
            lease_list,
            port_list,
            xml,
            diagram,
            diagram_area,
            other_problems,
            page: page.clone(),
            form,
        };
        let widgets = view_output!();
        widgets.view_title.bind_property("title-visible", &widgets.switcher_bar, "reveal").sync_create().build();
        a11y::set_label(&widgets.delete_button, &gettext("Delete"));
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: DetailsInput, sender: ComponentSender<Self>, root: &Self::Root) {
        match message {
            DetailsInput::Connected(host, client) => match client {
                Some(client) => {
                    self.clients.insert(host, client);
                }
                None => {
                    self.clients.remove(&host);
                }
            },
            DetailsInput::HostLabel(label) => self.host_label = label,
            DetailsInput::Show(summary) => {
                let same = summary.as_ref().map(|s| &s.path) == self.summary.as_ref().map(|s| &s.path);
                if same {
                    if let Some(summary) = summary {
                        self.set_summary(summary);
                    }
                } else if self.session.as_ref().is_some_and(EditSession::is_dirty) {
                    if !self.asking_to_leave {
                        self.asking_to_leave = true;
                        let name = self.summary.as_ref().map(|s| s.name.clone()).unwrap_or_default();
                        dialogs::ask_to_leave(root, &name, summary, sender.input_sender().clone());
                    }
                } else {
                    self.show(summary, &sender);
                }
            }
            DetailsInput::LeaveAnswered(answer, summary) => {
                self.asking_to_leave = false;
                match answer {
                    dialogs::Leave::Stay => {
                        if let Some(current) = &self.summary {
                            let _ = sender.output(DetailsOutput::KeepSelection(current.path.clone()));
                        }
                    }
                    dialogs::Leave::Discard => self.show(summary, &sender),
                    dialogs::Leave::Apply => {
                        self.apply(&sender);
                        self.show(summary, &sender);
                    }
                }
            }
            DetailsInput::Summary(summary) => {
                if self.summary.as_ref().is_some_and(|s| s.path == summary.path) {
                    self.set_summary(summary);
                }
            }
            DetailsInput::Reload => self.reload(&sender),
            DetailsInput::Folded(folded) => self.folded = folded,
            DetailsInput::NetworkCount(count) => self.no_networks = count == 0,
            DetailsInput::Hidden => {
                if !self.session.as_ref().is_some_and(EditSession::is_dirty) {
                    self.show(None, &sender);
                }
            }
            DetailsInput::Edit(field, text) => {
                if let Some(session) = &mut self.session {
                    session.set_text(field, &text);
                }
                if field == Field::Xml {
                    // The form shows what the XML now says.
                    self.load_form();
                } else {
                    self.after_form_edit();
                }
            }
            DetailsInput::Form(edit) => self.form_edit(edit),
            DetailsInput::SetMode(mode) => self.edit(|s| s.set_mode(mode)),
            DetailsInput::SetAutostart(on) => self.call(Action::Autostart, &sender, move |client, path| async move {
                client.set_autostart(path, on).await
            }),
            DetailsInput::Start if self.summary.as_ref().is_some_and(|s| !s.active) => {
                self.call(Action::Start, &sender, |client, path| async move { client.start(path).await });
            }
            DetailsInput::Stop | DetailsInput::Restart
                if self.busy.is_none() && self.summary.as_ref().is_some_and(|s| s.active) =>
            {
                let restart = matches!(message, DetailsInput::Restart);
                let guests = self.guest_names();
                match &self.summary {
                    Some(summary) if !guests.is_empty() => {
                        dialogs::confirm_cut_off(root, summary, &guests, restart, sender.input_sender().clone());
                    }
                    _ => {
                        sender.input(if restart { DetailsInput::RestartConfirmed } else { DetailsInput::StopConfirmed })
                    }
                }
            }
            DetailsInput::StopConfirmed => {
                self.call(Action::Stop, &sender, |client, path| async move { client.stop(path).await });
            }
            DetailsInput::RestartConfirmed => self.call(Action::Restart, &sender, |client, path| async move {
                client.stop(path.clone()).await?;
                client.start(path).await
            }),
            DetailsInput::Start | DetailsInput::Stop | DetailsInput::Restart => {}
            DetailsInput::Delete => {
                if let Some(summary) = &self.summary
                    && self.busy.is_none()
                {
                    let guests = if summary.active { self.guest_names() } else { Vec::new() };
                    dialogs::confirm_delete(root, summary, &guests, sender.input_sender().clone());
                }
            }
            DetailsInput::DeleteConfirmed => {
                self.call(Action::Delete, &sender, |client, path| async move { client.stop_and_delete(path).await });
            }
            DetailsInput::Apply => self.apply(&sender),
            DetailsInput::Reserve(lease) => self.reserve(lease, &sender),
            DetailsInput::ForwardTo(lease, true) => self.forwards.forward_to(&lease.address),
            // A forward points at an address: offer to keep it the guest's for good.
            DetailsInput::ForwardTo(lease, false) => {
                dialogs::offer_reservation(root, &lease, sender.input_sender().clone());
            }
            DetailsInput::ForwardToAnswered(lease, reserve) => {
                self.forwards.forward_to(&lease.address);
                if reserve {
                    self.reserve(lease, &sender);
                }
            }
            DetailsInput::Discard => {
                if let Some(session) = &mut self.session {
                    let original = session.original().clone();
                    session.reset(original);
                }
                self.load_form();
            }
        }
    }

    fn update_cmd(&mut self, message: DetailsCommand, sender: ComponentSender<Self>, root: &Self::Root) {
        match message {
            DetailsCommand::Loaded { number, path, definition, live, leases, ports, interfaces } => {
                if self.summary.as_ref().map(|s| &s.path) != Some(&path) || number != self.reload_number {
                    return;
                }
                if let Some(interfaces) = interfaces {
                    self.interfaces = interfaces;
                }
                // A definition that cannot be read leaves the page as it was (the list
                // will drop the network if it is gone).
                let Ok(definition) = definition.map(|xml| Network::from_xml(&xml)) else { return };
                let Ok(definition) = definition else { return };
                self.live = live.ok().and_then(|xml| Network::from_xml(&xml).ok());
                self.leases = leases;
                self.ports = ports;
                let keep_edits = self.session.as_ref().is_some_and(EditSession::is_dirty);
                match &mut self.session {
                    Some(session) if keep_edits => {
                        if *session.original() != definition {
                            let _ = sender.output(DetailsOutput::Toast(
                                gettext("“{name}” was changed elsewhere; your unapplied changes are kept")
                                    .replace("{name}", &definition.name),
                            ));
                        }
                    }
                    _ => {
                        let first = self.session.is_none();
                        self.session = Some(EditSession::new(definition));
                        self.load_form();
                        if first {
                            // Another network: its page starts at the top.
                            scroll_to_top(&self.page);
                        }
                    }
                }
                self.show_leases();
                if let Some(summary) = self.summary.clone() {
                    self.overview.show_summary(&summary, self.session.as_ref());
                }
            }
            DetailsCommand::Done { path, action, result } => {
                self.busy = None;
                let shown = self.summary.as_ref().filter(|s| s.path == path).map(|s| s.name.clone());
                // After Apply the network may have a new name: say the one it has now.
                let applied =
                    self.session.as_ref().map(|s| s.edited().name.clone()).filter(|_| action == Action::Apply);
                let action_was_live = action == Action::ApplyLive;
                let action = if action_was_live { Action::Apply } else { action };
                let name = applied.or(shown).unwrap_or_default();
                match result {
                    Ok(()) => match action {
                        Action::Apply => {
                            let toast = if action_was_live {
                                gettext("Changes to “{name}” applied at once, no restart needed")
                            } else {
                                gettext("Changes to “{name}” saved")
                            };
                            let _ = sender.output(DetailsOutput::Toast(toast.replace("{name}", &name)));
                            if let Some(session) = &mut self.session {
                                let edited = session.edited().clone();
                                session.reset(edited);
                            }
                            self.reload(&sender);
                        }
                        Action::Delete => {
                            let _ = sender
                                .output(DetailsOutput::Toast(gettext("“{name}” deleted").replace("{name}", &name)));
                        }
                        Action::Reserve => {
                            let _ = sender.output(DetailsOutput::Toast(
                                gettext("Address reserved on “{name}”; it applies at once").replace("{name}", &name),
                            ));
                            self.reload(&sender);
                        }
                        _ => self.reload(&sender),
                    },
                    Err(error) => {
                        let remote = self.client().and_then(|c| c.remote_host().map(str::to_owned));
                        let (heading, body) = texts::failure(action, &name, &error, remote.as_deref());
                        dialogs::show_error(root, &heading, &body);
                        if action == Action::Autostart
                            && let Some(summary) = self.summary.clone()
                        {
                            // The switch shows what the helper has, not what was asked.
                            self.overview.show_summary(&summary, self.session.as_ref());
                        }
                    }
                }
            }
        }
    }
}

impl Details {
    /// Switches to another network (edits were dealt with before).
    fn show(&mut self, summary: Option<NetworkSummary>, sender: &ComponentSender<Self>) {
        self.session = None;
        self.live = None;
        self.leases.clear();
        self.ports.clear();
        self.summary = summary.clone();
        if let Some(summary) = summary {
            self.set_summary(summary);
            self.reload(sender);
        }
    }

    fn set_summary(&mut self, summary: NetworkSummary) {
        let was_active = self.summary.as_ref().map(|s| s.active);
        self.overview.show_summary(&summary, self.session.as_ref());
        self.summary = Some(summary);
        if was_active != self.summary.as_ref().map(|s| s.active) {
            self.show_leases();
        }
    }

    /// The client of the shown network's host, while it is connected.
    fn client(&self) -> Option<Client> {
        let (host, _) = split_key(&self.summary.as_ref()?.path)?;
        self.clients.get(&host).cloned()
    }

    /// Reads the definitions and leases of the shown network again.
    fn reload(&mut self, sender: &ComponentSender<Self>) {
        let (Some(client), Some(summary)) = (self.client(), &self.summary) else { return };
        let path = summary.path.clone();
        let active = summary.active;
        // The uplink list, once per network shown (interfaces come and go rarely), or
        // until a reload brought it.
        let want_interfaces = self.session.is_none() || self.interfaces.is_empty();
        self.reload_number += 1;
        let number = self.reload_number;
        sender.oneshot_command(async move {
            let definition = client.definition(path.clone()).await;
            let live = client.live_definition(path.clone()).await;
            let leases = if active { client.leases(path.clone()).await.unwrap_or_default() } else { Vec::new() };
            let ports = client.ports(path.clone()).await.unwrap_or_default();
            let interfaces = if want_interfaces { client.host_interfaces().await.ok() } else { None };
            DetailsCommand::Loaded { number, path, definition, live, leases, ports, interfaces }
        });
    }

    /// Runs a call on the shown network with the spinner on; the result comes back as
    /// `DetailsCommand::Done`.
    fn call<F, Fut>(&mut self, action: Action, sender: &ComponentSender<Self>, call: F)
    where
        F: FnOnce(Client, String) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), HelperError>> + Send,
    {
        let (Some(client), Some(summary)) = (self.client(), &self.summary) else { return };
        if self.busy.is_some() {
            return;
        }
        self.busy = Some(action);
        let path = summary.path.clone();
        sender.oneshot_command(async move {
            let result = call(client, path.clone()).await;
            DetailsCommand::Done { path, action, result }
        });
    }

    fn apply(&mut self, sender: &ComponentSender<Self>) {
        let Some(session) = self.session.as_ref().filter(|s| s.can_apply()) else { return };
        // A running persistent network takes static hosts and DNS hosts at once (as
        // net-update does), when they are all that changed and it runs with what is saved.
        let live = self.summary.as_ref().is_some_and(|s| s.active && s.persistent) && !self.changes_wait_for_restart();
        let edits = live.then(|| crate::model::update::live_edits(session.original(), session.edited())).flatten();
        if let Some(edits) = edits.filter(|e| !e.is_empty()) {
            let flags = crate::dbus::update_flags::LIVE | crate::dbus::update_flags::CONFIG;
            self.call(Action::ApplyLive, sender, move |client, path| async move {
                for (command, section, index, fragment) in edits {
                    client.update_at(path.clone(), command as u32, section as u32, index, fragment, flags).await?;
                }
                Ok(())
            });
            return;
        }
        let xml = session.xml();
        self.call(Action::Apply, sender, move |client, _| async move { client.define(xml).await.map(|_| ()) });
    }

    /// Makes a lease's address a static host of the running network (and of its
    /// persistent definition, when it has one), live: the guest keeps it for good.
    fn reserve(&mut self, lease: DhcpLease, sender: &ComponentSender<Self>) {
        let Ok(ip) = lease.address.parse::<std::net::IpAddr>() else { return };
        let persistent = self.summary.as_ref().is_some_and(|s| s.persistent);
        let flags = if persistent {
            crate::dbus::update_flags::LIVE | crate::dbus::update_flags::CONFIG
        } else {
            crate::dbus::update_flags::LIVE
        };
        let xml = crate::model::update::reservation(&lease.mac, &lease.client_id, &lease.hostname, ip);
        let add = crate::model::update::Command::AddLast as u32;
        let section = crate::model::update::Section::IpDhcpHost as u32;
        self.call(Action::Reserve, sender, move |client, path| async move {
            client.update_at(path, add, section, -1, xml, flags).await
        });
    }

    fn edit(&mut self, change: impl FnOnce(&mut EditSession)) {
        if let Some(session) = &mut self.session {
            change(session);
        }
        self.after_form_edit();
    }

    /// An edit in the address or DNS sections.
    fn form_edit(&mut self, edit: FormEdit) {
        let Some(session) = &mut self.session else { return };
        match form::apply(session, edit) {
            Outcome::Changed => {}
            Outcome::HostChecked(family, check) => return self.section(family).host_checked(&check),
            Outcome::RecordChecked(check) => return self.dns.record_checked(&check),
            Outcome::HostAdded(family, result) => self.section(family).hosts.added(result),
            Outcome::RecordAdded(result) => self.dns.records.added(result),
            Outcome::ForwardChecked(check) => return self.forwards.forward_checked(&check),
            Outcome::ForwardAdded(result) => self.forwards.forwards.added(result),
        }
        self.after_form_edit();
    }

    fn section(&self, family: Family) -> &AddressSection {
        if family == Family::Ipv4 { &self.ipv4 } else { &self.ipv6 }
    }

    /// After a change in the form: messages at the fields, the XML tab, the picture.
    fn after_form_edit(&mut self) {
        let Some(session) = &self.session else { return };
        let form = self.form.clone();
        form.quietly(|| {
            self.overview.refresh(session, &self.interfaces);
            self.ipv4.refresh(session);
            self.ipv6.refresh(session);
            self.dns.refresh(session);
            self.forwards.refresh(session);
        });
        self.xml.load(&session.xml());
        self.show_problems();
        self.update_diagram();
    }

    /// Fills the whole form from the session (a new definition, Discard, an XML edit).
    fn load_form(&mut self) {
        let Some(session) = &self.session else { return };
        let form = self.form.clone();
        form.quietly(|| {
            self.overview.load(session, &self.interfaces);
            self.ipv4.load(session);
            self.ipv6.load(session);
            self.dns.load(session);
            self.forwards.refresh(session);
        });
        if !session.is_dirty() {
            self.xml.load(&session.xml());
        }
        self.show_problems();
        self.update_diagram();
    }

    /// The guests on the shown network, by name (or address, or port): its VMs'
    /// ports, then guests with a lease that no port shows.
    fn guest_names(&self) -> Vec<String> {
        let by_lease =
            |l: &DhcpLease| if l.hostname.is_empty() { l.address.clone() } else { texts::shown_text(&l.hostname) };
        let mut names: Vec<String> = self
            .ports
            .iter()
            .filter(|p| p.plugged && (p.kind != "foreign" || !p.address.is_empty()))
            .map(|p| if p.hostname.is_empty() { p.interface.clone() } else { texts::shown_text(&p.hostname) })
            .collect();
        names.extend(
            self.leases.iter().filter(|l| !self.ports.iter().any(|p| p.mac.eq_ignore_ascii_case(&l.mac))).map(by_lease),
        );
        names.dedup();
        names
    }

    fn show_problems(&self) {
        let Some(session) = &self.session else { return };
        self.xml.show_problems(&session.all_problems());
        let others = session.other_problems();
        self.other_problems.set_label(&others.join("\n"));
        self.other_problems.set_visible(!others.is_empty());
    }

    fn show_leases(&mut self) {
        let active = self.summary.as_ref().is_some_and(|s| s.active);
        let reserved: Vec<std::net::IpAddr> = self
            .live
            .iter()
            .flat_map(|n| n.ips.iter())
            .filter_map(|ip| ip.dhcp.as_ref())
            .flat_map(|d| d.hosts.iter().filter_map(|h| h.ip))
            .collect();
        let forwards = self.session.as_ref().is_some_and(EditSession::can_forward_ports);
        self.lease_list.show(&self.leases, active, &reserved, forwards);
        let bridge = self.summary.as_ref().map(|s| s.bridge.clone()).unwrap_or_default();
        self.port_list.show(&self.ports, &bridge, active);
        self.update_diagram();
    }

    fn update_diagram(&self) {
        let (Some(session), Some(summary)) = (&self.session, &self.summary) else { return };
        let network = session.edited();
        let forward = network.forward.as_ref();
        let uplink =
            forward.map(|f| f.interfaces.first().map(|i| i.dev.clone()).unwrap_or_else(|| gettext("any interface")));
        // Every port (a VM without a lease yet too), then guests with a lease that no
        // port shows (behind another device).
        let label = |name: &str, address: &str| match (name.is_empty(), address.is_empty()) {
            (true, _) => address.to_owned(),
            (false, true) => texts::shown_text(name),
            (false, false) => format!("{}\n{address}", texts::shown_text(name)),
        };
        let mut guests: Vec<String> = self
            .ports
            .iter()
            .filter(|p| p.plugged)
            .map(|p| {
                let name = if p.hostname.is_empty() { p.interface.as_str() } else { p.hostname.as_str() };
                label(name, &p.address)
            })
            .collect();
        guests.extend(
            self.leases
                .iter()
                .filter(|l| !self.ports.iter().any(|p| p.mac.eq_ignore_ascii_case(&l.mac)))
                .map(|l| label(&l.hostname, &l.address)),
        );
        let diagram = Diagram {
            uplink,
            mode: texts::mode(forward.map_or("none", |f| f.mode.as_str())),
            bridge: network.bridge.name.clone().unwrap_or_else(|| summary.bridge.clone()),
            subnet: texts::subnets(network),
            guests,
            active: summary.active,
            forwards: network
                .port_forwards
                .iter()
                .map(|f| {
                    gettext("{host} → {guest}").replace("{host}", &f.host_side()).replace("{guest}", &f.guest_side())
                })
                .collect(),
            forward_labels: network
                .port_forwards
                .iter()
                .map(|f| {
                    let to = match f.to_end() {
                        Some(end) if end != f.to => format!("{}-{end}", f.to),
                        _ => f.to.to_string(),
                    };
                    gettext("{host} → {guest}").replace("{host}", &f.host_side()).replace("{guest}", &to)
                })
                .collect(),
        };
        a11y::set_label(&self.diagram_area, &diagram.description());
        *self.diagram.borrow_mut() = diagram;
        self.diagram_area.queue_draw();
    }

    /// The notice of changes that wait for the next start, naming what they change
    /// (worked out only while the notice shows).
    fn restart_notice(&self) -> String {
        let fields = match (&self.session, &self.live) {
            (Some(session), Some(live)) if self.changes_wait_for_restart() => {
                crate::ui::edit::pending::restart_fields(live, session.original())
            }
            _ => Vec::new(),
        };
        if fields.is_empty() {
            return gettext("The network runs with its previous settings: changes take effect at the next start.");
        }
        gettext("The network runs with its previous settings: the changes to {fields} take effect at the next start.")
            .replace("{fields}", &fields.join(", "))
    }

    /// True when the running network uses another definition than the saved one.
    fn changes_wait_for_restart(&self) -> bool {
        let active = self.summary.as_ref().is_some_and(|s| s.active);
        match (&self.session, &self.live) {
            (Some(session), Some(live)) => active && session.original() != live,
            _ => false,
        }
    }
}

/// Scrolls a preferences page back to its top (libadwaita 1.2 has no call for it: the
/// page's own scrolled window is found among its children).
fn scroll_to_top(page: &adw::PreferencesPage) {
    let mut next = page.first_child();
    while let Some(widget) = next {
        if let Ok(scrolled) = widget.clone().downcast::<gtk::ScrolledWindow>() {
            scrolled.vadjustment().set_value(0.0);
            return;
        }
        next = widget.first_child().or_else(|| widget.next_sibling());
    }
}

fn busy_text(action: Action) -> String {
    match action {
        Action::Start => gettext("Starting…"),
        Action::Stop => gettext("Stopping…"),
        Action::Restart => gettext("Restarting…"),
        Action::Delete => gettext("Deleting…"),
        Action::Apply | Action::ApplyLive => gettext("Saving…"),
        Action::Autostart => gettext("Changing autostart…"),
        Action::Reserve => gettext("Reserving the address…"),
    }
}
