//! Running a Python driver of virtnet-manager (tests/gui/*.py) under Xvfb with a
//! session bus, against a sandbox.

use std::path::Path;
use std::process::Command;

use super::sandbox::Sandbox;

/// The application id the binary was built with (meson's development profile sets it).
pub const APP_ID: &str = match option_env!("VIRTNET_APP_ID") {
    Some(id) => id,
    None => "io.github.virtnet.Manager",
};

/// Compiles the app's GSettings schema as installed (placeholders filled) into `dir`,
/// for GSETTINGS_SCHEMA_DIR.
#[allow(dead_code)] // only the drivers that check what the window remembers
pub fn compile_schema(dir: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir).unwrap();
    let path = format!("/{}/", APP_ID.replace('.', "/"));
    let schema = std::fs::read_to_string(source.join("data/io.github.virtnet.Manager.gschema.xml.in"))
        .unwrap()
        .replace("@APP_ID@", APP_ID)
        .replace("@SCHEMA_PATH@", &path);
    std::fs::write(dir.join(format!("{APP_ID}.gschema.xml")), schema).unwrap();
    let out = Command::new("glib-compile-schemas").args(["--strict"]).arg(dir).output().unwrap();
    assert!(out.status.success(), "glib-compile-schemas: {}", String::from_utf8_lossy(&out.stderr));
}

/// The binaries a driver starts and asks (`env!("CARGO_BIN_EXE_...")` of the test).
pub struct Binaries {
    pub manager: &'static str,
    pub virtnet: &'static str,
}

/// Runs `tests/gui/DRIVER` and fails the test unless it printed "all steps passed".
/// Returns what it printed.
pub fn run_driver(sandbox: &Sandbox, driver: &str, binaries: &Binaries, env: &[(&str, String)]) -> String {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gui").join(driver);
    let out = Command::new("xvfb-run")
        // -noreset: Xvfb otherwise resets when its last client leaves (the accessibility
        // bus launcher connects and leaves at start), refusing the window meanwhile.
        .args(["-a", "-s", "-noreset -screen 0 1280x800x24", "dbus-run-session", "--", "/usr/bin/python3"])
        .arg(&driver)
        .env("VIRTNET_MANAGER", binaries.manager)
        .env("VIRTNET", binaries.virtnet)
        .env("VIRTNET_CONNECT", sandbox.address())
        .env("GSK_RENDERER", "cairo")
        // The window's own language, whatever the machine's (a driver may ask for another).
        .env("LANGUAGE", "en")
        .env_remove("GTK_A11Y")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("all steps passed"),
        "{} failed:\n{stdout}\n{}\nhelper log:\n{}",
        driver.display(),
        String::from_utf8_lossy(&out.stderr),
        sandbox.log()
    );
    stdout
}
