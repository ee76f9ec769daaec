//! virtnetd's watch over dnsmasq, with limits: a dnsmasq that dies right after every
//! start is started a bounded number of times, then given up on, and the network says
//! so (the Degraded property, `virtnet net-info`); after a helper restart, a process
//! that only looks like the network's dnsmasq (a forged command line on the PID in the
//! pid file) is not adopted, and a real dnsmasq is started instead; a state folder that
//! dnsmasq's user cannot enter fails the start with its name instead of a network whose
//! static hosts are silently missing.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::net::Guest;
use common::sandbox::{Sandbox, process_alive};
use virtnet::dbus::{ErrorKind, HelperError};

const LAB: &str = "<network><name>lab</name><forward mode='nat'/><bridge name='vnlab'/>
  <ip address='10.79.0.1' prefix='24'><dhcp><range start='10.79.0.10' end='10.79.0.20'/></dhcp></ip></network>";

/// The dnsmasq processes of this sandbox that run the dnsmasq program (a process with
/// a forged command line has another).
fn real_dnsmasq(sandbox: &Sandbox) -> Vec<u32> {
    sandbox
        .dnsmasq_processes()
        .into_iter()
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe.ends_with("dnsmasq")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dnsmasq_that_keeps_dying_is_given_up_on_and_the_network_says_so() {
    let tools = tempfile::tempdir().unwrap();
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/supervise/dnsmasq");
    std::fs::copy(&wrapper, tools.path().join("dnsmasq")).unwrap();
    let sandbox = Sandbox::start_with_path("", tools.path());
    let conn = sandbox.connect().await;
    let manager = sandbox.manager(&conn).await;
    manager.define_xml(LAB).await.unwrap();
    let lab = sandbox.network(&conn, "lab").await;
    let starts = || std::fs::read_to_string(tools.path().join("starts")).unwrap_or_default().lines().count();
    let before = starts();
    lab.start().await.unwrap();
    assert_eq!(lab.degraded().await.unwrap(), "");

    let began = Instant::now();
    let reason = loop {
        let reason = lab.degraded().await.unwrap();
        if !reason.is_empty() {
            break reason;
        }
        assert!(began.elapsed() < Duration::from_secs(60), "not degraded after 60 s:\n{}", sandbox.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let started = starts() - before;
    eprintln!("figure: degraded after {:.1} s and {started} starts", began.elapsed().as_secs_f64());
    assert!(started <= 10, "dnsmasq was started {started} times before the helper gave up");
    assert!(reason.contains("dnsmasq") && reason.contains("restart"), "{reason}");
    // No more starts once given up, and none of it left running.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(starts() - before, started, "dnsmasq is still being started");
    assert!(lab.active().await.unwrap(), "the network itself keeps running");

    let info = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["-c", sandbox.address(), "net-info", "lab"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("Degraded:") && text.contains("dnsmasq stopped"), "{text}");
    let list = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["-c", sandbox.address(), "net-list", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let by_name = |name: &str| json.as_array().unwrap().iter().find(|n| n["name"] == name).unwrap().clone();
    assert_eq!(by_name("lab")["degraded"], reason.as_str(), "{json}");
    assert!(by_name("default").get("degraded").is_none(), "a healthy network has no degraded key: {json}");

    // Stopping clears it.
    lab.destroy().await.unwrap();
    assert_eq!(lab.degraded().await.unwrap(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_command_line_on_the_old_pid_is_not_adopted() {
    let mut sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    sandbox.manager(&conn).await.define_xml(LAB).await.unwrap();
    sandbox.network(&conn, "lab").await.start().await.unwrap();
    drop(conn);
    sandbox.stop_helper();

    // While the helper is away, lab's dnsmasq dies, and another program takes its
    // place in the pid file with a command line that names lab's configuration.
    let pidfile = sandbox.path("run/lab.pid");
    let old: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert!(Command::new("kill").args(["-KILL", &old.to_string()]).status().unwrap().success());
    let conf = format!("--conf-file={}", sandbox.path("lib/dnsmasq/lab.conf").display());
    let mut forged = Command::new("python3").args(["-c", "import time; time.sleep(300)", &conf]).spawn().unwrap();
    std::fs::write(&pidfile, format!("{}\n", forged.id())).unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    while real_dnsmasq(&sandbox).contains(&old) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }

    sandbox.restart_helper();
    let running = real_dnsmasq(&sandbox);
    let now: u32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let forged_pid = forged.id();
    // Ended by its PID: the test started it.
    let _ = forged.kill();
    let _ = forged.wait();
    assert_ne!(now, forged_pid, "the forged process was adopted as lab's dnsmasq:\n{}", sandbox.log());
    assert!(
        running.contains(&now) && process_alive(now),
        "no real dnsmasq runs for lab: {running:?}\n{}",
        sandbox.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_folder_dnsmasq_cannot_enter_fails_the_start_with_its_name() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::start();
    let conn = sandbox.connect().await;
    let fixed = "<network><name>fixed</name><forward mode='nat'/><bridge name='vnfixed'/>
      <ip address='10.80.0.1' prefix='24'><dhcp><range start='10.80.0.10' end='10.80.0.20'/>
        <host mac='52:54:00:80:00:05' ip='10.80.0.5'/></dhcp></ip></network>";
    sandbox.manager(&conn).await.define_xml(fixed).await.unwrap();
    let network = sandbox.network(&conn, "fixed").await;
    let state = sandbox.path("lib");
    let mode = |m| std::fs::set_permissions(&state, std::fs::Permissions::from_mode(m)).unwrap();

    mode(0o700);
    let HelperError { kind, message } = HelperError::from(network.start().await.unwrap_err());
    assert_eq!(kind, ErrorKind::Dnsmasq, "{message}");
    assert!(message.contains(&format!("cannot enter the folder {}", state.display())), "{message}");
    assert!(!network.active().await.unwrap());
    assert!(sandbox.link("vnfixed").is_none(), "the failed start left its bridge");
    let ours = format!("{}", sandbox.path("lib/dnsmasq/fixed.conf").display());
    assert!(
        sandbox.dnsmasq_processes().iter().all(|pid| !std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&ours))),
        "the failed start left a dnsmasq"
    );

    // Opened again: the guest with the reserved MAC gets its address.
    mode(0o755);
    network.start().await.unwrap();
    let guest = Guest::plug(&sandbox, "vnfixed", Some("52:54:00:80:00:05"));
    assert_eq!(guest.dhcp("fixed").ip, "10.80.0.5");
}
