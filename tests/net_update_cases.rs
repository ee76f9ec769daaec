//! Every one of libvirt's net-update cases (tests/data/update/cases.txt, from libvirt's
//! networkxml2xmlupdatetest.c, over the corpus's fragments): the edited definition is
//! what libvirt writes, and each case libvirt refuses is refused with a sentence.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use common::{canonical_xml, corpus_dir, read_corpus_file};
use virtnet::model::Network;
use virtnet::model::update::{Command, Section, apply};

#[test]
fn every_libvirt_update_case_passes() {
    let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/update/cases.txt")).unwrap();
    let corpus = corpus_dir();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [name, fragment, base, expected, command, section, index] = fields[..] else {
            panic!("bad line: {line}");
        };
        count += 1;
        let fragment = read_corpus_file(&corpus.join("networkxml2xmlupdatein").join(format!("{fragment}.xml")));
        let base = Network::from_xml(&read_corpus_file(&corpus.join("networkxml2xmlin").join(format!("{base}.xml"))))
            .unwrap_or_else(|e| panic!("{name}: base does not read: {e}"));
        let command = Command::from_word(command).unwrap();
        let section = Section::from_word(section).unwrap();
        let result = apply(&base, command, section, index.parse().unwrap(), &fragment);
        match (expected, result) {
            ("FAIL", Ok(network)) => failures.push(format!("{name}: should fail, gave:\n{}", network.to_xml())),
            ("FAIL", Err(message)) => {
                // A sentence a person can act on: says what, names no internals.
                if message.len() < 20 || message.contains("Err(") || message.contains("panicked") {
                    failures.push(format!("{name}: refused without a sentence: {message}"));
                }
            }
            ("REFUSED", Ok(_)) => failures.push(format!("{name}: virtnet refuses this result, but it was taken")),
            ("REFUSED", Err(message)) => {
                if !message.contains("forwards through one uplink at most") {
                    failures.push(format!("{name}: refused for another reason: {message}"));
                }
            }
            (out, Ok(network)) => {
                let want = read_corpus_file(&corpus.join("networkxml2xmlupdateout").join(format!("{out}.xml")));
                let (got, want) = (canonical_xml(&network.to_xml()), canonical_xml(&want));
                if got != want {
                    failures.push(format!("{name}: differs\n--- got\n{got}\n--- libvirt\n{want}"));
                }
            }
            (_, Err(message)) => failures.push(format!("{name}: refused: {message}")),
        }
    }
    assert!(count >= 47, "only {count} cases read");
    assert!(failures.is_empty(), "{} of {count} cases fail:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn sections_and_commands_have_libvirts_numbers_and_words() {
    assert_eq!(Section::from_number(4), Some(Section::IpDhcpHost));
    assert_eq!(Section::from_word("dns-srv").map(|s| s as u32), Some(12));
    assert_eq!(Command::from_number(3), Some(Command::AddLast));
    assert_eq!(Command::from_word("add"), Some(Command::AddLast));
    assert_eq!(Section::from_number(13), None);
    let base = Network::from_xml("<network><name>n</name><ip address='10.1.0.1' prefix='24'/></network>").unwrap();
    let refused = apply(&base, Command::Modify, Section::Domain, -1, "<domain name='x'/>").unwrap_err();
    assert_eq!(refused, "can't update 'domain' section of network 'n'");
}
