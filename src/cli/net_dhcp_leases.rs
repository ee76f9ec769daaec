//! `virtnet net-dhcp-leases NETWORK [--mac MAC] [--json]`: virsh's table of the leases
//! dnsmasq handed out ("what IP did my VM get").

use chrono::{Local, TimeZone};

use super::context::{Context, NetworkArg};
use super::session::{CliResult, call};
use super::table;
use crate::i18n::gettext;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    network: NetworkArg,
    /// Only the leases of this MAC address.
    #[arg(long, value_name = "MAC")]
    mac: Option<String>,
    /// A JSON array, for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct JsonLease<'a> {
    expiry: u64,
    mac: &'a str,
    protocol: &'a str,
    address: &'a str,
    prefix: u32,
    hostname: &'a str,
    client_id: &'a str,
    iaid: &'a str,
    interface: &'a str,
}

fn expiry(seconds: u64) -> String {
    if seconds == 0 {
        return "never".to_owned();
    }
    i64::try_from(seconds)
        .ok()
        .and_then(|s| Local.timestamp_opt(s, 0).single())
        .map_or_else(|| seconds.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

fn or_dash(text: &str) -> String {
    if text.is_empty() { "-".to_owned() } else { text.to_owned() }
}

pub async fn run(cx: &Context, args: &Args) -> CliResult<()> {
    let network = cx.session.network(&args.network.network).await?;
    let leases = call(network.get_dhcp_leases(args.mac.as_deref().unwrap_or("")).await)?;
    let protocol = |kind: u32| if kind == 1 { "ipv6" } else { "ipv4" };
    if args.json {
        let list: Vec<JsonLease<'_>> = leases
            .iter()
            .map(|l| JsonLease {
                expiry: l.expiry,
                mac: &l.mac,
                protocol: protocol(l.kind),
                address: &l.address,
                prefix: l.prefix,
                hostname: &l.hostname,
                client_id: &l.client_id,
                iaid: &l.iaid,
                interface: &l.interface,
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list).unwrap_or_else(|_| "[]".to_owned()));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = leases
        .iter()
        .map(|l| {
            vec![
                expiry(l.expiry),
                or_dash(&l.mac),
                protocol(l.kind).to_owned(),
                format!("{}/{}", l.address, l.prefix),
                or_dash(&l.hostname),
                or_dash(&l.client_id),
            ]
        })
        .collect();
    let headers = [
        gettext("Expiry Time"),
        gettext("MAC address"),
        gettext("Protocol"),
        gettext("IP address"),
        gettext("Hostname"),
        gettext("Client ID or DUID"),
    ];
    print!("{}", table::render(&headers.each_ref().map(String::as_str), &rows));
    Ok(())
}
