//! `virtnet`: virsh's net-* verbs against virtnetd (see `virtnet --help`).

fn main() -> std::process::ExitCode {
    virtnet::cli::main()
}
