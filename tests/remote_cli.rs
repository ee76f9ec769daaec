//! `virtnet -c ssh://...`: the CLI on one "host" manages the networks of another over
//! a real ssh connection. Two sandboxes are the two hosts, each with its own bus and
//! virtnetd; the second runs sshd on 127.0.0.1 inside its namespace with throw-away keys,
//! and its logins run `systemd-stdio-bridge` on its bus. Every failure a person meets
//! (a wrong host, a refused key, no virtnetd there, another API version, a descriptor
//! that cannot cross ssh) gives its own sentence and changes nothing.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

use common::net::Guest;
use common::sandbox::Sandbox;

const LAB: &str = r#"<network>
  <name>lab</name>
  <forward mode="nat"/>
  <bridge name="vnlab"/>
  <ip address="10.77.0.1" netmask="255.255.255.0">
    <dhcp><range start="10.77.0.100" end="10.77.0.150"/></dhcp>
  </ip>
</network>
"#;

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn succeeded(out: Output) -> String {
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the CLI over ssh, expecting it to fail with `says` on stderr (and exit 1).
fn fails_saying(host: &Sandbox, target: &str, env: &[(&str, &str)], says: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["-c", target, "net-list", "--all"])
        .env("VIRTNET_SSH", host.ssh_program())
        .env_remove("VIRTNET_CONNECT")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{target}: {}", text(&out));
    assert!(out.stdout.is_empty(), "{target}: nothing listed: {}", text(&out));
    for part in says {
        assert!(stderr.contains(part), "{target}: {part:?} missing from:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn the_cli_manages_another_hosts_networks_over_ssh() {
    let local = Sandbox::start();
    let mut remote = Sandbox::start();
    remote.serve_ssh();
    let definition = remote.dir.path().join("lab.xml");
    std::fs::write(&definition, LAB).unwrap();

    let defined = succeeded(remote.virtnet_over_ssh(&["net-define", definition.to_str().unwrap()], &[]));
    assert!(defined.contains("Network lab defined"), "{defined}");
    succeeded(remote.virtnet_over_ssh(&["net-start", "lab"], &[]));
    let listed = succeeded(remote.virtnet_over_ssh(&["net-list"], &[]));
    assert!(
        listed.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["lab", "active", "no", "yes"]),
        "{listed}"
    );
    // The network is the far host's: its bridge is in that host's namespace, and the
    // local host knows nothing of it.
    assert!(remote.link("vnlab").is_some(), "no bridge on the remote host");
    assert!(local.link("vnlab").is_none());
    assert!(!local.virtnet(&["net-list", "--all"]).contains("lab"));

    // A guest of the far host gets a lease, and the near host reads it over ssh.
    let guest = Guest::plug(&remote, "vnlab", Some("52:54:00:77:00:01"));
    let lease = guest.dhcp("farguest");
    assert!(lease.ip.starts_with("10.77.0."), "{}", lease.ip);
    let mut leases = String::new();
    for _ in 0..50 {
        leases = succeeded(remote.virtnet_over_ssh(&["net-dhcp-leases", "lab"], &[]));
        if leases.contains(&lease.ip) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(leases.contains("52:54:00:77:00:01") && leases.contains("farguest"), "{leases}");

    succeeded(remote.virtnet_over_ssh(&["net-destroy", "lab"], &[]));
    assert!(remote.link("vnlab").is_none());
    // Every call went through sshd with the sandbox's key: the transport was ssh.
    assert!(remote.sshd_log().matches("Accepted publickey for root").count() >= 5, "{}", remote.sshd_log());
}

#[test]
fn remote_failures_each_say_what_went_wrong() {
    // The far bus lets root own the next API version's name, as a newer virtnet's
    // policy would.
    let mut remote = Sandbox::start_with(false, |dir| {
        std::fs::create_dir_all(dir.join("bus.d")).unwrap();
        std::fs::write(
            dir.join("bus.d/helper2.conf"),
            r#"<busconfig><policy user="root"><allow own="io.github.virtnet.Helper2"/></policy></busconfig>"#,
        )
        .unwrap();
    });
    remote.serve_ssh();
    let before = remote.virtnet(&["net-list", "--all"]);

    // A host that does not exist on any network.
    fails_saying(
        &remote,
        "ssh://root@192.0.2.1",
        &[],
        &["error: cannot reach 192.0.2.1:", "Network is unreachable", "hint:"],
    );
    // A host where nothing listens for ssh.
    fails_saying(&remote, "ssh://root@127.0.0.1:2222", &[], &["error: cannot reach 127.0.0.1:", "Connection refused"]);
    // A key the host does not know.
    let other = remote.dir.path().join("other_key");
    let made = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&other).status().unwrap();
    assert!(made.success());
    fails_saying(
        &remote,
        common::sandbox::SSH_TARGET,
        &[("SANDBOX_SSH_KEY", other.to_str().unwrap())],
        &["error: 127.0.0.1 refused the login over ssh:", "Permission denied (publickey)", "authorized_keys"],
    );
    // A target that would smuggle an option into ssh never reaches ssh.
    fails_saying(&remote, "ssh://-oProxyCommand=touch%20/tmp/x", &[], &["starts with “-”"]);
    fails_saying(&remote, "ssh://root@host:99999", &[], &["the port “99999” is not a number from 1 to 65535"]);

    // The host is there, virtnetd is not.
    remote.stop_helper();
    fails_saying(
        &remote,
        common::sandbox::SSH_TARGET,
        &[],
        &["error: virtnetd is not running on 127.0.0.1 (io.github.virtnet.Helper1 has no owner and cannot be started)"],
    );
    // A virtnetd of another API version is there: the bus name tells.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let newer = runtime.block_on(async {
        let conn = remote.connect().await;
        conn.request_name("io.github.virtnet.Helper2").await.unwrap();
        conn
    });
    fails_saying(
        &remote,
        common::sandbox::SSH_TARGET,
        &[],
        &[
            "virtnetd on 127.0.0.1 speaks another version of the API (io.github.virtnet.Helper2); this virtnet needs io.github.virtnet.Helper1",
        ],
    );
    drop(newer);
    remote.restart_helper();
    assert_eq!(remote.virtnet(&["net-list", "--all"]), before, "a failed connection changed nothing");
}

#[test]
fn descriptor_passing_says_it_works_only_locally() {
    let mut remote = Sandbox::start();
    remote.serve_ssh();
    let ports_before = remote.virtnet(&["net-port-list", "default"]);
    // qemu would pass its socket as descriptor 3; here the refusal comes before any use.
    let out = Command::new(env!("CARGO_BIN_EXE_virtnet-bridge-helper"))
        .args(["--br=virbr0", "--fd=0", "-c", common::sandbox::SSH_TARGET])
        .env("VIRTNET_SSH", remote.ssh_program())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "OpenPort passes a file descriptor, which works only on this computer, not over ssh to 127.0.0.1"
        ),
        "{stderr}"
    );
    assert!(!out.status.success());
    assert_eq!(remote.virtnet(&["net-port-list", "default"]), ports_before, "no port was made");
}
