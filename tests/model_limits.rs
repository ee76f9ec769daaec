//! The model at its limits: every pathological shape of definition (benches/common/shapes.rs)
//! is read and checked at the size limit without stalling, every count limit is refused
//! with a sentence naming it, and what virtnet writes it reads back to the same bytes.
//!
//! The time bound is a stall check with a wide margin (a debug build here takes a few
//! hundred milliseconds for the slowest shape; the quadratic code this guards against
//! took minutes); the figures are the bench's: `cargo bench --bench model`.

// Test code: a panic is a failed test, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

#[path = "../benches/common/shapes.rs"]
mod shapes;

use std::time::{Duration, Instant};

use virtnet::model::limits::{self, MAX_DOCUMENT_BYTES};
use virtnet::model::{Network, Problems, parse_and_validate};

/// Far above what linear checking takes in a debug build, far below what the old
/// quadratic checks took (10 to 15 s at 1 MiB even in a release build).
const STALL: Duration = Duration::from_secs(8);

#[test]
fn every_shape_at_the_size_limit_is_checked_without_stalling() {
    for (name, make) in shapes::SHAPES {
        let xml = make(MAX_DOCUMENT_BYTES);
        assert!(
            xml.len() > MAX_DOCUMENT_BYTES - 1024 && xml.len() <= MAX_DOCUMENT_BYTES,
            "{name}: {} bytes",
            xml.len()
        );
        let started = Instant::now();
        let result = parse_and_validate(&xml);
        let took = started.elapsed();
        assert!(took < STALL, "{name}: reading and checking 1 MiB took {took:?}");
        println!("{name}: {took:?}");
        // However many problems there are, at most the limit is listed, then a count.
        if let Err(problems) = result {
            assert!(problems.len() <= limits::MAX_PROBLEMS + 1, "{name}: {} problems listed", problems.len());
        }
    }
}

fn problems(xml: &str) -> Vec<String> {
    parse_and_validate(xml).err().map(|p: Problems| p.iter().map(ToString::to_string).collect()).unwrap_or_default()
}

#[test]
fn counts_over_a_limit_are_refused_naming_the_limit() {
    let attributes: String = (0..=limits::MAX_ATTRIBUTES).map(|i| format!(" a{i}='1'")).collect();
    let found = problems(&format!("<network><name>n</name><metadata><x{attributes}/></metadata></network>"));
    assert_eq!(
        found,
        ["not well-formed XML at line 1: an element has more than 256 attributes; at most 256 are accepted"]
    );

    let ips: String =
        (0..=limits::MAX_IPS).map(|i| format!("<ip address='10.{}.{}.1' prefix='24'/>", i / 256, i % 256)).collect();
    let found = problems(&format!("<network><name>n</name>{ips}</network>"));
    assert_eq!(found, ["257 <ip> elements; at most 256 are accepted, the rest were not read"]);

    let hosts: String = (0..=limits::MAX_DHCP_HOSTS)
        .map(|i| {
            format!("<host mac='52:54:00:00:{:02x}:{:02x}' ip='10.1.{}.{}'/>", i / 256, i % 256, i / 250, 1 + i % 250)
        })
        .collect();
    let found = problems(&format!(
        "<network><name>n</name><ip address='10.0.0.1' prefix='8'><dhcp>{hosts}</dhcp></ip></network>"
    ));
    assert_eq!(found, ["ip[0]/dhcp: 16385 <host> elements; at most 16384 are accepted, the rest were not read"]);

    let groups: String = (0..=limits::MAX_PORTGROUPS).map(|i| format!("<portgroup name='p{i}'/>")).collect();
    let found = problems(&format!("<network><name>n</name>{groups}</network>"));
    assert_eq!(found, ["1025 <portgroup> elements; at most 1024 are accepted, the rest were not read"]);

    let forwards: String = (0..=limits::MAX_PORT_FORWARDS)
        .map(|i| format!("<v:portForward proto='tcp' guest='10.0.0.2'><v:range start='{}'/></v:portForward>", 1000 + i))
        .collect();
    let found = problems(&format!(
        "<network><name>n</name><forward mode='nat'/><metadata><v:network xmlns:v='{}'>{forwards}</v:network></metadata><ip address='10.0.0.1' prefix='8'/></network>",
        virtnet::model::extension::NAMESPACE
    ));
    assert_eq!(found, ["metadata: 1025 <portForward> elements; at most 1024 are accepted, the rest were not read"]);
}

#[test]
fn a_long_list_of_problems_ends_with_how_many_more() {
    let hosts = "<host mac='zz' ip='192.0.2.1'/>".repeat(3000);
    let found = problems(&format!(
        "<network><name>n</name><ip address='10.0.0.1' prefix='24'><dhcp>{hosts}</dhcp></ip></network>"
    ));
    assert_eq!(found.len(), limits::MAX_PROBLEMS + 1);
    let last = found.last().unwrap();
    assert!(last.starts_with("and ") && last.ends_with(" more problems (only the first 1000 are listed)"), "{last}");
}

/// `format`, read back, `format` again: the same bytes.
fn formats_stably(xml: &str) -> String {
    let first = Network::from_xml(xml).unwrap_or_else(|p| panic!("refused:\n{p}\n{xml}")).to_xml();
    let again = Network::from_xml(&first).unwrap_or_else(|p| panic!("own output refused:\n{p}\n{first}"));
    assert_eq!(again.to_xml(), first, "a second format differs");
    first
}

#[test]
fn metadata_namespaces_are_written_once_and_read_back() {
    // <metadata> rebinds a prefix <network> binds too: its own binding is the one kept.
    let written =
        formats_stably("<network xmlns:p='urn:a'><name>n</name><metadata xmlns:p='urn:b'><p:x/></metadata></network>");
    assert!(written.contains("<metadata xmlns:p='urn:b'>") && !written.contains("urn:a"), "{written}");
    // <metadata> uses the dnsmasq: prefix next to <dnsmasq:options>: one binding each time.
    let dnsmasq = "http://libvirt.org/schemas/network/dnsmasq/1.0";
    let mut xml = format!(
        "<network xmlns:dnsmasq='{dnsmasq}'><name>n</name><metadata><dnsmasq:note/></metadata>\
         <dnsmasq:options><dnsmasq:option value='log-queries'/></dnsmasq:options></network>"
    );
    for _ in 0..4 {
        xml = formats_stably(&xml);
        assert_eq!(xml.matches("xmlns:dnsmasq=").count(), 2, "{xml}");
    }
    // A prefix used only inside an attribute value (xsi:type) keeps its binding.
    let written =
        formats_stably("<network xmlns:t='urn:t'><name>n</name><metadata><x type='t:y'/></metadata></network>");
    assert!(written.contains("xmlns:t='urn:t'"), "{written}");
}
