//! The details page's questions and error reports, as libadwaita message dialogs.

use gettextrs::{gettext, ngettext};
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use super::DetailsInput;
use crate::dbus::summary::NetworkSummary;
use crate::ui::texts;

/// The answer when another network is picked with changes not applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leave {
    Stay,
    Discard,
    Apply,
}

fn dialog(parent: &impl IsA<gtk::Widget>, heading: &str, body: &str) -> adw::MessageDialog {
    let window = parent.root().and_downcast::<gtk::Window>();
    let dialog = adw::MessageDialog::new(window.as_ref(), Some(heading), Some(body));
    dialog.set_body_use_markup(false);
    dialog
}

pub fn ask_to_leave(
    parent: &impl IsA<gtk::Widget>,
    name: &str,
    next: Option<NetworkSummary>,
    sender: relm4::Sender<DetailsInput>,
) {
    let dialog = dialog(
        parent,
        &gettext("Apply Changes to “{name}”?").replace("{name}", name),
        &gettext("The changes you made are not applied yet. Discarded changes are lost."),
    );
    dialog.add_responses(&[
        ("cancel", &gettext("_Cancel")),
        ("discard", &gettext("_Discard")),
        ("apply", &gettext("_Apply")),
    ]);
    dialog.set_response_appearance("discard", adw::ResponseAppearance::Destructive);
    dialog.set_response_appearance("apply", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("apply"));
    dialog.set_close_response("cancel");
    dialog.connect_response(None, move |_, response| {
        let answer = match response {
            "discard" => Leave::Discard,
            "apply" => Leave::Apply,
            _ => Leave::Stay,
        };
        sender.emit(DetailsInput::LeaveAnswered(answer, next.clone()));
    });
    dialog.present();
}

/// Asks before stopping or restarting a network that guests are on, naming them.
pub fn confirm_cut_off(
    parent: &impl IsA<gtk::Widget>,
    network: &NetworkSummary,
    guests: &[String],
    restart: bool,
    sender: relm4::Sender<DetailsInput>,
) {
    let names = texts::names(guests);
    let (heading, body, verb, answer) = if restart {
        (
            gettext("Restart “{name}”?"),
            ngettext(
                "{guests} loses its connection while the network restarts.",
                "{guests} lose their connection while the network restarts.",
                guests.len() as u32,
            ),
            gettext("_Restart"),
            DetailsInput::RestartConfirmed,
        )
    } else {
        (
            gettext("Stop “{name}”?"),
            ngettext("{guests} will lose its connection.", "{guests} will lose their connection.", guests.len() as u32),
            gettext("_Stop"),
            DetailsInput::StopConfirmed,
        )
    };
    let dialog = dialog(parent, &heading.replace("{name}", &network.name), &body.replace("{guests}", &names));
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("go", &verb)]);
    dialog.set_response_appearance("go", adw::ResponseAppearance::Destructive);
    dialog.set_default_response(Some("cancel"));
    dialog.set_close_response("cancel");
    let answer = std::cell::Cell::new(Some(answer));
    dialog.connect_response(None, move |_, response| {
        if response == "go"
            && let Some(answer) = answer.take()
        {
            sender.emit(answer);
        }
    });
    dialog.present();
}

/// Asks before deleting; a running network is offered "Stop and Delete", naming the
/// guests on it.
pub fn confirm_delete(
    parent: &impl IsA<gtk::Widget>,
    network: &NetworkSummary,
    guests: &[String],
    sender: relm4::Sender<DetailsInput>,
) {
    let cut_off = (!guests.is_empty()).then(|| {
        ngettext("{guests} will lose its connection.", "{guests} will lose their connection.", guests.len() as u32)
            .replace("{guests}", &texts::names(guests))
    });
    let (heading, body, verb) = match (network.active, network.persistent) {
        (false, _) => (
            gettext("Delete “{name}”?"),
            gettext(
                "Its definition is removed for good. Guests configured to use it will not start until they are moved to another network.",
            ),
            gettext("_Delete"),
        ),
        (true, true) => (
            gettext("Stop and Delete “{name}”?"),
            cut_off.map_or_else(
                || gettext("The network is running: it is stopped first, and guests on it lose their connection. Then its definition is removed for good."),
                |cut_off| {
                    gettext("The network is running: it is stopped first. {guests} Then its definition is removed for good.")
                        .replace("{guests}", &cut_off)
                },
            ),
            gettext("_Stop and Delete"),
        ),
        (true, false) => (
            gettext("Stop “{name}”?"),
            cut_off.map_or_else(
                || gettext("This network is transient: once stopped it is gone. Guests on it lose their connection."),
                |cut_off| {
                    gettext("This network is transient: once stopped it is gone. {guests}").replace("{guests}", &cut_off)
                },
            ),
            gettext("_Stop and Delete"),
        ),
    };
    let dialog = dialog(parent, &heading.replace("{name}", &network.name), &body);
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("delete", &verb)]);
    dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
    dialog.set_default_response(Some("cancel"));
    dialog.set_close_response("cancel");
    dialog.connect_response(None, move |_, response| {
        if response == "delete" {
            sender.emit(DetailsInput::DeleteConfirmed);
        }
    });
    dialog.present();
}

/// Before a port forward to a guest whose address is a dynamic lease: offers to reserve
/// it, so that the forward keeps reaching the guest when its lease ends.
pub fn offer_reservation(
    parent: &impl IsA<gtk::Widget>,
    lease: &crate::dbus::DhcpLease,
    sender: relm4::Sender<DetailsInput>,
) {
    let name = if lease.hostname.is_empty() { lease.mac.clone() } else { texts::shown_text(&lease.hostname) };
    let dialog = dialog(
        parent,
        &gettext("Reserve {address} for {guest}?").replace("{address}", &lease.address).replace("{guest}", &name),
        &gettext(
            "A port forward reaches an address. Reserved as a static host, the address stays this guest's; otherwise another guest may get it when this one's lease ends.",
        ),
    );
    dialog.add_responses(&[("later", &gettext("_Not Now")), ("reserve", &gettext("_Reserve"))]);
    dialog.set_response_appearance("reserve", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("reserve"));
    dialog.set_close_response("later");
    let lease = lease.clone();
    dialog.connect_response(None, move |_, response| {
        sender.emit(DetailsInput::ForwardToAnswered(lease.clone(), response == "reserve"));
    });
    dialog.present();
}

pub fn show_error(parent: &impl IsA<gtk::Widget>, heading: &str, body: &str) {
    let dialog = dialog(parent, heading, body);
    dialog.add_response("close", &gettext("_Close"));
    dialog.set_default_response(Some("close"));
    dialog.set_close_response("close");
    dialog.present();
}
