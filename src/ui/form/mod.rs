//! The form's sections, shared by the details page and the new-network wizard, so both
//! show the same fields with the same labels, checks and messages: the addresses of a
//! family (address and prefix, DHCP, its range, static hosts) and DNS (domain, local
//! only, upstream servers, host records). Each section reports the user's edits as a
//! [`FormEdit`] and is filled from an [`EditSession`](crate::ui::edit::EditSession).

pub mod address;
pub mod dns;
pub mod fields;
pub mod forwards;

use std::cell::Cell;
use std::rc::Rc;

use crate::model::Family;
use crate::ui::edit::{EditSession, Field, RowCheck};

/// An edit made in a form section.
#[derive(Clone, Debug)]
pub enum FormEdit {
    Text(Field, String),
    Dhcp(Family, bool),
    LocalOnly(bool),
    /// The wizard's switch that gives the network a family (IPv6) or takes it away.
    Family(Family, bool),
    /// Use this subnet instead (the free one offered for a taken one).
    UseSubnet(Family, String),
    /// The static-host form as typed (identifier, IP address, host name), to be checked.
    HostTyped(Family, Vec<String>),
    AddHost(Family, Vec<String>),
    RemoveHost(Family, usize),
    /// The host-record form as typed (host name, IP address), to be checked.
    RecordTyped(Vec<String>),
    AddRecord(Vec<String>),
    RemoveRecord(usize),
    /// The port-forward form as typed (protocol, host ports, guest address, guest ports).
    ForwardTyped(Vec<String>),
    AddForward(Vec<String>),
    RemoveForward(usize),
}

/// Hands the sections' edits to their owner, and nothing while the sections are being
/// filled: a switch set there must not come back as an edit (two queued opposite edits
/// would otherwise flip it for ever).
#[derive(Clone)]
pub struct FormSender {
    emit: Rc<dyn Fn(FormEdit)>,
    quiet: Rc<Cell<bool>>,
}

impl FormSender {
    /// `quiet` is shared with the owner's other inputs, so one `quietly` silences all.
    pub fn new(quiet: Rc<Cell<bool>>, emit: impl Fn(FormEdit) + 'static) -> Self {
        FormSender { emit: Rc::new(emit), quiet }
    }

    pub fn emit(&self, edit: FormEdit) {
        if !self.quiet.get() {
            (self.emit)(edit);
        }
    }

    /// Runs `fill` with edits not reported.
    pub fn quietly<T>(&self, fill: impl FnOnce() -> T) -> T {
        let was = self.quiet.replace(true);
        let result = fill();
        self.quiet.set(was);
        result
    }
}

/// What an edit did, for the owner to show.
#[derive(Debug)]
pub enum Outcome {
    /// The definition may have changed: refresh the form.
    Changed,
    /// The host form as typed was checked.
    HostChecked(Family, RowCheck),
    RecordChecked(RowCheck),
    /// A host or record was added (or refused, with the first problem).
    HostAdded(Family, Result<(), String>),
    RecordAdded(Result<(), String>),
    ForwardChecked(RowCheck),
    ForwardAdded(Result<(), String>),
}

/// Applies a section's edit to the session. (The wizard's switch for a whole family
/// asks for a suggested subnet, which only the wizard knows: it handles `Family` itself
/// when turning one on.)
pub fn apply(session: &mut EditSession, edit: FormEdit) -> Outcome {
    let value = |values: &[String], index: usize| values.get(index).cloned().unwrap_or_default();
    match edit {
        FormEdit::Text(field, text) => session.set_text(field, &text),
        FormEdit::UseSubnet(family, subnet) => session.set_text(Field::Subnet(family), &subnet),
        FormEdit::Dhcp(family, on) => session.set_dhcp(family, on),
        FormEdit::LocalOnly(on) => session.set_local_only(on),
        FormEdit::Family(family, on) => {
            if !on {
                session.set_text(Field::Subnet(family), "");
            }
        }
        FormEdit::HostTyped(family, values) => {
            let check = session.check_host(family, &value(&values, 0), &value(&values, 1), &value(&values, 2));
            return Outcome::HostChecked(family, check);
        }
        FormEdit::AddHost(family, values) => {
            let result = session.add_host(family, &value(&values, 0), &value(&values, 1), &value(&values, 2));
            return Outcome::HostAdded(family, result);
        }
        FormEdit::RemoveHost(family, index) => session.remove_host(family, index),
        FormEdit::RecordTyped(values) => {
            return Outcome::RecordChecked(session.check_dns_host(&value(&values, 0), &value(&values, 1)));
        }
        FormEdit::AddRecord(values) => {
            return Outcome::RecordAdded(session.add_dns_host(&value(&values, 0), &value(&values, 1)));
        }
        FormEdit::RemoveRecord(index) => session.remove_dns_name(index),
        FormEdit::ForwardTyped(values) => return Outcome::ForwardChecked(session.check_forward(&values)),
        FormEdit::AddForward(values) => return Outcome::ForwardAdded(session.add_forward(&values)),
        FormEdit::RemoveForward(index) => session.remove_forward(index),
    }
    Outcome::Changed
}
