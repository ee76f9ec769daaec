//! Everything virtnet writes validates against libvirt's RELAX NG schema for networks
//! (checked with xmllint): every corpus definition as formatted, and again after the
//! define-time defaults (UUID, bridge name, MAC) have been added.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{corpus_dir, read_corpus_file, stem, xml_files, xmllint};
use virtnet::model::{Network, apply_defaults};

#[test]
fn written_definitions_validate_against_libvirts_schema() {
    let corpus = corpus_dir();
    let out = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    let mut seed = 0u8;
    for dir in ["networkxml2xmlin", "networkxml2confdata", "networkxml2firewalldata"] {
        for input in xml_files(&corpus.join(dir)) {
            let Ok(mut network) = Network::from_xml(&read_corpus_file(&input)) else { continue };
            let plain = out.path().join(format!("{dir}-{}.xml", stem(&input)));
            std::fs::write(&plain, network.to_xml()).unwrap();
            written.push(plain);

            network.uuid = None;
            apply_defaults(&mut network, &|name| name == "virbr0", &mut |buf: &mut [u8]| {
                for b in buf {
                    seed = seed.wrapping_add(7);
                    *b = seed;
                }
            })
            .unwrap();
            let defaulted = out.path().join(format!("{dir}-{}-defaults.xml", stem(&input)));
            std::fs::write(&defaulted, network.to_xml()).unwrap();
            written.push(defaulted);
        }
    }
    assert!(written.len() > 100, "expected the whole corpus, wrote {}", written.len());

    let result = Command::new(xmllint())
        .arg("--noout")
        .arg("--relaxng")
        .arg(corpus.join("schemas/network.rng"))
        .args(&written)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    let failed: Vec<&str> = stderr.lines().filter(|l| !l.ends_with(" validates")).collect();
    assert!(result.status.success() && failed.is_empty(), "xmllint refused:\n{}", failed.join("\n"));
    assert_eq!(stderr.lines().filter(|l| l.ends_with(" validates")).count(), written.len());
}
