//! `virtnet`: virsh's `net-*` verbs against virtnetd over D-Bus, with virsh's
//! arguments, output shapes and exit codes; plus `validate` and `format`, which work on
//! files alone. One file per subcommand.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::CompleteEnv;

pub mod bridge_helper;
mod context;
mod format;
mod input;
mod net_autostart;
mod net_define;
mod net_destroy;
mod net_dhcp_leases;
mod net_dumpxml;
mod net_edit;
mod net_forward;
mod net_info;
mod net_list;
mod net_name;
mod net_port;
mod net_reload;
mod net_start;
mod net_undefine;
mod net_update;
mod net_uuid;
mod session;
mod table;
mod validate;

use context::{Context, NetworkArg};
use session::{CliResult, Session};

#[derive(Parser, Debug)]
#[command(
    name = "virtnet",
    version,
    about = "Manage virtual networks for virtual machines: virsh's net-* commands, against virtnetd",
    after_help = "NETWORK is a network's name or UUID. Shell completion: source <(COMPLETE=bash virtnet) (or zsh, fish).",
    propagate_version = true
)]
pub struct Cli {
    /// Where virtnetd is: ssh://[USER@]HOST[:PORT] for another host's, or a D-Bus address (default: this computer's system bus).
    #[arg(short = 'c', long = "connect", global = true, env = "VIRTNET_CONNECT", value_name = "URI")]
    connect: Option<String>,
    /// Quiet: no confirmations, only what was asked for.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List networks (active ones; --all for every one).
    #[command(name = "net-list")]
    NetList(net_list::Args),
    /// Show a network's name, UUID, state and bridge.
    #[command(name = "net-info")]
    NetInfo(NetworkArg),
    /// Start a defined network.
    #[command(name = "net-start")]
    NetStart(NetworkArg),
    /// Stop a network (a transient one is then gone).
    #[command(name = "net-destroy")]
    NetDestroy(NetworkArg),
    /// Remove a network's persistent definition (a running network goes on, transient).
    #[command(name = "net-undefine")]
    NetUndefine(NetworkArg),
    /// Start a network at boot, or not (--disable).
    #[command(name = "net-autostart")]
    NetAutostart(net_autostart::Args),
    /// The name of the network with a UUID.
    #[command(name = "net-name")]
    NetName(net_name::Args),
    /// The UUID of a network.
    #[command(name = "net-uuid")]
    NetUuid(NetworkArg),
    /// Print a network's definition (--inactive: the one its next start will use).
    #[command(name = "net-dumpxml")]
    NetDumpxml(net_dumpxml::Args),
    /// Define a persistent network from an XML file (not started).
    #[command(name = "net-define")]
    NetDefine(net_define::Args),
    /// Create and start a transient network from an XML file.
    #[command(name = "net-create")]
    NetCreate(net_define::Args),
    /// Edit a network's definition in $VISUAL or $EDITOR.
    #[command(name = "net-edit")]
    NetEdit(NetworkArg),
    /// List the DHCP leases of a network.
    #[command(name = "net-dhcp-leases")]
    NetDhcpLeases(net_dhcp_leases::Args),
    /// Change one section of a network (a static host, a DNS record...), live without a restart.
    #[command(name = "net-update")]
    NetUpdate(net_update::Args),
    /// List what is plugged into a network's bridge, with each guest's address.
    #[command(name = "net-forward-list")]
    NetForwardList(net_forward::ListArgs),
    #[command(name = "net-forward-add")]
    NetForwardAdd(net_forward::AddArgs),
    #[command(name = "net-forward-delete")]
    NetForwardDelete(net_forward::DeleteArgs),
    #[command(name = "net-port-list")]
    NetPortList(net_port::ListArgs),
    /// Make a persistent tap on a network for a VM that opens it by name.
    #[command(name = "net-port-create")]
    NetPortCreate(net_port::CreateArgs),
    /// Delete a persistent port (or unplug a VM's tap).
    #[command(name = "net-port-delete")]
    NetPortDelete(net_port::PortArgs),
    /// Print a port as libvirt's <networkport> XML.
    #[command(name = "net-port-dumpxml")]
    NetPortDumpxml(net_port::PortArgs),
    /// Apply the firewall rules of every active network again.
    #[command(name = "net-reload")]
    NetReload,
    /// Check definition files against libvirt's schema and virtnet's rules.
    ///
    /// Prints each problem as FILE: PATH: message, where PATH names the element
    /// (for example ip[0]/dhcp/range[0]). Exits 1 if any file is invalid.
    Validate(validate::Args),
    /// Print a definition as virtnet writes it (canonical order, no defaults added).
    Format(format::Args),
    /// Write the manual page (roff) to standard output.
    #[command(hide = true)]
    Manpage,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    crate::i18n::setup();
    // `COMPLETE=bash virtnet` prints the shell's completion script; later calls from
    // that script come back here and are answered without running a command.
    // Installed scripts call `virtnet` from PATH (VIRTNET_COMPLETER=virtnet when they
    // are generated); otherwise they call back this very binary.
    let mut complete = CompleteEnv::with_factory(Cli::command);
    if let Ok(completer) = std::env::var("VIRTNET_COMPLETER") {
        complete = complete.completer(completer);
    }
    complete.complete();
    let cli = Cli::parse();
    let command = match cli.command {
        Command::Validate(args) => return validate::run(&args),
        Command::Format(args) => return format::run(&args),
        Command::Manpage => return manpage(),
        command => command,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.connect.as_deref(), cli.quiet, &command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(connect: Option<&str>, quiet: bool, command: &Command) -> CliResult<()> {
    let cx = Context { session: Session::connect(connect).await?, quiet };
    match command {
        Command::NetList(args) => net_list::run(&cx, args).await,
        Command::NetInfo(args) => net_info::run(&cx, args).await,
        Command::NetStart(args) => net_start::run(&cx, args).await,
        Command::NetDestroy(args) => net_destroy::run(&cx, args).await,
        Command::NetUndefine(args) => net_undefine::run(&cx, args).await,
        Command::NetAutostart(args) => net_autostart::run(&cx, args).await,
        Command::NetName(args) => net_name::run(&cx, args).await,
        Command::NetUuid(args) => net_uuid::run(&cx, args).await,
        Command::NetDumpxml(args) => net_dumpxml::run(&cx, args).await,
        Command::NetDefine(args) => net_define::define(&cx, args).await,
        Command::NetCreate(args) => net_define::create(&cx, args).await,
        Command::NetEdit(args) => net_edit::run(&cx, args).await,
        Command::NetDhcpLeases(args) => net_dhcp_leases::run(&cx, args).await,
        Command::NetUpdate(args) => net_update::run(&cx, args).await,
        Command::NetForwardList(args) => net_forward::list(&cx, args).await,
        Command::NetForwardAdd(args) => net_forward::add(&cx, args).await,
        Command::NetForwardDelete(args) => net_forward::delete(&cx, args).await,
        Command::NetPortList(args) => net_port::list(&cx, args).await,
        Command::NetPortCreate(args) => net_port::create(&cx, args).await,
        Command::NetPortDelete(args) => net_port::delete(&cx, args).await,
        Command::NetPortDumpxml(args) => net_port::dumpxml(&cx, args).await,
        Command::NetReload => net_reload::run(&cx).await,
        Command::Validate(_) | Command::Format(_) | Command::Manpage => Ok(()),
    }
}

fn manpage() -> ExitCode {
    let man = clap_mangen::Man::new(Cli::command());
    match man.render(&mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
