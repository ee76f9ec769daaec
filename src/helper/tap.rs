//! Tap devices: the virtual cables from a VM to a network's bridge. A tap is made with
//! the tun driver's ioctls on `/dev/net/tun`, which no netlink message replaces; the
//! rest (MTU, MAC, master, up) is netlink's job ([`netlink`](super::netlink)).
//!
//! A tap without `persist` lives as long as a descriptor of it is open: the helper
//! hands its descriptor to the VM (OpenPort) and closes its own, so the tap goes when
//! the VM does. A persistent tap stays until deleted, usable by its owner uid.

use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, OwnedFd};

use rustix::ioctl::{IntegerSetter, Updater, ioctl, opcode};

use crate::dbus::{ErrorKind, HelperError};

const TUN_DEVICE: &str = "/dev/net/tun";

/// `struct ifreq` as TUNSETIFF reads and writes it: the name, the flags, and the rest
/// of the kernel's 40-byte union.
#[repr(C)]
struct InterfaceRequest {
    name: [u8; 16],
    flags: i16,
    padding: [u8; 22],
}

/// `<linux/if_tun.h>`.
const IFF_TAP: i16 = 0x0002;
const IFF_NO_PI: i16 = 0x1000;
const IFF_VNET_HDR: i16 = 0x4000;
const TUNSETIFF: rustix::ioctl::Opcode = opcode::write::<i32>(b'T', 202);
const TUNSETPERSIST: rustix::ioctl::Opcode = opcode::write::<i32>(b'T', 203);
const TUNSETOWNER: rustix::ioctl::Opcode = opcode::write::<i32>(b'T', 204);

/// What a new tap is made with.
#[derive(Clone, Debug, Default)]
pub struct TapSpec {
    /// A name (`vm1-net0`) or a kernel template (`vnet%d`: the lowest free number).
    pub name: String,
    /// The virtio-net header qemu uses for offloads (qemu-bridge-helper's `--use-vnet`).
    pub vnet_hdr: bool,
    /// Stays after its last descriptor closes, usable by `owner`.
    pub persistent: Option<u32>,
}

/// A new tap: its descriptor and the name the kernel gave it.
pub struct Tap {
    pub fd: OwnedFd,
    pub name: String,
}

fn tap_error(what: &str, e: impl std::fmt::Display) -> HelperError {
    HelperError::new(ErrorKind::Netlink, format!("{what}: {e}"))
}

/// Creates a tap. The caller checks first that a fixed name is free: for a name that
/// exists, TUNSETIFF would attach to that device instead of failing.
pub fn create(spec: &TapSpec) -> Result<Tap, HelperError> {
    if spec.name.is_empty() || spec.name.len() > 15 {
        return Err(tap_error("cannot create a tap", format!("'{}' is not an interface name", spec.name)));
    }
    let device: File = OpenOptions::new()
        .read(true)
        .write(true)
        .open(TUN_DEVICE)
        .map_err(|e| tap_error(&format!("cannot open {TUN_DEVICE}"), e))?;
    let mut request = InterfaceRequest { name: [0; 16], flags: IFF_TAP | IFF_NO_PI, padding: [0; 22] };
    request.name[..spec.name.len()].copy_from_slice(spec.name.as_bytes());
    if spec.vnet_hdr {
        request.flags |= IFF_VNET_HDR;
    }
    // SAFETY: TUNSETIFF reads and writes a `struct ifreq`, which InterfaceRequest lays
    // out (name, short flags, padding to the union's 40 bytes).
    #[allow(unsafe_code)]
    let set = unsafe { ioctl(device.as_fd(), Updater::<TUNSETIFF, InterfaceRequest>::new(&mut request)) };
    set.map_err(|e| tap_error(&format!("cannot create tap {}", spec.name), e))?;
    let end = request.name.iter().position(|b| *b == 0).unwrap_or(request.name.len());
    let name = String::from_utf8_lossy(&request.name[..end]).into_owned();
    if let Some(owner) = spec.persistent {
        let owner = usize::try_from(owner).map_err(|e| tap_error("owner", e))?;
        // SAFETY: TUNSETOWNER and TUNSETPERSIST take an integer argument, not a pointer.
        #[allow(unsafe_code)]
        let result = unsafe {
            ioctl(device.as_fd(), IntegerSetter::<TUNSETOWNER>::new_usize(owner))
                .and_then(|()| ioctl(device.as_fd(), IntegerSetter::<TUNSETPERSIST>::new_usize(1)))
        };
        result.map_err(|e| tap_error(&format!("cannot make tap {name} persistent"), e))?;
    }
    Ok(Tap { fd: device.into(), name })
}
