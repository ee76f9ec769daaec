//! Building blocks of the details page: a text field that shows the model's message under
//! it as the user types and can be filled in without that counting as an edit, value and
//! switch rows, and a list of records with a form to add one.

use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;

use crate::ui::a11y;

pub struct CheckedEntry {
    pub row: adw::EntryRow,
    error: gtk::Label,
    error_row: adw::PreferencesRow,
    handler: glib::SignalHandlerId,
}

impl CheckedEntry {
    pub fn new(title: &str, on_change: impl Fn(String) + 'static) -> Self {
        let row = adw::EntryRow::builder().title(title).build();
        let handler = row.connect_changed(move |row| on_change(row.text().to_string()));
        let error = gtk::Label::builder().xalign(0.0).wrap(true).css_classes(["field-error"]).build();
        // A PreferencesRow, not a plain ListBoxRow: libadwaita 1.2 puts only those in the
        // group's list, right under the field; others go below the whole list.
        let error_row =
            adw::PreferencesRow::builder().activatable(false).selectable(false).visible(false).child(&error).build();
        error.set_margin_start(12);
        error.set_margin_end(12);
        error.set_margin_top(6);
        error.set_margin_bottom(6);
        CheckedEntry { row, error, error_row, handler }
    }

    pub fn add_to(&self, group: &adw::PreferencesGroup) {
        group.add(&self.row);
        group.add(&self.error_row);
    }

    /// Shows `text` without reporting it as an edit.
    pub fn load(&self, text: &str) {
        self.row.block_signal(&self.handler);
        self.row.set_text(text);
        self.row.unblock_signal(&self.handler);
    }

    pub fn show_error(&self, error: Option<String>) {
        match error {
            Some(message) => {
                self.row.add_css_class("error");
                self.error.set_label(&message);
                self.error_row.set_visible(true);
                a11y::set_description(&self.row, &message);
            }
            None => {
                self.row.remove_css_class("error");
                self.error_row.set_visible(false);
                a11y::set_description(&self.row, "");
            }
        }
    }
}

/// A row with a title and a value (selectable, so it can be copied).
pub fn value_row(title: &str) -> (adw::ActionRow, gtk::Label) {
    let value = gtk::Label::builder().selectable(true).xalign(1.0).ellipsize(gtk::pango::EllipsizeMode::Middle).build();
    value.add_css_class("dim-label");
    let row = adw::ActionRow::builder().title(title).build();
    row.add_suffix(&value);
    (row, value)
}

/// A switch row; the row labels the switch for screen readers (libadwaita does that).
pub fn switch_row(title: &str, subtitle: Option<&str>) -> (adw::ActionRow, gtk::Switch) {
    let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
    let row = adw::ActionRow::builder().title(title).activatable_widget(&switch).build();
    if let Some(subtitle) = subtitle {
        row.set_subtitle(subtitle);
    }
    row.add_suffix(&switch);
    (row, switch)
}

/// A list of records (static hosts, DNS names) in an expander row: one row per record
/// with a remove button, then a small form to add one.
pub struct RecordList {
    pub expander: adw::ExpanderRow,
    records: Vec<adw::ActionRow>,
    /// What `records` show, so that showing the same again changes nothing.
    shown: Option<Vec<(String, String)>>,
    inputs: Vec<adw::EntryRow>,
    add_row: adw::ActionRow,
    error: gtk::Label,
    on_remove: std::rc::Rc<dyn Fn(usize)>,
}

impl RecordList {
    /// `inputs` are the titles of the add form's fields; `on_add` gets their texts.
    pub fn new(
        title: &str,
        add_label: &str,
        inputs: &[&str],
        on_add: impl Fn(Vec<String>) + 'static,
        on_remove: impl Fn(usize) + 'static,
    ) -> Self {
        let expander = adw::ExpanderRow::builder().title(title).build();
        let inputs: Vec<adw::EntryRow> = inputs.iter().map(|t| adw::EntryRow::builder().title(*t).build()).collect();
        let add = gtk::Button::builder().label(add_label).valign(gtk::Align::Center).build();
        let error = gtk::Label::builder().xalign(0.0).wrap(true).css_classes(["field-error"]).visible(false).build();
        let add_row = adw::ActionRow::new();
        add_row.add_prefix(&error);
        add_row.add_suffix(&add);
        let fields = inputs.clone();
        add.connect_clicked(move |_| on_add(fields.iter().map(|f| f.text().to_string()).collect()));
        // Enter in the last field adds, as in a dialog.
        if let Some(last) = inputs.last() {
            let add = add.clone();
            last.connect_entry_activated(move |_| add.emit_clicked());
        }
        let mut list = RecordList {
            expander,
            records: Vec::new(),
            shown: None,
            inputs,
            add_row,
            error,
            on_remove: std::rc::Rc::new(on_remove),
        };
        list.set_records(&[]);
        list
    }

    fn attach_form(&self) {
        for input in &self.inputs {
            self.expander.add_row(input);
        }
        self.expander.add_row(&self.add_row);
    }

    /// Shows these records (title, subtitle), replacing the ones shown.
    pub fn set_records(&mut self, records: &[(String, String)]) {
        if self.shown.as_deref() == Some(records) {
            return;
        }
        self.shown = Some(records.to_vec());
        for row in self.records.drain(..) {
            self.expander.remove(&row);
        }
        // The form goes after the records: take it out (once it is in) and put it back.
        if self.add_row.parent().is_some() {
            for input in &self.inputs {
                self.expander.remove(input);
            }
            self.expander.remove(&self.add_row);
        }
        for (index, (title, subtitle)) in records.iter().enumerate() {
            let row = adw::ActionRow::builder().title(title).subtitle(subtitle).build();
            let remove = gtk::Button::builder()
                .icon_name("list-remove-symbolic")
                .tooltip_text(gettextrs::gettext("Remove"))
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .build();
            a11y::set_label(&remove, &gettextrs::gettext("Remove {record}").replace("{record}", title));
            let on_remove = std::rc::Rc::clone(&self.on_remove);
            remove.connect_clicked(move |_| on_remove(index));
            row.add_suffix(&remove);
            self.expander.add_row(&row);
            self.records.push(row);
        }
        self.attach_form();
        let count = if records.is_empty() {
            gettextrs::gettext("None")
        } else {
            gettextrs::ngettext("{n} entry", "{n} entries", records.len() as u32)
                .replace("{n}", &records.len().to_string())
        };
        self.expander.set_subtitle(&count);
    }

    /// After an add: clear the form, or say what is wrong with it.
    pub fn added(&self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.inputs.iter().for_each(|i| i.set_text(""));
                self.error.set_visible(false);
                if let Some(first) = self.inputs.first() {
                    first.grab_focus();
                }
            }
            Err(message) => {
                self.error.set_label(&message);
                self.error.set_visible(true);
            }
        }
    }
}
