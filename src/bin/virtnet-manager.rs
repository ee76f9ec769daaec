//! `virtnet-manager`: the desktop app for virtual networks (see `virtnet-manager --help`).

fn main() -> std::process::ExitCode {
    virtnet::ui::main()
}
