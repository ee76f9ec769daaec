//! The bus side of virtnetd, and the only part of it that speaks zbus with clients: the
//! Manager at the root and one Network object per network, which only translate between
//! D-Bus and [`Service`] (the semantics live there); who called ([`Caller`]); and what
//! the service tells clients ([`Bus`]: objects appearing and going, signals).

use std::sync::Arc;

use tracing::warn;
use zbus::message::{Flags, Header};
use zbus::object_server::SignalEmitter;
use zbus::{Connection, ObjectPath, OwnedObjectPath, interface};

use super::auth::Caller;
use super::registry::{Properties, Slot};
use super::service::Service;
use crate::dbus::{DhcpLease, HostInterface, NetworkEvent, ROOT_PATH, UsedSubnet};
use crate::dbus::{ErrorKind, HelperError};

impl Caller {
    /// The caller of a method: its sender, and whether it allowed an authentication
    /// prompt (ALLOW_INTERACTIVE_AUTHORIZATION), as systemd and udisks honour it.
    fn of(header: &Header<'_>) -> Result<Caller, HelperError> {
        let sender = header
            .sender()
            .ok_or_else(|| HelperError::new(ErrorKind::AccessDenied, "the caller has no bus name"))?
            .to_string();
        let interactive = header.primary().flags().contains(Flags::ALLOW_INTERACTIVE_AUTH);
        Ok(Caller { sender, interactive })
    }
}

pub struct ManagerObject {
    service: Arc<Service>,
}

impl ManagerObject {
    pub fn new(service: Arc<Service>) -> Self {
        ManagerObject { service }
    }
}

#[interface(name = "io.github.virtnet.Helper1.Manager")]
impl ManagerObject {
    /// Object paths of the networks matching libvirt's list flags (0 = all; 1 inactive,
    /// 2 active, 4 persistent, 8 transient, 16 autostart, 32 no autostart), by name.
    #[zbus(out_args("networks"))]
    async fn list_networks(&self, flags: u32) -> Result<Vec<OwnedObjectPath>, HelperError> {
        self.service.list(flags)
    }

    /// The network called `name`; error NotFound if there is none.
    #[zbus(out_args("network"))]
    async fn lookup_by_name(&self, name: &str) -> Result<OwnedObjectPath, HelperError> {
        self.service.lookup_by_name(name)
    }

    /// The network with this UUID (with or without dashes); error NotFound if none.
    #[zbus(name = "LookupByUUID", out_args("network"))]
    async fn lookup_by_uuid(&self, uuid: &str) -> Result<OwnedObjectPath, HelperError> {
        self.service.lookup_by_uuid(uuid)
    }

    /// Defines a persistent network from libvirt network XML, or redefines the one with
    /// the same UUID (a running network keeps its live definition until restarted). The
    /// network is not started.
    #[zbus(name = "DefineXML", out_args("network"))]
    async fn define_xml(
        &self,
        xml: String,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath, HelperError> {
        self.service.define(&Caller::of(&header)?, xml).await
    }

    /// Creates and starts a transient network, which disappears when stopped.
    #[zbus(name = "CreateXML", out_args("network"))]
    async fn create_xml(
        &self,
        xml: String,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath, HelperError> {
        self.service.create(&Caller::of(&header)?, xml).await
    }

    /// The host's interfaces a network may forward to (`<forward dev=...>`), by name:
    /// every interface but loopback and the bridges of virtnet's own networks.
    #[zbus(out_args("interfaces"))]
    async fn list_host_interfaces(
        &self,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<Vec<HostInterface>, HelperError> {
        self.service.host_interfaces(&Caller::of(&header)?).await
    }

    /// A subnet for a new network, `ipv4` (a 192.168.N.0/24) or `ipv6` (a unique local
    /// fdXX:XXXX:XXXX:N::/64), that overlaps no address or route of the host and no
    /// network, defined or active.
    #[zbus(out_args("subnet"))]
    async fn suggest_subnet(&self, family: &str, #[zbus(header)] header: Header<'_>) -> Result<String, HelperError> {
        self.service.suggest_subnet(&Caller::of(&header)?, family).await
    }

    /// The subnets a new network must not overlap (SuggestSubnet's rule): the host's
    /// addresses and routes, and every network's subnets, defined, active or starting.
    #[zbus(out_args("subnets"))]
    async fn list_used_subnets(&self, #[zbus(header)] header: Header<'_>) -> Result<Vec<UsedSubnet>, HelperError> {
        self.service.used_subnets(&Caller::of(&header)?).await
    }

    /// Applies the firewall rules of every active network again (after another tool
    /// flushed them, or the firewall service restarted).
    async fn reload(&self, #[zbus(header)] header: Header<'_>) -> Result<(), HelperError> {
        self.service.reload(&Caller::of(&header)?).await
    }

    /// A network was `defined`, `undefined`, `started`, `stopped` or `updated` (redefined).
    #[zbus(signal)]
    async fn network_event(
        emitter: &SignalEmitter<'_>,
        network: ObjectPath<'_>,
        name: &str,
        event: &str,
    ) -> zbus::Result<()>;
}

pub struct NetworkObject {
    service: Arc<Service>,
    slot: Arc<Slot>,
}

impl NetworkObject {
    pub fn new(service: Arc<Service>, slot: Arc<Slot>) -> Self {
        NetworkObject { service, slot }
    }
}

#[interface(name = "io.github.virtnet.Helper1.Network")]
impl NetworkObject {
    /// Starts the network with its persistent definition.
    async fn start(&self, #[zbus(header)] header: Header<'_>) -> Result<(), HelperError> {
        self.service.start(&Caller::of(&header)?, &self.slot).await
    }

    /// Stops the network; a transient network disappears.
    async fn destroy(&self, #[zbus(header)] header: Header<'_>) -> Result<(), HelperError> {
        self.service.destroy(&Caller::of(&header)?, &self.slot).await
    }

    /// Removes the persistent definition; a running network goes on as transient.
    async fn undefine(&self, #[zbus(header)] header: Header<'_>) -> Result<(), HelperError> {
        self.service.undefine(&Caller::of(&header)?, &self.slot).await
    }

    /// Whether the network starts at boot (a method, not a writable property: asking
    /// polkit may take a while, and nothing may wait inside a property setter).
    #[zbus(name = "SetAutostart")]
    async fn set_autostart(&self, autostart: bool, #[zbus(header)] header: Header<'_>) -> Result<(), HelperError> {
        self.service.set_autostart(&Caller::of(&header)?, &self.slot, autostart).await
    }

    /// The definition as libvirt XML: the running one, or with flag 1 the one the next
    /// start will use.
    #[zbus(name = "GetXMLDesc", out_args("xml"))]
    async fn get_xml_desc(&self, flags: u32) -> Result<String, HelperError> {
        self.service.xml_desc(&self.slot, flags)
    }

    /// The network's DHCP leases changed (a guest got, renewed or gave back an address):
    /// read them again with GetDHCPLeases. Lets clients show leases live, never polling.
    #[zbus(signal, name = "DHCPLeasesChanged")]
    async fn dhcp_leases_changed(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    /// The current DHCP leases (of the given MAC address; all if it is empty), expired
    /// ones left out: (interface, expiry time in seconds since the epoch (0: never),
    /// type (0 IPv4, 1 IPv6), MAC, IAID, address, prefix, hostname, client id).
    #[zbus(name = "GetDHCPLeases", out_args("leases"))]
    async fn get_dhcp_leases(&self, mac: &str) -> Vec<DhcpLease> {
        self.service
            .leases(&self.slot, mac)
            .into_iter()
            .map(|(lease, prefix)| DhcpLease {
                interface: self.slot.state().properties().bridge_name,
                expiry: lease.expiry,
                kind: u32::from(lease.is_ipv6()),
                mac: lease.mac.clone().unwrap_or_default(),
                iaid: lease.iaid.clone().unwrap_or_default(),
                address: lease.ip.clone(),
                prefix,
                hostname: lease.hostname.clone().unwrap_or_default(),
                client_id: lease.client_id.clone().unwrap_or_default(),
            })
            .collect()
    }

    #[zbus(property)]
    async fn name(&self) -> String {
        self.slot.state().properties().name
    }

    #[zbus(property(emits_changed_signal = "const"), name = "UUID")]
    async fn uuid(&self) -> String {
        self.slot.uuid.hyphenated().to_string()
    }

    #[zbus(property)]
    async fn active(&self) -> bool {
        self.slot.state().properties().active
    }

    #[zbus(property)]
    async fn persistent(&self) -> bool {
        self.slot.state().properties().persistent
    }

    #[zbus(property)]
    async fn autostart(&self) -> bool {
        self.slot.state().properties().autostart
    }

    #[zbus(property)]
    async fn bridge_name(&self) -> String {
        self.slot.state().properties().bridge_name
    }

    /// `nat`, `route`, `open`, ... or `none` for an isolated network.
    #[zbus(property)]
    async fn forward_mode(&self) -> String {
        self.slot.state().properties().forward_mode
    }

    /// Why the running network does not work as defined (its dnsmasq kept dying and was
    /// given up on), or empty while it does.
    #[zbus(property)]
    async fn degraded(&self) -> String {
        self.slot.state().properties().degraded
    }

    /// Which other firewall (a base chain with policy drop in another table) drops
    /// what the running network's rules accept, and what to do; empty when none does.
    #[zbus(property)]
    async fn firewall_conflict(&self) -> String {
        self.slot.state().properties().firewall_conflict
    }
}

/// What the service tells clients: network objects appearing and going, and the
/// signals, each through zbus's generated emitters.
#[derive(Clone)]
pub struct Bus {
    conn: Connection,
}

impl Bus {
    pub fn new(conn: Connection) -> Self {
        Bus { conn }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Puts a network's object on the bus.
    pub async fn publish(&self, service: &Arc<Service>, slot: &Arc<Slot>) {
        let object = NetworkObject::new(Arc::clone(service), Arc::clone(slot));
        if let Err(e) = self.conn.object_server().at(slot.path.clone(), object).await {
            warn!(path = %slot.path.as_str(), "cannot publish network object: {e}");
        }
    }

    pub async fn unpublish(&self, slot: &Slot) {
        if let Err(e) = self.conn.object_server().remove::<NetworkObject, _>(slot.path.clone()).await {
            warn!(path = %slot.path.as_str(), "cannot remove network object: {e}");
        }
    }

    /// NetworkEvent on the Manager.
    pub async fn network_event(&self, slot: &Slot, event: NetworkEvent) {
        let name = slot.state().name().to_owned();
        let sent = match SignalEmitter::new(&self.conn, ROOT_PATH) {
            Ok(emitter) => ManagerObject::network_event(&emitter, slot.path.as_ref(), &name, event.as_str()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            warn!(network = %name, "cannot emit NetworkEvent: {e}");
        }
    }

    /// PropertiesChanged for each property whose value differs.
    pub async fn properties_changed(&self, slot: &Slot, before: &Properties, after: &Properties) {
        if before == after {
            return;
        }
        let object = match self.conn.object_server().interface::<_, NetworkObject>(slot.path.as_ref()).await {
            Ok(object) => object,
            // Not published yet (or no longer): nobody can have seen the old values.
            Err(_) => return,
        };
        let emitter = object.signal_emitter();
        let network = object.get().await;
        let mut sent = Ok(());
        if before.name != after.name {
            sent = sent.and(network.name_changed(emitter).await);
        }
        if before.active != after.active {
            sent = sent.and(network.active_changed(emitter).await);
        }
        if before.persistent != after.persistent {
            sent = sent.and(network.persistent_changed(emitter).await);
        }
        if before.autostart != after.autostart {
            sent = sent.and(network.autostart_changed(emitter).await);
        }
        if before.bridge_name != after.bridge_name {
            sent = sent.and(network.bridge_name_changed(emitter).await);
        }
        if before.forward_mode != after.forward_mode {
            sent = sent.and(network.forward_mode_changed(emitter).await);
        }
        if before.degraded != after.degraded {
            sent = sent.and(network.degraded_changed(emitter).await);
        }
        if before.firewall_conflict != after.firewall_conflict {
            sent = sent.and(network.firewall_conflict_changed(emitter).await);
        }
        if let Err(e) = sent {
            warn!(network = %after.name, "cannot emit PropertiesChanged: {e}");
        }
    }

    /// DHCPLeasesChanged on a network's object.
    pub async fn leases_changed(&self, slot: &Slot) {
        let sent = match SignalEmitter::new(&self.conn, slot.path.as_ref()) {
            Ok(emitter) => NetworkObject::dhcp_leases_changed(&emitter).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            warn!(path = %slot.path.as_str(), "cannot emit DHCPLeasesChanged: {e}");
        }
    }
}
