//! How much of each thing one definition may hold. Definitions reach the helper from
//! any local user, so every count has a ceiling far above real use (libvirt's largest
//! test definitions stay under a tenth of each) and a definition over one is refused
//! with a sentence naming the limit. They are the second line of defence: every check
//! is linear or n·log n in what it reads, so a definition at all the limits is still
//! read and checked in milliseconds.

pub use super::xml::dom::{MAX_ATTRIBUTES, MAX_DEPTH, MAX_DOCUMENT_BYTES};

/// `<ip>` elements of a network.
pub const MAX_IPS: usize = 256;
/// `<route>` elements of a network.
pub const MAX_ROUTES: usize = 1024;
/// `<range>` elements of one `<dhcp>`.
pub const MAX_DHCP_RANGES: usize = 256;
/// `<host>` elements of one `<dhcp>` (static hosts).
pub const MAX_DHCP_HOSTS: usize = 16384;
/// `<interface>` or `<address>` elements of a `<forward>` pool.
pub const MAX_FORWARD_DEVICES: usize = 4096;
/// `<portgroup>` elements of a network.
pub const MAX_PORTGROUPS: usize = 1024;
/// `<host>`, `<txt>`, `<srv>` or `<forwarder>` records of `<dns>`, each.
pub const MAX_DNS_RECORDS: usize = 16384;
/// `<hostname>` elements of one DNS `<host>`.
pub const MAX_HOSTNAMES: usize = 256;
/// `<dnsmasq:option>` lines.
pub const MAX_DNSMASQ_OPTIONS: usize = 1024;
/// `<virtnet:portForward>` elements of a network.
pub const MAX_PORT_FORWARDS: usize = 1024;
/// Tags of a `<vlan>`.
pub const MAX_VLAN_TAGS: usize = 4096;

/// Longest file-name stem of a network's files (its name, escaped): a file name has at
/// most 255 bytes, and the longest suffix added is `.addnhosts`.
pub const MAX_FILE_STEM_BYTES: usize = 200;

/// Problems listed for one definition; the rest are counted in a last line.
pub const MAX_PROBLEMS: usize = 1000;

/// The sentence for a count over its limit (the problem's path says where): `20000
/// <host> elements; at most 16384 are accepted, the rest were not read`.
pub fn too_many(count: usize, name: &str, max: usize) -> String {
    format!("{count} <{name}> elements; at most {max} are accepted, the rest were not read")
}
