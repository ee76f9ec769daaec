//! libvirt's own network XML test data, read and written back: every case libvirt
//! accepts comes out equal (as XML) to what libvirt writes, and the cases libvirt
//! refuses are refused here, with a message saying why.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::{canonical_xml, corpus_dir, read_corpus_file, stem, xml_files};
use virtnet::model::Network;

#[test]
fn every_accepted_case_formats_like_libvirt() {
    let corpus = corpus_dir();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut byte_differences = Vec::new();
    for input in xml_files(&corpus.join("networkxml2xmlin")) {
        let expected_path = corpus.join("networkxml2xmlout").join(input.file_name().unwrap());
        if !expected_path.exists() {
            continue;
        }
        let name = stem(&input);
        let network = match Network::from_xml(&read_corpus_file(&input)) {
            Ok(n) => n,
            Err(problems) => {
                failures.push(format!("{name}: refused:\n{problems}"));
                continue;
            }
        };
        let written = network.to_xml();
        let expected = read_corpus_file(&expected_path);
        if canonical_xml(&written) != canonical_xml(&expected) {
            failures.push(format!(
                "{name}: differs from libvirt's output\n--- virtnet\n{}--- libvirt\n{}",
                canonical_xml(&written),
                canonical_xml(&expected)
            ));
        }
        // Beyond XML equality: apart from <metadata>, which libvirt re-serialises with
        // its own quoting, the text is byte for byte what libvirt writes.
        if network.metadata.is_none() && written != expected {
            byte_differences.push(name.clone());
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} of {checked} cases failed:\n\n{}", failures.len(), failures.join("\n\n"));
    assert_eq!(checked, 43, "the corpus should have 43 round-trip cases");
    assert!(byte_differences.is_empty(), "not byte-identical to libvirt: {byte_differences:?}");
}

#[test]
fn cases_libvirt_rejects_are_rejected_with_a_reason() {
    let corpus = corpus_dir().join("networkxml2xmlin");
    let cases = [
        ("routed-network-no-dns-extra-elements", "dns: enable='no' turns DNS off, so it cannot also have"),
        ("open-network-with-forward-dev", "forward: mode='open' cannot have dev='eth0'"),
        ("hostdev-duplicate", "forward/address[3]: PCI address 0000:03:00.3 is listed twice"),
        ("passthrough-duplicate", "forward/interface[3]: interface eth3 is listed twice"),
    ];
    for (case, expected) in cases {
        let text = read_corpus_file(&corpus.join(format!("{case}.xml")));
        let problems = Network::from_xml(&text).expect_err(case).to_string();
        assert!(problems.contains(expected), "{case}: expected {expected:?}, got:\n{problems}");
    }
}

#[test]
fn formatting_is_stable() {
    // Writing what was read from our own output changes nothing, byte for byte.
    let corpus = corpus_dir();
    for dir in ["networkxml2xmlin", "networkxml2xmlout", "networkxml2confdata", "networkxml2firewalldata"] {
        for input in xml_files(&corpus.join(dir)) {
            let Ok(network) = Network::from_xml(&read_corpus_file(&input)) else { continue };
            let once = network.to_xml();
            let again = Network::from_xml(&once)
                .unwrap_or_else(|p| panic!("{}: own output refused:\n{p}\n{once}", input.display()));
            assert_eq!(again, network, "{}: model changed on re-read", input.display());
            assert_eq!(again.to_xml(), once, "{}", input.display());
        }
    }
}
