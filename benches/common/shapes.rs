//! Definitions of pathological shapes, as large as asked: what an untrusted caller could
//! send to make reading and checking slow. Shared by the model bench (benches/model.rs),
//! which times each shape at a quarter of the size limit and at the limit, and the stall
//! test (tests/model_limits.rs), which fails if one ever takes seconds again.

/// A shape: its name and a definition of it of at most `bytes` bytes.
pub type Shape = (&'static str, fn(usize) -> String);

/// Every shape.
pub const SHAPES: &[Shape] = &[
    ("attributes on one element", attributes_on_one_element),
    ("elements of 256 attributes", elements_of_256_attributes),
    ("<ip> elements and <route>s", ips_and_routes),
    ("overlapping <ip> elements", overlapping_ips),
    ("namespace bindings x <metadata> size", bindings_and_metadata),
    ("namespace bindings x unprefixed elements", bindings_and_unprefixed_elements),
    ("port groups", port_groups),
    ("port groups of one name", port_groups_of_one_name),
    ("forward <interface>s", forward_interfaces),
    ("forward PCI <address>es", forward_pci_addresses),
    ("DHCP ranges", dhcp_ranges),
    ("static hosts", static_hosts),
    ("reader x validator problems", reader_and_validator_problems),
    ("unknown elements", unknown_elements),
    ("DNS host records", dns_records),
    ("dnsmasq options", dnsmasq_options),
];

/// `head`, then `unit(0)`, `unit(1)`, ... as long as the whole stays within `bytes`,
/// then `tail`.
fn fill(head: &str, unit: impl Fn(usize) -> String, tail: &str, bytes: usize) -> String {
    let mut out = String::from(head);
    for i in 0.. {
        let next = unit(i);
        if out.len() + next.len() + tail.len() > bytes {
            break;
        }
        out.push_str(&next);
    }
    out.push_str(tail);
    out
}

const NAT: &str = "<network><name>shape</name><forward mode='nat'/>";

fn attributes_on_one_element(bytes: usize) -> String {
    fill("<network><name>shape</name><metadata><x", |i| format!(" a{i}='1'"), "/></metadata></network>", bytes)
}

fn elements_of_256_attributes(bytes: usize) -> String {
    let element: String = (0..256).map(|i| format!(" a{i}='1'")).collect();
    fill("<network><name>shape</name><metadata>", |_| format!("<x{element}/>"), "</metadata></network>", bytes)
}

fn ips_and_routes(bytes: usize) -> String {
    fill(
        NAT,
        |i| {
            format!(
                "<ip address='10.{}.{}.1' prefix='24'/><route address='172.{}.{}.0' prefix='24' gateway='10.{}.{}.2'/>",
                (i / 256) % 256,
                i % 256,
                16 + (i / 256) % 16,
                i % 256,
                (i / 256) % 256,
                i % 256
            )
        },
        "</network>",
        bytes,
    )
}

fn overlapping_ips(bytes: usize) -> String {
    fill(
        NAT,
        |i| format!("<ip address='10.{}.{}.1' prefix='{}'/>", i % 256, (i / 7) % 256, 8 + i % 17),
        "</network>",
        bytes,
    )
}

fn bindings_and_metadata(bytes: usize) -> String {
    let head: String = (0..255).map(|i| format!(" xmlns:p{i}='urn:x:{i}'")).collect();
    fill(
        &format!("<network{head}><name>shape</name><metadata>"),
        |i| format!("<p{}:x p{}:y='1'>p{}:text</p{}:x>", i % 255, (i + 1) % 255, i % 255, i % 255),
        "</metadata></network>",
        bytes,
    )
}

fn bindings_and_unprefixed_elements(bytes: usize) -> String {
    let head: String = (0..255).map(|i| format!(" xmlns:p{i}='urn:x:{i}'")).collect();
    fill(
        &format!("<network{head}><name>shape</name><metadata>"),
        |_| "<a><b/></a>".to_owned(),
        "</metadata></network>",
        bytes,
    )
}

fn port_groups(bytes: usize) -> String {
    fill(NAT, |i| format!("<portgroup name='pg{i}'/>"), "</network>", bytes)
}

fn port_groups_of_one_name(bytes: usize) -> String {
    fill(NAT, |_| "<portgroup name='same'/>".to_owned(), "</network>", bytes)
}

fn forward_interfaces(bytes: usize) -> String {
    fill(
        "<network><name>shape</name><forward mode='nat'>",
        |i| format!("<interface dev='eth{i}'/>"),
        "</forward></network>",
        bytes,
    )
}

fn forward_pci_addresses(bytes: usize) -> String {
    fill(
        "<network><name>shape</name><forward mode='hostdev' managed='yes'>",
        |i| {
            format!(
                "<address type='pci' domain='0' bus='{}' slot='{}' function='{}'/>",
                (i / 256) % 256,
                (i / 8) % 32,
                i % 8
            )
        },
        "</forward></network>",
        bytes,
    )
}

fn dhcp_ranges(bytes: usize) -> String {
    fill(
        "<network><name>shape</name><forward mode='nat'/><ip address='10.0.0.1' prefix='8'><dhcp>",
        |i| {
            format!(
                "<range start='10.{}.{}.2' end='10.{}.{}.200'/>",
                (i / 256) % 256,
                i % 256,
                (i / 256) % 256,
                i % 256
            )
        },
        "</dhcp></ip></network>",
        bytes,
    )
}

fn static_hosts(bytes: usize) -> String {
    fill(
        "<network><name>shape</name><forward mode='nat'/><ip address='10.0.0.1' prefix='8'><dhcp>",
        |i| {
            format!(
                "<host mac='52:54:00:{:02x}:{:02x}:{:02x}' name='h{i}' ip='10.{}.{}.{}'/>",
                (i >> 16) & 255,
                (i >> 8) & 255,
                i & 255,
                i / 62500 % 256,
                i / 250 % 250,
                1 + i % 250
            )
        },
        "</dhcp></ip></network>",
        bytes,
    )
}

fn reader_and_validator_problems(bytes: usize) -> String {
    fill(
        "<network><name>shape</name><forward mode='nat'/><ip address='10.0.0.1' prefix='24'><dhcp>",
        |_| "<host mac='zz' name='a b' ip='192.0.2.1'/>".to_owned(),
        "</dhcp></ip></network>",
        bytes,
    )
}

fn unknown_elements(bytes: usize) -> String {
    fill("<network><name>shape</name>", |i| format!("<forwad{i}/>"), "</network>", bytes)
}

fn dns_records(bytes: usize) -> String {
    fill(
        "<network><name>shape</name><dns>",
        |i| format!("<host ip='10.0.{}.{}'><hostname>h{i}</hostname></host>", (i / 250) % 256, 1 + i % 250),
        "</dns><ip address='10.0.0.1' prefix='8'/></network>",
        bytes,
    )
}

fn dnsmasq_options(bytes: usize) -> String {
    fill(
        "<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'><name>shape</name><dnsmasq:options>",
        |i| format!("<dnsmasq:option value='cname=a{i}.example,b.example'/>"),
        "</dnsmasq:options></network>",
        bytes,
    )
}
