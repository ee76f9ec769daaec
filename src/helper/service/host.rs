//! The host's facts a new network is chosen by: its interfaces, what subnets are taken,
//! and a free one. Any local user may ask, so each caller (by uid) may ask only so often,
//! and only a few dumps of the host's addresses and routes run at once: a flood of them
//! cannot delay a start.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ipnetwork::IpNetwork;

use super::Service;
use crate::dbus::{ErrorKind, HelperError, HostInterface, UsedSubnet};
use crate::helper::auth::{Authorizer, Caller};
use crate::helper::netlink::HostNetKind;
use crate::helper::registry::NetState;
use crate::model::defaults::os_random;
use crate::model::{IpDef, Network};

/// Calls for the host's facts one uid may make in [`WINDOW`].
const CALLS_PER_WINDOW: usize = 20;
const WINDOW: Duration = Duration::from_secs(10);
/// Dumps of the host's addresses and routes at the same time, at most.
const PARALLEL_DUMPS: usize = 2;

/// A fresh random global ID for a unique local IPv6 prefix (RFC 4193 section 3.2).
fn unique_local_global_id() -> [u8; 5] {
    let mut id = [0u8; 5];
    os_random(&mut id);
    id
}

/// Who asked for the host's facts lately, and the turns to dump them.
pub struct RateLimit {
    recent: Mutex<HashMap<u32, Vec<Instant>>>,
    dumps: tokio::sync::Semaphore,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit { recent: Mutex::new(HashMap::new()), dumps: tokio::sync::Semaphore::new(PARALLEL_DUMPS) }
    }
}

impl RateLimit {
    /// Lets the caller ask, if they have not asked too often, once a dump may run;
    /// root is never limited (it starts the networks the limit protects).
    pub async fn admit(
        &self,
        auth: &Authorizer,
        conn: &zbus::Connection,
        caller: &Caller,
    ) -> Result<tokio::sync::SemaphorePermit<'_>, HelperError> {
        let uid = auth.uid(conn, caller).await?;
        if uid != 0 {
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            recent.retain(|_, calls| {
                calls.retain(|t| now.duration_since(*t) < WINDOW);
                !calls.is_empty()
            });
            let calls = recent.entry(uid).or_default();
            if calls.len() >= CALLS_PER_WINDOW {
                return Err(HelperError::new(
                    ErrorKind::LimitsExceeded,
                    format!(
                        "uid {uid} asked for the host's interfaces and subnets {CALLS_PER_WINDOW} times in {} s; try again in a few seconds",
                        WINDOW.as_secs()
                    ),
                ));
            }
            calls.push(now);
        }
        self.dumps.acquire().await.map_err(|_| HelperError::new(ErrorKind::Failed, "the helper is stopping"))
    }
}

impl Service {
    /// The bridge names every network holds (defined or running).
    fn our_bridges(&self) -> HashSet<String> {
        self.registry
            .all()
            .iter()
            .flat_map(|slot| slot.state().bridge_names().map(str::to_owned).collect::<Vec<_>>())
            .collect()
    }

    /// The host's interfaces a network may forward to: all but loopback and the bridges
    /// of virtnet's networks.
    pub async fn host_interfaces(&self, caller: &Caller) -> Result<Vec<HostInterface>, HelperError> {
        let _turn = self.host_facts.admit(&self.auth, self.bus.connection(), caller).await?;
        let ours = self.our_bridges();
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
    pub async fn used_subnets(&self, caller: &Caller) -> Result<Vec<UsedSubnet>, HelperError> {
        let _turn = self.host_facts.admit(&self.auth, self.bus.connection(), caller).await?;
        self.used_subnets_now().await
    }

    /// What is in use now (for a suggestion, asked once per call).
    async fn used_subnets_now(&self) -> Result<Vec<UsedSubnet>, HelperError> {
        let host = self.datapath.netlink.host_networks().await?;
        // The addresses and routes of our own bridges are the networks' (listed as such).
        let ours = self.our_bridges();
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
            self.starting.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
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
    pub async fn suggest_subnet(&self, caller: &Caller, family: &str) -> Result<String, HelperError> {
        let _turn = self.host_facts.admit(&self.auth, self.bus.connection(), caller).await?;
        let used: Vec<IpNetwork> =
            self.used_subnets_now().await?.iter().filter_map(|u| u.subnet.parse().ok()).collect();
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
}
