//! Port forwarding: host ports that reach a guest, on NAT networks only. A list of the
//! forwards (each removable) and a row to add one, checked as it is typed.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;

use super::fields::{Record, RecordList};
use super::{FormEdit, FormSender};
use crate::ui::edit::{EditSession, RowCheck, forwards};

pub struct ForwardsSection {
    pub group: adw::PreferencesGroup,
    pub forwards: RecordList,
}

impl ForwardsSection {
    pub fn new(form: &FormSender) -> Self {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("Port Forwarding"))
            .description(gettext(
                "Connections to a port of this computer reach a guest: from outside, from the other guests and from this computer.",
            ))
            .build();
        let labels = forwards::input_labels();
        let mut forwards = {
            let (add, typed, remove) = (form.clone(), form.clone(), form.clone());
            RecordList::new(
                &gettext("Forwarded ports"),
                &gettext("Add Forward"),
                &labels.each_ref().map(String::as_str),
                move |values| add.emit(FormEdit::AddForward(values)),
                move |values| typed.emit(FormEdit::ForwardTyped(values)),
                move |index| remove.emit(FormEdit::RemoveForward(index)),
            )
        };
        forwards.set_empty_subtitle(&gettext("No port of this computer reaches a guest"));
        group.add(&forwards.expander);
        ForwardsSection { group, forwards }
    }

    /// Shows the session's forwards (the section only on NAT networks).
    pub fn refresh(&mut self, session: &EditSession) {
        self.group.set_visible(session.can_forward_ports() || !session.edited().port_forwards.is_empty());
        let problems = session.forward_problems();
        let records: Vec<Record> = session
            .edited()
            .port_forwards
            .iter()
            .zip(problems.into_iter().chain(std::iter::repeat(None)))
            .map(|(f, problem)| Record {
                // "2222/tcp → 192.168.122.10:22"
                title: gettext("{host} → {guest}")
                    .replace("{host}", &f.host_side())
                    .replace("{guest}", &f.guest_side()),
                subtitle: if f.localhost { gettext("Also at 127.0.0.1 on this computer") } else { String::new() },
                problem,
            })
            .collect();
        self.forwards.set_records(&records);
    }

    /// Starts a forward to `guest` (from its lease row): the form opens with the guest
    /// filled in and the keyboard in the host port.
    pub fn forward_to(&self, guest: &str) {
        self.forwards.prefill(&[(0, "tcp"), (2, guest)], 1);
    }

    /// The answer to the forward form as typed.
    pub fn forward_checked(&self, check: &RowCheck) {
        self.forwards.checked(check);
    }
}
