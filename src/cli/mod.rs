//! `virtnet`: the command-line client. virsh's `net-*` verbs arrive with the helper;
//! `validate` and `format` work on files alone.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod format;
mod input;
mod validate;

#[derive(Parser, Debug)]
#[command(
    name = "virtnet",
    version,
    about = "Manage virtual networks for virtual machines (libvirt-compatible network XML)",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check network definitions against libvirt's schema and virtnet's rules.
    ///
    /// Prints each problem as FILE: PATH: message, where PATH names the element
    /// (for example ip[0]/dhcp/range[0]). Exits 1 if any file is invalid.
    Validate(validate::Args),
    /// Print a definition as virtnet writes it (canonical order, no defaults added).
    Format(format::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Format(args) => format::run(&args),
    }
}
