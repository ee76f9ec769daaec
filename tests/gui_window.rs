//! virtnet-manager's window end to end: the real window under Xvfb against a real
//! helper in a sandbox, driven through the accessibility tree (tests/gui/window_e2e.py);
//! after each step the helper, asked with `virtnet`, must agree.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::sandbox::{Sandbox, script};

const LAB: &str = "<network>
  <name>lab</name>
  <forward mode='nat'/>
  <ip address='192.168.150.1' prefix='24'>
    <dhcp>
      <range start='192.168.150.2' end='192.168.150.254'/>
    </dhcp>
  </ip>
</network>
";

#[test]
fn the_window_starts_stops_edits_and_deletes_as_the_helper_confirms() {
    let sandbox = Sandbox::start();
    let definition = sandbox.path("lab.xml");
    std::fs::write(&definition, LAB).unwrap();
    let define = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["-c", sandbox.address(), "net-define", definition.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(define.status.success(), "{}", String::from_utf8_lossy(&define.stderr));

    let dir = sandbox.dir.path().to_str().unwrap();
    let stop_helper = format!(
        ". {dir}/env && kill $SANDBOX_HELPER_PID && while kill -0 $SANDBOX_HELPER_PID 2>/dev/null; do sleep 0.05; done"
    );
    let start_helper = format!("{} helper {dir} >/dev/null", script().display());
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gui/window_e2e.py");
    let out = Command::new("xvfb-run")
        // -noreset: Xvfb otherwise resets when its last client leaves (the accessibility
        // bus launcher connects and leaves at start), refusing the window meanwhile.
        .args(["-a", "-s", "-noreset -screen 0 1280x800x24", "dbus-run-session", "--", "/usr/bin/python3"])
        .arg(&driver)
        .env("VIRTNET_MANAGER", env!("CARGO_BIN_EXE_virtnet-manager"))
        .env("VIRTNET", env!("CARGO_BIN_EXE_virtnet"))
        .env("VIRTNETD", env!("CARGO_BIN_EXE_virtnetd"))
        .env("VIRTNET_CONNECT", sandbox.address())
        .env("SANDBOX_HELPER_STOP", stop_helper)
        .env("SANDBOX_HELPER_START", start_helper)
        .env("GSK_RENDERER", "cairo")
        // The window's own language, whatever the machine's.
        .env("LANGUAGE", "en")
        .env_remove("GTK_A11Y")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("all steps passed"),
        "the window's end-to-end run failed:\n{stdout}\n{}\nhelper log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        sandbox.log()
    );
}
