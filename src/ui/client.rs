//! The window's links to virtnetd: one connection per host, each a mirror of every
//! network there kept up to date from ObjectManager, PropertiesChanged and NetworkEvent
//! signals (never polling), reconnecting by itself when the helper or the host goes away
//! and comes back; and the calls the window makes, which let polkit ask for a password.
//!
//! The rest of the window names a network by its *key*, `HOST:OBJECTPATH` (see
//! [`network_key`]): two hosts may well hold networks with the same UUID, hence the same
//! object path. Events leave this module with keys, and a host's [`Client`] takes keys.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use zbus::fdo::{DBusProxy, ObjectManagerProxy};
use zbus::message::Type as MessageType;
use zbus::proxy::CacheProperties;
use zbus::{Connection, MatchRule, MessageStream, OwnedObjectPath, OwnedVariant};

use crate::dbus::connect::{ConnectError, Link, Prompts, Target};
use crate::dbus::proxy::{ManagerProxy, NetworkProxy, PortProxy};
use crate::dbus::summary::{NetworkSummary, all_networks};
use crate::dbus::{
    BUS_NAME, DhcpLease, HelperError, NETWORK_INTERFACE, NO_OWNER, PORT_INTERFACE, ROOT_PATH, xml_flags,
};

/// A connection of the window, numbered from 0 (the first, usually this computer).
pub type HostId = u32;

/// The key of a network: its host and its object path there.
pub fn network_key(host: HostId, path: &str) -> String {
    format!("{host}:{path}")
}

/// The host and object path of a network key.
pub fn split_key(key: &str) -> Option<(HostId, &str)> {
    let (host, path) = key.split_once(':')?;
    Some((host.parse().ok()?, path))
}

/// What the window hears from the helper of one host (network keys, not paths).
#[derive(Debug)]
pub enum ClientEvent {
    /// Connected (again): every network, and a client for calls.
    Connected(Client, Vec<NetworkSummary>),
    /// The helper is not reachable (why, in words).
    Disconnected(Unreachable),
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

impl ClientEvent {
    /// The event with the host's network keys in place of object paths.
    fn keyed(self, host: HostId) -> ClientEvent {
        let key = |path: String| network_key(host, &path);
        let summary = |mut s: NetworkSummary| {
            s.path = network_key(host, &s.path);
            s
        };
        match self {
            ClientEvent::Connected(client, networks) => {
                ClientEvent::Connected(Client { host, ..client }, networks.into_iter().map(summary).collect())
            }
            ClientEvent::Disconnected(why) => ClientEvent::Disconnected(why),
            ClientEvent::Added(s) => ClientEvent::Added(summary(s)),
            ClientEvent::Removed(path) => ClientEvent::Removed(key(path)),
            ClientEvent::Changed(path, changed) => ClientEvent::Changed(key(path), changed),
            ClientEvent::Event(path, event) => ClientEvent::Event(key(path), event),
            ClientEvent::LeasesChanged(path) => ClientEvent::LeasesChanged(key(path)),
            ClientEvent::PortsChanged(path) => ClientEvent::PortsChanged(key(path)),
        }
    }
}

/// Calls on the helper of one host; cheap to clone. Networks are named by their keys.
#[derive(Clone, Debug)]
pub struct Client {
    host: HostId,
    /// The host's name when the connection goes over ssh (polkit cannot ask there).
    remote: Option<String>,
    conn: Connection,
    manager: ManagerProxy<'static>,
}

impl Client {
    /// The host's name, when the connection goes over ssh.
    pub fn remote_host(&self) -> Option<&str> {
        self.remote.as_deref()
    }

    async fn network(&self, key: &str) -> Result<NetworkProxy<'static>, HelperError> {
        let path = match split_key(key) {
            Some((host, path)) if host == self.host => path,
            _ => {
                return Err(HelperError::new(
                    crate::dbus::ErrorKind::NotFound,
                    format!("{key} is not a network of this connection"),
                ));
            }
        };
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

    /// Defines a network; its key.
    pub async fn define(&self, xml: String) -> Result<String, HelperError> {
        Ok(network_key(self.host, self.manager.define_xml(&xml).await?.as_str()))
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

/// Why the window cannot show a host's networks, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreachable {
    pub why: String,
    pub hint: Option<String>,
    /// The host refused the login (another user or key would help), rather than being
    /// away.
    pub authentication: bool,
}

impl From<ConnectError> for Unreachable {
    fn from(e: ConnectError) -> Self {
        Unreachable { why: e.to_string(), hint: e.hint(), authentication: e.is_authentication() }
    }
}

/// Connects to `target`, follows the helper for as long as the window lives, and hands
/// every event to `emit`. Never returns: a lost connection is opened again, at once
/// for a bus of this computer, after a growing pause (up to 30 s) for a remote host.
pub async fn follow(host: HostId, target: Target, emit: impl Fn(ClientEvent)) {
    let emit = move |event: ClientEvent| emit(event.keyed(host));
    const FIRST_PAUSE: Duration = Duration::from_millis(500);
    let mut pause = FIRST_PAUSE;
    loop {
        let began = tokio::time::Instant::now();
        let error = follow_link(&target, &emit).await;
        emit(ClientEvent::Disconnected(Unreachable::from(error)));
        // A link that lasted was a working one: its loss starts the pauses over.
        if began.elapsed() > Duration::from_secs(30) {
            pause = FIRST_PAUSE;
        }
        tokio::time::sleep(pause).await;
        if target.is_remote() {
            pause = (pause * 2).min(Duration::from_secs(30));
        }
    }
}

/// ssh's questions go to a dialog of this very program (`virtnet-manager` answering as
/// ssh's askpass, see `ui::askpass`); a terminal is asked only if the program cannot be
/// found.
fn prompts() -> Prompts {
    std::env::current_exe().map_or(Prompts::Terminal, Prompts::Window)
}

/// One connection's life: while the helper is away, waits on the same connection for it
/// to come back; while it is there, a snapshot and then its signals. Returns why the
/// connection itself ended.
async fn follow_link(target: &Target, emit: &impl Fn(ClientEvent)) -> ConnectError {
    let mut link = match crate::dbus::connect::open(target, &prompts()).await {
        Ok(link) => link,
        Err(e) => return e,
    };
    let lost = |link: &mut Link, e: zbus::Error| {
        link.transport_error(target)
            .unwrap_or_else(|| ConnectError::NoBus { where_: target.describe(), why: e.to_string() })
    };
    let conn = link.conn.clone();
    let dbus = match DBusProxy::builder(&conn).cache_properties(CacheProperties::No).build().await {
        Ok(dbus) => dbus,
        Err(e) => return lost(&mut link, e),
    };
    // The helper's comings and goings, heard before anything is looked at.
    let mut owner = match dbus.receive_name_owner_changed_with_args(&[(0, BUS_NAME)]).await {
        Ok(owner) => owner,
        Err(e) => return lost(&mut link, e),
    };
    loop {
        match crate::dbus::connect::find_helper(&mut link, target).await {
            Ok(()) => {
                let remote = match target {
                    Target::Ssh(ssh) => Some(ssh.host.clone()),
                    _ => None,
                };
                if let Err(e) = follow_helper(&conn, remote, &mut owner, emit).await {
                    return lost(&mut link, e);
                }
                // The helper stopped: say so, and wait for it on this connection.
                emit(ClientEvent::Disconnected(Unreachable::from(ConnectError::NoHelper {
                    where_: target.describe(),
                })));
            }
            Err(e @ (ConnectError::NoHelper { .. } | ConnectError::VersionMismatch { .. })) => {
                emit(ClientEvent::Disconnected(Unreachable::from(e)));
                if owner.next().await.is_none() {
                    return link.transport_error(target).unwrap_or_else(|| ConnectError::NoBus {
                        where_: target.describe(),
                        why: "the connection closed".to_owned(),
                    });
                }
            }
            Err(e) => return e,
        }
    }
}

/// Follows a helper that is there: snapshot, then signals until it goes away (`Ok`) or
/// the connection breaks (`Err`).
async fn follow_helper(
    conn: &Connection,
    remote: Option<String>,
    owner: &mut zbus::fdo::NameOwnerChangedStream,
    emit: &impl Fn(ClientEvent),
) -> zbus::Result<()> {
    let conn = conn.clone();
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

    let snapshot = all_networks(&conn).await?;
    // The host is set as the event leaves this module.
    emit(ClientEvent::Connected(Client { host: 0, remote, conn: conn.clone(), manager }, snapshot));

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
            // Every stream ended: the connection is gone.
            else => return Err(zbus::Error::Failure("the connection closed".to_owned())),
        }
    }
}
