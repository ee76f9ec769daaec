//! The helper's operations with libvirt's semantics, in Rust types (the bus side is
//! [`objects`](super::objects)): reading (here), defining and undefining ([`define`]),
//! starting and stopping ([`run`]), the host's facts for new networks ([`host`]),
//! leases ([`leases`]), ports ([`ports`]), live updates ([`update`]), start-up recovery and autostart ([`recovery`]) and the watch
//! over each network's dnsmasq ([`supervise`]).
//!
//! Every changing operation asks the authorizer first, before it reads what the caller
//! sent or touches anything, and changes nothing when refused or when any step fails;
//! each logs one line with the network's name and the result.
//!
//! ## Locks, always taken in this order
//!
//! 1. `namespace` (async): held while the set of names and UUIDs changes (define,
//!    create, undefine), so two definitions cannot take one name;
//! 2. a network's `Slot::op` (async): held for a whole operation on that network, so
//!    operations on one network happen one after another;
//! 3. `starting` and the registry's and slots' state locks (std, never held across an
//!    await): short looks and updates.
//!
//! No lock is held while polkit is asked, and no operation holds the bus's object tree
//! (publishing takes it for an instant).

mod define;
mod host;
mod leases;
mod ports;
mod recovery;
mod run;
mod supervise;
mod update;

pub use update::UpdateRequest;

use std::collections::HashMap;
use std::sync::Arc;

use tracing::{info, warn};
use uuid::Uuid;
use zbus::OwnedObjectPath;

use super::auth::{Action, Authorizer, Caller};
use super::lifecycle::Datapath;
use super::objects::Bus;
use super::ports::PortFiles;
use super::registry::{NetState, Registry, Slot};
use super::store::Store;
use crate::dbus::{ErrorKind, HelperError, list_flags, xml_flags};
use crate::model::Network;

pub struct Service {
    store: Store,
    /// Where virtnet's ports of each network are remembered.
    port_files: PortFiles,
    datapath: Datapath,
    auth: Authorizer,
    bus: Bus,
    registry: Registry,
    /// Serialises changes to the set of names and UUIDs (define, create, undefine).
    namespace: tokio::sync::Mutex<()>,
    /// Networks being started, with the definition they start with: their subnets and
    /// forwarding count as taken before they are active, so two starts at once cannot
    /// both take one subnet, and a failed start cannot turn off forwarding another relies on.
    starting: std::sync::Mutex<HashMap<Uuid, Arc<Network>>>,
    /// Definitions being read and checked at once, at most: reading runs off the async
    /// workers, and a few callers cannot occupy every thread.
    reading: tokio::sync::Semaphore,
    /// How often each caller asked for the host's facts lately.
    host_facts: host::RateLimit,
}

/// Definitions read and checked at the same time, at most.
const PARALLEL_READS: usize = 2;

fn storage(e: std::io::Error) -> HelperError {
    HelperError::new(ErrorKind::Storage, e.to_string())
}

fn not_found_any() -> HelperError {
    HelperError::new(ErrorKind::NotFound, "the network no longer exists")
}

/// One log line per operation.
fn log_result<T>(operation: &str, network: &str, result: &Result<T, HelperError>) {
    match result {
        Ok(_) => info!(network, "{operation}: done"),
        Err(e) => warn!(network, "{operation}: failed: {}", e.message.replace('\n', "; ")),
    }
}

impl Service {
    pub fn new(store: Store, datapath: Datapath, auth: Authorizer, bus: Bus) -> Arc<Service> {
        Arc::new(Service {
            port_files: PortFiles::new(store.run_dir(), store.state_dir()),
            store,
            datapath,
            auth,
            bus,
            registry: Registry::default(),
            namespace: tokio::sync::Mutex::new(()),
            starting: std::sync::Mutex::new(HashMap::new()),
            reading: tokio::sync::Semaphore::new(PARALLEL_READS),
            host_facts: host::RateLimit::default(),
        })
    }

    /// Asks the authorizer whether the caller may `what` (the `manage` action).
    async fn authorize(&self, caller: &Caller, what: &str) -> Result<(), HelperError> {
        self.authorize_action(caller, Action::Manage, what, &[]).await
    }

    async fn authorize_action(
        &self,
        caller: &Caller,
        action: Action,
        what: &str,
        details: &[(&str, &str)],
    ) -> Result<(), HelperError> {
        let result = self.auth.check(self.bus.connection(), caller, action, what, details).await;
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

    /// Records the state after an operation: a network that still exists gets its new
    /// state and PropertiesChanged; one that is neither defined nor running is removed.
    async fn settle(&self, slot: &Arc<Slot>, before: &NetState, after: NetState) {
        // Set even when the network goes: a call that holds this slot and waits for
        // its lock must find it gone, not act on the old name.
        slot.set_state(after.clone());
        if after.exists() {
            self.bus.properties_changed(slot, &before.properties(), &after.properties()).await;
        } else {
            self.forget_ports(slot).await;
            self.registry.remove(&slot.uuid);
            self.bus.unpublish(slot).await;
        }
    }
}
