//! The form's words: the label of each field (the same in the details page and the
//! wizard), and the model's problems retold with those labels, as sentences that start
//! with a capital ("Last address handed out is outside 192.168.100.0/24" rather than
//! `ip[0]/dhcp/range[0]: end 192.168.100.300 is outside ...`). Translated here, since
//! the model's own messages are English.

use gettextrs::gettext;

use super::Field;
use crate::model::Family;
use crate::model::problem::{Code, Problem, Reserved};
use crate::model::syntax::{Fault, Kind};

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

/// A model problem about the field labelled `label`, told by its code in the form's
/// words (translated). Problems without a code keep the model's English sentence.
pub fn problem_in_words(label: &str, problem: &Problem) -> String {
    let fill = |text: String| text.replace("{field}", label);
    match &problem.code {
        Code::OutsideSubnet { subnet } => fill(gettext("{field} is outside {subnet}")).replace("{subnet}", subnet),
        Code::Reserved(Reserved::HostAddress) => fill(gettext("{field} is this computer's own address")),
        Code::Reserved(Reserved::NetworkAddress) => {
            fill(gettext("{field} is the network's own address, which no guest can have"))
        }
        Code::Reserved(Reserved::BroadcastAddress) => {
            fill(gettext("{field} is the broadcast address, which no guest can have"))
        }
        Code::NotUnicast => fill(gettext("{field} is a multicast or all-zero address; a guest needs a unicast one")),
        Code::WrongFamily => fill(gettext("{field} is not of the same family as the network's address")),
        Code::StartAfterEnd => fill(gettext("{field} comes after the last address handed out")),
        Code::AlreadyUsed => fill(gettext("{field} is already used by another static host")),
        Code::RangeIncludes(Reserved::HostAddress) => gettext("The range includes this computer's own address"),
        Code::RangeIncludes(Reserved::NetworkAddress) => gettext("The range includes the network's own address"),
        Code::RangeIncludes(Reserved::BroadcastAddress) => gettext("The range includes the broadcast address"),
        Code::RangesOverlap => gettext("The range overlaps another range of this network"),
        Code::SubnetEdge { edge, subnet, example } => {
            let text = if *edge == Reserved::NetworkAddress {
                gettext(
                    "This is the network's own address of {subnet}; this computer needs an address inside it, such as {example}",
                )
            } else {
                gettext(
                    "This is the broadcast address of {subnet}; this computer needs an address inside it, such as {example}",
                )
            };
            text.replace("{subnet}", subnet).replace("{example}", example)
        }
        Code::SubnetsOverlap { subnet, other } => gettext("{subnet} overlaps this network's other subnet {other}")
            .replace("{subnet}", subnet)
            .replace("{other}", other),
        Code::UnusableAddress => {
            gettext("This computer's address cannot be a loopback, multicast or unspecified address")
        }
        Code::TooSmall { min } => {
            fill(gettext("{field} is too small; the smallest is {min}")).replace("{min}", &min.to_string())
        }
        Code::TooLarge { max } => {
            fill(gettext("{field} is too large; the largest is {max}")).replace("{max}", &max.to_string())
        }
        Code::NeedsNat => gettext("Only NAT networks forward ports; guests of other networks are reached directly"),
        Code::PortTaken { .. } => fill(gettext("{field} is already forwarded to another guest")),
        Code::Syntax(fault) => fault_in_words(label, fault),
        Code::Unreadable => fill(gettext("{field} cannot be read as a value of its kind")),
        Code::Missing => fill(gettext("Enter the {field}")),
        Code::Unidentified if problem.attribute == Some("id") => gettext("Give the host a client ID (DUID) or a name"),
        Code::Unidentified => gettext("Give the host a MAC address or a name"),
        _ => capitalized(&problem.message),
    }
}

/// Why a value breaks its syntax rule, about the field labelled `label`.
pub fn fault_in_words(label: &str, fault: &Fault) -> String {
    let fill = |text: String| text.replace("{field}", label);
    match fault {
        Fault::Empty => fill(gettext("{field} is empty")),
        Fault::TooLong { bytes, max, .. } => fill(gettext("{field} is {bytes} bytes long; at most {max} fit"))
            .replace("{bytes}", &bytes.to_string())
            .replace("{max}", &max.to_string()),
        Fault::Character { found, kind } => {
            let text = match kind {
                Kind::InterfaceName => {
                    gettext("{field} contains {char}; interface names use letters, digits, “_”, “-” and “.”")
                }
                Kind::DnsName => gettext("{field} contains {char}; DNS names use letters, digits, “-”, “_” and “.”"),
                Kind::NetworkName if crate::model::syntax::is_invisible(*found) => {
                    gettext("{field} contains {char}, which does not show; a name must look like what it is")
                }
                Kind::NetworkName => {
                    gettext("{field} contains {char}; a name cannot contain “/”, “,” or control characters")
                }
                Kind::DnsmasqValue | Kind::DnsmasqOption => {
                    gettext("{field} contains {char}, which dnsmasq would read differently")
                }
            };
            fill(text).replace("{char}", &char_in_words(*found))
        }
        Fault::NotUsable => fill(gettext("{field} cannot be “.” or “..”")),
        Fault::Expanded(inner) => fault_in_words(label, inner),
        Fault::SeveralTemplates => fill(gettext("{field} contains more than one %d")),
        Fault::EmptyLabel => fill(gettext("{field} has an empty part (two dots in a row, or a leading dot)")),
        Fault::LabelTooLong { bytes } => {
            fill(gettext("{field} has a part of {bytes} bytes between dots; at most 63 fit"))
                .replace("{bytes}", &bytes.to_string())
        }
        Fault::LabelHyphen { label: part } => {
            fill(gettext("{field} has a part “{part}” that starts or ends with “-”")).replace("{part}", part)
        }
        Fault::NotAbsolute => fill(gettext("{field} must be an absolute path (starting with /)")),
        Fault::NotDuid => fill(gettext(
            "{field} is not a client ID (hex bytes separated by colons, such as 0:3:0:1:0:16:3e:11:22:33)",
        )),
        Fault::SurroundingSpace => fill(gettext("{field} starts or ends with white space")),
    }
}

/// A character named so that invisible ones show up in messages (the model's
/// `describe_char`, translated).
fn char_in_words(c: char) -> String {
    let code = format!("U+{:04X}", u32::from(c));
    match c {
        '\n' => gettext("a newline"),
        c if crate::model::syntax::is_invisible(c) => {
            gettext("the invisible character {code}").replace("{code}", &code)
        }
        '\r' => gettext("a carriage return"),
        '\t' => gettext("a tab"),
        ' ' => gettext("a space"),
        c if c.is_control() => gettext("the control character {code}").replace("{code}", &code),
        c => gettext("“{char}”").replace("{char}", &c.to_string()),
    }
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

    /// The problems the model really gives, retold by their codes: a problem that lost
    /// its code shows here instead of silently falling back to the English text.
    fn problems(xml: &str) -> Vec<Problem> {
        let network = Network::from_xml(xml).unwrap();
        network.validate().unwrap_err().0
    }

    fn about<'p>(found: &'p [Problem], attribute: Option<&str>, code: fn(&Code) -> bool) -> &'p Problem {
        found.iter().find(|p| p.attribute == attribute && code(&p.code)).unwrap()
    }

    #[test]
    fn range_problems_use_the_fields_label() {
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.1' prefix='24'><dhcp>\
             <range start='192.168.100.1' end='10.0.0.9'/></dhcp></ip></network>",
        );
        let start = about(&found, Some("start"), |c| matches!(c, Code::Reserved(_)));
        let end = about(&found, Some("end"), |c| matches!(c, Code::OutsideSubnet { .. }));
        assert_eq!(
            problem_in_words("First address handed out", start),
            "First address handed out is this computer's own address"
        );
        assert_eq!(
            problem_in_words("Last address handed out", end),
            "Last address handed out is outside 192.168.100.0/24"
        );
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.1' prefix='24'><dhcp>\
             <range start='192.168.100.90' end='192.168.100.20'/></dhcp></ip></network>",
        );
        assert_eq!(
            problem_in_words("First address handed out", &found[0]),
            "First address handed out comes after the last address handed out"
        );
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.50' prefix='24'><dhcp>\
             <range start='192.168.100.20' end='192.168.100.90'/></dhcp></ip></network>",
        );
        assert_eq!(problem_in_words("Range", &found[0]), "The range includes this computer's own address");
    }

    #[test]
    fn host_and_subnet_problems() {
        let found = problems(
            "<network><name>a</name><ip address='192.168.100.0' prefix='24'><dhcp>\
             <host mac='01:00:00:00:00:01' ip='192.168.100.9'/><host mac='01:00:00:00:00:01' ip='192.168.100.10'/>\
             </dhcp></ip></network>",
        );
        let subnet = found.iter().find(|p| p.path == "ip[0]").unwrap();
        assert_eq!(
            problem_in_words("Host address and prefix", subnet),
            "This is the network's own address of 192.168.100.0/24; this computer needs an address inside it, such as 192.168.100.1"
        );
        let multicast = about(&found, Some("mac"), |c| *c == Code::NotUnicast);
        assert_eq!(
            problem_in_words("MAC address", multicast),
            "MAC address is a multicast or all-zero address; a guest needs a unicast one"
        );
        let again = about(&found, Some("mac"), |c| *c == Code::AlreadyUsed);
        assert_eq!(problem_in_words("MAC address", again), "MAC address is already used by another static host");
        let found = problems(
            "<network><name>a</name><ip address='10.0.0.1' prefix='16'/><ip address='10.0.5.1' prefix='24'/></network>",
        );
        assert_eq!(
            problem_in_words("Host address and prefix", &found[0]),
            "10.0.5.0/24 overlaps this network's other subnet 10.0.0.0/16"
        );
    }

    #[test]
    fn syntax_faults_name_the_character() {
        let found = problems(
            "<network><name>a</name><domain name='a b'/><ip address='10.0.0.1' prefix='24'><dhcp>\
             <host mac='52:54:00:00:00:01' name='x\u{200B}y' ip='10.0.0.9'/></dhcp></ip></network>",
        );
        let domain = found.iter().find(|p| p.path == "domain").unwrap();
        assert_eq!(
            problem_in_words("Domain", domain),
            "Domain contains a space; DNS names use letters, digits, “-”, “_” and “.”"
        );
        let name = found.iter().find(|p| p.path == "ip[0]/dhcp/host[0]").unwrap();
        assert!(problem_in_words("Host name", name).contains("the invisible character U+200B"), "{name:?}");
    }

    #[test]
    fn problems_without_a_code_keep_their_words_with_a_capital() {
        let found = problems(
            "<network><name>a</name><ip address='10.0.0.1' prefix='24'><dhcp>\
             <range start='10.0.0.10' end='10.0.0.20'><lease expiry='1' unit='seconds'/></range></dhcp></ip></network>",
        );
        assert_eq!(found[0].code, Code::Other);
        assert_eq!(
            problem_in_words("Lease", &found[0]),
            "A lease of 1 seconds is too short; leases last at least 120 seconds (or 0 for infinite)"
        );
    }
}
