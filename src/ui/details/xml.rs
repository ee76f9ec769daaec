//! The XML tab: the inactive definition in a source view with XML highlighting,
//! editable, checked by the model as it is typed.

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::glib;
use sourceview5::prelude::*;

use crate::ui::a11y;

pub struct XmlPage {
    pub root: gtk::Box,
    buffer: sourceview5::Buffer,
    changed_handler: glib::SignalHandlerId,
    problems: gtk::Label,
    problems_bar: gtk::Revealer,
}

impl XmlPage {
    /// `on_edit` gets the whole text after every edit by the user.
    pub fn new(on_edit: impl Fn(String) + 'static) -> Self {
        let buffer = sourceview5::Buffer::new(None);
        let view = sourceview5::View::builder()
            .buffer(&buffer)
            .monospace(true)
            .show_line_numbers(true)
            .auto_indent(true)
            .tab_width(2)
            .insert_spaces_instead_of_tabs(true)
            .top_margin(8)
            .bottom_margin(8)
            .left_margin(8)
            .vexpand(true)
            .build();
        a11y::set_label(&view, &gettext("Definition as XML"));
        let changed_handler = buffer.connect_changed(move |buffer| {
            on_edit(buffer.text(&buffer.start_iter(), &buffer.end_iter(), true).to_string());
        });
        highlight_when_first_shown(&view, &buffer);
        let scrolled = gtk::ScrolledWindow::builder().child(&view).vexpand(true).build();
        let problems =
            gtk::Label::builder().xalign(0.0).wrap(true).selectable(true).css_classes(["field-error"]).build();
        problems.set_margin_start(12);
        problems.set_margin_end(12);
        problems.set_margin_top(6);
        problems.set_margin_bottom(6);
        let problems_bar = gtk::Revealer::builder().child(&problems).build();
        let root = gtk::Box::new(gtk::Orientation::Vertical, 0);
        root.append(&scrolled);
        root.append(&gtk::Separator::new(gtk::Orientation::Horizontal));
        root.append(&problems_bar);
        XmlPage { root, buffer, changed_handler, problems, problems_bar }
    }

    /// Shows `xml` (not an edit), keeping the cursor's line where possible.
    pub fn load(&self, xml: &str) {
        let current = self.buffer.text(&self.buffer.start_iter(), &self.buffer.end_iter(), true);
        if current.as_str() == xml {
            return;
        }
        let line = self.buffer.iter_at_mark(&self.buffer.get_insert()).line();
        self.buffer.block_signal(&self.changed_handler);
        self.buffer.set_text(xml);
        self.buffer.unblock_signal(&self.changed_handler);
        if let Some(iter) = self.buffer.iter_at_line(line) {
            self.buffer.place_cursor(&iter);
        }
    }

    /// The model's messages about the text as it stands.
    pub fn show_problems(&self, problems: &[String]) {
        self.problems.set_label(&problems.join("\n"));
        self.problems_bar.set_reveal_child(!problems.is_empty());
    }
}

/// Reading GtkSourceView's language and style files takes a noticeable part of the
/// window's start-up, so it waits until the tab is first shown.
fn highlight_when_first_shown(view: &sourceview5::View, buffer: &sourceview5::Buffer) {
    let buffer = buffer.clone();
    let handler = std::rc::Rc::new(std::cell::Cell::new(None));
    let id = view.connect_map({
        let handler = handler.clone();
        move |view| {
            if let Some(xml) = sourceview5::LanguageManager::default().language("xml") {
                buffer.set_language(Some(&xml));
            }
            follow_dark_style(&buffer);
            if let Some(id) = handler.take() {
                view.disconnect(id);
            }
        }
    });
    handler.set(Some(id));
}

/// Light or dark highlighting, following the desktop's style as it changes.
fn follow_dark_style(buffer: &sourceview5::Buffer) {
    let apply = |buffer: &sourceview5::Buffer, dark: bool| {
        let scheme = sourceview5::StyleSchemeManager::default().scheme(if dark { "Adwaita-dark" } else { "Adwaita" });
        buffer.set_style_scheme(scheme.as_ref());
    };
    let style = adw::StyleManager::default();
    apply(buffer, style.is_dark());
    let buffer = buffer.clone();
    style.connect_dark_notify(move |style| apply(&buffer, style.is_dark()));
}
