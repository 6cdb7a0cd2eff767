//! The `linky` command line. This file is glue: argument parsing lives in `cli`, each command in
//! `commands`, and all the logic they call is in `linky-core`.

mod cli;
mod commands;
mod report;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, OffPeakCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = report::Output::new(cli.lang);
    let result = match &cli.command {
        Command::Offpeak { command: OffPeakCommand::Check(args) } => commands::offpeak::check(args),
        Command::Offpeak { command: OffPeakCommand::Show(args) } => {
            commands::offpeak::show(args, &linky_core::SystemClock, out.lang())
        }
        Command::Holidays(args) => commands::holidays::run(args, out.lang()),
    };
    match result {
        Ok(text) => out.print(&text),
        Err(error) => out.fail(error.message()),
    }
}
