//! Building blocks of the forms: a text field that shows a message (an error, or a
//! warning) under it as the user types and can be filled in without that counting as an
//! edit, value and switch rows, and a list of records with a form to add one that is
//! checked as it is typed.

use std::rc::Rc;

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;

use crate::ui::a11y;
use crate::ui::edit::RowCheck;

pub struct CheckedEntry {
    pub row: adw::EntryRow,
    message: gtk::Label,
    message_row: adw::PreferencesRow,
    handler: glib::SignalHandlerId,
}

impl CheckedEntry {
    pub fn new(title: &str, on_change: impl Fn(String) + 'static) -> Self {
        let row = adw::EntryRow::builder().title(title).use_markup(false).build();
        let handler = row.connect_changed(move |row| on_change(row.text().to_string()));
        let message = gtk::Label::builder().xalign(0.0).wrap(true).css_classes(["field-error"]).build();
        // A PreferencesRow, not a plain ListBoxRow: libadwaita 1.2 puts only those in the
        // group's list, right under the field; others go below the whole list.
        // Not focusable: Tab goes from field to field, the message is read with its field
        // (it is the field's accessible description).
        let message_row = adw::PreferencesRow::builder()
            .activatable(false)
            .selectable(false)
            .focusable(false)
            .visible(false)
            .child(&message)
            .build();
        message.set_margin_start(12);
        message.set_margin_end(12);
        message.set_margin_top(6);
        message.set_margin_bottom(6);
        CheckedEntry { row, message, message_row, handler }
    }

    pub fn add_to(&self, group: &adw::PreferencesGroup) {
        group.add(&self.row);
        group.add(&self.message_row);
    }

    /// Adds the field (and its message row) to an expander row.
    pub fn add_to_expander(&self, expander: &adw::ExpanderRow) {
        expander.add_row(&self.row);
        expander.add_row(&self.message_row);
    }

    pub fn remove_from_expander(&self, expander: &adw::ExpanderRow) {
        expander.remove(&self.row);
        expander.remove(&self.message_row);
    }

    /// Shows `text` without reporting it as an edit.
    pub fn load(&self, text: &str) {
        if self.row.text() != text {
            self.row.block_signal(&self.handler);
            self.row.set_text(text);
            self.row.unblock_signal(&self.handler);
        }
    }

    /// Is the user typing in this field (it has the keyboard focus)?
    pub fn is_typing(&self) -> bool {
        self.row.root().and_then(|root| root.focus()).is_some_and(|focus| focus.is_ancestor(&self.row))
    }

    /// Shows `text` unless the user is typing in the field: their text stays as typed.
    pub fn load_unless_typing(&self, text: &str) {
        if !self.is_typing() {
            self.load(text);
        }
    }

    pub fn show_error(&self, error: Option<String>) {
        self.show(error, None);
    }

    /// Shows an error (the field is marked) or else a warning (it is not).
    pub fn show(&self, error: Option<String>, warning: Option<String>) {
        self.row.remove_css_class("error");
        self.row.remove_css_class("warning");
        self.message.remove_css_class("field-error");
        self.message.remove_css_class("field-warning");
        let (message, class, row_class) = match (error, warning) {
            (Some(error), _) => (error, "field-error", "error"),
            (None, Some(warning)) => (warning, "field-warning", "warning"),
            (None, None) => {
                self.message_row.set_visible(false);
                a11y::set_description(&self.row, "");
                return;
            }
        };
        self.row.add_css_class(row_class);
        self.message.add_css_class(class);
        self.message.set_label(&message);
        self.message_row.set_visible(true);
        a11y::set_description(&self.row, &message);
    }
}

/// A row with a title and a value (selectable, so it can be copied).
pub fn value_row(title: &str) -> (adw::ActionRow, gtk::Label) {
    let value = gtk::Label::builder().selectable(true).xalign(1.0).ellipsize(gtk::pango::EllipsizeMode::Middle).build();
    value.add_css_class("dim-label");
    let row = adw::ActionRow::builder().title(title).use_markup(false).build();
    row.add_suffix(&value);
    (row, value)
}

/// A switch row; the row labels the switch for screen readers (libadwaita does that).
pub fn switch_row(title: &str, subtitle: Option<&str>) -> (adw::ActionRow, gtk::Switch) {
    let switch = gtk::Switch::builder().valign(gtk::Align::Center).build();
    let row = adw::ActionRow::builder().title(title).use_markup(false).activatable_widget(&switch).build();
    if let Some(subtitle) = subtitle {
        row.set_subtitle(subtitle);
    }
    row.add_suffix(&switch);
    (row, switch)
}

/// Sets a switch without it counting as the user's change when it already shows that.
pub fn set_switch(switch: &gtk::Switch, on: bool) {
    if switch.is_active() != on {
        switch.set_active(on);
    }
}

/// One record of a list: its title and subtitle, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub title: String,
    pub subtitle: String,
    pub problem: Option<String>,
}

/// A list of records (static hosts, DNS names) in an expander row: one row per record
/// with a remove button, then a small form to add one. The form is checked as it is
/// typed (`on_typed` reports the values; the owner answers with [`RecordList::checked`]),
/// each problem under its own field, and Add is enabled only for a valid record.
pub struct RecordList {
    pub expander: adw::ExpanderRow,
    records: Vec<adw::ActionRow>,
    /// What `records` show, so that showing the same again changes nothing.
    shown: Option<Vec<Record>>,
    inputs: Vec<CheckedEntry>,
    add_row: adw::ActionRow,
    add: gtk::Button,
    on_remove: Rc<dyn Fn(usize)>,
    /// The expander's subtitle while the list is empty.
    empty: String,
}

impl RecordList {
    /// `inputs` are the titles of the add form's fields; `on_add` gets their texts, as
    /// does `on_typed` after every keystroke.
    pub fn new(
        title: &str,
        add_label: &str,
        inputs: &[&str],
        on_add: impl Fn(Vec<String>) + 'static,
        on_typed: impl Fn(Vec<String>) + 'static,
        on_remove: impl Fn(usize) + 'static,
    ) -> Self {
        let expander = adw::ExpanderRow::builder().title(title).use_markup(false).build();
        let texts: Rc<std::cell::RefCell<Vec<adw::EntryRow>>> = Rc::default();
        let on_typed = Rc::new(on_typed);
        let inputs: Vec<CheckedEntry> = inputs
            .iter()
            .map(|t| {
                let (texts, on_typed) = (Rc::clone(&texts), Rc::clone(&on_typed));
                CheckedEntry::new(t, move |_| on_typed(texts.borrow().iter().map(|f| f.text().to_string()).collect()))
            })
            .collect();
        texts.borrow_mut().extend(inputs.iter().map(|i| i.row.clone()));
        let add = gtk::Button::builder().label(add_label).valign(gtk::Align::Center).sensitive(false).build();
        let add_row = adw::ActionRow::new();
        add_row.add_suffix(&add);
        {
            let texts = Rc::clone(&texts);
            add.connect_clicked(move |_| on_add(texts.borrow().iter().map(|f| f.text().to_string()).collect()));
        }
        // Enter in any field adds, as in a dialog (when the record is valid).
        for input in &inputs {
            let add = add.clone();
            input.row.connect_entry_activated(move |_| {
                if add.is_sensitive() {
                    add.emit_clicked();
                }
            });
        }
        let mut list = RecordList {
            expander,
            records: Vec::new(),
            shown: None,
            inputs,
            add_row,
            add,
            on_remove: Rc::new(on_remove),
            empty: gettext("None"),
        };
        list.set_records(&[]);
        list
    }

    /// Opens the list with some of the add form's inputs filled in (`(input, text)`),
    /// and the keyboard in input `focus`.
    pub fn prefill(&self, values: &[(usize, &str)], focus: usize) {
        self.expander.set_expanded(true);
        for (index, text) in values {
            if let Some(input) = self.inputs.get(*index) {
                input.row.set_text(text);
            }
        }
        if let Some(input) = self.inputs.get(focus) {
            input.row.grab_focus();
        }
    }

    /// What the expander says while the list is empty (instead of "None").
    pub fn set_empty_subtitle(&mut self, text: &str) {
        self.empty = text.to_owned();
        if self.shown.as_ref().is_some_and(Vec::is_empty) {
            self.expander.set_subtitle(text);
        }
    }

    fn attach_form(&self) {
        for input in &self.inputs {
            input.add_to_expander(&self.expander);
        }
        self.expander.add_row(&self.add_row);
    }

    /// Shows these records, replacing the ones shown.
    pub fn set_records(&mut self, records: &[Record]) {
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
                input.remove_from_expander(&self.expander);
            }
            self.expander.remove(&self.add_row);
        }
        for (index, record) in records.iter().enumerate() {
            // Guests' and users' text, never markup.
            let row = adw::ActionRow::builder().title(&record.title).use_markup(false).build();
            match &record.problem {
                Some(problem) => {
                    row.set_subtitle(problem);
                    row.add_css_class("record-with-problem");
                    a11y::set_description(&row, problem);
                }
                None => row.set_subtitle(&record.subtitle),
            }
            let remove = gtk::Button::builder()
                .icon_name("list-remove-symbolic")
                .tooltip_text(gettext("Remove"))
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .build();
            a11y::set_label(&remove, &gettext("Remove {record}").replace("{record}", &record.title));
            let on_remove = Rc::clone(&self.on_remove);
            remove.connect_clicked(move |_| on_remove(index));
            row.add_suffix(&remove);
            self.expander.add_row(&row);
            self.records.push(row);
        }
        self.attach_form();
        let problems = records.iter().filter(|r| r.problem.is_some()).count();
        let count = if records.is_empty() {
            self.empty.clone()
        } else if problems > 0 {
            gettext("{n} of {count} need fixing")
                .replace("{n}", &problems.to_string())
                .replace("{count}", &records.len().to_string())
        } else {
            gettextrs::ngettext("{n} entry", "{n} entries", records.len() as u32)
                .replace("{n}", &records.len().to_string())
        };
        self.expander.set_subtitle(&count);
        if problems > 0 {
            // A problem is never hidden in a closed expander.
            self.expander.set_expanded(true);
        }
    }

    /// The owner's check of the form as typed: messages under the fields, Add enabled
    /// only for a record that can be added.
    pub fn checked(&self, check: &RowCheck) {
        for (input, error) in self.inputs.iter().zip(check.errors.iter().chain(std::iter::repeat(&None))) {
            input.show_error(error.clone());
        }
        self.add.set_sensitive(check.can_add());
    }

    /// After an add: clear the form (its check follows from the emptied fields).
    pub fn added(&self, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.inputs.iter().for_each(|i| i.row.set_text(""));
                if let Some(first) = self.inputs.first() {
                    first.row.grab_focus();
                }
            }
            Err(message) => {
                if let Some(first) = self.inputs.first() {
                    first.show_error(Some(message));
                }
            }
        }
    }
}
