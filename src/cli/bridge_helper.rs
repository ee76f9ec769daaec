//! `virtnet-bridge-helper [--use-vnet] --br=BRIDGE --fd=N`: qemu-bridge-helper's command
//! line, without setuid or `/etc/qemu/bridge.conf`. qemu (or libvirt's session mode,
//! or GNOME Boxes through it) runs it with one end of a socket pair as descriptor N; it
//! asks virtnetd for a tap on the network whose bridge is BRIDGE (OpenPort, authorized
//! by polkit's io.github.virtnet.attach) and passes the tap's descriptor back over the
//! socket (SCM_RIGHTS), as qemu expects. Whatever goes wrong is one line on stderr,
//! which qemu shows.

use std::collections::HashMap;
use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::ExitCode;

use clap::Parser;
use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};

use super::session::{CliError, CliResult, Session};
use crate::dbus::{ErrorKind, HelperError};

#[derive(Parser, Debug)]
#[command(
    name = "virtnet-bridge-helper",
    version,
    about = "Plugs a qemu VM into a virtnet network (qemu-bridge-helper's command line, through virtnetd)"
)]
struct Args {
    /// Give the tap the virtio-net header (qemu asks for it).
    #[arg(long = "use-vnet")]
    use_vnet: bool,
    /// The bridge of the network to plug into (virbr0).
    #[arg(long = "br", value_name = "BRIDGE")]
    bridge: String,
    /// The socket to pass the tap's descriptor over (qemu gives it).
    #[arg(long = "fd", value_name = "N")]
    fd: i32,
    /// Where virtnetd is: a D-Bus address (default: this computer's system bus).
    #[arg(short = 'c', long = "connect", env = "VIRTNET_CONNECT", value_name = "ADDRESS")]
    connect: Option<String>,
}

pub fn main() -> ExitCode {
    let args = Args::parse();
    if args.fd < 0 {
        eprintln!("virtnet-bridge-helper: --fd={} is not a descriptor", args.fd);
        return ExitCode::FAILURE;
    }
    // SAFETY: qemu passes the socket as descriptor N and leaves it to this process,
    // which uses it only here, while it is open (qemu closes its copy only after the
    // helper exits).
    #[allow(unsafe_code)]
    let socket = unsafe { BorrowedFd::borrow_raw(args.fd) };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("virtnet-bridge-helper: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(open_tap(&args)).and_then(|tap| send_fd(socket, &tap));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: qemu prints the helper's stderr, then "failed to launch bridge helper".
            let line = e.lines.join("; ");
            eprintln!("virtnet-bridge-helper: {line}");
            ExitCode::FAILURE
        }
    }
}

/// Asks virtnetd for a tap on the network whose bridge is `args.bridge`.
async fn open_tap(args: &Args) -> CliResult<OwnedFd> {
    let session = Session::connect(args.connect.as_deref()).await?;
    session.require_local("OpenPort")?;
    let paths = session.manager.list_networks(0).await.map_err(|e| CliError::from(HelperError::from(e)))?;
    let mut inactive = None;
    for path in paths {
        let network = session.network_at(path).await?;
        if network.bridge_name().await.ok().as_deref() != Some(args.bridge.as_str()) {
            continue;
        }
        let name = network.name().await.unwrap_or_default();
        if !network.active().await.unwrap_or(false) {
            inactive = Some(name);
            continue;
        }
        let options = HashMap::from([("vnet_hdr", zbus::Variant::from(args.use_vnet))]);
        let (fd, _interface, _port) = network.open_port(options).await.map_err(|e| {
            let e = HelperError::from(e);
            if e.kind == ErrorKind::AccessDenied {
                CliError::new(format!(
                    "{} (an administrator can allow it with a polkit rule for io.github.virtnet.attach)",
                    e.message
                ))
            } else {
                CliError::new(e.message)
            }
        })?;
        return Ok(fd.into());
    }
    Err(CliError::new(match inactive {
        Some(name) => format!(
            "network '{name}' (bridge {}) is not running: start it with 'virtnet net-start {name}'",
            args.bridge
        ),
        None => format!("no virtnet network has the bridge {} (see 'virtnet net-list --all')", args.bridge),
    }))
}

/// Passes the tap's descriptor with one byte of data, as qemu-bridge-helper does.
fn send_fd(socket: BorrowedFd<'_>, tap: &OwnedFd) -> CliResult<()> {
    let fds = [tap.as_fd()];
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(CliError::new("cannot pass the tap's descriptor: no room for it"));
    }
    let byte = [0u8];
    sendmsg(socket, &[IoSlice::new(&byte)], &mut control, SendFlags::empty())
        .map_err(|e| CliError::new(format!("cannot pass the tap's descriptor to qemu: {e}")))?;
    Ok(())
}
