//! The `linky` command line. This file is glue: argument parsing lives in `cli`, each command in
//! `commands`, and all the logic they call is in `linky-core`.

mod cli;
mod clock;
mod commands;
mod report;
mod settings;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, OffPeakCommand};

fn main() -> ExitCode {
    // Before any thread starts: linky runs for months on small boards (see heap-release).
    heap_release::use_one_arena();
    let cli = Cli::parse();
    let flag_lang = cli.lang.map(linky_core::Lang::from);
    let (result, lang) = match &cli.command {
        Command::Offpeak {
            command: OffPeakCommand::Check(args),
        } => (commands::offpeak::check(args), flag_lang),
        Command::Offpeak {
            command: OffPeakCommand::Show(args),
        } => (
            commands::offpeak::show(args, &*clock::clock(), flag_lang),
            flag_lang,
        ),
        Command::Holidays(args) => (commands::holidays::run(args, flag_lang), flag_lang),
        // Before the settings are read: `init` is how a missing or broken file gets replaced.
        Command::Init(args) => (init(&cli, args), flag_lang),
        _ => configured(&cli),
    };
    let out = report::Output::from_lang(lang);
    match result {
        Ok(text) => out.print(&text),
        Err(error) => out.fail_with(error.message(), error.code()),
    }
}

/// The Tokio runtime of the commands that talk HTTP.
fn runtime() -> Result<tokio::runtime::Runtime, commands::Message> {
    tokio::runtime::Builder::new_multi_thread()
        // Few threads: linky runs on small boards, and each thread that touches the store or
        // the allocator keeps some memory. The dashboard queues its store reads (two at a time).
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .map_err(|e| commands::Message {
            fr: format!("impossible de démarrer : {e}"),
            en: format!("cannot start: {e}"),
        })
}

/// The settings file named by `--config` or `LINKY_CONFIG`, if any.
fn explicit_config(cli: &Cli) -> Option<std::path::PathBuf> {
    cli.config.clone().or_else(|| {
        std::env::var_os("LINKY_CONFIG")
            .filter(|v| !v.is_empty())
            .map(Into::into)
    })
}

/// `linky init`, which writes the file the other commands read.
fn init(cli: &Cli, args: &cli::InitArgs) -> commands::CommandResult {
    let config = explicit_config(cli)
        .or_else(settings::Settings::default_path)
        .ok_or_else(|| commands::Message {
            fr: "aucun emplacement pour le fichier de réglages : donnez --config <fichier>".into(),
            en: "no place for the settings file: give --config <file>".into(),
        })?;
    let data_dir = cli.data_dir.clone().or_else(|| {
        std::env::var_os("LINKY_DATA_DIR")
            .filter(|v| !v.is_empty())
            .map(Into::into)
    });
    let paths = commands::Paths::resolve(data_dir.as_deref())?;
    let lang = cli.lang.map(linky_core::Lang::from);
    runtime()?.block_on(commands::init::run(args, config, &paths, lang))
}

/// The settings: the file (`--config`, `LINKY_CONFIG`, or the default place), then the
/// environment, then the global flags; checked.
fn effective_settings(cli: &Cli) -> Result<settings::Settings, commands::CommandError> {
    let mut gathering = settings::Gathering::new();
    match (explicit_config(cli), settings::Settings::default_path()) {
        (Some(path), _) => gathering.load(&path, true)?,
        (None, Some(path)) => gathering.load(&path, false)?,
        (None, None) => {}
    }
    gathering.environment(|name| std::env::var(name).ok())?;
    let mut flags = Vec::new();
    if let Some(dir) = &cli.data_dir {
        flags.push(("--data-dir", dir.display().to_string()));
    }
    if let Some(lang) = cli.lang {
        flags.push(("--lang", linky_core::Lang::from(lang).to_string()));
    }
    if let Command::Sync(args) = &cli.command {
        flags.extend(args.flags());
    }
    if let Command::Run(args) | Command::Dashboard(args) = &cli.command {
        if let Some(listen) = &args.listen {
            flags.push(("--listen", listen.clone()));
        }
    }
    gathering.flags(flags)?;
    let s = gathering.read()?;
    s.validate()?;
    Ok(s)
}

/// The commands that use the settings (those that talk to a proxy or Enedis run on Tokio), with
/// the language the settings chose.
fn configured(cli: &Cli) -> (commands::CommandResult, Option<linky_core::Lang>) {
    let settings = match effective_settings(cli) {
        Ok(s) => s,
        Err(e) => return (Err(e), cli.lang.map(linky_core::Lang::from)),
    };
    let lang = settings.language();
    let out = report::Output::from_lang(lang);
    if let Command::Config { .. } = &cli.command {
        return (Ok(settings.show()), lang);
    }
    if let Command::Status = &cli.command {
        let result = commands::Paths::resolve(settings.data_dir.as_deref()).and_then(|paths| {
            commands::status::run(&settings, &paths, out.display_lang(), &*clock::clock())
        });
        return (result, lang);
    }
    if let Command::Export(args) = &cli.command {
        let result = commands::Paths::resolve(settings.data_dir.as_deref())
            .and_then(|paths| commands::export::run(args, &settings, &paths, &*clock::clock()));
        return (result, lang);
    }
    (networked(cli, &out, settings), lang)
}

fn networked(
    cli: &Cli,
    out: &report::Output,
    settings: settings::Settings,
) -> commands::CommandResult {
    if let Err(e) = stderr_log::init("LINKY_LOG", stderr_log::LevelFilter::WARN) {
        let reason = &e.reason;
        let fr = format!("linky : LINKY_LOG illisible ({reason}) : donnez un niveau (error, warn, info, debug, trace) ou des paires cible=niveau séparées par des virgules ; journal limité aux avertissements");
        let en = format!("linky: LINKY_LOG cannot be read ({reason}): give a level (error, warn, info, debug, trace) or target=level pairs separated by commas; logging warnings only");
        report::line_err(&match out.lang() {
            Some(lang) => lang.pick(fr, en),
            None => format!("{fr}\n{en}"),
        });
    }
    let paths = match &cli.command {
        // The demo keeps everything in a temporary folder.
        Command::Demo(_) => commands::Paths {
            dir: std::env::temp_dir(),
        },
        _ => commands::Paths::resolve(settings.data_dir.as_deref())?,
    };
    runtime()?.block_on(async {
        match &cli.command {
            Command::Login(args) => {
                commands::account::login(args, &settings, &paths, out.lang()).await
            }
            Command::Logout => commands::account::logout(&paths, out.lang()).await,
            Command::Sync(_) => {
                commands::sync::run(&settings, &paths, out.display_lang(), clock::clock()).await
            }
            #[cfg(feature = "demo")]
            Command::Demo(args) => commands::demo::run(args, out.display_lang()).await,
            #[cfg(not(feature = "demo"))]
            Command::Demo(_) => Err(commands::Message {
                fr: "cette version de linky est construite sans la démonstration (option de compilation « demo ») ; construisez-la avec les options par défaut".into(),
                en: "this linky was built without the demo (cargo feature \"demo\"); build it with the default features".into(),
            }
            .into()),
            Command::Dashboard(_) => {
                commands::web::serve_only(&settings, &paths, out.display_lang()).await
            }
            Command::Run(_) => {
                commands::daemon::run(&settings, &paths, out.display_lang(), clock::clock()).await
            }
            Command::Domoticz { command } => match command {
                cli::DomoticzCommand::Push { all } => {
                    commands::domoticz::push(
                        &settings,
                        &paths,
                        out.display_lang(),
                        &*clock::clock(),
                        *all,
                    )
                    .await
                }
                cli::DomoticzCommand::Check => {
                    commands::domoticz::check(&settings, &paths, out.display_lang()).await
                }
                cli::DomoticzCommand::Migrate => {
                    commands::domoticz::migrate(&settings, &paths, out.display_lang()).await
                }
            },
            Command::Doctor { repair } => {
                commands::doctor::run(
                    &settings,
                    &paths,
                    out.display_lang(),
                    clock::clock(),
                    *repair,
                )
                .await
            }
            // Answered before any runtime is started (see `main` and `configured`); listed so
            // that a new command must say where it runs.
            Command::Offpeak { .. }
            | Command::Holidays(_)
            | Command::Init(_)
            | Command::Config { .. }
            | Command::Status
            | Command::Export(_) => Ok(String::new()),
        }
    })
}
