//! `virtnet-manager`: the GNOME app. Relm4 components, each with one job: `app` routes
//! between them, `client` is the only thing that talks to virtnetd, `network_list` is the
//! sidebar, `details` the page of one network, `edit` the (display-free) editing logic.

use std::process::ExitCode;

use clap::Parser;
use relm4::gtk::gio::prelude::ApplicationExt;
use relm4::gtk::{gio, glib};
use relm4::{RelmApp, adw};

mod a11y;
mod app;
mod askpass;
mod client;
mod details;
mod edit;
mod form;
mod frame_log;
mod hosts;
mod icon_warmup;
mod network_list;
mod new_network;
mod settings;
mod texts;
mod wizard;

pub use edit::{EditSession, Field};

/// The application id (DESIGN.md); meson's development profile builds `.Devel`, so a
/// development build runs, and keeps its settings, beside an installed one.
pub const APP_ID: &str = match option_env!("VIRTNET_APP_ID") {
    Some(id) => id,
    None => "io.github.virtnet.Manager",
};
/// Where the compiled resources live.
pub(crate) const RESOURCE_BASE: &str = "/io/github/virtnet/Manager";

#[derive(Parser, Debug)]
#[command(name = "virtnet-manager", version, about = "Manage virtual networks for virtual machines")]
struct Args {
    /// Where virtnetd is: ssh://[USER@]HOST[:PORT] for another host's, or a D-Bus address (default: this computer's system bus). Given more than once, the window shows each.
    #[arg(short = 'c', long = "connect", env = "VIRTNET_CONNECT", value_name = "URI")]
    connect: Vec<String>,
}

pub fn main() -> ExitCode {
    crate::i18n::setup();
    // Run by ssh for a question of a remote connection (see `askpass`).
    if std::env::var_os(crate::dbus::connect::ASKPASS_VARIABLE).is_some()
        && let Some(prompt) = std::env::args().nth(1)
    {
        return askpass::run(&prompt);
    }
    let args = Args::parse();
    let mut targets = Vec::new();
    for text in &args.connect {
        match crate::dbus::connect::Target::parse(Some(text)) {
            Ok(target) => targets.push(target),
            Err(why) => {
                eprintln!("virtnet-manager: {why}");
                return ExitCode::from(2);
            }
        }
    }
    // Initialised here rather than in the application's startup: the window maps about
    // 10 ms sooner (build-aux/bench-gui), and no display is a sentence, not a warning.
    if adw::init().is_err() {
        eprintln!("virtnet-manager: {}", no_display_text());
        return ExitCode::FAILURE;
    }
    gio::resources_register_include!("virtnet.gresource").expect("the resources are compiled into the binary");
    glib::set_application_name(&gettextrs::gettext("Virtual Networks"));
    // libadwaita loads style.css from the resource base.
    let app = adw::Application::builder().application_id(APP_ID).resource_base_path(RESOURCE_BASE).build();
    // After GTK's own startup, which adds the resource base's icons to the theme.
    app.connect_startup(|_| icon_warmup::start());
    // GTK must not see our own arguments: they were handled above.
    RelmApp::from_app(app).with_args(Vec::new()).run::<app::App>(app::AppInit { targets });
    ExitCode::SUCCESS
}

/// Why GTK could not start (it says only "Failed to initialize GTK"): which display.
fn no_display_text() -> String {
    let display =
        ["WAYLAND_DISPLAY", "DISPLAY"].into_iter().find_map(|v| std::env::var(v).ok().filter(|d| !d.is_empty()));
    match display {
        Some(display) => {
            gettextrs::gettext("cannot open the display {display}; without a display, use the virtnet command")
                .replace("{display}", &display)
        }
        None => gettextrs::gettext(
            "no display: neither WAYLAND_DISPLAY nor DISPLAY is set; run it in a graphical session, or use the virtnet command",
        ),
    }
}
