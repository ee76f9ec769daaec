//! Who may change networks: callers other than root are refused with AccessDenied under
//! `--auth root`; under `--auth polkit`, polkitd (running on the sandbox bus, in a
//! private mount namespace holding virtnet's policy) decides about the caller. Reading
//! needs nothing, and a refused call changes nothing.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use common::sandbox::{Sandbox, isolated};

/// `dbus-send` to the helper as another user (by uid), through setpriv.
fn call_as(sandbox: &Sandbox, uid: u32, path: &str, method: &str, args: &[&str]) -> Output {
    Command::new("setpriv")
        .args([&format!("--reuid={uid}"), &format!("--regid={uid}"), "--clear-groups", "dbus-send"])
        .arg(format!("--bus={}", sandbox.address()))
        .args(["--print-reply", "--dest=io.github.virtnet.Helper1", path, method])
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const NOBODY: u32 = 65534;
/// Debian's `daemon` user: another uid the bus knows.
const DAEMON: u32 = 1;
const MANAGER: &str = "/io/github/virtnet/Helper1";

/// The sandbox lets the user who started it manage networks from their own window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_root_auth_an_allowed_uid_changes_networks_and_others_do_not() {
    let sandbox = Sandbox::start_with_args(&format!("--allow-uid {NOBODY}"));
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let path = manager.define_xml(&isolated("lab", 62)).await.unwrap().to_string();

    let out = call_as(&sandbox, NOBODY, &path, "io.github.virtnet.Helper1.Network.Start", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(sandbox.network(&conn, "lab").await.active().await.unwrap());

    let out = call_as(&sandbox, DAEMON, &path, "io.github.virtnet.Helper1.Network.Destroy", &[]);
    assert_eq!(
        stderr(&out).trim(),
        "Error org.freedesktop.DBus.Error.AccessDenied: not authorized to stop network 'lab': this helper runs with --auth root and only root and uid 65534 may change networks (the caller is uid 1)"
    );
    assert!(sandbox.network(&conn, "lab").await.active().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_root_auth_only_root_changes_anything() {
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let path = manager.define_xml(&isolated("lab", 60)).await.unwrap().to_string();

    // Reading is open to everyone.
    let out = call_as(&sandbox, NOBODY, MANAGER, "io.github.virtnet.Helper1.Manager.ListNetworks", &["uint32:0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&path));
    let out = call_as(&sandbox, NOBODY, &path, "io.github.virtnet.Helper1.Network.GetXMLDesc", &["uint32:0"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Every change is refused with a sentence saying what.
    let out = call_as(&sandbox, NOBODY, &path, "io.github.virtnet.Helper1.Network.Start", &[]);
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        "Error org.freedesktop.DBus.Error.AccessDenied: not authorized to start network 'lab': this helper runs with --auth root and only root may change networks (the caller is uid 65534)"
    );
    let out = call_as(
        &sandbox,
        NOBODY,
        MANAGER,
        "io.github.virtnet.Helper1.Manager.DefineXML",
        &[&format!("string:{}", isolated("intruder", 61))],
    );
    assert!(stderr(&out).contains("AccessDenied: not authorized to define a network"), "{}", stderr(&out));
    let out = call_as(&sandbox, NOBODY, &path, "io.github.virtnet.Helper1.Network.SetAutostart", &["boolean:true"]);
    assert!(
        stderr(&out).contains("AccessDenied: not authorized to change autostart of network 'lab'"),
        "{}",
        stderr(&out)
    );
    for method in ["Undefine", "Destroy"] {
        let out = call_as(&sandbox, NOBODY, &path, &format!("io.github.virtnet.Helper1.Network.{method}"), &[]);
        assert!(stderr(&out).contains("AccessDenied"), "{method}: {}", stderr(&out));
    }

    // ... and nothing changed.
    let lab = sandbox.network(&conn, "lab").await;
    assert!(!lab.active().await.unwrap());
    assert!(lab.persistent().await.unwrap());
    assert!(!lab.autostart().await.unwrap());
    assert!(!sandbox.path("etc/intruder.xml").exists());
    assert!(!sandbox.path("etc/autostart/lab.xml").exists());
    assert!(sandbox.path("etc/lab.xml").exists());

    // Root may.
    lab.start().await.unwrap();
    assert!(lab.active().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_polkit_auth_polkit_decides_about_the_caller() {
    // A rule granting io.github.virtnet.manage to the user "daemon" (uid 1) only.
    let sandbox = Sandbox::start_with_manage_for_daemon();
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    // Root is authorized by polkit.
    let path = manager.define_xml(&isolated("lab", 62)).await.unwrap().to_string();

    let out = call_as(&sandbox, NOBODY, &path, "io.github.virtnet.Helper1.Network.Start", &[]);
    assert!(!out.status.success());
    let refusal = stderr(&out);
    assert!(
        refusal.starts_with("Error org.freedesktop.DBus.Error.AccessDenied: not authorized to start network 'lab': "),
        "{refusal}"
    );
    assert!(refusal.contains("io.github.virtnet.manage"), "{refusal}");
    assert!(!sandbox.network(&conn, "lab").await.active().await.unwrap());

    // The user the rule names may.
    let out = call_as(&sandbox, 1, &path, "io.github.virtnet.Helper1.Network.Start", &[]);
    assert!(out.status.success(), "{}\n{}", stderr(&out), sandbox.log());
    assert!(sandbox.network(&conn, "lab").await.active().await.unwrap());
}

/// The example rule the README offers for remote use lets its group manage networks
/// without a prompt, and nobody else. (The test machine has no group "virtnet": the
/// rule is tried for the group of the user "daemon", its only change.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_group_rule_lets_its_group_manage_networks() {
    let rule =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/polkit/50-virtnet-group.rules.example"))
            .unwrap();
    assert_eq!(rule.matches("isInGroup(\"virtnet\")").count(), 1, "{rule}");
    let sandbox = Sandbox::start_with(true, |dir| {
        std::fs::create_dir_all(dir.join("polkit-rules")).unwrap();
        std::fs::write(dir.join("polkit-rules/50-virtnet-group.rules"), rule.replace("\"virtnet\"", "\"daemon\""))
            .unwrap();
    });
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    let path = manager.define_xml(&isolated("lab", 63)).await.unwrap().to_string();

    let out = call_as(&sandbox, NOBODY, &path, "io.github.virtnet.Helper1.Network.Start", &[]);
    assert!(stderr(&out).contains("AccessDenied"), "a user outside the group is refused: {}", stderr(&out));
    assert!(!sandbox.network(&conn, "lab").await.active().await.unwrap());

    let out = call_as(&sandbox, DAEMON, &path, "io.github.virtnet.Helper1.Network.Start", &[]);
    assert!(out.status.success(), "{}\n{}", stderr(&out), sandbox.log());
    assert!(sandbox.network(&conn, "lab").await.active().await.unwrap());
}
