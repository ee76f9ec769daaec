//! Who may change networks. Reading needs nothing; every change asks, about the
//! *caller* (the message's sender), either polkit or, with `--auth root`, whether the
//! caller is uid 0 (or one given with `--allow-uid`).
//!
//! Three polkit actions: `io.github.virtnet.manage` for every change of networks,
//! `io.github.virtnet.manage-dnsmasq-options` as well for a definition whose raw
//! `<dnsmasq:options>` go beyond the safe ones (those could make the root dnsmasq run a
//! program or read any file), and `io.github.virtnet.attach` for plugging a VM in (a
//! port of one's own), which a network's definition may narrow further
//! ([`attach`](crate::model::attach)). polkit may prompt only when the caller said a person can
//! answer (the message's ALLOW_INTERACTIVE_AUTHORIZATION flag); no question waits
//! forever (a timeout, then the check is cancelled), and nothing waits while the bus's
//! object tree is locked: the service asks before it touches anything.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use zbus::proxy::CacheProperties;
use zbus::{Connection, Type, Variant, proxy};

use super::options::AuthMode;
use crate::dbus::{ErrorKind, HelperError, POLKIT_ACTION, POLKIT_ACTION_ATTACH, POLKIT_ACTION_DNSMASQ_OPTIONS};

/// polkit's `(sa{sv})` subject.
#[derive(Serialize, Type)]
struct Subject<'a> {
    kind: &'a str,
    details: HashMap<&'a str, Variant<'a>>,
}

#[proxy(
    interface = "org.freedesktop.PolicyKit1.Authority",
    default_service = "org.freedesktop.PolicyKit1",
    default_path = "/org/freedesktop/PolicyKit1/Authority"
)]
trait Authority {
    fn check_authorization(
        &self,
        subject: &Subject<'_>,
        action_id: &str,
        details: HashMap<&str, &str>,
        flags: u32,
        cancellation_id: &str,
    ) -> zbus::Result<(bool, bool, HashMap<String, String>)>;

    fn cancel_check_authorization(&self, cancellation_id: &str) -> zbus::Result<()>;
}

/// polkit may ask the user to authenticate (through their session's agent).
const ALLOW_USER_INTERACTION: u32 = 1;

/// How long polkit may take: a prompt waits for a person, a check without one does not.
const INTERACTIVE_TIMEOUT: Duration = Duration::from_secs(300);
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Who called: their unique bus name (polkit and the bus are asked about it) and
/// whether they said a person can answer an authentication prompt.
#[derive(Clone, Debug)]
pub struct Caller {
    pub sender: String,
    pub interactive: bool,
}

/// What a change needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Any change of networks.
    Manage,
    /// A definition with raw dnsmasq options beyond the safe ones.
    ManageDnsmasqOptions,
    /// Plugging a VM into a network (a port of one's own).
    Attach,
}

impl Action {
    fn polkit_id(self) -> &'static str {
        match self {
            Action::Manage => POLKIT_ACTION,
            Action::ManageDnsmasqOptions => POLKIT_ACTION_DNSMASQ_OPTIONS,
            Action::Attach => POLKIT_ACTION_ATTACH,
        }
    }
}

pub struct Authorizer {
    mode: AuthMode,
    /// Besides root, who may change networks in `--auth root` mode.
    allowed_uids: Vec<u32>,
    // Proxies are made once: making one costs a round trip to the bus.
    bus: tokio::sync::OnceCell<zbus::fdo::DBusProxy<'static>>,
    polkit: tokio::sync::OnceCell<AuthorityProxy<'static>>,
    /// Numbers the checks, for their cancellation ids.
    checks: AtomicU64,
}

impl Authorizer {
    pub fn new(mode: AuthMode, allowed_uids: Vec<u32>) -> Self {
        Authorizer {
            mode,
            allowed_uids,
            bus: tokio::sync::OnceCell::new(),
            polkit: tokio::sync::OnceCell::new(),
            checks: AtomicU64::new(0),
        }
    }

    async fn bus_proxy(&self, conn: &Connection) -> Result<&zbus::fdo::DBusProxy<'static>, HelperError> {
        self.bus
            .get_or_try_init(|| zbus::fdo::DBusProxy::builder(conn).cache_properties(CacheProperties::No).build())
            .await
            .map_err(HelperError::from)
    }

    fn bus_name(caller: &Caller) -> Result<zbus::names::BusName<'_>, HelperError> {
        zbus::names::BusName::try_from(caller.sender.as_str())
            .map_err(|e| HelperError::new(ErrorKind::AccessDenied, format!("the caller's bus name is not one ({e})")))
    }

    /// The caller's uid, as the bus knows it.
    pub async fn uid(&self, conn: &Connection, caller: &Caller) -> Result<u32, HelperError> {
        Ok(self.bus_proxy(conn).await?.get_connection_unix_user(Self::bus_name(caller)?).await?)
    }

    /// The caller's uid and groups, as the bus knows them (the groups the process
    /// had when it connected).
    pub async fn uid_and_groups(&self, conn: &Connection, caller: &Caller) -> Result<(u32, Vec<u32>), HelperError> {
        let credentials = self.bus_proxy(conn).await?.get_connection_credentials(Self::bus_name(caller)?).await?;
        let uid = credentials.unix_user_id().ok_or_else(|| {
            HelperError::new(ErrorKind::AccessDenied, "the bus does not know the caller's user".to_owned())
        })?;
        Ok((uid, credentials.unix_group_ids().cloned().unwrap_or_default()))
    }

    /// Ok if the caller may do `action`, described as `what` (a phrase such as "start
    /// network 'lab'"); otherwise `AccessDenied` saying what was refused and why.
    /// `details` go to polkit (its prompt can name the network).
    pub async fn check(
        &self,
        conn: &Connection,
        caller: &Caller,
        action: Action,
        what: &str,
        details: &[(&str, &str)],
    ) -> Result<(), HelperError> {
        let denied =
            |why: String| HelperError::new(ErrorKind::AccessDenied, format!("not authorized to {what}: {why}"));
        match self.mode {
            AuthMode::Root => {
                let uid =
                    self.uid(conn, caller).await.map_err(|e| denied(format!("cannot tell who the caller is ({e})")))?;
                // Options that run as root are for root alone.
                let allowed =
                    uid == 0 || (matches!(action, Action::Manage | Action::Attach) && self.allowed_uids.contains(&uid));
                if allowed {
                    Ok(())
                } else if action == Action::ManageDnsmasqOptions {
                    Err(denied(format!(
                        "raw dnsmasq options beyond the safe ones run as root, and only root may set them under --auth root (the caller is uid {uid})"
                    )))
                } else {
                    Err(denied(format!(
                        "this helper runs with --auth root and only root{} may change networks (the caller is uid {uid})",
                        self.allowed_uids.iter().map(|u| format!(" and uid {u}")).collect::<String>()
                    )))
                }
            }
            AuthMode::Polkit => self.ask_polkit(conn, caller, action, details).await.map_err(denied),
        }
    }

    async fn ask_polkit(
        &self,
        conn: &Connection,
        caller: &Caller,
        action: Action,
        details: &[(&str, &str)],
    ) -> Result<(), String> {
        let authority = self
            .polkit
            .get_or_try_init(|| AuthorityProxy::builder(conn).cache_properties(CacheProperties::No).build())
            .await
            .map_err(|e| format!("polkit is not reachable ({e})"))?;
        let subject = Subject {
            kind: "system-bus-name",
            details: HashMap::from([("name", Variant::from(caller.sender.as_str()))]),
        };
        let id = action.polkit_id();
        let cancellation = format!("virtnetd-{}", self.checks.fetch_add(1, Ordering::Relaxed));
        let (flags, timeout) =
            if caller.interactive { (ALLOW_USER_INTERACTION, INTERACTIVE_TIMEOUT) } else { (0, CHECK_TIMEOUT) };
        let details: HashMap<&str, &str> = details.iter().copied().collect();
        let asked = authority.check_authorization(&subject, id, details, flags, &cancellation);
        let (authorized, challenge, _) = match tokio::time::timeout(timeout, asked).await {
            Ok(answer) => answer.map_err(|e| format!("polkit could not be asked ({e})"))?,
            Err(_) => {
                // Nobody answered (an agent left open): stop the question, refuse.
                let _ = authority.cancel_check_authorization(&cancellation).await;
                return Err(format!("{id} was not granted within {} s", timeout.as_secs()));
            }
        };
        if authorized {
            Ok(())
        } else if challenge && !caller.interactive {
            Err(format!(
                "{id} needs authentication, and the caller did not allow an authentication prompt (ALLOW_INTERACTIVE_AUTHORIZATION)"
            ))
        } else if challenge {
            Err(format!("{id} needs authentication, and no polkit agent answered"))
        } else {
            Err(format!("polkit refused the action {id}"))
        }
    }
}
