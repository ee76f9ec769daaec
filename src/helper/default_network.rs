//! The `default` network virtnet defines on its first run, like libvirt's: NAT on bridge
//! `virbr0` with 192.168.122.1/24 and DHCP .2–.254, started at boot. Unlike libvirt it
//! does not fail when that subnet is already in use on the host: it takes the next
//! free 192.168.N.0/24.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::model::forward::{Forward, ForwardMode};
use crate::model::ip::{Dhcp, DhcpRange, IpDef};
use crate::model::subnet::{first_free_private_v4, nth};
use crate::model::values::PrefixSpec;
use crate::model::{Bridge, Network};

pub const NAME: &str = "default";
pub const BRIDGE: &str = "virbr0";

/// libvirt's subnet for `default`, used unless the host already uses it.
pub fn preferred_subnet() -> Option<IpNetwork> {
    IpNetwork::new(IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 122, 0)), 24).ok()
}

/// The definition (without UUID and MAC: the define-time defaults add them), on the
/// first 192.168.N.0/24 that overlaps none of `used`, or `None` if all are used.
pub fn definition(used: &[IpNetwork]) -> Option<Network> {
    let subnet = first_free_private_v4(used)?;
    let mask = subnet.mask();
    Some(Network {
        name: NAME.to_owned(),
        forward: Some(Forward::new(ForwardMode::Nat)),
        bridge: Bridge { name: Some(BRIDGE.to_owned()), ..Bridge::default() },
        ips: vec![IpDef {
            address: Some(IpAddr::V4(nth(&subnet, 1))),
            prefix: Some(PrefixSpec::Netmask(mask)),
            dhcp: Some(Dhcp {
                ranges: vec![DhcpRange {
                    start: IpAddr::V4(nth(&subnet, 2)),
                    end: IpAddr::V4(nth(&subnet, 254)),
                    lease: None,
                }],
                ..Dhcp::default()
            }),
            ..IpDef::default()
        }],
        ..Network::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_libvirts_default_on_a_free_host() {
        let network = definition(&[]).unwrap();
        assert!(network.validate().is_ok());
        let expected = "<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
";
        assert_eq!(network.to_xml(), expected);
    }

    #[test]
    fn moves_to_the_next_free_subnet() {
        let used: Vec<IpNetwork> = vec!["192.168.122.7/24".parse().unwrap(), "192.168.0.0/23".parse().unwrap()];
        let network = definition(&used).unwrap();
        let ip = &network.ips[0];
        assert_eq!(ip.subnet().unwrap().to_string(), "192.168.123.1/24");
        assert_eq!(ip.dhcp.as_ref().unwrap().ranges[0].end.to_string(), "192.168.123.254");
    }
}
