//! Who may change networks. Reading needs nothing; every change asks, about the
//! *caller* (the message's sender), either polkit (action `io.github.virtnet.manage`)
//! or, with `--auth root`, whether the caller is uid 0 (or one given with `--allow-uid`).

use std::collections::HashMap;

use serde::Serialize;
use zbus::message::Header;
use zbus::proxy::CacheProperties;
use zbus::{Connection, Type, Variant, proxy};

use super::options::AuthMode;
use crate::dbus::{ErrorKind, HelperError, POLKIT_ACTION};

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
}

/// polkit may ask the user to authenticate (through their session's agent).
const ALLOW_USER_INTERACTION: u32 = 1;

pub struct Authorizer {
    mode: AuthMode,
    /// Besides root, who may change networks in `--auth root` mode.
    allowed_uids: Vec<u32>,
    // Proxies are made once: making one costs a round trip to the bus.
    bus: tokio::sync::OnceCell<zbus::fdo::DBusProxy<'static>>,
    polkit: tokio::sync::OnceCell<AuthorityProxy<'static>>,
}

impl Authorizer {
    pub fn new(mode: AuthMode, allowed_uids: Vec<u32>) -> Self {
        Authorizer { mode, allowed_uids, bus: tokio::sync::OnceCell::new(), polkit: tokio::sync::OnceCell::new() }
    }

    /// Ok if the caller of this message may `what` (a phrase such as "start network
    /// 'lab'"); otherwise `AccessDenied` saying what was refused.
    pub async fn check(&self, conn: &Connection, header: &Header<'_>, what: &str) -> Result<(), HelperError> {
        let denied =
            |why: String| HelperError::new(ErrorKind::AccessDenied, format!("not authorized to {what}: {why}"));
        let Some(sender) = header.sender() else {
            return Err(denied("the caller has no bus name".into()));
        };
        match self.mode {
            AuthMode::Root => {
                let dbus = self
                    .bus
                    .get_or_try_init(|| {
                        zbus::fdo::DBusProxy::builder(conn).cache_properties(CacheProperties::No).build()
                    })
                    .await
                    .map_err(HelperError::from)?;
                let uid = dbus
                    .get_connection_unix_user(sender.clone().into())
                    .await
                    .map_err(|e| denied(format!("cannot tell who the caller is ({e})")))?;
                if uid == 0 || self.allowed_uids.contains(&uid) {
                    Ok(())
                } else {
                    Err(denied(format!(
                        "this helper runs with --auth root and only root{} may change networks (the caller is uid {uid})",
                        self.allowed_uids.iter().map(|u| format!(" and uid {u}")).collect::<String>()
                    )))
                }
            }
            AuthMode::Polkit => {
                let authority = self
                    .polkit
                    .get_or_try_init(|| AuthorityProxy::builder(conn).cache_properties(CacheProperties::No).build())
                    .await
                    .map_err(|e| denied(format!("polkit is not reachable ({e})")))?;
                let subject = Subject {
                    kind: "system-bus-name",
                    details: HashMap::from([("name", Variant::from(sender.as_str()))]),
                };
                let (authorized, challenge, _) = authority
                    .check_authorization(&subject, POLKIT_ACTION, HashMap::new(), ALLOW_USER_INTERACTION, "")
                    .await
                    .map_err(|e| denied(format!("polkit could not be asked ({e})")))?;
                if authorized {
                    Ok(())
                } else if challenge {
                    Err(denied(format!("{POLKIT_ACTION} needs authentication, and no polkit agent answered")))
                } else {
                    Err(denied(format!("polkit refused the action {POLKIT_ACTION}")))
                }
            }
        }
    }
}
