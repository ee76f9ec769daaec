//! `build-aux/virtnet-sandbox` starts a bus, a namespace and virtnetd without touching
//! the machine's own network, and stops everything it started, by PID.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::sandbox::{process_alive, require_root, script};

fn root_namespace_links() -> String {
    let out = Command::new("ip").args(["-br", "link"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn start_and_stop_leave_the_machine_as_it_was() {
    require_root();
    let before = root_namespace_links();
    let dir = tempfile::tempdir().unwrap();
    let netns = format!("vn-test-script-{}", std::process::id());
    let run = |command: &str| {
        Command::new(script())
            .args([command, dir.path().to_str().unwrap()])
            .env("VIRTNETD", env!("CARGO_BIN_EXE_virtnetd"))
            .env("SANDBOX_NETNS", &netns)
            .output()
            .unwrap()
    };

    let out = run("start");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let env: HashMap<String, String> = std::fs::read_to_string(dir.path().join("env"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert!(env["VIRTNET_CONNECT"].starts_with("unix:path="));
    let pids: Vec<u32> = ["SANDBOX_HELPER_PID", "SANDBOX_BUS_PID"].iter().map(|k| env[*k].parse().unwrap()).collect();
    assert!(pids.iter().all(|p| process_alive(*p)));
    let namespaces =
        String::from_utf8_lossy(&Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).into_owned();
    assert!(namespaces.contains(&netns), "{namespaces}");
    // The default network runs inside the sandbox's namespace only.
    let inside =
        Command::new("ip").args(["netns", "exec", &netns, "ip", "-br", "link", "show", "virbr0"]).output().unwrap();
    assert!(inside.status.success());
    assert_eq!(root_namespace_links(), before, "the machine's own interfaces changed");

    let out = run("stop");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(pids.iter().all(|p| !process_alive(*p)), "a sandbox process survived stop");
    let namespaces =
        String::from_utf8_lossy(&Command::new("ip").args(["netns", "list"]).output().unwrap().stdout).into_owned();
    assert!(!namespaces.contains(&netns), "{namespaces}");
    assert_eq!(root_namespace_links(), before);
}
