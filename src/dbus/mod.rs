//! The D-Bus contract between virtnetd and its clients: names and paths, the typed
//! errors, the list flags and event names, and the client proxies. Both sides build on
//! this module so they cannot drift apart; `data/dbus/` holds the same API as
//! introspection XML, and a test checks the live helper against it.

pub mod error;
pub mod names;
pub mod proxy;

pub use error::{ErrorKind, HelperError};
pub use names::*;
