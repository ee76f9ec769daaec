//! Accessible labels and descriptions for screen readers.
//!
//! GTK 4.8 (Debian 12) has `gtk_accessible_update_property_value` (since GTK 4.0), but
//! gtk4-rs 0.11 binds it, and the `GtkAccessible` interface itself, only behind its
//! `v4_10` feature, which cannot be enabled against GTK 4.8. So this module declares that
//! one C function itself (every widget is a `GtkAccessible`).
#![allow(unsafe_code)]

use relm4::gtk;
use relm4::gtk::glib;
use relm4::gtk::glib::translate::{IntoGlib, ToGlibPtr};
use relm4::gtk::prelude::*;

unsafe extern "C" {
    fn gtk_accessible_update_property_value(
        accessible: *mut gtk::ffi::GtkWidget,
        n_properties: std::ffi::c_int,
        properties: *mut gtk::ffi::GtkAccessibleProperty,
        values: *const glib::gobject_ffi::GValue,
    );
}

fn update(widget: &impl IsA<gtk::Widget>, property: gtk::AccessibleProperty, text: &str) {
    let value = text.to_value();
    let mut properties = [property.into_glib()];
    // SAFETY: one property and one initialised string GValue, as the function expects;
    // both outlive the call, and the widget pointer is a live GtkWidget, which implements GtkAccessible.
    unsafe {
        gtk_accessible_update_property_value(
            widget.as_ref().to_glib_none().0,
            1,
            properties.as_mut_ptr(),
            value.to_glib_none().0,
        );
    }
}

/// The name a screen reader says for `widget` (for widgets without a visible label).
pub fn set_label(widget: &impl IsA<gtk::Widget>, text: &str) {
    update(widget, gtk::AccessibleProperty::Label, text);
}

/// Extra words a screen reader says after the name (an error under a field, say).
pub fn set_description(widget: &impl IsA<gtk::Widget>, text: &str) {
    update(widget, gtk::AccessibleProperty::Description, text);
}
