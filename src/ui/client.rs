//! The window's link to virtnetd: one connection, a mirror of every network kept up to
//! date from ObjectManager, PropertiesChanged and NetworkEvent signals (never polling),
//! reconnecting by itself when the helper goes away and comes back; and the calls the
//! window makes, which let polkit ask for a password.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use zbus::fdo::{DBusProxy, ObjectManagerProxy};
use zbus::message::Type as MessageType;
use zbus::proxy::CacheProperties;
use zbus::{Connection, MatchRule, MessageStream, OwnedObjectPath, OwnedVariant};

use crate::dbus::proxy::{ManagerProxy, NetworkProxy, PortProxy};
use crate::dbus::summary::{NetworkSummary, all_networks};
use crate::dbus::{
    BUS_NAME, DhcpLease, HelperError, NETWORK_INTERFACE, NO_OWNER, PORT_INTERFACE, ROOT_PATH, xml_flags,
};

/// What the window hears from the helper.
#[derive(Debug)]
pub enum ClientEvent {
    /// Connected (again): every network, and a client for calls.
    Connected(Client, Vec<NetworkSummary>),
    /// The helper is not reachable (why, in words).
    Disconnected(String),
    Added(NetworkSummary),
    Removed(String),
    /// Some properties of a network changed (name → new value).
    Changed(String, HashMap<String, OwnedVariant>),
    /// A NetworkEvent: `defined`, `undefined`, `started`, `stopped`, `updated`.
    Event(String, String),
    /// A network's DHCP leases changed.
    LeasesChanged(String),
    /// A network's ports changed (one plugged in or out, or a port's properties).
    PortsChanged(String),
}

/// One port as the window shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortInfo {
    pub interface: String,
    pub kind: String,
    pub mac: String,
    pub address: String,
    pub hostname: String,
    pub plugged: bool,
    /// The owner's uid, if any.
    pub owner: Option<u32>,
}

/// Calls on the helper; cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {
    conn: Connection,
    manager: ManagerProxy<'static>,
}

impl Client {
    async fn network(&self, path: &str) -> Result<NetworkProxy<'static>, HelperError> {
        Ok(NetworkProxy::builder(&self.conn)
            .path(path.to_owned())
            .cache_properties(CacheProperties::No)
            .build()
            .await?)
    }

    pub async fn start(&self, path: String) -> Result<(), HelperError> {
        Ok(self.network(&path).await?.start().await?)
    }

    pub async fn stop(&self, path: String) -> Result<(), HelperError> {
        Ok(self.network(&path).await?.destroy().await?)
    }

    /// Stops the network if it runs, then removes its definition.
    pub async fn stop_and_delete(&self, path: String) -> Result<(), HelperError> {
        let network = self.network(&path).await?;
        if network.active().await? {
            network.destroy().await?;
        }
        // A transient network is gone once stopped.
        if network.persistent().await.unwrap_or(false) {
            network.undefine().await?;
        }
        Ok(())
    }

    pub async fn set_autostart(&self, path: String, on: bool) -> Result<(), HelperError> {
        Ok(self.network(&path).await?.set_autostart(on).await?)
    }

    /// The definition the next start will use.
    pub async fn definition(&self, path: String) -> Result<String, HelperError> {
        Ok(self.network(&path).await?.get_xml_desc(xml_flags::INACTIVE).await?)
    }

    /// The definition the network runs with (the same when inactive).
    pub async fn live_definition(&self, path: String) -> Result<String, HelperError> {
        Ok(self.network(&path).await?.get_xml_desc(0).await?)
    }

    pub async fn define(&self, xml: String) -> Result<String, HelperError> {
        Ok(self.manager.define_xml(&xml).await?.to_string())
    }

    /// libvirt's net-update of one section (see `update_flags`), for DHCP sections of the
    /// `<ip>` at `parent_index` (-1: the first of the fragment's family).
    pub async fn update_at(
        &self,
        path: String,
        command: u32,
        section: u32,
        parent_index: i32,
        xml: String,
        flags: u32,
    ) -> Result<(), HelperError> {
        Ok(self.network(&path).await?.update(command, section, parent_index, &xml, flags).await?)
    }

    pub async fn leases(&self, path: String) -> Result<Vec<DhcpLease>, HelperError> {
        Ok(self.network(&path).await?.get_dhcp_leases("").await?)
    }

    /// What is plugged into the network's bridge (ports that go while being read are
    /// left out).
    pub async fn ports(&self, path: String) -> Result<Vec<PortInfo>, HelperError> {
        let mut ports = Vec::new();
        for port in self.network(&path).await?.list_ports().await? {
            let proxy = PortProxy::builder(&self.conn).path(port).cache_properties(CacheProperties::No).build().await?;
            let read = async {
                let owner = proxy.owner().await?;
                Ok::<PortInfo, zbus::Error>(PortInfo {
                    interface: proxy.interface().await?,
                    kind: proxy.kind().await?,
                    mac: proxy.mac().await?,
                    address: proxy.address().await?,
                    hostname: proxy.hostname().await?,
                    plugged: proxy.plugged().await?,
                    owner: (owner != NO_OWNER).then_some(owner),
                })
            };
            if let Ok(info) = read.await {
                ports.push(info);
            }
        }
        Ok(ports)
    }

    /// The host's interfaces a network may forward to.
    pub async fn host_interfaces(&self) -> Result<Vec<crate::dbus::HostInterface>, HelperError> {
        Ok(self.manager.list_host_interfaces().await?)
    }

    /// The subnets a new network must not overlap.
    pub async fn used_subnets(&self) -> Result<Vec<crate::dbus::UsedSubnet>, HelperError> {
        Ok(self.manager.list_used_subnets().await?)
    }

    /// What the wizard starts from: the host's interfaces, free subnets (`None` where
    /// the helper had none to suggest) and what is taken.
    pub async fn wizard_facts(&self) -> Result<WizardFacts, HelperError> {
        let interfaces = self.manager.list_host_interfaces().await?;
        let ipv4 = self.manager.suggest_subnet("ipv4").await.ok().and_then(|s| s.parse().ok());
        let ipv6 = self.manager.suggest_subnet("ipv6").await.ok().and_then(|s| s.parse().ok());
        let used = self.manager.list_used_subnets().await?;
        Ok(WizardFacts { interfaces, ipv4, ipv6, used })
    }

    /// Defines the network, then starts it and sets autostart as asked. If any step
    /// fails, the definition is removed again, so that a retry starts clean.
    pub async fn create(&self, xml: String, start: bool, autostart: bool) -> Result<String, HelperError> {
        let path = self.define(xml).await?;
        let rest = async {
            if start {
                self.start(path.clone()).await?;
            }
            if autostart {
                self.set_autostart(path.clone(), true).await?;
            }
            Ok::<(), HelperError>(())
        };
        if let Err(error) = rest.await {
            let _ = self.stop_and_delete(path).await;
            return Err(error);
        }
        Ok(path)
    }
}

/// The host's facts the new-network wizard needs from the helper.
#[derive(Clone, Debug, Default)]
pub struct WizardFacts {
    pub interfaces: Vec<crate::dbus::HostInterface>,
    pub ipv4: Option<ipnetwork::IpNetwork>,
    pub ipv6: Option<ipnetwork::IpNetwork>,
    pub used: Vec<crate::dbus::UsedSubnet>,
}

/// Connects to `address` (or the system bus), follows the helper for as long as the
/// window lives, and hands every event to `emit`. Never returns.
pub async fn follow(address: Option<String>, emit: impl Fn(ClientEvent)) {
    loop {
        let reason = match follow_once(address.as_deref(), &emit).await {
            Ok(()) => "virtnetd stopped".to_owned(),
            Err(e) => e.to_string(),
        };
        emit(ClientEvent::Disconnected(reason));
        // The helper may be restarting: look again soon.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn connection(address: Option<&str>) -> zbus::Result<Connection> {
    match address {
        Some(a) => zbus::connection::Builder::address(a).build().await,
        None => zbus::connection::Builder::system().build().await,
    }
}

/// One connection's life: snapshot, then signals until the helper goes away.
async fn follow_once(address: Option<&str>, emit: &impl Fn(ClientEvent)) -> zbus::Result<()> {
    let conn = connection(address).await?;
    let dbus = DBusProxy::builder(&conn).cache_properties(CacheProperties::No).build().await?;
    // Signals first, the snapshot after, so no change falls between the two.
    let mut owner = dbus.receive_name_owner_changed_with_args(&[(0, BUS_NAME)]).await?;
    let properties = MatchRule::builder()
        .msg_type(MessageType::Signal)
        .sender(BUS_NAME)
        .interface("org.freedesktop.DBus.Properties")
        .member("PropertiesChanged")
        .path_namespace(ROOT_PATH)
        .build()?;
    let mut properties = MessageStream::for_match_rule(properties, &conn, None).await?;
    let leases = MatchRule::builder()
        .msg_type(MessageType::Signal)
        .sender(BUS_NAME)
        .interface(NETWORK_INTERFACE)
        .member("DHCPLeasesChanged")
        .path_namespace(ROOT_PATH)
        .build()?;
    let mut leases = MessageStream::for_match_rule(leases, &conn, None).await?;
    // PortAdded and PortRemoved (a port's own changes come as PropertiesChanged).
    let ports = MatchRule::builder()
        .msg_type(MessageType::Signal)
        .sender(BUS_NAME)
        .interface(NETWORK_INTERFACE)
        .path_namespace(ROOT_PATH)
        .build()?;
    let mut ports = MessageStream::for_match_rule(ports, &conn, None).await?;
    let objects = ObjectManagerProxy::builder(&conn)
        .destination(BUS_NAME)
        .path(ROOT_PATH)
        .cache_properties(CacheProperties::No)
        .build()
        .await?;
    let mut added = objects.receive_interfaces_added().await?;
    let mut removed = objects.receive_interfaces_removed().await?;
    let manager = ManagerProxy::builder(&conn).cache_properties(CacheProperties::No).build().await?;
    let mut events = manager.receive_network_event().await?;

    let has_owner = dbus.name_has_owner(BUS_NAME.try_into()?).await?;
    let activatable = dbus.list_activatable_names().await?.iter().any(|n| n.as_str() == BUS_NAME);
    if !has_owner && !activatable {
        return Err(zbus::Error::Failure("virtnetd is not running".to_owned()));
    }
    let snapshot = all_networks(&conn).await?;
    emit(ClientEvent::Connected(Client { conn: conn.clone(), manager }, snapshot));

    loop {
        tokio::select! {
            Some(change) = owner.next() => {
                // The helper stopped (or was replaced): start over.
                if change.args().is_ok() {
                    return Ok(());
                }
            }
            Some(Ok(message)) = properties.next() => {
                let path = message.header().path().map(|p| p.to_string()).unwrap_or_default();
                match message.body().deserialize::<(String, HashMap<String, OwnedVariant>, Vec<String>)>() {
                    Ok((interface, changed, _)) if interface == NETWORK_INTERFACE => {
                        emit(ClientEvent::Changed(path, changed));
                    }
                    Ok((interface, _, _)) if interface == PORT_INTERFACE => {
                        if let Some((network, _)) = path.split_once("/port/") {
                            emit(ClientEvent::PortsChanged(network.to_owned()));
                        }
                    }
                    _ => {}
                }
            }
            Some(Ok(message)) = ports.next() => {
                let member = message.header().member().map(|m| m.to_string()).unwrap_or_default();
                if matches!(member.as_str(), "PortAdded" | "PortRemoved")
                    && let Some(path) = message.header().path()
                {
                    emit(ClientEvent::PortsChanged(path.to_string()));
                }
            }
            Some(Ok(message)) = leases.next() => {
                if let Some(path) = message.header().path() {
                    emit(ClientEvent::LeasesChanged(path.to_string()));
                }
            }
            Some(signal) = added.next() => {
                if let Ok(args) = signal.args() {
                    let path = OwnedObjectPath::from(args.object_path().clone());
                    let props = args.interfaces_and_properties();
                    if let Some((_, props)) = props.iter().find(|(name, _)| name.as_str() == NETWORK_INTERFACE) {
                        let props: HashMap<String, OwnedVariant> = props
                            .iter()
                            .filter_map(|(k, v)| Some(((*k).to_owned(), v.try_to_owned().ok()?)))
                            .collect();
                        if let Some(summary) = NetworkSummary::from_properties(&path, &props) {
                            emit(ClientEvent::Added(summary));
                        }
                    }
                }
            }
            Some(signal) = removed.next() => {
                if let Ok(args) = signal.args() {
                    emit(ClientEvent::Removed(args.object_path().to_string()));
                }
            }
            Some(signal) = events.next() => {
                if let Ok(args) = signal.args() {
                    emit(ClientEvent::Event(args.network().to_string(), args.event().to_owned()));
                }
            }
            else => return Ok(()),
        }
    }
}
