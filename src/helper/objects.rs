//! The bus side of virtnetd, and the only part of it that speaks zbus with clients: the
//! Manager at the root and one Network object per network, which only translate between
//! D-Bus and [`Service`] (the semantics live there); who called ([`Caller`]); and what
//! the service tells clients ([`Bus`]: objects appearing and going, signals).

use std::sync::Arc;

use tracing::warn;
use zbus::message::{Flags, Header};
use zbus::object_server::SignalEmitter;
use zbus::{Connection, ObjectPath, OwnedObjectPath, interface};

use std::collections::HashMap;

use super::auth::Caller;
use super::ports::Port;
use super::registry::{Properties, Slot};
use super::service::Service;
use crate::dbus::{DhcpLease, HostInterface, NO_OWNER, NetworkEvent, ROOT_PATH, UsedSubnet, port_path};
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

    /// libvirt's virNetworkUpdate: edits one section (command 1 modify, 2 delete, 3
    /// add-last, 4 add-first; section numbered as libvirt's: 4 ip-dhcp-host, 5
    /// ip-dhcp-range, 7 forward-interface, 9 portgroup, 10 dns-host, 11 dns-txt, 12
    /// dns-srv) of the running network (flag 1), the persistent definition (flag 2), or
    /// (0) the running one when it runs, else the persistent one. A running network takes
    /// it without a restart.
    async fn update(
        &self,
        command: u32,
        section: u32,
        parent_index: i32,
        xml: String,
        flags: u32,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<(), HelperError> {
        let request = super::service::UpdateRequest { command, section, parent_index, xml, flags };
        self.service.update(&Caller::of(&header)?, &self.slot, request).await
    }

    /// The object paths of the ports: what is plugged into the bridge (VMs' taps,
    /// persistent taps, interfaces other software plugged in).
    #[zbus(out_args("ports"))]
    async fn list_ports(&self) -> Vec<OwnedObjectPath> {
        self.service.port_paths(&self.slot)
    }

    /// Plugs a VM in: a new tap on the running network's bridge, whose descriptor is
    /// returned (the tap goes when its last descriptor closes). Options: `mac` (s, the
    /// guest's), `isolated` (b), `vnet_hdr` (b). Needs io.github.virtnet.attach; local
    /// callers only (a descriptor cannot cross a network).
    #[zbus(out_args("fd", "interface", "port"))]
    async fn open_port(
        &self,
        options: HashMap<String, zbus::OwnedVariant>,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<(zbus::OwnedFd, String, OwnedObjectPath), HelperError> {
        let (fd, interface, path) = self.service.open_port(&Caller::of(&header)?, &self.slot, options).await?;
        Ok((zbus::OwnedFd::from(fd), interface, path))
    }

    /// A persistent tap, plugged in whenever the network runs, for a VM that opens it
    /// by name (`qemu -netdev tap,ifname=X,script=no`). Options: `owner` (u, default the
    /// caller; another uid needs io.github.virtnet.manage), `name` (s), `mac` (s),
    /// `isolated` (b).
    #[zbus(out_args("port"))]
    async fn create_port(
        &self,
        options: HashMap<String, zbus::OwnedVariant>,
        #[zbus(header)] header: Header<'_>,
    ) -> Result<OwnedObjectPath, HelperError> {
        self.service.create_port(&Caller::of(&header)?, &self.slot, options).await
    }

    /// A port appeared (a VM plugged in, a persistent tap was made, other software
    /// plugged an interface into the bridge).
    #[zbus(signal)]
    async fn port_added(emitter: &SignalEmitter<'_>, port: ObjectPath<'_>) -> zbus::Result<()>;

    /// A port went (its VM ended, it was deleted or unplugged).
    #[zbus(signal)]
    async fn port_removed(emitter: &SignalEmitter<'_>, port: ObjectPath<'_>) -> zbus::Result<()>;

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

    /// The port forwards of the definition in effect (the running one while active).
    #[zbus(property)]
    async fn port_forwards(&self) -> Vec<crate::dbus::PortForwardInfo> {
        self.slot.state().properties().port_forwards
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

/// One port of a network, at `.../network/<uuid>/port/<n>`.
pub struct PortObject {
    service: Arc<Service>,
    slot: Arc<Slot>,
    number: u32,
}

impl PortObject {
    fn port(&self) -> Option<Port> {
        self.slot.port(self.number)
    }

    fn read<T: Default>(&self, value: impl FnOnce(&Port) -> T) -> T {
        self.port().as_ref().map(value).unwrap_or_default()
    }
}

#[interface(name = "io.github.virtnet.Helper1.Port")]
impl PortObject {
    /// Removes the port: a persistent tap is deleted (its owner may, with
    /// io.github.virtnet.attach), a VM's tap is unplugged and deleted (administrators).
    async fn delete(&self, #[zbus(header)] header: Header<'_>) -> Result<(), HelperError> {
        self.service.delete_port(&Caller::of(&header)?, &self.slot, self.number).await
    }

    /// The interface on the host (`vnet0`).
    #[zbus(property)]
    async fn interface(&self) -> String {
        self.read(|p| p.record.interface.clone())
    }

    /// `transient` (a VM's tap, gone with the VM), `persistent` (stays until deleted)
    /// or `foreign` (plugged in by other software).
    #[zbus(property)]
    async fn kind(&self) -> String {
        self.read(|p| p.record.kind.as_str().to_owned())
    }

    /// The guest's MAC address (given, or learned by the bridge); empty until known.
    #[zbus(property, name = "MAC")]
    async fn mac(&self) -> String {
        self.read(|p| p.guest_mac.map(|m| m.to_string()).unwrap_or_default())
    }

    /// Who owns the port (may use a persistent tap, opened a VM's); 4294967295 for none.
    #[zbus(property)]
    async fn owner(&self) -> u32 {
        self.port().and_then(|p| p.record.owner).unwrap_or(NO_OWNER)
    }

    /// When it was made (or first seen), in seconds since the epoch.
    #[zbus(property)]
    async fn created(&self) -> u64 {
        self.read(|p| p.record.created)
    }

    /// Plugged into the running network's bridge now.
    #[zbus(property)]
    async fn plugged(&self) -> bool {
        self.read(|p| p.plugged)
    }

    /// Its traffic reaches only ports that are not isolated (the bridge and uplink).
    #[zbus(property)]
    async fn isolated(&self) -> bool {
        self.read(|p| p.record.isolated)
    }

    /// The guest's address from its DHCP lease; empty without one.
    #[zbus(property)]
    async fn address(&self) -> String {
        self.read(|p| p.address.clone())
    }

    /// The host name the guest gave with its lease; may be empty.
    #[zbus(property)]
    async fn hostname(&self) -> String {
        self.read(|p| p.hostname.clone())
    }

    #[zbus(property(emits_changed_signal = "const"))]
    async fn network(&self) -> OwnedObjectPath {
        self.slot.path.clone()
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

    /// Puts a network's object on the bus, with the ports it has.
    pub async fn publish(&self, service: &Arc<Service>, slot: &Arc<Slot>) {
        let object = NetworkObject::new(Arc::clone(service), Arc::clone(slot));
        if let Err(e) = self.conn.object_server().at(slot.path.clone(), object).await {
            warn!(path = %slot.path.as_str(), "cannot publish network object: {e}");
        }
        for number in slot.ports().ports.keys() {
            self.put_port(service, slot, *number).await;
        }
    }

    pub async fn unpublish(&self, slot: &Slot) {
        if let Err(e) = self.conn.object_server().remove::<NetworkObject, _>(slot.path.clone()).await {
            warn!(path = %slot.path.as_str(), "cannot remove network object: {e}");
        }
    }

    async fn put_port(&self, service: &Arc<Service>, slot: &Arc<Slot>, number: u32) {
        let object = PortObject { service: Arc::clone(service), slot: Arc::clone(slot), number };
        let path = port_path(&slot.uuid, number);
        if let Err(e) = self.conn.object_server().at(path.clone(), object).await {
            warn!(path = %path.as_str(), "cannot publish port object: {e}");
        }
    }

    /// Puts a new port's object on the bus and sends PortAdded.
    pub async fn publish_port(&self, service: &Arc<Service>, slot: &Arc<Slot>, number: u32) {
        self.put_port(service, slot, number).await;
        let path = port_path(&slot.uuid, number);
        let sent = match SignalEmitter::new(&self.conn, slot.path.as_ref()) {
            Ok(emitter) => NetworkObject::port_added(&emitter, path.as_ref()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            warn!(path = %path.as_str(), "cannot emit PortAdded: {e}");
        }
    }

    /// Takes a port's object off the bus and sends PortRemoved.
    pub async fn unpublish_port(&self, slot: &Slot, number: u32) {
        let path = port_path(&slot.uuid, number);
        match self.conn.object_server().remove::<PortObject, _>(path.clone()).await {
            Ok(_) => {}
            Err(e) => {
                warn!(path = %path.as_str(), "cannot remove port object: {e}");
                return;
            }
        }
        let sent = match SignalEmitter::new(&self.conn, slot.path.as_ref()) {
            Ok(emitter) => NetworkObject::port_removed(&emitter, path.as_ref()).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            warn!(path = %path.as_str(), "cannot emit PortRemoved: {e}");
        }
    }

    /// PropertiesChanged for each of a port's properties whose value differs.
    pub async fn port_properties_changed(&self, slot: &Slot, before: &Port, after: &Port) {
        let path = port_path(&slot.uuid, after.record.number);
        let Ok(object) = self.conn.object_server().interface::<_, PortObject>(path.as_ref()).await else { return };
        let emitter = object.signal_emitter();
        let port = object.get().await;
        let mut sent = Ok(());
        if before.plugged != after.plugged {
            sent = sent.and(port.plugged_changed(emitter).await);
        }
        if before.guest_mac != after.guest_mac {
            sent = sent.and(port.m_a_c_changed(emitter).await);
        }
        if before.address != after.address {
            sent = sent.and(port.address_changed(emitter).await);
        }
        if before.hostname != after.hostname {
            sent = sent.and(port.hostname_changed(emitter).await);
        }
        if before.record.isolated != after.record.isolated {
            sent = sent.and(port.isolated_changed(emitter).await);
        }
        if let Err(e) = sent {
            warn!(path = %path.as_str(), "cannot emit PropertiesChanged: {e}");
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
        if before.port_forwards != after.port_forwards {
            sent = sent.and(network.port_forwards_changed(emitter).await);
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
