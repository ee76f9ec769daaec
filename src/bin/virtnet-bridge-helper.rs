//! `virtnet-bridge-helper`: qemu-bridge-helper's command line, through virtnetd.

fn main() -> std::process::ExitCode {
    virtnet::cli::bridge_helper::main()
}
