//! Translations of what people read, in the app and the command line: gettext, text
//! domain `virtnet`, catalogs built from po/ and installed by meson.

pub use gettextrs::{gettext, ngettext};

/// gettext's text domain, also the name of the installed `.mo` files.
pub const GETTEXT_PACKAGE: &str = "virtnet";

/// Where the translations are installed (meson sets it; `VIRTNET_LOCALEDIR` at run time
/// overrides it, to try translations without installing them).
const LOCALE_DIR: &str = match option_env!("VIRTNET_LOCALEDIR") {
    Some(dir) => dir,
    None => "/usr/share/locale",
};

/// Selects the user's language for messages. Call first thing in `main`, before any
/// other thread exists. An unusable locale only means English, never a failure.
pub fn setup() {
    // SAFETY: setlocale is not thread-safe; callers run this before starting threads.
    #[allow(unsafe_code)]
    let _ = unsafe { gettextrs::setlocale(gettextrs::LocaleCategory::LcAll, "") };
    let locale_dir = std::env::var_os("VIRTNET_LOCALEDIR").unwrap_or_else(|| LOCALE_DIR.into());
    let _ = gettextrs::bindtextdomain(GETTEXT_PACKAGE, locale_dir);
    let _ = gettextrs::bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    let _ = gettextrs::textdomain(GETTEXT_PACKAGE);
}
