//! Values that depend on a network's address and prefix (the DHCP range, the static
//! hosts' addresses) and how they follow when the address is changed: always computed
//! from the values as they were before the address was edited, never from a half-typed
//! one, so the result depends only on the final address.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::model::ip::{DhcpRange, IpDef};
use crate::model::values::{Family, PrefixSpec};

/// DHCP range for a subnet: from the second to the last usable address (libvirt's
/// default network hands out .2–.254 of a /24), avoiding the host's own address.
pub fn default_range(subnet: &IpNetwork) -> Option<(IpAddr, IpAddr)> {
    match subnet {
        IpNetwork::V4(v4) if v4.prefix() <= 30 => {
            let network = u32::from(v4.network());
            let broadcast = u32::from(v4.broadcast());
            let host = u32::from(v4.ip());
            let (start, end) = if host == network + 1 {
                (network + 2, broadcast - 1)
            } else {
                (network + 1, host.saturating_sub(1).max(network + 1))
            };
            (start <= end).then(|| (IpAddr::V4(start.into()), IpAddr::V4(end.into())))
        }
        IpNetwork::V6(v6) if v6.prefix() <= 120 => {
            let network = u128::from(v6.network());
            Some((IpAddr::V6((network + 0x100).into()), IpAddr::V6((network + 0x1ff).into())))
        }
        _ => None,
    }
}

/// An `<ip>` at a new address and prefix, starting from `before` (the `<ip>` as it was
/// before its address was edited; `None` when the family had none).
///
/// The DHCP range, if it was the default range of the old subnet, becomes the default
/// range of the new one; otherwise, like the static hosts' addresses, each address keeps
/// its place in the subnet (`192.168.1.50` in `192.168.1.0/24` becomes `10.0.0.50` in
/// `10.0.0.0/24`) where that place exists in the new subnet, and is left as it was
/// (for the form to flag) where it does not.
pub fn moved(before: Option<&IpDef>, family: Family, to: IpNetwork) -> IpDef {
    let Some(before) = before else {
        return IpDef {
            // family='ipv4' is libvirt's default and not written.
            family: (family == Family::Ipv6).then_some(family),
            address: Some(to.ip()),
            prefix: Some(PrefixSpec::Prefix(to.prefix())),
            ..IpDef::default()
        };
    };
    let from = before.subnet();
    let mut ip = before.clone();
    if from == Some(to) {
        // The same address and prefix: keep them as written (netmask or prefix).
        return ip;
    }
    ip.address = Some(to.ip());
    ip.prefix = match (before.prefix, to) {
        (Some(PrefixSpec::Netmask(_)), IpNetwork::V4(v4)) => Some(PrefixSpec::Netmask(v4.mask())),
        _ => Some(PrefixSpec::Prefix(to.prefix())),
    };
    if let (Some(from), Some(dhcp)) = (from, ip.dhcp.as_mut()) {
        dhcp.ranges = moved_ranges(&dhcp.ranges, &from, &to);
        for host in &mut dhcp.hosts {
            host.ip = host.ip.map(|addr| moved_address(addr, &from, &to));
        }
    }
    ip
}

/// DHCP ranges of subnet `from` carried over to subnet `to` (see [`moved`]).
pub fn moved_ranges(ranges: &[DhcpRange], from: &IpNetwork, to: &IpNetwork) -> Vec<DhcpRange> {
    if from == to {
        return ranges.to_vec();
    }
    let followed_default = match ranges {
        [only] => default_range(from) == Some((only.start, only.end)),
        _ => false,
    };
    if followed_default && let Some((start, end)) = default_range(to) {
        return vec![DhcpRange { start, end, lease: ranges[0].lease }];
    }
    ranges
        .iter()
        .map(|range| DhcpRange {
            start: moved_address(range.start, from, to),
            end: moved_address(range.end, from, to),
            lease: range.lease,
        })
        .collect()
}

/// An address of subnet `from` at the same place in subnet `to`; unchanged when it is
/// not inside `from` or its place does not exist in `to`.
fn moved_address(addr: IpAddr, from: &IpNetwork, to: &IpNetwork) -> IpAddr {
    if !from.contains(addr) || Family::of(&addr) != Family::of(&to.ip()) {
        return addr;
    }
    let place = as_u128(addr) - as_u128(from.network());
    let host_bits = u32::from(Family::of(&addr).max_prefix() - to.prefix());
    let fits = 1u128.checked_shl(host_bits).is_none_or(|size| place < size);
    if !fits {
        return addr;
    }
    let moved = as_u128(to.network()) + place;
    match addr {
        IpAddr::V4(_) => u32::try_from(moved).map_or(addr, |v4| IpAddr::V4(v4.into())),
        IpAddr::V6(_) => IpAddr::V6(moved.into()),
    }
}

fn as_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Network;

    fn net(s: &str) -> IpNetwork {
        s.parse().unwrap()
    }

    fn lab_ip() -> IpDef {
        let xml = "<network><name>lab</name><ip address='192.168.100.1' netmask='255.255.255.0'><dhcp>\
                   <range start='192.168.100.50' end='192.168.100.99'/>\
                   <host mac='52:54:00:00:00:01' ip='192.168.100.200'/></dhcp></ip></network>";
        Network::from_xml(xml).unwrap().ips.remove(0)
    }

    #[test]
    fn default_ranges() {
        let r = |s: &str| default_range(&net(s)).map(|(a, b)| format!("{a}-{b}"));
        assert_eq!(r("192.168.5.1/24").as_deref(), Some("192.168.5.2-192.168.5.254"));
        assert_eq!(r("10.0.0.254/24").as_deref(), Some("10.0.0.1-10.0.0.253"));
        assert_eq!(r("10.0.0.1/31"), None);
    }

    #[test]
    fn addresses_keep_their_place_and_the_netmask_form() {
        let ip = moved(Some(&lab_ip()), Family::Ipv4, net("10.0.7.1/24"));
        assert_eq!(ip.prefix, Some(PrefixSpec::Netmask("255.255.255.0".parse().unwrap())));
        let dhcp = ip.dhcp.unwrap();
        assert_eq!(
            (dhcp.ranges[0].start.to_string(), dhcp.ranges[0].end.to_string()),
            ("10.0.7.50".into(), "10.0.7.99".into())
        );
        assert_eq!(dhcp.hosts[0].ip.unwrap().to_string(), "10.0.7.200");
        assert_eq!(dhcp.hosts[0].mac.unwrap().to_string(), "52:54:00:00:00:01");
    }

    #[test]
    fn a_place_the_new_subnet_lacks_is_left_for_the_form_to_flag() {
        let ip = moved(Some(&lab_ip()), Family::Ipv4, net("10.0.7.1/25"));
        let dhcp = ip.dhcp.unwrap();
        assert_eq!(dhcp.ranges[0].end.to_string(), "10.0.7.99");
        assert_eq!(dhcp.hosts[0].ip.unwrap().to_string(), "192.168.100.200");
    }

    #[test]
    fn a_default_range_stays_the_default() {
        let mut ip = lab_ip();
        ip.dhcp.as_mut().unwrap().ranges = vec![DhcpRange {
            start: "192.168.100.2".parse().unwrap(),
            end: "192.168.100.254".parse().unwrap(),
            lease: None,
        }];
        let wider = moved(Some(&ip), Family::Ipv4, net("10.8.0.1/16"));
        let range = &wider.dhcp.as_ref().unwrap().ranges[0];
        assert_eq!((range.start.to_string(), range.end.to_string()), ("10.8.0.2".into(), "10.8.255.254".into()));
        // Back again: the very same range.
        let back = moved(Some(&wider), Family::Ipv4, net("192.168.100.1/24"));
        assert_eq!(back.dhcp, ip.dhcp);
    }

    #[test]
    fn the_same_address_changes_nothing_and_a_new_family_starts_empty() {
        let ip = lab_ip();
        assert_eq!(moved(Some(&ip), Family::Ipv4, net("192.168.100.1/24")), ip);
        let v6 = moved(None, Family::Ipv6, net("fd00:5::1/64"));
        assert_eq!((v6.family, v6.dhcp), (Some(Family::Ipv6), None));
    }
}
