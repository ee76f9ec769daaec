//! The sidebar: every network, sorted by name, with its state, mode, guests and subnets,
//! in a `gtk::ListView` (smooth with thousands of rows), filtered by a search entry.
//! Enter in the search opens the first match, Enter on a row opens it; a network the
//! filter hides is not left selected. With more than one connection, the networks are
//! grouped under a row per host (its state), in the order the hosts were added, and the
//! networks of a host that cannot be reached are greyed out.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use gettextrs::gettext;
use relm4::gtk;
use relm4::gtk::prelude::*;
use relm4::prelude::*;
use relm4::typed_view::list::{RelmListItem, TypedListView};

use crate::ui::a11y;

/// One row: a network, or the heading of a host's networks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkRow {
    /// The network's key, or the host's key for a heading.
    pub path: String,
    /// The host's place among the connections: rows sort by it first.
    pub rank: u32,
    /// A host's heading (name and state), not a network.
    pub heading: bool,
    /// The host can be reached (a network of a host that cannot is greyed out; a
    /// heading shows the warning color).
    pub reachable: bool,
    /// A network under its host's heading: set in from it.
    pub indented: bool,
    pub name: String,
    pub active: bool,
    /// Running, but not as defined (the helper gave up on its dnsmasq, or another
    /// firewall drops its traffic): a warning-colored state dot.
    pub degraded: bool,
    /// `Active · NAT · 2 guests`.
    pub subtitle: String,
    /// `192.168.122.0/24, fd00::/64`: on a line of its own, wrapped only between subnets.
    pub subnets: String,
}

impl PartialOrd for NetworkRow {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NetworkRow {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank
            .cmp(&other.rank)
            .then_with(|| other.heading.cmp(&self.heading))
            .then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.path.cmp(&other.path))
    }
}

pub struct RowWidgets {
    state: gtk::Box,
    title: gtk::Label,
    subtitle: gtk::Label,
    subnets: gtk::Label,
}

impl RelmListItem for NetworkRow {
    type Root = gtk::Box;
    type Widgets = RowWidgets;

    fn setup(_item: &gtk::ListItem) -> (gtk::Box, RowWidgets) {
        relm4::view! {
            root = gtk::Box {
                set_orientation: gtk::Orientation::Horizontal,
                set_spacing: 12,
                set_margin_top: 8,
                set_margin_bottom: 8,
                set_margin_start: 12,
                set_margin_end: 12,

                // A dot, not a play/stop look-alike: the state is a fact, not a button.
                #[name = "state"]
                gtk::Box {
                    set_valign: gtk::Align::Start,
                    set_margin_top: 5,
                    add_css_class: "network-state-dot",
                },
                gtk::Box {
                    set_orientation: gtk::Orientation::Vertical,
                    set_spacing: 2,
                    #[name = "title"]
                    gtk::Label {
                        set_xalign: 0.0,
                        set_ellipsize: gtk::pango::EllipsizeMode::End,
                    },
                    #[name = "subtitle"]
                    gtk::Label {
                        set_xalign: 0.0,
                        set_ellipsize: gtk::pango::EllipsizeMode::End,
                        add_css_class: "dim-label",
                        add_css_class: "caption",
                    },
                    // Wrapped, never cut: "192.168.124.0/2…" would read as a /2.
                    #[name = "subnets"]
                    gtk::Label {
                        set_xalign: 0.0,
                        set_wrap: true,
                        set_wrap_mode: gtk::pango::WrapMode::Word,
                        add_css_class: "dim-label",
                        add_css_class: "caption",
                    },
                },
            }
        }
        (root, RowWidgets { state, title, subtitle, subnets })
    }

    fn bind(&mut self, widgets: &mut Self::Widgets, root: &mut Self::Root) {
        root.set_sensitive(self.reachable || self.heading);
        root.set_margin_start(if self.indented { 28 } else { 12 });
        if self.heading {
            widgets.title.add_css_class("heading");
        } else {
            widgets.title.remove_css_class("heading");
        }
        widgets.title.set_label(&self.name);
        widgets.subtitle.set_label(&self.subtitle);
        widgets.subnets.set_label(&unbreakable_subnets(&self.subnets));
        widgets.subnets.set_visible(!self.subnets.is_empty());
        let state = if self.heading { self.subtitle.clone() } else { crate::ui::texts::state(self.active) };
        widgets.state.set_tooltip_text(Some(&state));
        a11y::set_label(&widgets.state, &state);
        for (class, on) in [
            ("active", self.active && !self.degraded),
            ("degraded", self.active && self.degraded || self.heading && !self.reachable),
        ] {
            if on {
                widgets.state.add_css_class(class);
            } else {
                widgets.state.remove_css_class(class);
            }
        }
    }
}

pub struct NetworkList {
    rows: TypedListView<NetworkRow, gtk::SingleSelection>,
    filter: Rc<RefCell<String>>,
    /// The network shown in the details, kept across re-sorting.
    selected: Option<String>,
    /// Set while rows are rearranged, so selection changes are not taken as the user's.
    rearranging: bool,
    /// The selection the filter hid, to select again when the filter shows it.
    hidden: Option<String>,
    search: gtk::SearchEntry,
}

#[derive(Debug)]
pub enum NetworkListInput {
    Replace(Vec<NetworkRow>),
    Upsert(NetworkRow),
    Remove(String),
    Filter(String),
    Select(Option<String>),
    SelectionChanged,
    FocusSearch,
    /// Enter in the search: open the first match.
    OpenFirst,
    /// Enter (or a double click) on the row at this position of the filtered list.
    Open(u32),
}

#[derive(Debug)]
pub enum NetworkListOutput {
    Selected(Option<String>),
    /// The filter hides the selected network.
    Hidden,
}

#[relm4::component(pub)]
impl SimpleComponent for NetworkList {
    type Init = ();
    type Input = NetworkListInput;
    type Output = NetworkListOutput;

    view! {
        gtk::Box {
            set_orientation: gtk::Orientation::Vertical,

            #[name = "search"]
            gtk::SearchEntry {
                set_margin_all: 8,
                set_placeholder_text: Some(&gettext("Search networks")),
                connect_search_changed[sender] => move |entry| {
                    sender.input(NetworkListInput::Filter(entry.text().to_string()));
                },
                connect_activate => NetworkListInput::OpenFirst,
            },

            gtk::Stack {
                set_vexpand: true,

                add_named[Some("list")] = &gtk::ScrolledWindow {
                    set_hscrollbar_policy: gtk::PolicyType::Never,
                    #[local_ref]
                    list_view -> gtk::ListView {
                        add_css_class: "navigation-sidebar",
                    },
                },
                add_named[Some("empty")] = &adw::StatusPage {
                    set_icon_name: Some("network-workgroup-symbolic"),
                    set_title: &gettext("No Virtual Networks"),
                    set_description: Some(&gettext(
                        "A virtual network is a switch inside this computer that virtual machines plug into. It can hand out addresses, answer names, and give the machines a way out through this computer or keep them to themselves.",
                    )),
                    add_css_class: "compact",
                    #[wrap(Some)]
                    set_child = &gtk::Button {
                        set_label: &gettext("Create Network"),
                        set_halign: gtk::Align::Center,
                        add_css_class: "pill",
                        add_css_class: "suggested-action",
                        set_action_name: Some("win.new-network"),
                    },
                },
                #[watch]
                set_visible_child_name: if model.rows.is_empty() { "empty" } else { "list" },
            },
        }
    }

    fn init(_: (), root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let filter = Rc::new(RefCell::new(String::new()));
        let mut rows: TypedListView<NetworkRow, gtk::SingleSelection> = TypedListView::with_sorting();
        let text = Rc::clone(&filter);
        rows.add_filter(move |row: &NetworkRow| {
            let text = text.borrow();
            // A host's heading stays: the matches below it are its networks.
            row.heading || text.is_empty() || row.name.to_lowercase().contains(&text.to_lowercase())
        });
        rows.selection_model.set_autoselect(false);
        rows.selection_model.set_can_unselect(true);
        {
            let sender = sender.clone();
            rows.selection_model.connect_selected_notify(move |_| sender.input(NetworkListInput::SelectionChanged));
        }
        {
            let sender = sender.clone();
            rows.view.connect_activate(move |_, position| sender.input(NetworkListInput::Open(position)));
        }
        let mut model = NetworkList {
            rows,
            filter,
            selected: None,
            rearranging: false,
            hidden: None,
            search: gtk::SearchEntry::new(),
        };
        let list_view = &model.rows.view.clone();
        let widgets = view_output!();
        a11y::set_label(list_view, &gettext("Virtual networks"));
        a11y::set_label(&widgets.search, &gettext("Search networks"));
        model.search = widgets.search.clone();
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: NetworkListInput, sender: ComponentSender<Self>) {
        match message {
            NetworkListInput::Replace(rows) => {
                self.rearranging = true;
                self.rows.clear();
                self.rows.extend_from_iter(rows);
                self.rearranging = false;
                self.restore_selection(&sender);
            }
            NetworkListInput::Upsert(row) => {
                self.rearranging = true;
                if let Some(index) = self.rows.find(|r| r.path == row.path) {
                    self.rows.remove(index);
                }
                self.rows.append(row);
                self.rearranging = false;
                self.restore_selection(&sender);
            }
            NetworkListInput::Remove(path) => {
                self.rearranging = true;
                if let Some(index) = self.rows.find(|r| r.path == path) {
                    self.rows.remove(index);
                }
                self.rearranging = false;
                if self.hidden.as_deref() == Some(path.as_str()) {
                    self.hidden = None;
                }
                if self.selected.as_deref() == Some(path.as_str()) {
                    self.selected = None;
                    let _ = sender.output(NetworkListOutput::Selected(None));
                }
                self.restore_selection(&sender);
            }
            NetworkListInput::Filter(text) => {
                *self.filter.borrow_mut() = text;
                self.rearranging = true;
                self.rows.notify_filter_changed(0);
                self.rearranging = false;
                if let Some(path) = self.hidden.clone()
                    && self.selected.is_none()
                    && self.position_of(&path).is_some()
                {
                    // Shown again: selected again, as it was.
                    self.hidden = None;
                    self.selected = Some(path.clone());
                    let _ = sender.output(NetworkListOutput::Selected(Some(path)));
                }
                self.restore_selection(&sender);
                if let Some(path) = self.selected.clone()
                    && self.position_of(&path).is_none()
                {
                    // Nothing acts on a network the user cannot see.
                    self.hidden = Some(path);
                    self.selected = None;
                    let _ = sender.output(NetworkListOutput::Hidden);
                }
            }
            NetworkListInput::OpenFirst => {
                let first = (0..self.rows.selection_model.n_items())
                    .find(|&i| self.rows.get_visible(i).is_some_and(|row| !row.borrow().heading));
                if let Some(first) = first {
                    sender.input(NetworkListInput::Open(first));
                }
            }
            NetworkListInput::Open(position) => {
                let path = self.rows.get_visible(position).map(|item| item.borrow().path.clone());
                if let Some(path) = path {
                    self.hidden = None;
                    self.selected = Some(path.clone());
                    self.restore_selection(&sender);
                    let _ = sender.output(NetworkListOutput::Selected(Some(path)));
                }
            }
            NetworkListInput::Select(path) => {
                self.selected = path;
                self.restore_selection(&sender);
            }
            NetworkListInput::SelectionChanged if !self.rearranging => {
                let position = self.rows.selection_model.selected();
                let path = self.rows.get_visible(position).map(|item| item.borrow().path.clone());
                if path.is_some() && path != self.selected {
                    self.hidden = None;
                    self.selected = path.clone();
                    let _ = sender.output(NetworkListOutput::Selected(path));
                }
            }
            NetworkListInput::SelectionChanged => {}
            NetworkListInput::FocusSearch => {
                self.search.grab_focus();
            }
        }
    }
}

/// Subnets with word joiners after the characters where a line could otherwise break
/// (`/`, `.`, `:`), so a line breaks only between subnets.
fn unbreakable_subnets(subnets: &str) -> String {
    subnets
        .chars()
        .flat_map(|c| {
            let glue = matches!(c, '/' | '.' | ':').then_some('\u{2060}');
            std::iter::once(c).chain(glue)
        })
        .collect()
}

impl NetworkList {
    /// The position of a network among the rows the filter shows.
    fn position_of(&self, path: &str) -> Option<u32> {
        (0..self.rows.selection_model.n_items())
            .find(|i| self.rows.get_visible(*i).is_some_and(|item| item.borrow().path == path))
    }

    /// Selects the row of the selected network again (rows move when re-sorted).
    fn restore_selection(&mut self, _sender: &ComponentSender<Self>) {
        self.rearranging = true;
        let position = self.selected.clone().and_then(|path| self.position_of(&path));
        match position {
            Some(i) => self.rows.selection_model.set_selected(i),
            None => self.rows.selection_model.set_selected(gtk::INVALID_LIST_POSITION),
        }
        self.rearranging = false;
    }
}
