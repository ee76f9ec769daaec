//! Small value types shared by the network definition: MAC addresses, address
//! families, prefixes, lease times, and the yes/no and on/off words of libvirt's XML.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

/// An Ethernet MAC address, written as `52:54:00:ab:cd:ef` (lower case, as libvirt writes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The prefix libvirt and QEMU use for generated addresses (locally administered by
    /// convention, registered to QEMU/Xensource).
    pub const LIBVIRT_PREFIX: [u8; 3] = [0x52, 0x54, 0x00];

    /// Multicast addresses (lowest bit of the first byte set) cannot be a bridge's or a
    /// guest's address.
    pub fn is_unicast(&self) -> bool {
        self.0[0] & 1 == 0
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

impl FromStr for MacAddr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("'{s}' is not a MAC address (six hex pairs such as 52:54:00:12:34:56)");
        let mut bytes = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut bytes {
            let part = parts.next().ok_or_else(invalid)?;
            if part.len() != 2 || !part.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(invalid());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| invalid())?;
        }
        if parts.next().is_some() {
            return Err(invalid());
        }
        Ok(MacAddr(bytes))
    }
}

/// `family='ipv4'` or `family='ipv6'` on `<ip>` and `<route>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Ipv4,
    Ipv6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }

    /// Longest prefix of this family (32 or 128).
    pub fn max_prefix(self) -> u8 {
        match self {
            Family::Ipv4 => 32,
            Family::Ipv6 => 128,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::Ipv4 => "IPv4",
            Family::Ipv6 => "IPv6",
        })
    }
}

impl FromStr for Family {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ipv4" => Ok(Family::Ipv4),
            "ipv6" => Ok(Family::Ipv6),
            _ => Err(format!("'{s}' is not an address family (ipv4 or ipv6)")),
        }
    }
}

/// How the size of a subnet was written: `netmask='255.255.255.0'` or `prefix='24'`.
/// Kept as written so that a definition round-trips unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixSpec {
    Netmask(Ipv4Addr),
    Prefix(u8),
}

impl PrefixSpec {
    /// The prefix length, or `None` for a netmask whose ones are not contiguous.
    pub fn prefix_len(&self) -> Option<u8> {
        match *self {
            PrefixSpec::Prefix(p) => Some(p),
            PrefixSpec::Netmask(mask) => netmask_to_prefix(mask),
        }
    }
}

/// `255.255.255.0` → 24; `None` if the mask has holes (`255.0.255.0`).
pub fn netmask_to_prefix(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    if bits.checked_shl(ones).unwrap_or(0) == 0 { u8::try_from(ones).ok() } else { None }
}

/// The prefix an IPv4 address without netmask gets, by its old class (libvirt does
/// the same): A → 8, B → 16, C → 24.
pub fn classful_prefix(addr: Ipv4Addr) -> Option<u8> {
    match addr.octets()[0] {
        0..=127 => Some(8),
        128..=191 => Some(16),
        192..=223 => Some(24),
        _ => None,
    }
}

/// Unit of a DHCP `<lease expiry='N' unit='...'/>`; libvirt's default is minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseUnit {
    Seconds,
    Minutes,
    Hours,
}

impl LeaseUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseUnit::Seconds => "seconds",
            LeaseUnit::Minutes => "minutes",
            LeaseUnit::Hours => "hours",
        }
    }

    pub fn seconds(self) -> u64 {
        match self {
            LeaseUnit::Seconds => 1,
            LeaseUnit::Minutes => 60,
            LeaseUnit::Hours => 3600,
        }
    }
}

impl FromStr for LeaseUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "seconds" => Ok(LeaseUnit::Seconds),
            "minutes" => Ok(LeaseUnit::Minutes),
            "hours" => Ok(LeaseUnit::Hours),
            _ => Err(format!("'{s}' is not a lease unit (seconds, minutes or hours)")),
        }
    }
}

/// A DHCP lease time: `expiry` in `unit`s; 0 means the lease never expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub expiry: u64,
    pub unit: Option<LeaseUnit>,
}

impl Lease {
    /// The lease time in seconds, `None` for an infinite lease.
    pub fn seconds(&self) -> Option<u64> {
        if self.expiry == 0 {
            None
        } else {
            Some(self.expiry.saturating_mul(self.unit.unwrap_or(LeaseUnit::Minutes).seconds()))
        }
    }
}

/// Parses libvirt's `yes`/`no`.
pub fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("'{s}' is neither yes nor no")),
    }
}

/// Parses libvirt's `on`/`off`.
pub fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("'{s}' is neither on nor off")),
    }
}

pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

pub fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_parses_and_prints_lower_case() {
        let mac: MacAddr = "52:54:00:E6:A2:C9".parse().unwrap();
        assert_eq!(mac.to_string(), "52:54:00:e6:a2:c9");
        assert!(mac.is_unicast());
        assert!(!"01:00:5e:00:00:01".parse::<MacAddr>().unwrap().is_unicast());
    }

    #[test]
    fn mac_rejects_malformed() {
        for bad in
            ["", "52:54:00:e6:a2", "52:54:00:e6:a2:c9:00", "5:54:00:e6:a2:c9", "zz:54:00:e6:a2:c9", "52-54-00-e6-a2-c9"]
        {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn netmask_to_prefix_detects_holes() {
        assert_eq!(netmask_to_prefix("255.255.255.0".parse().unwrap()), Some(24));
        assert_eq!(netmask_to_prefix("255.255.255.255".parse().unwrap()), Some(32));
        assert_eq!(netmask_to_prefix("0.0.0.0".parse().unwrap()), Some(0));
        assert_eq!(netmask_to_prefix("255.0.255.0".parse().unwrap()), None);
    }

    #[test]
    fn lease_seconds_default_unit_is_minutes() {
        assert_eq!(Lease { expiry: 2, unit: None }.seconds(), Some(120));
        assert_eq!(Lease { expiry: 1, unit: Some(LeaseUnit::Hours) }.seconds(), Some(3600));
        assert_eq!(Lease { expiry: 0, unit: None }.seconds(), None);
    }
}
