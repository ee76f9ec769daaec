//! The form's words: the label of each field (the same in the details page and the
//! wizard), and the model's problems retold with those labels, as sentences that start
//! with a capital ("Last address handed out is outside 192.168.100.0/24" rather than
//! `ip[0]/dhcp/range[0]: end 192.168.100.300 is outside ...`). Translated here, since
//! the model's own messages are English.

use gettextrs::gettext;

use super::Field;
use crate::model::Family;

impl Field {
    /// The field's label, as the form shows it.
    pub fn label(self) -> String {
        match self {
            Field::Name => gettext("Name"),
            Field::Mtu => gettext("MTU (empty: the default)"),
            Field::Subnet(_) => gettext("Host address and prefix"),
            Field::DhcpEnabled(_) => gettext("DHCP"),
            Field::DhcpStart(_) => gettext("First address handed out"),
            Field::DhcpEnd(_) => gettext("Last address handed out"),
            Field::Domain => gettext("Domain"),
            Field::ForwardDev => gettext("Uplink"),
            Field::Forwarders => gettext("Upstream DNS servers (empty: this computer's)"),
            Field::Xml => gettext("XML"),
        }
    }

    /// The label without its parenthesis, for use inside a sentence.
    pub fn short_label(self) -> String {
        match self {
            Field::Mtu => gettext("MTU"),
            Field::Forwarders => gettext("Upstream DNS servers"),
            other => other.label(),
        }
    }
}

/// The labels of a static host's fields (the add form of the host list).
pub fn host_mac_label() -> String {
    gettext("MAC address")
}

/// An IPv6 static host is known by its DHCP client identifier, not its MAC address.
pub fn host_duid_label() -> String {
    gettext("Client ID (DUID)")
}

pub fn ip_address_label() -> String {
    gettext("IP address")
}

pub fn host_name_label() -> String {
    gettext("Host name")
}

/// An example address of a family, for messages.
pub fn example_address(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "192.168.100.20",
        Family::Ipv6 => "fd00:100::20",
    }
}

pub fn example_subnet(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "192.168.100.1/24",
        Family::Ipv6 => "fd00:100::1/64",
    }
}

/// "Enter an IPv4 address, such as 192.168.100.20".
pub fn not_an_address(family: Family) -> String {
    gettext("Enter an {family} address, such as {example}")
        .replace("{family}", &family.to_string())
        .replace("{example}", example_address(family))
}

/// The model's message about the value `value` of attribute `attribute` (`start`,
/// `end`, `ip`, `mac`, `name`), told about the field labelled `label`. Messages of a
/// shape not known here keep their words, after the label.
pub fn about_value(label: &str, attribute: &str, value: &str, message: &str) -> String {
    let quoted = format!("{attribute} '{}' ", value.escape_debug());
    let plain = format!("{attribute} {value} ");
    let Some(rest) = message.strip_prefix(&quoted).or_else(|| message.strip_prefix(&plain)) else {
        return capitalized(message);
    };
    let fill = |text: String| text.replace("{field}", label);
    if let Some(subnet) = rest.strip_prefix("is outside ") {
        return fill(gettext("{field} is outside {subnet}")).replace("{subnet}", subnet);
    }
    match rest {
        "is the host's own address" => return fill(gettext("{field} is this computer's own address")),
        "is the network address" => {
            return fill(gettext("{field} is the network's own address, which no guest can have"));
        }
        "is the broadcast address" => {
            return fill(gettext("{field} is the broadcast address, which no guest can have"));
        }
        "is a multicast or all-zero address; a guest needs a unicast one" => {
            return fill(gettext("{field} is a multicast or all-zero address; a guest needs a unicast one"));
        }
        _ => {}
    }
    if rest.starts_with("is not IPv") && rest.ends_with("like the network's address") {
        return fill(gettext("{field} is not of the same family as the network's address"));
    }
    if rest.starts_with("comes after end ") {
        return fill(gettext("{field} comes after the last address handed out"));
    }
    if rest.starts_with("is already used by host[") {
        return fill(gettext("{field} is already used by another static host"));
    }
    format!("{label} {rest}")
}

/// The model's messages about a DHCP range as a whole (`A - B includes ...`), or `None`.
pub fn about_range(message: &str) -> Option<String> {
    let (_, rest) = message.split_once(" - ")?;
    let (_, rest) = rest.split_once(' ')?;
    Some(match rest {
        "includes the host's own address" => gettext("The range includes this computer's own address"),
        "includes the network address" => gettext("The range includes the network's own address"),
        "includes the broadcast address" => gettext("The range includes the broadcast address"),
        _ if rest.starts_with("overlaps range[") => gettext("The range overlaps another range of this network"),
        _ => return None,
    })
}

/// The model's messages about an `<ip>`'s address, told about the address field.
pub fn about_subnet(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("address ")
        && let Some((_, what)) = rest.split_once(" is the ")
        && let Some((which, rest)) = what.split_once(" address of ")
        && let Some((subnet, example)) = rest.split_once("; the host needs an address inside it, such as ")
    {
        let text = if which == "network" {
            gettext(
                "This is the network's own address of {subnet}; this computer needs an address inside it, such as {example}",
            )
        } else {
            gettext(
                "This is the broadcast address of {subnet}; this computer needs an address inside it, such as {example}",
            )
        };
        return text.replace("{subnet}", subnet).replace("{example}", example);
    }
    if let Some(rest) = message.strip_prefix("subnet ")
        && let Some((subnet, rest)) = rest.split_once(" overlaps ip[")
        && let Some((_, other)) = rest.split_once("] (")
    {
        return gettext("{subnet} overlaps this network's other subnet {other}")
            .replace("{subnet}", subnet)
            .replace("{other}", other.trim_end_matches(") of the same network"));
    }
    if message.ends_with("cannot be given to a bridge (unspecified, loopback or multicast)") {
        return gettext("This computer's address cannot be a loopback, multicast or unspecified address");
    }
    capitalized(message)
}

/// The message with a capital first letter.
pub fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Network;

    /// The messages the model really gives, retold: a change of the model's wording
    /// shows here instead of silently falling back to the raw text.
    fn problems(xml: &str) -> Vec<(String, String)> {
        let network = Network::from_xml(xml).unwrap();
        network.validate().unwrap_err().0.into_iter().map(|p| (p.path, p.message)).collect()
    }

    #[test]
    fn range_messages_use_the_fields_label() {
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.1' prefix='24'><dhcp>\
             <range start='192.168.100.1' end='10.0.0.9'/></dhcp></ip></network>",
        );
        let start = &found.iter().find(|(_, m)| m.starts_with("start")).unwrap().1;
        let end = &found.iter().find(|(_, m)| m.starts_with("end")).unwrap().1;
        assert_eq!(
            about_value("First address handed out", "start", "192.168.100.1", start),
            "First address handed out is this computer's own address"
        );
        assert_eq!(
            about_value("Last address handed out", "end", "10.0.0.9", end),
            "Last address handed out is outside 192.168.100.0/24"
        );
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.1' prefix='24'><dhcp>\
             <range start='192.168.100.90' end='192.168.100.20'/></dhcp></ip></network>",
        );
        assert_eq!(
            about_value("First address handed out", "start", "192.168.100.90", &found[0].1),
            "First address handed out comes after the last address handed out"
        );
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.50' prefix='24'><dhcp>\
             <range start='192.168.100.20' end='192.168.100.90'/></dhcp></ip></network>",
        );
        assert_eq!(about_range(&found[0].1).as_deref(), Some("The range includes this computer's own address"));
    }

    #[test]
    fn host_and_subnet_messages() {
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.0' prefix='24'><dhcp>\
             <host mac='01:00:00:00:00:01' ip='192.168.100.9'/><host mac='01:00:00:00:00:01' ip='192.168.100.10'/>\
             </dhcp></ip></network>",
        );
        let subnet = &found.iter().find(|(p, _)| p == "ip[0]").unwrap().1;
        assert_eq!(
            about_subnet(subnet),
            "This is the network's own address of 192.168.100.0/24; this computer needs an address inside it, such as 192.168.100.1"
        );
        let multicast = &found.iter().find(|(_, m)| m.contains("multicast")).unwrap().1;
        assert_eq!(
            about_value("MAC address", "mac", "01:00:00:00:00:01", multicast),
            "MAC address is a multicast or all-zero address; a guest needs a unicast one"
        );
        let again = &found.iter().find(|(_, m)| m.contains("already used")).unwrap().1;
        assert_eq!(
            about_value("MAC address", "mac", "01:00:00:00:00:01", again),
            "MAC address is already used by another static host"
        );
        let found = problems(
            "<network><name>a</name><ip address='10.0.0.1' prefix='16'/><ip address='10.0.5.1' prefix='24'/></network>",
        );
        assert_eq!(about_subnet(&found[0].1), "10.0.5.0/24 overlaps this network's other subnet 10.0.0.0/16");
    }

    #[test]
    fn unknown_shapes_keep_their_words_with_a_capital() {
        assert_eq!(
            about_value("Host name", "name", "a b", "name 'a b' contains a space"),
            "Host name contains a space"
        );
        assert_eq!(capitalized("a lease of 5 seconds is too short"), "A lease of 5 seconds is too short");
        assert_eq!(
            about_subnet("prefix 40 is too long for IPv4 (at most 32)"),
            "Prefix 40 is too long for IPv4 (at most 32)"
        );
    }
}
