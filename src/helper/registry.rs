//! The networks the helper knows, in memory.
//!
//! Each network is a [`Slot`]: an operation lock, held for the whole of a start, stop,
//! define or undefine so operations on one network happen one after another, and a
//! state behind a short-lived read/write lock, so listing and reading never wait for a
//! slow operation (they see the state before it, then after it).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use uuid::Uuid;
use zbus::OwnedObjectPath;

use super::ports::{Port, PortTable};
use crate::dbus::network_path;
use crate::model::Network;

/// What a network is at one moment.
#[derive(Clone, Debug, Default)]
pub struct NetState {
    /// The persistent definition (`None`: transient).
    pub config: Option<Arc<Network>>,
    /// The definition it runs with (`None`: inactive).
    pub live: Option<Arc<Network>>,
    pub autostart: bool,
    /// Why the running network does not work as defined (its dnsmasq was given up on);
    /// `None` while it does. Cleared by every start and stop.
    pub degraded: Option<String>,
    /// Which other firewall drops what the running network's rules accept, and what to
    /// do (kept up to date by the firewall watch); `None` when nothing does.
    pub firewall_conflict: Option<String>,
}

/// The values of the D-Bus properties, derived from a [`NetState`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Properties {
    pub name: String,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    pub bridge_name: String,
    pub forward_mode: String,
    pub degraded: String,
    pub firewall_conflict: String,
    pub port_forwards: Vec<crate::dbus::PortForwardInfo>,
}

impl NetState {
    /// The definition in effect: the live one while active, else the persistent one.
    pub fn current(&self) -> Option<&Arc<Network>> {
        self.live.as_ref().or(self.config.as_ref())
    }

    pub fn name(&self) -> &str {
        self.current().map_or("", |n| n.name.as_str())
    }

    pub fn exists(&self) -> bool {
        self.config.is_some() || self.live.is_some()
    }

    pub fn properties(&self) -> Properties {
        let current = self.current();
        Properties {
            name: self.name().to_owned(),
            active: self.live.is_some(),
            persistent: self.config.is_some(),
            autostart: self.autostart && self.config.is_some(),
            bridge_name: current.and_then(|n| n.bridge.name.clone()).unwrap_or_default(),
            forward_mode: current.map_or("none", |n| n.mode().as_str()).to_owned(),
            degraded: self.degraded.clone().filter(|_| self.live.is_some()).unwrap_or_default(),
            firewall_conflict: self.firewall_conflict.clone().filter(|_| self.live.is_some()).unwrap_or_default(),
            port_forwards: current.map(|n| n.port_forwards.iter().map(Into::into).collect()).unwrap_or_default(),
        }
    }

    /// Bridge names this network holds (its definition's and the running one's).
    pub fn bridge_names(&self) -> impl Iterator<Item = &str> {
        self.config.iter().chain(self.live.iter()).filter_map(|n| n.bridge.name.as_deref())
    }
}

pub struct Slot {
    pub uuid: Uuid,
    pub path: OwnedObjectPath,
    /// Serialises operations on this network.
    pub op: tokio::sync::Mutex<()>,
    state: RwLock<NetState>,
    /// Being created by CreateXML and not started yet: invisible to clients.
    pending: AtomicBool,
    /// The task watching the network's dnsmasq, while it runs.
    supervisor: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
    /// What is plugged into the bridge (and virtnet's taps waiting for it to start).
    ports: std::sync::Mutex<PortTable>,
    /// Serialises the port operations and the updates of `ports` from the host.
    pub port_turn: tokio::sync::Mutex<()>,
}

impl Slot {
    pub fn new(uuid: Uuid, state: NetState, pending: bool) -> Arc<Slot> {
        Arc::new(Slot {
            uuid,
            path: network_path(&uuid),
            op: tokio::sync::Mutex::new(()),
            state: RwLock::new(state),
            pending: AtomicBool::new(pending),
            supervisor: std::sync::Mutex::new(None),
            ports: std::sync::Mutex::new(PortTable::default()),
            port_turn: tokio::sync::Mutex::new(()),
        })
    }

    pub fn ports(&self) -> PortTable {
        self.ports.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn port(&self, number: u32) -> Option<Port> {
        self.ports.lock().unwrap_or_else(PoisonError::into_inner).ports.get(&number).cloned()
    }

    pub fn set_ports(&self, table: PortTable) {
        *self.ports.lock().unwrap_or_else(PoisonError::into_inner) = table;
    }

    pub fn state(&self) -> NetState {
        self.state.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn set_state(&self, state: NetState) {
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = state;
    }

    pub fn is_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Records the task supervising the network's dnsmasq (ending any previous one).
    pub fn set_supervisor(&self, task: tokio::task::AbortHandle) {
        if let Some(old) = self.supervisor.lock().unwrap_or_else(PoisonError::into_inner).replace(task) {
            old.abort();
        }
    }

    /// Ends the supervision (before the network's dnsmasq is stopped on purpose).
    pub fn stop_supervisor(&self) {
        if let Some(task) = self.supervisor.lock().unwrap_or_else(PoisonError::into_inner).take() {
            task.abort();
        }
    }

    pub fn set_pending(&self, pending: bool) {
        self.pending.store(pending, Ordering::Release);
    }
}

/// All slots, by UUID.
#[derive(Default)]
pub struct Registry {
    slots: RwLock<HashMap<Uuid, Arc<Slot>>>,
}

impl Registry {
    pub fn insert(&self, slot: Arc<Slot>) {
        self.slots.write().unwrap_or_else(PoisonError::into_inner).insert(slot.uuid, slot);
    }

    pub fn remove(&self, uuid: &Uuid) {
        self.slots.write().unwrap_or_else(PoisonError::into_inner).remove(uuid);
    }

    /// Every slot, pending ones included.
    pub fn all(&self) -> Vec<Arc<Slot>> {
        self.slots.read().unwrap_or_else(PoisonError::into_inner).values().cloned().collect()
    }

    /// Slots clients can see, sorted by name.
    pub fn visible(&self) -> Vec<(Arc<Slot>, NetState)> {
        let mut list: Vec<(Arc<Slot>, NetState)> = self
            .all()
            .into_iter()
            .filter(|s| !s.is_pending())
            .map(|s| {
                let st = s.state();
                (s, st)
            })
            .collect();
        list.sort_by(|a, b| a.1.name().cmp(b.1.name()));
        list
    }

    pub fn by_uuid(&self, uuid: &Uuid) -> Option<Arc<Slot>> {
        self.slots.read().unwrap_or_else(PoisonError::into_inner).get(uuid).cloned()
    }

    /// The slot whose network is called `name` (pending ones included: the name is taken).
    pub fn by_name(&self, name: &str) -> Option<Arc<Slot>> {
        self.all().into_iter().find(|s| s.state().name() == name)
    }

    /// Which network (other than `except`) holds a bridge name, by name.
    pub fn bridge_holder(&self, bridge: &str, except: Option<Uuid>) -> Option<String> {
        self.all().into_iter().filter(|s| Some(s.uuid) != except).find_map(|s| {
            let state = s.state();
            state.bridge_names().any(|b| b == bridge).then(|| state.name().to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(name: &str) -> Arc<Slot> {
        let uuid = Uuid::from_u128(name.bytes().map(u128::from).sum());
        let network = Network::from_xml(&format!("<network><name>{name}</name></network>")).unwrap();
        Slot::new(uuid, NetState { config: Some(Arc::new(network)), ..NetState::default() }, false)
    }

    #[tokio::test]
    async fn reading_does_not_wait_for_an_operation_in_progress() {
        let registry = Registry::default();
        let busy = slot("busy");
        registry.insert(busy.clone());
        registry.insert(slot("idle"));
        // A long operation holds the network's lock...
        let _op = busy.op.lock().await;
        // ... while listing, lookups and properties answer from the state.
        let names: Vec<String> = registry.visible().iter().map(|(_, s)| s.name().to_owned()).collect();
        assert_eq!(names, ["busy", "idle"]);
        assert!(registry.by_name("busy").is_some());
        assert_eq!(busy.state().properties().name, "busy");
        assert!(busy.op.try_lock().is_err());
    }

    #[test]
    fn pending_slots_are_invisible_but_hold_their_name_and_bridge() {
        let registry = Registry::default();
        let mut network = Network::from_xml("<network><name>new</name><bridge name='virbr5'/></network>").unwrap();
        network.uuid = Some(Uuid::from_u128(7));
        let pending =
            Slot::new(Uuid::from_u128(7), NetState { live: Some(Arc::new(network)), ..NetState::default() }, true);
        registry.insert(pending.clone());
        assert!(registry.visible().is_empty());
        assert!(registry.by_name("new").is_some());
        assert_eq!(registry.bridge_holder("virbr5", None).as_deref(), Some("new"));
        assert_eq!(registry.bridge_holder("virbr5", Some(pending.uuid)), None);
    }
}
