//! Ports: plugging VMs into a network (OpenPort hands a tap's descriptor to the caller,
//! CreatePort makes a persistent tap for a uid), keeping virtnet's taps plugged in when
//! the network restarts, and following what the host says is plugged in (foreign
//! ports, taps that went with their VM, guests' addresses).
//!
//! Every port operation takes the network's operation lock (so it cannot cross a start
//! or stop) and then its `port_turn`, which also serialises the updates from the host.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use tracing::{info, warn};
use zbus::{OwnedObjectPath, OwnedVariant};

use super::{Service, log_result, not_found_any, storage};
use crate::dbus::{ErrorKind, HelperError, port_path};
use crate::helper::auth::{Action, Caller};
use crate::helper::lifecycle::bridge_name;
use crate::helper::netlink::{LinkInfoSummary, PortPlug};
use crate::helper::ports::{Port, PortKind, PortRecord, PortTable};
use crate::helper::registry::{NetState, Slot};
use crate::helper::tap::{self, TapSpec};
use crate::model::{MacAddr, Network, syntax};

/// The kernel's template for the taps of OpenPort and unnamed persistent ones (the
/// names libvirt gives its taps, which admins know from `bridge link`).
const TAP_TEMPLATE: &str = "vnet%d";

/// What a caller may ask of a new port (`a{sv}` of OpenPort and CreatePort).
#[derive(Debug, Default)]
struct PortOptions {
    mac: Option<MacAddr>,
    isolated: Option<bool>,
    vnet_hdr: bool,
    owner: Option<u32>,
    name: Option<String>,
}

fn invalid(message: String) -> HelperError {
    HelperError::new(ErrorKind::InvalidArgs, message)
}

impl PortOptions {
    /// Reads the options, each of the type it must have; `allowed` are the keys this
    /// method takes.
    fn parse(options: HashMap<String, OwnedVariant>, allowed: &[&str]) -> Result<PortOptions, HelperError> {
        let mut parsed = PortOptions::default();
        for (key, value) in options {
            if !allowed.contains(&key.as_str()) {
                return Err(invalid(format!(
                    "unknown port option '{key}'; this call takes {}",
                    allowed.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
                )));
            }
            let wrong = |kind: &str| invalid(format!("port option '{key}' must be {kind}"));
            match key.as_str() {
                "mac" => {
                    let text = String::try_from(value).map_err(|_| wrong("a string"))?;
                    let mac: MacAddr = text
                        .parse()
                        .map_err(|_| invalid(format!("port option 'mac': '{text}' is not a MAC address")))?;
                    if !mac.is_unicast() || mac.is_zero() {
                        return Err(invalid(format!(
                            "port option 'mac': {mac} is a multicast or all-zero address; a guest needs a unicast one"
                        )));
                    }
                    parsed.mac = Some(mac);
                }
                "isolated" => parsed.isolated = Some(bool::try_from(value).map_err(|_| wrong("a boolean"))?),
                "vnet_hdr" => parsed.vnet_hdr = bool::try_from(value).map_err(|_| wrong("a boolean"))?,
                "owner" => parsed.owner = Some(u32::try_from(value).map_err(|_| wrong("a uid (u)"))?),
                "name" => {
                    let name = String::try_from(value).map_err(|_| wrong("a string"))?;
                    syntax::interface_name(&name)
                        .map_err(|why| invalid(format!("port option 'name': '{name}' {why}")))?;
                    parsed.name = Some(name);
                }
                _ => {}
            }
        }
        Ok(parsed)
    }
}

/// The MAC of the host's end of a guest's tap, libvirt's way: the guest's with the first
/// byte 0xfe, so the bridge never takes it as its own address (it takes the lowest).
fn tap_mac(guest: Option<MacAddr>) -> Option<MacAddr> {
    guest.map(|MacAddr(mut bytes)| {
        bytes[0] = 0xfe;
        MacAddr(bytes)
    })
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(user)) => format!("{} (uid {uid})", user.name),
        _ => format!("uid {uid}"),
    }
}

impl Service {
    /// The object paths of the network's ports, by number.
    pub fn port_paths(&self, slot: &Slot) -> Vec<OwnedObjectPath> {
        slot.ports().ports.keys().map(|n| port_path(&slot.uuid, *n)).collect()
    }

    /// Asks whether the caller may plug into `network`: the attach action (or, for a
    /// port of someone else's, manage), then the network's own rule. Returns the
    /// caller's uid.
    async fn authorize_attach(
        &self,
        caller: &Caller,
        network: &Network,
        what: &str,
        for_uid: Option<u32>,
    ) -> Result<u32, HelperError> {
        let (uid, groups) = self.auth.uid_and_groups(self.bus.connection(), caller).await?;
        if for_uid.is_some_and(|owner| owner != uid) {
            // A port for someone else is an administrator's change.
            self.authorize_action(caller, Action::Manage, what, &[("network", &network.name)]).await?;
            return Ok(uid);
        }
        self.authorize_action(caller, Action::Attach, what, &[("network", &network.name)]).await?;
        let Some(rules) = network.attach_rules() else { return Ok(uid) };
        if uid == 0 {
            return Ok(uid);
        }
        let user_matches = rules
            .users
            .iter()
            .any(|name| nix::unistd::User::from_name(name).ok().flatten().is_some_and(|user| user.uid.as_raw() == uid));
        let group_matches = rules.groups.iter().any(|name| {
            nix::unistd::Group::from_name(name).ok().flatten().is_some_and(|group| groups.contains(&group.gid.as_raw()))
        });
        if user_matches || group_matches {
            return Ok(uid);
        }
        let denied = HelperError::new(
            ErrorKind::AccessDenied,
            format!(
                "not authorized to {what}: network '{}' lets only {} plug in, and the caller is {}",
                network.name,
                rules.describe(),
                user_name(uid)
            ),
        );
        warn!("refused: {}", denied.message);
        Err(denied)
    }

    /// OpenPort: a new tap on the running network's bridge, whose descriptor goes to the
    /// caller; the tap goes when the last descriptor closes.
    pub async fn open_port(
        self: &Arc<Self>,
        caller: &Caller,
        slot: &Arc<Slot>,
        options: HashMap<String, OwnedVariant>,
    ) -> Result<(OwnedFd, String, OwnedObjectPath), HelperError> {
        let options = PortOptions::parse(options, &["mac", "isolated", "vnet_hdr"])?;
        let state = slot.state();
        let name = state.name().to_owned();
        let network = state.current().ok_or_else(not_found_any)?.clone();
        let uid = self.authorize_attach(caller, &network, &format!("attach a VM to network '{name}'"), None).await?;
        let _op = slot.op.lock().await;
        let result = async {
            let live = slot.state().live.ok_or_else(|| not_active(&name))?;
            let _turn = slot.port_turn.lock().await;
            let tap =
                tap::create(&TapSpec { name: TAP_TEMPLATE.to_owned(), vnet_hdr: options.vnet_hdr, persistent: None })?;
            // The tap vanishes with `tap.fd` if plugging it fails.
            let link = self.plug_new(&live, &tap.name, options.mac, options.isolated).await?;
            let record = PortRecord {
                number: 0,
                interface: tap.name.clone(),
                kind: PortKind::Transient,
                owner: Some(uid),
                created: now(),
                mac: options.mac.map(|m| m.to_string()),
                isolated: options.isolated.unwrap_or(false),
                vnet_hdr: options.vnet_hdr,
                index: Some(link.index),
            };
            let path = self.add_port(slot, record).await?;
            Ok((tap.fd, tap.name, path))
        }
        .await;
        log_result("open port", &name, &result);
        result
    }

    /// CreatePort: a persistent tap owned by a uid, plugged in now if the network runs
    /// and at every start.
    pub async fn create_port(
        self: &Arc<Self>,
        caller: &Caller,
        slot: &Arc<Slot>,
        options: HashMap<String, OwnedVariant>,
    ) -> Result<OwnedObjectPath, HelperError> {
        let options = PortOptions::parse(options, &["owner", "name", "mac", "isolated"])?;
        let state = slot.state();
        let name = state.name().to_owned();
        let network = state.current().ok_or_else(not_found_any)?.clone();
        let uid = self
            .authorize_attach(caller, &network, &format!("create a port on network '{name}'"), options.owner)
            .await?;
        let owner = options.owner.unwrap_or(uid);
        let _op = slot.op.lock().await;
        let result = async {
            let state = slot.state();
            if !state.exists() {
                return Err(not_found_any());
            }
            let _turn = slot.port_turn.lock().await;
            if let Some(wanted) = &options.name
                && self.datapath.netlink.link(wanted).await?.is_some()
            {
                return Err(HelperError::new(
                    ErrorKind::BridgeInUse,
                    format!("cannot create port {wanted}: an interface of that name exists already"),
                ));
            }
            let spec = TapSpec {
                name: options.name.clone().unwrap_or_else(|| TAP_TEMPLATE.to_owned()),
                vnet_hdr: false,
                persistent: Some(owner),
            };
            let tap = tap::create(&spec)?;
            drop(tap.fd);
            let record = PortRecord {
                number: 0,
                interface: tap.name.clone(),
                kind: PortKind::Persistent,
                owner: Some(owner),
                created: now(),
                mac: options.mac.map(|m| m.to_string()),
                isolated: options.isolated.unwrap_or(false),
                vnet_hdr: false,
                index: None,
            };
            let plugged = match &state.live {
                Some(live) => self.plug_new(live, &tap.name, options.mac, options.isolated).await.map(|_| ()),
                None => Ok(()),
            };
            let added = match plugged {
                Ok(()) => self.add_port(slot, record).await,
                Err(e) => Err(e),
            };
            if added.is_err()
                && let Err(e) = self.datapath.netlink.delete_link(&tap.name).await
            {
                warn!(network = %name, "cannot remove tap {} after a failed CreatePort: {e}", tap.name);
            }
            added
        }
        .await;
        log_result("create port", &name, &result);
        result
    }

    /// Port.Delete: removes a persistent tap (its owner may, or an administrator), or
    /// unplugs a VM's tap (administrators only); foreign ports are not virtnet's.
    pub async fn delete_port(&self, caller: &Caller, slot: &Arc<Slot>, number: u32) -> Result<(), HelperError> {
        let state = slot.state();
        let name = state.name().to_owned();
        let port =
            slot.port(number).ok_or_else(|| HelperError::new(ErrorKind::NotFound, "the port no longer exists"))?;
        let interface = port.record.interface.clone();
        let what = format!("delete port {interface} of network '{name}'");
        match port.record.kind {
            PortKind::Foreign => {
                return Err(HelperError::new(
                    ErrorKind::NotSupported,
                    format!(
                        "{interface} was plugged into {} by other software, which removes it (virtnet leaves it alone)",
                        state.properties().bridge_name
                    ),
                ));
            }
            PortKind::Persistent => {
                let network = state.current().ok_or_else(not_found_any)?.clone();
                self.authorize_attach(caller, &network, &what, port.record.owner).await?;
            }
            PortKind::Transient => self.authorize(caller, &what).await?,
        }
        let _op = slot.op.lock().await;
        let _turn = slot.port_turn.lock().await;
        let result = async {
            self.datapath.netlink.delete_link(&interface).await?;
            let mut table = slot.ports();
            table.ports.remove(&number);
            self.save_ports(slot, &table, port.record.kind)?;
            slot.set_ports(table);
            self.bus.unpublish_port(slot, number).await;
            Ok(())
        }
        .await;
        log_result(&format!("delete port {interface}"), &name, &result);
        result
    }

    /// Plugs a new tap into the running network's bridge; returns the tap's link.
    async fn plug_new(
        &self,
        live: &Network,
        interface: &str,
        mac: Option<MacAddr>,
        isolated: Option<bool>,
    ) -> Result<LinkInfoSummary, HelperError> {
        let bridge = bridge_name(live)?;
        let netlink = &self.datapath.netlink;
        let bridge_link = netlink.link(bridge).await?.ok_or_else(|| not_active(&live.name))?;
        let link = netlink.link(interface).await?.ok_or_else(|| {
            HelperError::new(ErrorKind::Netlink, format!("tap {interface} vanished right after it was created"))
        })?;
        netlink
            .plug(&PortPlug {
                index: link.index,
                name: interface,
                bridge_index: bridge_link.index,
                bridge,
                mtu: bridge_link.mtu,
                mac: tap_mac(mac),
                isolated: isolated.or(live.port_isolated).unwrap_or(false),
            })
            .await?;
        Ok(link)
    }

    /// Records a new port of virtnet's, publishes it and says so; returns its path.
    async fn add_port(
        self: &Arc<Self>,
        slot: &Arc<Slot>,
        mut record: PortRecord,
    ) -> Result<OwnedObjectPath, HelperError> {
        let mut table = slot.ports();
        record.number = table.next_number();
        let number = record.number;
        let kind = record.kind;
        let mut port = Port::new(record);
        port.plugged = slot.state().live.is_some();
        table.ports.insert(number, port);
        self.save_ports(slot, &table, kind)?;
        slot.set_ports(table);
        self.bus.publish_port(self, slot, number).await;
        Ok(port_path(&slot.uuid, number))
    }

    fn save_ports(&self, slot: &Slot, table: &PortTable, kind: PortKind) -> Result<(), HelperError> {
        self.port_files.save(&slot.uuid, kind, &table.records(kind)).map_err(storage)
    }

    /// Reads back the ports virtnet made for this network (at helper start).
    pub(super) fn load_ports(&self, slot: &Slot) {
        let mut table = PortTable::default();
        for record in self.port_files.load(&slot.uuid) {
            table.ports.insert(record.number, Port::new(record));
        }
        slot.set_ports(table);
    }

    /// Plugs virtnet's ports into the network that just started (or was adopted):
    /// VMs' taps that are still there, and the persistent taps (made again if they are
    /// gone, after a reboot). Failures are logged: the network runs either way. The
    /// caller brings the ports' state up to date afterwards.
    pub(super) async fn plug_ports(self: &Arc<Self>, slot: &Arc<Slot>) {
        let Some(live) = slot.state().live else { return };
        let name = live.name.clone();
        {
            let _turn = slot.port_turn.lock().await;
            let netlink = &self.datapath.netlink;
            let bridge = match bridge_name(&live) {
                Ok(bridge) => bridge,
                Err(_) => return,
            };
            let Ok(Some(bridge_link)) = netlink.link(bridge).await else { return };
            for port in slot.ports().ports.into_values() {
                let record = &port.record;
                if record.kind == PortKind::Foreign {
                    continue;
                }
                let mut link = netlink.link(&record.interface).await.ok().flatten();
                if record.kind == PortKind::Transient && link.as_ref().map(|l| l.index) != record.index {
                    continue; // gone with its VM; the update below forgets it
                }
                if link.is_none() {
                    let spec = TapSpec { name: record.interface.clone(), vnet_hdr: false, persistent: record.owner };
                    match tap::create(&spec) {
                        Ok(_) => link = netlink.link(&record.interface).await.ok().flatten(),
                        Err(e) => warn!(network = %name, "cannot make port {} again: {e}", record.interface),
                    }
                }
                let Some(link) = link else { continue };
                if link.controller == Some(bridge_link.index) {
                    continue;
                }
                let plugged = netlink
                    .plug(&PortPlug {
                        index: link.index,
                        name: &record.interface,
                        bridge_index: bridge_link.index,
                        bridge,
                        mtu: bridge_link.mtu,
                        mac: tap_mac(record.mac.as_deref().and_then(|m| m.parse().ok())),
                        isolated: record.isolated || live.port_isolated.unwrap_or(false),
                    })
                    .await;
                match plugged {
                    Ok(()) => info!(network = %name, "port {} plugged in again", record.interface),
                    Err(e) => warn!(network = %name, "{e}"),
                }
            }
        }
    }

    /// The network is gone for good (undefined while inactive, or a transient one
    /// stopped): its persistent taps are deleted and its ports forgotten.
    pub(super) async fn forget_ports(&self, slot: &Slot) {
        let _turn = slot.port_turn.lock().await;
        let table = slot.ports();
        for port in table.ports.values() {
            if port.record.kind == PortKind::Persistent
                && let Err(e) = self.datapath.netlink.delete_link(&port.record.interface).await
            {
                warn!("cannot delete tap {}: {e}", port.record.interface);
            }
            self.bus.unpublish_port(slot, port.record.number).await;
        }
        slot.set_ports(PortTable::default());
        if let Err(e) = self.port_files.remove(&slot.uuid) {
            warn!("{e}");
        }
    }

    /// What the host says is plugged in where: its interfaces and the addresses the
    /// bridges learned (one dump of each, for every network).
    async fn host_ports(&self) -> Result<HostPorts, HelperError> {
        let netlink = &self.datapath.netlink;
        Ok(HostPorts { links: netlink.links().await?, learned: netlink.learned_macs().await? })
    }

    /// Brings every network's ports up to date with the host (the link watch calls this
    /// when interfaces or the bridges' forwarding tables change).
    pub async fn update_all_ports(self: &Arc<Self>) {
        let slots: Vec<Arc<Slot>> = self
            .registry
            .all()
            .into_iter()
            .filter(|slot| slot.state().live.is_some() || !slot.ports().ports.is_empty())
            .collect();
        if slots.is_empty() {
            return;
        }
        let host = match self.host_ports().await {
            Ok(host) => host,
            Err(e) => {
                warn!("cannot read the ports: {e}");
                return;
            }
        };
        for slot in slots {
            let _turn = slot.port_turn.lock().await;
            self.update_ports_from(&slot, &host).await;
        }
    }

    /// Brings one network's ports up to date with the host: VMs' taps that went are
    /// forgotten, interfaces someone else plugged in appear as foreign ports, and each
    /// port's plugged state, guest MAC and lease are read again. Sends PortAdded,
    /// PortRemoved and PropertiesChanged for what changed.
    pub async fn update_ports(self: &Arc<Self>, slot: &Arc<Slot>) {
        let _turn = slot.port_turn.lock().await;
        match self.host_ports().await {
            Ok(host) => self.update_ports_from(slot, &host).await,
            Err(e) => warn!(network = %slot.state().name(), "cannot read the ports: {e}"),
        }
    }

    /// [`update_ports`](Self::update_ports) from one reading of the host; the caller
    /// holds the slot's `port_turn`.
    async fn update_ports_from(self: &Arc<Self>, slot: &Arc<Slot>, host: &HostPorts) {
        let state = slot.state();
        let links = &host.links;
        let bridge = state.live.as_deref().and_then(|n| bridge_name(n).ok()).map(str::to_owned);
        let bridge_index = bridge.as_deref().and_then(|b| links.iter().find(|l| l.name == b)).map(|l| l.index);
        let learned: Vec<(u32, MacAddr)> = host
            .learned
            .iter()
            .filter(|(_, controller, _)| Some(*controller) == bridge_index)
            .map(|(port, _, mac)| (*port, *mac))
            .collect();
        let leases = if bridge_index.is_some() { self.leases(slot, "") } else { Vec::new() };

        let before = slot.ports();
        let mut after = PortTable::default();
        for (number, port) in &before.ports {
            let link = links.iter().find(|l| l.name == port.record.interface);
            let keep = match port.record.kind {
                PortKind::Transient => link.is_some_and(|l| Some(l.index) == port.record.index),
                PortKind::Persistent => true,
                PortKind::Foreign => link.is_some_and(|l| bridge_index.is_some() && l.controller == bridge_index),
            };
            if keep {
                after.ports.insert(*number, port.clone());
            }
        }
        for link in links.iter().filter(|l| bridge_index.is_some() && l.controller == bridge_index) {
            if after.by_interface(&link.name).is_none() {
                let number = after.next_number().max(before.next_number());
                let record = PortRecord {
                    number,
                    interface: link.name.clone(),
                    kind: PortKind::Foreign,
                    owner: None,
                    created: now(),
                    mac: None,
                    isolated: false,
                    vnet_hdr: false,
                    index: Some(link.index),
                };
                after.ports.insert(number, Port::new(record));
            }
        }
        // Ports of a network with port forwards reflect frames, so a guest reaches its
        // own forward (see Netlink::set_hairpin); other networks' ports are left as they
        // are (turned off again only when a network's last forward goes).
        if state.live.as_deref().is_some_and(Network::forwards_ports) {
            self.set_hairpin(&state, links, bridge_index, true).await;
        }
        for port in after.ports.values_mut() {
            let link = links.iter().find(|l| l.name == port.record.interface);
            port.plugged = link.is_some_and(|l| bridge_index.is_some() && l.controller == bridge_index);
            if let Some(link) = link.filter(|_| port.plugged) {
                port.record.isolated = link.port_isolated;
            }
            let given = port.record.mac.as_deref().and_then(|m| m.parse::<MacAddr>().ok());
            port.guest_mac = given.or_else(|| {
                let index = link?.index;
                learned.iter().find(|(port_index, _)| *port_index == index).map(|(_, mac)| *mac)
            });
            let lease = port.guest_mac.and_then(|mac| {
                let mac = mac.to_string();
                let mut matching: Vec<_> = leases
                    .iter()
                    .filter(|(l, _)| l.mac.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(&mac)))
                    .collect();
                // The IPv4 lease first, as virsh's domifaddr lists it.
                matching.sort_by_key(|(l, _)| l.is_ipv6());
                matching.first().map(|(l, _)| (l.ip.clone(), l.hostname.clone().unwrap_or_default()))
            });
            (port.address, port.hostname) = lease.unwrap_or_default();
        }

        if after.records(PortKind::Transient) != before.records(PortKind::Transient)
            && let Err(e) = self.save_ports(slot, &after, PortKind::Transient)
        {
            warn!(network = %state.name(), "{e}");
        }
        slot.set_ports(after.clone());
        for number in before.ports.keys().filter(|n| !after.ports.contains_key(n)) {
            self.bus.unpublish_port(slot, *number).await;
        }
        for (number, port) in &after.ports {
            match before.ports.get(number) {
                None => self.bus.publish_port(self, slot, *number).await,
                Some(old) if old != port => self.bus.port_properties_changed(slot, old, port).await,
                Some(_) => {}
            }
        }
    }
}

impl Service {
    /// Sets hairpin mode on every port of the bridge (`bridge_index`) where it differs.
    async fn set_hairpin(&self, state: &NetState, links: &[LinkInfoSummary], bridge_index: Option<u32>, on: bool) {
        for link in links.iter().filter(|l| bridge_index.is_some() && l.controller == bridge_index) {
            if link.port_hairpin != on
                && let Err(e) = self.datapath.netlink.set_hairpin(link.index, &link.name, on).await
            {
                warn!(network = %state.name(), "{e}");
            }
        }
    }

    /// After a live change of the port forwards: the ports reflect frames while the
    /// network has forwards, and no longer once its last one went.
    pub async fn hairpin_after_forwards_change(self: &Arc<Self>, slot: &Arc<Slot>, had_forwards: bool) {
        let state = slot.state();
        let has_forwards = state.live.as_deref().is_some_and(Network::forwards_ports);
        if has_forwards {
            return self.update_ports(slot).await;
        }
        if !had_forwards {
            return;
        }
        let Some(bridge) = state.live.as_deref().and_then(|n| bridge_name(n).ok()) else { return };
        match self.host_ports().await {
            Ok(host) => {
                let bridge_index = host.links.iter().find(|l| l.name == bridge).map(|l| l.index);
                self.set_hairpin(&state, &host.links, bridge_index, false).await;
            }
            Err(e) => warn!(network = %state.name(), "cannot read the ports: {e}"),
        }
    }
}

/// One reading of the host's interfaces and the bridges' learned addresses.
struct HostPorts {
    links: Vec<LinkInfoSummary>,
    learned: Vec<(u32, u32, MacAddr)>,
}

fn not_active(name: &str) -> HelperError {
    HelperError::new(
        ErrorKind::NotActive,
        format!("network '{name}' is not active: start it first (virtnet net-start {name})"),
    )
}
