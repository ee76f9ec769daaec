//! virtnet's own part of a definition: one `<virtnet:network>` element inside
//! `<metadata>`, in virtnet's XML namespace, which libvirt keeps verbatim (so the
//! definition still round-trips through libvirt). It holds who may plug VMs in
//! ([`AttachRules`]) and the port forwards, written with the vocabulary of libvirt's
//! passt `<portForward>` where it fits:
//!
//! ```xml
//! <metadata>
//!   <virtnet:network xmlns:virtnet="https://github.com/virtnet/virtnet/xmlns/network/1">
//!     <virtnet:attach>
//!       <virtnet:allow group="kvm"/>
//!     </virtnet:attach>
//!     <virtnet:portForward proto="tcp" guest="192.168.122.10">
//!       <virtnet:range start="2222" to="22"/>
//!     </virtnet:portForward>
//!   </virtnet:network>
//! </metadata>
//! ```
//!
//! When a definition is read, this element is taken out of the metadata into typed
//! fields ([`Network::attach`](super::Network), [`Network::port_forwards`](super::Network));
//! other applications' metadata stays as it was written.

use std::net::IpAddr;

use super::attach::AttachRules;
use super::limits;
use super::network::Metadata;
pub use super::port_forward::{PortForward, Protocol};
use super::problem::{Code, Problem};
use super::syntax::is_safe_name;
use super::values::parse_yes_no;
use super::xml::dom::{self, Element};

/// virtnet's XML namespace inside `<metadata>`.
pub const NAMESPACE: &str = "https://github.com/virtnet/virtnet/xmlns/network/1";

/// The prefix virtnet writes its namespace with.
pub const PREFIX: &str = "virtnet";

/// virtnet's part of `<metadata>`, typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extension {
    /// `None`: no `<virtnet:attach>` (polkit alone decides).
    pub attach: Option<AttachRules>,
    pub port_forwards: Vec<PortForward>,
}

impl Extension {
    pub fn is_empty(&self) -> bool {
        self.attach.is_none() && self.port_forwards.is_empty()
    }
}

/// The path problems of a port forward carry: `metadata/portForward[0]`.
pub fn forward_path(index: usize) -> String {
    format!("metadata/portForward[{index}]")
}

/// Takes virtnet's element out of `metadata`: virtnet's part, typed, the metadata
/// left for other applications (`None` when nothing is left), and the problems of
/// virtnet's part (its elements are then left out, not guessed).
pub fn split(metadata: Metadata) -> (Extension, Option<Metadata>, Vec<Problem>) {
    // The content is a fragment; a wrapper element declares the prefixes in scope.
    let mut wrapped = String::from("<m");
    for (prefix, uri) in &metadata.namespaces {
        let attribute = if prefix.is_empty() { "xmlns".to_owned() } else { format!("xmlns:{prefix}") };
        wrapped.push_str(&format!(" {attribute}=\"{}\"", quick_xml::escape::escape(uri.as_str())));
    }
    wrapped.push('>');
    let start = wrapped.len();
    wrapped.push_str(&metadata.content);
    wrapped.push_str("</m>");

    let mut problems = Vec::new();
    let doc = match dom::parse(&wrapped) {
        Ok(doc) => doc,
        Err(problem) => {
            // The document was read already, so this cannot happen short of a bug;
            // the metadata is then kept as it is.
            problems.push(Problem::new("metadata", problem.message));
            return (Extension::default(), Some(metadata), problems);
        }
    };
    let ours: Vec<&Element> =
        doc.root.children.iter().filter(|c| c.name == "network" && c.namespace.as_deref() == Some(NAMESPACE)).collect();
    let Some(first) = ours.first() else { return (Extension::default(), Some(metadata), problems) };
    if ours.len() > 1 {
        problems.push(Problem::new("metadata", "virtnet's <network> element is given more than once; merge them"));
    }
    let extension = read_extension(first, &mut problems);
    // What is left: the content without virtnet's elements.
    let mut rest = String::new();
    let mut at = start;
    for element in &ours {
        rest.push_str(&wrapped[at..element.offset]);
        at = element.end;
    }
    rest.push_str(&wrapped[at..wrapped.len() - "</m>".len()]);
    // Trimmed, so that writing and reading again gives the same content.
    let rest = rest.trim();
    let left = (!rest.is_empty()).then(|| Metadata { namespaces: metadata.namespaces, content: rest.to_owned() });
    (extension, left, problems)
}

fn ours(element: &Element) -> bool {
    element.namespace.as_deref() == Some(NAMESPACE)
}

fn read_extension(network: &Element, problems: &mut Vec<Problem>) -> Extension {
    let mut extension = Extension::default();
    if let Some(attribute) = network.attributes.iter().find(|a| !a.name.starts_with("xmlns")) {
        problems.push(Problem::new("metadata", format!("unknown attribute {} on virtnet's <network>", attribute.name)));
    }
    let mut forwards = 0usize;
    for child in &network.children {
        // Beyond the problems listed, reading on would only make more to drop.
        if problems.len() > limits::MAX_PROBLEMS {
            break;
        }
        match child.name.as_str() {
            "attach" if ours(child) => {
                if extension.attach.is_some() {
                    problems.push(Problem::new("metadata/attach", "<attach> is given more than once; merge them"));
                }
                extension.attach = read_attach(child, problems);
            }
            "portForward" if ours(child) => {
                forwards += 1;
                if forwards > limits::MAX_PORT_FORWARDS {
                    continue;
                }
                let index = extension.port_forwards.len();
                if let Some(forward) = read_port_forward(child, &forward_path(index), problems) {
                    extension.port_forwards.push(forward);
                }
            }
            other => problems.push(Problem::new(
                "metadata",
                format!("unknown element <{other}> in virtnet's metadata; it holds <attach> and <portForward>"),
            )),
        }
    }
    if forwards > limits::MAX_PORT_FORWARDS {
        problems.push(Problem::new("metadata", limits::too_many(forwards, "portForward", limits::MAX_PORT_FORWARDS)));
    }
    extension
}

fn read_attach(attach: &Element, problems: &mut Vec<Problem>) -> Option<AttachRules> {
    let path = "metadata/attach";
    let mut rules = AttachRules::default();
    let before = problems.len();
    for allow in &attach.children {
        if allow.name != "allow" || !ours(allow) {
            problems
                .push(Problem::new(path, format!("unknown element <{}> in <attach>; it holds <allow>", allow.name)));
            continue;
        }
        if let Some(other) = allow.attributes.iter().find(|a| a.name != "user" && a.name != "group") {
            problems.push(Problem::new(
                path,
                format!("attach/allow: unknown attribute '{}'; an allow rule has user= or group=", other.name),
            ));
            continue;
        }
        match (allow.attr("user"), allow.attr("group")) {
            (Some(name), None) if is_safe_name(name) => rules.users.push(name.to_owned()),
            (None, Some(name)) if is_safe_name(name) => rules.groups.push(name.to_owned()),
            (Some(name), None) | (None, Some(name)) => problems.push(Problem::new(
                path,
                format!("attach/allow: '{name}' is not a user or group name (letters, digits, '.', '_' and '-')"),
            )),
            _ => problems.push(Problem::new(path, "attach/allow: an allow rule has exactly one of user= or group=")),
        }
    }
    // A broken rule is not half applied.
    (problems.len() == before).then_some(rules)
}

/// Reads one `<portForward>` (in virtnet's namespace inside a definition, or without a
/// namespace as an update fragment). Problems go to `problems`, at `path`.
pub fn read_port_forward(element: &Element, path: &str, problems: &mut Vec<Problem>) -> Option<PortForward> {
    let before = problems.len();
    let mut unknown = |what: String| problems.push(Problem::new(path, what));
    for attribute in &element.attributes {
        if !["proto", "address", "guest", "localhost"].contains(&attribute.name.as_str())
            && !attribute.name.starts_with("xmlns")
        {
            unknown(format!(
                "unknown attribute {} on <portForward>; it has proto=, guest=, address= and localhost=",
                attribute.name
            ));
        }
    }
    let ranges: Vec<&Element> = element.children.iter().filter(|c| c.name == "range").collect();
    if let Some(other) = element.children.iter().find(|c| c.name != "range") {
        unknown(format!("unknown element <{}> inside <portForward>; it holds one <range>", other.name));
    }
    let protocol = match element.attr("proto") {
        None => {
            problems.push(Problem::coded(
                path,
                Some("proto"),
                Code::Missing,
                "<portForward> is missing its proto attribute (tcp, udp or both)",
            ));
            None
        }
        Some(word) => Protocol::from_word(word).or_else(|| {
            problems.push(Problem::coded(
                path,
                Some("proto"),
                Code::Unreadable,
                format!("proto: '{word}' is not a protocol; use tcp, udp or both"),
            ));
            None
        }),
    };
    let address = read_address(element, path, "address", problems);
    let guest = match element.attr("guest") {
        None => {
            problems.push(Problem::coded(
                path,
                Some("guest"),
                Code::Missing,
                "<portForward> is missing its guest attribute (the guest's address)",
            ));
            None
        }
        Some(_) => read_address(element, path, "guest", problems),
    };
    let localhost = match element.attr("localhost") {
        None => false,
        Some(word) => parse_yes_no(word).unwrap_or_else(|why| {
            problems.push(Problem::coded(path, Some("localhost"), Code::Unreadable, format!("localhost: {why}")));
            false
        }),
    };
    let range_path = format!("{path}/range");
    let ports = match ranges.as_slice() {
        [range] => read_range(range, &range_path, problems),
        [] => {
            problems.push(Problem::coded(
                &range_path,
                Some("start"),
                Code::Missing,
                "<portForward> needs a <range start='PORT'/> saying which host port it forwards",
            ));
            None
        }
        _ => {
            problems.push(Problem::new(
                path,
                "<portForward> holds one <range>; write one <portForward> for each range of ports",
            ));
            None
        }
    };
    if problems.len() != before {
        return None;
    }
    let (start, end, to) = ports?;
    Some(PortForward { protocol: protocol?, address, guest: guest?, start, end, to, localhost })
}

fn read_address(element: &Element, path: &str, name: &'static str, problems: &mut Vec<Problem>) -> Option<IpAddr> {
    let text = element.attr(name)?;
    match text.trim().parse::<IpAddr>() {
        Ok(address) => Some(address),
        Err(_) => {
            problems.push(Problem::coded(
                path,
                Some(name),
                Code::Unreadable,
                format!("{name}: '{text}' is not an IP address"),
            ));
            None
        }
    }
}

/// `start`, `end` (default: `start`) and `to` (default: `start`) of a `<range>`.
fn read_range(range: &Element, path: &str, problems: &mut Vec<Problem>) -> Option<(u16, u16, u16)> {
    if let Some(other) = range.attributes.iter().find(|a| !["start", "end", "to"].contains(&a.name.as_str())) {
        problems.push(Problem::new(
            path,
            format!("unknown attribute {} on <range>; it has start=, end= and to=", other.name),
        ));
    }
    let port = |name: &'static str, problems: &mut Vec<Problem>| -> Option<u16> {
        let text = range.attr(name)?;
        match text.trim().parse::<u32>() {
            Ok(0) => {
                problems.push(Problem::coded(
                    path,
                    Some(name),
                    Code::TooSmall { min: 1 },
                    format!("{name}: port 0 is not a port; ports are 1 to 65535"),
                ));
                None
            }
            Ok(n) => u16::try_from(n).map_or_else(
                |_| {
                    problems.push(Problem::coded(
                        path,
                        Some(name),
                        Code::TooLarge { max: 65535 },
                        format!("{name}: {n} is not a port; ports are 1 to 65535"),
                    ));
                    None
                },
                Some,
            ),
            Err(_) => {
                problems.push(Problem::coded(
                    path,
                    Some(name),
                    Code::Unreadable,
                    format!("{name}: '{text}' is not a port number (1 to 65535)"),
                ));
                None
            }
        }
    };
    if range.attr("start").is_none() {
        problems.push(Problem::coded(path, Some("start"), Code::Missing, "<range> is missing its start attribute"));
        return None;
    }
    let start = port("start", problems);
    let end = port("end", problems);
    let to = port("to", problems);
    let start = start?;
    let end = if range.attr("end").is_some() { end? } else { start };
    let to = if range.attr("to").is_some() { to? } else { start };
    Some((start, end, to))
}

/// virtnet's element as it is written into `<metadata>`, indented for `depth`.
pub fn render(extension: &Extension, depth: usize) -> String {
    use std::fmt::Write as _;
    let indent = |d: usize| "  ".repeat(d);
    let mut out = String::new();
    let _ = writeln!(out, "{}<{PREFIX}:network xmlns:{PREFIX}='{NAMESPACE}'>", indent(depth));
    if let Some(rules) = &extension.attach {
        if rules.users.is_empty() && rules.groups.is_empty() {
            let _ = writeln!(out, "{}<{PREFIX}:attach/>", indent(depth + 1));
        } else {
            let _ = writeln!(out, "{}<{PREFIX}:attach>", indent(depth + 1));
            for (word, names) in [("user", &rules.users), ("group", &rules.groups)] {
                for name in names {
                    let _ = writeln!(out, "{}<{PREFIX}:allow {word}='{}'/>", indent(depth + 2), escape(name));
                }
            }
            let _ = writeln!(out, "{}</{PREFIX}:attach>", indent(depth + 1));
        }
    }
    for forward in &extension.port_forwards {
        write_forward(&mut out, forward, &format!("{PREFIX}:"), (&indent(depth + 1), &indent(depth + 2)), "\n");
    }
    let _ = writeln!(out, "{}</{PREFIX}:network>", indent(depth));
    out
}

fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(value)
}

/// One port forward as an update fragment (`net-update ... port-forward`): the
/// element without a namespace, on one line, as `virtnet net-forward-add` sends it.
pub fn fragment(forward: &PortForward) -> String {
    let mut out = String::new();
    write_forward(&mut out, forward, "", ("", ""), "");
    out
}

/// `<portForward ...><range .../></portForward>` with element names prefixed by
/// `prefix`, the two elements indented by `indent` and each line ended by `newline`.
fn write_forward(out: &mut String, forward: &PortForward, prefix: &str, indent: (&str, &str), newline: &str) {
    use std::fmt::Write as _;
    let _ = write!(out, "{}<{prefix}portForward proto='{}'", indent.0, forward.protocol);
    if let Some(address) = forward.address {
        let _ = write!(out, " address='{address}'");
    }
    let _ = write!(out, " guest='{}'", forward.guest);
    if forward.localhost {
        out.push_str(" localhost='yes'");
    }
    let _ = write!(out, ">{newline}{}<{prefix}range start='{}'", indent.1, forward.start);
    if forward.end != forward.start {
        let _ = write!(out, " end='{}'", forward.end);
    }
    if forward.to != forward.start {
        let _ = write!(out, " to='{}'", forward.to);
    }
    let _ = write!(out, "/>{newline}{}</{prefix}portForward>{newline}", indent.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Network;

    fn read(inner: &str) -> Result<Network, String> {
        let xml = format!(
            "<network><name>n</name><metadata><v:network xmlns:v='{NAMESPACE}'>{inner}</v:network></metadata></network>"
        );
        Network::from_xml(&xml).map_err(|p| p.to_string())
    }

    #[test]
    fn reads_attach_rules_and_forwards() {
        let net = read(
            "<v:attach><v:allow user='alice'/><v:allow group='kvm'/></v:attach>\
             <v:portForward proto='tcp' guest='192.168.122.10'><v:range start='2222' to='22'/></v:portForward>\
             <v:portForward proto='both' address='203.0.113.5' guest='192.168.122.11' localhost='yes'><v:range start='8000' end='8010'/></v:portForward>",
        )
        .unwrap();
        let rules = net.attach.clone().unwrap();
        assert_eq!(rules.users, ["alice"]);
        assert_eq!(rules.groups, ["kvm"]);
        assert_eq!(net.port_forwards.len(), 2);
        let ssh = &net.port_forwards[0];
        assert_eq!((ssh.protocol, ssh.start, ssh.end, ssh.to, ssh.localhost), (Protocol::Tcp, 2222, 2222, 22, false));
        assert_eq!(ssh.host_side(), "2222/tcp");
        assert_eq!(ssh.guest_side(), "192.168.122.10:22");
        let web = &net.port_forwards[1];
        assert_eq!(web.host_side(), "8000-8010/both on 203.0.113.5");
        assert_eq!(web.guest_side(), "192.168.122.11:8000-8010");
        assert!(web.localhost);
        // virtnet's element is no longer raw metadata; written again, it reads the same.
        assert_eq!(net.metadata, None);
        let again = Network::from_xml(&net.to_xml()).unwrap();
        assert_eq!(again, net);
    }

    #[test]
    fn other_applications_metadata_stays_as_written() {
        let xml = format!(
            "<network><name>n</name><metadata><app:x xmlns:app='urn:app'>1</app:x><v:network xmlns:v='{NAMESPACE}'><v:attach/></v:network></metadata></network>"
        );
        let net = Network::from_xml(&xml).unwrap();
        assert_eq!(net.attach.as_ref().map(AttachRules::describe).as_deref(), Some("nobody but root"));
        assert_eq!(net.metadata.as_ref().unwrap().content, "<app:x xmlns:app='urn:app'>1</app:x>");
        let written = net.to_xml();
        assert!(written.contains("<app:x xmlns:app='urn:app'>1</app:x>"), "{written}");
        assert_eq!(Network::from_xml(&written).unwrap(), net);
        // Another application's <attach> is not ours.
        let other =
            Network::from_xml("<network><name>n</name><metadata><a:attach xmlns:a='urn:o'/></metadata></network>");
        assert_eq!(other.unwrap().attach, None);
    }

    #[test]
    fn bad_parts_say_what_is_wrong() {
        let bad = |inner: &str| read(inner).unwrap_err();
        assert!(bad("<v:attach><v:allow/></v:attach>").contains("exactly one of user= or group="));
        assert!(bad("<v:attach><v:allow user='a b'/></v:attach>").contains("'a b' is not a user or group name"));
        assert!(bad("<v:attach><v:allow uid='1'/></v:attach>").contains("unknown attribute 'uid'"));
        assert!(bad("<v:forwards/>").contains("unknown element <forwards>"));
        let forward = |attrs: &str, range: &str| bad(&format!("<v:portForward {attrs}>{range}</v:portForward>"));
        let ok_range = "<v:range start='2222'/>";
        assert!(forward("guest='10.0.0.2'", ok_range).contains("missing its proto attribute"));
        assert!(forward("proto='sctp' guest='10.0.0.2'", ok_range).contains("'sctp' is not a protocol"));
        assert!(forward("proto='tcp'", ok_range).contains("missing its guest attribute"));
        assert!(forward("proto='tcp' guest='10.0.0'", ok_range).contains("guest: '10.0.0' is not an IP address"));
        assert!(forward("proto='tcp' guest='10.0.0.2'", "").contains("needs a <range start='PORT'/>"));
        assert!(forward("proto='tcp' guest='10.0.0.2'", "<v:range start='0'/>").contains("port 0 is not a port"));
        assert!(forward("proto='tcp' guest='10.0.0.2'", "<v:range start='70000'/>").contains("70000 is not a port"));
        assert!(
            forward("proto='tcp' guest='10.0.0.2'", "<v:range start='1'/><v:range start='2'/>")
                .contains("one <portForward> for each range")
        );
    }

    #[test]
    fn forwards_claim_ports_by_address_protocol_and_range() {
        let f = |protocol, address: Option<&str>, start, end| PortForward {
            protocol,
            address: address.map(|a| a.parse().unwrap()),
            guest: "192.168.122.10".parse().unwrap(),
            start,
            end,
            to: start,
            localhost: false,
        };
        let ssh = f(Protocol::Tcp, None, 2222, 2222);
        assert!(ssh.claims_same(&f(Protocol::Both, None, 2000, 3000)));
        assert!(ssh.claims_same(&f(Protocol::Tcp, Some("203.0.113.5"), 2222, 2222)));
        assert!(!ssh.claims_same(&f(Protocol::Udp, None, 2222, 2222)));
        assert!(!ssh.claims_same(&f(Protocol::Tcp, None, 2223, 2300)));
        let on_a = f(Protocol::Tcp, Some("203.0.113.5"), 80, 80);
        assert!(!on_a.claims_same(&f(Protocol::Tcp, Some("203.0.113.6"), 80, 80)));
    }

    #[test]
    fn a_fragment_is_the_element_without_namespace() {
        let forward = PortForward {
            protocol: Protocol::Udp,
            address: None,
            guest: "192.168.122.10".parse().unwrap(),
            start: 5353,
            end: 5353,
            to: 53,
            localhost: false,
        };
        assert_eq!(
            fragment(&forward),
            "<portForward proto='udp' guest='192.168.122.10'><range start='5353' to='53'/></portForward>"
        );
    }
}
