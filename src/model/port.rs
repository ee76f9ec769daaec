//! Switch-port settings: `<virtualport>`, `<portgroup>`, `<vlan>` and `<bandwidth>`.
//! virtnet keeps them so definitions round-trip; it applies bandwidth and port isolation
//! to guests' ports only through the hypervisor that plugs them in.

use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualPort {
    /// `802.1Qbg`, `802.1Qbh`, `openvswitch`, `midonet`, or absent.
    pub kind: Option<VirtualPortKind>,
    pub parameters: Option<VirtualPortParameters>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VirtualPortKind {
    Qbg,
    Qbh,
    OpenVSwitch,
    Midonet,
}

impl VirtualPortKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VirtualPortKind::Qbg => "802.1Qbg",
            VirtualPortKind::Qbh => "802.1Qbh",
            VirtualPortKind::OpenVSwitch => "openvswitch",
            VirtualPortKind::Midonet => "midonet",
        }
    }
}

impl std::str::FromStr for VirtualPortKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [VirtualPortKind::Qbg, VirtualPortKind::Qbh, VirtualPortKind::OpenVSwitch, VirtualPortKind::Midonet]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a virtual port type (802.1Qbg, 802.1Qbh, openvswitch or midonet)"))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VirtualPortParameters {
    pub managerid: Option<u8>,
    pub typeid: Option<u32>,
    pub typeidversion: Option<u8>,
    pub instanceid: Option<Uuid>,
    pub profileid: Option<String>,
    pub interfaceid: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortGroup {
    pub name: String,
    pub default: Option<bool>,
    pub trust_guest_rx_filters: Option<bool>,
    pub virtualport: Option<VirtualPort>,
    pub bandwidth: Option<Bandwidth>,
    pub vlan: Option<Vlan>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vlan {
    pub trunk: bool,
    pub tags: Vec<VlanTag>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag {
    pub id: u16,
    /// `nativeMode='tagged'|'untagged'`.
    pub native_mode: Option<NativeMode>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeMode {
    Tagged,
    Untagged,
}

impl NativeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NativeMode::Tagged => "tagged",
            NativeMode::Untagged => "untagged",
        }
    }
}

impl std::str::FromStr for NativeMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tagged" => Ok(NativeMode::Tagged),
            "untagged" => Ok(NativeMode::Untagged),
            _ => Err(format!("'{s}' is not a native VLAN mode (tagged or untagged)")),
        }
    }
}

/// `<bandwidth>`: QoS limits in kilobytes per second (burst in kilobytes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bandwidth {
    pub class_id: Option<u32>,
    pub inbound: Option<Rate>,
    pub outbound: Option<Rate>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rate {
    pub average: Option<u64>,
    pub peak: Option<u64>,
    pub floor: Option<u64>,
    pub burst: Option<u32>,
}
