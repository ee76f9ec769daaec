//! `virtnet net-list`: virsh's table of networks (only active ones unless asked).

use super::context::Context;
use super::session::{CliResult, call};
use super::table;
use crate::dbus::list_flags;
use crate::dbus::summary::all_networks;
use crate::i18n::gettext;
use crate::model::syntax::shown_text;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Active and inactive networks.
    #[arg(long, conflicts_with = "inactive")]
    all: bool,
    /// Inactive networks only.
    #[arg(long)]
    inactive: bool,
    /// Persistent networks only.
    #[arg(long, conflicts_with = "transient")]
    persistent: bool,
    /// Transient networks only.
    #[arg(long)]
    transient: bool,
    /// Networks that start at boot only.
    #[arg(long, conflicts_with = "no_autostart")]
    autostart: bool,
    /// Networks that do not start at boot only.
    #[arg(long)]
    no_autostart: bool,
    /// Names only, one per line.
    #[arg(long, conflicts_with_all = ["uuid", "json"])]
    name: bool,
    /// UUIDs only, one per line.
    #[arg(long, conflicts_with = "json")]
    uuid: bool,
    /// The table (the default; with --name or --uuid, the table instead).
    #[arg(long)]
    table: bool,
    /// A JSON array, for scripts.
    #[arg(long)]
    json: bool,
}

fn yes_no(b: bool) -> String {
    if b { gettext("yes") } else { gettext("no") }
}

pub async fn run(cx: &Context, args: &Args) -> CliResult<()> {
    let mut flags = if args.all {
        0
    } else if args.inactive {
        list_flags::INACTIVE
    } else {
        list_flags::ACTIVE
    };
    for (set, flag) in [
        (args.persistent, list_flags::PERSISTENT),
        (args.transient, list_flags::TRANSIENT),
        (args.autostart, list_flags::AUTOSTART),
        (args.no_autostart, list_flags::NO_AUTOSTART),
    ] {
        if set {
            flags |= flag;
        }
    }
    let networks: Vec<_> = call(all_networks(&cx.session.conn).await)?
        .into_iter()
        .filter(|n| list_flags::matches(flags, n.active, n.persistent, n.autostart))
        .collect();
    if args.json {
        let json = serde_json::to_string_pretty(&networks).unwrap_or_else(|_| "[]".to_owned());
        println!("{json}");
    } else if (args.name || args.uuid) && !args.table {
        for n in &networks {
            println!("{}", shown_text(if args.name { &n.name } else { &n.uuid }));
        }
        println!();
    } else {
        let rows: Vec<Vec<String>> = networks
            .iter()
            .map(|n| {
                let state = if n.active { gettext("active") } else { gettext("inactive") };
                let mut row = Vec::new();
                if args.uuid {
                    row.push(n.uuid.clone());
                }
                row.extend([n.name.clone(), state, yes_no(n.autostart), yes_no(n.persistent)]);
                row
            })
            .collect();
        let mut headers = Vec::new();
        if args.uuid {
            headers.push(gettext("UUID"));
        }
        headers.extend([gettext("Name"), gettext("State"), gettext("Autostart"), gettext("Persistent")]);
        print!("{}", table::render(&headers.iter().map(String::as_str).collect::<Vec<_>>(), &rows));
    }
    Ok(())
}
