//! What every network command gets: the session with virtnetd and the `-q` setting.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use super::session::{CliResult, Session};

pub struct Context {
    pub session: Session,
    pub quiet: bool,
}

impl Context {
    /// A confirmation, as virsh prints it (followed by an empty line); `-q` silences it.
    pub fn say(&self, text: &str) {
        if !self.quiet {
            println!("{text}\n");
        }
    }

    pub async fn name_of(&self, network: &crate::dbus::proxy::NetworkProxy<'_>) -> CliResult<String> {
        super::session::call(network.name().await)
    }
}

/// Network names, for shell completion (asked of the helper at completion time, on the
/// bus VIRTNET_CONNECT names or the system bus).
pub fn network_names() -> Vec<CompletionCandidate> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return Vec::new() };
    runtime
        .block_on(async {
            let address = std::env::var("VIRTNET_CONNECT").ok();
            let session = tokio::time::timeout(std::time::Duration::from_secs(2), Session::connect(address.as_deref()))
                .await
                .ok()?
                .ok()?;
            let networks = crate::dbus::summary::all_networks(&session.conn).await.ok()?;
            Some(networks.into_iter().map(|n| CompletionCandidate::new(n.name)).collect())
        })
        .unwrap_or_default()
}

/// The `NETWORK` argument of the commands that act on one network.
#[derive(clap::Args, Debug)]
pub struct NetworkArg {
    /// The network's name or UUID.
    #[arg(value_name = "NETWORK", add = ArgValueCandidates::new(network_names))]
    pub network: String,
}
