//! The network's firewall: a backend-neutral [`plan`] derived from the definition, and
//! the backend that applies it ([`nftables`], the default; [`iptables`]; or none).
//! Rules are applied after the bridge exists and removed when the network stops;
//! tools are run with their input on stdin and their own error message kept.

use std::process::Stdio;

use crate::helper::tools;
use clap::ValueEnum;
use tokio::io::AsyncWriteExt;

use crate::dbus::{ErrorKind, HelperError};

pub mod foreign;
pub mod iptables;
pub mod nftables;
pub mod plan;

pub use plan::Plan;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One nftables table per network, applied atomically.
    Nftables,
    /// iptables chains per network (for hosts whose FORWARD policy is DROP).
    Iptables,
    /// No firewall rules at all.
    None,
}

impl Backend {
    pub async fn apply(self, plan: &Plan) -> Result<(), HelperError> {
        match self {
            Backend::Nftables => nftables::apply(plan).await,
            Backend::Iptables => iptables::apply(plan).await,
            Backend::None => Ok(()),
        }
    }

    /// The bridges among `bridges` whose rules are gone or incomplete (someone flushed
    /// the ruleset or restored iptables without `--noflush`).
    pub async fn missing(self, bridges: &[String]) -> Result<Vec<String>, HelperError> {
        match self {
            Backend::Nftables => nftables::missing(bridges).await,
            Backend::Iptables => iptables::missing(bridges).await,
            Backend::None => Ok(Vec::new()),
        }
    }

    /// Removes the rules of the network on `bridge`; absent rules are not an error.
    pub async fn remove(self, bridge: &str) -> Result<(), HelperError> {
        match self {
            Backend::Nftables => nftables::remove(bridge).await,
            Backend::Iptables => iptables::remove(bridge).await,
            Backend::None => Ok(()),
        }
    }
}

/// Runs `tool args` with `input` on stdin; its stderr becomes the error message.
pub(crate) async fn run_tool(tool: &str, args: &[&str], input: &str) -> Result<(), HelperError> {
    run(tool, args, Some(input)).await.map(|_| ())
}

/// Runs `tool args` and returns its stdout.
pub(crate) async fn run_tool_output(tool: &str, args: &[&str]) -> Result<String, HelperError> {
    run(tool, args, None).await
}

async fn run(tool: &str, args: &[&str], input: Option<&str>) -> Result<String, HelperError> {
    let failed = |why: String| HelperError::new(ErrorKind::Firewall, format!("{tool}: {why}"));
    let mut child = tools::command(tool)
        .args(args)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(format!("cannot run it ({e}); is it installed?")))?;
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(input.as_bytes()).await.map_err(|e| failed(e.to_string()))?;
    }
    let output = child.wait_with_output().await.map_err(|e| failed(e.to_string()))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim();
        Err(failed(if message.is_empty() { format!("failed ({})", output.status) } else { message.to_owned() }))
    }
}
