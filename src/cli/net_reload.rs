//! `virtnet net-reload`: applies every active network's firewall rules again.

use super::context::Context;
use super::session::{CliResult, call};
use crate::i18n::gettext;

pub async fn run(cx: &Context) -> CliResult<()> {
    call(cx.session.manager.reload().await)?;
    cx.say(&gettext("Firewall rules of the active networks applied again"));
    Ok(())
}
