//! The helper's operations with libvirt's semantics: define, create, start, destroy,
//! undefine, autostart, and what the bus sees of them (objects, properties, events).
//!
//! Every changing operation asks the authorizer first and changes nothing when refused
//! or when any step fails; each logs one line with the network's name and the result.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ipnetwork::IpNetwork;

use tracing::{info, warn};
use uuid::Uuid;
use zbus::message::Header;
use zbus::{Connection, OwnedObjectPath, Variant};

use super::auth::Authorizer;
use super::default_network;
use super::dnsmasq::leases::{self, Lease};
use super::dnsmasq::process::Process;
use super::lifecycle::{self, Datapath, Others};
use super::netlink::HostNetKind;
use super::objects::NetworkObject;
use super::registry::{NetState, Registry, Slot};
use super::store::Store;
use crate::dbus::{
    ErrorKind, HelperError, HostInterface, MANAGER_INTERFACE, NETWORK_INTERFACE, NetworkEvent, ROOT_PATH, UsedSubnet,
    list_flags, xml_flags,
};
use crate::model::defaults::os_random;
use crate::model::{DefinitionError, IpDef, Network, apply_defaults, parse_definition};

pub struct Service {
    store: Store,
    datapath: Datapath,
    auth: Authorizer,
    conn: Connection,
    registry: Registry,
    /// Serialises changes to the set of names and UUIDs (define, create, undefine).
    namespace: tokio::sync::Mutex<()>,
    /// Networks being started, with the definition they start with: their subnets and
    /// forwarding count as taken before they are active, so two starts at once cannot
    /// both take one subnet, and a stop cannot turn off forwarding a start relies on.
    starting: std::sync::Mutex<HashMap<Uuid, Arc<Network>>>,
}

fn storage(e: std::io::Error) -> HelperError {
    HelperError::new(ErrorKind::Storage, e.to_string())
}

fn not_found_any() -> HelperError {
    HelperError::new(ErrorKind::NotFound, "the network no longer exists")
}

/// Reads a definition from a client: every problem in one message.
fn read_definition(xml: &str) -> Result<Network, HelperError> {
    parse_definition(xml).map_err(|e| match e {
        DefinitionError::NotXml(problem) => HelperError::new(ErrorKind::InvalidXml, problem.to_string()),
        DefinitionError::Invalid(problems) => {
            let message = if problems.len() == 1 {
                problems.to_string()
            } else {
                format!("the definition has {} problems:\n{problems}", problems.len())
            };
            HelperError::new(ErrorKind::InvalidDefinition, message)
        }
    })
}

/// A fresh random global ID for a unique local IPv6 prefix (RFC 4193 section 3.2).
fn unique_local_global_id() -> [u8; 5] {
    let mut id = [0u8; 5];
    os_random(&mut id);
    id
}

/// One log line per operation.
fn log_result<T>(operation: &str, network: &str, result: &Result<T, HelperError>) {
    match result {
        Ok(_) => info!(network, "{operation}: done"),
        Err(e) => warn!(network, "{operation}: failed: {}", e.message.replace('\n', "; ")),
    }
}

impl Service {
    pub fn new(store: Store, datapath: Datapath, auth: Authorizer, conn: Connection) -> Arc<Service> {
        Arc::new(Service {
            store,
            datapath,
            auth,
            conn,
            registry: Registry::default(),
            namespace: tokio::sync::Mutex::new(()),
            starting: std::sync::Mutex::new(HashMap::new()),
        })
    }

    async fn authorize(&self, header: &Header<'_>, what: &str) -> Result<(), HelperError> {
        let result = self.auth.check(&self.conn, header, what).await;
        if let Err(e) = &result {
            warn!("refused: {}", e.message);
        }
        result
    }

    // ---- reading (no authorization, never waits for an operation) ----

    pub fn list(&self, flags: u32) -> Result<Vec<OwnedObjectPath>, HelperError> {
        if flags & !list_flags::ALL_KNOWN != 0 {
            return Err(HelperError::new(ErrorKind::InvalidArgs, format!("unknown ListNetworks flags {flags:#x}")));
        }
        Ok(self
            .registry
            .visible()
            .into_iter()
            .filter(|(_, state)| {
                let p = state.properties();
                list_flags::matches(flags, p.active, p.persistent, p.autostart)
            })
            .map(|(slot, _)| slot.path.clone())
            .collect())
    }

    pub fn lookup_by_name(&self, name: &str) -> Result<OwnedObjectPath, HelperError> {
        self.registry
            .by_name(name)
            .filter(|s| !s.is_pending())
            .map(|s| s.path.clone())
            .ok_or_else(|| HelperError::new(ErrorKind::NotFound, format!("no network named '{name}'")))
    }

    pub fn lookup_by_uuid(&self, uuid: &str) -> Result<OwnedObjectPath, HelperError> {
        let parsed = Uuid::try_parse(uuid)
            .map_err(|_| HelperError::new(ErrorKind::InvalidArgs, format!("'{uuid}' is not a UUID")))?;
        self.registry
            .by_uuid(&parsed)
            .filter(|s| !s.is_pending())
            .map(|s| s.path.clone())
            .ok_or_else(|| HelperError::new(ErrorKind::NotFound, format!("no network with UUID {uuid}")))
    }

    pub fn xml_desc(&self, slot: &Slot, flags: u32) -> Result<String, HelperError> {
        if flags & !xml_flags::INACTIVE != 0 {
            return Err(HelperError::new(ErrorKind::InvalidArgs, format!("unknown GetXMLDesc flags {flags:#x}")));
        }
        let state = slot.state();
        let definition = if flags & xml_flags::INACTIVE != 0 {
            state.config.as_ref().or(state.live.as_ref())
        } else {
            state.current()
        };
        definition.map(|n| n.to_xml()).ok_or_else(not_found_any)
    }

    // ---- changing ----

    /// DefineXML: a new persistent network, or a new definition for an existing one
    /// (same UUID; the running network keeps its live definition until restarted).
    pub async fn define(self: &Arc<Self>, header: &Header<'_>, xml: &str) -> Result<OwnedObjectPath, HelperError> {
        let network = read_definition(xml)?;
        let name = network.name.clone();
        self.authorize(header, &format!("define network '{name}'")).await?;
        let result = self.define_authorized(network).await;
        log_result("define", &name, &result);
        result
    }

    async fn define_authorized(self: &Arc<Self>, mut network: Network) -> Result<OwnedObjectPath, HelperError> {
        let _namespace = self.namespace.lock().await;
        let existing = self.existing_for(&network)?;
        let Some(slot) = existing else {
            let uuid = self.fill_defaults(&mut network, None).await?;
            self.store.save_definition(&network).map_err(storage)?;
            let slot = Slot::new(uuid, NetState { config: Some(Arc::new(network)), ..NetState::default() }, false);
            self.registry.insert(slot.clone());
            self.publish(&slot).await;
            self.emit_event(&slot, NetworkEvent::Defined).await;
            return Ok(slot.path.clone());
        };

        let _op = slot.op.lock().await;
        let before = slot.state();
        let old_name = before.name().to_owned();
        let renamed = old_name != network.name;
        if renamed && before.live.is_some() {
            return Err(HelperError::new(
                ErrorKind::AlreadyActive,
                format!("network '{old_name}' is running; stop it before renaming it to '{}'", network.name),
            ));
        }
        self.fill_defaults(&mut network, Some(&before)).await?;
        self.store.save_definition(&network).map_err(storage)?;
        if renamed && before.config.is_some() {
            let moved = self
                .store
                .remove_definition(&old_name)
                .and_then(|()| if before.autostart { self.store.set_autostart(&network.name, true) } else { Ok(()) });
            if let Err(e) = moved {
                // Leave one definition of the network on disk, not two.
                if let Err(undo) = self.store.remove_definition(&network.name) {
                    warn!(network = %network.name, "{undo}");
                }
                return Err(storage(e));
            }
        }
        let after = NetState {
            autostart: before.autostart && before.config.is_some(),
            config: Some(Arc::new(network)),
            live: before.live.clone(),
        };
        slot.set_state(after.clone());
        self.emit_changes(&slot, &before, &after).await;
        let event = if before.config.is_some() { NetworkEvent::Updated } else { NetworkEvent::Defined };
        self.emit_event(&slot, event).await;
        Ok(slot.path.clone())
    }

    /// The network a definition refers to, by name and UUID, or `None` for a new one.
    /// A name taken by a network with another UUID is refused, as `virsh net-define` does.
    fn existing_for(&self, network: &Network) -> Result<Option<Arc<Slot>>, HelperError> {
        let by_name = self.registry.by_name(&network.name);
        let by_uuid = network.uuid.and_then(|u| self.registry.by_uuid(&u));
        if let Some(slot) = &by_name
            && network.uuid != Some(slot.uuid)
        {
            return Err(HelperError::new(
                ErrorKind::NameInUse,
                format!(
                    "network '{}' already exists with UUID {}; to redefine it, put <uuid>{}</uuid> in the definition",
                    network.name,
                    slot.uuid.hyphenated(),
                    slot.uuid.hyphenated()
                ),
            ));
        }
        let existing = by_name.or(by_uuid);
        if existing.as_ref().is_some_and(|s| s.is_pending()) {
            return Err(HelperError::new(
                ErrorKind::NameInUse,
                format!("network '{}' is being created right now", network.name),
            ));
        }
        Ok(existing)
    }

    /// Define-time defaults (UUID, bridge name, MAC), keeping what the network had, and
    /// the checks that need the other networks: bridge names are not shared. Returns
    /// the network's UUID.
    async fn fill_defaults(&self, network: &mut Network, previous: Option<&NetState>) -> Result<Uuid, HelperError> {
        if let Some(old) = previous.and_then(|p| p.config.clone().or_else(|| p.live.clone())) {
            if network.mac.is_none() {
                network.mac = old.mac;
            }
            if network.bridge.name.is_none() && network.manages_bridge() {
                network.bridge.name = old.bridge.name.clone();
            }
        }
        let links = self.datapath.netlink.links().await?;
        let own: Vec<String> = previous.map(|p| p.bridge_names().map(str::to_owned).collect()).unwrap_or_default();
        let uuid = network.uuid;
        let taken = |name: &str| {
            self.registry.bridge_holder(name, uuid).is_some()
                || (links.iter().any(|l| l.name == name) && !own.iter().any(|o| o == name))
        };
        apply_defaults(network, &taken, &mut os_random)
            .map_err(|p| HelperError::new(ErrorKind::BridgeInUse, p.to_string()))?;
        if let Some(bridge) = network.bridge.name.as_deref()
            && let Some(holder) = self.registry.bridge_holder(bridge, network.uuid)
        {
            return Err(HelperError::new(
                ErrorKind::BridgeInUse,
                format!("bridge name {bridge} is already used by network '{holder}'"),
            ));
        }
        network.validate().map_err(|problems| HelperError::new(ErrorKind::InvalidDefinition, problems.to_string()))?;
        network.uuid.ok_or_else(|| HelperError::new(ErrorKind::Failed, "no UUID after applying defaults"))
    }

    /// CreateXML: a transient network, started at once. Nothing of it exists if the
    /// start fails.
    pub async fn create(self: &Arc<Self>, header: &Header<'_>, xml: &str) -> Result<OwnedObjectPath, HelperError> {
        let network = read_definition(xml)?;
        let name = network.name.clone();
        self.authorize(header, &format!("create network '{name}'")).await?;
        let result = self.create_authorized(network).await;
        log_result("create", &name, &result);
        result
    }

    async fn create_authorized(self: &Arc<Self>, mut network: Network) -> Result<OwnedObjectPath, HelperError> {
        let namespace = self.namespace.lock().await;
        if let Some(slot) = self.registry.by_name(&network.name) {
            if slot.is_pending() || slot.state().live.is_some() {
                return Err(HelperError::new(
                    ErrorKind::AlreadyActive,
                    format!("network '{}' is already active", network.name),
                ));
            }
            // An inactive persistent network: run it with this definition, as libvirt does.
            self.existing_for(&network)?;
            let _op = slot.op.lock().await;
            drop(namespace);
            let state = slot.state();
            self.fill_defaults(&mut network, Some(&state)).await?;
            self.start_locked(&slot, network).await?;
            return Ok(slot.path.clone());
        }
        if let Some(slot) = network.uuid.and_then(|u| self.registry.by_uuid(&u)) {
            return Err(HelperError::new(
                ErrorKind::NameInUse,
                format!("a network with UUID {} already exists as '{}'", slot.uuid.hyphenated(), slot.state().name()),
            ));
        }
        let uuid = self.fill_defaults(&mut network, None).await?;
        // Hidden until started, but holding its name, UUID and bridge name meanwhile.
        let slot = Slot::new(uuid, NetState { live: Some(Arc::new(network.clone())), ..NetState::default() }, true);
        self.registry.insert(slot.clone());
        let _op = slot.op.lock().await;
        drop(namespace);

        let dnsmasq = match self.bring_up(&network, uuid).await {
            Ok(dnsmasq) => dnsmasq,
            Err(e) => {
                self.registry.remove(&uuid);
                return Err(e);
            }
        };
        // Its live definition is in the registry already (held while pending).
        self.release_claim(uuid);
        slot.set_pending(false);
        if let Some(process) = dnsmasq {
            self.supervise(&slot, process);
        }
        self.publish(&slot).await;
        self.emit_event(&slot, NetworkEvent::Started).await;
        Ok(slot.path.clone())
    }

    /// The host's interfaces a network may forward to: all but loopback and the bridges
    /// of virtnet's networks.
    pub async fn host_interfaces(&self) -> Result<Vec<HostInterface>, HelperError> {
        let ours: HashSet<String> = self
            .registry
            .all()
            .iter()
            .flat_map(|slot| slot.state().bridge_names().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let links = self.datapath.netlink.links().await?;
        let host = self.datapath.netlink.host_networks().await?;
        let mut interfaces: Vec<HostInterface> = links
            .into_iter()
            .filter(|link| !link.loopback && !ours.contains(&link.name))
            .map(|link| HostInterface {
                addresses: host
                    .iter()
                    .filter(|h| h.kind == HostNetKind::Address && h.dev.as_deref() == Some(link.name.as_str()))
                    .map(|h| h.net.to_string())
                    .collect(),
                kind: link.kind.unwrap_or_else(|| "device".to_owned()),
                up: link.up,
                name: link.name,
            })
            .collect();
        interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(interfaces)
    }

    /// What a new network must not overlap (see the Manager's ListUsedSubnets): the
    /// host's addresses and routes, and every network's subnets, defined, active or
    /// starting right now.
    pub async fn used_subnets(&self) -> Result<Vec<UsedSubnet>, HelperError> {
        let host = self.datapath.netlink.host_networks().await?;
        // The addresses and routes of our own bridges are the networks' (listed as such).
        let ours: HashSet<String> = self
            .registry
            .all()
            .iter()
            .flat_map(|slot| slot.state().bridge_names().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let mut used: Vec<UsedSubnet> = host
            .into_iter()
            .filter(|h| h.dev.as_ref().is_none_or(|dev| !ours.contains(dev)))
            .map(|h| UsedSubnet {
                subnet: match h.kind {
                    HostNetKind::Address => h.net.to_string(),
                    HostNetKind::Route => crate::model::subnet::display(&h.net),
                },
                kind: match h.kind {
                    HostNetKind::Address => "address",
                    HostNetKind::Route => "route",
                }
                .to_owned(),
                owner: h.dev.unwrap_or_default(),
            })
            .collect();
        let starting: Vec<Arc<Network>> =
            self.starting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values().cloned().collect();
        let states: Vec<NetState> = self.registry.all().iter().map(|slot| slot.state()).collect();
        let networks = states.iter().flat_map(|state| state.config.iter().chain(state.live.iter())).chain(&starting);
        for network in networks {
            for subnet in network.ips.iter().filter_map(IpDef::subnet) {
                let entry = UsedSubnet {
                    subnet: crate::model::subnet::display(&subnet),
                    kind: "network".to_owned(),
                    owner: network.name.clone(),
                };
                if !used.contains(&entry) {
                    used.push(entry);
                }
            }
        }
        Ok(used)
    }

    /// A free subnet for a new network (see the Manager's SuggestSubnet): the first that
    /// overlaps nothing [`Self::used_subnets`] lists.
    pub async fn suggest_subnet(&self, family: &str) -> Result<String, HelperError> {
        let used: Vec<IpNetwork> = self.used_subnets().await?.iter().filter_map(|u| u.subnet.parse().ok()).collect();
        let free = match family {
            "ipv4" => crate::model::subnet::first_free_private_v4(&used).map(IpNetwork::V4),
            "ipv6" => {
                crate::model::subnet::first_free_unique_local_v6(&used, unique_local_global_id()).map(IpNetwork::V6)
            }
            other => {
                return Err(HelperError::new(
                    ErrorKind::InvalidArgs,
                    format!("unknown address family '{other}' (use ipv4 or ipv6)"),
                ));
            }
        };
        free.map(|subnet| subnet.to_string()).ok_or_else(|| {
            HelperError::new(ErrorKind::SubnetInUse, format!("no free {family} subnet is left to suggest"))
        })
    }

    /// What the active (and starting) networks other than `except` hold.
    fn others(&self, except: Uuid) -> Others {
        let starting = self.starting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.others_locked(except, &starting)
    }

    fn others_locked(&self, except: Uuid, starting: &HashMap<Uuid, Arc<Network>>) -> Others {
        let mut others = Others::default();
        let live = self.registry.all().into_iter().filter(|s| s.uuid != except).filter_map(|s| s.state().live);
        let starting = starting.iter().filter(|(uuid, _)| **uuid != except).map(|(_, n)| Arc::clone(n));
        for network in live.chain(starting) {
            others.subnets.extend(network.ips.iter().filter_map(|ip| ip.subnet()).map(|s| (network.name.clone(), s)));
            others.forwarding.extend(lifecycle::forwarding_families(&network));
        }
        others
    }

    /// Starts the datapath and records the live definition; undoes the start if the
    /// record cannot be written (a network nobody remembers must not run).
    async fn bring_up(&self, network: &Network, uuid: Uuid) -> Result<Option<Process>, HelperError> {
        // What the others hold and this start's own claim are settled in one step.
        let others = {
            let mut starting = self.starting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let others = self.others_locked(uuid, &starting);
            starting.insert(uuid, Arc::new(network.clone()));
            others
        };
        let result = async {
            let dnsmasq = self.datapath.start(network, &others).await?;
            if let Err(e) = self.store.save_status(network) {
                if let Err(stop) = self.datapath.stop(network, &self.others(uuid)).await {
                    warn!(network = %network.name, "could not undo the start: {stop}");
                }
                return Err(storage(e));
            }
            Ok(dnsmasq)
        }
        .await;
        // A failed start gives its claim back; a started network keeps it until the
        // caller has recorded its live definition (`release_claim`).
        if result.is_err() {
            self.release_claim(uuid);
        }
        result
    }

    fn release_claim(&self, uuid: Uuid) {
        self.starting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&uuid);
    }

    /// Starts `slot` with `live`; the caller holds the slot's operation lock.
    async fn start_locked(self: &Arc<Self>, slot: &Arc<Slot>, live: Network) -> Result<(), HelperError> {
        if let Some(process) = self.bring_up(&live, slot.uuid).await? {
            self.supervise(slot, process);
        }
        let before = slot.state();
        let after = NetState { live: Some(Arc::new(live)), ..before.clone() };
        slot.set_state(after.clone());
        self.release_claim(slot.uuid);
        self.emit_changes(slot, &before, &after).await;
        self.emit_event(slot, NetworkEvent::Started).await;
        Ok(())
    }

    pub async fn start(self: &Arc<Self>, header: &Header<'_>, slot: &Arc<Slot>) -> Result<(), HelperError> {
        let name = slot.state().name().to_owned();
        self.authorize(header, &format!("start network '{name}'")).await?;
        let result = async {
            let _op = slot.op.lock().await;
            let state = slot.state();
            if state.live.is_some() {
                return Err(HelperError::new(ErrorKind::AlreadyActive, format!("network '{name}' is already active")));
            }
            let config = state.config.ok_or_else(not_found_any)?;
            // Definitions read from disk were not necessarily written by virtnet.
            config.validate().map_err(|p| {
                HelperError::new(ErrorKind::InvalidDefinition, format!("network '{name}' cannot start:\n{p}"))
            })?;
            self.start_locked(slot, (*config).clone()).await
        }
        .await;
        log_result("start", &name, &result);
        result
    }

    pub async fn destroy(&self, header: &Header<'_>, slot: &Arc<Slot>) -> Result<(), HelperError> {
        let name = slot.state().name().to_owned();
        self.authorize(header, &format!("stop network '{name}'")).await?;
        let result = async {
            let _op = slot.op.lock().await;
            let before = slot.state();
            let Some(live) = before.live.clone() else {
                return Err(HelperError::new(ErrorKind::NotActive, format!("network '{name}' is not active")));
            };
            slot.stop_supervisor();
            self.datapath.stop(&live, &self.others(slot.uuid)).await?;
            if let Err(e) = self.store.remove_status(&live.name) {
                warn!(network = %name, "{e}");
            }
            self.emit_event(slot, NetworkEvent::Stopped).await;
            // A transient network ends with its last run.
            self.settle(slot, &before, NetState { live: None, ..before.clone() }).await;
            Ok(())
        }
        .await;
        log_result("destroy", &name, &result);
        result
    }

    pub async fn undefine(&self, header: &Header<'_>, slot: &Arc<Slot>) -> Result<(), HelperError> {
        let name = slot.state().name().to_owned();
        self.authorize(header, &format!("undefine network '{name}'")).await?;
        let result = async {
            let _namespace = self.namespace.lock().await;
            let _op = slot.op.lock().await;
            let before = slot.state();
            if before.config.is_none() {
                return Err(HelperError::new(
                    ErrorKind::NotPersistent,
                    format!(
                        "network '{name}' is transient: it has no definition to remove and disappears when stopped"
                    ),
                ));
            }
            self.store.remove_definition(&name).map_err(storage)?;
            self.emit_event(slot, NetworkEvent::Undefined).await;
            // A running network goes on as a transient one.
            self.settle(slot, &before, NetState { config: None, autostart: false, ..before.clone() }).await;
            Ok(())
        }
        .await;
        log_result("undefine", &name, &result);
        result
    }

    /// Sets autostart. The `Autostart` PropertiesChanged is emitted by the bus object
    /// that received the Set call.
    pub async fn set_autostart(&self, header: &Header<'_>, slot: &Arc<Slot>, on: bool) -> Result<(), HelperError> {
        let name = slot.state().name().to_owned();
        self.authorize(header, &format!("change autostart of network '{name}'")).await?;
        let result = async {
            let _op = slot.op.lock().await;
            let state = slot.state();
            if state.config.is_none() {
                return Err(HelperError::new(
                    ErrorKind::NotPersistent,
                    format!("network '{name}' is transient; only persistent networks can start at boot"),
                ));
            }
            self.store.set_autostart(&name, on).map_err(storage)?;
            slot.set_state(NetState { autostart: on, ..state });
            Ok(())
        }
        .await;
        log_result(if on { "autostart on" } else { "autostart off" }, &name, &result);
        result
    }

    // ---- what the bus sees ----

    /// Records the state after an operation: a network that still exists gets its new
    /// state and PropertiesChanged; one that is neither defined nor running is removed.
    async fn settle(&self, slot: &Arc<Slot>, before: &NetState, after: NetState) {
        if after.exists() {
            slot.set_state(after.clone());
            self.emit_changes(slot, before, &after).await;
        } else {
            self.registry.remove(&slot.uuid);
            self.unpublish(slot).await;
        }
    }

    async fn publish(self: &Arc<Self>, slot: &Arc<Slot>) {
        let object = NetworkObject::new(Arc::clone(self), Arc::clone(slot));
        if let Err(e) = self.conn.object_server().at(slot.path.clone(), object).await {
            warn!(path = %slot.path.as_str(), "cannot publish network object: {e}");
        }
    }

    async fn unpublish(&self, slot: &Slot) {
        if let Err(e) = self.conn.object_server().remove::<NetworkObject, _>(slot.path.clone()).await {
            warn!(path = %slot.path.as_str(), "cannot remove network object: {e}");
        }
    }

    async fn emit_event(&self, slot: &Slot, event: NetworkEvent) {
        let name = slot.state().name().to_owned();
        let body = (slot.path.as_ref(), name.as_str(), event.as_str());
        if let Err(e) = self.conn.emit_signal(None::<&str>, ROOT_PATH, MANAGER_INTERFACE, "NetworkEvent", &body).await {
            warn!(network = %name, "cannot emit NetworkEvent: {e}");
        }
    }

    async fn emit_changes(&self, slot: &Slot, before: &NetState, after: &NetState) {
        let (b, a) = (before.properties(), after.properties());
        let mut changed: HashMap<&str, Variant<'_>> = HashMap::new();
        if b.name != a.name {
            changed.insert("Name", Variant::from(a.name.as_str()));
        }
        if b.active != a.active {
            changed.insert("Active", Variant::from(a.active));
        }
        if b.persistent != a.persistent {
            changed.insert("Persistent", Variant::from(a.persistent));
        }
        if b.autostart != a.autostart {
            changed.insert("Autostart", Variant::from(a.autostart));
        }
        if b.bridge_name != a.bridge_name {
            changed.insert("BridgeName", Variant::from(a.bridge_name.as_str()));
        }
        if b.forward_mode != a.forward_mode {
            changed.insert("ForwardMode", Variant::from(a.forward_mode.as_str()));
        }
        if changed.is_empty() {
            return;
        }
        let body = (NETWORK_INTERFACE, changed, Vec::<&str>::new());
        if let Err(e) = self
            .conn
            .emit_signal(
                None::<&str>,
                slot.path.as_ref(),
                "org.freedesktop.DBus.Properties",
                "PropertiesChanged",
                &body,
            )
            .await
        {
            warn!(network = %a.name, "cannot emit PropertiesChanged: {e}");
        }
    }

    // ---- helper start-up ----

    /// Loads the definitions, adopts the networks that still run (cleaning up after the
    /// ones that died), and publishes everything. On a first run, defines `default`.
    pub async fn recover(self: &Arc<Self>, first_run: bool) -> Result<(), HelperError> {
        if first_run {
            self.define_default().await?;
            self.store.mark_initialised().map_err(storage)?;
        }
        for stored in self.store.load_definitions() {
            let network = stored.network;
            let Some(uuid) = network.uuid else {
                warn!(network = %network.name, "skipping definition without a UUID");
                continue;
            };
            let state = NetState { config: Some(Arc::new(network)), live: None, autostart: stored.autostart };
            self.registry.insert(Slot::new(uuid, state, false));
        }
        for live in self.store.load_status() {
            self.adopt(live).await;
        }
        for slot in self.registry.all() {
            self.publish(&slot).await;
        }
        Ok(())
    }

    /// Takes over a network that was running when the helper last stopped: if its
    /// bridge is still there, its firewall rules are applied again and its dnsmasq is
    /// watched (or restarted); otherwise what is left of it is removed.
    async fn adopt(self: &Arc<Self>, live: Network) {
        let name = live.name.clone();
        let Some(uuid) = live.uuid else {
            warn!(network = %name, "status file without a UUID; ignoring it");
            let _ = self.store.remove_status(&name);
            return;
        };
        match self.datapath.is_running(&live).await {
            Ok(true) => {
                if let Err(e) = self.datapath.reapply_firewall(&live).await {
                    warn!(network = %name, "re-applying its firewall rules: {e}");
                }
                let slot = match self.registry.by_uuid(&uuid) {
                    Some(slot) => {
                        slot.set_state(NetState { live: Some(Arc::new(live.clone())), ..slot.state() });
                        slot
                    }
                    None => {
                        let slot = Slot::new(
                            uuid,
                            NetState { live: Some(Arc::new(live.clone())), ..NetState::default() },
                            false,
                        );
                        self.registry.insert(slot.clone());
                        slot
                    }
                };
                if crate::helper::dnsmasq::config::needed(&live) {
                    match self.datapath.dnsmasq.find(&name) {
                        Some(process) => self.supervise(&slot, process),
                        None => match self.datapath.dnsmasq.start(&live).await {
                            Ok(process) => {
                                info!(network = %name, "its dnsmasq was gone: restarted");
                                self.supervise(&slot, process);
                            }
                            Err(e) => warn!(network = %name, "{e}"),
                        },
                    }
                }
                info!(network = %name, "adopted: still running");
            }
            Ok(false) => {
                // Its bridge is gone (and an interface of that name that is not a bridge
                // is not ours to touch): remove what is left and forget the run.
                if let Err(e) = self.datapath.stop(&live, &self.others(uuid)).await {
                    warn!(network = %name, "cleaning up after it: {e}");
                }
                if let Err(e) = self.store.remove_status(&name) {
                    warn!(network = %name, "{e}");
                }
                info!(network = %name, "no longer running: cleaned up");
            }
            Err(e) => warn!(network = %name, "cannot tell whether it still runs: {e}"),
        }
    }

    /// Watches a network's dnsmasq and starts it again whenever it exits (libvirt does
    /// not), backing off while it keeps dying.
    fn supervise(self: &Arc<Self>, slot: &Arc<Slot>, mut process: Process) {
        let service = Arc::clone(self);
        let watched = Arc::clone(slot);
        let task = tokio::spawn(async move {
            let mut backoff = std::time::Duration::from_millis(0);
            loop {
                process.exited().await;
                let name = watched.state().name().to_owned();
                warn!(network = %name, pid = process.pid, "dnsmasq exited; starting it again");
                tokio::time::sleep(backoff).await;
                let _op = watched.op.lock().await;
                let Some(live) = watched.state().live else { return };
                match service.datapath.dnsmasq.start(&live).await {
                    Ok(restarted) => {
                        info!(network = %name, pid = restarted.pid, "dnsmasq running again");
                        process = restarted;
                        backoff = std::time::Duration::from_millis(0);
                    }
                    Err(e) => {
                        warn!(network = %name, "{e}");
                        backoff = (backoff * 2)
                            .clamp(std::time::Duration::from_millis(500), std::time::Duration::from_secs(30));
                    }
                }
            }
        });
        slot.set_supervisor(task.abort_handle());
    }

    /// Reload: applies the firewall rules of every active network again.
    pub async fn reload(&self, header: &Header<'_>) -> Result<(), HelperError> {
        self.authorize(header, "reload the firewall rules").await?;
        let mut first_error = None;
        for (slot, _) in self.registry.visible() {
            let _op = slot.op.lock().await;
            let Some(live) = slot.state().live else { continue };
            let result = self.datapath.reapply_firewall(&live).await;
            log_result("reload firewall", &live.name, &result);
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Where the lease script keeps each bridge's leases.
    pub fn leases_dir(&self) -> &std::path::Path {
        self.datapath.dnsmasq.leases_dir()
    }

    /// Tells clients that the leases of the network running on `bridge` changed.
    pub async fn leases_changed(&self, bridge: &str) {
        for (slot, _) in self.registry.visible() {
            let state = slot.state();
            let Some(live) = state.live.as_ref() else { continue };
            if live.bridge.name.as_deref() != Some(bridge) {
                continue;
            }
            if let Err(e) = self
                .conn
                .emit_signal(None::<&str>, slot.path.as_ref(), NETWORK_INTERFACE, "DHCPLeasesChanged", &())
                .await
            {
                warn!(network = %live.name, "cannot emit DHCPLeasesChanged: {e}");
            }
        }
    }

    /// The network's current DHCP leases (of one MAC address, unless `mac` is empty).
    pub fn leases(&self, slot: &Slot, mac: &str) -> Vec<(Lease, u32)> {
        let Some(live) = slot.state().live else { return Vec::new() };
        let Some(bridge) = live.bridge.name.clone() else { return Vec::new() };
        leases::read_leases(self.datapath.dnsmasq.leases_dir(), &bridge)
            .into_iter()
            .filter(|l| mac.is_empty() || l.mac.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(mac)))
            .map(|l| {
                let prefix =
                    l.ip.parse()
                        .ok()
                        .and_then(|ip| live.ips.iter().filter_map(|def| def.subnet()).find(|s| s.contains(ip)))
                        .map_or(0, |s| u32::from(s.prefix()));
                (l, prefix)
            })
            .collect()
    }

    async fn define_default(&self) -> Result<(), HelperError> {
        let host = self.datapath.netlink.host_networks().await?;
        let used: Vec<_> = host.iter().map(|h| h.net).collect();
        let Some(mut network) = default_network::definition(&used) else {
            warn!("no free 192.168.N.0/24 for the default network; not defining it");
            return Ok(());
        };
        if let Some(preferred) = default_network::preferred_subnet()
            && let Some(clash) = host.iter().find(|h| crate::model::subnet::overlaps(&h.net, &preferred))
        {
            info!(
                "{} is in use on this host ({} {} on {}); the default network takes the next free subnet",
                crate::model::subnet::display(&preferred),
                match clash.kind {
                    HostNetKind::Address => "address",
                    HostNetKind::Route => "route",
                },
                clash.net,
                clash.dev.as_deref().unwrap_or("?")
            );
        }
        if self.datapath.netlink.link(default_network::BRIDGE).await?.is_some() {
            // Someone else's virbr0 (another libvirt?): take the next free virbrN.
            network.bridge.name = Some(crate::model::defaults::BRIDGE_TEMPLATE.to_owned());
        }
        self.fill_defaults(&mut network, None).await?;
        self.store.save_definition(&network).map_err(storage)?;
        self.store.set_autostart(&network.name, true).map_err(storage)?;
        info!(network = %network.name, bridge = network.bridge.name.as_deref().unwrap_or(""), "defined the default network");
        Ok(())
    }

    /// Starts the autostart networks, once per boot.
    pub async fn autostart(self: &Arc<Self>) {
        if self.store.autostart_done() {
            info!("autostart already ran since boot");
            return;
        }
        for (slot, _) in self.registry.visible() {
            let _op = slot.op.lock().await;
            let state = slot.state();
            let (Some(config), true, None) = (state.config.clone(), state.autostart, state.live.as_ref()) else {
                continue;
            };
            let result = match config.validate() {
                Ok(()) => self.start_locked(&slot, (*config).clone()).await,
                Err(p) => Err(HelperError::new(ErrorKind::InvalidDefinition, p.to_string())),
            };
            log_result("autostart", &config.name, &result);
        }
        if let Err(e) = self.store.mark_autostart_done() {
            warn!("{e}");
        }
    }
}
