//! `virtnet net-*` against a real virtnetd in a sandbox: each command's output (golden,
//! and byte for byte what virsh prints for the same state), exit codes, the error paths,
//! `net-edit` driven by an editor script, completion of network names.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::net::Guest;
use common::sandbox::Sandbox;

const LAB_UUID: &str = "4e1a5e7c-4bbd-4a3f-9c1e-0d8f3f0a1b2c";

struct Cli<'a> {
    sandbox: &'a Sandbox,
}

impl Cli<'_> {
    fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_virtnet"))
            .args(args)
            .env("VIRTNET_CONNECT", self.sandbox.address())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[], "")
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "virtnet {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "virtnet {args:?} wrote to stderr:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs a command that must fail with exit code 1; returns its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(1), "virtnet {args:?}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8(out.stderr).unwrap()
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cli").join(name)).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A sandbox without the default network, so outputs are stable.
fn clean_sandbox() -> Sandbox {
    let sandbox = Sandbox::start();
    let cli = Cli { sandbox: &sandbox };
    cli.ok(&["-q", "net-destroy", "default"]);
    cli.ok(&["-q", "net-undefine", "default"]);
    sandbox
}

#[test]
fn lifecycle_commands_print_what_virsh_prints() {
    let sandbox = clean_sandbox();
    let cli = Cli { sandbox: &sandbox };
    let dir = tempfile::tempdir().unwrap();
    let lab = write(
        dir.path(),
        "lab.xml",
        &format!(
            "<network><name>lab</name><uuid>{LAB_UUID}</uuid><bridge name='vnlab'/><mac address='52:54:00:aa:00:01'/><ip address='10.7.0.1' prefix='24'><dhcp><range start='10.7.0.10' end='10.7.0.20'/></dhcp></ip></network>"
        ),
    );

    assert_eq!(
        cli.ok(&["net-list"]),
        " Name   State   Autostart   Persistent\n----------------------------------------\n\n"
    );
    assert_eq!(cli.ok(&["net-define", &lab]), format!("Network lab defined from {lab}\n\n"));
    assert_eq!(
        cli.ok(&["net-list", "--all"]),
        format!(
            " Name   State      Autostart   Persistent\n{}\n lab    inactive   no          yes\n\n",
            "-".repeat(43)
        )
    );
    assert_eq!(
        cli.ok(&["net-list"]),
        " Name   State   Autostart   Persistent\n----------------------------------------\n\n"
    );
    assert_eq!(cli.ok(&["net-start", "lab"]), "Network lab started\n\n");
    assert_eq!(cli.ok(&["net-autostart", LAB_UUID]), "Network lab marked as autostarted\n\n");
    assert_eq!(
        cli.ok(&["net-info", "lab"]),
        format!(
            "Name:           lab\nUUID:           {LAB_UUID}\nActive:         yes\nPersistent:     yes\nAutostart:      yes\nBridge:         vnlab\n\n"
        )
    );
    assert_eq!(cli.ok(&["net-list", "--name"]), "lab\n\n");
    assert_eq!(cli.ok(&["net-list", "--uuid"]), format!("{LAB_UUID}\n\n"));
    assert_eq!(
        cli.ok(&["net-list", "--uuid", "--table"]),
        format!(
            " UUID                                   Name   State    Autostart   Persistent\n{}\n {LAB_UUID}   lab    active   yes         yes\n\n",
            "-".repeat(80)
        )
    );
    assert_eq!(cli.ok(&["net-uuid", "lab"]), format!("{LAB_UUID}\n\n"));
    assert_eq!(cli.ok(&["net-name", LAB_UUID]), "lab\n\n");
    let json: serde_json::Value = serde_json::from_str(&cli.ok(&["net-list", "--json"])).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{ "name": "lab", "uuid": LAB_UUID, "active": true, "persistent": true,
                             "autostart": true, "bridge": "vnlab", "forward_mode": "none" }])
    );
    let xml = cli.ok(&["net-dumpxml", "lab"]);
    assert!(xml.starts_with(&format!("<network>\n  <name>lab</name>\n  <uuid>{LAB_UUID}</uuid>\n")), "{xml}");
    assert!(xml.ends_with("</network>\n"));
    assert_eq!(cli.ok(&["net-dumpxml", "lab", "--inactive"]), xml);

    // Leases: virsh's empty table, then a guest's lease.
    assert_eq!(cli.ok(&["net-dhcp-leases", "lab"]), fixture("virsh-9.0-net-dhcp-leases-empty.txt"));
    let guest = Guest::plug(&sandbox, "vnlab", Some("52:54:00:11:22:33"));
    let lease = guest.dhcp("g1");
    // dnsmasq runs the lease script after its answer: the lease may be recorded a
    // moment after the guest has its address.
    let began = std::time::Instant::now();
    let table = loop {
        let table = cli.ok(&["net-dhcp-leases", "lab", "--mac", "52:54:00:11:22:33"]);
        if table.lines().count() > 3 || began.elapsed() > std::time::Duration::from_secs(10) {
            break table;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    let row: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        row[2..],
        ["52:54:00:11:22:33", "ipv4", &format!("{}/24", lease.ip), "g1", "01:52:54:00:11:22:33"],
        "{table}"
    );
    assert!(cli.ok(&["net-dhcp-leases", "lab", "--mac", "52:54:00:99:99:99"]).lines().count() == 3);
    let json: serde_json::Value = serde_json::from_str(&cli.ok(&["net-dhcp-leases", "lab", "--json"])).unwrap();
    assert_eq!(json[0]["address"], lease.ip.as_str());
    assert_eq!(json[0]["hostname"], "g1");

    assert_eq!(cli.ok(&["net-reload"]), "Firewall rules of the active networks applied again\n\n");
    assert_eq!(cli.ok(&["net-autostart", "lab", "--disable"]), "Network lab unmarked as autostarted\n\n");
    assert_eq!(cli.ok(&["net-destroy", "lab"]), "Network lab destroyed\n\n");
    assert_eq!(cli.ok(&["net-undefine", "lab"]), "Network lab has been undefined\n\n");
    assert_eq!(cli.ok(&["net-create", &lab]), format!("Network lab created from {lab}\n\n"));
    assert_eq!(cli.ok(&["-q", "net-destroy", "lab"]), "");
    assert_eq!(cli.ok(&["net-list", "--all", "--name"]), "\n");
}

#[test]
fn the_shapes_are_virshs_byte_for_byte() {
    let sandbox = clean_sandbox();
    let cli = Cli { sandbox: &sandbox };
    let dir = tempfile::tempdir().unwrap();
    // The state the virsh outputs were captured in (tests/data/cli/README.md).
    let xml = write(
        dir.path(),
        "lvtest.xml",
        "<network><name>lvtest</name><uuid>5b1fef03-80a7-4208-80d5-8ddb722889a0</uuid><forward mode='nat'/><bridge name='virbr0'/><ip address='192.168.160.1' prefix='24'><dhcp><range start='192.168.160.2' end='192.168.160.254'/></dhcp></ip></network>",
    );
    cli.ok(&["net-define", &xml]);
    assert_eq!(cli.ok(&["net-list", "--all"]), fixture("virsh-9.0-net-list-all.txt"));
    cli.ok(&["net-start", "lvtest"]);
    cli.ok(&["net-autostart", "lvtest"]);
    assert_eq!(cli.ok(&["net-info", "lvtest"]), fixture("virsh-9.0-net-info.txt"));
    assert_eq!(cli.ok(&["net-dhcp-leases", "lvtest"]), fixture("virsh-9.0-net-dhcp-leases-empty.txt"));
}

#[test]
fn errors_say_what_is_wrong_and_what_to_do() {
    let sandbox = Sandbox::start();
    let cli = Cli { sandbox: &sandbox };
    let dir = tempfile::tempdir().unwrap();

    assert_eq!(
        cli.fails(&["net-info", "nosuch"]),
        "error: failed to get network 'nosuch'\nerror: no network with matching name or UUID 'nosuch'\nhint: see the networks there are with 'virtnet net-list --all'\n"
    );
    assert!(cli.fails(&["net-start", "default"]).starts_with("error: network 'default' is already active\n"));
    let bad = write(
        dir.path(),
        "bad.xml",
        "<network><name>bad/x</name><ip address='10.9.0.1' prefix='24'><dhcp><range start='10.9.1.5' end='10.9.0.9'/></dhcp></ip></network>",
    );
    assert_eq!(
        cli.fails(&["net-define", &bad]),
        "error: the definition has 2 problems:\nerror: name: 'bad/x' contains '/'; names may not contain '/', ',' or control characters\nerror: ip[0]/dhcp/range[0]: start 10.9.1.5 is outside 10.9.0.0/24\n"
    );
    assert_eq!(
        cli.fails(&["net-define", "/nonexistent.xml"]),
        "error: failed to read '/nonexistent.xml': no such file\n"
    );
    let unreachable = cli.run_with(&["-c", "unix:path=/nonexistent/bus", "net-list"], &[], "");
    assert_eq!(unreachable.status.code(), Some(1));
    let text = String::from_utf8_lossy(&unreachable.stderr);
    assert!(text.starts_with("error: cannot reach the bus unix:path=/nonexistent/bus: "), "{text}");
    assert!(text.contains("hint: start it with 'systemctl start virtnetd'"), "{text}");

    // Not authorized: the helper's sentence and what to do.
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_virtnet"),
            "-c",
            sandbox.address(),
            "net-destroy",
            "default",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: not authorized to stop network 'default': this helper runs with --auth root and only root may change networks (the caller is uid 65534)\nhint: run the command as root, or as a user polkit allows to manage virtual networks (io.github.virtnet.manage)\n"
    );
    // Usage errors are clap's (exit 2), as for any command-line tool.
    assert_eq!(cli.run(&["net-start"]).status.code(), Some(2));
}

/// An editor that writes, at its n-th run, the n-th of `texts` into the file.
fn scripted_editor(dir: &Path, texts: &[&str]) -> String {
    for (i, text) in texts.iter().enumerate() {
        std::fs::write(dir.join(format!("text{i}")), text).unwrap();
    }
    let script = format!(
        "#!/bin/sh\nn=$(cat '{d}/count' 2>/dev/null || echo 0)\necho $((n + 1)) > '{d}/count'\ncp \"{d}/text$n\" \"$1\"\n",
        d = dir.display()
    );
    let path = dir.join("editor");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[test]
fn net_edit_keeps_an_invalid_edit_for_another_try() {
    let sandbox = clean_sandbox();
    let cli = Cli { sandbox: &sandbox };
    let dir = tempfile::tempdir().unwrap();
    let lab = format!("<network><name>lab</name><uuid>{LAB_UUID}</uuid><ip address='10.7.0.1' prefix='24'/></network>");
    cli.ok(&["net-define", &write(dir.path(), "lab.xml", &lab)]);

    // Unchanged.
    let same = cli.ok(&["net-dumpxml", "lab", "--inactive"]);
    let editor = scripted_editor(&dir.path().join("e1").tap_mkdir(), &[&same]);
    let out = cli.run_with(&["net-edit", "lab"], &[("EDITOR", &editor), ("VISUAL", "")], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Network lab XML configuration not changed.\n\n");

    // Invalid, then (answering y) valid: the second run starts from the first's text.
    let invalid = same.replace("10.7.0.1", "10.7.0.0");
    let valid = same.replace("10.7.0.1", "10.8.0.1");
    let editor = scripted_editor(&dir.path().join("e2").tap_mkdir(), &[&invalid, &valid]);
    let out = cli.run_with(&["net-edit", "lab"], &[("EDITOR", &editor)], "y\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: ip[0]: address 10.7.0.0 is the network address of 10.7.0.0/24; the host needs an address inside it, such as 10.7.0.1\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Failed. Try again? [y,n,?]:Network lab XML configuration edited.\n\n"
    );
    assert!(cli.ok(&["net-dumpxml", "lab", "--inactive"]).contains("10.8.0.1"));

    // Invalid, then n: nothing saved, exit 1.
    let editor = scripted_editor(&dir.path().join("e3").tap_mkdir(), &[&invalid]);
    let out = cli.run_with(&["net-edit", "lab"], &[("EDITOR", &editor)], "?\nn\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("y - make changes, then try again"));
    assert!(String::from_utf8_lossy(&out.stderr).ends_with("error: the changes to network lab were not saved\n"));
    assert!(cli.ok(&["net-dumpxml", "lab", "--inactive"]).contains("10.8.0.1"));
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("virtnet-") && n.ends_with("-lab.xml"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn help_and_completion() {
    let help = Command::new(env!("CARGO_BIN_EXE_virtnet")).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for command in [
        "net-list",
        "net-info",
        "net-start",
        "net-destroy",
        "net-undefine",
        "net-autostart",
        "net-name",
        "net-uuid",
        "net-dumpxml",
        "net-define",
        "net-create",
        "net-edit",
        "net-dhcp-leases",
        "net-reload",
        "validate",
        "format",
    ] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(&format!("{command} "))), "{command} missing:\n{text}");
    }
    let man = Command::new(env!("CARGO_BIN_EXE_virtnet")).arg("manpage").output().unwrap();
    assert!(String::from_utf8_lossy(&man.stdout).starts_with(".ie \\n(.g .ds Aq \\(aq"));

    // Network names complete from the running helper.
    let sandbox = Sandbox::start();
    let complete = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(["--", "virtnet", "net-start", "de"])
        .env("COMPLETE", "fish")
        .env("VIRTNET_CONNECT", sandbox.address())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&complete.stdout), "default\n");
    for shell in ["bash", "zsh", "fish"] {
        let script = Command::new(env!("CARGO_BIN_EXE_virtnet")).env("COMPLETE", shell).output().unwrap();
        assert!(String::from_utf8_lossy(&script.stdout).contains("COMPLETE="), "{shell}");
    }
}
