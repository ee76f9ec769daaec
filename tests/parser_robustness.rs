//! Untrusted input never makes the reader panic, and whatever it accepts it writes
//! back faithfully, and a second write gives the same bytes. A bounded property-based
//! fuzz run (proptest) over random text, mutated libvirt corpus documents, namespace
//! bindings in `<metadata>` and random values in every free-text field.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use virtnet::model::dns::{Dns, TxtRecord};
use virtnet::model::network::Metadata;
use virtnet::model::{Network, parse_and_validate};

fn corpus_documents() -> &'static Vec<String> {
    static DOCS: OnceLock<Vec<String>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let corpus = common::corpus_dir();
        ["networkxml2xmlin", "networkxml2confdata"]
            .iter()
            .flat_map(|dir| common::xml_files(&corpus.join(dir)))
            .map(|path| common::read_corpus_file(&path))
            .collect()
    })
}

/// If the reader accepts a document, writing and re-reading it gives the same model,
/// and the written text is well-formed XML for another parser too.
fn check_accepted_round_trips(text: &str) {
    let _ = parse_and_validate(text);
    if let Ok(network) = Network::from_xml(text) {
        let written = network.to_xml();
        roxmltree::Document::parse(&written).unwrap_or_else(|e| panic!("own output is not XML ({e}):\n{written}"));
        let again = Network::from_xml(&written).unwrap_or_else(|p| panic!("own output refused:\n{p}\n{written}"));
        assert_eq!(again, network, "{written}");
        // A second format gives the same bytes.
        assert_eq!(again.to_xml(), written, "a second format differs");
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, snippet: String },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        Just("<".to_owned()),
        Just("</ip>".to_owned()),
        Just("<ip address='::1' prefix='200'>".to_owned()),
        Just("&amp;".to_owned()),
        Just("&#0;".to_owned()),
        Just("&#x10FFFF;".to_owned()),
        Just("<![CDATA[x]]>".to_owned()),
        Just("'\"".to_owned()),
        Just(" mode='hostdev'".to_owned()),
        Just("<dnsmasq:option value='x'/>".to_owned()),
        Just("<metadata><a:b xmlns:a='urn:x'/></metadata>".to_owned()),
        "\\PC{0,12}",
    ];
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), snippet).prop_map(|(at, snippet)| Mutation::Insert { at, snippet }),
        (any::<usize>(), 1usize..80).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn apply(doc: &str, mutations: &[Mutation]) -> String {
    let mut bytes = doc.as_bytes().to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Delete { at, len: n } => {
                let start = at % len;
                let end = (start + n).min(bytes.len());
                bytes.drain(start.min(bytes.len())..end);
            }
            Mutation::Insert { at, snippet } => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, snippet.bytes());
            }
            Mutation::Duplicate { at, len: n } => {
                let start = (at % len).min(bytes.len());
                let end = (start + n).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                bytes.splice(end..end, copy);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A definition whose `<network>` and `<metadata>` bind prefixes (the same ones, or not;
/// to the same URIs, or not) that the metadata's content uses, with or without
/// `<dnsmasq:options>`: the shapes in which bindings once got lost or doubled.
fn namespaced_definition() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec!["p", "q", "dnsmasq"]);
    let uri = prop::sample::select(vec!["urn:a", "urn:b", "http://libvirt.org/schemas/network/dnsmasq/1.0"]);
    let bindings = prop::collection::vec((prefix.clone(), uri), 0..3);
    (bindings.clone(), bindings, prop::collection::vec(prefix, 0..3), any::<bool>()).prop_map(
        |(root, own, used, options)| {
            let declare = |bindings: &[(&str, &str)]| -> String {
                let mut seen = Vec::new();
                let mut out = String::new();
                for (p, u) in bindings {
                    if !seen.contains(p) {
                        seen.push(*p);
                        out.push_str(&format!(" xmlns:{p}='{u}'"));
                    }
                }
                out
            };
            let content: String = used.iter().map(|p| format!("<{p}:x {p}:a='1'>t</{p}:x>")).collect();
            let options =
                if options { "<dnsmasq:options><dnsmasq:option value='log-queries'/></dnsmasq:options>" } else { "" };
            format!(
                "<network{}><name>n</name><metadata{}>{content}</metadata>{options}</network>",
                declare(&root),
                declare(&own)
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Whatever such a definition the model accepts, `format` writes something it
    /// accepts again, and a second `format` gives the same bytes.
    #[test]
    fn namespaced_metadata_round_trips(xml in namespaced_definition()) {
        check_accepted_round_trips(&xml);
    }

    #[test]
    fn mutated_corpus_documents_never_panic(index in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let docs = corpus_documents();
        let doc = &docs[index % docs.len()];
        check_accepted_round_trips(&apply(doc, &mutations));
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        check_accepted_round_trips(&text);
        check_accepted_round_trips(&format!("<network>{text}</network>"));
        check_accepted_round_trips(&format!("<network><name>{text}</name><ip address='{text}'/></network>"));
    }

    #[test]
    fn any_text_in_free_text_fields_round_trips(
        name in "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\u{FFFE}\\u{FFFF}]{1,40}",
        title in "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\u{FFFE}\\u{FFFF}]{0,40}",
        value in "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\u{FFFE}\\u{FFFF}]{0,40}",
    ) {
        let network = Network {
            name: name.clone(),
            title: Some(title.clone()),
            description: Some(value.clone()),
            metadata: Some(Metadata { namespaces: vec![("app".into(), "urn:app".into())], content: "<app:x>1</app:x>".into() }),
            dns: Some(Dns { txts: vec![TxtRecord { name: "t".into(), value: value.clone() }], ..Dns::default() }),
            dnsmasq_options: vec![value.clone(), title],
            ..Network::default()
        };
        let written = network.to_xml();
        let again = Network::from_xml(&written).unwrap_or_else(|p| panic!("refused:\n{p}\n{written}"));
        prop_assert_eq!(again, network);
    }
}

/// Every document of libvirt's corpus that the model accepts formats to something it
/// accepts again, and formats the same the second time.
#[test]
fn every_corpus_document_formats_stably() {
    let docs = corpus_documents();
    assert!(docs.len() > 50, "the corpus was not found");
    for doc in docs {
        check_accepted_round_trips(doc);
    }
}
