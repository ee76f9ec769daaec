//! The Ports section: what is plugged into the network's switch, live (VMs' taps,
//! persistent taps, interfaces other software plugged in), with each guest's name and
//! address when a lease matches; and "Connect a Virtual Machine", the exact lines for
//! qemu, libvirt and GNOME Boxes for this network, each with a copy button.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use crate::ui::a11y;
use crate::ui::client::PortInfo;
use crate::ui::texts;

/// Where virtnet-bridge-helper is installed (meson's libexecdir).
pub fn bridge_helper_path() -> String {
    let dir = option_env!("VIRTNET_LIBEXECDIR").unwrap_or("/usr/libexec");
    format!("{dir}/virtnet-bridge-helper")
}

/// The ways to connect a VM to the network on `bridge`: (what, the line to use).
pub fn connect_lines(bridge: &str) -> Vec<(String, String)> {
    let helper = bridge_helper_path();
    vec![
        (
            gettext("qemu, as any user"),
            format!(
                "qemu-system-x86_64 … -netdev bridge,id=n0,br={bridge},helper={helper} -device virtio-net-pci,netdev=n0"
            ),
        ),
        (
            gettext("libvirt in session mode and GNOME Boxes: once, in ~/.config/libvirt/qemu.conf"),
            format!("bridge_helper = \"{helper}\""),
        ),
        (
            gettext("then in the VM's definition (virsh edit, or Boxes' XML), for libvirt's system mode too"),
            format!("<interface type='bridge'><source bridge='{bridge}'/><model type='virtio'/></interface>"),
        ),
    ]
}

pub struct PortsSection {
    pub group: adw::PreferencesGroup,
    rows: Vec<gtk::Widget>,
    /// The bridge the connect help names.
    bridge: std::rc::Rc<std::cell::RefCell<String>>,
}

impl PortsSection {
    pub fn new() -> Self {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Ports"))
            .description(gettext("What is plugged into the network’s switch"))
            .build();
        let connect = gtk::Button::builder()
            .label(gettext("_Connect a Virtual Machine…"))
            .use_underline(true)
            .valign(gtk::Align::Center)
            .css_classes(["flat"])
            .build();
        let bridge = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
        {
            let bridge = std::rc::Rc::clone(&bridge);
            connect.connect_clicked(move |button| show_connect_help(button, &bridge.borrow()));
        }
        group.set_header_suffix(Some(&connect));
        PortsSection { group, rows: Vec::new(), bridge }
    }

    /// Shows the ports of the network on `bridge`; `active` says whether it runs.
    pub fn show(&mut self, ports: &[PortInfo], bridge: &str, active: bool) {
        *self.bridge.borrow_mut() = bridge.to_owned();
        for row in self.rows.drain(..) {
            self.group.remove(&row);
        }
        for port in ports {
            // A guest names itself: shown as text, never as markup or control codes.
            let title =
                if port.hostname.is_empty() { port.interface.clone() } else { texts::shown_text(&port.hostname) };
            let kind = match port.kind.as_str() {
                "transient" => gettext("virtual machine"),
                "persistent" => gettext("persistent tap"),
                _ => gettext("plugged in by other software"),
            };
            let mut details = Vec::new();
            if title != port.interface {
                details.push(port.interface.clone());
            }
            details.push(kind);
            if !port.mac.is_empty() {
                details.push(port.mac.clone());
            }
            if port.kind == "persistent"
                && let Some(owner) = port.owner
            {
                details.push(gettext("for {user}").replace("{user}", &user_name(owner)));
            }
            if !port.plugged {
                details.push(gettext("waits for the network to start"));
            }
            let row = adw::ActionRow::builder().use_markup(false).title(&title).subtitle(details.join(" · ")).build();
            row.add_prefix(&gtk::Image::from_icon_name(if port.kind == "foreign" {
                "network-wired-symbolic"
            } else {
                "computer-symbolic"
            }));
            if !port.address.is_empty() {
                row.add_suffix(&gtk::Label::builder().label(&port.address).selectable(true).build());
            }
            self.group.add(&row);
            self.rows.push(row.upcast());
        }
        if ports.is_empty() {
            let text = if active { gettext("Nothing is plugged in") } else { gettext("The network is not running") };
            let row = adw::ActionRow::builder().title(text).css_classes(["dim-label"]).build();
            self.group.add(&row);
            self.rows.push(row.upcast());
        }
    }
}

fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(user)) => user.name,
        _ => uid.to_string(),
    }
}

/// The connect help: one row per way, its line selectable, a copy button beside it.
fn show_connect_help(parent: &gtk::Button, bridge: &str) {
    let window = parent.root().and_downcast::<gtk::Window>();
    let dialog = adw::MessageDialog::new(
        window.as_ref(),
        Some(&gettext("Connect a Virtual Machine")),
        Some(
            &gettext(
                "VMs plug into switch {bridge} through virtnet-bridge-helper, which asks virtnet for a port: no setuid helper, no bridge.conf. For a VM that opens a tap by name, create one with “virtnet net-port-create”.",
            )
            .replace("{bridge}", bridge),
        ),
    );
    let list = gtk::Box::new(gtk::Orientation::Vertical, 12);
    for (what, line) in connect_lines(bridge) {
        let caption = gtk::Label::builder().label(&what).xalign(0.0).wrap(true).css_classes(["caption"]).build();
        let text = gtk::Label::builder()
            .label(&line)
            .xalign(0.0)
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::Char)
            .selectable(true)
            .hexpand(true)
            .css_classes(["monospace"])
            .build();
        // A command is copied as it is shown: no hyphens where it wraps.
        let attributes = gtk::pango::AttrList::new();
        attributes.insert(gtk::pango::AttrInt::new_insert_hyphens(false));
        text.set_attributes(Some(&attributes));
        let copy = gtk::Button::builder()
            .icon_name("edit-copy-symbolic")
            .tooltip_text(gettext("Copy"))
            .valign(gtk::Align::Center)
            .css_classes(["flat"])
            .build();
        a11y::set_label(&copy, &gettext("Copy: {what}").replace("{what}", &what));
        copy.connect_clicked(move |button| button.clipboard().set_text(&line));
        let row = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        row.append(&text);
        row.append(&copy);
        list.append(&caption);
        list.append(&row);
    }
    dialog.set_extra_child(Some(&list));
    dialog.add_response("close", &gettext("_Close"));
    dialog.set_default_response(Some("close"));
    dialog.set_close_response("close");
    dialog.present();
}
