//! `virtnetd`'s command line.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use super::firewall::Backend;
use super::firewall::plan::HostAccess;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "virtnetd",
    version,
    about = "The privileged helper of virtnet: owns io.github.virtnet.Helper1 on the system bus, keeps the \
             network definitions and runs the networks (bridges, addresses, routes)",
    long_about = None
)]
pub struct Options {
    /// The bus to serve on: `system`, or a D-Bus address such as
    /// unix:path=/tmp/sandbox/bus (for tests and the sandbox).
    #[arg(long, value_name = "system|ADDRESS", default_value = "system")]
    pub bus: String,

    /// Where persistent definitions (NAME.xml) and autostart links (autostart/NAME.xml) live.
    #[arg(long, value_name = "DIR", default_value = "/etc/virtnet/networks")]
    pub config_dir: PathBuf,

    /// Live state: the status XML of each active network and the once-per-boot autostart
    /// marker. Should be on a filesystem emptied at boot (/run).
    #[arg(long, value_name = "DIR", default_value = "/run/virtnet")]
    pub run_dir: PathBuf,

    /// dnsmasq's configuration and lease files.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/virtnet")]
    pub state_dir: PathBuf,

    /// Who may change anything: `polkit` asks polkit about each caller for the action
    /// io.github.virtnet.manage; `root` allows only uid 0 (for private buses without
    /// polkit). Reading needs no authorization either way.
    #[arg(long, value_enum, default_value_t = AuthMode::Polkit)]
    pub auth: AuthMode,

    /// With `--auth root`, also let this uid change networks (the sandbox passes the
    /// user who started it, whose window then runs unprivileged). Repeatable.
    #[arg(long, value_name = "UID")]
    pub allow_uid: Vec<u32>,

    /// How networks' firewall rules are applied: `nftables` (one table per network,
    /// atomic), `iptables` (for hosts whose other software uses iptables, e.g. Docker's
    /// FORWARD policy DROP, which no nftables table can override), or `none`.
    #[arg(long, value_enum, default_value_t = Backend::Nftables)]
    pub firewall: Backend,

    /// What guests of isolated networks may reach on the host: `services` (DHCP, DNS,
    /// TFTP and ICMP; everything else is rejected) or `all` (every service the host
    /// listens on, as libvirt allows). NAT and routed networks always get `all`.
    #[arg(long, value_enum, value_name = "services|all", default_value_t = HostAccess::Services)]
    pub isolated_host_access: HostAccess,

    /// Before turning IPv6 forwarding on, set accept_ra to 2 on every interface with
    /// routes from router advertisements (which would otherwise be lost), instead of
    /// refusing the start.
    #[arg(long)]
    pub keep_ra_routes: bool,

    /// The program dnsmasq runs for each lease change: virtnetd itself. Default: where
    /// virtnetd was installed (fixed at build time), else this program's own path.
    #[arg(long, value_name = "PATH")]
    pub lease_script: Option<PathBuf>,

    /// Write the manual page (roff, section 8) to standard output and exit (packaging).
    #[arg(long, hide = true)]
    pub manpage: bool,

    /// Write the completion script for this shell to standard output and exit (packaging).
    #[arg(long, hide = true, value_name = "SHELL")]
    pub completion: Option<clap_complete::Shell>,
}

impl Options {
    /// Writes the manual page or a completion script, if asked for; `None` otherwise.
    pub fn print_documentation(&self) -> Option<std::io::Result<()>> {
        use clap::CommandFactory;
        let mut stdout = std::io::stdout();
        if self.manpage {
            return Some(clap_mangen::Man::new(Self::command()).section("8").render(&mut stdout));
        }
        let shell = self.completion?;
        clap_complete::generate(shell, &mut Self::command(), "virtnetd", &mut stdout);
        Some(Ok(()))
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Polkit,
    Root,
}
