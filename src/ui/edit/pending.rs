//! What a restart would change: the parts of a running network's saved definition that
//! differ from what it runs with, named as the form names them, so the notice about the
//! next start says which fields wait for it.

use gettextrs::gettext;

use super::Field;
use crate::model::dns::{Dns, DnsHost, SrvRecord, TxtRecord};
use crate::model::forward::ForwardInterface;
use crate::model::ip::{Dhcp, IpDef};
use crate::model::{Family, Network};

/// The form's names of what differs between the definition a network runs with and the
/// one it will start with, in the form's order; empty when they are the same.
pub fn restart_fields(live: &Network, saved: &Network) -> Vec<String> {
    let mut fields = Vec::new();
    let mut differs = |changed: bool, label: String| {
        if changed {
            fields.push(label);
        }
    };
    differs(live.name != saved.name, Field::Name.short_label());
    differs(live.forward.as_ref().map(|f| f.mode) != saved.forward.as_ref().map(|f| f.mode), gettext("Mode"));
    differs(uplinks(live) != uplinks(saved), Field::ForwardDev.short_label());
    differs(live.mtu != saved.mtu, Field::Mtu.short_label());
    differs(live.bridge != saved.bridge || live.mac != saved.mac, gettext("Bridge"));
    for family in [Family::Ipv4, Family::Ipv6] {
        let (before, after) = (first_of(live, family), first_of(saved, family));
        let address = |ip: Option<&IpDef>| ip.map(|i| (i.address, i.prefix_len()));
        differs(address(before) != address(after), in_family(Field::Subnet(family).short_label(), family));
        let tftp = |ip: Option<&IpDef>| ip.and_then(|i| i.tftp_root.clone());
        let bootp = |ip| dhcp(ip).and_then(|d| d.bootp.as_ref());
        differs(
            tftp(before) != tftp(after) || bootp(before) != bootp(after),
            in_family(gettext("Network boot"), family),
        );
        let ranges = |ip| dhcp(ip).map(|d| d.ranges.as_slice());
        differs(ranges(before) != ranges(after), in_family(gettext("DHCP range"), family));
        let hosts = |ip| dhcp(ip).map(|d| d.hosts.as_slice());
        differs(hosts(before) != hosts(after), in_family(gettext("Static hosts"), family));
    }
    differs(live.domain != saved.domain, Field::Domain.short_label());
    let (before, after) = (live.dns.as_ref(), saved.dns.as_ref());
    differs(before.map(|d| &d.forwarders) != after.map(|d| &d.forwarders), Field::Forwarders.short_label());
    differs(records(before) != records(after), gettext("DNS records"));
    differs(live.port_forwards != saved.port_forwards, gettext("Port Forwarding"));
    if fields.is_empty() && live != saved {
        fields.push(gettext("other settings"));
    }
    fields
}

/// The DNS records (host, TXT, SRV) of a `<dns>`.
fn records(dns: Option<&Dns>) -> Option<(&[DnsHost], &[TxtRecord], &[SrvRecord])> {
    dns.map(|d| (d.hosts.as_slice(), d.txts.as_slice(), d.srvs.as_slice()))
}

fn uplinks(network: &Network) -> &[ForwardInterface] {
    network.forward.as_ref().map(|f| f.interfaces.as_slice()).unwrap_or_default()
}

fn first_of(network: &Network, family: Family) -> Option<&IpDef> {
    network.ips.iter().find(|ip| ip.family() == Some(family))
}

fn dhcp(ip: Option<&IpDef>) -> Option<&Dhcp> {
    ip.and_then(|i| i.dhcp.as_ref())
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
