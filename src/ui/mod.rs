//! `virtnet-manager`: the GNOME app. Relm4 components, each with one job: `app` routes
//! between them, `client` is the only thing that talks to virtnetd, `network_list` is the
//! sidebar, `details` the page of one network, `edit` the (display-free) editing logic.

use std::process::ExitCode;

use clap::Parser;
use gettextrs::LocaleCategory;
use relm4::gtk::{gio, glib};
use relm4::{RelmApp, adw};

mod a11y;
mod app;
mod client;
mod details;
mod edit;
mod frame_log;
mod network_list;
mod new_network;
mod texts;
mod wizard;

pub use edit::{EditSession, Field};

/// The application id (DESIGN.md); development builds use `.Devel`.
pub const APP_ID: &str = "io.github.virtnet.Manager";
/// Where the compiled resources live.
const RESOURCE_BASE: &str = "/io/github/virtnet/Manager";
/// gettext's text domain, also the name of the installed `.mo` files.
const GETTEXT_PACKAGE: &str = "virtnet";

#[derive(Parser, Debug)]
#[command(name = "virtnet-manager", version, about = "Manage virtual networks for virtual machines")]
struct Args {
    /// The D-Bus address of virtnetd's bus (default: the system bus).
    #[arg(short = 'c', long = "connect", env = "VIRTNET_CONNECT", value_name = "ADDRESS")]
    connect: Option<String>,
}

pub fn main() -> ExitCode {
    setup_translations();
    let args = Args::parse();
    gio::resources_register_include!("virtnet.gresource").expect("the resources are compiled into the binary");
    glib::set_application_name(&gettextrs::gettext("Virtual Networks"));
    // libadwaita loads style.css and GTK the shortcuts window from the resource base.
    let app = adw::Application::builder().application_id(APP_ID).resource_base_path(RESOURCE_BASE).build();
    // GTK must not see our own arguments: they were handled above.
    RelmApp::from_app(app).with_args(Vec::new()).run::<app::App>(app::AppInit { address: args.connect });
    ExitCode::SUCCESS
}

fn setup_translations() {
    // An unusable locale only means English; never a reason not to start.
    // SAFETY: called first thing in main, before any other thread exists.
    #[allow(unsafe_code)]
    let _ = unsafe { gettextrs::setlocale(LocaleCategory::LcAll, "") };
    let locale_dir = option_env!("VIRTNET_LOCALEDIR").unwrap_or("/usr/share/locale");
    let _ = gettextrs::bindtextdomain(GETTEXT_PACKAGE, locale_dir);
    let _ = gettextrs::bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    let _ = gettextrs::textdomain(GETTEXT_PACKAGE);
}
