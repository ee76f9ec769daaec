//! Starting and stopping networks, and applying their firewall rules again.

use std::collections::HashMap;
use std::sync::Arc;

use tracing::warn;
use uuid::Uuid;

use super::{Service, log_result, not_found_any, storage};
use crate::dbus::{ErrorKind, HelperError, NetworkEvent};
use crate::helper::auth::Caller;
use crate::helper::dnsmasq::process::Process;
use crate::helper::lifecycle::{self, Others};
use crate::helper::registry::{NetState, Slot};
use crate::model::Network;

impl Service {
    /// What the active (and starting) networks other than `except` hold.
    pub(super) fn others(&self, except: Uuid) -> Others {
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
    pub(super) async fn bring_up(&self, network: &Network, uuid: Uuid) -> Result<Option<Process>, HelperError> {
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

    pub(super) fn release_claim(&self, uuid: Uuid) {
        self.starting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&uuid);
    }

    /// Starts `slot` with `live`; the caller holds the slot's operation lock.
    pub(super) async fn start_locked(self: &Arc<Self>, slot: &Arc<Slot>, live: Network) -> Result<(), HelperError> {
        if let Some(process) = self.bring_up(&live, slot.uuid).await? {
            self.supervise(slot, process);
        }
        let before = slot.state();
        let after = NetState { live: Some(Arc::new(live)), degraded: None, ..before.clone() };
        slot.set_state(after.clone());
        self.release_claim(slot.uuid);
        self.bus.properties_changed(slot, &before.properties(), &after.properties()).await;
        self.bus.network_event(slot, NetworkEvent::Started).await;
        Ok(())
    }

    pub async fn start(self: &Arc<Self>, caller: &Caller, slot: &Arc<Slot>) -> Result<(), HelperError> {
        self.authorize(caller, &format!("start network '{}'", slot.state().name())).await?;
        let _op = slot.op.lock().await;
        let state = slot.state();
        let name = state.name().to_owned();
        let result = async {
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

    pub async fn destroy(&self, caller: &Caller, slot: &Arc<Slot>) -> Result<(), HelperError> {
        self.authorize(caller, &format!("stop network '{}'", slot.state().name())).await?;
        let _op = slot.op.lock().await;
        let before = slot.state();
        let name = before.name().to_owned();
        let result = async {
            let Some(live) = before.live.clone() else {
                return Err(HelperError::new(ErrorKind::NotActive, format!("network '{name}' is not active")));
            };
            slot.stop_supervisor();
            self.datapath.stop(&live, &self.others(slot.uuid)).await?;
            if let Err(e) = self.store.remove_status(&live.name) {
                warn!(network = %name, "{e}");
            }
            self.bus.network_event(slot, NetworkEvent::Stopped).await;
            // A transient network ends with its last run.
            self.settle(slot, &before, NetState { live: None, degraded: None, ..before.clone() }).await;
            Ok(())
        }
        .await;
        log_result("destroy", &name, &result);
        result
    }

    /// Reload: applies the firewall rules of every active network again.
    pub async fn reload(&self, caller: &Caller) -> Result<(), HelperError> {
        self.authorize(caller, "reload the firewall rules").await?;
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
}
