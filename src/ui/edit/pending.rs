//! What a restart would change: the parts of a running network's saved definition that
//! differ from what it runs with, named as the form names them, so the notice about the
//! next start says which fields wait for it.

use gettextrs::gettext;

use super::Field;
use crate::model::ip::{Dhcp, IpDef};
use crate::model::{Family, Network};

/// The form's names of what differs between the definition a network runs with and the
/// one it will start with, in the form's order; empty when they are the same.
pub fn restart_fields(live: &Network, saved: &Network) -> Vec<String> {
    let mut fields = Vec::new();
    let mut differs = |changed: bool, label: String| {
        if changed && !fields.contains(&label) {
            fields.push(label);
        }
    };
    differs(live.name != saved.name, Field::Name.short_label());
    differs(live.forward.as_ref().map(|f| f.mode) != saved.forward.as_ref().map(|f| f.mode), gettext("Mode"));
    let devs = |n: &Network| n.forward.as_ref().map(|f| f.interfaces.clone()).unwrap_or_default();
    differs(devs(live) != devs(saved), Field::ForwardDev.short_label());
    differs(live.mtu != saved.mtu, Field::Mtu.short_label());
    differs(live.bridge != saved.bridge || live.mac != saved.mac, gettext("Bridge"));
    for family in [Family::Ipv4, Family::Ipv6] {
        let (before, after) = (first_of(live, family), first_of(saved, family));
        let address = |ip: Option<&IpDef>| ip.map(|i| (i.address, i.prefix_len()));
        differs(address(before) != address(after), in_family(Field::Subnet(family).short_label(), family));
        let boot = |ip: Option<&IpDef>| ip.map(|i| (i.tftp_root.clone(), i.dhcp.as_ref().map(|d| d.bootp.clone())));
        differs(boot(before) != boot(after), in_family(gettext("Network boot"), family));
        let dhcp = |ip: Option<&IpDef>| ip.and_then(|i| i.dhcp.clone()).unwrap_or_default();
        let (before, after): (Dhcp, Dhcp) = (dhcp(before), dhcp(after));
        differs(before.ranges != after.ranges, in_family(gettext("DHCP range"), family));
        differs(before.hosts != after.hosts, in_family(gettext("Static hosts"), family));
    }
    differs(live.domain != saved.domain, Field::Domain.short_label());
    let forwarders = |n: &Network| n.dns.as_ref().map(|d| d.forwarders.clone()).unwrap_or_default();
    differs(forwarders(live) != forwarders(saved), Field::Forwarders.short_label());
    let records = |n: &Network| n.dns.as_ref().map(|d| (d.hosts.clone(), d.txts.clone(), d.srvs.clone()));
    differs(records(live) != records(saved), gettext("DNS records"));
    if fields.is_empty() && live != saved {
        fields.push(gettext("other settings"));
    }
    fields
}

fn first_of(network: &Network, family: Family) -> Option<&IpDef> {
    network.ips.iter().find(|ip| ip.family() == Some(family))
}

/// "Static hosts (IPv4)".
fn in_family(label: String, family: Family) -> String {
    gettext("{what} ({family})").replace("{what}", &label).replace("{family}", &family.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(extra: &str, ip: &str) -> Network {
        Network::from_xml(&format!(
            "<network><name>lab</name><forward mode='nat'/>{extra}<ip address='{ip}' prefix='24'><dhcp>\
             <range start='10.0.0.10' end='10.0.0.20'/></dhcp></ip></network>"
        ))
        .unwrap()
    }

    #[test]
    fn names_what_differs_in_the_forms_words() {
        let live = network("", "10.0.0.1");
        assert!(restart_fields(&live, &live).is_empty());
        let saved = network("<mtu size='9000'/><domain name='lab'/>", "10.0.0.2");
        assert_eq!(restart_fields(&live, &saved), ["MTU", "Host address and prefix (IPv4)", "Domain"]);
        let mut saved = live.clone();
        saved.description = Some("notes".into());
        assert_eq!(restart_fields(&live, &saved), ["other settings"]);
    }
}
