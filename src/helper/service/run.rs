//! Starting and stopping networks, and applying their firewall rules again.

use std::collections::HashMap;
use std::sync::Arc;

use tracing::warn;
use uuid::Uuid;

use super::{Service, log_result, not_found_any, storage};
use crate::dbus::{ErrorKind, HelperError, NetworkEvent};
use crate::helper::auth::Caller;
use crate::helper::dnsmasq::process::Process;
use crate::helper::firewall;
use crate::helper::lifecycle::{self, Others};
use crate::helper::registry::{NetState, Slot};
use crate::model::Network;

impl Service {
    /// What the active and starting networks other than `except` hold.
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
                if let Err(stop) = self.datapath.stop(network).await {
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
        // This start may have turned ip_forward on, which turns every interface's on.
        if !lifecycle::forwarding_families(&live).is_empty() {
            let active = self.registry.visible();
            self.datapath.keep_isolated_from_forwarding(active.iter().filter_map(|(_, s)| s.live.as_deref()));
        }
        let before = slot.state();
        let after = NetState { live: Some(Arc::new(live)), degraded: None, firewall_conflict: None, ..before.clone() };
        slot.set_state(after.clone());
        self.release_claim(slot.uuid);
        self.bus.properties_changed(slot, &before.properties(), &after.properties()).await;
        self.bus.network_event(slot, NetworkEvent::Started).await;
        // VMs plugged in before a restart are plugged in again.
        self.plug_ports(slot).await;
        self.update_ports(slot).await;
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

    pub async fn destroy(self: &Arc<Self>, caller: &Caller, slot: &Arc<Slot>) -> Result<(), HelperError> {
        self.authorize(caller, &format!("stop network '{}'", slot.state().name())).await?;
        let _op = slot.op.lock().await;
        let before = slot.state();
        let name = before.name().to_owned();
        let result = async {
            let Some(live) = before.live.clone() else {
                return Err(HelperError::new(ErrorKind::NotActive, format!("network '{name}' is not active")));
            };
            slot.stop_supervisor();
            self.datapath.stop(&live).await?;
            if let Err(e) = self.store.remove_status(&live.name) {
                warn!(network = %name, "{e}");
            }
            self.bus.network_event(slot, NetworkEvent::Stopped).await;
            // A transient network ends with its last run.
            let after = NetState { live: None, degraded: None, firewall_conflict: None, ..before.clone() };
            let exists = after.exists();
            self.settle(slot, &before, after).await;
            if exists {
                self.update_ports(slot).await;
            }
            Ok(())
        }
        .await;
        log_result("destroy", &name, &result);
        result
    }

    /// Applies the rules of every active network whose rules someone else removed
    /// (`nft flush ruleset`, `iptables -F`), and keeps isolated bridges from
    /// forwarding; returns how many networks got their rules back. The helper's own
    /// repair ([`firewall_watch`](crate::helper::firewall_watch)), so no caller.
    pub async fn restore_firewall(&self) -> usize {
        let visible = self.registry.visible();
        self.datapath.keep_isolated_from_forwarding(visible.iter().filter_map(|(_, s)| s.live.as_deref()));
        let active: Vec<(Arc<Slot>, String)> = visible
            .into_iter()
            .filter_map(|(slot, state)| Some((slot, firewall::plan::plan(state.live.as_deref()?)?.bridge)))
            .collect();
        if active.is_empty() {
            return 0;
        }
        let bridges: Vec<String> = active.iter().map(|(_, bridge)| bridge.clone()).collect();
        let missing = match self.datapath.firewall.missing(&bridges).await {
            Ok(missing) => missing,
            Err(e) => {
                warn!("cannot check the firewall rules: {e}");
                return 0;
            }
        };
        let mut restored = 0;
        for (slot, bridge) in active.iter().filter(|(_, bridge)| missing.contains(bridge)) {
            // A network being stopped has its rules removed on purpose: once its
            // operation is over, only one still active and still missing is repaired.
            let _op = slot.op.lock().await;
            let Some(live) = slot.state().live else { continue };
            if !self.datapath.firewall.missing(std::slice::from_ref(bridge)).await.is_ok_and(|m| !m.is_empty()) {
                continue;
            }
            warn!(network = %live.name, "its firewall rules were removed by someone else; applying them again");
            let result = self.datapath.reapply_firewall(&live).await;
            log_result("restore firewall rules", &live.name, &result);
            restored += usize::from(result.is_ok());
        }
        restored
    }

    /// Names, on each active network, the other firewall's chains that drop what its
    /// rules accept (the FirewallConflict property), and logs each new finding once.
    pub async fn check_foreign_firewall(&self) {
        let backend = self.datapath.firewall;
        let visible = self.registry.visible();
        // Only running networks are concerned (and without any, the iptables backend's
        // check every second costs nothing).
        if backend == firewall::Backend::None || !visible.iter().any(|(_, s)| s.live.is_some()) {
            return;
        }
        let drops = match firewall::foreign::drops().await {
            Ok(drops) => drops,
            Err(e) => {
                warn!("cannot read the host's other firewall chains: {e}");
                return;
            }
        };
        let changed = |state: &NetState| {
            let conflict = firewall::foreign::conflict(&drops, state.live.as_deref()?, backend);
            (conflict != state.firewall_conflict).then_some(conflict)
        };
        for (slot, state) in visible {
            // The operation lock only where something changes (this runs every second
            // with the iptables backend), and the state read again under it.
            if changed(&state).is_none() {
                continue;
            }
            let _op = slot.op.lock().await;
            let before = slot.state();
            let (Some(live), Some(conflict)) = (before.live.clone(), changed(&before)) else { continue };
            if let Some(sentence) = &conflict {
                warn!(network = %live.name, "{sentence}");
            }
            let after = NetState { firewall_conflict: conflict, ..before.clone() };
            slot.set_state(after.clone());
            self.bus.properties_changed(&slot, &before.properties(), &after.properties()).await;
        }
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
