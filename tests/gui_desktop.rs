//! virtnet-manager as installed on a desktop, end to end under Xvfb against a sandbox
//! (tests/gui/desktop_e2e.py): in German from the catalog built from po/de.po, and
//! remembering its window size and the network shown through its GSettings schema
//! (data/*.gschema.xml.in, compiled here as `meson install` would).

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::gui::{Binaries, compile_schema, run_driver};
use common::sandbox::Sandbox;

const LAB: &str = "<network><name>lab</name><forward mode='nat'/><ip address='192.168.150.1' prefix='24'/></network>";

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_window_speaks_german_and_remembers_its_size_and_network() {
    let sandbox = Sandbox::start();
    let definition = sandbox.path("lab.xml");
    std::fs::write(&definition, LAB).unwrap();
    run(Command::new(env!("CARGO_BIN_EXE_virtnet")).args(["-c", sandbox.address(), "net-define"]).arg(&definition));

    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schemas = sandbox.path("schemas");
    compile_schema(&schemas);
    let catalog_dir = sandbox.path("locale/de/LC_MESSAGES");
    std::fs::create_dir_all(&catalog_dir).unwrap();
    run(Command::new("msgfmt")
        .arg("--check")
        .arg("-o")
        .arg(catalog_dir.join("virtnet.mo"))
        .arg(source.join("po/de.po")));
    let config = sandbox.path("config");
    let text = |p: &Path| p.to_str().unwrap().to_owned();

    let binaries = Binaries { manager: env!("CARGO_BIN_EXE_virtnet-manager"), virtnet: env!("CARGO_BIN_EXE_virtnet") };
    run_driver(
        &sandbox,
        "desktop_e2e.py",
        &binaries,
        &[
            // German messages from the catalog, whatever locales the machine has
            // generated (glibc honours LANGUAGE with C.UTF-8).
            ("LANG", "C.UTF-8".to_owned()),
            ("LC_ALL", String::new()),
            ("LANGUAGE", "de".to_owned()),
            ("VIRTNET_LOCALEDIR", text(&sandbox.path("locale"))),
            ("GSETTINGS_SCHEMA_DIR", text(&schemas)),
            ("GSETTINGS_BACKEND", "keyfile".to_owned()),
            ("XDG_CONFIG_HOME", text(&config)),
            ("SETTINGS_FILE", text(&config.join("glib-2.0/settings/keyfile"))),
        ],
    );
}
