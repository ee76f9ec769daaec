//! A network's properties as a client reads them in one call (ObjectManager's
//! `GetManagedObjects`): what lists show without one call per network.

use std::collections::HashMap;

use zbus::fdo::ObjectManagerProxy;
use zbus::proxy::CacheProperties;
use zbus::{Connection, OwnedObjectPath, OwnedVariant};

use super::names::{BUS_NAME, NETWORK_INTERFACE, ROOT_PATH};

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct NetworkSummary {
    #[serde(skip)]
    pub path: String,
    pub name: String,
    pub uuid: String,
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    pub bridge: String,
    pub forward_mode: String,
    /// Why the running network does not work as defined, or empty. `--json`
    /// carries it only when set, like net-info's "Degraded:" line, so the
    /// shape scripts already parse stays the same for healthy networks.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub degraded: String,
    /// Which other firewall drops what the network's rules accept, or empty; in
    /// `--json` only when set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub firewall_conflict: String,
}

impl NetworkSummary {
    /// From the Network interface's properties; `None` if they are not a network's.
    pub fn from_properties(path: &OwnedObjectPath, props: &HashMap<String, OwnedVariant>) -> Option<NetworkSummary> {
        let text = |key: &str| props.get(key).and_then(|v| String::try_from(v.clone()).ok());
        let flag = |key: &str| props.get(key).and_then(|v| bool::try_from(v.clone()).ok());
        Some(NetworkSummary {
            path: path.to_string(),
            name: text("Name")?,
            uuid: text("UUID")?,
            active: flag("Active")?,
            persistent: flag("Persistent")?,
            autostart: flag("Autostart")?,
            bridge: text("BridgeName").unwrap_or_default(),
            forward_mode: text("ForwardMode").unwrap_or_default(),
            degraded: text("Degraded").unwrap_or_default(),
            firewall_conflict: text("FirewallConflict").unwrap_or_default(),
        })
    }
}

/// Every network the helper has, sorted by name, in one D-Bus call.
pub async fn all_networks(conn: &Connection) -> zbus::Result<Vec<NetworkSummary>> {
    let manager = ObjectManagerProxy::builder(conn)
        .destination(BUS_NAME)
        .path(ROOT_PATH)
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    let objects = manager.get_managed_objects().await?;
    let mut networks: Vec<NetworkSummary> = objects
        .iter()
        .filter_map(|(path, interfaces)| {
            let props = interfaces.iter().find(|(name, _)| name.as_str() == NETWORK_INTERFACE)?.1;
            NetworkSummary::from_properties(path, props)
        })
        .collect();
    networks.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(networks)
}
