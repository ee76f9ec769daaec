//! The reference for build-aux/bench-gui: an empty libadwaita window, the least any
//! GTK 4 app takes to show a window on the same machine and display.

use relm4::adw;
use relm4::adw::prelude::*;

fn main() {
    let app = adw::Application::builder().application_id("io.github.virtnet.EmptyWindow").build();
    app.connect_activate(|app| {
        adw::ApplicationWindow::builder()
            .application(app)
            .title("Empty Window")
            .default_width(900)
            .default_height(600)
            .build()
            .present();
    });
    app.run_with_args(&Vec::<String>::new());
}
