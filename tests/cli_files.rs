//! `virtnet validate` and `virtnet format` as a user runs them.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn virtnet(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_virtnet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn invalid_case(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid").join(name).display().to_string()
}

#[test]
fn validate_reports_each_problem_with_file_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.xml");
    std::fs::write(&good, "<network><name>lab</name><ip address='192.168.100.1' prefix='24'/></network>").unwrap();
    let good = good.display().to_string();
    let bad = invalid_case("many-problems-at-once.xml");

    let out = virtnet(&["validate", &good], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{good} validates\n"));

    let out = virtnet(&["validate", &good, &bad], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with(&format!("{good} validates\n")), "{text}");
    assert!(
        text.contains(&format!("{bad}: ip[0]/dhcp/range[0]: start 10.0.0.5 is outside 192.168.100.0/24\n")),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with(&format!("{bad}: "))).count(), 6, "{text}");

    let out = virtnet(&["validate", "--quiet", &good], None);
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), ""));
}

#[test]
fn validate_says_when_a_file_cannot_be_read() {
    let out = virtnet(&["validate", "/nonexistent/net.xml"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "/nonexistent/net.xml: no such file\n");

    let out = virtnet(&["validate", "-"], Some("<network><name>a\u{0}</name></network>"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("-: not well-formed XML at line 1"), "{}", stdout(&out));
}

#[test]
fn format_writes_libvirts_canonical_form() {
    let corpus = common::corpus_dir();
    let input = corpus.join("networkxml2xmlin/nat-network-dns-forward-plain.xml");
    let expected = std::fs::read_to_string(corpus.join("networkxml2xmlout/nat-network-dns-forward-plain.xml")).unwrap();
    let out = virtnet(&["format", input.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected);

    let out = virtnet(&["format", "-"], Some("<network><name>n</name><forward dev='eth0'/></network>"));
    assert_eq!(
        stdout(&out),
        "<network>\n  <name>n</name>\n  <forward dev='eth0' mode='nat'>\n    <interface dev='eth0'/>\n  </forward>\n  <bridge stp='on' delay='0'/>\n</network>\n"
    );
}

#[test]
fn format_refuses_what_libvirt_refuses() {
    let corpus = common::corpus_dir();
    let input = corpus.join("networkxml2xmlin/open-network-with-forward-dev.xml");
    let out = virtnet(&["format", input.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).starts_with(&format!("error: {}: forward: mode='open' cannot have dev='eth0'", input.display())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn help_lists_the_commands() {
    let out = virtnet(&["--help"], None);
    let text = stdout(&out);
    assert!(out.status.success());
    for command in ["validate", "format"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(command)), "{command} missing from:\n{text}");
    }
}
