//! Start-up: the definitions read back, the networks that still run adopted (and what
//! is left of those that died removed), the `default` network of a first run, and
//! autostart once per boot.

use std::sync::Arc;

use tracing::{info, warn};

use super::{Service, log_result, storage};
use crate::dbus::{ErrorKind, HelperError};
use crate::helper::default_network;
use crate::helper::netlink::HostNetKind;
use crate::helper::registry::{NetState, Slot};
use crate::model::Network;

impl Service {
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
            let state =
                NetState { config: Some(Arc::new(network)), autostart: stored.autostart, ..NetState::default() };
            self.registry.insert(Slot::new(uuid, state, false));
        }
        for live in self.store.load_status() {
            // A status file is read back as carefully as a definition from a caller:
            // one that does not validate names nothing this helper may touch.
            if let Err(problems) = live.validate() {
                warn!(network = %live.name, "ignoring its status file, which is not a valid definition: {problems}");
                continue;
            }
            self.adopt(live).await;
        }
        for slot in self.registry.all() {
            self.load_ports(&slot);
            self.bus.publish(self, &slot).await;
            self.plug_ports(&slot).await;
        }
        // Then once for all networks (one reading of the host's interfaces), not a
        // reading per network at start-up.
        self.update_all_ports().await;
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
                if let Err(e) = self.datapath.stop(&live).await {
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
