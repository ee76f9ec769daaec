//! `virtnet net-reload`: applies every active network's firewall rules again.

use super::context::Context;
use super::session::{CliResult, call};

pub async fn run(cx: &Context) -> CliResult<()> {
    call(cx.session.manager.reload().await)?;
    cx.say("Firewall rules of the active networks applied again");
    Ok(())
}
