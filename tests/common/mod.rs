//! Helpers shared by the integration tests.
// Test helpers: a panic here is a failed test, so unwrapping is the right reaction.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// libvirt's test data, read-only, beside the project (see the corpus README).
/// `VIRTNET_LIBVIRT_CORPUS` points elsewhere if needed.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("VIRTNET_LIBVIRT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/libvirt-corpus"));
    assert!(
        dir.join("networkxml2xmlin").is_dir(),
        "libvirt's corpus is not at {} (set VIRTNET_LIBVIRT_CORPUS)",
        dir.display()
    );
    dir
}

/// Reads a corpus file. Some are git symlinks checked out as text files holding the
/// relative target (`../networkxml2confdata/x.xml`): follow those.
pub fn read_corpus_file(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let trimmed = text.trim();
    if trimmed.starts_with("../") && !trimmed.contains('<') && !trimmed.contains('\n') {
        let target = path.parent().unwrap().join(trimmed);
        return read_corpus_file(&target);
    }
    text
}

/// Sorted `*.xml` files of a corpus folder.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

pub fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// A canonical text form of an XML document for comparing two documents as XML:
/// elements by namespace and local name in order, attributes sorted, whitespace-only
/// text ignored, namespace declarations and quoting ignored.
pub fn canonical_xml(text: &str) -> String {
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not XML: {e}\n{text}"));
    let mut out = String::new();
    canonical_node(doc.root_element(), 0, &mut out);
    out
}

fn canonical_node(node: roxmltree::Node<'_, '_>, depth: usize, out: &mut String) {
    let name = node.tag_name();
    let mut attrs: Vec<String> = node
        .attributes()
        .map(|a| {
            format!("{}{}={:?}", a.namespace().map(|n| format!("{{{n}}}")).unwrap_or_default(), a.name(), a.value())
        })
        .collect();
    attrs.sort();
    out.push_str(&format!(
        "{}{}{} [{}]\n",
        "  ".repeat(depth),
        name.namespace().map(|n| format!("{{{n}}}")).unwrap_or_default(),
        name.name(),
        attrs.join(" ")
    ));
    for child in node.children() {
        if child.is_element() {
            canonical_node(child, depth + 1, out);
        } else if child.is_text() {
            let text = child.text().unwrap_or("");
            if !text.trim().is_empty() {
                out.push_str(&format!("{}text {:?}\n", "  ".repeat(depth + 1), text));
            }
        }
    }
}

pub fn xmllint() -> &'static str {
    assert!(Path::new("/usr/bin/xmllint").exists(), "xmllint is missing: install libxml2-utils (build-aux/test does)");
    "/usr/bin/xmllint"
}

pub mod gui;
pub mod net;
pub mod sandbox;

/// Runs each `async fn NAME(backend: &str)` of the test file as two tests,
/// `nftables::NAME` and `iptables::NAME`: the datapath must behave the same on both.
#[allow(unused_macros)] // used by the datapath test files only
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {
        mod nftables {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name("nftables").await })*
        }
        mod iptables {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name("iptables").await })*
        }
    };
}
#[allow(unused_imports)] // used by the datapath test files only
pub(crate) use for_each_backend;
