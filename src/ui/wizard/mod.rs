//! The new-network wizard: a modal window with one page per step (name and kind,
//! connection to the outside, addresses, DNS, review). Every field is checked as it is
//! typed; Next and Create stay disabled until the page is valid; Escape cancels.
//! Create defines, starts and sets autostart as chosen, and if anything fails it removes
//! the definition again and returns to the page the helper's error concerns.

mod pages;

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::prelude::*;

use self::pages::{AddressesPage, DnsPage, ForwardPage, Input, ModePage, ReviewPage};
use crate::dbus::{HelperError, UsedSubnet};
use crate::model::Family;
use crate::ui::client::{Client, WizardFacts};
use crate::ui::form::{FormEdit, Outcome};
use crate::ui::new_network::{Mode, NewNetwork, Page, UsedBy, page_of_error};

pub struct WizardInit {
    pub client: Client,
    /// The networks that exist: (UUID, name).
    pub existing: Vec<(uuid::Uuid, String)>,
    pub parent: gtk::Window,
    /// The host it creates the network on, named in the title (with more than one
    /// connection).
    pub host_label: Option<String>,
}

#[derive(Clone, Debug)]
pub enum WizardInput {
    Name(String),
    Mode(Mode),
    Uplink(Option<String>),
    /// An edit in the address or DNS pages.
    Form(FormEdit),
    Xml(String),
    Next,
    Back,
    Cancel,
}

#[derive(Debug)]
pub enum WizardOutput {
    /// The network was created (its object path); the wizard has closed.
    Created(String),
    Closed,
}

#[derive(Debug)]
pub enum WizardCommand {
    Facts(Result<WizardFacts, HelperError>),
    /// What is in use just before Create: a subnet taken meanwhile is refused.
    UsedBeforeCreate(Result<Vec<UsedSubnet>, HelperError>),
    Created(Result<String, HelperError>),
}

pub struct Wizard {
    client: Client,
    host_label: Option<String>,
    new: NewNetwork,
    page: Page,
    creating: bool,
    /// The helper's message after a failed Create.
    failure: Option<String>,
    mode_page: ModePage,
    forward_page: ForwardPage,
    addresses_page: AddressesPage,
    dns_page: DnsPage,
    review_page: ReviewPage,
    stack: gtk::Stack,
    input: Input,
}

#[relm4::component(pub)]
impl Component for Wizard {
    type Init = WizardInit;
    type Input = WizardInput;
    type Output = WizardOutput;
    type CommandOutput = WizardCommand;

    view! {
        adw::Window {
            set_title: Some(&gettext("New Network")),
            set_modal: true,
            set_transient_for: Some(&init.parent),
            // No wider than the window it opens over (a phone-sized one too).
            set_default_width: init.parent.width().clamp(360, 640),
            set_default_height: 760,
            connect_close_request[sender] => move |_| {
                sender.input(WizardInput::Cancel);
                gtk::glib::Propagation::Stop
            },

            gtk::Box {
                set_orientation: gtk::Orientation::Vertical,

                adw::HeaderBar {
                    set_show_end_title_buttons: false,
                    set_show_start_title_buttons: false,
                    pack_start = &gtk::Button {
                        set_label: &gettext("Cancel"),
                        set_tooltip_text: Some(&gettext("Cancel (Escape)")),
                        connect_clicked => WizardInput::Cancel,
                    },
                    pack_start = &gtk::Button {
                        set_label: &gettext("Back"),
                        set_tooltip_text: Some(&gettext("Back (Alt+Left)")),
                        #[watch]
                        set_visible: model.page != Page::NameAndMode,
                        #[watch]
                        set_sensitive: !model.creating,
                        connect_clicked => WizardInput::Back,
                    },
                    #[wrap(Some)]
                    set_title_widget = &adw::WindowTitle {
                        set_title: &match &model.host_label {
                            Some(host) => gettext("New Network on {host}").replace("{host}", host),
                            None => gettext("New Network"),
                        },
                        #[watch]
                        set_subtitle: &model.page_subtitle(),
                    },
                    #[name = "next_button"]
                    pack_end = &gtk::Button {
                        add_css_class: "suggested-action",
                        set_tooltip_text: Some(&gettext("Go on (Enter in a field, or Ctrl+Enter)")),
                        #[watch]
                        set_label: &if model.page == Page::Review { gettext("Create") } else { gettext("Next") },
                        #[watch]
                        set_sensitive: !model.creating && model.new.page_is_valid(model.page),
                        connect_clicked => WizardInput::Next,
                    },
                    pack_end = &gtk::Spinner {
                        #[watch]
                        set_visible: model.creating,
                        #[watch]
                        set_spinning: model.creating,
                    },
                },

                gtk::Revealer {
                    #[watch]
                    set_reveal_child: model.failure.is_some(),
                    gtk::Label {
                        add_css_class: "wizard-failure",
                        set_wrap: true,
                        set_xalign: 0.0,
                        set_selectable: true,
                        #[watch]
                        set_label: model.failure.as_deref().unwrap_or_default(),
                    },
                },

                append: &model.stack.clone(),
            },
        }
    }

    fn init(init: WizardInit, root: Self::Root, sender: ComponentSender<Self>) -> ComponentParts<Self> {
        let input = Input::new(sender.input_sender().clone());
        let stack = gtk::Stack::builder()
            .transition_type(gtk::StackTransitionType::SlideLeftRight)
            .vexpand(true)
            .hhomogeneous(false)
            .vhomogeneous(false)
            .build();
        let mode_page = ModePage::new(&input);
        let forward_page = ForwardPage::new(&input);
        let addresses_page = AddressesPage::new(&input);
        let dns_page = DnsPage::new(&input);
        let review_page = ReviewPage::new(&input);
        stack.add_named(&mode_page.root, Some(Page::NameAndMode.id()));
        stack.add_named(&forward_page.root, Some(Page::Forward.id()));
        stack.add_named(&addresses_page.root, Some(Page::Addresses.id()));
        stack.add_named(&dns_page.root, Some(Page::Dns.id()));
        stack.add_named(&review_page.root, Some(Page::Review.id()));

        let client = init.client.clone();
        let mut model = Wizard {
            host_label: init.host_label.clone(),
            client: init.client.clone(),
            new: {
                let names = init.existing.iter().map(|(_, name)| name.clone()).collect();
                let mut new = NewNetwork::new(names, None, None);
                new.set_existing(init.existing.clone());
                new
            },
            page: Page::NameAndMode,
            creating: false,
            failure: None,
            mode_page,
            forward_page,
            addresses_page,
            dns_page,
            review_page,
            stack,
            input,
        };
        let widgets = view_output!();
        // Enter in a field goes on, as in any dialog.
        root.set_default_widget(Some(&widgets.next_button));

        // Escape cancels, as in any dialog; Ctrl+Enter goes on and Alt+Left back from
        // anywhere (Enter in a field goes on too: Next is the default widget). No
        // mnemonics: GTK 4.8 then names the buttons "_Next Next" for screen readers.
        let keys = gtk::ShortcutController::new();
        let shortcuts =
            [("Escape", WizardInput::Cancel), ("<Control>Return", WizardInput::Next), ("<Alt>Left", WizardInput::Back)];
        for (trigger, message) in shortcuts {
            let sender = sender.clone();
            keys.add_shortcut(gtk::Shortcut::new(
                gtk::ShortcutTrigger::parse_string(trigger),
                Some(gtk::CallbackAction::new(move |_, _| {
                    sender.input(message.clone());
                    gtk::glib::Propagation::Stop
                })),
            ));
        }
        root.add_controller(keys);

        sender.oneshot_command(async move { WizardCommand::Facts(client.wizard_facts().await) });
        model.refresh();
        model.mode_page.focus();
        root.present();
        ComponentParts { model, widgets }
    }

    fn update(&mut self, message: WizardInput, sender: ComponentSender<Self>, root: &Self::Root) {
        match message {
            WizardInput::Name(text) => self.new.set_name(&text),
            WizardInput::Mode(mode) => self.new.set_mode(mode),
            WizardInput::Uplink(dev) => self.new.set_forward_dev(dev.as_deref()),
            WizardInput::Form(edit) => match self.new.form_edit(edit) {
                Outcome::Changed => {}
                Outcome::HostChecked(family, check) => {
                    return self.addresses_page.section(family).host_checked(&check);
                }
                Outcome::RecordChecked(check) => return self.dns_page.dns.record_checked(&check),
                Outcome::HostAdded(family, result) => self.addresses_page.section(family).hosts.added(result),
                Outcome::RecordAdded(result) => self.dns_page.dns.records.added(result),
                Outcome::ForwardChecked(check) => return self.dns_page.forwards.forward_checked(&check),
                Outcome::ForwardAdded(result) => self.dns_page.forwards.forwards.added(result),
            },
            WizardInput::Xml(text) => self.new.set_xml(&text),
            WizardInput::Next if self.creating || !self.new.page_is_valid(self.page) => {}
            WizardInput::Next if self.page == Page::Review => self.check_and_create(&sender),
            WizardInput::Next => {
                let pages = self.new.pages();
                let next = pages.iter().skip_while(|p| **p != self.page).nth(1).copied();
                if let Some(next) = next {
                    self.go_to(next);
                }
            }
            WizardInput::Back if !self.creating => {
                let pages = self.new.pages();
                let previous = pages.iter().take_while(|p| **p != self.page).last().copied();
                if let Some(previous) = previous {
                    self.go_to(previous);
                }
            }
            WizardInput::Back => {}
            WizardInput::Cancel if self.creating => {}
            WizardInput::Cancel => {
                root.destroy();
                let _ = sender.output(WizardOutput::Closed);
                return;
            }
        }
        self.refresh();
    }

    fn update_cmd(&mut self, message: WizardCommand, sender: ComponentSender<Self>, root: &Self::Root) {
        match message {
            WizardCommand::Facts(Ok(facts)) => {
                self.forward_page.set_interfaces(&facts.interfaces);
                self.new.set_interfaces(facts.interfaces);
                self.new.set_used(facts.used.iter().filter_map(UsedBy::from_wire).collect());
                self.new.suggest(facts.ipv4, facts.ipv6);
            }
            WizardCommand::UsedBeforeCreate(Ok(used)) => {
                self.new.set_used(used.iter().filter_map(UsedBy::from_wire).collect());
                let taken = [Family::Ipv4, Family::Ipv6].into_iter().find_map(|f| self.new.taken(f));
                match taken {
                    Some(taken) => {
                        // Taken since the page was left: refused here, not defined to fail later.
                        self.creating = false;
                        self.failure = Some(taken.message);
                        self.go_to(Page::Addresses);
                    }
                    None => self.create(&sender),
                }
            }
            WizardCommand::UsedBeforeCreate(Err(error)) => {
                self.creating = false;
                self.failure = Some(error.message);
            }
            WizardCommand::Facts(Err(error)) => self.failure = Some(error.message),
            WizardCommand::Created(Ok(path)) => {
                root.destroy();
                let _ = sender.output(WizardOutput::Created(path));
                return;
            }
            WizardCommand::Created(Err(error)) => {
                self.creating = false;
                let page = page_of_error(error.kind);
                self.failure = Some(error.message);
                self.go_to(page);
            }
        }
        self.refresh();
    }
}

impl Wizard {
    fn page_subtitle(&self) -> String {
        let pages = self.new.pages();
        let number = pages.iter().position(|p| *p == self.page).map_or(1, |i| i + 1);
        gettext("Step {n} of {count}: {page}")
            .replace("{n}", &number.to_string())
            .replace("{count}", &pages.len().to_string())
            .replace("{page}", &self.page.title())
    }

    fn go_to(&mut self, page: Page) {
        self.page = page;
        // A page coming into view shows the choices as they are, every field filled (GTK
        // may already have moved the focus into one of them: nobody is typing there yet).
        let (input, new) = (self.input.clone(), &self.new);
        input.quietly(|| match page {
            Page::Addresses => self.addresses_page.load(new),
            Page::Dns => self.dns_page.load(new),
            Page::Review => self.review_page.load_xml(new),
            Page::NameAndMode | Page::Forward => {}
        });
        self.stack.set_visible_child_name(page.id());
        self.refresh();
        match page {
            Page::NameAndMode => self.mode_page.focus(),
            Page::Addresses => self.addresses_page.focus(),
            Page::Dns => self.dns_page.focus(),
            Page::Forward | Page::Review => {}
        }
    }

    /// Shows the choices on the page in view (the others are filled when they come into
    /// view, by `go_to`).
    fn refresh(&mut self) {
        let input = self.input.clone();
        input.quietly(|| match self.page {
            Page::NameAndMode => self.mode_page.refresh(&self.new),
            Page::Forward => self.forward_page.refresh(&self.new),
            Page::Addresses => self.addresses_page.refresh(&self.new),
            Page::Dns => self.dns_page.refresh(&self.new),
            Page::Review => self.review_page.refresh(&self.new),
        });
    }

    /// Create, first step: what is in use now (another network may have taken the
    /// subnet since the addresses page).
    fn check_and_create(&mut self, sender: &ComponentSender<Self>) {
        self.creating = true;
        self.failure = None;
        let client = self.client.clone();
        sender.oneshot_command(async move { WizardCommand::UsedBeforeCreate(client.used_subnets().await) });
    }

    /// Create, second step: define, start and set autostart as chosen.
    fn create(&mut self, sender: &ComponentSender<Self>) {
        let client = self.client.clone();
        let xml = self.new.xml();
        let (start, autostart) = (self.review_page.start_now.is_active(), self.review_page.autostart.is_active());
        sender.oneshot_command(async move { WizardCommand::Created(client.create(xml, start, autostart).await) });
    }
}
