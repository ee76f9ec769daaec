//! # virtnet
//!
//! Virtual networks for virtual machines on Linux, compatible with libvirt's network XML.
//!
//! ```text
//!  virtnet-manager (GTK4/Relm4) ─┐                                  ┌─ bridge (netlink)
//!                                ├─ D-Bus system bus ─ virtnetd ─────┼─ firewall (nftables / iptables)
//!  virtnet (CLI) ────────────────┘  io.github.virtnet.Helper1        ├─ dnsmasq (one per network)
//!                                                                    └─ definitions, state, leases
//! ```
//!
//! Modules, by the boundaries the Cargo features keep honest:
//!
//! - [`model`] (always built): the network definition — libvirt XML read and written,
//!   defaults applied at define time, validation with messages naming the element path.
//!   Pure: no I/O, no GTK, no D-Bus.
//! - [`dbus`] (always built): the D-Bus contract — names, paths, flags, typed errors and
//!   the client proxies — shared by the helper and its clients.
//! - `helper` (feature `helper`): `virtnetd`, the only privileged process: definitions
//!   on disk, the D-Bus objects, authorization, and the network lifecycle (netlink).
//! - `cli` (feature `cli`): the `virtnet` command, one file per subcommand.
//!
//! The helper (`virtnetd`, feature `helper`) and the desktop app (`virtnet-manager`,
//! feature `gui`) build on the same model and talk to each other only over D-Bus.

pub mod dbus;
pub mod model;

#[cfg(feature = "helper")]
pub mod helper;

#[cfg(feature = "cli")]
pub mod cli;

#[cfg(any(feature = "cli", feature = "gui"))]
pub mod i18n;

#[cfg(feature = "gui")]
pub mod ui;
