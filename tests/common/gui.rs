//! Running a Python driver of virtnet-manager (tests/gui/*.py) under Xvfb with a
//! session bus, against a sandbox.

use std::path::Path;
use std::process::Command;

use super::sandbox::Sandbox;

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
