//! What the window remembers between runs (GSettings, schema `APP_ID`): its size, whether
//! it was maximized, the network last shown, and the remote connections added.
//!
//! The schema is installed with the app (data/*.gschema.xml.in). A build run from the
//! source tree (`cargo run`) has none, and `gio::Settings::new` would abort on a missing
//! schema, so the schema is looked up first and, when absent, nothing is remembered.

use relm4::gtk::prelude::*;
use relm4::gtk::{gio, glib};

use crate::ui::APP_ID;

const WIDTH: &str = "window-width";
const HEIGHT: &str = "window-height";
const MAXIMIZED: &str = "window-maximized";
const LAST_NETWORK: &str = "last-network";
const CONNECTIONS: &str = "connections";

/// The window's remembered state; does nothing when the schema is not installed.
#[derive(Clone)]
pub struct WindowSettings {
    settings: Option<gio::Settings>,
}

impl WindowSettings {
    pub fn load() -> Self {
        let installed = gio::SettingsSchemaSource::default().and_then(|source| source.lookup(APP_ID, true)).is_some();
        Self { settings: installed.then(|| gio::Settings::new(APP_ID)) }
    }

    /// Gives the window its remembered size (before it is shown).
    pub fn restore_window(&self, window: &impl IsA<relm4::gtk::Window>) {
        let Some(settings) = &self.settings else { return };
        let (width, height) = (settings.int(WIDTH), settings.int(HEIGHT));
        if width > 0 && height > 0 {
            window.set_default_size(width, height);
        }
        if settings.boolean(MAXIMIZED) {
            window.maximize();
        }
    }

    /// Remembers the window's size; called as it closes. The unmaximized size is kept, so
    /// that unmaximizing after the next start gives the size the user chose.
    pub fn save_window(&self, window: &impl IsA<relm4::gtk::Window>) {
        let Some(settings) = &self.settings else { return };
        let maximized = window.is_maximized();
        let (width, height) = window.default_size();
        let mut failed = settings.set_boolean(MAXIMIZED, maximized).is_err();
        if !maximized && width > 0 && height > 0 {
            failed |= settings.set_int(WIDTH, width).is_err() || settings.set_int(HEIGHT, height).is_err();
        }
        if failed {
            glib::g_warning!("virtnet-manager", "could not save the window's size (settings not writable)");
        }
    }

    /// The name of the network last shown (saved as it is selected), if any.
    pub fn last_network(&self) -> Option<String> {
        let name = self.settings.as_ref()?.string(LAST_NETWORK).to_string();
        (!name.is_empty()).then_some(name)
    }

    /// Remembers the network shown, as soon as it changes (a crash keeps it too).
    pub fn set_last_network(&self, name: Option<&str>) {
        let Some(settings) = &self.settings else { return };
        if settings.set_string(LAST_NETWORK, name.unwrap_or_default()).is_err() {
            glib::g_warning!("virtnet-manager", "could not save the network shown (settings not writable)");
        }
    }

    /// The remote connections added in the window: (`ssh://...`, connect at start).
    pub fn connections(&self) -> Vec<(String, bool)> {
        self.settings.as_ref().map(|settings| settings.get::<Vec<(String, bool)>>(CONNECTIONS)).unwrap_or_default()
    }

    /// Remembers the remote connections, as soon as one is added or removed.
    pub fn set_connections(&self, connections: &[(String, bool)]) {
        let Some(settings) = &self.settings else { return };
        if settings.set(CONNECTIONS, connections.to_vec()).is_err() {
            glib::g_warning!("virtnet-manager", "could not save the connections (settings not writable)");
        }
    }
}
