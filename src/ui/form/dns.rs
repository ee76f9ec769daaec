//! DNS: the domain, whether its names are answered only here, upstream servers, and
//! host records. In the details page and in the wizard alike.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;

use super::fields::{CheckedEntry, Record, RecordList, set_switch, switch_row};
use super::{FormEdit, FormSender};
use crate::ui::edit::{EditSession, Field, RowCheck, words};

pub struct DnsSection {
    pub group: adw::PreferencesGroup,
    domain: CheckedEntry,
    local_only_row: adw::ActionRow,
    local_only: gtk::Switch,
    forwarders: CheckedEntry,
    pub records: RecordList,
}

impl DnsSection {
    pub fn new(form: &FormSender) -> Self {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("DNS"))
            .description(gettext(
                "Guests ask this computer for names; it answers for the network's own names and passes the rest on.",
            ))
            .build();
        let edit = |field: Field| {
            let form = form.clone();
            move |text: String| form.emit(FormEdit::Text(field, text))
        };
        let domain = CheckedEntry::new(&Field::Domain.label(), edit(Field::Domain));
        domain.add_to(&group);
        let (local_only_row, local_only) = switch_row(
            &gettext("Local only"),
            Some(&gettext("Answer names in this domain here, never ask upstream servers")),
        );
        {
            let form = form.clone();
            local_only.connect_active_notify(move |switch| form.emit(FormEdit::LocalOnly(switch.is_active())));
        }
        group.add(&local_only_row);
        let forwarders = CheckedEntry::new(&Field::Forwarders.label(), edit(Field::Forwarders));
        forwarders.add_to(&group);
        let mut records = {
            let (add, typed, remove) = (form.clone(), form.clone(), form.clone());
            RecordList::new(
                &gettext("Host records"),
                &gettext("Add Record"),
                &[&words::host_name_label(), &words::ip_address_label()],
                move |values| add.emit(FormEdit::AddRecord(values)),
                move |values| typed.emit(FormEdit::RecordTyped(values)),
                move |index| remove.emit(FormEdit::RemoveRecord(index)),
            )
        };
        records.set_empty_subtitle(&gettext("Names this network answers for"));
        group.add(&records.expander);
        DnsSection { group, domain, local_only_row, local_only, forwarders, records }
    }

    /// Fills every field from the session (a new definition, Discard, an XML edit).
    pub fn load(&mut self, session: &EditSession) {
        self.show(session, true);
    }

    /// Shows the session after an edit; a field being typed is left as typed.
    pub fn refresh(&mut self, session: &EditSession) {
        self.show(session, false);
    }

    fn show(&mut self, session: &EditSession, force: bool) {
        let network = session.edited();
        let domain = network.domain.as_ref().map(|d| d.name.clone()).unwrap_or_default();
        for (entry, field, text) in
            [(&self.domain, Field::Domain, domain), (&self.forwarders, Field::Forwarders, session.forwarders_text())]
        {
            if force {
                entry.load(&text);
            } else if !session.is_unparsed(field) {
                entry.load_unless_typing(&text);
            }
            entry.show_error(session.error(field));
        }
        set_switch(&self.local_only, session.local_only());
        self.local_only_row.set_sensitive(network.domain.is_some());
        let problems = session.dns_name_problems();
        let records: Vec<Record> = network
            .dns
            .iter()
            .flat_map(|d| &d.hosts)
            .flat_map(|h| h.hostnames.iter().map(move |name| (name.clone(), h.ip.to_string())))
            .zip(problems.into_iter().chain(std::iter::repeat(None)))
            .map(|((title, subtitle), problem)| Record { title, subtitle, problem })
            .collect();
        self.records.set_records(&records);
    }

    /// The answer to the record form as typed.
    pub fn record_checked(&self, check: &RowCheck) {
        self.records.checked(check);
    }

    pub fn focus(&self) {
        self.domain.row.grab_focus();
    }
}
