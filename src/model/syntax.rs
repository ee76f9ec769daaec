//! The character rules for names and values that end up in interface names, file names
//! and dnsmasq's configuration. They are deliberately narrow: whatever passes here can be
//! written into a dnsmasq file without changing its meaning (no newline, no comma where
//! dnsmasq splits on commas, no quote or backslash).
//!
//! Each function returns `Err(Fault)`: what is wrong, as data (a front end tells it in
//! its own language) and, through `Display`, as English phrased to follow the value.

use std::fmt;

/// The kind of value a rule is about, which decides what it may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    InterfaceName,
    DnsName,
    /// A value written into dnsmasq's configuration.
    DnsmasqValue,
    /// A whole `<dnsmasq:option>` line.
    DnsmasqOption,
    /// A network's name (the validation has its own rules and sentences for it).
    NetworkName,
}

/// Why a value breaks its rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    Empty,
    /// Longer than the kind allows (`bytes` of at most `max`).
    TooLong {
        bytes: usize,
        max: usize,
        kind: Kind,
    },
    /// A character the kind does not allow.
    Character {
        found: char,
        kind: Kind,
    },
    /// `.` or `..`, which name directories rather than interfaces.
    NotUsable,
    /// A bridge name template whose expansion breaks the interface name rule.
    Expanded(Box<Fault>),
    /// A bridge name template with more than one `%d`.
    SeveralTemplates,
    /// Two dots in a row, or a leading dot.
    EmptyLabel,
    /// A DNS label of more than 63 bytes.
    LabelTooLong {
        bytes: usize,
    },
    /// A DNS label that starts or ends with `-`.
    LabelHyphen {
        label: String,
    },
    /// A path that must be absolute is not.
    NotAbsolute,
    NotDuid,
    /// White space at the start or the end.
    SurroundingSpace,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Empty => f.write_str("is empty"),
            Fault::TooLong { bytes, max, kind } => {
                let names = match kind {
                    Kind::InterfaceName => "interface names",
                    Kind::DnsName => "DNS names",
                    Kind::NetworkName => "network names",
                    Kind::DnsmasqValue | Kind::DnsmasqOption => "dnsmasq values",
                };
                write!(f, "is {bytes} bytes long; {names} have at most {max}")
            }
            Fault::Character { found, kind } => {
                let found = describe_char(*found);
                match kind {
                    Kind::InterfaceName => {
                        write!(f, "contains {found}; interface names use letters, digits, '_', '-' and '.'")
                    }
                    Kind::DnsName => write!(f, "contains {found}; DNS names use letters, digits, '-', '_' and '.'"),
                    Kind::DnsmasqValue => {
                        write!(f, "contains {found}, which would change the meaning of dnsmasq's configuration")
                    }
                    Kind::DnsmasqOption => write!(f, "contains {found}; each option is one line of dnsmasq.conf"),
                    Kind::NetworkName => {
                        write!(f, "contains {found}; names may not contain '/', ',' or control characters")
                    }
                }
            }
            Fault::NotUsable => f.write_str("is not a usable interface name"),
            Fault::Expanded(fault) => write!(f, "{fault} (with %d expanded)"),
            Fault::SeveralTemplates => f.write_str("contains more than one %d"),
            Fault::EmptyLabel => f.write_str("has an empty label (two dots in a row, or a leading dot)"),
            Fault::LabelTooLong { bytes } => write!(f, "has a label of {bytes} bytes; DNS labels have at most 63"),
            Fault::LabelHyphen { label } => write!(f, "has a label '{label}' that starts or ends with '-'"),
            Fault::NotAbsolute => f.write_str("must be an absolute path (starting with /)"),
            Fault::NotDuid => {
                f.write_str("is not a DUID (hex bytes separated by colons, such as 0:3:0:1:0:16:3e:11:22:33)")
            }
            Fault::SurroundingSpace => f.write_str("starts or ends with white space"),
        }
    }
}

/// Linux interface names: 1–15 bytes (IFNAMSIZ − 1), no `/`, `:` or whitespace; we also
/// keep to the characters every tool quotes safely.
pub fn interface_name(name: &str) -> Result<(), Fault> {
    if name.is_empty() {
        return Err(Fault::Empty);
    }
    if name.len() > 15 {
        return Err(Fault::TooLong { bytes: name.len(), max: 15, kind: Kind::InterfaceName });
    }
    if name == "." || name == ".." {
        return Err(Fault::NotUsable);
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        return Err(Fault::Character { found: c, kind: Kind::InterfaceName });
    }
    Ok(())
}

/// A user or group name as a definition may name one: POSIX's portable characters
/// (letters, digits, `.`, `_`, `-`), not starting with `-`, at most 32 bytes.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A bridge name, which may be a template with one `%d` (libvirt's `virbr%d`).
pub fn bridge_name_or_template(name: &str) -> Result<(), Fault> {
    match name.matches("%d").count() {
        0 => interface_name(name),
        1 => interface_name(&name.replace("%d", "0")).map_err(|fault| Fault::Expanded(Box::new(fault))),
        _ => Err(Fault::SeveralTemplates),
    }
}

/// A DNS name: dot-separated labels of letters, digits, '-' and '_' (1–63 bytes each,
/// 253 in all). A single trailing dot is accepted.
pub fn dns_name(name: &str) -> Result<(), Fault> {
    if name.is_empty() {
        return Err(Fault::Empty);
    }
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.len() > 253 {
        return Err(Fault::TooLong { bytes: trimmed.len(), max: 253, kind: Kind::DnsName });
    }
    for label in trimmed.split('.') {
        if label.is_empty() {
            return Err(Fault::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(Fault::LabelTooLong { bytes: label.len() });
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))) {
            return Err(Fault::Character { found: c, kind: Kind::DnsName });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Fault::LabelHyphen { label: label.to_owned() });
        }
    }
    Ok(())
}

/// Free text written into dnsmasq's configuration as one value: printable, and without
/// the characters dnsmasq treats specially in a value (`,` separates fields, `"` and `\`
/// quote, `#` starts a comment).
pub fn dnsmasq_text(value: &str) -> Result<(), Fault> {
    if let Some(c) = value.chars().find(|c| c.is_control() || matches!(c, ',' | '"' | '\\' | '#')) {
        return Err(Fault::Character { found: c, kind: Kind::DnsmasqValue });
    }
    Ok(())
}

/// A file path written into dnsmasq's configuration (`tftp-root`, `dhcp-boot`).
pub fn dnsmasq_path(value: &str, absolute: bool) -> Result<(), Fault> {
    if value.is_empty() {
        return Err(Fault::Empty);
    }
    if absolute && !value.starts_with('/') {
        return Err(Fault::NotAbsolute);
    }
    dnsmasq_text(value)
}

/// A raw `<dnsmasq:option>` line: anything on one line.
pub fn dnsmasq_option(value: &str) -> Result<(), Fault> {
    if value.trim().is_empty() {
        return Err(Fault::Empty);
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(Fault::Character { found: c, kind: Kind::DnsmasqOption });
    }
    Ok(())
}

/// Characters that do not show, or change how the text around them shows: Unicode's
/// format characters (general category Cf: zero-width spaces and joiners, the
/// bidirectional controls, the byte-order mark, tags) and the line and paragraph
/// separators (Zl, Zp). `default\u{200B}` looks like `default`.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// The dnsmasq options a definition may carry with the ordinary `manage` right: they
/// shape DNS answers, DHCP offers and logging, and none of them names a file, a
/// program, a user, an interface or an address to bind (dnsmasq reads its configuration
/// as root). Anything else (`dhcp-script`, `conf-file`, `addn-hosts`, `interface`, an
/// option this list does not know) needs the separate right
/// `io.github.virtnet.manage-dnsmasq-options`.
pub const SAFE_DNSMASQ_OPTIONS: &[&str] = &[
    "address",
    "alias",
    "all-servers",
    "bogus-nxdomain",
    "bogus-priv",
    "caa-record",
    "cache-size",
    "cname",
    "dhcp-authoritative",
    "dhcp-boot",
    "dhcp-broadcast",
    "dhcp-circuitid",
    "dhcp-client-update",
    "dhcp-fqdn",
    "dhcp-generate-names",
    "dhcp-host",
    "dhcp-ignore",
    "dhcp-ignore-names",
    "dhcp-lease-max",
    "dhcp-mac",
    "dhcp-match",
    "dhcp-name-match",
    "dhcp-no-override",
    "dhcp-option",
    "dhcp-option-force",
    "dhcp-rapid-commit",
    "dhcp-remoteid",
    "dhcp-reply-delay",
    "dhcp-sequential-ip",
    "dhcp-subscrid",
    "dhcp-ttl",
    "dhcp-userclass",
    "dhcp-vendorclass",
    "dns-forward-max",
    "dns-rr",
    "domain",
    "domain-needed",
    "edns-packet-max",
    "enable-ra",
    "filterwin2k",
    "host-record",
    "local",
    "local-ttl",
    "localise-queries",
    "log-dhcp",
    "log-queries",
    "max-cache-ttl",
    "max-ttl",
    "min-cache-ttl",
    "mx-host",
    "mx-target",
    "naptr-record",
    "neg-ttl",
    "no-hosts",
    "no-negcache",
    "no-ping",
    "ptr-record",
    "quiet-dhcp",
    "quiet-dhcp6",
    "quiet-ra",
    "ra-param",
    "rebind-domain-ok",
    "rebind-localhost-ok",
    "rev-server",
    "server",
    "srv-host",
    "stop-dns-rebind",
    "strict-order",
    "synth-domain",
    "tag-if",
    "txt-record",
];

/// The option a dnsmasq line sets (`dhcp-script=/x` → `dhcp-script`).
pub fn dnsmasq_option_name(value: &str) -> &str {
    value.split('=').next().unwrap_or_default().trim()
}

/// Is this dnsmasq line one of the [`SAFE_DNSMASQ_OPTIONS`]?
pub fn is_safe_dnsmasq_option(value: &str) -> bool {
    SAFE_DNSMASQ_OPTIONS.contains(&dnsmasq_option_name(value))
}

/// A DHCPv6 client DUID as libvirt writes it: hex bytes separated by colons.
pub fn duid(value: &str) -> Result<(), Fault> {
    let ok = value.split(':').count() >= 2
        && value.split(':').all(|b| (1..=2).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_hexdigit()));
    if ok { Ok(()) } else { Err(Fault::NotDuid) }
}

/// Characters named so that invisible ones show up in messages.
/// Text from guests or other users, made safe to show on a terminal or in a window:
/// control characters (C0, C1, DEL) and the invisible format characters (bidi
/// controls that could make it read as something else) become U+FFFD.
pub fn shown_text(text: &str) -> String {
    text.chars().map(|c| if c.is_control() || is_invisible(c) { '\u{fffd}' } else { c }).collect()
}

pub fn describe_char(c: char) -> String {
    match c {
        '\n' => "a newline".into(),
        c if is_invisible(c) => format!("the invisible character U+{:04X}", u32::from(c)),
        '\r' => "a carriage return".into(),
        '\t' => "a tab".into(),
        ' ' => "a space".into(),
        c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
        c => format!("'{c}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names() {
        assert!(interface_name("virbr0").is_ok());
        assert!(interface_name("br-lan.10").is_ok());
        assert!(interface_name("").is_err());
        assert!(interface_name("abcdefghijklmnop").unwrap_err().to_string().contains("at most 15"));
        assert!(interface_name("eth 0").unwrap_err().to_string().contains("a space"));
        assert!(interface_name("a/b").is_err());
        assert!(interface_name("..").is_err());
        assert!(bridge_name_or_template("virbr%d").is_ok());
        assert!(bridge_name_or_template("v%d%d").is_err());
    }

    #[test]
    fn dns_names() {
        assert!(dns_name("example.com").is_ok());
        assert!(dns_name("example.com.").is_ok());
        assert!(dns_name("_sip._tcp.example.com").is_ok());
        assert!(dns_name("a..b").is_err());
        assert!(dns_name("a,b").unwrap_err().to_string().contains("','"));
        assert!(dns_name("a\nb").unwrap_err().to_string().contains("newline"));
        assert!(dns_name("-a").is_err());
        assert!(dns_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn dnsmasq_values() {
        assert!(dnsmasq_text("example value").is_ok());
        assert!(dnsmasq_text("a,b").is_err());
        assert!(dnsmasq_text("a\"b").is_err());
        assert!(dnsmasq_path("/var/lib/tftproot", true).is_ok());
        assert!(dnsmasq_path("relative", true).is_err());
        assert!(dnsmasq_option("cname=*.apps.example.com,master.example.com").is_ok());
        assert!(dnsmasq_option("a\nb").is_err());
        assert!(duid("0:3:0:1:0:16:3e:11:22:33").is_ok());
        assert!(duid("0:3:zz").is_err());
    }
}
