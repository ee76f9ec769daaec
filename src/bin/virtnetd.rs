//! `virtnetd`: the privileged helper (see `virtnetd --help`).

fn main() -> std::process::ExitCode {
    virtnet::helper::main()
}
