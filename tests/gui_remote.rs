//! Two hosts in one window, end to end (tests/gui/remote_e2e.py): host A is a sandbox
//! on its own bus, host B a second sandbox reached over real ssh (sshd in B's namespace,
//! `systemd-stdio-bridge` on B's bus). The window adds B in its dialog (ssh's question
//! about B's unknown host key asked in a dialog of the window's), shows each
//! host's networks under its heading, follows B's changes made from the CLI, creates a
//! network on B in the wizard, greys B while B's virtnetd is away and reconnects when it
//! is back, and forgets B when it is removed; the remembered connections are read from
//! the GSettings keyfile the window writes.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::gui::{Binaries, compile_schema, run_driver};
use common::sandbox::{SSH_TARGET, Sandbox, script};

/// On B: a subnet A does not use, so that the wizard's suggestion shows whose it is.
const LAB: &str = "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/><ip address='192.168.123.1' prefix='24'/></network>";

#[test]
fn one_window_manages_two_hosts() {
    let local = Sandbox::start();
    let mut remote = Sandbox::start();
    remote.serve_ssh();
    let definition = remote.path("lab.xml");
    std::fs::write(&definition, LAB).unwrap();
    let defined = remote.virtnet_over_ssh(&["net-define", definition.to_str().unwrap()], &[]);
    assert!(defined.status.success(), "{}", String::from_utf8_lossy(&defined.stderr));

    let schemas = local.path("schemas");
    compile_schema(&schemas);
    let config = local.path("config");
    let text = |p: &Path| p.to_str().unwrap().to_owned();
    let dir = remote.dir.path().to_str().unwrap();
    let stop = format!(
        ". {dir}/env && kill $SANDBOX_HELPER_PID && while kill -0 $SANDBOX_HELPER_PID 2>/dev/null; do sleep 0.05; done"
    );
    let start = format!("VIRTNETD={} {} helper {dir} >/dev/null", env!("CARGO_BIN_EXE_virtnetd"), script().display());
    // The window's ssh knows no host key yet and may ask (the CLI's, used by the
    // driver, keeps the sandbox's strict settings).
    let known_hosts = local.path("known_hosts");
    std::fs::write(&known_hosts, "").unwrap();
    let ssh_args =
        format!("-o BatchMode=no -o StrictHostKeyChecking=ask -o UserKnownHostsFile={}", known_hosts.display());
    let mut env = vec![
        ("VIRTNET_SSH", remote.ssh_program().to_owned()),
        ("SANDBOX_SSH_ARGS", ssh_args),
        ("KNOWN_HOSTS", text(&known_hosts)),
        ("REMOTE", SSH_TARGET.to_owned()),
        ("REMOTE_STOP", stop),
        ("REMOTE_START", start),
        ("GSETTINGS_SCHEMA_DIR", text(&schemas)),
        ("GSETTINGS_BACKEND", "keyfile".to_owned()),
        ("XDG_CONFIG_HOME", text(&config)),
        ("SETTINGS_FILE", text(&config.join("glib-2.0/settings/keyfile"))),
    ];
    for name in ["SIDEBAR_SCREENSHOT", "UNREACHABLE_SCREENSHOT", "ASKPASS_SCREENSHOT"] {
        if let Some(shot) = std::env::var_os(name) {
            env.push((name, shot.to_string_lossy().into_owned()));
        }
    }
    let binaries = Binaries { manager: env!("CARGO_BIN_EXE_virtnet-manager"), virtnet: env!("CARGO_BIN_EXE_virtnet") };
    run_driver(&local, "remote_e2e.py", &binaries, &env);

    // What the window did is on the hosts themselves.
    let on_b = remote.virtnet(&["net-list", "--all", "--name"]);
    assert!(on_b.lines().any(|l| l.trim() == "made-on-b"), "{on_b}");
    assert!(!local.virtnet(&["net-list", "--all", "--name"]).contains("made-on-b"));
    assert!(remote.link("vnlab").is_some(), "lab runs on B");
}
