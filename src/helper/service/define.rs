//! Defining, creating and undefining networks, and autostart: the changes to what
//! exists and under which name.

use std::sync::Arc;

use tracing::warn;
use uuid::Uuid;
use zbus::OwnedObjectPath;

use super::{Service, log_result, not_found_any, storage};
use crate::dbus::{ErrorKind, HelperError, NetworkEvent};
use crate::helper::auth::{Action, Caller};
use crate::helper::registry::{NetState, Slot};
use crate::model::defaults::os_random;
use crate::model::{DefinitionError, Network, apply_defaults, parse_definition};

/// Reads a definition from a client: every problem in one message.
fn definition_from(xml: &str) -> Result<Network, HelperError> {
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

impl Service {
    /// DefineXML: a new persistent network, or a new definition for an existing one
    /// (same UUID; the running network keeps its live definition until restarted).
    pub async fn define(self: &Arc<Self>, caller: &Caller, xml: String) -> Result<OwnedObjectPath, HelperError> {
        // Asked before anything of the document is read: a stranger's definition costs
        // the helper nothing.
        self.authorize(caller, "define a network").await?;
        let network = self.read_definition(caller, xml, "define").await?;
        let name = network.name.clone();
        let result = self.define_authorized(network).await;
        log_result("define", &name, &result);
        result
    }

    /// Reads and checks a definition from an authorized caller, off the async workers
    /// and a few at a time; raw dnsmasq options beyond the safe ones need their own
    /// right, asked for here, naming the network and the options.
    async fn read_definition(&self, caller: &Caller, xml: String, operation: &str) -> Result<Network, HelperError> {
        let network = {
            let _permit = self
                .reading
                .acquire()
                .await
                .map_err(|_| HelperError::new(ErrorKind::Failed, "the helper is stopping"))?;
            tokio::task::spawn_blocking(move || definition_from(&xml))
                .await
                .map_err(|e| HelperError::new(ErrorKind::Failed, format!("reading the definition failed: {e}")))??
        };
        let options = network.unsafe_dnsmasq_options();
        if !options.is_empty() {
            let listed = options.join(", ");
            let what = format!(
                "{operation} network '{}' with the dnsmasq options {listed}, which dnsmasq runs as root",
                network.name
            );
            let details = [("network", network.name.as_str()), ("options", listed.as_str())];
            self.authorize_action(caller, Action::ManageDnsmasqOptions, &what, &details).await?;
        }
        Ok(network)
    }

    async fn define_authorized(self: &Arc<Self>, mut network: Network) -> Result<OwnedObjectPath, HelperError> {
        let _namespace = self.namespace.lock().await;
        let existing = self.existing_for(&network)?;
        let Some(slot) = existing else {
            let uuid = self.fill_defaults(&mut network, None).await?;
            self.store.save_definition(&network).map_err(storage)?;
            let slot = Slot::new(uuid, NetState { config: Some(Arc::new(network)), ..NetState::default() }, false);
            self.registry.insert(slot.clone());
            self.bus.publish(self, &slot).await;
            self.bus.network_event(&slot, NetworkEvent::Defined).await;
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
            degraded: before.degraded.clone(),
            firewall_conflict: before.firewall_conflict.clone(),
        };
        slot.set_state(after.clone());
        self.bus.properties_changed(&slot, &before.properties(), &after.properties()).await;
        let event = if before.config.is_some() { NetworkEvent::Updated } else { NetworkEvent::Defined };
        self.bus.network_event(&slot, event).await;
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
    pub(super) async fn fill_defaults(
        &self,
        network: &mut Network,
        previous: Option<&NetState>,
    ) -> Result<Uuid, HelperError> {
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
    pub async fn create(self: &Arc<Self>, caller: &Caller, xml: String) -> Result<OwnedObjectPath, HelperError> {
        self.authorize(caller, "create a network").await?;
        let network = self.read_definition(caller, xml, "create").await?;
        let name = network.name.clone();
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
        self.bus.publish(self, &slot).await;
        self.bus.network_event(&slot, NetworkEvent::Started).await;
        Ok(slot.path.clone())
    }

    /// Undefine: the persistent definition goes; a running network goes on as a
    /// transient one.
    pub async fn undefine(&self, caller: &Caller, slot: &Arc<Slot>) -> Result<(), HelperError> {
        self.authorize(caller, &format!("undefine network '{}'", slot.state().name())).await?;
        let _namespace = self.namespace.lock().await;
        let _op = slot.op.lock().await;
        // The name as it is now, under the locks: a rename since the question changes it.
        let before = slot.state();
        let name = before.name().to_owned();
        let result = async {
            persistent(&before, "it has no definition to remove and disappears when stopped")?;
            self.store.remove_definition(&name).map_err(storage)?;
            self.bus.network_event(slot, NetworkEvent::Undefined).await;
            self.settle(slot, &before, NetState { config: None, autostart: false, ..before.clone() }).await;
            Ok(())
        }
        .await;
        log_result("undefine", &name, &result);
        result
    }

    /// SetAutostart: whether the network starts at boot.
    pub async fn set_autostart(&self, caller: &Caller, slot: &Arc<Slot>, on: bool) -> Result<(), HelperError> {
        self.authorize(caller, &format!("change autostart of network '{}'", slot.state().name())).await?;
        let _op = slot.op.lock().await;
        let before = slot.state();
        let name = before.name().to_owned();
        let result = async {
            persistent(&before, "only persistent networks can start at boot")?;
            self.store.set_autostart(&name, on).map_err(storage)?;
            let after = NetState { autostart: on, ..before.clone() };
            slot.set_state(after.clone());
            self.bus.properties_changed(slot, &before.properties(), &after.properties()).await;
            Ok(())
        }
        .await;
        log_result(if on { "autostart on" } else { "autostart off" }, &name, &result);
        result
    }
}

/// Refuses an operation on a network that went meanwhile or that is transient (`why`:
/// what that means for the operation).
fn persistent(state: &NetState, why: &str) -> Result<(), HelperError> {
    if !state.exists() {
        return Err(not_found_any());
    }
    if state.config.is_none() {
        return Err(HelperError::new(
            ErrorKind::NotPersistent,
            format!("network '{}' is transient: {why}", state.name()),
        ));
    }
    Ok(())
}
