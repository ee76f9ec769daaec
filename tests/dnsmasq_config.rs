//! dnsmasq's configuration, rendered for every case of libvirt's own test data, equals
//! libvirt's line for line once libvirt's state folder is replaced by ours (and the
//! comment header, which names the tool, is left out).

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{corpus_dir, read_corpus_file, stem, xml_files};
use virtnet::helper::dnsmasq::config::{Paths, needed, render};
use virtnet::model::Network;

const OUR_DIR: &str = "/var/lib/virtnet/dnsmasq";
const LIBVIRT_DIR: &str = "/var/lib/libvirt/dnsmasq/";

fn without_comments(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.starts_with('#')).map(str::to_owned).collect()
}

#[test]
fn every_libvirt_case_renders_the_same_configuration() {
    let dir = corpus_dir().join("networkxml2confdata");
    let mut failures = Vec::new();
    let mut checked = 0;
    for input in xml_files(&dir) {
        let name = stem(&input);
        let network = Network::from_xml(&read_corpus_file(&input)).unwrap();
        network.validate().unwrap_or_else(|p| panic!("{name}: {p}"));
        let files = render(&network, &Paths::new(Path::new(OUR_DIR), None, &network.name));

        let expected = read_corpus_file(&dir.join(format!("{name}.conf"))).replace(LIBVIRT_DIR, &format!("{OUR_DIR}/"));
        if without_comments(&files.conf) != without_comments(&expected) {
            failures.push(format!("{name}.conf\n--- virtnet\n{}\n--- libvirt\n{}", files.conf, expected));
        }
        let hosts_path = dir.join(format!("{name}.hostsfile"));
        let expected_hosts = if hosts_path.exists() { read_corpus_file(&hosts_path) } else { String::new() };
        if files.hostsfile != expected_hosts {
            failures.push(format!("{name}.hostsfile\n--- virtnet\n{}--- libvirt\n{}", files.hostsfile, expected_hosts));
        }
        assert_eq!(needed(&network), name != "routed-network-no-dns", "{name}: whether dnsmasq runs");
        checked += 1;
    }
    assert!(failures.is_empty(), "{} of {checked} differ:\n\n{}", failures.len(), failures.join("\n\n"));
    assert_eq!(checked, 27, "libvirt's corpus has 27 configuration cases");
}

#[test]
fn the_header_names_the_network_and_the_dns_hosts_file_lists_names() {
    let network = Network::from_xml(
        "<network><name>lab</name><bridge name='virbr3'/><dns><host ip='10.0.0.5'><hostname>web</hostname><hostname>www</hostname></host></dns><ip address='10.0.0.1' prefix='24'/></network>",
    )
    .unwrap();
    let files = render(&network, &Paths::new(Path::new("/state"), Some(Path::new("/run/virtnet")), "lab"));
    assert!(files.conf.contains("##    virtnet net-edit lab\n"));
    assert!(files.conf.contains("\npid-file=/run/virtnet/lab.pid\nexcept-interface=lo\n"), "{}", files.conf);
    assert_eq!(files.addnhosts, "10.0.0.5\tweb\twww\n");
}
