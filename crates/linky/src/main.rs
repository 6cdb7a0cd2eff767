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
        Command::Login(_) | Command::Logout | Command::Sync(_) | Command::Demo(_) => networked(&cli, &out),
    };
    match result {
        Ok(text) => out.print(&text),
        Err(error) => out.fail_with(error.message(), error.code()),
    }
}

/// The commands that talk to a proxy or Enedis run on a Tokio runtime.
fn networked(cli: &Cli, out: &report::Output) -> commands::CommandResult {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LINKY_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let paths = match &cli.command {
        // The demo keeps everything in a temporary folder.
        Command::Demo(_) => commands::Paths { dir: std::env::temp_dir() },
        _ => commands::Paths::resolve(cli.data_dir.as_deref())?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| commands::Message {
        fr: format!("impossible de démarrer : {e}"),
        en: format!("cannot start: {e}"),
    })?;
    runtime.block_on(async {
        match &cli.command {
            Command::Login(args) => commands::account::login(args, &paths, out.lang()).await,
            Command::Logout => commands::account::logout(&paths, out.lang()).await,
            Command::Sync(args) => commands::sync::run(args, &paths, out.display_lang(), commands::sync::system_clock()).await,
            Command::Demo(args) => commands::demo::run(args, out.display_lang()).await,
            _ => Ok(String::new()),
        }
    })
}
