//! Loads the icon theme on another thread while the window is being built.
//!
//! The first icon lookup reads the whole theme (Adwaita's index and caches, about a
//! third of the time from building the window to its first frame, `build-aux/bench-gui`).
//! GTK 4's icon theme is built for this: set up on the main thread, it can be passed to
//! a thread for lookups, and a lookup on the main thread meanwhile waits for that one
//! (gtkicontheme.c, "Threading"). gtk4-rs types are not `Send`, so the theme crosses
//! the thread as a pointer holding its own reference; with `unsafe_code` allowed here
//! only.
#![allow(unsafe_code)]

use relm4::gtk;
use relm4::gtk::glib::translate::{IntoGlib, ToGlibPtr};

/// A reference to the display's icon theme, owned by the thread it is sent to.
struct ThemeRef(*mut gtk::ffi::GtkIconTheme);

// SAFETY: the pointer carries its own reference (taken on the main thread, dropped on
// the warm-up thread), and GTK allows lookups on a set-up theme from any thread.
unsafe impl Send for ThemeRef {}

impl Drop for ThemeRef {
    fn drop(&mut self) {
        // SAFETY: the reference taken in `start`; the display keeps its own, so this
        // never finalizes the theme off the main thread.
        unsafe { gtk::glib::gobject_ffi::g_object_unref(self.0.cast()) };
    }
}

/// Starts reading the display's icon theme on a thread of its own. Call it once the
/// application has set its resource paths (its `startup`): a later change of the theme's
/// paths would make GTK read the theme again.
pub fn start() {
    let Some(display) = gtk::gdk::Display::default() else { return };
    // Set up on the main thread, as GTK requires.
    let theme = gtk::IconTheme::for_display(&display);
    let pointer: *mut gtk::ffi::GtkIconTheme = theme.to_glib_full();
    let theme = ThemeRef(pointer);
    // A thread that cannot start leaves the reading to the first lookup, as always.
    let _ = std::thread::Builder::new().name("icon-theme".into()).spawn(move || {
        let name = c"open-menu-symbolic";
        let direction = gtk::TextDirection::Ltr.into_glib();
        // SAFETY: a live theme (our reference), a NUL-terminated name, no fallbacks; the
        // icon returned is ours to release.
        unsafe {
            let icon =
                gtk::ffi::gtk_icon_theme_lookup_icon(theme.0, name.as_ptr(), std::ptr::null_mut(), 16, 1, direction, 0);
            if !icon.is_null() {
                gtk::glib::gobject_ffi::g_object_unref(icon.cast());
            }
        }
        drop(theme);
    });
}
