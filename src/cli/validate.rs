//! `virtnet validate FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use super::input::read_definition;
use crate::i18n::gettext;
use crate::model;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Definition files (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print nothing for valid files.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: &Args) -> ExitCode {
    let mut all_valid = true;
    for file in &args.files {
        let shown = file.display();
        let text = match read_definition(file) {
            Ok(text) => text,
            Err(why) => {
                println!("{shown}: {why}");
                all_valid = false;
                continue;
            }
        };
        match model::parse_and_validate(&text) {
            Ok(_) if args.quiet => {}
            Ok(_) => println!("{}", gettext("{file} validates").replace("{file}", &shown.to_string())),
            Err(problems) => {
                all_valid = false;
                for problem in problems.iter() {
                    println!("{shown}: {problem}");
                }
            }
        }
    }
    if all_valid { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
