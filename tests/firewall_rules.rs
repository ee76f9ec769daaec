//! The firewall plan for each case of libvirt's firewall test data, and the nftables
//! and iptables rules made from it, as golden files (`tests/data/firewall/CASE.*`;
//! `UPDATE_GOLDEN=1` rewrites them: read the diff). The real tools check that they
//! accept the rules, inside a throw-away network namespace (nothing is applied to the
//! machine).

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{corpus_dir, read_corpus_file, stem, xml_files};
use virtnet::helper::firewall::{iptables, nftables, plan};
use virtnet::model::{Network, parse_and_validate};

fn golden(name: &str, actual: &str) -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/firewall").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    (expected != actual).then(|| format!("{name}\n--- expected\n{expected}--- actual\n{actual}"))
}

fn cases() -> Vec<(String, Network)> {
    let mut cases: Vec<(String, Network)> = xml_files(&corpus_dir().join("networkxml2firewalldata"))
        .into_iter()
        .map(|path| (stem(&path), parse_and_validate(&read_corpus_file(&path)).unwrap()))
        .collect();
    // Beyond libvirt's cases: a routed network with IPv6 and a SNAT address range.
    for (name, xml) in [
        (
            "route-ipv6-dev",
            "<network><name>r6</name><bridge name='virbr9'/><forward mode='route' dev='eth1'/><ip family='ipv6' address='fd00:1::1' prefix='64'/><ip address='10.1.0.1' prefix='24'/></network>",
        ),
        (
            "nat-address-range",
            "<network><name>snat</name><bridge name='br-lab'/><forward mode='nat'><nat><address start='198.51.100.10' end='198.51.100.20'/><port start='2000' end='3000'/></nat></forward><ip address='10.2.0.1' prefix='24'><tftp root='/srv/tftp'/></ip></network>",
        ),
        (
            "nat-port-forwards",
            concat!(
                "<network><name>pf</name><bridge name='virbr7'/><forward mode='nat'/><metadata>",
                "<virtnet:network xmlns:virtnet='https://github.com/virtnet/virtnet/xmlns/network/1'>",
                "<virtnet:portForward proto='tcp' guest='192.168.50.10'><virtnet:range start='2222' to='22'/></virtnet:portForward>",
                "<virtnet:portForward proto='both' address='198.51.100.7' guest='192.168.50.11'><virtnet:range start='8000' end='8003' to='9000'/></virtnet:portForward>",
                "<virtnet:portForward proto='udp' guest='192.168.50.12' localhost='yes'><virtnet:range start='5000' end='5010'/></virtnet:portForward>",
                "</virtnet:network></metadata><ip address='192.168.50.1' prefix='24'/></network>"
            ),
        ),
        (
            "nat-port-forward-dev-ipv6",
            concat!(
                "<network><name>pf6</name><bridge name='virbr6'/><forward mode='nat' dev='eth0'><nat ipv6='yes'/></forward><metadata>",
                "<virtnet:network xmlns:virtnet='https://github.com/virtnet/virtnet/xmlns/network/1'>",
                "<virtnet:portForward proto='tcp' guest='fd00:6::10'><virtnet:range start='443'/></virtnet:portForward>",
                "<virtnet:portForward proto='tcp' guest='10.6.0.10'><virtnet:range start='443'/></virtnet:portForward>",
                "</virtnet:network></metadata><ip address='10.6.0.1' prefix='24'/><ip family='ipv6' address='fd00:6::1' prefix='64'/></network>"
            ),
        ),
        (
            "open",
            "<network><name>open</name><bridge name='virbr8'/><forward mode='open'/><ip address='10.3.0.1' prefix='24'/></network>",
        ),
    ] {
        cases.push((name.to_owned(), parse_and_validate(xml).unwrap()));
    }
    cases
}

#[test]
fn plans_and_rules_match_the_golden_files() {
    let mut failures = Vec::new();
    for (name, network) in cases() {
        let Some(plan) = plan::plan(&network) else {
            assert_eq!(name, "open", "only open networks have no rules");
            continue;
        };
        failures.extend(golden(&format!("{name}.plan"), &plan.to_string()));
        failures.extend(golden(&format!("{name}.nft"), &nftables::render(&plan)));
        failures.extend(golden(&format!("{name}.iptables"), &iptables::render(&plan)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `tool args` with `input` in a new, empty network namespace.
fn in_new_netns(tool: &[&str], input: &str) -> std::process::Output {
    common::sandbox::require_root();
    let mut child = Command::new("unshare")
        .arg("--net")
        .args(tool)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn nft_and_iptables_accept_the_rules() {
    for (name, network) in cases() {
        let Some(plan) = plan::plan(&network) else { continue };
        let out = in_new_netns(&["nft", "-c", "-f", "-"], &nftables::render(&plan));
        assert!(out.status.success(), "{name}: nft refused:\n{}", String::from_utf8_lossy(&out.stderr));
        // iptables-restore --test checks the rules without committing them.
        let rules = iptables::render(&plan);
        let (v4, v6) = rules.split_once("# ip6tables-restore --noflush\n").unwrap();
        for (tool, input) in [("iptables-restore", v4), ("ip6tables-restore", v6)] {
            let out = in_new_netns(&[tool, "--test", "--noflush"], input);
            assert!(out.status.success(), "{name}: {tool} refused:\n{}\n{input}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
