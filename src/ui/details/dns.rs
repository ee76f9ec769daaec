//! The DNS section: the domain, whether it is answered only locally, upstream servers,
//! and host records.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;

use super::DetailsInput;
use super::fields::{CheckedEntry, RecordList, switch_row};
use crate::ui::edit::{EditSession, Field};

pub struct DnsSection {
    pub group: adw::PreferencesGroup,
    domain: CheckedEntry,
    local_only_row: adw::ActionRow,
    local_only: gtk::Switch,
    local_only_handler: glib::SignalHandlerId,
    forwarders: CheckedEntry,
    pub records: RecordList,
    shown_records: Vec<(String, String)>,
}

impl DnsSection {
    pub fn new(sender: &relm4::Sender<DetailsInput>) -> Self {
        let group = adw::PreferencesGroup::builder()
            .title(gettext("DNS"))
            .description(gettext(
                "Guests ask this computer for names; it answers for the network's own names and passes the rest on.",
            ))
            .build();
        let edit = |field: Field| {
            let sender = sender.clone();
            move |text: String| sender.emit(DetailsInput::Edit(field, text))
        };
        let domain = CheckedEntry::new(&gettext("Domain"), edit(Field::Domain));
        domain.add_to(&group);
        let (local_only_row, local_only) =
            switch_row(&gettext("Local only"), Some(&gettext("Never ask upstream servers about names in this domain")));
        let local_only_handler = {
            let sender = sender.clone();
            local_only.connect_active_notify(move |switch| sender.emit(DetailsInput::SetLocalOnly(switch.is_active())))
        };
        group.add(&local_only_row);
        let forwarders =
            CheckedEntry::new(&gettext("Upstream servers (empty: this computer's)"), edit(Field::Forwarders));
        forwarders.add_to(&group);
        let records = {
            let add = sender.clone();
            let remove = sender.clone();
            RecordList::new(
                &gettext("Host records"),
                &gettext("Add Record"),
                &[&gettext("IP address"), &gettext("Host name")],
                move |values| add.emit(DetailsInput::AddDnsHost(values)),
                move |index| remove.emit(DetailsInput::RemoveDnsHost(index)),
            )
        };
        group.add(&records.expander);
        DnsSection {
            group,
            domain,
            local_only_row,
            local_only,
            local_only_handler,
            forwarders,
            records,
            shown_records: Vec::new(),
        }
    }

    pub fn load(&mut self, session: &EditSession) {
        let network = session.edited();
        self.domain.load(network.domain.as_ref().map(|d| d.name.as_str()).unwrap_or_default());
        self.forwarders.load(&session.forwarders_text());
        self.refresh(session);
    }

    pub fn refresh(&mut self, session: &EditSession) {
        let network = session.edited();
        let domain = network.domain.as_ref();
        self.local_only.block_signal(&self.local_only_handler);
        self.local_only.set_active(domain.and_then(|d| d.local_only).unwrap_or(false));
        self.local_only.unblock_signal(&self.local_only_handler);
        self.local_only_row.set_sensitive(domain.is_some());
        self.domain.show_error(session.error(Field::Domain));
        self.forwarders.show_error(session.error(Field::Forwarders));
        let records: Vec<(String, String)> = network
            .dns
            .iter()
            .flat_map(|d| &d.hosts)
            .flat_map(|h| h.hostnames.iter().map(move |name| (name.clone(), h.ip.to_string())))
            .collect();
        if records != self.shown_records {
            self.records.set_records(&records);
            self.shown_records = records;
        }
    }
}
