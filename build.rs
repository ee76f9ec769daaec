//! Compiles the GUI's resources into the binary, so `cargo run` needs nothing installed.

fn main() {
    println!("cargo::rerun-if-changed=resources");
    if std::env::var_os("CARGO_FEATURE_GUI").is_some() {
        glib_build_tools::compile_resources(&["resources"], "resources/resources.gresource.xml", "virtnet.gresource");
    }
}
