//! `virtnet format FILE`

use std::path::PathBuf;
use std::process::ExitCode;

use super::input::read_definition;
use crate::model::Network;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Definition file (`-` reads standard input).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

pub fn run(args: &Args) -> ExitCode {
    let shown = args.file.display();
    let text = match read_definition(&args.file) {
        Ok(text) => text,
        Err(why) => {
            eprintln!("error: {shown}: {why}");
            return ExitCode::FAILURE;
        }
    };
    match Network::from_xml(&text) {
        Ok(network) => {
            print!("{}", network.to_xml());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in problems.iter() {
                eprintln!("error: {shown}: {problem}");
            }
            ExitCode::FAILURE
        }
    }
}
