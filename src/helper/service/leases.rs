//! The networks' DHCP leases: read from the lease script's files, and news of them.

use super::Service;
use crate::helper::dnsmasq::leases::{self, Lease};
use crate::helper::registry::Slot;

impl Service {
    /// Where the lease script keeps each bridge's leases.
    pub fn leases_dir(&self) -> &std::path::Path {
        self.datapath.dnsmasq.leases_dir()
    }

    /// Tells clients that the leases of the network running on `bridge` changed.
    pub async fn leases_changed(self: &std::sync::Arc<Self>, bridge: &str) {
        for (slot, _) in self.registry.visible() {
            let state = slot.state();
            let Some(live) = state.live.as_ref() else { continue };
            if live.bridge.name.as_deref() != Some(bridge) {
                continue;
            }
            self.bus.leases_changed(&slot).await;
            // Ports show their guest's lease.
            self.update_ports(&slot).await;
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
}
