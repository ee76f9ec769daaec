//! `virtnet net-edit NETWORK`: the network's definition in `$VISUAL`/`$EDITOR` (vi if
//! neither is set); saved changes are validated and defined. As in virsh, an invalid
//! definition is not lost: the helper's messages are shown and the editor opens again
//! on the same text if asked.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::context::{Context, NetworkArg};
use super::session::{CliError, CliResult, call};
use crate::dbus::{HelperError, xml_flags};
use crate::i18n::gettext;

/// The file being edited; removed when the edit is over.
struct EditFile(PathBuf);

impl Drop for EditFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned())
}

fn edit(path: &Path) -> CliResult<()> {
    let editor = editor();
    // Through the shell, so EDITOR may carry arguments ("code --wait").
    let status =
        Command::new("sh").args(["-c", &format!("{editor} \"$1\""), "sh"]).arg(path).status().map_err(|e| {
            CliError::new(
                gettext("cannot run the editor '{editor}': {why}")
                    .replace("{editor}", &editor)
                    .replace("{why}", &e.to_string()),
            )
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::new(
            gettext("the editor '{editor}' failed ({status})")
                .replace("{editor}", &editor)
                .replace("{status}", &status.to_string()),
        ))
    }
}

/// `message` with {file} and {why} filled in.
fn file_error(message: &str, file: &Path, why: &std::io::Error) -> CliError {
    CliError::new(message.replace("{file}", &file.display().to_string()).replace("{why}", &why.to_string()))
}

/// Asks whether to edit again; `None` on end of input.
fn try_again() -> Option<bool> {
    let stdin = std::io::stdin();
    loop {
        print!("{}", gettext("Failed. Try again? [y,n,?]:"));
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        if stdin.lock().read_line(&mut answer).ok()? == 0 {
            println!();
            return None;
        }
        match answer.trim() {
            "y" | "Y" => return Some(true),
            "n" | "N" => return Some(false),
            _ => println!(
                "{}",
                gettext("y - make changes, then try again\nn - do not save the changes\n? - print this help")
            ),
        }
    }
}

pub async fn run(cx: &Context, args: &NetworkArg) -> CliResult<()> {
    let network = cx.session.network(&args.network).await?;
    let name = cx.name_of(&network).await?;
    let original = call(network.get_xml_desc(xml_flags::INACTIVE).await)?;
    let file =
        EditFile(std::env::temp_dir().join(format!("virtnet-{}-{}.xml", std::process::id(), name.replace('/', "_"))));
    std::fs::write(&file.0, &original).map_err(|e| file_error(&gettext("cannot write {file}: {why}"), &file.0, &e))?;
    loop {
        edit(&file.0)?;
        let edited = std::fs::read_to_string(&file.0)
            .map_err(|e| file_error(&gettext("cannot read {file}: {why}"), &file.0, &e))?;
        if edited == original {
            cx.say(&gettext("Network {name} XML configuration not changed.").replace("{name}", &name));
            return Ok(());
        }
        match cx.session.manager.define_xml(&edited).await {
            Ok(_) => {
                cx.say(&gettext("Network {name} XML configuration edited.").replace("{name}", &name));
                return Ok(());
            }
            Err(e) => {
                eprintln!("{}", CliError::from(HelperError::from(e)));
                if try_again() != Some(true) {
                    return Err(CliError::new(
                        gettext("the changes to network {name} were not saved").replace("{name}", &name),
                    ));
                }
            }
        }
    }
}
