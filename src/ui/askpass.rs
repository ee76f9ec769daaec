//! ssh's questions, asked in a dialog: the window runs ssh with `SSH_ASKPASS` pointing at
//! `virtnet-manager` itself (and `VIRTNET_ASKPASS` set), so an unknown host key or a
//! password reaches the person in front of the window instead of a terminal nobody
//! reads. ssh runs the program with its question as the only argument and reads the
//! answer from its standard output; exit status 1 means "cancelled".

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;

use gettextrs::gettext;
use relm4::adw;
use relm4::adw::prelude::*;
use relm4::gtk;
use relm4::gtk::gio;

/// What kind of question ssh asks.
#[derive(Debug, PartialEq, Eq)]
pub enum Question {
    /// "Are you sure you want to continue connecting (yes/no/[fingerprint])?": a choice.
    HostKey,
    /// A password or a key's passphrase: a secret to type.
    Secret,
}

impl Question {
    /// OpenSSH's wording tells them apart.
    pub fn of(prompt: &str) -> Question {
        if prompt.contains("(yes/no") { Question::HostKey } else { Question::Secret }
    }
}

/// Shows the question in a dialog, prints the answer for ssh, and says whether one was
/// given.
pub fn run(prompt: &str) -> ExitCode {
    // Not the window's application id: this must not become (or reach) the window.
    let app = adw::Application::builder().flags(gio::ApplicationFlags::NON_UNIQUE).build();
    let answer: Rc<RefCell<Option<String>>> = Rc::default();
    {
        let answer = Rc::clone(&answer);
        let prompt = prompt.to_owned();
        app.connect_activate(move |app| ask(app, &prompt, Rc::clone(&answer)));
    }
    app.run_with_args::<&str>(&[]);
    let answer = answer.borrow_mut().take();
    match answer {
        Some(answer) => {
            println!("{answer}");
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}

fn ask(app: &adw::Application, prompt: &str, answer: Rc<RefCell<Option<String>>>) {
    let question = Question::of(prompt);
    let (heading, accept) = match question {
        Question::HostKey => (gettext("Unknown Host Key"), gettext("_Trust and Connect")),
        Question::Secret => (gettext("Log In Over ssh"), gettext("_Log In")),
    };
    let dialog = adw::MessageDialog::builder().heading(heading).body(prompt.trim()).build();
    dialog.set_application(Some(app));
    dialog.add_responses(&[("cancel", &gettext("_Cancel")), ("accept", &accept)]);
    dialog.set_close_response("cancel");
    let secret = (question == Question::Secret).then(|| {
        let entry = gtk::PasswordEntry::builder().show_peek_icon(true).activates_default(true).build();
        crate::ui::a11y::set_label(&entry, &gettext("Password or passphrase"));
        dialog.set_extra_child(Some(&entry));
        entry
    });
    dialog.set_response_appearance("accept", adw::ResponseAppearance::Suggested);
    // Enter trusts no key by accident; it logs in once a password is typed.
    dialog.set_default_response(Some(if secret.is_some() { "accept" } else { "cancel" }));
    dialog.connect_response(None, move |dialog, response| {
        if response == "accept" {
            *answer.borrow_mut() = Some(match &secret {
                Some(entry) => entry.text().to_string(),
                None => "yes".to_owned(),
            });
        }
        dialog.close();
    });
    dialog.present();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_questions_are_told_from_passwords() {
        let host_key = "The authenticity of host '127.0.0.1 (127.0.0.1)' can't be established.\nED25519 key fingerprint is SHA256:x.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ";
        assert_eq!(Question::of(host_key), Question::HostKey);
        assert_eq!(Question::of("root@127.0.0.1's password: "), Question::Secret);
        assert_eq!(Question::of("Enter passphrase for key '/root/.ssh/id_ed25519': "), Question::Secret);
    }
}
