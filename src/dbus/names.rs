//! Well-known names, object paths, flags and event names of `io.github.virtnet.Helper1`.

use uuid::Uuid;
use zbus::{ObjectPath, OwnedObjectPath};

/// The helper's name on the system bus (versioned: a future incompatible API gets `Helper2`).
pub const BUS_NAME: &str = "io.github.virtnet.Helper1";
/// The Manager object, also the ObjectManager root of every network object.
pub const ROOT_PATH: &str = "/io/github/virtnet/Helper1";
pub const MANAGER_INTERFACE: &str = "io.github.virtnet.Helper1.Manager";
pub const NETWORK_INTERFACE: &str = "io.github.virtnet.Helper1.Network";
pub const PORT_INTERFACE: &str = "io.github.virtnet.Helper1.Port";
/// Prefix of the typed errors (`io.github.virtnet.Helper1.Error.NotFound`, ...).
pub const ERROR_PREFIX: &str = "io.github.virtnet.Helper1.Error";
/// The polkit action every changing call needs.
pub const POLKIT_ACTION: &str = "io.github.virtnet.manage";
/// The polkit action plugging a VM into a network needs (OpenPort, CreatePort for
/// oneself, deleting one's own port).
pub const POLKIT_ACTION_ATTACH: &str = "io.github.virtnet.attach";
/// The polkit action a definition with raw dnsmasq options beyond the safe ones needs
/// as well (they run as root).
pub const POLKIT_ACTION_DNSMASQ_OPTIONS: &str = "io.github.virtnet.manage-dnsmasq-options";

/// `/io/github/virtnet/Helper1/network/<uuid without dashes>`.
pub fn network_path(uuid: &Uuid) -> OwnedObjectPath {
    // A simple UUID is 32 hex digits: always a valid path element.
    OwnedObjectPath::from(ObjectPath::from_string_unchecked(format!("{ROOT_PATH}/network/{}", uuid.simple())))
}

/// `.../network/<uuid>/port/<n>`.
pub fn port_path(uuid: &Uuid, number: u32) -> OwnedObjectPath {
    OwnedObjectPath::from(ObjectPath::from_string_unchecked(format!("{}/port/{number}", network_path(uuid).as_str())))
}

/// The value of the Port's `Owner` property for a port nobody owns (systemd's
/// UID_INVALID).
pub const NO_OWNER: u32 = u32::MAX;

/// The UUID an object path names, if it is a network object's path.
pub fn uuid_of_path(path: &str) -> Option<Uuid> {
    let simple = path.strip_prefix(ROOT_PATH)?.strip_prefix("/network/")?;
    Uuid::try_parse(simple).ok()
}

/// `ListNetworks` flags, libvirt's `virConnectListAllNetworksFlags`. Within a pair
/// (active/inactive, persistent/transient, autostart/no autostart) set bits combine
/// with "or"; pairs combine with "and"; a pair with no bit set does not filter.
pub mod list_flags {
    pub const INACTIVE: u32 = 1;
    pub const ACTIVE: u32 = 2;
    pub const PERSISTENT: u32 = 4;
    pub const TRANSIENT: u32 = 8;
    pub const AUTOSTART: u32 = 16;
    pub const NO_AUTOSTART: u32 = 32;
    pub const ALL_KNOWN: u32 = INACTIVE | ACTIVE | PERSISTENT | TRANSIENT | AUTOSTART | NO_AUTOSTART;

    /// Does a network with these properties pass the filter?
    pub fn matches(flags: u32, active: bool, persistent: bool, autostart: bool) -> bool {
        let pair = |yes: u32, no: u32, value: bool| {
            flags & (yes | no) == 0 || (value && flags & yes != 0) || (!value && flags & no != 0)
        };
        pair(ACTIVE, INACTIVE, active)
            && pair(PERSISTENT, TRANSIENT, persistent)
            && pair(AUTOSTART, NO_AUTOSTART, autostart)
    }
}

/// `GetXMLDesc` flags.
pub mod xml_flags {
    /// The definition the network will have at its next start, not the running one.
    pub const INACTIVE: u32 = 1;
}

/// `Update` flags, libvirt's virNetworkUpdateFlags: 0 (current) changes the running
/// network when it runs, else the persistent definition.
pub mod update_flags {
    pub const CURRENT: u32 = 0;
    pub const LIVE: u32 = 1;
    pub const CONFIG: u32 = 2;
}

/// The `event` argument of `NetworkEvent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkEvent {
    Defined,
    Undefined,
    Started,
    Stopped,
    Updated,
}

impl NetworkEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkEvent::Defined => "defined",
            NetworkEvent::Undefined => "undefined",
            NetworkEvent::Started => "started",
            NetworkEvent::Stopped => "stopped",
            NetworkEvent::Updated => "updated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let uuid = Uuid::parse_str("81ff0d90-c91e-6742-64da-4a736edb9a9b").unwrap();
        let path = network_path(&uuid);
        assert_eq!(path.as_str(), "/io/github/virtnet/Helper1/network/81ff0d90c91e674264da4a736edb9a9b");
        assert_eq!(uuid_of_path(path.as_str()), Some(uuid));
        assert_eq!(uuid_of_path("/elsewhere"), None);
        assert_eq!(port_path(&uuid, 3).as_str(), format!("{}/port/3", path.as_str()));
    }

    #[test]
    fn list_flags_follow_libvirt() {
        use list_flags::*;
        assert!(matches(0, true, false, false));
        assert!(matches(ACTIVE, true, true, true));
        assert!(!matches(INACTIVE, true, true, true));
        assert!(matches(ACTIVE | INACTIVE, false, true, true));
        assert!(!matches(ACTIVE | PERSISTENT, true, false, false));
        assert!(matches(NO_AUTOSTART | TRANSIENT, false, false, false));
    }
}
