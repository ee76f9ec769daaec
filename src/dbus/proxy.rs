//! Client proxies for the helper's interfaces. The CLI and the GUI use these and
//! nothing else to reach virtnetd.

use zbus::OwnedObjectPath;
use zbus::proxy;

/// The root object: finds, defines and creates networks.
#[proxy(
    interface = "io.github.virtnet.Helper1.Manager",
    default_service = "io.github.virtnet.Helper1",
    default_path = "/io/github/virtnet/Helper1"
)]
pub trait Manager {
    /// Object paths of the networks that match `flags` (see `list_flags`).
    fn list_networks(&self, flags: u32) -> zbus::Result<Vec<OwnedObjectPath>>;

    fn lookup_by_name(&self, name: &str) -> zbus::Result<OwnedObjectPath>;

    #[zbus(name = "LookupByUUID")]
    fn lookup_by_uuid(&self, uuid: &str) -> zbus::Result<OwnedObjectPath>;

    /// Defines (or redefines) a persistent network; does not start it.
    #[zbus(name = "DefineXML", allow_interactive_auth)]
    fn define_xml(&self, xml: &str) -> zbus::Result<OwnedObjectPath>;

    /// Creates and starts a transient network.
    #[zbus(name = "CreateXML", allow_interactive_auth)]
    fn create_xml(&self, xml: &str) -> zbus::Result<OwnedObjectPath>;

    /// The host's interfaces a network may forward to, by name.
    fn list_host_interfaces(&self) -> zbus::Result<Vec<crate::dbus::HostInterface>>;

    /// A subnet (`ipv4` or `ipv6`) that no host address or route and no network uses.
    fn suggest_subnet(&self, family: &str) -> zbus::Result<String>;

    /// The subnets the host's addresses and routes and every network use.
    fn list_used_subnets(&self) -> zbus::Result<Vec<crate::dbus::UsedSubnet>>;

    /// Applies the firewall rules of every active network again.
    #[zbus(allow_interactive_auth)]
    fn reload(&self) -> zbus::Result<()>;

    /// A network was defined, undefined, started, stopped or updated.
    #[zbus(signal)]
    fn network_event(&self, network: OwnedObjectPath, name: String, event: String) -> zbus::Result<()>;
}

/// One network.
#[proxy(interface = "io.github.virtnet.Helper1.Network", default_service = "io.github.virtnet.Helper1")]
pub trait Network {
    // Changing calls let polkit ask the user for a password (through the desktop's
    // agent) instead of failing at once.
    #[zbus(allow_interactive_auth)]
    fn start(&self) -> zbus::Result<()>;

    #[zbus(allow_interactive_auth)]
    fn destroy(&self) -> zbus::Result<()>;

    #[zbus(allow_interactive_auth)]
    fn undefine(&self) -> zbus::Result<()>;

    /// Whether the network starts at boot.
    #[zbus(name = "SetAutostart", allow_interactive_auth)]
    fn set_autostart(&self, autostart: bool) -> zbus::Result<()>;

    /// The definition as XML; flag 1 (`xml_flags::INACTIVE`) asks for the one the next
    /// start will use.
    #[zbus(name = "GetXMLDesc")]
    fn get_xml_desc(&self, flags: u32) -> zbus::Result<String>;

    /// Current DHCP leases, of one MAC address or (empty string) all.
    #[zbus(name = "GetDHCPLeases")]
    fn get_dhcp_leases(&self, mac: &str) -> zbus::Result<Vec<crate::dbus::DhcpLease>>;

    /// The leases changed: read them again.
    #[zbus(signal, name = "DHCPLeasesChanged")]
    fn dhcp_leases_changed(&self) -> zbus::Result<()>;

    /// libvirt's net-update of one section (see `update_flags`).
    #[zbus(allow_interactive_auth)]
    fn update(&self, command: u32, section: u32, parent_index: i32, xml: &str, flags: u32) -> zbus::Result<()>;

    /// The ports: what is plugged into the bridge.
    fn list_ports(&self) -> zbus::Result<Vec<OwnedObjectPath>>;

    /// A new tap on the running network's bridge, its descriptor passed to the caller.
    #[zbus(allow_interactive_auth)]
    fn open_port(
        &self,
        options: std::collections::HashMap<&str, zbus::Variant<'_>>,
    ) -> zbus::Result<(zbus::OwnedFd, String, OwnedObjectPath)>;

    /// A persistent tap owned by a uid, plugged in whenever the network runs.
    #[zbus(allow_interactive_auth)]
    fn create_port(&self, options: std::collections::HashMap<&str, zbus::Variant<'_>>)
    -> zbus::Result<OwnedObjectPath>;

    #[zbus(signal)]
    fn port_added(&self, port: OwnedObjectPath) -> zbus::Result<()>;

    #[zbus(signal)]
    fn port_removed(&self, port: OwnedObjectPath) -> zbus::Result<()>;

    #[zbus(property)]
    fn name(&self) -> zbus::Result<String>;

    #[zbus(property, name = "UUID")]
    fn uuid(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn active(&self) -> zbus::Result<bool>;

    #[zbus(property)]
    fn persistent(&self) -> zbus::Result<bool>;

    #[zbus(property)]
    fn autostart(&self) -> zbus::Result<bool>;

    #[zbus(property)]
    fn bridge_name(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn forward_mode(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn port_forwards(&self) -> zbus::Result<Vec<crate::dbus::PortForwardInfo>>;

    /// Why the running network does not work as defined, or empty.
    #[zbus(property)]
    fn degraded(&self) -> zbus::Result<String>;

    /// Which other firewall drops what the running network accepts, or empty.
    #[zbus(property)]
    fn firewall_conflict(&self) -> zbus::Result<String>;
}

/// One port of a network.
#[proxy(interface = "io.github.virtnet.Helper1.Port", default_service = "io.github.virtnet.Helper1")]
pub trait Port {
    #[zbus(allow_interactive_auth)]
    fn delete(&self) -> zbus::Result<()>;

    #[zbus(property)]
    fn interface(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn kind(&self) -> zbus::Result<String>;

    #[zbus(property, name = "MAC")]
    fn mac(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn owner(&self) -> zbus::Result<u32>;

    #[zbus(property)]
    fn created(&self) -> zbus::Result<u64>;

    #[zbus(property)]
    fn plugged(&self) -> zbus::Result<bool>;

    #[zbus(property)]
    fn isolated(&self) -> zbus::Result<bool>;

    #[zbus(property)]
    fn address(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn hostname(&self) -> zbus::Result<String>;

    #[zbus(property)]
    fn network(&self) -> zbus::Result<OwnedObjectPath>;
}
