//! Update: libvirt's `net-update` on a network, live (the running network takes the
//! change without a restart: dnsmasq rereads its hosts files, or restarts with its
//! leases, or the firewall table is replaced), to the persistent definition, or both,
//! as the flags say (libvirt's rules: `current` is live when running, else config; live
//! on an inactive network and config on a transient one are errors).

use std::sync::Arc;

use tracing::{info, warn};

use super::{Service, log_result, not_found_any, storage};
use crate::dbus::{ErrorKind, HelperError, NetworkEvent, update_flags};
use crate::helper::auth::Caller;
use crate::helper::dnsmasq::config as dnsmasq_config;
use crate::helper::registry::{NetState, Slot};
use crate::model::update::{self, Command, LiveEffect, Section};

/// The largest update fragment read (a host or record is a few hundred bytes).
const MAX_FRAGMENT_BYTES: usize = 64 * 1024;

/// What one Update asks for.
pub struct UpdateRequest {
    pub command: u32,
    pub section: u32,
    pub parent_index: i32,
    pub xml: String,
    pub flags: u32,
}

fn invalid(what: String) -> HelperError {
    HelperError::new(ErrorKind::InvalidArgs, what)
}

/// Which definitions the flags change: (live, config).
fn targets(state: &NetState, flags: u32) -> Result<(bool, bool), HelperError> {
    use update_flags::{CONFIG, LIVE};
    if flags & !(LIVE | CONFIG) != 0 {
        return Err(invalid(format!("unknown Update flags {flags:#x} (1 live, 2 config)")));
    }
    let name = state.name();
    let active = state.live.is_some();
    let (live, config) =
        if flags == update_flags::CURRENT { (active, !active) } else { (flags & LIVE != 0, flags & CONFIG != 0) };
    if live && !active {
        return Err(HelperError::new(
            ErrorKind::NotActive,
            format!("network '{name}' is not running: it has no live definition to update"),
        ));
    }
    if config && state.config.is_none() {
        return Err(HelperError::new(
            ErrorKind::NotPersistent,
            format!("cannot change the persistent configuration of transient network '{name}'"),
        ));
    }
    Ok((live, config))
}

impl Service {
    pub async fn update(
        self: &Arc<Self>,
        caller: &Caller,
        slot: &Arc<Slot>,
        request: UpdateRequest,
    ) -> Result<(), HelperError> {
        let name = slot.state().name().to_owned();
        self.authorize(caller, &format!("update network '{name}'")).await?;
        let command = Command::from_number(request.command).ok_or_else(|| {
            invalid(format!("unknown update command {} (1 modify, 2 delete, 3 add-last, 4 add-first)", request.command))
        })?;
        let section = Section::from_number(request.section).ok_or_else(|| {
            invalid(format!("unknown update section {} (1 to 12, or 100 for port-forward)", request.section))
        })?;
        if request.xml.len() > MAX_FRAGMENT_BYTES {
            return Err(invalid(format!(
                "the update XML is {} bytes; a section's XML has at most {MAX_FRAGMENT_BYTES}",
                request.xml.len()
            )));
        }
        let _op = slot.op.lock().await;
        let before = slot.state();
        let result = async {
            if !before.exists() {
                return Err(not_found_any());
            }
            let (live, config) = targets(&before, request.flags)?;
            let edit = |network: &crate::model::Network| {
                update::apply(network, command, section, request.parent_index, &request.xml)
                    .map_err(|why| HelperError::new(ErrorKind::InvalidDefinition, why))
            };
            // Both edits are made (and checked) before anything changes.
            let new_config = match (&before.config, config) {
                (Some(current), true) => Some(Arc::new(edit(current)?)),
                _ => None,
            };
            let new_live = match (&before.live, live) {
                (Some(current), true) => Some(Arc::new(edit(current)?)),
                _ => None,
            };
            // The running network first: it is what can fail for reasons outside the
            // definition (dnsmasq refusing to start), and then nothing was saved.
            if let Some(network) = &new_live {
                let running = before.live.as_deref().ok_or_else(not_found_any)?;
                self.apply_live(slot, running, network, section).await?;
                self.store.save_status(network).map_err(storage)?;
            }
            if let Some(network) = &new_config {
                self.store.save_definition(network).map_err(storage)?;
            }
            let live_changed = new_live.is_some();
            let after = NetState {
                config: new_config.or(before.config.clone()),
                live: new_live.or(before.live.clone()),
                ..before.clone()
            };
            slot.set_state(after.clone());
            if live_changed && section == Section::PortForward {
                let had = before.live.as_deref().is_some_and(crate::model::Network::forwards_ports);
                self.hairpin_after_forwards_change(slot, had).await;
            }
            self.bus.properties_changed(slot, &before.properties(), &after.properties()).await;
            self.bus.network_event(slot, NetworkEvent::Updated).await;
            Ok(())
        }
        .await;
        log_result(&format!("update {}", section.word()), &name, &result);
        result
    }

    /// Makes the running network work as `network` says (it runs as `running`), for a
    /// change of `section`. If dnsmasq does not start with the change, it is started
    /// again as it was, so a failed update leaves the network working.
    async fn apply_live(
        self: &Arc<Self>,
        slot: &Arc<Slot>,
        running: &crate::model::Network,
        network: &crate::model::Network,
        section: Section,
    ) -> Result<(), HelperError> {
        let name = &network.name;
        match section.live_effect() {
            LiveEffect::Nothing => Ok(()),
            LiveEffect::Firewall => self.datapath.reapply_firewall(network).await,
            LiveEffect::Reread if dnsmasq_config::needed(network) && self.datapath.dnsmasq.find(name).is_some() => {
                self.datapath.dnsmasq.reread(network)?;
                info!(network = %name, "dnsmasq rereads its hosts (same pid)");
                Ok(())
            }
            // A configuration change, or a network whose dnsmasq is not running (now
            // needed or not): dnsmasq starts again with the leases kept (its lease
            // script hands them back at start).
            LiveEffect::Reread | LiveEffect::RestartDnsmasq => {
                slot.stop_supervisor();
                if let Some(process) = self.datapath.dnsmasq.find(name) {
                    process.terminate().await;
                }
                if !dnsmasq_config::needed(network) {
                    return Ok(());
                }
                match self.datapath.dnsmasq.start(network).await {
                    Ok(process) => {
                        info!(network = %name, pid = process.pid, "dnsmasq restarted with the update");
                        self.supervise(slot, process);
                        Ok(())
                    }
                    Err(e) => {
                        if dnsmasq_config::needed(running) {
                            match self.datapath.dnsmasq.start(running).await {
                                Ok(process) => self.supervise(slot, process),
                                Err(again) => warn!(network = %name, "dnsmasq does not start again as it was: {again}"),
                            }
                        }
                        Err(e)
                    }
                }
            }
        }
    }
}
