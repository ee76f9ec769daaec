//! Subnet arithmetic shared by validation, the helper's collision checks and the
//! choice of free subnets.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};

/// `192.168.122.0/24`: a subnet written from its network address.
pub fn display(subnet: &IpNetwork) -> String {
    format!("{}/{}", subnet.network(), subnet.prefix())
}

/// Do two subnets share any address? (Different families never do.)
pub fn overlaps(a: &IpNetwork, b: &IpNetwork) -> bool {
    match (a, b) {
        (IpNetwork::V4(_), IpNetwork::V4(_)) | (IpNetwork::V6(_), IpNetwork::V6(_)) => {
            a.contains(b.network()) || b.contains(a.network())
        }
        _ => false,
    }
}

/// The first `192.168.N.0/24` (N = 122, 123, ... 254, then 0 ... 121: libvirt's default
/// first, then its neighbours) that overlaps none of `used`.
pub fn first_free_private_v4(used: &[IpNetwork]) -> Option<Ipv4Network> {
    (122u8..=254).chain(0..122).find_map(|n| {
        let candidate = Ipv4Network::new(Ipv4Addr::new(192, 168, n, 0), 24).ok()?;
        let as_ip = IpNetwork::V4(candidate);
        (!used.iter().any(|u| overlaps(u, &as_ip))).then_some(candidate)
    })
}

/// The first unique local `/64` (RFC 4193: `fd` + the 40-bit `global_id` + a 16-bit
/// subnet id, counting from 1) that overlaps none of `used`.
pub fn first_free_unique_local_v6(used: &[IpNetwork], global_id: [u8; 5]) -> Option<Ipv6Network> {
    (1u16..=u16::MAX).find_map(|subnet_id| {
        let [g0, g1, g2, g3, g4] = global_id;
        let [s0, s1] = subnet_id.to_be_bytes();
        let octets = [0xfd, g0, g1, g2, g3, g4, s0, s1, 0, 0, 0, 0, 0, 0, 0, 0];
        let candidate = Ipv6Network::new(Ipv6Addr::from(octets), 64).ok()?;
        let as_ip = IpNetwork::V6(candidate);
        (!used.iter().any(|u| overlaps(u, &as_ip))).then_some(candidate)
    })
}

/// The n-th address of a subnet (0 is the network address).
pub fn nth(subnet: &Ipv4Network, n: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(subnet.network()).saturating_add(n))
}

/// The reverse-lookup zone of a subnet (`122.168.192.in-addr.arpa`), when its prefix
/// falls on an octet (IPv4) or nibble (IPv6) boundary.
pub fn ptr_domain(subnet: &IpNetwork) -> Option<String> {
    match subnet {
        IpNetwork::V4(v4) => {
            let prefix = usize::from(v4.prefix());
            if prefix % 8 != 0 || prefix == 0 {
                return None;
            }
            let octets = v4.network().octets();
            let labels: Vec<String> = octets[..prefix / 8].iter().rev().map(u8::to_string).collect();
            Some(format!("{}.in-addr.arpa", labels.join(".")))
        }
        IpNetwork::V6(v6) => {
            let prefix = usize::from(v6.prefix());
            if prefix % 4 != 0 || prefix == 0 {
                return None;
            }
            let nibbles: Vec<String> = v6
                .network()
                .octets()
                .iter()
                .flat_map(|b| [b >> 4, b & 0xf])
                .take(prefix / 4)
                .map(|n| format!("{n:x}"))
                .collect();
            let reversed: Vec<&str> = nibbles.iter().rev().map(String::as_str).collect();
            Some(format!("{}.ip6.arpa", reversed.join(".")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptr_domains_follow_octets_and_nibbles() {
        assert_eq!(ptr_domain(&"192.168.122.1/24".parse().unwrap()).as_deref(), Some("122.168.192.in-addr.arpa"));
        assert_eq!(ptr_domain(&"10.1.2.3/16".parse().unwrap()).as_deref(), Some("1.10.in-addr.arpa"));
        assert_eq!(ptr_domain(&"10.1.2.3/20".parse().unwrap()), None);
        assert_eq!(
            ptr_domain(&"2001:db8:ac10:fe01::1/64".parse().unwrap()).as_deref(),
            Some("1.0.e.f.0.1.c.a.8.b.d.0.1.0.0.2.ip6.arpa")
        );
    }

    fn net(s: &str) -> IpNetwork {
        s.parse().unwrap()
    }

    #[test]
    fn overlap_is_any_shared_address() {
        assert!(overlaps(&net("192.168.0.0/16"), &net("192.168.122.0/24")));
        assert!(overlaps(&net("192.168.122.0/24"), &net("192.168.122.128/25")));
        assert!(!overlaps(&net("192.168.122.0/24"), &net("192.168.123.0/24")));
        assert!(!overlaps(&net("10.0.0.0/8"), &net("fd00::/8")));
        assert!(overlaps(&net("fd00:1::/64"), &net("fd00::/16")));
    }

    #[test]
    fn first_free_skips_used_subnets() {
        assert_eq!(first_free_private_v4(&[]).unwrap().to_string(), "192.168.122.0/24");
        let used = [net("192.168.122.1/24"), net("192.168.123.0/24")];
        assert_eq!(first_free_private_v4(&used).unwrap().to_string(), "192.168.124.0/24");
        assert_eq!(first_free_private_v4(&[net("192.168.0.0/16")]), None);
        assert_eq!(nth(&"192.168.5.0/24".parse().unwrap(), 254).to_string(), "192.168.5.254");
    }

    #[test]
    fn first_free_unique_local_skips_used_subnets() {
        let id = [0x12, 0x34, 0x56, 0x78, 0x9a];
        assert_eq!(first_free_unique_local_v6(&[], id).unwrap().to_string(), "fd12:3456:789a:1::/64");
        let used = [net("fd12:3456:789a:1::1/64"), net("fd12:3456:789a:2::/63")];
        assert_eq!(first_free_unique_local_v6(&used, id).unwrap().to_string(), "fd12:3456:789a:4::/64");
        assert_eq!(first_free_unique_local_v6(&[net("fd00::/8")], id), None);
    }
}
