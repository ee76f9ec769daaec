//! libvirt network XML: a hardened tree reader, the typed reader and the writer.

pub mod dom;
pub(crate) mod read;
pub(crate) mod write;

pub use read::DNSMASQ_NAMESPACE;
